"""Parameter initialisers: each factory returns ``init(key, shape, dtype=...) -> array``.

A factory fixes the distribution (``glorot_uniform()``, ``normal(stddev=0.1)``...); the
returned ``init`` is a pure function of a PRNG key from [`ftrans.random`][ftrans.random], so
initialising a model is reproducible and works under ``jit`` and ``vmap`` (e.g. an ensemble of
models from a batch of keys).

Fans follow the usual convention: for a weight of shape ``(..., fan_in, fan_out)`` (``in_axis=-2``,
``out_axis=-1``), every other axis is a receptive field (a convolution kernel's spatial axes)
and multiplies both fans, except the ``batch_axis`` ones, which are ignored.

Examples:
    >>> import ftrans.random as fr
    >>> from ftrans.nn import initializers
    >>> init = initializers.glorot_uniform()
    >>> w = init(fr.key(0), (784, 256))
    >>> w.shape, w.dtype
    ((784, 256), dtype('float64'))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import DTypeLike

import ftrans.numpy as fnp
import ftrans.random as fr
from ftrans.random._prng import check_key, check_shape
from ftrans.typing import Array

Initializer = Callable[..., Array]
"""``init(key, shape, dtype=<the factory's dtype>) -> array``."""

# Standard deviation of a standard normal truncated to [-2, 2]: dividing by it makes the
# truncated draws have the requested variance.
_TRUNCATED_STD = math.sqrt(
    1 - 4 * math.exp(-2.0) / math.sqrt(2 * math.pi) / math.erf(2 / math.sqrt(2))
)


def _prepare(key, shape, dtype, name):
    key = check_key(key, f"ftrans.nn.initializers.{name}")
    shape = check_shape(shape, f"ftrans.nn.initializers.{name}")
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"ftrans.nn.initializers.{name}: dtype must be floating, got {dtype}")
    return key, shape, dtype


def zeros(key: Array, shape: Sequence[int], dtype: DTypeLike = np.float64) -> Array:
    """All zeros (the key is ignored); use it directly as an initialiser.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> initializers.zeros(fr.key(0), (2,)).tolist()
        [0.0, 0.0]
    """
    return fnp.zeros(check_shape(shape, "ftrans.nn.initializers.zeros"), dtype)


def ones(key: Array, shape: Sequence[int], dtype: DTypeLike = np.float64) -> Array:
    """All ones (the key is ignored); use it directly as an initialiser."""
    return fnp.ones(check_shape(shape, "ftrans.nn.initializers.ones"), dtype)


def constant(value: float, dtype: DTypeLike = np.float64) -> Initializer:
    """An initialiser that fills with ``value``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> initializers.constant(0.1)(fr.key(0), (2,)).tolist()
        [0.1, 0.1]
    """

    def init(key, shape, dtype=dtype):
        return fnp.full(check_shape(shape, "ftrans.nn.initializers.constant"), value, dtype)

    return init


def normal(stddev: float = 1e-2, dtype: DTypeLike = np.float64) -> Initializer:
    """An initialiser drawing from ``N(0, stddev**2)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> w = initializers.normal(0.5)(fr.key(0), (100_000,))
        >>> round(float(w.std()), 2)
        0.5
    """

    def init(key, shape, dtype=dtype):
        key, shape, dtype = _prepare(key, shape, dtype, "normal")
        return fnp.astype(fr.normal(key, shape) * stddev, dtype)

    return init


def uniform(scale: float = 1e-2, dtype: DTypeLike = np.float64) -> Initializer:
    """An initialiser drawing uniformly from ``[0, scale)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> w = initializers.uniform(2.0)(fr.key(0), (1000,))
        >>> bool(w.min() >= 0 and w.max() < 2)
        True
    """

    def init(key, shape, dtype=dtype):
        key, shape, dtype = _prepare(key, shape, dtype, "uniform")
        return fnp.astype(fr.uniform(key, shape) * scale, dtype)

    return init


def truncated_normal(
    stddev: float = 1e-2,
    dtype: DTypeLike = np.float64,
    lower: float = -2.0,
    upper: float = 2.0,
) -> Initializer:
    """An initialiser drawing ``stddev * z``, ``z`` standard normal restricted to [lower, upper].

    Note that the spread is ``stddev`` *before* truncation (so slightly less after), as in
    most libraries; [`variance_scaling`][ftrans.nn.initializers.variance_scaling] corrects for it.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> w = initializers.truncated_normal(1.0)(fr.key(0), (1000,))
        >>> bool(abs(w).max() <= 2.0)
        True
    """

    def init(key, shape, dtype=dtype):
        key, shape, dtype = _prepare(key, shape, dtype, "truncated_normal")
        return fnp.astype(fr.truncated_normal(key, lower, upper, shape) * stddev, dtype)

    return init


def _fans(shape, in_axis, out_axis, batch_axis, name):
    if len(shape) < 2:
        raise ValueError(
            f"ftrans.nn.initializers.{name}: fan-based initialisers need a shape with at least "
            f"2 axes (inputs and outputs), got {shape}. For a bias use zeros or normal(stddev)."
        )
    ndim = len(shape)
    batch = {a % ndim for a in ((batch_axis,) if isinstance(batch_axis, int) else batch_axis)}
    in_axes = {a % ndim for a in ((in_axis,) if isinstance(in_axis, int) else in_axis)}
    out_axes = {a % ndim for a in ((out_axis,) if isinstance(out_axis, int) else out_axis)}
    size = lambda axes: math.prod(shape[a] for a in axes)
    receptive = size(set(range(ndim)) - batch - in_axes - out_axes)
    return size(in_axes) * receptive, size(out_axes) * receptive


def variance_scaling(
    scale: float,
    mode: Literal["fan_in", "fan_out", "fan_avg"],
    distribution: Literal["truncated_normal", "normal", "uniform"],
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike = np.float64,
) -> Initializer:
    """An initialiser whose draws have variance ``scale / n``, ``n`` chosen by ``mode``.

    Args:
        scale: the variance numerator (1 for Glorot/LeCun, 2 for He).
        mode: ``n`` is ``fan_in``, ``fan_out`` or their average ``fan_avg``.
        distribution: ``"truncated_normal"`` (normal cut at two standard deviations,
            rescaled so that the variance is still ``scale / n``), ``"normal"``, or
            ``"uniform"`` (on ``[-sqrt(3 scale / n), sqrt(3 scale / n))``).
        in_axis: axis or axes of the inputs.
        out_axis: axis or axes of the outputs.
        batch_axis: axes that are neither (ignored when counting fans).
        dtype: default dtype of the draws.

    Returns:
        ``init(key, shape, dtype=dtype)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> init = initializers.variance_scaling(2.0, "fan_in", "normal")
        >>> w = init(fr.key(0), (200, 500))
        >>> round(float(w.var() * 200), 1)
        2.0
    """
    return _variance_scaling(
        scale, mode, distribution, in_axis, out_axis, batch_axis, dtype, "variance_scaling"
    )


def _variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype, name):
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"variance_scaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(
            "variance_scaling: distribution must be truncated_normal, normal or uniform, got "
            f"{distribution!r}"
        )

    def init(key, shape, dtype=dtype):
        key, shape, dtype = _prepare(key, shape, dtype, name)
        fan_in, fan_out = _fans(shape, in_axis, out_axis, batch_axis, name)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        std = math.sqrt(scale / max(n, 1))
        if distribution == "truncated_normal":
            draws = fr.truncated_normal(key, -2.0, 2.0, shape) * (std / _TRUNCATED_STD)
        elif distribution == "normal":
            draws = fr.normal(key, shape) * std
        else:
            draws = fr.uniform(key, shape, minval=-1.0, maxval=1.0) * (math.sqrt(3.0) * std)
        return fnp.astype(draws, dtype)

    return init


def glorot_uniform(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike = np.float64,
) -> Initializer:
    """Glorot (Xavier) uniform: variance ``1 / n``, ``n`` the average of the two fans.

    The same as ``variance_scaling(1.0, "fan_avg", "uniform", ...)``.

    Args:
        in_axis: axis or axes of the inputs.
        out_axis: axis or axes of the outputs.
        batch_axis: axes ignored when counting fans.
        dtype: default dtype of the draws.

    Returns:
        ``init(key, shape, dtype=dtype)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> initializers.glorot_uniform()(fr.key(0), (3, 4)).shape
        (3, 4)
    """
    return _variance_scaling(
        1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype, "glorot_uniform"
    )


def glorot_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike = np.float64,
) -> Initializer:
    """Glorot (Xavier) normal (truncated): variance ``1 / n``, ``n`` the average of the fans.

    The same as ``variance_scaling(1.0, "fan_avg", "truncated_normal", ...)``.

    Args:
        in_axis: axis or axes of the inputs.
        out_axis: axis or axes of the outputs.
        batch_axis: axes ignored when counting fans.
        dtype: default dtype of the draws.

    Returns:
        ``init(key, shape, dtype=dtype)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> initializers.glorot_normal()(fr.key(0), (3, 4)).shape
        (3, 4)
    """
    return _variance_scaling(
        1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis, dtype, "glorot_normal"
    )


def he_uniform(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike = np.float64,
) -> Initializer:
    """He (Kaiming) uniform, for ReLU networks: variance ``2 / fan_in``.

    The same as ``variance_scaling(2.0, "fan_in", "uniform", ...)``.

    Args:
        in_axis: axis or axes of the inputs.
        out_axis: axis or axes of the outputs.
        batch_axis: axes ignored when counting fans.
        dtype: default dtype of the draws.

    Returns:
        ``init(key, shape, dtype=dtype)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> initializers.he_uniform()(fr.key(0), (3, 4)).shape
        (3, 4)
    """
    return _variance_scaling(
        2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype, "he_uniform"
    )


def he_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike = np.float64,
) -> Initializer:
    """He (Kaiming) normal (truncated), for ReLU networks: variance ``2 / fan_in``.

    The same as ``variance_scaling(2.0, "fan_in", "truncated_normal", ...)``.

    Args:
        in_axis: axis or axes of the inputs.
        out_axis: axis or axes of the outputs.
        batch_axis: axes ignored when counting fans.
        dtype: default dtype of the draws.

    Returns:
        ``init(key, shape, dtype=dtype)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> initializers.he_normal()(fr.key(0), (3, 4)).shape
        (3, 4)
    """
    return _variance_scaling(
        2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype, "he_normal"
    )


def lecun_uniform(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike = np.float64,
) -> Initializer:
    """LeCun uniform: variance ``1 / fan_in``.

    The same as ``variance_scaling(1.0, "fan_in", "uniform", ...)``.

    Args:
        in_axis: axis or axes of the inputs.
        out_axis: axis or axes of the outputs.
        batch_axis: axes ignored when counting fans.
        dtype: default dtype of the draws.

    Returns:
        ``init(key, shape, dtype=dtype)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> initializers.lecun_uniform()(fr.key(0), (3, 4)).shape
        (3, 4)
    """
    return _variance_scaling(
        1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype, "lecun_uniform"
    )


def lecun_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike = np.float64,
) -> Initializer:
    """LeCun normal (truncated): variance ``1 / fan_in``.

    The same as ``variance_scaling(1.0, "fan_in", "truncated_normal", ...)``.

    Args:
        in_axis: axis or axes of the inputs.
        out_axis: axis or axes of the outputs.
        batch_axis: axes ignored when counting fans.
        dtype: default dtype of the draws.

    Returns:
        ``init(key, shape, dtype=dtype)``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> initializers.lecun_normal()(fr.key(0), (3, 4)).shape
        (3, 4)
    """
    return _variance_scaling(
        1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype, "lecun_normal"
    )


def orthogonal(
    scale: float = 1.0, column_axis: int = -1, dtype: DTypeLike = np.float64
) -> Initializer:
    """An initialiser of (semi-)orthogonal matrices: the Q factor of a normal draw, its
    columns' signs fixed by R's diagonal (JAX's algorithm), times ``scale``.

    The axis ``column_axis`` holds the columns; every other axis is flattened into rows. With
    at least as many rows as columns the columns are orthonormal, otherwise the rows are.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> w = initializers.orthogonal()(fr.key(0), (4, 3))
        >>> np.allclose(w.T @ w, np.eye(3))
        True
    """

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = dtype) -> Array:
        key, shape, dtype = _prepare(key, shape, dtype, "orthogonal")
        if len(shape) < 2:
            raise ValueError(
                f"ftrans.nn.initializers.orthogonal: shape {shape} has fewer than 2 axes."
            )
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        wide = n_rows < n_cols
        draw = fr.normal(key, (n_cols, n_rows) if wide else (n_rows, n_cols), dtype)
        q, r = fnp.linalg.qr(draw)
        q = q * fnp.sign(fnp.diagonal(r))
        if wide:
            q = q.T
        rest = [d for i, d in enumerate(shape) if i != column_axis % len(shape)]
        q = fnp.moveaxis(fnp.reshape(q, (*rest, n_cols)), -1, column_axis)
        return fnp.astype(scale * q, dtype)

    return init


def delta_orthogonal(
    scale: float = 1.0, column_axis: int = -1, dtype: DTypeLike = np.float64
) -> Initializer:
    """An initialiser for convolution kernels of shape ``(*spatial, in, out)`` (1 to 3 spatial
    axes): zeros except an orthogonal ``(in, out)`` matrix at the spatial centre, so the
    convolution starts as an orthogonal map (the "delta orthogonal" scheme). Needs
    ``in <= out``.

    Examples:
        >>> import ftrans.random as fr
        >>> from ftrans.nn import initializers
        >>> w = initializers.delta_orthogonal()(fr.key(0), (3, 3, 2, 4))
        >>> float(abs(w[0, 0]).sum()), w[1, 1].shape
        (0.0, (2, 4))
    """

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = dtype) -> Array:
        key, shape, dtype = _prepare(key, shape, dtype, "delta_orthogonal")
        if len(shape) not in (3, 4, 5):
            raise ValueError(
                "ftrans.nn.initializers.delta_orthogonal: the kernel must have 3, 4 or 5 axes "
                f"(spatial..., in, out), got shape {shape}."
            )
        if shape[-2] > shape[-1]:
            raise ValueError(
                "ftrans.nn.initializers.delta_orthogonal: needs in <= out channels, got "
                f"in={shape[-2]}, out={shape[-1]}."
            )
        ortho = orthogonal(scale, column_axis, dtype)(key, shape[-2:], dtype)
        centre = tuple(d // 2 for d in shape[:-2])
        return fnp.at(fnp.zeros(shape, dtype))[centre].set(ortho)

    return init


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal

__all__ = [
    "Initializer",
    "constant",
    "delta_orthogonal",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]
