"""Activation functions and normalisers (softmax, logsumexp), built on ``ftrans.numpy``."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

import ftrans.lax as lax
import ftrans.numpy as fnp
from ftrans.numpy._util import normalize_axes
from ftrans.random._special import erfc
from ftrans.typing import Array, ArrayLike


def _floating(x) -> Array:
    """``x`` as an array of a floating dtype (integers and bools become float64)."""
    x = fnp.asarray(x)
    return x if np.issubdtype(x.dtype, np.inexact) else fnp.astype(x, np.float64)


def relu(x: ArrayLike) -> Array:
    """Rectified linear unit, ``max(x, 0)``; its derivative at 0 is taken to be 0.

    Examples:
        >>> import ftrans as ft, ftrans.nn as nn
        >>> nn.relu([-1.0, 0.0, 2.0]).tolist()
        [0.0, 0.0, 2.0]
        >>> float(ft.grad(nn.relu)(0.0))
        0.0
    """
    x = fnp.asarray(x)
    return fnp.where(x > 0, x, 0)


def leaky_relu(x: ArrayLike, negative_slope: float = 1e-2) -> Array:
    """``x`` where ``x >= 0``, else ``negative_slope * x``.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.leaky_relu([-1.0, 2.0], negative_slope=0.1).tolist()
        [-0.1, 2.0]
    """
    x = _floating(x)
    return fnp.where(x >= 0, x, negative_slope * x)


def elu(x: ArrayLike, alpha: float = 1.0) -> Array:
    """Exponential linear unit: ``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Examples:
        >>> import ftrans.nn as nn
        >>> [round(v, 4) for v in nn.elu([-1.0, 2.0]).tolist()]
        [-0.6321, 2.0]
    """
    x = _floating(x)
    negative = fnp.where(x > 0, 0.0, x)  # keeps expm1 of the unused branch from overflowing
    return fnp.where(x > 0, x, alpha * fnp.expm1(negative))


def sigmoid(x: ArrayLike) -> Array:
    """The logistic function ``1 / (1 + exp(-x))``, without overflow for any ``x``.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.sigmoid([-1000.0, 0.0, 1000.0]).tolist()
        [0.0, 0.5, 1.0]
    """
    return lax.logistic(_floating(x))


def silu(x: ArrayLike) -> Array:
    """Sigmoid linear unit (also called swish): ``x * sigmoid(x)``.

    Examples:
        >>> import ftrans.nn as nn
        >>> round(float(nn.silu(1.0)), 6)
        0.731059
    """
    x = _floating(x)
    return x * lax.logistic(x)


swish = silu


def softplus(x: ArrayLike) -> Array:
    """``log(1 + exp(x))``, computed as ``logaddexp(x, 0)`` so that it never overflows.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.softplus([-1000.0, 1000.0]).tolist()
        [0.0, 1000.0]
    """
    return fnp.logaddexp(_floating(x), 0.0)


def log_sigmoid(x: ArrayLike) -> Array:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for every finite ``x``.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.log_sigmoid([-1000.0, 1000.0]).tolist()
        [-1000.0, -0.0]
    """
    return -softplus(-_floating(x))


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    """Gaussian error linear unit, ``x * Phi(x)`` with ``Phi`` the standard normal CDF.

    Args:
        x: input.
        approximate: use the tanh approximation
            ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))`` (the default, as in most
            models); ``False`` gives the exact ``0.5 x erfc(-x / sqrt(2))``, with an ``erfc``
            accurate to about 1e-14 relative (ftrans has no erf primitive: it is a Chebyshev
            fit written with ``ftrans.numpy``, see ``ftrans.random._special``).

    Examples:
        >>> import ftrans.nn as nn
        >>> round(float(nn.gelu(1.0)), 6), round(float(nn.gelu(1.0, approximate=False)), 6)
        (0.841192, 0.841345)
    """
    x = _floating(x)
    if approximate:
        # tanh is exactly +-1 in float64 beyond |x| = 10; clipping keeps x**3 from overflowing
        near = fnp.clip(x, -10.0, 10.0)
        inner = _SQRT_2_OVER_PI * (near + 0.044715 * (near * near * near))
        return 0.5 * x * (1.0 + fnp.tanh(inner))
    return 0.5 * x * erfc(x * (-1.0 / math.sqrt(2.0)))


# ----------------------------------------------------------------------------- normalisers


def _stable_shift(x, axis):
    """The maximum along ``axis`` (kept), with no gradient, and 0 where it is not finite.

    Subtracting it makes every exponent <= 0. A row of only ``-inf`` gets 0 instead of
    ``-inf``, so ``x - shift`` stays ``-inf`` there rather than becoming NaN.
    """
    peak = fnp.max(x, axis=axis, keepdims=True)
    return lax.stop_gradient(fnp.where(fnp.isfinite(peak), peak, 0))


def _drop_axes(x, axes):
    return fnp.squeeze(x, axis=axes) if axes else x


def logsumexp(
    a: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
):
    """``log(sum(b * exp(a), axis))``, without overflow or underflow.

    The maximum is subtracted first (with ``stop_gradient``: the result does not depend on it),
    so large entries do not overflow. Entries of ``-inf`` contribute nothing and get a zero
    gradient; a slice of only ``-inf`` gives ``-inf`` with zero gradient, never NaN.

    Args:
        a: the exponents.
        axis: axis or axes to reduce (``None``: all).
        b: optional weights, broadcast against ``a``; may be negative with ``return_sign``.
        keepdims: keep the reduced axes with size 1.
        return_sign: also return the sign of the sum, and take the log of its magnitude.
            Without it, a negative weighted sum gives NaN.

    Returns:
        The reduced log-sum-exp, or ``(log|sum|, sign(sum))`` with ``return_sign``.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.nn as nn
        >>> float(nn.logsumexp(np.array([1000.0, 1000.0])))  # 1000 + log 2
        1000.6931471805599
        >>> ft.grad(nn.logsumexp)(np.array([0.0, -np.inf])).tolist()
        [1.0, 0.0]
    """
    a = _floating(a)
    if b is not None:
        b = fnp.asarray(b)
        dtype = fnp.result_type(a, b)
        a, b = fnp.broadcast_arrays(fnp.astype(a, dtype), fnp.astype(b, dtype))
    axes = normalize_axes(axis, fnp.ndim(a))
    shift = _stable_shift(a, axes)
    terms = fnp.exp(a - shift)
    if b is not None:
        terms = terms * b
    total = fnp.sum(terms, axis=axes, keepdims=True)
    magnitude = fnp.abs(total) if return_sign else total
    positive = magnitude > 0
    log_total = fnp.log(fnp.where(positive, magnitude, 1.0))
    # 0 -> -inf; a negative sum without return_sign -> NaN (as does a NaN input)
    # (constants of log_total's dtype: two Python floats would make float32 input float64)
    inf, nan = np.array(-np.inf, log_total.dtype), np.array(np.nan, log_total.dtype)
    out = fnp.where(positive, log_total, fnp.where(magnitude == 0, inf, nan)) + shift
    out = out if keepdims else _drop_axes(out, axes)
    if not return_sign:
        return out
    sign = fnp.sign(total)
    return out, (sign if keepdims else _drop_axes(sign, axes))


def softmax(x: ArrayLike, axis: int | tuple[int, ...] = -1) -> Array:
    """``exp(x) / sum(exp(x), axis)``, computed after subtracting the maximum.

    A slice of only ``-inf`` (e.g. a fully masked row) gives zeros, not NaN.

    Examples:
        >>> import ftrans.nn as nn
        >>> [round(v, 4) for v in nn.softmax([1.0, 2.0, 3.0]).tolist()]
        [0.09, 0.2447, 0.6652]
        >>> nn.softmax([1000.0, 1000.0]).tolist()
        [0.5, 0.5]
    """
    x = _floating(x)
    axes = normalize_axes(axis, fnp.ndim(x))
    unnormalized = fnp.exp(x - _stable_shift(x, axes))
    total = fnp.sum(unnormalized, axis=axes, keepdims=True)
    return unnormalized / fnp.where(total > 0, total, 1.0)


def log_softmax(x: ArrayLike, axis: int | tuple[int, ...] = -1) -> Array:
    """``x - logsumexp(x, axis)``: log-probabilities, accurate even where they are tiny.

    A slice of only ``-inf`` gives ``-inf`` everywhere, not NaN.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.log_softmax([0.0, -1000.0]).tolist()
        [0.0, -1000.0]
    """
    x = _floating(x)
    axes = normalize_axes(axis, fnp.ndim(x))
    shifted = x - _stable_shift(x, axes)
    total = fnp.sum(fnp.exp(shifted), axis=axes, keepdims=True)
    out = shifted - fnp.log(fnp.where(total > 0, total, 1.0))
    return fnp.where(total == 0, -np.inf, out)  # all -inf: -inf with zero gradient


def one_hot(x: ArrayLike, num_classes: int, dtype: DTypeLike = np.float64, axis: int = -1) -> Array:
    """One-hot encoding of integer labels: ``out[..., c] = (x[...] == c)``.

    Labels outside ``0..num_classes-1`` give an all-zero row.

    Args:
        x: integer labels, any shape.
        num_classes: the number of classes (a Python int).
        dtype: dtype of the result.
        axis: where the new class axis goes in the result.

    Returns:
        An array of shape ``x.shape`` with ``num_classes`` inserted at ``axis``.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.one_hot([0, 2], 3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    x = fnp.asarray(x)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(
            f"one_hot: labels must be integers, got dtype {x.dtype}; convert them with "
            "x.astype(int) (rounding first if they are floats that hold integers)."
        )
    hits = fnp.expand_dims(x, -1) == fnp.arange(int(num_classes))
    out = fnp.astype(hits, dtype)
    return fnp.moveaxis(out, -1, axis) if axis != -1 else out
