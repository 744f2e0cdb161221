"""The uniform-based samplers, each ``jax.random``'s algorithm step for step (so its numbers).

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
from ftrans.core import Tracer
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
    """:func:`uniform` without the argument checks (``minval``/``maxval`` of dtype ``dtype``)."""
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

    The numbers are ``jax.random.normal``'s to within 3 ulp (about 93% identical: XLA fuses
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
    key = check_key(key, "ftrans.random.truncated_normal")
    dtype = float_dtype(dtype, "truncated_normal")
    shape = broadcast_shape("ftrans.random.truncated_normal", shape, lower, upper)
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
    key = check_key(key, "ftrans.random.laplace")
    dtype = float_dtype(dtype, "laplace")
    shape = check_shape(shape, "ftrans.random.laplace")
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
    key = check_key(key, "ftrans.random.logistic")
    dtype = float_dtype(dtype, "logistic")
    shape = check_shape(shape, "ftrans.random.logistic")
    x = uniform_in(key, shape, dtype, np.array(np.finfo(dtype).tiny, dtype), 1.0)
    return fnp.log(x) - _special.log1p_xla(-x)


def cauchy(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Standard Cauchy floats, ``tan(pi * (u - 1/2))`` with ``u`` uniform on [eps, 1).

    Examples:
        >>> import ftrans.random as fr
        >>> fr.cauchy(fr.PRNGKey(0), (4,)).shape
        (4,)
    """
    key = check_key(key, "ftrans.random.cauchy")
    dtype = float_dtype(dtype, "cauchy")
    shape = check_shape(shape, "ftrans.random.cauchy")
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
    key = check_key(key, "ftrans.random.pareto")
    dtype = float_dtype(dtype, "pareto")
    shape = broadcast_shape("ftrans.random.pareto", shape, b)
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
    key = check_key(key, "ftrans.random.rayleigh")
    dtype = float_dtype(dtype, "rayleigh")
    shape = broadcast_shape("ftrans.random.rayleigh", shape, scale)
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
    key = check_key(key, "ftrans.random.weibull_min")
    dtype = float_dtype(dtype, "weibull_min")
    shape = check_shape(shape, "ftrans.random.weibull_min")
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
    key = check_key(key, "ftrans.random.triangular")
    dtype = float_dtype(dtype, "triangular")
    shape = broadcast_shape("ftrans.random.triangular", shape, left, mode, right)
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
    key = check_key(key, "ftrans.random.lognormal")
    dtype = float_dtype(dtype, "lognormal")
    shape = broadcast_shape("ftrans.random.lognormal", shape, sigma)
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
    key = check_key(key, "ftrans.random.wald")
    dtype = float_dtype(dtype, "wald")
    shape = broadcast_shape("ftrans.random.wald", shape, mean)
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
    key = check_key(key, "ftrans.random.maxwell")
    dtype = float_dtype(dtype, "maxwell")
    shape = check_shape(shape, "ftrans.random.maxwell")
    z = normal_real(key, (*shape, 3), dtype)
    return fnp.sqrt(fnp.sum(z * z, axis=-1))


def double_sided_maxwell(
    key: Array,
    loc: ArrayLike,
    scale: ArrayLike,
    shape: Shape = (),
    dtype: DTypeLike | None = None,
) -> Array:
    """Maxwell magnitudes with random signs, ``sign * maxwell * scale + loc``.

    As in JAX, ``shape`` is a prefix: the result has shape ``shape + broadcast(loc, scale)``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.double_sided_maxwell(fr.PRNGKey(0), 0.0, 1.0, (3,)).shape
        (3,)
    """
    key = check_key(key, "ftrans.random.double_sided_maxwell")
    dtype = float_dtype(dtype, "double_sided_maxwell")
    shape = check_shape(shape, "ftrans.random.double_sided_maxwell")
    params = tuple(np.broadcast_shapes(fnp.shape(loc), fnp.shape(scale)))
    shape = (shape or params) + params
    maxwell_key, sign_key = split(key)
    magnitude = maxwell(maxwell_key, shape, dtype)
    sign = rademacher(sign_key, shape, dtype)
    return sign * magnitude * scale + loc


# ----------------------------------------------------------------------------- discrete


def bernoulli(
    key: Array, p: ArrayLike = 0.5, shape: Shape | None = None, mode: str = "low"
) -> Array:
    """Booleans that are True with probability ``p``: ``uniform(key, shape, p.dtype) < p``.

    Bit for bit ``jax.random.bernoulli`` (``mode="high"`` combines two uniforms, for tiny ``p``).

    Args:
        key: a PRNG key.
        p: probability of True, a float (scalar or array broadcasting to ``shape``).
        shape: output shape; defaults to the shape of ``p``.
        mode: ``"low"`` or ``"high"``.

    Returns:
        A bool array.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.bernoulli(fr.PRNGKey(0), 0.5, (5,)).tolist()
        [True, True, False, False, False]
    """
    key = check_key(key, "ftrans.random.bernoulli")
    if mode not in ("low", "high"):
        raise ValueError(f"ftrans.random.bernoulli: got mode={mode!r}, expected 'high' or 'low'")
    p = fnp.asarray(p)
    if not np.issubdtype(p.dtype, np.floating):
        raise TypeError(
            f"ftrans.random.bernoulli: probability `p` must have a floating dtype, got {p.dtype}"
        )
    shape = broadcast_shape("ftrans.random.bernoulli", shape, p)
    dtype = np.dtype(p.dtype)
    if mode == "high":
        both = unit(key, (2, *shape), dtype)
        u1, u2 = both[0], both[1] * float(2.0 ** -np.finfo(dtype).nmant)
        return u2 < p - u1
    return unit(key, shape, dtype) < p


def rademacher(key: Array, shape: Shape = (), dtype: DTypeLike | None = None) -> Array:
    """Random signs, -1 or +1 with probability 1/2 each (``2 * bernoulli - 1``).

    Examples:
        >>> import ftrans.random as fr
        >>> sorted(set(fr.rademacher(fr.PRNGKey(0), (20,)).tolist()))
        [-1, 1]
    """
    key = check_key(key, "ftrans.random.rademacher")
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    shape = check_shape(shape, "ftrans.random.rademacher")
    draws = fnp.astype(unit(key, shape, np.dtype(np.float64)) < 0.5, dtype)
    return fnp.astype(2 * draws - 1, dtype)


def _clip_to(value, dtype: np.dtype):
    """``value`` (an integer array) clipped to the range of ``dtype`` and cast, as JAX does."""
    info, own = np.iinfo(dtype), np.iinfo(value.dtype)
    return fnp.astype(
        fnp.clip(value, max(int(info.min), int(own.min)), min(int(info.max), int(own.max))),
        dtype,
    )


def _unsigned_rem(a, span):
    """``a % span`` for unsigned arrays with XLA's rule ``a % 0 == a``."""
    zero = span == 0
    return fnp.where(zero, a, a % fnp.where(zero, fnp.ones_like(span), span))


def randint(
    key: Array,
    shape: Shape,
    minval: ArrayLike,
    maxval: ArrayLike,
    dtype: DTypeLike | None = None,
) -> Array:
    """Integers uniform on ``[minval, maxval)``: ``jax.random.randint``'s numbers, bit for bit.

    Two independent ``nbits``-bit draws (from the two keys of ``split(key)``) make one
    ``2 * nbits``-bit number reduced modulo ``maxval - minval``, which keeps the bias of the
    modulus small; dtypes narrower than 32 bits sample in int32. Where ``maxval <= minval`` the
    result is ``minval``; bounds outside the dtype are clipped to it.

    Args:
        key: a PRNG key.
        shape: output shape (a tuple of ints).
        minval: smallest value (inclusive); scalar or array broadcasting to ``shape``.
        maxval: bound (exclusive); scalar or array broadcasting to ``shape``.
        dtype: an integer dtype (default int64).

    Returns:
        An integer array of ``shape`` and ``dtype``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.randint(fr.PRNGKey(0), (6,), 0, 10).tolist()
        [5, 1, 5, 7, 3, 5]
    """
    key = check_key(key, "ftrans.random.randint")
    shape = check_shape(shape, "ftrans.random.randint")
    dtype = int_dtype(dtype, "randint")
    minval, maxval = fnp.asarray(minval), fnp.asarray(maxval)
    for name, v in (("minval", minval), ("maxval", maxval)):
        if not (np.issubdtype(v.dtype, np.integer) or np.issubdtype(v.dtype, np.floating)):
            raise TypeError(f"ftrans.random.randint: {name} must be an integer, got {v.dtype}")
    minval = minval if np.issubdtype(minval.dtype, np.integer) else fnp.astype(minval, np.int64)
    maxval = maxval if np.issubdtype(maxval.dtype, np.integer) else fnp.astype(maxval, np.int64)
    broadcast_shape("ftrans.random.randint", shape, minval, maxval)
    info = np.iinfo(dtype)
    sampling = dtype
    if info.bits < 32:
        sampling = np.dtype(np.int32)
        minval = fnp.clip(fnp.astype(minval, np.int32), int(info.min), int(info.max))
        maxval = fnp.clip(fnp.astype(maxval, np.int32), int(info.min), int(info.max) + 1)
    return fnp.astype(_randint(key, shape, minval, maxval, sampling), dtype)


def _randint(key, shape, minval, maxval, dtype):
    info = np.iinfo(dtype)
    nbits = info.bits
    unsigned = np.dtype(f"uint{nbits}")
    top = _clip_to(fnp.asarray(np.array(info.max, dtype)), maxval.dtype)
    maxval_out_of_range = maxval > top
    minval, maxval = _clip_to(minval, dtype), _clip_to(maxval, dtype)
    k1, k2 = split(key)
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)
    with np.errstate(over="ignore"):
        span = fnp.astype(maxval - minval, unsigned)
        span = fnp.where(maxval <= minval, fnp.ones_like(span), span)
        span = fnp.where(maxval_out_of_range & (maxval > minval), span + unsigned.type(1), span)
        multiplier = _unsigned_rem(fnp.full_like(span, 2 ** (nbits // 2)), span)
        multiplier = _unsigned_rem(multiplier * multiplier, span)
        offset = _unsigned_rem(higher, span) * multiplier + _unsigned_rem(lower, span)
        offset = _unsigned_rem(offset, span)
        return minval + fnp.astype(offset, dtype)


def geometric(
    key: Array, p: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Geometric integers (trials up to the first success, >= 1): ``floor(log u / log1p(-p)) + 1``.

    Examples:
        >>> import ftrans.random as fr
        >>> bool((fr.geometric(fr.PRNGKey(0), 0.3, (10,)) >= 1).all())
        True
    """
    key = check_key(key, "ftrans.random.geometric")
    dtype = int_dtype(dtype, "geometric")
    shape = broadcast_shape("ftrans.random.geometric", shape, p)
    p = fnp.asarray(p)
    if not np.issubdtype(p.dtype, np.floating):
        p = fnp.astype(p, np.float64)
    u = unit(key, shape, np.dtype(p.dtype))
    u = fnp.where(u == 0, fnp.ones_like(u), u)
    g = fnp.floor(fnp.log(u) / fnp.broadcast_to(_special.log1p_xla(-p), shape)) + 1
    return fnp.astype(g, dtype)


# ----------------------------------------------------------------------------- choices


def _shuffle(key, x, axis: int):
    """JAX's shuffle: sort by fresh 32-bit keys, enough rounds to make ties unlikely."""
    size = int(np.prod(fnp.shape(x), dtype=np.int64))
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, subkey = split(key)
        sort_keys = random_bits(subkey, 32, tuple(fnp.shape(x)))
        order = fnp.argsort(sort_keys, axis=axis, stable=True)
        x = fnp.take_along_axis(x, order, axis=axis)
    return x


def permutation(key: Array, x: int | ArrayLike, axis: int = 0, independent: bool = False) -> Array:
    """A random permutation of ``range(x)`` (int ``x``) or of ``x`` along ``axis``, as JAX.

    Sorts by 32-bit random keys, ``ceil(3 log n / log(2**32 - 1))`` rounds with fresh keys
    (one round up to n = 1625): ``jax.random.permutation``'s result, bit for bit.

    Args:
        key: a PRNG key.
        x: an int ``n`` or an array.
        axis: the axis to shuffle.
        independent: shuffle each slice along ``axis`` independently.

    Returns:
        The permuted indices (int64) or array.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.permutation(fr.PRNGKey(0), 6).tolist()
        [0, 1, 5, 4, 3, 2]
    """
    key = check_key(key, "ftrans.random.permutation")
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return _shuffle(key, fnp.arange(int(x)), 0)
    x = fnp.asarray(x)
    if x.ndim == 0:
        if isinstance(x, Tracer) or not np.issubdtype(x.dtype, np.integer):
            raise TypeError(
                "ftrans.random.permutation: x must be an integer or at least 1-dimensional "
                "(and a concrete int, not traced)"
            )
        return _shuffle(key, fnp.arange(int(x)), 0)
    axis = axis % x.ndim
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    order = _shuffle(key, fnp.arange(fnp.shape(x)[axis]), 0)
    return fnp.take(x, order, axis=axis)


def choice(
    key: Array,
    a: int | ArrayLike,
    shape: Shape = (),
    replace: bool = True,
    p: ArrayLike | None = None,
    axis: int = 0,
    mode: str | None = None,
) -> Array:
    """Random entries of ``a`` (or of ``range(a)`` for an int): ``jax.random.choice``'s draws.

    With replacement: :func:`randint` (uniform) or the inverse CDF of ``cumsum(p)`` (weighted);
    without: the first entries of a :func:`permutation` (uniform) or the top ``k`` of
    ``gumbel + log p`` (weighted).

    Args:
        key: a PRNG key.
        a: an int ``n`` (choose from ``0..n-1``) or an array (choose along ``axis``).
        shape: output shape (of the chosen indices).
        replace: draw with replacement.
        p: probabilities of the ``n`` entries, or None for uniform.
        axis: the axis of ``a`` to choose along.
        mode: the Gumbel ``mode`` for weighted draws without replacement.

    Returns:
        An array of shape ``a.shape[:axis] + shape + a.shape[axis+1:]``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.choice(fr.PRNGKey(0), 10, (4,), replace=False).tolist()
        [0, 1, 8, 5]
    """
    key = check_key(key, "ftrans.random.choice")
    if not isinstance(shape, (tuple, list)):
        raise TypeError(
            f"ftrans.random.choice: shape must be a sequence (a tuple of ints), got {shape!r}"
        )
    shape = check_shape(shape, "ftrans.random.choice")
    arr = fnp.asarray(a)
    if arr.ndim == 0:
        if isinstance(arr, Tracer):
            raise TypeError("ftrans.random.choice: an int `a` must be concrete, not traced")
        n_inputs = int(arr)
    else:
        axis = axis % arr.ndim
        n_inputs = fnp.shape(arr)[axis]
    n_draws = _size(shape)
    if n_draws == 0:
        return fnp.zeros(shape, arr.dtype)
    if n_inputs <= 0:
        raise ValueError(
            "ftrans.random.choice: a must be greater than 0 unless no samples are taken"
        )
    if not replace and n_draws > n_inputs:
        raise ValueError(
            f"ftrans.random.choice: cannot take a larger sample (size {n_draws}) than the "
            f"population (size {n_inputs}) with replace=False"
        )
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else fnp.take(arr, ind, axis=axis)
        else:
            perm = permutation(key, n_inputs if arr.ndim == 0 else arr, axis)
            index = (slice(None),) * (axis if arr.ndim else 0) + (slice(n_draws),)
            result = perm[index]
    else:
        p = fnp.asarray(p)
        if not np.issubdtype(p.dtype, np.inexact):
            p = fnp.astype(p, np.float64)
        if tuple(fnp.shape(p)) != (n_inputs,):
            raise ValueError(
                "ftrans.random.choice: p must be None or a 1D vector with the same size as "
                f"a.shape[axis]; p has shape {tuple(fnp.shape(p))} and a.shape[axis] is "
                f"{n_inputs}."
            )
        if replace:
            p_cuml = fnp.cumsum(p)
            r = p_cuml[-1] * (1 - unit(key, shape, np.dtype(p.dtype)))
            ind = fnp.sum(fnp.expand_dims(r, -1) > p_cuml, axis=-1)  # searchsorted, side=left
        else:
            g = gumbel(key, (n_inputs,), p.dtype, mode=mode) + fnp.log(p)
            ind = fnp.argsort(-g, stable=True)[:n_draws]
        ind = fnp.astype(ind, np.int64)
        result = ind if arr.ndim == 0 else fnp.take(arr, ind, axis=axis)
    out_shape = shape if arr.ndim == 0 else (*arr.shape[:axis], *shape, *arr.shape[axis + 1 :])
    return fnp.reshape(result, out_shape)


def categorical(
    key: Array,
    logits: ArrayLike,
    axis: int = -1,
    shape: Shape | None = None,
    replace: bool = True,
    mode: str | None = None,
) -> Array:
    """Indices drawn with probabilities ``softmax(logits, axis)``: ``argmax(logits + gumbel)``.

    ``replace=False`` takes the top ``k`` instead (the Gumbel top-k trick), ``k`` the size of
    the leading part of ``shape``. Same numbers as ``jax.random.categorical``.

    Args:
        key: a PRNG key.
        logits: unnormalised log-probabilities.
        axis: the axis of categories.
        shape: output shape; must end with the batch shape of ``logits`` (its shape without
            ``axis``), which is the default.
        replace: draw with replacement.
        mode: the Gumbel ``mode``.

    Returns:
        An int64 array of ``shape``.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> fr.categorical(fr.PRNGKey(0), np.log([0.2, 0.3, 0.5]), shape=(6,)).tolist()
        [2, 2, 0, 1, 1, 2]
    """
    key = check_key(key, "ftrans.random.categorical")
    logits = fnp.asarray(logits)
    if not np.issubdtype(logits.dtype, np.floating):
        logits = fnp.astype(logits, np.float64)
    ndim = logits.ndim
    axis = axis % ndim
    batch = tuple(np.delete(np.array(fnp.shape(logits), dtype=np.int64), axis).tolist())
    shape = batch if shape is None else check_shape(shape, "ftrans.random.categorical")
    broadcast_shape("ftrans.random.categorical", shape, np.empty(batch))
    prefix = shape[: len(shape) - len(batch)]
    if replace:
        logits_shape = list(shape[len(shape) - len(batch) :])
        logits_shape.insert(axis, fnp.shape(logits)[axis])
        noise = gumbel(key, (*prefix, *logits_shape), logits.dtype, mode=mode)
        expanded = fnp.reshape(logits, (1,) * len(prefix) + tuple(fnp.shape(logits)))
        return fnp.argmax(noise + expanded, axis=axis + len(prefix))
    k = _size(prefix)
    if k > fnp.shape(logits)[axis]:
        raise ValueError(
            f"ftrans.random.categorical: number of samples without replacement ({k}) cannot "
            f"exceed the number of categories ({fnp.shape(logits)[axis]})."
        )
    scores = logits + gumbel(key, tuple(fnp.shape(logits)), logits.dtype, mode=mode)
    top = fnp.argsort(-fnp.moveaxis(scores, axis, -1), axis=-1, stable=True)[..., :k]
    return fnp.reshape(fnp.moveaxis(top, -1, 0), shape)


# ----------------------------------------------------------------------------- linear algebra


def multivariate_normal(
    key: Array,
    mean: ArrayLike,
    cov: ArrayLike,
    shape: Shape | None = None,
    dtype: DTypeLike | None = None,
    method: str = "cholesky",
) -> Array:
    """Multivariate normal vectors ``mean + factor @ z``, ``factor`` from ``cov`` by ``method``.

    Args:
        key: a PRNG key.
        mean: mean vectors ``(..., n)``.
        cov: covariance matrices ``(..., n, n)``.
        shape: batch shape (default: the broadcast batch shape of ``mean`` and ``cov``).
        dtype: float dtype (default: that of ``mean``).
        method: ``"cholesky"``, ``"eigh"`` or ``"svd"``.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> fr.multivariate_normal(fr.PRNGKey(0), np.zeros(2), np.eye(2), (5,)).shape
        (5, 2)
    """
    key = check_key(key, "ftrans.random.multivariate_normal")
    if method not in ("svd", "eigh", "cholesky"):
        raise ValueError("ftrans.random.multivariate_normal: method must be one of "
                         "{'svd', 'eigh', 'cholesky'}")  # fmt: skip
    mean, cov = fnp.asarray(mean), fnp.asarray(cov)
    if not np.issubdtype(mean.dtype, np.inexact):
        mean = fnp.astype(mean, np.float64)
    dtype = float_dtype(mean.dtype if dtype is None else dtype, "multivariate_normal")
    common = np.result_type(mean.dtype, cov.dtype, np.float16)
    mean, cov = as_dtype(mean, common), as_dtype(cov, common)
    if mean.ndim < 1:
        raise ValueError("ftrans.random.multivariate_normal: requires mean.ndim >= 1")
    if cov.ndim < 2:
        raise ValueError("ftrans.random.multivariate_normal: requires cov.ndim >= 2")
    n = fnp.shape(mean)[-1]
    if tuple(fnp.shape(cov)[-2:]) != (n, n):
        raise ValueError(
            f"ftrans.random.multivariate_normal: requires cov.shape == (..., n, n) for n={n}, "
            f"but got cov.shape == {tuple(fnp.shape(cov))}."
        )
    batch = (np.empty(fnp.shape(mean)[:-1]), np.empty(fnp.shape(cov)[:-2]))
    shape = broadcast_shape("ftrans.random.multivariate_normal", shape, *batch)
    if method == "svd":
        u, s, _ = fnp.linalg.svd(cov)
        factor = u * fnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = fnp.linalg.eigh(cov)
        factor = v * fnp.sqrt(w[..., None, :])
    else:
        factor = fnp.linalg.cholesky(cov)
    z = normal_real(key, (*shape, n), dtype)
    return mean + fnp.einsum("...ij,...j->...i", factor, z)


def orthogonal(
    key: Array, n: int, shape: Shape = (), dtype: DTypeLike | None = None, m: int | None = None
) -> Array:
    """Haar-random orthogonal ``n x m`` matrices (semi-orthogonal when ``n != m``): the ``Q`` of
    a normal matrix's QR decomposition with the signs of ``diag(R)`` folded in.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> q = fr.orthogonal(fr.PRNGKey(0), 3)
        >>> bool(np.allclose(q @ q.T, np.eye(3)))
        True
    """
    key = check_key(key, "ftrans.random.orthogonal")
    dtype = float_dtype(dtype, "orthogonal", complex_ok=True)
    shape = check_shape(shape, "ftrans.random.orthogonal")
    m = n if m is None else m
    z = normal(key, (*shape, max(n, m), min(n, m)), dtype)
    q, r = fnp.linalg.qr(z)
    d = fnp.diagonal(r, axis1=-2, axis2=-1)
    x = q * fnp.expand_dims(fnp.sign(d), -2)
    return fnp.swapaxes(x, -1, -2) if n < m else x
