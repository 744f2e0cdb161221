"""The continuous samplers, each ``jax.random``'s algorithm step for step (so its numbers).

Every sampler is a deterministic function of a key, a shape and parameters, written in
``ftrans.numpy`` operations (plus the few primitives of ``_ops``), so it traces, batches and
differentiates; derivatives wrt the parameters are the reparameterisation gradients of these
formulas, and the key has none.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

import ftrans.numpy as fnp
from ftrans.numpy._util import tracing
from ftrans.random import _normal, _special
from ftrans.random._ops import fma, nextafter, random_unit_p
from ftrans.random._prng import (
    _size,
    broadcast_shape,
    check_count,
    check_key,
    check_shape,
    random_bits,
    split,
)
from ftrans.typing import Array, ArrayLike

Shape = int | tuple[int, ...]

# ----------------------------------------------------------------------------- helpers


def float_dtype(dtype, fn: str, *, complex_ok: bool = False) -> np.dtype:
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    if not (np.issubdtype(dtype, np.floating) or (complex_ok and dtype.kind == "c")):
        raise ValueError(
            f"ftrans.random.{fn}: dtype must be a floating dtype, got {dtype} (as in jax.random)"
        )
    return dtype


def float_args(name: str, key, shape, dtype, *params) -> tuple[Array, tuple[int, ...], np.dtype]:
    """``(key, shape, dtype)`` of the float sampler ``ftrans.random.<name>``, checked: the PRNG
    key, then a floating dtype (default float64), then the sample shape. Without ``params``
    the shape is taken as given; with the distribution's parameters it is `broadcast_shape`'s
    (None: theirs; else one they broadcast to)."""
    fn = f"ftrans.random.{name}"
    key = check_key(key, fn)
    dtype = float_dtype(dtype, name)
    shape = broadcast_shape(fn, shape, *params) if params else check_shape(shape, fn)
    return key, shape, dtype


def int_dtype(dtype, fn: str) -> np.dtype:
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    if not np.issubdtype(dtype, np.integer):
        raise TypeError(f"ftrans.random.{fn}: dtype must be an integer dtype, got {dtype}")
    return dtype


def as_dtype(x, dtype):
    return fnp.astype(fnp.asarray(x), dtype)


def _is_python_number(value, number: float) -> bool:
    return type(value) in (int, float) and value == number


def unit(key, shape: tuple[int, ...], dtype: np.dtype):
    """Floats in [0, 1) from the top mantissa bits, as ``jax.random.uniform`` makes them."""
    info = np.finfo(dtype)
    bit_width = 8 if info.nmant < 8 else info.bits
    bits = random_bits(key, bit_width, shape)
    return random_unit_p.bind(bits, dtype=dtype)


def uniform_in(key, shape, dtype, minval, maxval):
    """[`uniform`][ftrans.random.uniform] without the argument checks (``minval``/``maxval`` of
    dtype ``dtype``)."""
    floats = unit(key, shape, dtype)
    if _is_python_number(minval, 0) and _is_python_number(maxval, 1):
        return floats  # fma(u, 1, 0) == u and max(0, u) == u
    low, high = as_dtype(minval, dtype), as_dtype(maxval, dtype)
    return fnp.maximum(low, fma(floats, high - low, low))


# ----------------------------------------------------------------------------- uniform, normal


def uniform(
    key: Array,
    shape: Shape = (),
    dtype: DTypeLike | None = None,
    minval: ArrayLike = 0.0,
    maxval: ArrayLike = 1.0,
) -> Array:
    """Floats uniform on ``[minval, maxval)``: ``jax.random.uniform``'s numbers, bit for bit.

    The top mantissa bits of the random bits (52 of 64 for float64) go under the exponent of
    1.0, giving ``f`` in [1, 2); the result is ``max(minval, (f - 1) * (maxval - minval) +
    minval)`` with the multiply-add fused, as XLA computes it.

    Args:
        key: a PRNG key.
        shape: output shape (a tuple of ints).
        dtype: a floating dtype (default float64).
        minval: lower bound (inclusive); broadcasts to ``shape``.
        maxval: upper bound (exclusive); broadcasts to ``shape``.

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.uniform(fr.PRNGKey(0), (3,)).round(6).tolist()
        [0.418457, 0.216295, 0.965321]
    """
    key = check_key(key, "ftrans.random.uniform")
    dtype = float_dtype(dtype, "uniform")
    shape = broadcast_shape("ftrans.random.uniform", check_shape(shape, "ftrans.random.uniform"),
                            minval, maxval)  # fmt: skip
    return uniform_in(key, shape, dtype, minval, maxval)


def normal(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Standard normal floats: ``sqrt(2) * erf_inv(u)`` with ``u`` uniform on (-1, 1), as JAX.

    The numbers are ``jax.random.normal``'s to within 4 ulp (about 93% identical: XLA fuses
    multiply-adds, which NumPy cannot). float64 draws come from one in-place NumPy kernel, the
    primitive ``threefry_normal`` (``ftrans/random/_normal.py``), eagerly and under ``jit``;
    under ``vmap`` from its ``ftrans.numpy`` definition: the same numbers. Complex dtypes take
    real and imaginary parts from the two halves of ``split(key)``, scaled by ``1/sqrt(2)``.

    Args:
        key: a PRNG key.
        shape: output shape (a tuple of ints).
        dtype: a floating or complex dtype (default float64).

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.normal(fr.PRNGKey(0), (3,)).round(6).tolist()
        [-0.205842, -0.784766, 1.816087]
    """
    key = check_key(key, "ftrans.random.normal")
    shape = check_shape(shape, "ftrans.random.normal")
    dtype = float_dtype(dtype, "normal", complex_ok=True)
    if dtype.kind == "c":
        real = np.dtype(f"float{dtype.itemsize * 4}")
        key_re, key_im = split(key)
        re = fnp.astype(normal_real(key_re, shape, real), dtype)
        im = fnp.astype(normal_real(key_im, shape, real), dtype)
        return (re + 1j * im) / np.array(math.sqrt(2), dtype)
    return normal_real(key, shape, dtype)


def normal_real(key, shape: tuple[int, ...], dtype: np.dtype):
    if dtype == np.float64:
        n = _size(shape)
        check_count(n)
        if isinstance(key, np.ndarray) and not tracing():
            z = _normal.normal_eager(key, n)
        else:
            z = _normal.threefry_normal_p.bind(key, n=n)
        return fnp.reshape(z, shape)
    low = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    u = uniform_in(key, shape, dtype, low, 1.0)
    return np.array(math.sqrt(2), dtype) * _special.erfinv(u)


def truncated_normal(
    key: Array,
    lower: ArrayLike,
    upper: ArrayLike,
    shape: Shape | None = None,
    dtype: DTypeLike | None = None,
) -> Array:
    """Standard normal floats conditioned on ``lower < x < upper``, JAX's inverse-CDF recipe.

    ``u`` is uniform between ``erf(lower / sqrt 2)`` and ``erf(upper / sqrt 2)``, the draw is
    ``sqrt(2) * erf_inv(u)`` clipped to the open interval. Like JAX's, it loses accuracy far in
    the tails (``lower > ~5``), where ``erf`` rounds to 1.

    Args:
        key: a PRNG key.
        lower: lower bound (scalar or array, may be ``-inf``).
        upper: upper bound (scalar or array, may be ``inf``).
        shape: output shape; defaults to the broadcast shape of ``lower`` and ``upper``.
        dtype: a floating dtype (default float64).

    Returns:
        An array of ``shape`` and ``dtype`` with values in ``(lower, upper)``.

    Examples:
        >>> import ftrans.random as fr
        >>> x = fr.truncated_normal(fr.PRNGKey(0), -2.0, 2.0, (1000,))
        >>> bool((abs(x) < 2).all())
        True
    """
    key, shape, dtype = float_args("truncated_normal", key, shape, dtype, lower, upper)
    sqrt2 = np.array(math.sqrt(2), dtype)
    lower, upper = as_dtype(lower, dtype), as_dtype(upper, dtype)
    a = _special.erf(lower / sqrt2)
    b = _special.erf(upper / sqrt2)
    u = fnp.maximum(a, fma(unit(key, shape, dtype), b - a, a))
    out = sqrt2 * _special.erfinv(u)
    inf = np.array(np.inf, dtype)
    return fnp.clip(out, nextafter(lower, inf), nextafter(upper, -inf))


def _exponential(key, shape, dtype):
    u = unit(key, shape, dtype)
    return -_special.log1p_xla(-u)


def exponential(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Standard exponential floats (rate 1), ``-log1p(-u)``, as ``jax.random.exponential``.

    Examples:
        >>> import ftrans.random as fr
        >>> bool((fr.exponential(fr.PRNGKey(0), (100,)) >= 0).all())
        True
    """
    key = check_key(key, "ftrans.random.exponential")
    return _exponential(
        key, check_shape(shape, "ftrans.random.exponential"), float_dtype(dtype, "exponential")
    )


def _gumbel(key, shape, dtype, mode):
    info = np.finfo(dtype)
    if mode == "low":
        u = uniform_in(key, shape, dtype, np.array(info.tiny, dtype), 1.0)
        return -fnp.log(-fnp.log(u))
    high_low = unit(key, (2, *shape), dtype)
    high, low = high_low[0], high_low[1]
    x = fnp.where(high >= 0.5, high, high + float(2.0**-info.nmant) * low + info.tiny)
    return -fnp.log(-_special.log1p_xla(-x))


def gumbel(
    key: Array, shape: Shape = (), dtype: DTypeLike | None = None, mode: str | None = None
) -> Array:
    """Standard Gumbel floats, ``-log(-log(u))`` with ``u`` uniform on [tiny, 1), as JAX.

    ``mode="high"`` combines two uniforms for more resolution near 0 (JAX's ``"high"``;
    ``"highest"`` is treated as ``"high"``).

    Examples:
        >>> import ftrans.random as fr
        >>> fr.gumbel(fr.PRNGKey(0), (3,)).shape
        (3,)
    """
    key = check_key(key, "ftrans.random.gumbel")
    mode = "low" if mode is None else mode
    if mode not in ("low", "high", "highest"):
        raise ValueError(f"ftrans.random.gumbel: mode must be 'low' or 'high', got {mode!r}")
    shape = check_shape(shape, "ftrans.random.gumbel")
    return _gumbel(key, shape, float_dtype(dtype, "gumbel"), "low" if mode == "low" else "high")


def laplace(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Standard Laplace floats, ``sign(u) * log1p(-|u|)`` with ``u`` uniform on (-1, 1).

    Examples:
        >>> import ftrans.random as fr
        >>> fr.laplace(fr.PRNGKey(0), (2, 2)).shape
        (2, 2)
    """
    key, shape, dtype = float_args("laplace", key, shape, dtype)
    epsneg = np.finfo(dtype).epsneg
    u = uniform_in(key, shape, dtype, np.array(-1.0 + epsneg, dtype), 1.0)
    return fnp.sign(u) * _special.log1p_xla(-fnp.abs(u))


def logistic(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Standard logistic floats, ``log(u) - log1p(-u)`` with ``u`` uniform on [tiny, 1).

    Examples:
        >>> import ftrans.random as fr
        >>> fr.logistic(fr.PRNGKey(0)).shape
        ()
    """
    key, shape, dtype = float_args("logistic", key, shape, dtype)
    x = uniform_in(key, shape, dtype, np.array(np.finfo(dtype).tiny, dtype), 1.0)
    return fnp.log(x) - _special.log1p_xla(-x)


def cauchy(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Standard Cauchy floats, ``tan(pi * (u - 1/2))`` with ``u`` uniform on [eps, 1).

    Examples:
        >>> import ftrans.random as fr
        >>> fr.cauchy(fr.PRNGKey(0), (4,)).shape
        (4,)
    """
    key, shape, dtype = float_args("cauchy", key, shape, dtype)
    u = uniform_in(key, shape, dtype, np.array(np.finfo(dtype).eps, dtype), 1.0)
    return fnp.tan(np.array(np.pi, dtype) * (u - np.array(0.5, dtype)))


def pareto(
    key: Array, b: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Pareto floats with shape ``b`` (support [1, inf)): ``exp(e / b)``, ``e`` exponential.

    Examples:
        >>> import ftrans.random as fr
        >>> bool((fr.pareto(fr.PRNGKey(0), 3.0, (100,)) >= 1).all())
        True
    """
    key, shape, dtype = float_args("pareto", key, shape, dtype, b)
    return fnp.exp(_exponential(key, shape, dtype) / as_dtype(b, dtype))


def rayleigh(
    key: Array, scale: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Rayleigh floats, ``scale * sqrt(-2 log u)``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.rayleigh(fr.PRNGKey(0), 2.0, (3,)).shape
        (3,)
    """
    key, shape, dtype = float_args("rayleigh", key, shape, dtype, scale)
    u = unit(key, shape, dtype)
    scale = fnp.broadcast_to(as_dtype(scale, dtype), shape)
    return scale * fnp.sqrt(fnp.log(u) * np.array(-2, dtype))


def weibull_min(
    key: Array,
    scale: ArrayLike,
    concentration: ArrayLike,
    shape: Shape = (),
    dtype: DTypeLike | None = None,
) -> Array:
    """Weibull floats by the inverse CDF, ``(-log1p(-u)) ** (1 / concentration) * scale``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.weibull_min(fr.PRNGKey(0), 1.0, 2.0, (3,)).shape
        (3,)
    """
    key, shape, dtype = float_args("weibull_min", key, shape, dtype)
    u = unit(key, shape, dtype)
    return fnp.power(-_special.log1p_xla(-u), 1.0 / fnp.asarray(concentration)) * scale


def triangular(
    key: Array,
    left: ArrayLike,
    mode: ArrayLike,
    right: ArrayLike,
    shape: Shape | None = None,
    dtype: DTypeLike | None = None,
) -> Array:
    """Triangular floats on ``[left, right]`` with peak at ``mode``, by the inverse CDF.

    Examples:
        >>> import ftrans.random as fr
        >>> x = fr.triangular(fr.PRNGKey(0), 0.0, 0.3, 1.0, (100,))
        >>> bool(((0 <= x) & (x <= 1)).all())
        True
    """
    key, shape, dtype = float_args("triangular", key, shape, dtype, left, mode, right)
    left, mode, right = (fnp.broadcast_to(as_dtype(v, dtype), shape) for v in (left, mode, right))
    fc = (mode - left) / (right - left)
    u = unit(key, shape, dtype)
    out1 = left + fnp.sqrt(u * (right - left) * (mode - left))
    out2 = right - fnp.sqrt((1 - u) * (right - left) * (right - mode))
    return fnp.where(u < fc, out1, out2)


def lognormal(
    key: Array, sigma: ArrayLike = 1.0, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Log-normal floats, ``exp(sigma * normal)``.

    Examples:
        >>> import ftrans.random as fr
        >>> bool((fr.lognormal(fr.PRNGKey(0), 0.5, (10,)) > 0).all())
        True
    """
    key, shape, dtype = float_args("lognormal", key, shape, dtype, sigma)
    return fnp.exp(normal_real(key, shape, dtype) * as_dtype(sigma, dtype))


def wald(
    key: Array, mean: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Wald (inverse Gaussian) floats with the given mean, by Michael-Schucany-Haas.

    Examples:
        >>> import ftrans.random as fr
        >>> bool((fr.wald(fr.PRNGKey(0), 1.0, (10,)) > 0).all())
        True
    """
    key, shape, dtype = float_args("wald", key, shape, dtype, mean)
    k1, k2 = split(key, 2)
    mean = fnp.broadcast_to(as_dtype(mean, dtype), shape)
    v = normal_real(k1, shape, dtype)
    z = unit(k2, shape, dtype)
    y = v * v
    y_sq = y * y
    mean_sq = mean * mean
    sqrt_term = fnp.sqrt(4 * mean * y + mean_sq * y_sq)
    x = mean + mean_sq * y / 2 - mean / 2 * sqrt_term
    return fnp.where(z <= mean / (mean + x), x, mean_sq / x)


def maxwell(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Maxwell floats: the length of a standard normal 3-vector.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.maxwell(fr.PRNGKey(0), (2,)).shape
        (2,)
    """
    key, shape, dtype = float_args("maxwell", key, shape, dtype)
    z = normal_real(key, (*shape, 3), dtype)
    return fnp.sqrt(fnp.sum(z * z, axis=-1))
