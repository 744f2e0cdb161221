"""``binomial`` and ``multinomial``, ``jax.random``'s algorithms step for step.

``binomial`` (as JAX, after TensorFlow): for ``n * min(p, 1-p) <= 10`` the inversion method
(count geometric waiting times until they pass ``n``), otherwise Hormann's BTRS transformed
rejection with its Stirling-series bound; draws with ``p > 1/2`` are made for ``1 - p`` and
reflected. ``multinomial`` draws one binomial per category on the remaining count (a scan in
JAX, a loop here). Like ``poisson``, both run data-dependent loops until every entry is done,
so they need concrete inputs (not ``jit``/``vmap`` tracing).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from ftrans.core import Tracer
from ftrans.random import _special
from ftrans.random._distributions import float_dtype, unit
from ftrans.random._prng import broadcast_shape, check_key, check_shape, split
from ftrans.typing import Array, ArrayLike

Shape = int | tuple[int, ...]

_STIRLING_TAIL = np.array([
    0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
    0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
    0.00925546218271273, 0.00833056343336287,
])  # fmt: skip


def _stirling_tail(k):
    """``log k! - Stirling(k)`` from a table for ``k <= 9`` and the series beyond; like JAX, the
    series is evaluated at ``k`` clamped to [0, 9]."""
    use_table = k <= 9
    k = np.clip(k, 0.0, 9.0)
    kp1sq = (k + 1) * (k + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    table = _STIRLING_TAIL.astype(k.dtype)[np.floor(k).astype(np.int32)]
    return np.where(use_table, table, approx)


def _inversion(key, count, prob, shape):
    log1minusprob = np.asarray(_special.log1p_xla(-prob))
    num_geom = np.zeros(shape, prob.dtype)
    geom_sum = np.zeros(shape, prob.dtype)
    running = (geom_sum <= count) & (log1minusprob != 0)  # p == 0 never gets going: 0 draws
    while running.any():
        subkey, key = split(key)
        num_geom = np.where(running, num_geom + 1, num_geom)
        u = unit(subkey, shape, prob.dtype)
        geom_sum = geom_sum + np.ceil(np.log(u) / np.where(log1minusprob == 0, -1, log1minusprob))
        running = (geom_sum <= count) & (log1minusprob != 0)
    return np.where(log1minusprob == 0, 0, num_geom - 1)


def _btrs(key, count, prob, shape):
    stddev = np.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = np.floor((count + 1) * prob)
    k_out = np.full(shape, -1.0, prob.dtype)
    accepted = np.zeros(shape, bool)
    while not accepted.all():
        key, key_u, key_v = split(key, 3)
        u = unit(key_u, shape, prob.dtype) - 0.5
        v = unit(key_v, shape, prob.dtype)
        us = 0.5 - np.abs(u)
        accept1 = (us >= 0.07) & (v <= v_r)
        k = np.floor((2 * a / us + b) * u + c)
        reject = (k < 0) | (k > count)
        log_v = np.log(v * alpha / (a / (us * us) + b))
        bound = (
            (m + 0.5) * np.log((m + 1) / (r * (count - m + 1)))
            + (count + 1) * np.log((count - m + 1) / (count - k + 1))
            + (k + 0.5) * np.log(r * (count - k + 1) / (k + 1))
            + _stirling_tail(m)
            + _stirling_tail(count - m)
            - _stirling_tail(k)
            - _stirling_tail(count - k)
        )
        accept = accept1 | (~reject & (log_v <= bound))
        k_out = np.where(accept, k, k_out)
        accepted |= accept
    return k_out


def _concrete(fn: str, *values):
    if any(isinstance(v, Tracer) for v in values):
        raise TypeError(
            f"ftrans.random.{fn} runs data-dependent loops and needs concrete inputs; call it "
            "outside jit/vmap (or draw the numbers first and pass them in)."
        )


def binomial(
    key: Array,
    n: ArrayLike,
    p: ArrayLike,
    shape: Shape | None = None,
    dtype: DTypeLike | None = None,
) -> Array:
    """Binomial counts (as floats, like JAX) of ``n`` trials with success probability ``p``.

    Examples:
        >>> import ftrans.random as fr
        >>> x = fr.binomial(fr.PRNGKey(0), 20, 0.3, (1000,))
        >>> x.dtype, bool(((0 <= x) & (x <= 20)).all())
        (dtype('float64'), True)
    """
    key = check_key(key, "ftrans.random.binomial")
    dtype = float_dtype(dtype, "binomial")
    _concrete("binomial", key, n, p)
    shape = broadcast_shape("ftrans.random.binomial", shape, n, p)
    prob = np.asarray(p)
    if not np.issubdtype(prob.dtype, np.inexact):
        prob = prob.astype(np.float64)
    count = np.broadcast_to(np.asarray(n).astype(prob.dtype), shape)
    prob = np.broadcast_to(prob, shape)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        p_lt_half = prob < 0.5
        q = np.where(p_lt_half, prob, 1.0 - prob)
        count_nan_or_neg = np.isnan(count) | (count < 0.0)
        count_inf = np.isinf(count)
        q_is_nan, q_l_0 = np.isnan(q), q < 0.0
        q = np.where(q_is_nan | q_l_0, prob.dtype.type(0.01), q)
        use_inversion = count_nan_or_neg | (count * q <= 10.0)
        count = np.floor(count)
        count_inv = np.where(use_inversion, count, 0.0)
        count_btrs = np.where(use_inversion, 1e4, count)
        q_btrs = np.where(use_inversion, 0.5, q).astype(prob.dtype)
        samples = np.where(
            use_inversion,
            _inversion(key, count_inv, q.astype(prob.dtype), shape),
            _btrs(key, count_btrs, q_btrs, shape),
        ).astype(dtype)
        invalid = q_l_0 | q_is_nan | count_nan_or_neg
        samples = np.where(invalid, np.nan, samples)
        samples = np.where(count_inf & ~invalid, np.inf, samples)
        keep = p_lt_half | count_nan_or_neg | q_is_nan | count_inf
        return np.where(keep, samples, count.astype(dtype) - samples).astype(dtype)


def multinomial(
    key: Array,
    n: ArrayLike,
    p: ArrayLike,
    *,
    shape: Shape | None = None,
    dtype: DTypeLike | None = None,
    unroll: int | bool = 1,
) -> Array:
    """Multinomial counts over the last axis of ``p`` for ``n`` trials: a binomial per category
    on what remains, as ``jax.random.multinomial`` (``unroll`` is accepted and ignored).

    Examples:
        >>> import numpy as np, ftrans.random as fr
        >>> fr.multinomial(fr.PRNGKey(0), 10, np.array([0.2, 0.3, 0.5])).sum()
        np.float64(10.0)
    """
    key = check_key(key, "ftrans.random.multinomial")
    _concrete("multinomial", key, n, p)
    p = np.asarray(p)
    if not np.issubdtype(p.dtype, np.inexact):
        p = p.astype(np.float64)
    n = np.asarray(n).astype(np.result_type(np.asarray(n).dtype, p.dtype, np.float16))
    p = p.astype(np.result_type(p.dtype, n.dtype))
    shape = p.shape if shape is None else check_shape(shape, "ftrans.random.multinomial")
    n = np.broadcast_to(n.astype(p.dtype), shape[:-1])
    p = np.moveaxis(np.broadcast_to(p, shape), -1, 0)
    remaining = np.cumsum(p[::-1], axis=0)[::-1]
    ratios = p / np.where(remaining == 0, 1, remaining)
    keys = split(key, ratios.shape[0])
    remainder, counts = n, []
    for ratio, k in zip(ratios, keys, strict=True):
        count = binomial(k, remainder, np.clip(ratio, 0, 1), dtype=remainder.dtype)
        remainder = remainder - count
        counts.append(count)
    return np.moveaxis(np.stack(counts), 0, -1).astype(float_dtype(dtype, "multinomial"))
