"""Gamma-based and rejection samplers, each ``jax.random``'s algorithm step for step.

``gamma``/``loggamma`` are Marsaglia and Tsang's method ("A simple method for generating gamma
variables", 2000) as JAX runs it: one key per entry (``split(key, a.size)``), a rejection loop
per entry that splits that key into three each round (next key, normal draw, uniform draw),
an inner loop redrawing the normal until ``1 + c x > 0``, and the boost
``Gamma(a) = Gamma(a + 1) * U**(1/a)`` for ``a < 1`` (in log space for ``loggamma``). The
primitive ``random_gamma`` runs those loops vectorised over the entries (each entry stops when
it accepts), so the draws are JAX's: exactly when every comparison falls the same way, which is
all but a vanishing fraction of entries (XLA fuses ``1 + x * c`` into an FMA, which
``_ops.fma`` reproduces; the remaining differences are in the last ulp of ``log``/``pow``).
Its derivative wrt ``a`` is JAX's implicit reparameterisation gradient
(``lax.random_gamma_grad``), so ``grad`` flows through ``gamma`` and everything built on it.

``poisson`` is JAX's split at ``lam = 10``: Knuth's multiplication method below, Hormann's
transformed rejection above, both in float32 as in JAX. ``beta``, ``dirichlet``,
``chisquare``, ``f``, ``t``, ``generalized_normal``, ``ball`` and ``double_sided_maxwell`` are
JAX's formulas on top.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

import ftrans.numpy as fnp
from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Tracer, Zero
from ftrans.primitives._batch import moveaxis
from ftrans.primitives.special import random_gamma_grad
from ftrans.random import _special
from ftrans.random._discrete import rademacher
from ftrans.random._distributions import (
    _exponential,
    as_dtype,
    float_args,
    float_dtype,
    int_dtype,
    maxwell,
    normal_real,
    unit,
)
from ftrans.random._ops import _fma_impl, unit_float
from ftrans.random._prng import (
    _ZERO,
    broadcast_shape,
    check_key,
    check_shape,
    split,
)
from ftrans.random._threefry import threefry2x32_p
from ftrans.typing import Array, ArrayLike

Shape = int | tuple[int, ...]

# ----------------------------------------------------------------------------- per-key draws


def _split_many(keys: np.ndarray, num: int) -> np.ndarray:
    """``split(k, num)`` for every row ``k`` of ``keys`` (shape ``(m, 2)`` -> ``(m, num, 2)``)."""
    counters = np.arange(num, dtype=np.uint32)
    high, low = threefry2x32_p.impl(keys[:, :1], keys[:, 1:], _ZERO, counters[None, :])
    return np.stack([high, low], axis=-1)


def _scalar_unit(keys: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``uniform(k, (), dtype)`` for every row ``k`` of ``keys``."""
    high, low = threefry2x32_p.impl(keys[:, 0], keys[:, 1], _ZERO, _ZERO)
    if dtype.itemsize == 8:
        bits = (high.astype(np.uint64) << np.uint64(32)) | low.astype(np.uint64)
    else:
        bits = (high ^ low).astype(f"uint{max(dtype.itemsize, 1) * 8}")
    return unit_float(bits, dtype)


def _scalar_normal(keys: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``normal(k, (), dtype)`` for every row ``k`` of ``keys``."""
    low = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    floats = _scalar_unit(keys, dtype)
    u = np.maximum(low, _fma_impl(floats, np.array(1.0, dtype) - low, low))
    return np.asarray(np.array(math.sqrt(2), dtype) * _special.erfinv(u), dtype)


def _gamma_entries(keys: np.ndarray, alpha: np.ndarray, log_space: bool) -> np.ndarray:
    """Marsaglia-Tsang for every pair ``(keys[i], alpha[i])``, as JAX's ``_gamma_one``."""
    dtype = alpha.dtype
    t = dtype.type
    one, third = t(1), t(1.0 / 3.0)
    boost = alpha >= one
    a = np.where(boost, alpha, alpha + one)
    d = a - third
    c = third / np.sqrt(d)
    first = _split_many(keys, 2)
    key, subkey = first[:, 0].copy(), first[:, 1]
    big_x = np.zeros_like(alpha)
    big_v = np.ones_like(alpha)
    big_u = np.full_like(alpha, 2)
    active = np.ones(len(alpha), bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        while active.any():
            rows = np.flatnonzero(active)
            three = _split_many(key[rows], 3)
            key[rows] = three[:, 0]
            x_key, u_key = three[:, 1].copy(), three[:, 2]
            x = np.zeros(len(rows), dtype)
            v = np.full(len(rows), -one, dtype)
            redraw = np.ones(len(rows), bool)
            while redraw.any():
                again = np.flatnonzero(redraw)
                two = _split_many(x_key[again], 2)
                x_key[again] = two[:, 0]
                x[again] = _scalar_normal(two[:, 1], dtype)
                v[again] = _fma_impl(x[again], c[rows][again], one)
                redraw = v <= 0
            big_x[rows] = x * x
            big_v[rows] = v * v * v
            big_u[rows] = _scalar_unit(u_key, dtype)
            xx, vv, uu = big_x[rows], big_v[rows], big_u[rows]
            reject = (uu >= one - t(0.0331) * (xx * xx)) & (
                np.log(uu) >= xx * t(0.5) + d[rows] * ((one - vv) + np.log(vv))
            )
            active[rows] = reject
        if log_space:
            log_samples = _special.log1p_xla(-_scalar_unit(subkey, dtype))
            log_boost = np.where(boost | (log_samples == 0), t(0), log_samples * (one / alpha))
            return (np.log(d) + np.log(big_v)) + log_boost
        samples = one - _scalar_unit(subkey, dtype)
        factor = np.where(boost, one, np.power(samples, one / alpha))
        return (d * big_v) * factor


def _gamma_impl(keys, a, *, log_space):
    keys, a = np.asarray(keys), np.asarray(a)
    flat = _gamma_entries(keys.reshape(-1, 2), a.reshape(-1), log_space)
    return flat.reshape(a.shape).astype(a.dtype, copy=False)


def _gamma_aval(keys, a, *, log_space):
    return ShapedArray(a.shape, a.dtype)


def _gamma_jvp(primals, tangents, *, log_space):
    keys, a = primals
    out = random_gamma_p.bind(keys, a, log_space=log_space)
    if isinstance(tangents[1], Zero):
        return out, Zero.like(out)
    # JAX's implicit reparameterisation: d sample / d a at fixed uniform noise is
    # -(dP/da) / (dP/dx) for the regularised incomplete gamma P (lax.random_gamma_grad); in
    # log space divide by the sample (clamped to the smallest normal float, as JAX)
    if log_space:
        sample = fnp.exp(out)
        sample = fnp.where(sample == 0, np.finfo(out.dtype).tiny, sample)
        grad = random_gamma_grad(a, sample) / sample
    else:
        grad = random_gamma_grad(a, out)
    return out, tangents[1] * grad


def _gamma_batch(vals, dims, *, log_space):
    keys, a = vals
    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    keys = (
        moveaxis(keys, dims[0], 0)
        if dims[0] is not None
        else fnp.broadcast_to(keys, (size, *keys.shape))
    )
    a = moveaxis(a, dims[1], 0) if dims[1] is not None else fnp.broadcast_to(a, (size, *a.shape))
    return random_gamma_p.bind(keys, a, log_space=log_space), 0


random_gamma_p = Primitive("random_gamma")
numpy_only("random bits: in-place NumPy kernels", random_gamma_p)
random_gamma_p.impl = _gamma_impl
random_gamma_p.abstract_eval = _gamma_aval
random_gamma_p.jvp = _gamma_jvp
random_gamma_p.batch = _gamma_batch


def _gamma(key, a, shape, dtype, log_space: bool):
    shape = broadcast_shape("ftrans.random.gamma", shape, a)
    a = fnp.broadcast_to(as_dtype(a, dtype), shape)
    n = int(np.prod(shape, dtype=np.int64))
    keys = fnp.reshape(split(key, n), (*shape, 2))
    return random_gamma_p.bind(keys, a, log_space=log_space)


def gamma(
    key: Array, a: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Gamma(a, 1) floats by Marsaglia-Tsang, as ``jax.random.gamma`` (see the module docstring).

    Args:
        key: a PRNG key.
        a: shape parameter(s) > 0, broadcasting to ``shape``.
        shape: output shape (default: the shape of ``a``).
        dtype: a floating dtype (default float64).

    Examples:
        >>> import ftrans.random as fr
        >>> fr.gamma(fr.PRNGKey(0), 2.0, (3,)).round(6).tolist()
        [1.352031, 1.124359, 3.732404]
    """
    key = check_key(key, "ftrans.random.gamma")
    return _gamma(key, a, shape, float_dtype(dtype, "gamma"), False)


def loggamma(
    key: Array, a: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """``log`` of Gamma(a, 1) draws, computed in log space (accurate for tiny ``a``), as JAX.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> bool(np.isfinite(fr.loggamma(fr.PRNGKey(0), 1e-3, (4,))).all())
        True
    """
    key = check_key(key, "ftrans.random.loggamma")
    return _gamma(key, a, shape, float_dtype(dtype, "loggamma"), True)


def beta(
    key: Array,
    a: ArrayLike,
    b: ArrayLike,
    shape: Shape | None = None,
    dtype: DTypeLike | None = None,
) -> Array:
    """Beta(a, b) floats from two log-gamma draws, as ``jax.random.beta``.

    Examples:
        >>> import ftrans.random as fr
        >>> x = fr.beta(fr.PRNGKey(0), 2.0, 3.0, (100,))
        >>> bool(((0 < x) & (x < 1)).all())
        True
    """
    key, shape, dtype = float_args("beta", key, shape, dtype, a, b)
    key_a, key_b = split(key)
    a = fnp.broadcast_to(as_dtype(a, dtype), shape)
    b = fnp.broadcast_to(as_dtype(b, dtype), shape)
    log_a = _gamma(key_a, a, shape, dtype, True)
    log_b = _gamma(key_b, b, shape, dtype, True)
    log_max = fnp.maximum(log_a, log_b)
    scaled_a, scaled_b = fnp.exp(log_a - log_max), fnp.exp(log_b - log_max)
    return scaled_a / (scaled_a + scaled_b)


def dirichlet(
    key: Array, alpha: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Dirichlet vectors: the softmax of log-gamma draws along the last axis of ``alpha``.

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> x = fr.dirichlet(fr.PRNGKey(0), np.array([1.0, 2.0, 3.0]), (2,))
        >>> x.shape, bool(np.allclose(x.sum(-1), 1))
        ((2, 3), True)
    """
    key = check_key(key, "ftrans.random.dirichlet")
    dtype = float_dtype(dtype, "dirichlet")
    alpha = fnp.asarray(alpha)
    if alpha.ndim < 1:
        raise ValueError("ftrans.random.dirichlet: requires alpha.ndim >= 1")
    batch = np.empty(fnp.shape(alpha)[:-1])
    shape = broadcast_shape("ftrans.random.dirichlet", shape, batch)
    log_g = _gamma(key, as_dtype(alpha, dtype), (*shape, fnp.shape(alpha)[-1]), dtype, True)
    shifted = log_g - fnp.max(log_g, axis=-1, keepdims=True)
    e = fnp.exp(shifted)
    return e / fnp.sum(e, axis=-1, keepdims=True)


def _chisquare(key, df, shape, dtype):
    half_df = as_dtype(df, dtype) / np.array(2, dtype)
    return fnp.exp(_gamma(key, half_df, shape, dtype, True)) * np.array(2, dtype)


def chisquare(
    key: Array, df: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Chi-square floats with ``df`` degrees of freedom: ``2 * exp(loggamma(df / 2))``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.chisquare(fr.PRNGKey(0), 3.0, (2,)).shape
        (2,)
    """
    key, shape, dtype = float_args("chisquare", key, shape, dtype, df)
    return _chisquare(key, df, shape, dtype)


def f(
    key: Array,
    dfnum: ArrayLike,
    dfden: ArrayLike,
    shape: Shape | None = None,
    dtype: DTypeLike | None = None,
) -> Array:
    """F-distributed floats: the ratio of two scaled chi-square draws.

    Examples:
        >>> import ftrans.random as fr
        >>> bool((fr.f(fr.PRNGKey(0), 3.0, 5.0, (10,)) > 0).all())
        True
    """
    key, shape, dtype = float_args("f", key, shape, dtype, dfnum, dfden)
    dfden, dfnum = as_dtype(dfden, dtype), as_dtype(dfnum, dtype)
    key_dfd, key_dfn = split(key)
    chi2_dfn = _chisquare(key_dfn, dfnum, shape, dtype)
    chi2_dfd = _chisquare(key_dfd, dfden, shape, dtype)
    return (chi2_dfn / dfnum) / (chi2_dfd / dfden)


def t(
    key: Array, df: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Student's t floats, ``normal * sqrt(df / 2 / gamma(df / 2))``, as ``jax.random.t``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.t(fr.PRNGKey(0), 4.0, (3,)).shape
        (3,)
    """
    key, shape, dtype = float_args("t", key, shape, dtype, df)
    df = as_dtype(df, dtype)
    key_n, key_g = split(key)
    n = normal_real(key_n, shape, dtype)
    half_df = df / np.array(2, dtype)
    g = _gamma(key_g, half_df, shape, dtype, False)
    return n * fnp.sqrt(half_df / g)


def generalized_normal(
    key: Array, p: float, shape: Shape = (), dtype: DTypeLike | None = None
) -> Array:
    """Generalized normal floats with density ``~ exp(-|x|**p)``: ``sign * gamma(1/p)**(1/p)``.

    Examples:
        >>> import ftrans.random as fr
        >>> fr.generalized_normal(fr.PRNGKey(0), 1.5, (3,)).shape
        (3,)
    """
    key, shape, dtype = float_args("generalized_normal", key, shape, dtype)
    return _generalized_normal(key, p, shape, dtype)


def _generalized_normal(key, p, shape, dtype):
    keys = split(key)
    g = _gamma(keys[0], 1 / fnp.asarray(p), shape, dtype, False)
    r = rademacher(keys[1], shape, dtype)
    return r * g ** (1 / fnp.asarray(p))


def ball(
    key: Array, d: int, p: float = 2, shape: Shape = (), dtype: DTypeLike | None = None
) -> Array:
    """Points uniform in the unit ``p``-norm ball of dimension ``d`` (shape ``shape + (d,)``).

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> x = fr.ball(fr.PRNGKey(0), 3, shape=(50,))
        >>> x.shape, bool((np.linalg.norm(x, axis=-1) <= 1).all())
        ((50, 3), True)
    """
    key, shape, dtype = float_args("ball", key, shape, dtype)
    if isinstance(d, Tracer) or int(d) != d:
        raise TypeError("ftrans.random.ball: d must be a concrete int")
    k1, k2 = split(key)
    g = _generalized_normal(k1, p, (*shape, int(d)), dtype)
    e = _exponential(k2, shape, dtype)
    return g / ((fnp.sum(fnp.abs(g) ** p, axis=-1) + e) ** (1 / p))[..., None]


# ----------------------------------------------------------------------------- poisson

_F32 = np.dtype(np.float32)


def _poisson_knuth(key, lam, shape, dtype):
    k = fnp.zeros(shape, dtype)
    log_prod = fnp.zeros(shape, _F32)
    while bool(fnp.any(log_prod > -lam)):
        key, subkey = split(key)
        k = fnp.where(log_prod > -lam, k + 1, k)
        log_prod = log_prod + fnp.log(unit(subkey, shape, _F32))
    return fnp.astype(k - 1, dtype)


def _poisson_rejection(key, lam, shape, dtype):
    log_lam = fnp.log(lam)
    b = np.float32(0.931) + np.float32(2.53) * fnp.sqrt(lam)
    a = np.float32(-0.059) + np.float32(0.02483) * b
    inv_alpha = np.float32(1.1239) + np.float32(1.1328) / (b - np.float32(3.4))
    v_r = np.float32(0.9277) - np.float32(3.6224) / (b - np.float32(2))
    k_out = fnp.full(shape, -1.0, _F32)
    accepted = fnp.zeros(shape, bool)
    while not bool(fnp.all(accepted)):
        key, key_u, key_v = split(key, 3)
        u = unit(key_u, shape, _F32) - np.float32(0.5)
        v = unit(key_v, shape, _F32)
        u_shifted = np.float32(0.5) - fnp.abs(u)
        k = fnp.floor((2 * a / u_shifted + b) * u + lam + np.float32(0.43))
        s = fnp.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t_ = -lam + k * log_lam - _special.lgamma_xla(fnp.maximum(k, np.float32(0)) + 1)
        accept1 = (u_shifted >= np.float32(0.07)) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < np.float32(0.013)) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t_))
        k_out = fnp.where(accept, k, k_out)
        accepted = accepted | accept
    return fnp.astype(k_out, dtype)


def poisson(
    key: Array, lam: ArrayLike, shape: Shape | None = None, dtype: DTypeLike | None = None
) -> Array:
    """Poisson integers with rate ``lam``, JAX's algorithm (float32 arithmetic, as in JAX).

    Knuth's method for ``lam < 10`` and Hormann's transformed rejection above; the loops run
    until every entry is done, so this needs concrete inputs (it runs eagerly, not under
    ``jit``/``vmap`` tracing). Draws match JAX's except where a float32 ``log`` rounds
    differently from XLA's, which moves a comparison (rare).

    Examples:
        >>> import ftrans.random as fr
        >>> fr.poisson(fr.PRNGKey(0), 3.0, (8,)).dtype
        dtype('int64')
    """
    key = check_key(key, "ftrans.random.poisson")
    dtype = int_dtype(dtype, "poisson")
    shape = tuple(fnp.shape(lam)) if shape is None else check_shape(shape, "ftrans.random.poisson")
    lam = fnp.astype(fnp.broadcast_to(fnp.asarray(lam), shape), _F32)
    if isinstance(lam, Tracer) or isinstance(key, Tracer):
        raise TypeError(
            "ftrans.random.poisson runs data-dependent loops and needs concrete inputs; call "
            "it outside jit/vmap (or draw the numbers first and pass them in)."
        )
    use_knuth = fnp.isnan(lam) | (lam < 10)
    lam_knuth = fnp.where(use_knuth, lam, np.float32(0))
    lam_rejection = fnp.where(use_knuth, np.float32(1e5), lam)
    result = fnp.where(
        use_knuth,
        _poisson_knuth(key, lam_knuth, shape, dtype),
        _poisson_rejection(key, lam_rejection, shape, dtype),
    )
    return fnp.where(lam == 0, fnp.zeros_like(result), result)


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
    key, shape, dtype = float_args("double_sided_maxwell", key, shape, dtype)
    params = tuple(np.broadcast_shapes(fnp.shape(loc), fnp.shape(scale)))
    shape = (shape or params) + params
    maxwell_key, sign_key = split(key)
    magnitude = maxwell(maxwell_key, shape, dtype)
    sign = rademacher(sign_key, shape, dtype)
    return sign * magnitude * scale + loc
