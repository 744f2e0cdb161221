"""The rest of ``jax.nn``'s activations and normalisers, with JAX's formulas and JAX's
derivative conventions at the kinks (e.g. ``relu6`` has derivative 0 at 0 and at 6)."""

from __future__ import annotations

import math

import ftrans.numpy as fnp
from ftrans.custom_derivatives import custom_jvp
from ftrans.nn._activations import _floating, elu, logsumexp, sigmoid, softplus
from ftrans.numpy._util import normalize_axes
from ftrans.typing import Array, ArrayLike


def identity(x: ArrayLike) -> Array:
    """``x`` itself (as an array).

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.identity([1.0, -2.0]).tolist()
        [1.0, -2.0]
    """
    return fnp.asarray(x)


def tanh(x: ArrayLike) -> Array:
    """Hyperbolic tangent (``ftrans.numpy.tanh``).

    Examples:
        >>> import ftrans.nn as nn
        >>> float(nn.tanh(0.0))
        0.0
    """
    return fnp.tanh(_floating(x))


@custom_jvp
def relu6(x: ArrayLike) -> Array:
    """``min(max(x, 0), 6)``; its derivative is 0 at both kinks (0 and 6), as in JAX.

    Examples:
        >>> import ftrans as ft, ftrans.nn as nn
        >>> nn.relu6([-1.0, 3.0, 7.0]).tolist()
        [0.0, 3.0, 6.0]
        >>> float(ft.grad(nn.relu6)(6.0))
        0.0
    """
    x = _floating(x)
    return fnp.minimum(fnp.maximum(x, 0.0), 6.0)


@relu6.defjvp
def _relu6_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    x = _floating(x)
    return relu6(x), fnp.where((x > 0) & (x < 6), t, fnp.zeros_like(t))


def hard_sigmoid(x: ArrayLike) -> Array:
    """``relu6(x + 3) / 6``, a piecewise-linear sigmoid.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.hard_sigmoid([-4.0, 0.0, 4.0]).tolist()
        [0.0, 0.5, 1.0]
    """
    return relu6(_floating(x) + 3.0) / 6.0


def hard_silu(x: ArrayLike) -> Array:
    """``x * hard_sigmoid(x)`` (also called hard swish).

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.hard_silu([-4.0, 0.0, 4.0]).tolist()
        [-0.0, 0.0, 4.0]
    """
    x = _floating(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x: ArrayLike) -> Array:
    """``x`` clipped to ``[-1, 1]``; derivative 1 at the edges (as JAX's).

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.hard_tanh([-2.0, 0.5, 2.0]).tolist()
        [-1.0, 0.5, 1.0]
    """
    x = _floating(x)
    return fnp.where(x > 1, 1.0, fnp.where(x < -1, -1.0, x))


def celu(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``.

    Examples:
        >>> import ftrans.nn as nn
        >>> [round(v, 4) for v in nn.celu([-1.0, 2.0], alpha=0.5).tolist()]
        [-0.4323, 2.0]
    """
    x = _floating(x)
    return fnp.maximum(x, 0.0) + alpha * fnp.expm1(fnp.minimum(x, 0.0) / alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: ArrayLike) -> Array:
    """Scaled ELU: ``scale * elu(x, alpha)`` with the self-normalising constants
    ``alpha = 1.6732632423543772``, ``scale = 1.0507009873554805``.

    Examples:
        >>> import ftrans.nn as nn
        >>> [round(v, 4) for v in nn.selu([-1.0, 1.0]).tolist()]
        [-1.1113, 1.0507]
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def glu(x: ArrayLike, axis: int = -1) -> Array:
    """Gated linear unit: split ``x`` in two halves along ``axis``, return ``a * sigmoid(b)``.

    Raises:
        ValueError: the axis has odd length.

    Examples:
        >>> import ftrans.nn as nn
        >>> [round(v, 4) for v in nn.glu([1.0, 2.0, 0.0, 1.0]).tolist()]
        [0.5, 1.4621]
    """
    x = _floating(x)
    n = fnp.shape(x)[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} has length {n}, which is odd; it must split in two.")
    a, b = fnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


def mish(x: ArrayLike) -> Array:
    """``x * tanh(softplus(x))``.

    Examples:
        >>> import ftrans.nn as nn
        >>> round(float(nn.mish(1.0)), 6)
        0.865098
    """
    x = _floating(x)
    return x * fnp.tanh(softplus(x))


def soft_sign(x: ArrayLike) -> Array:
    """``x / (|x| + 1)``.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.soft_sign([-3.0, 1.0]).tolist()
        [-0.75, 0.5]
    """
    x = _floating(x)
    return x / (fnp.abs(x) + 1.0)


def sparse_plus(x: ArrayLike) -> Array:
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between (a smooth ReLU).

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.sparse_plus([-2.0, 0.0, 2.0]).tolist()
        [0.0, 0.25, 2.0]
    """
    x = _floating(x)
    return fnp.where(x <= -1.0, 0.0, fnp.where(x >= 1.0, x, (x + 1.0) ** 2 / 4.0))


def sparse_sigmoid(x: ArrayLike) -> Array:
    """``clip(x + 1, 0, 2) / 2``, the derivative of `sparse_plus`.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.sparse_sigmoid([-2.0, 0.0, 2.0]).tolist()
        [0.0, 0.5, 1.0]
    """
    return 0.5 * fnp.clip(_floating(x) + 1.0, 0.0, 2.0)


def squareplus(x: ArrayLike, b: ArrayLike = 4) -> Array:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.squareplus([0.0, 1.5]).tolist()
        [1.0, 2.0]
    """
    x = _floating(x)
    return (x + fnp.sqrt(x * x + b)) / 2.0


_LOG_2 = math.log(2.0)


def log1mexp(x: ArrayLike) -> Array:
    """``log(1 - exp(-x))`` for ``x > 0``, accurate for small and large ``x``.

    Uses ``log(-expm1(-x))`` below ``log 2`` and ``log1p(-exp(-x))`` above.

    Examples:
        >>> import ftrans.nn as nn
        >>> [round(v, 6) for v in nn.log1mexp([1e-3, 50.0]).tolist()]
        [-6.908255, -0.0]
    """
    x = _floating(x)
    small = x < _LOG_2
    low = fnp.where(small, x, 1.0)  # keep the unused branch finite (and its gradient)
    high = fnp.where(small, 1.0, x)
    return fnp.where(small, fnp.log(-fnp.expm1(-low)), fnp.log1p(-fnp.exp(-high)))


def standardize(
    x: ArrayLike,
    axis: int | tuple[int, ...] | None = -1,
    mean: ArrayLike | None = None,
    variance: ArrayLike | None = None,
    epsilon: ArrayLike = 1e-5,
    where: ArrayLike | None = None,
    *,
    algorithm: str = "fast",
) -> Array:
    """``(x - mean) / sqrt(variance + epsilon)`` along ``axis`` (layer normalisation's core).

    Args:
        x: input.
        axis: axis or axes to normalise over.
        mean: optional precomputed mean (broadcastable); else the mean over ``axis``.
        variance: optional precomputed variance; else computed as ``algorithm`` says.
        epsilon: added to the variance.
        where: optional mask of the entries that count in the mean and variance.
        algorithm: ``"fast"`` (``mean(x**2) - mean**2``, clipped at 0, as JAX's default) or
            ``"stable"`` (``mean((x - mean)**2)``).

    Examples:
        >>> import ftrans.nn as nn
        >>> [round(v, 4) for v in nn.standardize([1.0, 2.0, 3.0]).tolist()]
        [-1.2247, 0.0, 1.2247]
    """
    x = _floating(x)
    axes = normalize_axes(axis, fnp.ndim(x))
    if mean is None:
        mean = fnp.mean(x, axis=axes, keepdims=True, where=where)
    if variance is None:
        if algorithm == "stable":
            variance = fnp.mean(fnp.square(x - mean), axis=axes, keepdims=True, where=where)
        elif algorithm == "fast":
            variance = fnp.mean(fnp.square(x), axis=axes, keepdims=True, where=where)
            variance = fnp.maximum(variance - fnp.square(mean), 0.0)
        else:
            raise ValueError(f"standardize: algorithm={algorithm!r} is not 'fast' or 'stable'.")
    return (x - mean) / fnp.sqrt(variance + epsilon)


def logmeanexp(
    x: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
) -> Array:
    """``log(mean(exp(x), axis))``: `logsumexp` minus the log of the number of entries.

    Examples:
        >>> import numpy as np, ftrans.nn as nn
        >>> float(nn.logmeanexp(np.array([0.0, 0.0, 0.0])))
        0.0
    """
    x = _floating(x)
    lse = logsumexp(x, axis=axis, keepdims=keepdims, where=where)
    ones = fnp.ones(fnp.shape(x), x.dtype)
    count = fnp.sum(
        ones if where is None else fnp.where(where, ones, 0.0), axis=axis, keepdims=keepdims
    )
    return lse - fnp.log(count)
