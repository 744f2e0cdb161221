"""``ftrans.scipy.integrate``: the trapezoidal rule (``trapezoid``, ``cumulative_trapezoid``) and
Simpson's rule (``simpson``) on samples, like ``jax.scipy.integrate`` / ``scipy.integrate``;
differentiable in ``y`` and ``x``, batched, jittable."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError, format_frame, user_frame

__all__ = ["cumulative_trapezoid", "simpson", "trapezoid"]


def _at() -> str:
    return format_frame(user_frame())


def _float(x):
    x = x if isinstance(x, (Tracer, np.ndarray)) else np.asarray(x)
    if not np.issubdtype(x.dtype, np.inexact):
        x = fnp.asarray(x, dtype=np.float64)
    return x


def _moved(fname, y, x, axis):
    """``y`` (and ``x``) with the integration axis last; ``x`` 1-D or shaped like ``y``."""
    y = _float(y)
    if y.ndim == 0:
        raise ShapeError(f"{fname}: y must have at least one dimension (at {_at()}).")
    axis = int(axis)
    if not -y.ndim <= axis < y.ndim:
        raise ShapeError(f"{fname}: axis {axis} is out of range for y of shape {shape_of(y)}")
    y = fnp.moveaxis(y, axis, -1)
    if x is not None:
        x = _float(x)
        if x.ndim == 1:
            if shape_of(x)[0] != shape_of(y)[-1]:
                raise ShapeError(
                    f"{fname}: x has {shape_of(x)[0]} samples but y has {shape_of(y)[-1]} along "
                    f"axis {axis} (at {_at()})."
                )
        else:
            x = fnp.moveaxis(x, axis, -1)
    return y, x


def _spacing(y, x, dx):
    return dx if x is None else x[..., 1:] - x[..., :-1]


def trapezoid(y, x=None, dx=1.0, axis: int = -1):
    """The integral of samples ``y`` along ``axis`` by the trapezoidal rule, like
    ``scipy.integrate.trapezoid``: at points ``x`` (1-D, or shaped like ``y``) or spacing
    ``dx``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy.integrate import trapezoid
        >>> float(trapezoid(np.array([0.0, 1.0, 4.0]), x=np.array([0.0, 1.0, 2.0])))
        3.0
    """
    y, x = _moved("trapezoid", y, x, axis)
    d = _spacing(y, x, dx)
    return fnp.sum(d * (y[..., 1:] + y[..., :-1]) / 2.0, axis=-1)


def cumulative_trapezoid(y, x=None, dx=1.0, axis: int = -1, initial=None):
    """The running trapezoidal integral along ``axis``, like
    ``scipy.integrate.cumulative_trapezoid``: one entry fewer than ``y`` unless
    ``initial`` (which SciPy only allows to be 0) is prepended.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy.integrate import cumulative_trapezoid
        >>> cumulative_trapezoid(np.array([0.0, 1.0, 4.0]), initial=0).tolist()
        [0.0, 0.5, 3.0]
    """
    if initial is not None and initial != 0:
        raise ValueError(
            f"cumulative_trapezoid: initial must be None or 0 (as in SciPy), got {initial!r}"
        )
    y, x = _moved("cumulative_trapezoid", y, x, axis)
    d = _spacing(y, x, dx)
    out = fnp.cumsum(d * (y[..., 1:] + y[..., :-1]) / 2.0, axis=-1)
    if initial is not None:
        out = fnp.concatenate([fnp.zeros(shape_of(out)[:-1] + (1,), out.dtype), out], axis=-1)
    return fnp.moveaxis(out, -1, axis)


def _simpson_pairs(y, h0, h1):
    """Composite Simpson over consecutive interval pairs (non-uniform spacing h0, h1)."""
    hsum = h0 + h1
    return fnp.sum(
        hsum
        / 6.0
        * (
            y[..., :-2:2] * (2.0 - h1 / h0)
            + y[..., 1:-1:2] * hsum * hsum / (h0 * h1)
            + y[..., 2::2] * (2.0 - h0 / h1)
        ),
        axis=-1,
    )


def simpson(y, *, x=None, dx=1.0, axis: int = -1):
    """The integral of samples ``y`` by Simpson's rule, like ``scipy.integrate.simpson``
    (SciPy >= 1.11): for an even number of samples the last interval gets Cartwright's
    correction, as SciPy does.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy.integrate import simpson
        >>> round(float(simpson(np.array([0.0, 1.0, 4.0, 9.0]), dx=1.0)), 12)
        9.0
    """
    y, x = _moved("simpson", y, x, axis)
    n = shape_of(y)[-1]
    if x is None:
        h = fnp.full(shape_of(y)[:-1] + (n - 1,), dx, dtype=y.dtype) if n > 1 else None
    else:
        h = x[..., 1:] - x[..., :-1]
        if h.ndim < y.ndim:
            h = fnp.broadcast_to(h, shape_of(y)[:-1] + (n - 1,))
    if n == 1:
        return fnp.zeros(shape_of(y)[:-1], y.dtype)
    if n == 2:
        return h[..., 0] * (y[..., 0] + y[..., 1]) / 2.0
    if n % 2 == 1:
        return _simpson_pairs(y, h[..., :-1:2], h[..., 1::2])
    # even: Simpson on the first n - 1 samples, then the last interval from a parabola through
    # the last three samples (Cartwright 2017)
    total = _simpson_pairs(y[..., :-1], h[..., :-2:2], h[..., 1:-1:2])
    h0, h1 = h[..., -2], h[..., -1]
    alpha = (2 * h1 * h1 + 3 * h0 * h1) / (6 * (h0 + h1))
    beta = (h1 * h1 + 3 * h0 * h1) / (6 * h0)
    eta = h1 * h1 * h1 / (6 * h0 * (h0 + h1))
    return total + alpha * y[..., -1] + beta * y[..., -2] - eta * y[..., -3]
