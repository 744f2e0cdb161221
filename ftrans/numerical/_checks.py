"""Derivative checkers: ftrans's JVP/VJP against finite differences and each other."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ftrans import api, tree
from ftrans.numerical._differences import (
    _check_args_tuple,
    _difference,
    _Flat,
    _flat_fun,
    _flatten_args,
    _flatten_out,
    _is_real_float,
    _perturb,
)

# ----------------------------------------------------------------------------- checkers


class _Tolerance(NamedTuple):
    eps: float
    atol: float
    rtol: float

    def __str__(self) -> str:
        return f"atol={self.atol:g}, rtol={self.rtol:g}"


class _Context(NamedTuple):
    """What a failing check says about itself: who ran it, on which function, at which order."""

    caller: str
    what: str
    order: int
    seed: int
    overrides: tuple[float | None, float | None, float | None]  # eps, atol, rtol


# (eps, atol = rtol) by the bits of the least precise float taking part. eps near the cube
# root of the machine epsilon balances truncation (eps^2) against rounding (1/eps).
_DEFAULTS = {16: (1e-1, 1e-1), 32: (1e-3, 1e-2), 64: (1e-6, 1e-5)}


def _tolerance(values: Sequence[Any], ctx: _Context) -> _Tolerance:
    bits = min([np.finfo(np.asarray(v).dtype).bits for v in values if _is_real_float(v)] + [64])
    defaults = _DEFAULTS[bits]
    eps, atol, rtol = ctx.overrides
    return _Tolerance(
        defaults[0] if eps is None else eps,
        defaults[1] if atol is None else atol,
        defaults[1] if rtol is None else rtol,
    )


def _agree(a: Any, b: Any, tol: _Tolerance, scale: float = 0.0) -> np.ndarray:
    """Elementwise ``|a - b| <= atol + rtol * max(|a|, |b|, scale)``; equal or both-NaN agree."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= tol.atol + tol.rtol * np.maximum(np.maximum(abs(a), abs(b)), scale)
    return close | (a == b) | (np.isnan(a) & np.isnan(b))


def _unit_ball(rng: np.random.Generator, leaves: Sequence[np.ndarray]) -> list:
    """A point drawn uniformly from the unit ball spanned jointly by all real float leaves."""
    sizes = [x.size if _is_real_float(x) else 0 for x in leaves]
    n = sum(sizes)
    if n == 0:
        return [None] * len(leaves)
    v = rng.standard_normal(n)
    v *= rng.uniform() ** (1.0 / n) / np.linalg.norm(v)
    out, start = [], 0
    for x, size in zip(leaves, sizes, strict=True):
        out.append(v[start : start + size].reshape(x.shape) if _is_real_float(x) else None)
        start += size
    return out


def _cast(values: Sequence[Any], like: Sequence[np.ndarray]) -> list:
    return [
        None if v is None else np.asarray(v, x.dtype) for v, x in zip(values, like, strict=True)
    ]


def _zeros_for_none(values: Sequence[Any], like: Sequence[np.ndarray]) -> list:
    """Fill the gaps (non-float output leaves) with zeros, as vjp wants one cotangent per leaf."""
    return [np.zeros_like(x) if v is None else v for v, x in zip(values, like, strict=True)]


def _only(values: Sequence[Any], k: int) -> list:
    return [v if i == k else None for i, v in enumerate(values)]


def _dot(a: Sequence[Any], b: Sequence[Any]) -> tuple[float, float]:
    """``sum <a_i, b_i>`` over leaves present and real in both, and the sum of |its terms|."""
    total = size = 0.0
    for x, y in zip(a, b, strict=True):
        if x is None or y is None or not (_is_real_float(x) and _is_real_float(y)):
            continue
        terms = np.asarray(x, np.float64) * np.asarray(y, np.float64)
        total += float(np.sum(terms))
        size += float(np.sum(np.abs(terms)))
    return total, size


def _jvp_leaves(ff: Callable, flat: _Flat, tangents: Sequence[Any]) -> list:
    _, tangent_out = api.jvp(ff, tuple(flat.leaves), tuple(_cast(tangents, flat.leaves)))
    return _flatten_out(tangent_out, f"the output tangent of {ff.__name__}").leaves


def _fmt(x: Any, indent: int = 0) -> str:
    x = np.asarray(x)
    if x.ndim == 0 and np.issubdtype(x.dtype, np.number):
        return f"{x.item():.9g}"
    text = np.array2string(x, precision=6, threshold=24, edgeitems=3, max_line_width=88)
    return text.replace("\n", "\n" + " " * indent)


def _listing(title: str, names: Sequence[str], values: Sequence[Any]) -> list[str]:
    lines = [f"  {title}:"]
    for name, v in zip(names, values, strict=True):
        if v is not None:
            lines.append(f"    {name}: {_fmt(v, len(name) + 6)}")
    return lines


_DIRECTION = "direction t (uniform in the unit ball, seed={seed})"


def _fail(ctx: _Context, mode: str, problem: str, lines: list[str], hint: str) -> AssertionError:
    head = f"{ctx.caller}: {mode} check failed at order {ctx.order} for {ctx.what}: {problem}"
    tail = textwrap.fill(hint, width=96, initial_indent="  ", subsequent_indent="  ")
    return AssertionError("\n".join([head, *lines, tail]))


def _setup(f: Callable, args: tuple, ctx: _Context) -> tuple[_Flat, Callable]:
    flat = _flatten_args(args, f"{ctx.caller}: args")
    return flat, _flat_fun(f, flat.treedef)


# ----------------------------------------------------------------------------- forward mode


def _fwd_mismatches(ff: Callable, flat: _Flat, direction: list, tol: _Tolerance) -> tuple:
    """ft.jvp against central differences along ``direction``: the disagreeing output leaves."""
    plus, minus, realised = _perturb(flat.leaves, direction, tol.eps)
    numerical = _difference(ff(*plus), ff(*minus), 2 * tol.eps, ff.__name__)
    exact = _jvp_leaves(ff, flat, realised)
    bad = []
    for name, a, b in zip(numerical.names, exact, numerical.leaves, strict=True):
        if _is_real_float(b):
            ok = _agree(a, b, tol)
            if not np.all(ok):
                bad.append((name, a, b, ok))
    return bad, realised


def _check_jvp(f: Callable, args: tuple, rng: np.random.Generator, ctx: _Context) -> None:
    flat, ff = _setup(f, args, ctx)
    direction = _unit_ball(rng, flat.leaves)
    out = _flatten_out(ff(*flat.leaves), f"the output of {ff.__name__}")
    tol = _tolerance(flat.leaves + out.leaves, ctx)
    bad, realised = _fwd_mismatches(ff, flat, direction, tol)
    if not bad:
        return
    lines = []
    for name, exact, numerical, ok in bad:
        diff = np.abs(np.asarray(exact, np.float64) - numerical)
        badness = np.where(ok, -1.0, np.nan_to_num(diff, nan=np.inf))
        worst = np.unravel_index(np.argmax(badness), diff.shape)
        lines += [
            f"  {name} (shape {numerical.shape}, {numerical.dtype}):",
            f"    ft.jvp:    {_fmt(exact, 15)}",
            f"    numerical: {_fmt(numerical, 15)}",
            f"    |difference| = {_fmt(diff[worst])}"
            + (f" at index {tuple(int(i) for i in worst)}" if diff.ndim else "")
            + f", beyond the tolerance ({tol})",
        ]
    lines += _listing(_DIRECTION.format(seed=ctx.seed), flat.names, realised)
    perturbed = [k for k, t in enumerate(direction) if t is not None]
    if len(perturbed) > 1:
        alone = [_fwd_mismatches(ff, flat, _only(direction, k), tol)[0] for k in perturbed]
        culprits = [flat.names[k] for k, bad in zip(perturbed, alone, strict=True) if bad]
        if culprits:
            lines.append(f"  attributed to {', '.join(culprits)} (wrong when only it is perturbed)")
    raise _fail(
        ctx,
        "fwd-mode",
        f"ft.jvp and central differences (eps={tol.eps:g}) disagree.",
        lines,
        "A JVP rule used by the function gives a wrong tangent, or the function is not "
        "differentiable here (a kink or a branch); another seed or point tells them apart.",
    )


def check_jvp(
    f: Callable,
    args: Sequence,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check ``ftrans.jvp(f, ...)`` against a central difference along a random direction.

    The direction ``t`` is drawn uniformly from the unit ball (jointly over every real float
    leaf of ``args``; other leaves are held fixed) with ``numpy.random.default_rng(seed)``.
    Values agree when ``|a - b| <= atol + rtol * max(|a|, |b|)``.

    Args:
        f: function of ``len(args)`` positional pytree arguments.
        args: tuple of arguments, the point to check at.
        eps: finite-difference step; default 1e-6 for float64, 1e-3 for float32.
        atol: absolute tolerance; default 1e-5 for float64, 1e-2 for float32.
        rtol: relative tolerance; same defaults.
        seed: seeds the random direction.

    Raises:
        AssertionError: the tangents disagree; the message (starting ``fwd-mode``) gives both,
            the direction, and which argument the disagreement comes from.

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> check_jvp(lambda x, y: fnp.tanh(x) @ y, (np.ones((2, 3)), np.arange(3.0)))
    """
    args = _check_args_tuple(args, "check_jvp")
    ctx = _Context("check_jvp", api.fun_name(f), 1, seed, (eps, atol, rtol))
    _check_jvp(f, args, np.random.default_rng(seed), ctx)


# ----------------------------------------------------------------------------- reverse mode


def _numerical_vjp_leaf(ff: Callable, flat: _Flat, k: int, cotangent: list, eps: float):
    """``J^T ct`` for leaf ``k``: a central difference of ``<ct, f>`` per coordinate."""
    x = flat.leaves[k]
    out = np.zeros(x.shape, np.float64)
    for j in range(x.size):
        basis = np.zeros(x.shape)
        basis.reshape(-1)[j] = 1.0
        plus, minus, _ = _perturb(flat.leaves, _only([basis] * len(flat.leaves), k), eps)
        numerical = _difference(ff(*plus), ff(*minus), 2 * eps, ff.__name__).leaves
        out.reshape(-1)[j] = _dot(cotangent, numerical)[0]
    return out


def _check_vjp(f: Callable, args: tuple, rng: np.random.Generator, ctx: _Context) -> None:
    flat, ff = _setup(f, args, ctx)
    y, pull_back = api.vjp(ff, *flat.leaves)
    out = _flatten_out(y, f"the output of {ff.__name__}")
    tol = _tolerance(flat.leaves + out.leaves, ctx)
    direction = _unit_ball(rng, flat.leaves)
    cotangent = _cast(_unit_ball(rng, out.leaves), out.leaves)
    grads = list(pull_back(out.rebuild(_zeros_for_none(cotangent, out.leaves))))

    def three_ways(t):
        """``<ct, J t>`` by ft.jvp, by ft.vjp and numerically, and the size of the terms."""
        plus, minus, t = _perturb(flat.leaves, t, tol.eps)
        by_jvp, s1 = _dot(cotangent, _jvp_leaves(ff, flat, t))
        by_vjp, s2 = _dot(grads, t)
        numerical = _difference(ff(*plus), ff(*minus), 2 * tol.eps, ff.__name__).leaves
        by_numerical, s3 = _dot(cotangent, numerical)
        return (by_jvp, by_vjp, by_numerical), max(s1, s2, s3), t

    (by_jvp, by_vjp, by_numerical), scale, realised = three_ways(direction)
    if _agree(by_jvp, by_vjp, tol, scale) and _agree(by_vjp, by_numerical, tol, scale):
        return
    # The dot-product test isolates transpose rules; only if it passes blame the JVP.
    dot_failed = not _agree(by_jvp, by_vjp, tol, scale)
    against = 0 if dot_failed else 2
    lines = [
        f"  <ct, ft.jvp(t)>    = {_fmt(by_jvp)}",
        f"  <ft.vjp(ct), t>    = {_fmt(by_vjp)}",
        f"  <ct, numerical Jt> = {_fmt(by_numerical)}",
        f"  |difference| = {_fmt(abs(by_vjp - (by_jvp, by_vjp, by_numerical)[against]))}, beyond "
        f"the tolerance ({tol})",
    ]
    for k, t in enumerate(direction):
        if t is None:
            continue
        values, leaf_scale, _ = three_ways(_only(direction, k))
        if _agree(values[1], values[against], tol, leaf_scale):
            continue
        lines.append(
            f"  {flat.names[k]} is wrong: alone it gives <ct, ft.jvp(t)> = {_fmt(values[0])}, "
            f"<ft.vjp(ct), t> = {_fmt(values[1])}, numerical {_fmt(values[2])}"
        )
        if t.size <= 24:
            approx = _numerical_vjp_leaf(ff, flat, k, cotangent, tol.eps)
            lines += [
                f"    ft.vjp(ct):       {_fmt(grads[k], 22)}",
                f"    numerical J^T ct: {_fmt(approx, 22)}",
            ]
    lines += _listing(_DIRECTION.format(seed=ctx.seed), flat.names, realised)
    lines += _listing("cotangent ct (uniform in the unit ball)", out.names, cotangent)
    if dot_failed:
        raise _fail(
            ctx,
            "dot-product",
            "ft.vjp is not the transpose of ft.jvp.",
            lines,
            "The reverse pass disagrees with the forward pass: a transpose rule of a linear "
            "primitive used by the function is likely wrong.",
        )
    raise _fail(
        ctx,
        "rev-mode",
        f"ft.vjp and central differences (eps={tol.eps:g}) disagree.",
        lines,
        "ft.vjp agrees with ft.jvp, so a JVP rule used by the function is the likely culprit "
        "(modes=('fwd',) shows the tangents), or the function is not differentiable here.",
    )


def check_vjp(
    f: Callable,
    args: Sequence,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check ``ftrans.vjp(f, ...)`` by the dot-product test and against central differences.

    With a random direction ``t`` and a random cotangent ``ct`` (each uniform in the unit ball,
    from ``numpy.random.default_rng(seed)``), ``<ct, J t>`` is computed three ways: with
    ``ftrans.jvp``, with ``ftrans.vjp`` as ``<J^T ct, t>``, and by a central difference. The
    first two must agree (else a transpose rule is wrong), and the second with the third.

    Args:
        f: function of ``len(args)`` positional pytree arguments.
        args: tuple of arguments, the point to check at.
        eps: finite-difference step; default 1e-6 for float64, 1e-3 for float32.
        atol: absolute tolerance; default 1e-5 for float64, 1e-2 for float32.
        rtol: relative tolerance; same defaults.
        seed: seeds the random direction and cotangent.

    Raises:
        AssertionError: the message names the failed test (``dot-product`` or ``rev-mode``),
            gives the numbers, the direction, the cotangent, and the argument at fault.

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> check_vjp(lambda p: fnp.exp(p['w']).sum(axis=0), ({'w': np.ones((2, 3))},))
    """
    args = _check_args_tuple(args, "check_vjp")
    ctx = _Context("check_vjp", api.fun_name(f), 1, seed, (eps, atol, rtol))
    _check_vjp(f, args, np.random.default_rng(seed), ctx)


# ----------------------------------------------------------------------------- check_grads


def _check_orders(f: Callable, args: tuple, order: int, modes: tuple, rng, ctx: _Context) -> None:
    """Check ``f``, then (below ``order``) its derivative functions, recursively."""
    flat, ff = _setup(f, args, ctx)
    if "fwd" in modes:
        _check_jvp(f, args, rng, ctx)
        if ctx.order < order:
            tangents = tuple(_cast(_unit_ball(rng, flat.leaves), flat.leaves))

            def tangent_of_f(*a):
                return api.jvp(ff, tuple(tree.leaves(a)), tangents)[1]

            tangent_of_f.__name__ = f"(x -> jvp({ctx.what}, x, t)[1])"
            sub = ctx._replace(what=tangent_of_f.__name__, order=ctx.order + 1)
            _check_orders(tangent_of_f, args, order, modes, rng, sub)
    if "rev" in modes:
        _check_vjp(f, args, rng, ctx)
        if ctx.order < order:
            out = _flatten_out(ff(*flat.leaves), f"the output of {ctx.what}")
            drawn = _cast(_unit_ball(rng, out.leaves), out.leaves)
            cotangent = out.rebuild(_zeros_for_none(drawn, out.leaves))

            def cotangent_of_f(*a):
                return flat.rebuild(list(api.vjp(ff, *tree.leaves(a))[1](cotangent)))

            cotangent_of_f.__name__ = f"(x -> vjp({ctx.what}, x)(ct))"
            sub = ctx._replace(what=cotangent_of_f.__name__, order=ctx.order + 1)
            _check_orders(cotangent_of_f, args, order, modes, rng, sub)


def check_grads(
    f: Callable,
    args: Sequence,
    order: int = 1,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check ftrans's derivatives of ``f`` at ``args`` against finite differences, to any order.

    ``"fwd"`` runs [`check_jvp`][ftrans.numerical.check_jvp], ``"rev"`` runs
    [`check_vjp`][ftrans.numerical.check_vjp]. For ``order > 1`` the derivative functions are then
    checked the same way, with every mode, recursively: ``x -> jvp(f, x, t)[1]`` for a fixed random
    ``t`` and ``x -> vjp(f, x)(ct)`` for a fixed random ``ct``. Only real float leaves are
    perturbed; integer leaves are held fixed. All random draws come from one
    ``numpy.random.default_rng(seed)``, so failures reproduce.

    Args:
        f: function of ``len(args)`` positional pytree arguments, written with ``ftrans.numpy``.
        args: tuple of arguments, the point to check at.
        order: highest derivative order to check.
        modes: any of ``"fwd"`` and ``"rev"``.
        eps: finite-difference step; default 1e-6 for float64, 1e-3 for float32.
        atol: absolute tolerance; default 1e-5 for float64, 1e-2 for float32.
        rtol: relative tolerance; same defaults.
        seed: seeds every random direction and cotangent.

    Raises:
        AssertionError: the message names the mode (``fwd-mode``, ``rev-mode`` or
            ``dot-product``), the order, the function checked, the numbers that disagree, the
            direction, and the argument (with its pytree path) at fault.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> check_grads(lambda x: fnp.sin(x) * fnp.exp(x), (np.array([0.1, 0.7]),), order=2)
        >>> check_grads(lambda x: x * ft.stop_gradient(x), (3.0,))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: check_grads: fwd-mode check failed at order 1 for <lambda>: ...
    """
    args = _check_args_tuple(args, "check_grads")
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or any(m not in ("fwd", "rev") for m in modes):
        raise ValueError(f"check_grads: modes must be drawn from ('fwd', 'rev'), got {modes!r}.")
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be a positive int, got {order!r}.")
    ctx = _Context("check_grads", api.fun_name(f), 1, seed, (eps, atol, rtol))
    _check_orders(f, args, order, modes, np.random.default_rng(seed), ctx)
