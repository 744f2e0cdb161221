"""Standard normal float64 draws as ``jax.random.normal`` makes them, traced and as a fast kernel.

JAX's recipe, for entry ``i`` of the output:

* hash the counter ``i`` (Threefry-2x32 under the key) into two words ``b1, b2`` and take the
  top 52 bits of ``b1 * 2**32 + b2`` as the mantissa of a float ``f`` in [1, 2);
* ``u = (f - 1) * 2 + lo`` with ``lo = nextafter(-1, 0)``: uniform on the open interval (-1, 1)
  (``jax.random.uniform(key, shape, minval=lo, maxval=1)``: ``maxval - minval`` rounds to 2);
* ``z = sqrt(2) * erf_inv(u)``, with XLA's ``erf_inv`` (see ``_special.erfinv``).

`normal_traced` is that definition in ``ftrans.numpy`` operations (it batches and
differentiates like any code). `normal_eager` computes the same numbers with the same IEEE
operations on cache-sized slices with ``out=`` buffers, the hash kernel called directly and the
rare branches (``|u| > 0.6436`` for the logarithm, ``|u| > 0.998`` for Giles' outer pieces) only
on the entries that take them, so the two agree bit for bit (the tests check it). Two rewrites
keep the kernel short and exact: the logarithm's rational function is evaluated in ``x**2``
with alternating signs instead of in ``-x**2`` (negation is exact, so every rounding is the
same), and ``w = -log1p(-x**2)`` is assembled without its two negations.

The primitive ``threefry_normal`` (key in, ``n`` draws out) runs `normal_eager` eagerly and
inside ``jit``'s compiled code alike; its batching rule maps `normal_traced` over the keys,
and its derivative is zero. XLA contracts multiply-adds into FMAs, which these NumPy kernels
cannot, so the draws agree with JAX's to within 4 ulp (about 93% exactly).
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

from ftrans.compiler.fusion import get_num_threads
from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Zero
from ftrans.primitives._batch import moveaxis
from ftrans.random import _special
from ftrans.random._ops import random_unit_p
from ftrans.random._prng import combine_words, hash_counters
from ftrans.random._threefry import _thread_pool, hash_into

_F64 = np.dtype(np.float64)
_U32 = np.dtype(np.uint32)
LOW = float(np.nextafter(-1.0, 0.0))
SQRT2 = math.sqrt(2.0)
_SLICE = 1 << 15
_LITTLE_ENDIAN = sys.byteorder == "little"
_TWO_HIGH_WORD = np.array(0x40000000, _U32)  # sign and exponent of 2.0
# the log1p rational function in x**2 = -y: coefficient k of a degree-6 polynomial times (-1)**k
_NUMERATOR_X2 = tuple(c * (-1) ** k for k, c in enumerate(_special.LOG1P_NUMERATOR))
_DENOMINATOR_X2 = tuple(c * (-1) ** k for k, c in enumerate(_special.LOG1P_DENOMINATOR))


def normal_traced(key, n: int):
    """``n`` standard normal float64 draws as traced ``ftrans.numpy`` operations."""
    high, low = hash_counters(key, np.arange(n, dtype=_U32))
    f = random_unit_p.bind(combine_words(high, low, 64), dtype=_F64)
    u = f * 2.0 + LOW
    return SQRT2 * _special.erfinv(u)


def normal_eager(key: np.ndarray, n: int) -> np.ndarray:
    """`normal_traced` for a concrete key, outside every transformation (same numbers)."""
    k0, k1 = int(key[0]), int(key[1])
    out = np.empty(n, _F64)
    starts = range(0, n, _SLICE)
    pool = _thread_pool() if len(starts) > 1 else None
    workers = 1 if pool is None else min(get_num_threads(), len(starts))

    def run(group):  # every worker takes every workers-th slice, with its own buffers
        scratch = _scratch(min(_SLICE, n))
        for s in starts[group::workers]:
            _normal_slice(k0, k1, s, min(s + _SLICE, n), out, scratch)

    if n == 0:
        return out
    if workers == 1:
        run(0)
    else:
        list(pool.map(run, range(workers)))
    return out


_local = threading.local()


def _scratch(size: int) -> _Scratch:
    """Buffers for slices of ``size`` draws; each thread keeps one full-size set between calls
    (fresh buffers every call would mostly cost page faults)."""
    if size < _SLICE:
        return _Scratch(size)
    scratch = getattr(_local, "scratch", None)
    if scratch is None:
        scratch = _local.scratch = _Scratch(_SLICE)
    return scratch


class _Scratch:
    def __init__(self, size: int):
        self.counters, self.high, self.low, self.tmp = (np.empty(size, _U32) for _ in range(4))
        self.u, self.x2, self.w, self.p, self.q = (np.empty(size, _F64) for _ in range(5))
        self.positions = np.arange(size, dtype=_U32)


def _horner(coefficients, x, out):
    """``out = sum c_i x**(n-i)``, highest degree first, in place (``out`` is not ``x``)."""
    np.multiply(x, coefficients[0], out)
    for c in coefficients[1:-1]:
        np.add(out, c, out)
        np.multiply(out, x, out)
    np.add(out, coefficients[-1], out)


def _normal_slice(k0, k1, start, stop, out, scratch):
    m = stop - start
    counters, high, low, tmp = (
        b[:m] for b in (scratch.counters, scratch.high, scratch.low, scratch.tmp)
    )
    u, x2, w, p, q = (b[:m] for b in (scratch.u, scratch.x2, scratch.w, scratch.p, scratch.q))
    np.add(scratch.positions[:m], start, counters)
    hash_into(k0, k1, 0, counters, high, low, tmp)
    # g = 2 f = 2 * 1.mantissa (the top 52 bits of high * 2**32 + low under the exponent of 2.0),
    # so that u = (f - 1) * 2 + LOW = (g - 2) + LOW, with g - 2 exact
    if _LITTLE_ENDIAN:
        words = u.view(_U32).reshape(m, 2)
        np.left_shift(high, 20, tmp)
        np.right_shift(low, 12, low)
        np.bitwise_or(tmp, low, words[:, 0])
        np.right_shift(high, 12, high)
        np.bitwise_or(high, _TWO_HIGH_WORD, words[:, 1])
    else:  # pragma: no cover - big-endian machines
        u[...] = (random_unit_p.impl(combine_words(high, low, 64), dtype=_F64) + 1.0) * 2.0
    np.subtract(u, 2.0, u)
    np.add(u, LOW, u)
    # w = -log1p(-x**2) as XLA computes it: the rational function for x**2 < sqrt(2) - 1
    np.multiply(u, u, x2)
    _horner(_NUMERATOR_X2, x2, p)
    _horner(_DENOMINATOR_X2, x2, q)
    np.divide(p, q, p)
    np.multiply(x2, x2, q)  # y**2
    np.multiply(x2, q, w)
    np.multiply(w, p, w)
    np.multiply(q, 0.5, q)
    np.add(q, w, w)
    np.add(x2, w, w)
    large = np.flatnonzero(x2 >= _special.LOG1P_SMALL)
    if len(large):
        w[large] = -np.log(1.0 - x2[large])
    # Giles' central piece for w < 6.25, then the outer pieces where they apply
    np.subtract(w, 3.125, q)
    _horner(_special.ERFINV64_CENTRAL, q, p)
    outer = np.flatnonzero(w >= 6.25)
    if len(outer):
        p[outer] = _erfinv_outer(w[outer])
    np.multiply(p, u, p)
    np.multiply(p, SQRT2, out[start:stop])


def _erfinv_outer(w):
    """Giles' polynomial for ``w >= 6.25`` (NumPy; the rare entries of the eager kernel)."""
    root = np.sqrt(w)
    middle = w < 16.0
    result = np.empty_like(w)
    for mask, coefficients, shift in (
        (middle, _special.ERFINV64_MIDDLE, 3.25),
        (~middle, _special.ERFINV64_TAIL, 5.0),
    ):
        t = root[mask] - shift
        p = np.full_like(t, coefficients[0])
        for c in coefficients[1:]:
            p = c + p * t
        result[mask] = p
    return result


# ----------------------------------------------------------------------------- the primitive


def _threefry_normal_aval(key, *, n):
    if key.dtype != _U32 or key.shape != (2,):
        raise TypeError(f"threefry_normal takes a uint32[2] key, got {key.str_short()}")
    return ShapedArray((n,), _F64)


def _threefry_normal_jvp(primals, tangents, *, n):
    out = threefry_normal_p.bind(*primals, n=n)
    return out, Zero.like(out)


def _threefry_normal_batch(vals, dims, *, n):
    from ftrans.mapping import vmap

    keys = moveaxis(vals[0], dims[0], 0)
    return vmap(lambda key: normal_traced(key, n))(keys), 0


threefry_normal_p = Primitive("threefry_normal")
numpy_only("random bits: in-place NumPy kernels", threefry_normal_p)
threefry_normal_p.impl = lambda key, *, n: normal_eager(np.asarray(key), n)
threefry_normal_p.abstract_eval = _threefry_normal_aval
threefry_normal_p.jvp = _threefry_normal_jvp
threefry_normal_p.batch = _threefry_normal_batch
