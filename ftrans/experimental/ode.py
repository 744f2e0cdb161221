"""``ftrans.experimental.ode``: ``odeint``, JAX's adaptive ODE solver with adjoint gradients.

The integrator is the Dormand-Prince 5(4) Runge-Kutta pair with JAX's initial step choice,
error norm, step-size controller and 4th-order dense output, so the numbers agree with
``jax.experimental.ode.odeint`` to rounding. The solution at the requested times comes from
interpolation inside accepted steps (the steps do not land on them). Reverse mode integrates
the adjoint system backwards in time (Pontryagin; Chen et al., 2018), as JAX does, so memory
does not grow with the number of steps. Everything is written with ``lax.while_loop`` and
``lax.scan``, so ``odeint`` runs under ``jit`` and ``vmap`` and nests in ``grad``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import ftrans.lax as lax
import ftrans.numpy as fnp
from ftrans import tree
from ftrans.api import vjp
from ftrans.control_flow._common import run
from ftrans.custom_derivatives import custom_vjp
from ftrans.interpreters.programs import avals_of, closure_convert

__all__ = ["odeint"]

# ----------------------------------------------------------------------------- Dormand-Prince

_ALPHA = (1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_BETA = (
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_C_SOL = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_C_ERROR = (
    35 / 384 - 1951 / 21600,
    0.0,
    500 / 1113 - 22642 / 50085,
    125 / 192 - 451 / 720,
    -2187 / 6784 + 12231 / 42400,
    11 / 84 - 649 / 6300,
    -1.0 / 60.0,
)
# the midpoint of the dense output (Shampine, 1986)
_C_MID = (
    6025192743 / 30085553152 / 2,
    0.0,
    51252292925 / 65400821598 / 2,
    -2691868925 / 45128329728 / 2,
    187940372067 / 1594534317056 / 2,
    -1776094331 / 19743644256 / 2,
    11237099 / 235043384 / 2,
)


def _combine(coefficients: tuple[float, ...], k: Any) -> Any:
    """``sum_j c_j k[j]`` for the stacked stages ``k`` ([7, n]), as one matrix product."""
    c = np.zeros(7)
    c[: len(coefficients)] = coefficients
    return fnp.astype(fnp.asarray(c), k.dtype) @ k


def _rk_step(func: Callable, y0: Any, f0: Any, t0: Any, dt: Any) -> tuple[Any, Any, Any, Any]:
    """One Dormand-Prince step: ``(y1, f1, error estimate, stages [7, n])``."""
    stages = [f0]
    for i in range(1, 7):
        k = fnp.stack(stages + [fnp.zeros_like(f0)] * (7 - len(stages)))
        yi = y0 + dt * _combine(_BETA[i - 1], k)
        stages.append(func(yi, t0 + dt * _ALPHA[i - 1]))
    k = fnp.stack(stages)
    y1 = dt * _combine(_C_SOL, k) + y0
    return y1, stages[-1], dt * _combine(_C_ERROR, k), k


def _norm(x: Any) -> Any:
    return fnp.sqrt(fnp.sum(x * x))


def _initial_step_size(
    func: Callable, t0: Any, y0: Any, order: int, rtol: float, atol: float, f0: Any
) -> Any:
    """Hairer, Norsett & Wanner's starting step (Solving ODEs I, sec. II.4), as JAX picks it."""
    scale = atol + fnp.abs(y0) * rtol
    d0 = _norm(y0 / scale)
    d1 = _norm(f0 / scale)
    small = (d0 < 1e-5) | (d1 < 1e-5)
    h0 = fnp.where(small, 1e-6, 0.01 * d0 / fnp.where(small, 1.0, d1))
    y1 = y0 + h0 * f0
    f1 = func(y1, t0 + h0)
    d2 = _norm((f1 - f0) / scale) / h0
    flat = (d1 <= 1e-15) & (d2 <= 1e-15)
    biggest = fnp.maximum(d1, d2)
    h1 = fnp.where(
        flat,
        fnp.maximum(1e-6, h0 * 1e-3),
        (0.01 / fnp.where(flat, 1.0, biggest)) ** (1.0 / (order + 1.0)),
    )
    return fnp.minimum(100.0 * h0, h1)


def _mean_error_ratio(error: Any, rtol: float, atol: float, y0: Any, y1: Any) -> Any:
    tolerance = atol + rtol * fnp.maximum(fnp.abs(y0), fnp.abs(y1))
    ratio = error / tolerance
    return fnp.sqrt(fnp.mean(ratio * ratio))


def _optimal_step_size(last_step: Any, ratio: Any) -> Any:
    """The next step: ``last * clip(0.9 * ratio**-1/5, 0.2 (1 if accepted), 10)``."""
    safety, ifactor, order = 0.9, 10.0, 5.0
    dfactor = fnp.where(ratio < 1, 1.0, 0.2)
    safe_ratio = fnp.where(ratio == 0, 1.0, ratio)
    factor = fnp.minimum(ifactor, fnp.maximum(safe_ratio ** (-1.0 / order) * safety, dfactor))
    return fnp.where(ratio == 0, last_step * ifactor, last_step * factor)


def _dense_output(y0: Any, y1: Any, k: Any, dt: Any) -> Any:
    """Coefficients [5, n] (highest power first) of the quartic through the step."""
    y_mid = y0 + dt * _combine(_C_MID, k)
    dy0, dy1 = k[0], k[-1]
    a = -2.0 * dt * dy0 + 2.0 * dt * dy1 - 8.0 * y0 - 8.0 * y1 + 16.0 * y_mid
    b = 5.0 * dt * dy0 - 3.0 * dt * dy1 + 18.0 * y0 + 14.0 * y1 - 32.0 * y_mid
    c = -4.0 * dt * dy0 + dt * dy1 - 11.0 * y0 - 5.0 * y1 + 16.0 * y_mid
    return fnp.stack([a, b, c, dt * dy0, y0])


def _polyval(coefficients: Any, x: Any) -> Any:
    out = coefficients[0]
    for i in range(1, 5):
        out = out * x + coefficients[i]
    return out


def _select(pred: Any, new: Any, old: Any) -> Any:
    return fnp.where(fnp.broadcast_to(pred, fnp.shape(old)), new, old)


def _integrate(
    func: Callable,
    rtol: float,
    atol: float,
    mxstep: float,
    hmax: float,
    y0: Any,
    ts: Any,
    args: Any,
) -> Any:
    """The solution [len(ts), n] of ``dy/dt = func(y, t, args)`` on flat states."""

    def f(y: Any, t: Any) -> Any:
        return func(y, t, args)

    def to_target(carry: list[Any], target_t: Any) -> tuple[list[Any], Any]:
        def keep_going(state: list[Any]) -> Any:
            i, _, _, t, dt, _, _ = state
            return (t < target_t) & (i < mxstep) & (dt > 0)

        def step(state: list[Any]) -> list[Any]:
            i, y, fy, t, dt, last_t, coefficients = state
            next_y, next_f, error, k = _rk_step(f, y, fy, t, dt)
            ratio = _mean_error_ratio(error, rtol, atol, y, next_y)
            new_coefficients = _dense_output(y, next_y, k, dt)
            new_dt = fnp.clip(_optimal_step_size(dt, ratio), 0.0, hmax)
            accept = ratio <= 1.0
            return [
                i + 1,
                _select(accept, next_y, y),
                _select(accept, next_f, fy),
                _select(accept, t + dt, t),
                new_dt,
                _select(accept, t, last_t),
                _select(accept, new_coefficients, coefficients),
            ]

        _, *carry = lax.while_loop(keep_going, step, [fnp.asarray(0), *carry])
        _, _, t, _, last_t, coefficients = carry
        span = t - last_t
        fraction = (target_t - last_t) / fnp.where(span == 0, 1.0, span)
        return carry, _polyval(coefficients, fraction)

    t0 = ts[0]
    f0 = f(y0, t0)
    dt = fnp.clip(_initial_step_size(f, t0, y0, 4, rtol, atol, f0), 0.0, hmax)
    coefficients = fnp.stack([y0] * 5)
    _, ys = lax.scan(to_target, [y0, f0, t0, dt, t0, coefficients], ts[1:])
    return fnp.concatenate([y0[None], ys])


def _solver(func: Callable, rtol: float, atol: float, mxstep: float, hmax: float) -> custom_vjp:
    """The integrator for one flat ``func``, with the adjoint method as its reverse rule."""

    def solve(y0: Any, ts: Any, args: Any) -> Any:
        return _integrate(func, rtol, atol, mxstep, hmax, y0, ts, args)

    solve_vjp = custom_vjp(solve)

    def fwd(y0: Any, ts: Any, args: Any) -> tuple[Any, Any]:
        ys = solve(y0, ts, args)
        return ys, (ys, ts, args)

    def bwd(residuals: Any, g: Any) -> tuple[Any, Any, Any]:
        ys, ts, args = residuals

        def augmented(state: Any, minus_t: Any, args: Any) -> Any:
            # integrated in reversed time s = -t: d/ds (y, a, t_bar, args_bar)
            y, y_bar, _, _ = state
            y_dot, pullback = vjp(func, y, -minus_t, args)
            y_cot, t_cot, args_cot = pullback(y_bar)
            return (-y_dot, y_cot, t_cot, args_cot)

        def interval(carry: Any, xs: Any) -> Any:
            y_bar, t0_bar, args_bar = carry
            y_i, t_i, t_prev, g_i, g_prev = xs
            # moving the observation time t_i moves the output by f(y_i, t_i)
            t_bar = fnp.sum(func(y_i, t_i, args) * g_i)
            t0_bar = t0_bar - t_bar
            _, y_bar, t0_bar, args_bar = odeint(
                augmented,
                (y_i, y_bar, t0_bar, args_bar),
                fnp.stack([-t_i, -t_prev]),
                args,
                rtol=rtol,
                atol=atol,
                mxstep=mxstep,
                hmax=hmax,
            )
            y_bar, t0_bar, args_bar = tree.map(lambda x: x[1], (y_bar, t0_bar, args_bar))
            return (y_bar + g_prev, t0_bar, args_bar), t_bar

        init = (g[-1], fnp.zeros((), ts.dtype), tree.map(fnp.zeros_like, args))
        xs = (ys[:0:-1], ts[:0:-1], ts[-2::-1], g[:0:-1], g[-2::-1])
        (y_bar, t0_bar, args_bar), rev_t_bars = lax.scan(interval, init, xs)
        ts_bar = fnp.concatenate([fnp.reshape(t0_bar, (1,)), rev_t_bars[::-1]])
        return y_bar, ts_bar, args_bar

    solve_vjp.defvjp(fwd, bwd)
    return solve_vjp


# ----------------------------------------------------------------------------- the public call


def _flatten_state(y0: Any) -> tuple[Any, Callable[[Any], Any], Callable[[Any], Any], Any]:
    """``(flat vector, unflatten, unflatten rows of a [T, n] array, dtype)`` of a state."""
    leaves, treedef = tree.flatten(y0)
    if not leaves:
        raise ValueError("ftrans.experimental.ode.odeint: y0 has no arrays in it.")
    leaves = [fnp.asarray(x) for x in leaves]
    dtype = np.result_type(*[x.dtype for x in leaves], np.float32)
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.dtype("float64")
    shapes = [tuple(fnp.shape(x)) for x in leaves]
    sizes = [math.prod(s) for s in shapes]
    flat = fnp.concatenate([fnp.reshape(fnp.astype(x, dtype), (-1,)) for x in leaves])

    def unflatten(v: Any) -> Any:
        out, start = [], 0
        for shape, size, leaf in zip(shapes, sizes, leaves, strict=True):
            out.append(fnp.astype(fnp.reshape(v[start : start + size], shape), leaf.dtype))
            start += size
        return treedef.unflatten(out)

    def unflatten_rows(vs: Any) -> Any:
        out, start = [], 0
        n = fnp.shape(vs)[0]
        for shape, size, leaf in zip(shapes, sizes, leaves, strict=True):
            part = fnp.reshape(vs[:, start : start + size], (n, *shape))
            out.append(fnp.astype(part, leaf.dtype))
            start += size
        return treedef.unflatten(out)

    return flat, unflatten, unflatten_rows, dtype


def odeint(
    func: Callable[..., Any],
    y0: Any,
    t: Any,
    *args: Any,
    rtol: float = 1.4e-8,
    atol: float = 1.4e-8,
    mxstep: float = math.inf,
    hmax: float = math.inf,
) -> Any:
    """Solve ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``; return ``y`` at every ``t``.

    Adaptive Dormand-Prince 5(4) with JAX's step control and dense output. Differentiable
    with respect to ``y0``, ``t`` and ``args`` (and values ``func`` closes over) by the adjoint
    method: the backward pass integrates the adjoint system from ``t[-1]`` back to ``t[0]``
    with the same tolerances. Runs under ``jit`` and ``vmap``.

    Args:
        func: ``func(y, t, *args)`` returning ``dy/dt`` with ``y``'s pytree structure.
        y0: the initial state, any pytree of float arrays.
        t: 1-D increasing array of times; ``t[0]`` is the initial time.
        *args: extra arguments of ``func`` (arrays or scalars): the parameters to
            differentiate.
        rtol: relative tolerance of the local error.
        atol: absolute tolerance of the local error.
        mxstep: the most steps (accepted or rejected) between two consecutive times.
        hmax: the largest step.

    Returns:
        ``y``'s pytree with a leading axis of ``len(t)`` on every leaf.

    Raises:
        TypeError: ``t`` is not a float array, or an entry of ``args`` is not an array.

    Examples:
        A damped oscillator ``x'' = -x - 0.1 x'`` and the gradient of ``x(5)`` with respect
        to the damping:

        >>> import numpy as np
        >>> import ftrans as ft
        >>> from ftrans.experimental.ode import odeint
        >>> def f(y, t, c):
        ...     x, v = y
        ...     return (v, -x - c * v)
        >>> t = np.linspace(0.0, 5.0, 6)
        >>> xs, vs = odeint(f, (1.0, 0.0), t, 0.1)
        >>> np.round(xs, 4)
        array([ 1.    ,  0.555 , -0.3332, -0.8454, -0.5691,  0.1788])
        >>> x5 = lambda c: odeint(f, (1.0, 0.0), t, c)[0][-1]
        >>> dx5 = ft.grad(x5)(0.1)
        >>> fd = (x5(0.1 + 1e-6) - x5(0.1 - 1e-6)) / 2e-6
        >>> round(float(dx5), 4), bool(abs(dx5 - fd) < 1e-6)
        (-0.9175, True)
    """
    for leaf in tree.leaves(args):
        if not (hasattr(leaf, "dtype") or isinstance(leaf, (int, float, complex, np.number))):
            raise TypeError(
                "ftrans.experimental.ode.odeint: the *args must be arrays or scalars (pytrees "
                f"of them), got {leaf!r} (a {type(leaf).__name__}). Close over other values in "
                "func instead, e.g. with functools.partial."
            )
    t = fnp.asarray(t)
    if not np.issubdtype(t.dtype, np.floating):
        raise TypeError(
            f"ftrans.experimental.ode.odeint: t must be an array of floats, got dtype {t.dtype}; "
            "e.g. np.linspace(0.0, 1.0, 11)."
        )
    if fnp.ndim(t) != 1:
        raise ValueError(
            f"ftrans.experimental.ode.odeint: t must be 1-D (the output times), got shape "
            f"{fnp.shape(t)}."
        )
    y_flat, unflatten, unflatten_rows, dtype = _flatten_state(y0)
    t = fnp.astype(t, dtype) if np.dtype(dtype).itemsize > np.dtype(t.dtype).itemsize else t
    args = tree.map(fnp.asarray, args)
    arg_leaves, args_def = tree.flatten(args)
    n_args = len(arg_leaves)

    def flat_func(y: Any, time: Any, *rest: Any) -> list[Any]:
        dy = func(unflatten(y), time, *args_def.unflatten(rest))
        dy_leaves, dy_def = tree.flatten(dy)
        if len(dy_leaves) != len(tree.leaves(y0)):
            raise ValueError(
                "ftrans.experimental.ode.odeint: func must return dy/dt with y's pytree "
                f"structure ({tree.structure(y0)}), got {dy_def}."
            )
        return [
            fnp.concatenate(
                [fnp.reshape(fnp.astype(fnp.asarray(d), dtype), (-1,)) for d in dy_leaves]
            )
        ]

    # values of enclosing transformations that func closes over become explicit arguments,
    # so that gradients reach them through the adjoint
    program, captured = closure_convert(
        flat_func, avals_of([y_flat, t[0], *arg_leaves]), "odeint's func"
    )

    def program_func(y: Any, time: Any, all_args: Any) -> Any:
        consts, rest = all_args
        return run(program, [*consts, y, time, *rest])[0]

    solve = _solver(program_func, rtol, atol, mxstep, hmax)
    ys = solve(y_flat, t, (list(captured), arg_leaves[:n_args]))
    return unflatten_rows(ys)
