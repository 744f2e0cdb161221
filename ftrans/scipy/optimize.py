"""``ftrans.scipy.optimize``: ``minimize`` (BFGS, L-BFGS) and a strong-Wolfe ``line_search``,
like ``jax.scipy.optimize``: gradients come from ``ftrans.value_and_grad``, and every loop is a
``ftrans.lax.while_loop``, so the whole solve runs under ``jit`` and ``vmap`` (a batch of
problems stops when its last member has converged; finished members keep their result).

The line search is Nocedal & Wright's Algorithm 3.5 (bracketing, step doubled) with the zoom of
Algorithm 3.6 (safeguarded cubic, then quadratic interpolation, then bisection), written as one
loop that makes exactly one function-and-gradient evaluation per step. BFGS updates a dense
inverse Hessian (N&W eq. 6.17); L-BFGS keeps the last ``maxcor`` pairs ``(s, y)`` and applies the
two-loop recursion (N&W Algorithm 7.4) with the scaling ``sᵀy / yᵀy`` of the initial matrix.

Differentiating *through* ``minimize`` (reverse mode over its loops) is not supported, as in JAX;
differentiate the optimality condition instead (implicit differentiation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

import ftrans.numpy as fnp
from ftrans import lax
from ftrans.api import value_and_grad
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError, format_frame, user_frame

__all__ = ["LineSearchResults", "OptimizeResults", "line_search", "minimize"]


class OptimizeResults(NamedTuple):
    """The result of [`minimize`][ftrans.scipy.optimize.minimize] (the fields of
    ``jax.scipy.optimize.OptimizeResults``).

    Attributes:
        x: the final point.
        success: whether the gradient test was met (and no line search failed).
        status: 0 converged; 1 ``maxiter`` reached; 2 + line-search status when a line search
            failed (3: its zoom failed, 5: it ran out of steps); -1 otherwise.
        fun: ``fun(x)``.
        jac: the gradient at ``x``.
        hess_inv: BFGS's inverse-Hessian estimate (None for L-BFGS).
        nfev: function evaluations.
        njev: gradient evaluations (each evaluation computes both).
        nit: iterations.
    """

    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    hess_inv: Any
    nfev: Any
    njev: Any
    nit: Any


class LineSearchResults(NamedTuple):
    """The result of [`line_search`][ftrans.scipy.optimize.line_search].

    Attributes:
        failed: True if no step satisfying the strong Wolfe conditions was found.
        nit: steps taken (bracketing and zoom).
        nfev: function evaluations.
        ngev: gradient evaluations.
        k: bracketing steps.
        a_k: the step length.
        f_k: ``f(xk + a_k pk)``.
        g_k: the gradient there.
        status: 0 success; 1 the zoom's interval collapsed or it took too many steps;
            3 ``maxiter`` bracketing steps without a bracket.
    """

    failed: Any
    nit: Any
    nfev: Any
    ngev: Any
    k: Any
    a_k: Any
    f_k: Any
    g_k: Any
    status: Any


def _at() -> str:
    return format_frame(user_frame())


def _where(cond, new, old):
    """``new`` where ``cond`` else ``old``, leaf by leaf over equal pytrees (NamedTuples too)."""
    if isinstance(new, tuple):
        return type(new)(*(_where(cond, n, o) for n, o in zip(new, old, strict=True)))
    return fnp.where(cond, new, old)


# ----------------------------------------------------------------------------- line search


def _safe(x):
    """``x`` with zeros replaced by ones (a denominator that must not warn), and the mask."""
    ok = x != 0
    return fnp.where(ok, x, 1.0), ok


def _cubic_minimizer(a, fa, dfa, b, fb, c, fc):
    """The minimizer of the cubic through ``(a, fa)`` with slope ``dfa`` and ``(b, fb)``,
    ``(c, fc)``, and whether it exists (the trial points are distinct, the cubic has one)."""
    db, dc = b - a, c - a
    rb, rc = fb - fa - dfa * db, fc - fa - dfa * dc
    denom, ok = _safe((db * dc) ** 2 * (db - dc))
    p = (dc**2 * rb - db**2 * rc) / denom  # cubic coefficient
    q = (-(dc**3) * rb + db**3 * rc) / denom  # quadratic coefficient
    radical = q * q - 3.0 * p * dfa
    safe_p, p_ok = _safe(p)
    ok = ok & p_ok & (radical >= 0)
    return a + (-q + fnp.sqrt(fnp.where(ok, radical, 0.0))) / (3.0 * safe_p), ok


def _quadratic_minimizer(a, fa, dfa, b, fb):
    """The minimizer of the parabola through ``(a, fa)`` with slope ``dfa`` and ``(b, fb)``,
    and whether it exists."""
    db = b - a
    db2, ok = _safe(db * db)
    curvature, c_ok = _safe((fb - fa - dfa * db) / db2)
    return a - dfa / (2.0 * curvature), ok & c_ok


class _SearchState(NamedTuple):
    zooming: Any  # False: bracketing (Algorithm 3.5); True: zooming (Algorithm 3.6)
    done: Any
    failed: Any
    k: Any  # bracketing steps
    j: Any  # zoom steps
    a_prev: Any  # bracketing: the previous trial step
    f_prev: Any
    d_prev: Any
    a_lo: Any  # zoom: the bracket (lo satisfies the sufficient decrease), and the step before
    f_lo: Any
    d_lo: Any
    a_hi: Any
    f_hi: Any
    d_hi: Any
    a_rec: Any
    f_rec: Any
    a_star: Any
    f_star: Any
    g_star: Any
    nfev: Any


def _search(fun_and_grad, xk, pk, f0, g0, old_old_fval, c1, c2, maxiter):
    """Strong-Wolfe line search along ``pk`` from ``xk`` (``f0``, ``g0`` known there)."""
    dtype = xk.dtype
    d0 = fnp.dot(g0, pk)
    if old_old_fval is None:
        start = fnp.asarray(1.0, dtype)
    else:  # a step that would repeat the last decrease (Nocedal & Wright eq. 3.60), at most 1
        guess = 1.01 * 2 * (f0 - old_old_fval) / d0
        start = fnp.where((guess > 0) & (guess < 1), guess, 1.0).astype(dtype)
    tiny = 1e-10 if np.finfo(dtype).bits >= 64 else 1e-5
    zero = fnp.zeros((), dtype)

    def sufficient(a, f):
        return f <= f0 + c1 * a * d0

    def curvature(d):
        return fnp.abs(d) <= -c2 * d0

    def cond(s):
        return fnp.logical_not(s.done | s.failed)

    def body(s):
        # the trial step: doubling while bracketing; interpolation while zooming
        a_bracket = fnp.where(s.k == 0, start, 2.0 * s.a_prev)
        lo, hi = fnp.minimum(s.a_lo, s.a_hi), fnp.maximum(s.a_lo, s.a_hi)
        width = hi - lo
        cubic, ok = _cubic_minimizer(s.a_lo, s.f_lo, s.d_lo, s.a_hi, s.f_hi, s.a_rec, s.f_rec)
        use_cubic = ok & (s.j > 0) & (cubic > lo + 0.2 * width) & (cubic < hi - 0.2 * width)
        quad, ok = _quadratic_minimizer(s.a_lo, s.f_lo, s.d_lo, s.a_hi, s.f_hi)
        use_quad = ok & ~use_cubic & (quad > lo + 0.1 * width) & (quad < hi - 0.1 * width)
        a_zoom = fnp.where(use_cubic, cubic, fnp.where(use_quad, quad, (s.a_lo + s.a_hi) / 2))
        a = fnp.where(s.zooming, a_zoom, a_bracket)
        f, g = fun_and_grad(xk + a * pk)
        d = fnp.dot(g, pk)

        # bracketing (Algorithm 3.5): is [prev, a] or [a, prev] a bracket, or is a acceptable?
        too_high = ~sufficient(a, f) | ((f >= s.f_prev) & (s.k > 0))
        uphill = ~too_high & ~curvature(d) & (d >= 0)
        found = ~too_high & curvature(d)
        to_zoom = too_high | uphill  # too_high: lo = prev, hi = a; uphill: lo = a, hi = prev
        bracket = _SearchState(
            zooming=to_zoom,
            done=found,
            failed=~found & ~to_zoom & (s.k + 1 >= maxiter),
            k=s.k + 1,
            j=s.j,
            a_prev=a,
            f_prev=f,
            d_prev=d,
            a_lo=fnp.where(too_high, s.a_prev, a),
            f_lo=fnp.where(too_high, s.f_prev, f),
            d_lo=fnp.where(too_high, s.d_prev, d),
            a_hi=fnp.where(too_high, a, s.a_prev),
            f_hi=fnp.where(too_high, f, s.f_prev),
            d_hi=fnp.where(too_high, d, s.d_prev),
            a_rec=s.a_rec,
            f_rec=s.f_rec,
            a_star=fnp.where(found, a, s.a_star),
            f_star=fnp.where(found, f, s.f_star),
            g_star=fnp.where(found, g, s.g_star),
            nfev=s.nfev + 1,
        )

        # zooming (Algorithm 3.6): a replaces hi, or becomes lo (hi possibly flipping to old lo)
        replaces_hi = ~sufficient(a, f) | (f >= s.f_lo)
        accept = ~replaces_hi & curvature(d)
        flip = ~replaces_hi & ~accept & (d * (s.a_hi - s.a_lo) >= 0)
        new_lo = ~replaces_hi & ~accept
        zoom = _SearchState(
            zooming=s.zooming,
            done=accept,
            failed=~accept & ((width <= tiny) | (s.j + 1 >= 30)),
            k=s.k,
            j=s.j + 1,
            a_prev=s.a_prev,
            f_prev=s.f_prev,
            d_prev=s.d_prev,
            a_lo=fnp.where(new_lo, a, s.a_lo),
            f_lo=fnp.where(new_lo, f, s.f_lo),
            d_lo=fnp.where(new_lo, d, s.d_lo),
            a_hi=fnp.where(replaces_hi, a, fnp.where(flip, s.a_lo, s.a_hi)),
            f_hi=fnp.where(replaces_hi, f, fnp.where(flip, s.f_lo, s.f_hi)),
            d_hi=fnp.where(replaces_hi, d, fnp.where(flip, s.d_lo, s.d_hi)),
            a_rec=fnp.where(replaces_hi | flip, s.a_hi, s.a_lo),
            f_rec=fnp.where(replaces_hi | flip, s.f_hi, s.f_lo),
            a_star=fnp.where(accept, a, s.a_star),
            f_star=fnp.where(accept, f, s.f_star),
            g_star=fnp.where(accept, g, s.g_star),
            nfev=s.nfev + 1,
        )
        return _where(s.zooming, zoom, bracket)

    false = fnp.asarray(False)
    izero = fnp.asarray(0, np.int32)
    init = _SearchState(
        zooming=false,
        done=false,
        failed=false,
        k=izero,
        j=izero,
        a_prev=zero,
        f_prev=f0,
        d_prev=d0,
        a_lo=zero,
        f_lo=f0,
        d_lo=d0,
        a_hi=zero,
        f_hi=f0,
        d_hi=d0,
        a_rec=zero,
        f_rec=f0,
        a_star=zero,
        f_star=f0,
        g_star=g0,
        nfev=izero,
    )
    s = lax.while_loop(cond, body, init)
    status = fnp.where(s.done, 0, fnp.where(s.zooming, 1, 3)).astype(np.int32)
    return LineSearchResults(
        failed=fnp.logical_not(s.done),
        nit=s.k + s.j,
        nfev=s.nfev,
        ngev=s.nfev,
        k=s.k,
        a_k=s.a_star,
        f_k=s.f_star,
        g_k=s.g_star,
        status=status,
    )


def _vector(fname, argname, x):
    if not isinstance(x, (Tracer, np.ndarray)):
        x = np.asarray(x)
    if len(shape_of(x)) != 1:
        raise ShapeError(
            f"{fname}: {argname} must be a 1-D array (n,), got shape {shape_of(x)} (at {_at()}); "
            "flatten your parameters (ftrans.flatten_util-style ravel) and unflatten inside fun."
        )
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(f"{fname}: complex {argname} is not supported (at {_at()})")
    if not np.issubdtype(x.dtype, np.floating):
        x = fnp.asarray(x, dtype=np.float64)
    return x


def _value_and_grad(fun):
    vg = value_and_grad(fun)  # its error names a non-scalar output

    def call(x):
        f, g = vg(x)
        return fnp.asarray(f, dtype=x.dtype), g

    return call


def line_search(
    f: Callable,
    xk,
    pk,
    old_fval=None,
    old_old_fval=None,
    gfk=None,
    c1: float = 1e-4,
    c2: float = 0.9,
    maxiter: int = 20,
) -> LineSearchResults:
    """A step ``a`` along ``pk`` from ``xk`` satisfying the strong Wolfe conditions
    ``f(xk + a pk) <= f(xk) + c1 a ∇f(xk)ᵀpk`` and ``|∇f(xk + a pk)ᵀpk| <= c2 |∇f(xk)ᵀpk|``,
    like ``jax.scipy.optimize.line_search`` (Nocedal & Wright, Algorithms 3.5 and 3.6).

    ``pk`` must be a descent direction. ``old_fval``/``gfk`` (``f`` and its gradient at ``xk``)
    save an evaluation; ``old_old_fval`` (the previous iterate's value) sets the first trial
    step as SciPy does, otherwise it is 1. ``maxiter`` bounds the bracketing steps.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy.optimize import line_search
        >>> res = line_search(lambda x: ((x - 3.0) ** 2).sum(), np.zeros(2), np.ones(2))
        >>> bool(res.failed), float(res.a_k)
        (False, 1.0)
    """
    xk = _vector("line_search", "xk", xk)
    pk = fnp.asarray(_vector("line_search", "pk", pk), dtype=xk.dtype)
    fun_and_grad = _value_and_grad(f)
    if old_fval is None or gfk is None:
        old_fval, gfk = fun_and_grad(xk)
    return _search(fun_and_grad, xk, pk, old_fval, gfk, old_old_fval, c1, c2, maxiter)


# ----------------------------------------------------------------------------- BFGS


class _BFGSState(NamedTuple):
    converged: Any
    failed: Any
    k: Any
    nfev: Any
    x: Any
    f: Any
    g: Any
    h: Any
    f_old: Any
    ls_status: Any


def _norm(g, order):
    if order == np.inf:
        return fnp.max(fnp.abs(g))
    return fnp.sum(fnp.abs(g) ** order) ** (1.0 / order)


def _bfgs(fun_and_grad, x0, *, maxiter, gtol, norm, line_search_maxiter):
    n = shape_of(x0)[0]
    f0, g0 = fun_and_grad(x0)
    eye = np.eye(n, dtype=x0.dtype)
    izero = fnp.asarray(0, np.int32)
    init = _BFGSState(
        converged=_norm(g0, norm) < gtol,
        failed=fnp.asarray(False),
        k=izero,
        nfev=izero + 1,
        x=x0,
        f=f0,
        g=g0,
        h=fnp.asarray(eye),
        f_old=f0 + fnp.sqrt(fnp.sum(g0 * g0)) / 2,  # SciPy's first-step heuristic
        ls_status=izero,
    )

    def cond(s):
        return ~s.converged & ~s.failed & (s.k < maxiter)

    def body(s):
        p = -(s.h @ s.g)
        ls = _search(fun_and_grad, s.x, p, s.f, s.g, s.f_old, 1e-4, 0.9, line_search_maxiter)
        step = ls.a_k * p
        y = ls.g_k - s.g
        rho = 1.0 / fnp.dot(y, step)
        # H⁺ = (I - r s yᵀ) H (I - r y sᵀ) + r s sᵀ, r = 1 / yᵀs (Nocedal & Wright eq. 6.17)
        left = eye - rho * step[:, None] * y[None, :]
        h_new = left @ s.h @ left.T + rho * step[:, None] * step[None, :]
        h_new = fnp.where(fnp.isfinite(rho), h_new, s.h)
        return _BFGSState(
            converged=_norm(ls.g_k, norm) < gtol,
            failed=ls.failed,
            k=s.k + 1,
            nfev=s.nfev + ls.nfev,
            x=s.x + step,
            f=ls.f_k,
            g=ls.g_k,
            h=h_new,
            f_old=s.f,
            ls_status=ls.status,
        )

    s = lax.while_loop(cond, body, init)
    status = _status(s.converged, s.k, maxiter, s.failed, s.ls_status)
    return OptimizeResults(
        x=s.x,
        success=s.converged & ~s.failed,
        status=status,
        fun=s.f,
        jac=s.g,
        hess_inv=s.h,
        nfev=s.nfev,
        njev=s.nfev,
        nit=s.k,
    )


def _status(converged, k, maxiter, failed, ls_status):
    return fnp.where(
        converged,
        0,
        fnp.where(k >= maxiter, 1, fnp.where(failed, 2 + ls_status, -1)),
    ).astype(np.int32)


# ----------------------------------------------------------------------------- L-BFGS


class _LBFGSState(NamedTuple):
    converged: Any
    failed: Any
    k: Any
    nfev: Any
    x: Any
    f: Any
    g: Any
    s_hist: Any  # (m, n), oldest first
    y_hist: Any
    rho_hist: Any  # (m,), 0 for empty slots
    gamma: Any
    f_old: Any
    ls_status: Any


def _two_loop(g, s_hist, y_hist, rho_hist, gamma):
    """``H g`` for the L-BFGS inverse Hessian (Nocedal & Wright, Algorithm 7.4)."""
    m = shape_of(s_hist)[0]
    q = g
    alphas = []
    for i in reversed(range(m)):  # newest to oldest
        alpha = rho_hist[i] * fnp.dot(s_hist[i], q)
        q = q - alpha * y_hist[i]
        alphas.append(alpha)
    r = gamma * q
    for i, alpha in zip(range(m), reversed(alphas), strict=True):  # oldest to newest
        beta = rho_hist[i] * fnp.dot(y_hist[i], r)
        r = r + s_hist[i] * (alpha - beta)
    return r


def _lbfgs(fun_and_grad, x0, *, maxiter, maxcor, gtol, ftol, maxfun, maxls, norm):
    n = shape_of(x0)[0]
    dtype = x0.dtype
    f0, g0 = fun_and_grad(x0)
    izero = fnp.asarray(0, np.int32)
    init = _LBFGSState(
        converged=_norm(g0, norm) < gtol,
        failed=fnp.asarray(False),
        k=izero,
        nfev=izero + 1,
        x=x0,
        f=f0,
        g=g0,
        s_hist=fnp.zeros((maxcor, n), dtype),
        y_hist=fnp.zeros((maxcor, n), dtype),
        rho_hist=fnp.zeros((maxcor,), dtype),
        gamma=fnp.asarray(1.0, dtype),
        f_old=f0 + fnp.sqrt(fnp.sum(g0 * g0)) / 2,
        ls_status=izero,
    )

    def cond(s):
        return ~s.converged & ~s.failed & (s.k < maxiter) & (s.nfev < maxfun)

    def body(s):
        p = -_two_loop(s.g, s.s_hist, s.y_hist, s.rho_hist, s.gamma)
        ls = _search(fun_and_grad, s.x, p, s.f, s.g, s.f_old, 1e-4, 0.9, maxls)
        step = ls.a_k * p
        y = ls.g_k - s.g
        sy = fnp.dot(step, y)
        keep = (sy > 0) & fnp.isfinite(sy)  # the curvature condition (true after strong Wolfe)
        safe_sy = fnp.where(keep, sy, 1.0)
        s_hist = fnp.where(keep, fnp.concatenate([s.s_hist[1:], step[None]], 0), s.s_hist)
        y_hist = fnp.where(keep, fnp.concatenate([s.y_hist[1:], y[None]], 0), s.y_hist)
        rho_new = fnp.concatenate([s.rho_hist[1:], (1.0 / safe_sy)[None]], 0)
        rho_hist = fnp.where(keep, rho_new, s.rho_hist)
        gamma = fnp.where(keep, safe_sy / fnp.dot(y, y), s.gamma)
        decrease = (s.f - ls.f_k) / fnp.maximum(fnp.maximum(fnp.abs(s.f), fnp.abs(ls.f_k)), 1.0)
        return _LBFGSState(
            converged=(_norm(ls.g_k, norm) < gtol) | (~ls.failed & (decrease <= ftol)),
            failed=ls.failed,
            k=s.k + 1,
            nfev=s.nfev + ls.nfev,
            x=s.x + step,
            f=ls.f_k,
            g=ls.g_k,
            s_hist=s_hist,
            y_hist=y_hist,
            rho_hist=rho_hist,
            gamma=gamma,
            f_old=s.f,
            ls_status=ls.status,
        )

    s = lax.while_loop(cond, body, init)
    status = _status(s.converged, s.k, maxiter, s.failed, s.ls_status)
    return OptimizeResults(
        x=s.x,
        success=s.converged & ~s.failed,
        status=status,
        fun=s.f,
        jac=s.g,
        hess_inv=None,
        nfev=s.nfev,
        njev=s.nfev,
        nit=s.k,
    )


# ----------------------------------------------------------------------------- minimize

_BFGS_OPTIONS = ("maxiter", "norm", "gtol", "line_search_maxiter")
_LBFGS_OPTIONS = ("maxiter", "norm", "maxcor", "ftol", "gtol", "maxfun", "maxgrad", "maxls")
_LBFGS_NAMES = ("l-bfgs", "l-bfgs-b", "lbfgs", "l-bfgs-experimental-do-not-rely-on-this")


def minimize(
    fun: Callable,
    x0,
    args: tuple = (),
    *,
    method: str,
    tol: float | None = None,
    options: Mapping[str, Any] | None = None,
) -> OptimizeResults:
    """Minimize ``fun(x, *args)`` over a 1-D ``x`` from ``x0``, like
    ``jax.scipy.optimize.minimize``: gradients by ``ftrans.value_and_grad``; runs under ``jit``
    and ``vmap``.

    Methods: ``"BFGS"`` (options ``maxiter`` = 200·n, ``gtol`` = 1e-5 on the ``norm`` = inf norm
    of the gradient, ``line_search_maxiter`` = 10) and ``"L-BFGS-B"`` (also spelled
    ``"l-bfgs"`` or JAX's ``"l-bfgs-experimental-do-not-rely-on-this"``; unbounded; options
    ``maxiter``, ``maxcor`` = 10 stored pairs, ``gtol`` = 1e-5, ``ftol`` = 2.2e-9 on the
    relative decrease of ``fun``, ``maxfun``, ``maxls`` = 20). ``tol``, when given, sets
    ``gtol`` as in SciPy (JAX ignores it).

    Returns:
        [`OptimizeResults`][ftrans.scipy.optimize.OptimizeResults]
        ``(x, success, status, fun, jac, hess_inv, nfev, njev, nit)``.

    Examples:
        >>> import numpy as np
        >>> import ftrans as ft
        >>> import ftrans.numpy as fnp
        >>> from ftrans.scipy.optimize import minimize
        >>> def rosenbrock(x):
        ...     return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        >>> res = ft.jit(lambda x0: minimize(rosenbrock, x0, method="BFGS"))(np.zeros(3))
        >>> np.round(res.x, 4).tolist(), bool(res.success)
        ([1.0, 1.0, 1.0], True)
    """
    if not isinstance(args, tuple):
        raise TypeError(
            f"minimize: args must be a tuple, got {type(args).__name__} (at {_at()}); write "
            "args=(value,) for one extra argument."
        )
    if not isinstance(method, str):
        raise TypeError(f"minimize: method must be a string such as 'BFGS', got {method!r}")
    options = dict(options or {})
    x0 = _vector("minimize", "x0", x0)
    n = shape_of(x0)[0]
    fun_and_grad = _value_and_grad(lambda x: fun(x, *args))
    name = method.lower()
    if name == "bfgs":
        _check_options("BFGS", options, _BFGS_OPTIONS)
        return _bfgs(
            fun_and_grad,
            x0,
            maxiter=int(options.get("maxiter") or 200 * n),
            gtol=float(options.get("gtol", 1e-5 if tol is None else tol)),
            norm=options.get("norm", np.inf),
            line_search_maxiter=int(options.get("line_search_maxiter", 10)),
        )
    if name in _LBFGS_NAMES:
        _check_options(method, options, _LBFGS_OPTIONS)
        maxiter = int(options.get("maxiter") or 200 * n)
        maxfun = options.get("maxfun")
        return _lbfgs(
            fun_and_grad,
            x0,
            maxiter=maxiter,
            maxcor=int(options.get("maxcor", 10)),
            gtol=float(options.get("gtol", 1e-5 if tol is None else tol)),
            ftol=float(options.get("ftol", 2.220446049250313e-09)),
            maxfun=2**31 - 1 if maxfun is None else int(maxfun),
            maxls=int(options.get("maxls", 20)),
            norm=options.get("norm", np.inf),
        )
    raise ValueError(
        f"minimize: method {method!r} is not available; use 'BFGS' or 'L-BFGS-B' (at {_at()})."
    )


def _check_options(method, options, known):
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(
            f"minimize: unknown option(s) {unknown} for method {method!r}; known: {list(known)}"
        )
