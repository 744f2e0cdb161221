"""Line searches as transforms: `scale_by_backtracking_linesearch` (Armijo) and
`scale_by_zoom_linesearch` (strong Wolfe, More-Thuente style zoom), and
`value_and_grad_from_state`, which reuses the value and gradient a line search computed.

Both take the extra ``update`` arguments ``value`` (the objective at ``params``), ``grad``
(its gradient) and ``value_fn`` (the objective, called at trial points); further keywords go
to ``value_fn`` if it accepts them. The search is a ``lax.while_loop``, so it runs under
``jit``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import ftrans.lax as lax
import ftrans.numpy as fnp
from ftrans import tree
from ftrans.api import value_and_grad
from ftrans.optim._base import GradientTransformationExtraArgs, Params, Updates, safe_increment
from ftrans.optim.tree_utils import tree_add_scale, tree_get, tree_vdot, tree_zeros_like


def _split_kwargs(fn: Callable[..., Any], kwargs: dict[str, Any], where: str) -> dict[str, Any]:
    """The keywords ``fn`` accepts; any other keyword is an error naming them."""
    names = set(inspect.signature(fn).parameters)
    taken = {k: v for k, v in kwargs.items() if k in names}
    rest = sorted(k for k in kwargs if k not in names)
    if rest:
        raise TypeError(
            f"ftrans.optim.{where}: update got keyword arguments {rest} that value_fn does not "
            "accept; pass only value, grad, value_fn and value_fn's own keywords."
        )
    return taken


def _value_dtype(params: Any) -> Any:
    leaves = tree.leaves(params)
    dtype = fnp.asarray(leaves[0]).dtype if leaves else np.dtype("float64")
    return np.real(np.zeros((), dtype)).dtype


def _where_all(pred: Any, new: list[Any], old: list[Any]) -> list[Any]:
    return [
        tree.map(lambda a, b: fnp.where(fnp.broadcast_to(pred, fnp.shape(b)), a, b), n, o)
        for n, o in zip(new, old, strict=True)
    ]


def _cast_like(new: Any, old: Any) -> Any:
    return tree.map(lambda a, b: fnp.astype(a, fnp.asarray(b).dtype), new, old)


def _needs(where: str, value: Any, grad: Any, value_fn: Any) -> None:
    if value is None or grad is None or value_fn is None:
        raise TypeError(
            f"ftrans.optim.{where}: update needs value=, grad= and value_fn= (the objective at "
            "params, its gradient, and the objective itself), e.g. "
            "update(grad, state, params, value=value, grad=grad, value_fn=f)."
        )


# ----------------------------------------------------------------------------- backtracking


class BacktrackingLinesearchInfo(NamedTuple):
    """What the latest backtracking search did."""

    num_linesearch_steps: Any
    decrease_error: Any


class ScaleByBacktrackingLinesearchState(NamedTuple):
    """State of `scale_by_backtracking_linesearch`."""

    learning_rate: Any
    value: Any
    grad: Any
    info: BacktrackingLinesearchInfo


class _BacktrackingSearch(NamedTuple):
    learning_rate: Any
    new_value: Any
    new_grad: Any
    decrease_error: Any
    iter_num: Any


def scale_by_backtracking_linesearch(
    max_backtracking_steps: int,
    slope_rtol: float = 1e-4,
    decrease_factor: float = 0.8,
    increase_factor: float = 1.5,
    max_learning_rate: float = 1.0,
    atol: float = 0.0,
    rtol: float = 0.0,
    store_grad: bool = False,
    verbose: bool = False,
) -> GradientTransformationExtraArgs:
    """Scale the update by a step size satisfying the Armijo sufficient-decrease condition.

    Starting from ``min(increase_factor * previous, max_learning_rate)``, the step is
    multiplied by ``decrease_factor`` until
    ``f(x + s u) <= (1 + rtol) f(x) + s * slope_rtol * <u, grad> + atol``
    (at most ``max_backtracking_steps`` times). A step leading to non-finite values is 0.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> f = lambda x: ((x - 1.0) ** 2).sum()
        >>> opt = optim.chain(optim.sgd(1.0), optim.scale_by_backtracking_linesearch(15))
        >>> x = np.zeros(2)
        >>> state = opt.init(x)
        >>> g = 2 * (x - 1.0)
        >>> u, state = opt.update(g, state, x, value=f(x), grad=g, value_fn=f)
        >>> bool(f(x + u) < f(x))
        True
    """
    del verbose  # diagnostics are not printed

    def init(params: Params) -> ScaleByBacktrackingLinesearchState:
        dtype = _value_dtype(params)
        return ScaleByBacktrackingLinesearchState(
            fnp.asarray(1.0, dtype),
            fnp.asarray(np.inf, dtype),
            tree_zeros_like(params) if store_grad else None,
            BacktrackingLinesearchInfo(fnp.asarray(0), fnp.asarray(np.inf, dtype)),
        )

    def decrease_error(step: Any, slope: Any, value: Any, new_value: Any) -> Any:
        err = new_value - (1.0 + rtol) * value - step * slope_rtol * slope
        err = fnp.where(fnp.isnan(err), np.inf, err)
        return fnp.maximum(err, 0.0)

    def update(
        updates: Updates,
        state: ScaleByBacktrackingLinesearchState,
        params: Params = None,
        *,
        value: Any = None,
        grad: Any = None,
        value_fn: Callable[..., Any] | None = None,
        **extra_args: Any,
    ):
        _needs("scale_by_backtracking_linesearch", value, grad, value_fn)
        kwargs = _split_kwargs(value_fn, extra_args, "scale_by_backtracking_linesearch")
        slope = fnp.real(tree_vdot(updates, tree.map(fnp.conjugate, grad)))
        dtype = _value_dtype(params)
        value = fnp.astype(fnp.asarray(value), dtype)

        def keep_going(s: _BacktrackingSearch) -> Any:
            return ~(s.decrease_error <= atol) & (s.iter_num <= max_backtracking_steps)

        def body(s: _BacktrackingSearch) -> _BacktrackingSearch:
            rate = fnp.where(s.iter_num > 0, decrease_factor * s.learning_rate, s.learning_rate)
            trial = tree_add_scale(params, rate, updates)
            if store_grad:
                new_value, new_grad = value_and_grad(lambda p: value_fn(p, **kwargs))(trial)
            else:
                new_value, new_grad = value_fn(trial, **kwargs), s.new_grad
            err = decrease_error(rate, slope, value, new_value)
            new = _BacktrackingSearch(rate, new_value, new_grad, err, s.iter_num + 1)
            return _cast_like(new, s)

        start = fnp.minimum(increase_factor * state.learning_rate, max_learning_rate)
        search = _BacktrackingSearch(
            fnp.astype(start, dtype),
            value,
            tree_zeros_like(params),
            fnp.asarray(np.inf, dtype),
            fnp.asarray(0),
        )
        search = lax.while_loop(keep_going, body, search)
        rate = fnp.where(fnp.isinf(search.decrease_error), 0.0, search.learning_rate)
        new_state = ScaleByBacktrackingLinesearchState(
            fnp.astype(rate, dtype),
            fnp.astype(search.new_value, dtype),
            search.new_grad if store_grad else None,
            BacktrackingLinesearchInfo(search.iter_num, search.decrease_error),
        )
        scaled = tree.map(lambda u: fnp.astype(rate, fnp.asarray(u).dtype) * u, updates)
        return scaled, new_state

    return GradientTransformationExtraArgs(init, update)


# ----------------------------------------------------------------------------- zoom


class ZoomLinesearchInfo(NamedTuple):
    """What the latest zoom search did."""

    num_linesearch_steps: Any
    decrease_error: Any
    curvature_error: Any


class ScaleByZoomLinesearchState(NamedTuple):
    """State of `scale_by_zoom_linesearch`: the step taken, the value and gradient there."""

    learning_rate: Any
    value: Any
    grad: Any
    info: ZoomLinesearchInfo


class ZoomLinesearchState(NamedTuple):
    """The inner state of one zoom search (the ``lax.while_loop`` carry)."""

    count: Any
    params: Any
    updates: Any
    stepsize_guess: Any
    stepsize: Any
    value: Any
    grad: Any
    slope: Any
    value_init: Any
    slope_init: Any
    decrease_error: Any
    curvature_error: Any
    error: Any
    interval_found: Any
    done: Any
    failed: Any
    low: Any
    value_low: Any
    slope_low: Any
    high: Any
    value_high: Any
    slope_high: Any
    cubic_ref: Any
    value_cubic_ref: Any
    safe_stepsize: Any
    safe_value: Any
    safe_grad: Any


def _safe(x: Any, bad: Any) -> Any:
    return fnp.where(bad, 1.0, x)


def _cubicmin(a: Any, fa: Any, fpa: Any, b: Any, fb: Any, c: Any, fc: Any) -> Any:
    """The minimiser of the cubic through (a, fa), (b, fb), (c, fc) with slope fpa at a.

    NaN when there is none (degenerate points or no real minimum); the callers then fall
    back to a quadratic step or bisection. Computed without division by zero.
    """
    db, dc = b - a, c - a
    denom = (db * dc) ** 2 * (db - dc)
    rb, rc = fb - fa - fpa * db, fc - fa - fpa * dc
    flat = denom == 0
    big_a = (dc**2 * rb - db**2 * rc) / _safe(denom, flat)
    big_b = (-(dc**3) * rb + db**3 * rc) / _safe(denom, flat)
    radical = big_b * big_b - 3.0 * big_a * fpa
    bad = flat | (big_a == 0) | (radical < 0) | ~fnp.isfinite(radical)
    root = fnp.sqrt(fnp.where(bad, 0.0, radical))
    return fnp.where(bad, np.nan, a + (-big_b + root) / (3.0 * _safe(big_a, bad)))


def _quadmin(a: Any, fa: Any, fpa: Any, b: Any, fb: Any) -> Any:
    """The minimiser of the quadratic through (a, fa), (b, fb) with slope fpa at a (or NaN)."""
    db = b - a
    flat = db == 0
    curvature = (fb - fa - fpa * db) / _safe(db**2, flat)
    bad = flat | (curvature == 0)
    return fnp.where(bad, np.nan, a - fpa / (2.0 * _safe(curvature, bad)))


def _zoom_linesearch(
    max_linesearch_steps: int,
    max_stepsize: float | None,
    tol: float,
    increase_factor: float,
    slope_rtol: float,
    curv_rtol: float,
    approx_dec_rtol: float | None,
    interval_threshold: float,
) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    def on_line(vg: Callable[..., Any], params: Any, step: Any, updates: Any, kwargs: Any) -> Any:
        trial = tree_add_scale(params, step, updates)
        value, grad = vg(trial, **kwargs)
        slope = fnp.real(tree_vdot(tree.map(fnp.conjugate, grad), updates))
        return value, grad, slope

    def decrease_error(step: Any, value: Any, slope: Any, value_init: Any, slope_init: Any) -> Any:
        err = value - value_init - slope_rtol * step * slope_init
        if approx_dec_rtol is not None:
            approx = slope - (2 * slope_rtol - 1.0) * slope_init
            delta = value - value_init - approx_dec_rtol * fnp.abs(value_init)
            err = fnp.minimum(fnp.maximum(approx, delta), err)
        err = fnp.maximum(err, 0.0)
        return fnp.where(fnp.isnan(err), np.inf, err)

    def curvature_error(slope: Any, slope_init: Any) -> Any:
        err = fnp.maximum(fnp.abs(slope) - curv_rtol * fnp.abs(slope_init), 0.0)
        return fnp.where(fnp.isnan(err), np.inf, err)

    def try_safe_step(s: ZoomLinesearchState) -> ZoomLinesearchState:
        outside = fnp.isinf(s.decrease_error)
        use_safe = (s.safe_stepsize > 0.0) | outside
        step, value, grad = _where_all(
            use_safe, [s.safe_stepsize, s.safe_value, s.safe_grad], [s.stepsize, s.value, s.grad]
        )
        return _cast_like(s._replace(stepsize=step, grad=grad, value=value), s)

    def search_interval(s: ZoomLinesearchState, vg: Callable[..., Any], kwargs: Any) -> Any:
        new_step = fnp.where(s.count == 0, s.stepsize_guess, increase_factor * s.stepsize)
        if max_stepsize is not None:
            reached = new_step >= max_stepsize
            new_step = fnp.minimum(new_step, max_stepsize)
        else:
            reached = fnp.asarray(False)
        value, grad, slope = on_line(vg, s.params, new_step, s.updates, kwargs)
        dec = decrease_error(new_step, value, slope, s.value_init, s.slope_init)
        curv = curvature_error(slope, s.slope_init)
        err = fnp.maximum(dec, curv)
        safe = dec <= tol
        safe_step, safe_value, safe_grad = _where_all(
            safe, [new_step, value, grad], [s.safe_stepsize, s.safe_value, s.safe_grad]
        )
        high_to_new = (dec > 0.0) | ((value >= s.value) & (s.count > 0))
        low_to_new = (slope >= 0.0) & ~high_to_new
        low, value_low, slope_low, high, value_high, slope_high = _where_all(
            low_to_new,
            [new_step, value, slope, s.stepsize, s.value, s.slope],
            [s.stepsize, s.value, s.slope, new_step, value, slope],
        )
        found = high_to_new | low_to_new | (err <= tol)
        done = (err <= tol) | (reached & ~found)
        failed = (s.count + 1 >= max_linesearch_steps) & ~done
        new = ZoomLinesearchState(
            safe_increment(s.count), s.params, s.updates, s.stepsize_guess, new_step, value,
            grad, slope, s.value_init, s.slope_init, dec, curv, err, found, done, failed, low,
            value_low, slope_low, high, value_high, slope_high, low, value_low, safe_step,
            safe_value, safe_grad,
        )  # fmt: skip
        return _cast_like(new, s)

    def zoom_into_interval(s: ZoomLinesearchState, vg: Callable[..., Any], kwargs: Any) -> Any:
        delta = fnp.abs(s.high - s.low)
        left, right = fnp.minimum(s.high, s.low), fnp.maximum(s.high, s.low)
        too_small = delta <= interval_threshold
        cubic = _cubicmin(
            s.low, s.value_low, s.slope_low, s.high, s.value_high, s.cubic_ref, s.value_cubic_ref
        )
        use_cubic = (cubic > left + 0.2 * delta) & (cubic < right - 0.2 * delta)
        quad = _quadmin(s.low, s.value_low, s.slope_low, s.high, s.value_high)
        use_quad = ~use_cubic & (quad > left + 0.1 * delta) & (quad < right - 0.1 * delta)
        use_bisection = ~use_cubic & ~use_quad
        middle = fnp.where(use_cubic, cubic, s.cubic_ref)
        middle = fnp.where(use_quad, quad, middle)
        middle = fnp.where(use_bisection, (s.low + s.high) / 2.0, middle)
        value, grad, slope = on_line(vg, s.params, middle, s.updates, kwargs)
        dec = decrease_error(middle, value, slope, s.value_init, s.slope_init)
        curv = curvature_error(slope, s.slope_init)
        err = fnp.maximum(dec, curv)
        better_safe = (dec <= tol) & (value < s.safe_value)
        safe_step, safe_value, safe_grad = _where_all(
            better_safe, [middle, value, grad], [s.safe_stepsize, s.safe_value, s.safe_grad]
        )
        done = err <= tol
        high_to_middle = (dec > 0.0) | (value >= s.value_low)
        high_to_low = (slope * (s.high - s.low) >= 0.0) & ~high_to_middle
        low_to_middle = ~high_to_middle
        high1 = _where_all(
            high_to_middle, [middle, value, slope], [s.high, s.value_high, s.slope_high]
        )
        high, value_high, slope_high = _where_all(
            high_to_low, [s.low, s.value_low, s.slope_low], high1
        )
        low, value_low, slope_low = _where_all(
            low_to_middle, [middle, value, slope], [s.low, s.value_low, s.slope_low]
        )
        cubic_ref, value_cubic_ref = _where_all(
            high_to_middle | high_to_low, [s.high, s.value_high], [s.low, s.value_low]
        )
        max_iter = s.count + 1 >= max_linesearch_steps
        failed = (max_iter | (too_small & (safe_step > 0.0))) & ~done
        new = ZoomLinesearchState(
            safe_increment(s.count), s.params, s.updates, s.stepsize_guess, middle, value, grad,
            slope, s.value_init, s.slope_init, dec, curv, err, s.interval_found, done, failed,
            low, value_low, slope_low, high, value_high, slope_high, cubic_ref,
            value_cubic_ref, safe_step, safe_value, safe_grad,
        )  # fmt: skip
        return _cast_like(new, s)

    def init(
        updates: Any, params: Any, *, value: Any, grad: Any, guess: Any
    ) -> ZoomLinesearchState:
        dtype = _value_dtype(params)
        slope = fnp.real(tree_vdot(updates, grad))
        value = fnp.astype(fnp.asarray(value), dtype)
        zero = fnp.asarray(0.0, dtype)
        inf = fnp.asarray(np.inf, dtype)
        false = fnp.asarray(False)
        return ZoomLinesearchState(
            fnp.asarray(0), params, updates, fnp.astype(fnp.asarray(guess), dtype), zero, value,
            grad, slope, value, slope, inf, inf, inf, false, false, false, zero, value, slope,
            zero, value, slope, zero, value, zero, value, grad,
        )  # fmt: skip

    def step(s: ZoomLinesearchState, *, vg: Callable[..., Any], kwargs: Any) -> Any:
        new = lax.cond(
            s.interval_found,
            lambda st: zoom_into_interval(st, vg, kwargs),
            lambda st: search_interval(st, vg, kwargs),
            s,
        )
        new = lax.cond(new.failed, try_safe_step, lambda st: st, new)
        return _cast_like(new, s)

    def keep_going(s: ZoomLinesearchState) -> Any:
        return ~(s.done | s.failed)

    return init, step, keep_going


def scale_by_zoom_linesearch(
    max_linesearch_steps: int,
    max_learning_rate: float | None = None,
    tol: float = 0.0,
    increase_factor: float = 2.0,
    slope_rtol: float = 1e-4,
    curv_rtol: float = 0.9,
    approx_dec_rtol: float | None = 1e-6,
    stepsize_precision: float = 1e-5,
    initial_guess_strategy: str = "keep",
    verbose: bool = False,
) -> GradientTransformationExtraArgs:
    """Scale the update by a step size satisfying the strong Wolfe conditions.

    The step grows by ``increase_factor`` until an interval holding an acceptable step is
    bracketed, then the interval is shrunk by cubic, quadratic or bisection steps (Nocedal &
    Wright, Numerical Optimization, algorithms 3.5-3.6, with Hager & Zhang's approximate
    decrease condition when ``approx_dec_rtol`` is set). If no step satisfies both conditions
    within ``max_linesearch_steps``, the best step found with sufficient decrease is taken.
    The state keeps the value and gradient at the new params (see
    `value_and_grad_from_state`).

    Args:
        max_linesearch_steps: the most function evaluations per search.
        max_learning_rate: the largest step; ``None`` for no bound.
        tol: tolerance on both conditions.
        increase_factor: the growth of the step while bracketing.
        slope_rtol: the sufficient-decrease constant (``c1``).
        curv_rtol: the curvature constant (``c2``).
        approx_dec_rtol: relative tolerance of the approximate decrease test; ``None`` to
            use the exact Armijo test only.
        stepsize_precision: the interval length below which the search gives up.
        initial_guess_strategy: ``"keep"`` starts from the previous step, ``"one"`` from 1.
        verbose: accepted for optax's signature; nothing is printed.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> f = lambda x: ((x - 1.0) ** 2).sum()
        >>> opt = optim.chain(optim.sgd(1.0), optim.scale_by_zoom_linesearch(15))
        >>> x = np.zeros(2)
        >>> g = 2 * (x - 1.0)
        >>> u, state = opt.update(g, opt.init(x), x, value=f(x), grad=g, value_fn=f)
        >>> x + u  # the exact minimiser along -g
        array([1., 1.])
    """
    del verbose
    if initial_guess_strategy not in ("keep", "one"):
        raise ValueError(
            "ftrans.optim.scale_by_zoom_linesearch: initial_guess_strategy must be 'keep' or "
            f"'one', got {initial_guess_strategy!r}."
        )
    init_search, step_search, keep_going = _zoom_linesearch(
        max_linesearch_steps,
        max_learning_rate,
        tol,
        increase_factor,
        slope_rtol,
        curv_rtol,
        approx_dec_rtol,
        stepsize_precision,
    )

    def init(params: Params) -> ScaleByZoomLinesearchState:
        dtype = _value_dtype(params)
        inf = fnp.asarray(np.inf, dtype)
        return ScaleByZoomLinesearchState(
            fnp.asarray(1.0, dtype),
            inf,
            tree_zeros_like(params),
            ZoomLinesearchInfo(fnp.asarray(0), inf, inf),
        )

    def update(
        updates: Updates,
        state: ScaleByZoomLinesearchState,
        params: Params = None,
        *,
        value: Any = None,
        grad: Any = None,
        value_fn: Callable[..., Any] | None = None,
        **extra_args: Any,
    ):
        _needs("scale_by_zoom_linesearch", value, grad, value_fn)
        kwargs = _split_kwargs(value_fn, extra_args, "scale_by_zoom_linesearch")
        vg = value_and_grad(value_fn)
        guess = state.learning_rate if initial_guess_strategy == "keep" else 1.0
        search = init_search(updates, params, value=value, grad=grad, guess=guess)
        final = lax.while_loop(keep_going, lambda s: step_search(s, vg=vg, kwargs=kwargs), search)
        rate = final.stepsize
        scaled = tree.map(lambda u: fnp.astype(rate, fnp.asarray(u).dtype) * u, updates)
        info = ZoomLinesearchInfo(final.count, final.decrease_error, final.curvature_error)
        new_state = ScaleByZoomLinesearchState(rate, final.value, final.grad, info)
        return scaled, _cast_like(new_state, state)

    return GradientTransformationExtraArgs(init, update)


def value_and_grad_from_state(value_fn: Callable[..., Any]) -> Callable[..., tuple[Any, Any]]:
    """``value_and_grad(value_fn)`` that reuses the value and gradient a line search stored.

    The returned function takes ``(params, *args, state=opt_state, **kwargs)``; if the state
    holds a finite ``value`` (and its ``grad``) from the latest line search, those are
    returned without evaluating ``value_fn`` again.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> f = lambda x: ((x - 1.0) ** 2).sum()
        >>> opt = optim.lbfgs()
        >>> x = np.zeros(2)
        >>> state = opt.init(x)
        >>> value_and_grad = optim.value_and_grad_from_state(f)
        >>> for _ in range(3):
        ...     value, grad = value_and_grad(x, state=state)
        ...     u, state = opt.update(grad, state, x, value=value, grad=grad, value_fn=f)
        ...     x = optim.apply_updates(x, u)
        >>> np.round(x, 6)
        array([1., 1.])
    """

    def wrapped(params: Params, *args: Any, state: Any, **kwargs: Any) -> tuple[Any, Any]:
        value = tree_get(state, "value")
        grad = tree_get(state, "grad")
        if value is None or grad is None:
            raise ValueError(
                "ftrans.optim.value_and_grad_from_state: the state holds no value/grad; use an "
                "optimiser with a line search that stores them (e.g. optim.lbfgs())."
            )
        if isinstance(value, (np.ndarray, np.generic, float)):
            # concrete (eager): evaluate value_fn only if the state has no usable value
            if np.isfinite(value):
                return fnp.asarray(value), grad
            return value_and_grad(lambda q: value_fn(q, *args, **kwargs))(params)
        return lax.cond(
            ~fnp.isinf(value) & ~fnp.isnan(value),
            lambda p, a, k: (fnp.asarray(value), grad),
            lambda p, a, k: value_and_grad(lambda q: value_fn(q, *a, **k))(p),
            params,
            args,
            kwargs,
        )

    return wrapped
