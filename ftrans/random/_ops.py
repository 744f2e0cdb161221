"""Elementwise primitives the samplers need to reproduce XLA's float arithmetic bit for bit.

* ``random_fma(a, b, c)``: ``a * b + c`` rounded once (a fused multiply-add). XLA's CPU backend
  contracts ``x * y + z`` into an FMA, so ``jax.random.uniform(minval=, maxval=)`` computes
  ``fma(u, maxval - minval, minval)``; plain NumPy rounds twice and differs in the last bit for
  about 40% of draws. float64 uses the error-free product (Veltkamp/Dekker) and Boldo &
  Melquiond's rounding to odd, which is exact; narrower floats compute in float64, where the
  product is exact and one rounding of the sum is followed by the rounding to the output type.
* ``random_nextafter(x, y)``: ``numpy.nextafter`` (``lax.nextafter``), derivative zero.
* ``random_unit(bits, dtype=)``: unsigned bits to floats in [0, 1) as ``jax.random.uniform``
  does: the top mantissa bits under the exponent of 1.0, minus 1.

Each is one primitive with its rules here; batching is elementwise broadcasting.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Zero
from ftrans.primitives._batch import align_elementwise
from ftrans.primitives.elementwise import add, instantiate_zero, mul

_SPLITTER = 134217729.0  # 2**27 + 1


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = _SPLITTER * a
    high = c - (c - a)
    return high, a - high


def _fma64(a, b, c):
    """Correctly rounded ``a * b + c`` in float64 (finite, not near overflow/underflow)."""
    with np.errstate(over="ignore", invalid="ignore"):
        a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
        product = a * b
        a_high, a_low = _split(a)
        b_high, b_low = _split(b)
        product_error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + (
            a_low * b_low
        )
        high, low = _two_sum(c, product)
        tail, tail_error = _two_sum(low, product_error)
        # round `tail` to odd: where the sum was inexact and its last bit is even, step one
        # ulp towards the exact value
        bits = tail.view(np.int64)
        step = (tail_error != 0) & ((bits & 1) == 0)
        toward = np.where(tail_error > 0, np.inf, -np.inf)
        tail = np.where(step, np.nextafter(tail, toward), tail)
        out = high + tail
        # non-finite inputs or a product out of range: the plain expression is the answer
        plain = product + c
        return np.where(np.isfinite(out) & np.isfinite(product_error), out, plain)


def _fma_impl(a, b, c):
    dtype = np.result_type(a, b, c)
    if dtype == np.float64:
        return np.asarray(_fma64(a, b, c), dtype)
    if dtype.kind == "f":
        wide = np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)
        return wide.astype(dtype)
    return np.asarray(a * b + c)


def _same_aval(*avals):
    shape = np.broadcast_shapes(*[a.shape for a in avals])
    return ShapedArray(shape, np.result_type(*[a.dtype for a in avals]))


def _fma_jvp(primals, tangents):
    a, b, c = primals
    out = random_fma_p.bind(a, b, c)
    terms = []
    for t, other in ((tangents[0], b), (tangents[1], a)):
        if not isinstance(t, Zero):
            terms.append(mul(t, other))
    if not isinstance(tangents[2], Zero):
        terms.append(tangents[2])
    if not terms:
        return out, Zero.like(out)
    tangent = terms[0]
    for t in terms[1:]:
        tangent = add(tangent, t)
    return out, add(tangent, instantiate_zero(Zero.like(out)))


def _elementwise_batch(prim):
    def batch(vals, dims, **params):
        vals, out_dim = align_elementwise(vals, dims)
        return prim.bind(*vals, **params), out_dim

    return batch


random_fma_p = Primitive("random_fma")
numpy_only("random bits: in-place NumPy kernels", random_fma_p)
random_fma_p.impl = _fma_impl
random_fma_p.abstract_eval = _same_aval
random_fma_p.jvp = _fma_jvp
random_fma_p.batch = _elementwise_batch(random_fma_p)


def _nextafter_jvp(primals, tangents):
    out = random_nextafter_p.bind(*primals)
    return out, Zero.like(out)


random_nextafter_p = Primitive("random_nextafter")
numpy_only("random bits: in-place NumPy kernels", random_nextafter_p)
random_nextafter_p.impl = lambda x, y: np.asarray(np.nextafter(x, y))
random_nextafter_p.abstract_eval = _same_aval
random_nextafter_p.jvp = _nextafter_jvp
random_nextafter_p.batch = _elementwise_batch(random_nextafter_p)


def unit_float(bits: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """NumPy: unsigned ``bits`` (as wide as ``dtype``) to ``dtype`` floats in [0, 1)."""
    info = np.finfo(dtype)
    uint = np.dtype(f"uint{info.bits}")
    one = np.array(1.0, dtype).view(uint)
    shift = uint.type(info.bits - info.nmant)
    floats = ((bits.astype(uint, copy=False) >> shift) | one).view(dtype)
    return floats - dtype.type(1.0)


def _unit_aval(bits, *, dtype):
    return ShapedArray(bits.shape, np.dtype(dtype))


def _unit_jvp(primals, tangents, *, dtype):
    out = random_unit_p.bind(*primals, dtype=dtype)
    return out, Zero.like(out)


random_unit_p = Primitive("random_unit")
numpy_only("random bits: in-place NumPy kernels", random_unit_p)
random_unit_p.impl = lambda bits, *, dtype: np.asarray(
    unit_float(np.asarray(bits), np.dtype(dtype))
)
random_unit_p.abstract_eval = _unit_aval
random_unit_p.jvp = _unit_jvp
random_unit_p.batch = lambda vals, dims, *, dtype: (
    random_unit_p.bind(vals[0], dtype=dtype),
    dims[0],
)


def fma(a, b, c):
    """``a * b + c`` with one rounding (see the module docstring)."""
    return random_fma_p.bind(a, b, c)


def nextafter(x, y):
    return random_nextafter_p.bind(x, y)
