"""Bit-level primitives: ``population_count``, ``clz``, ``bitcast_convert_type`` and
``nextafter``. None has a nonzero derivative (integer outputs, or steps of one ulp)."""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Zero
from ftrans.primitives._batch import elementwise_rule
from ftrans.primitives.elementwise import _binary_aval


def _zero_jvp(primitive):
    def jvp(primals, tangents, **params):
        out = primitive.bind(*primals, **params)
        return out, Zero.like(out)

    return jvp


def _integer_aval(name):
    def aval(x, **_):
        if x.dtype.kind not in "iu":
            raise TypeError(f"{name} takes integer operands, got {x.dtype}")
        return ShapedArray(x.shape, x.dtype)

    return aval


def _primitive(name, impl, aval):
    p = Primitive(name)
    p.impl = impl
    p.abstract_eval = aval
    p.jvp = _zero_jvp(p)
    p.batch = elementwise_rule(p)
    return p


def _unsigned(x):
    return x.view(np.dtype(f"u{x.dtype.itemsize}"))


def _popcount_impl(x):
    x = np.asarray(x)
    return np.bitwise_count(_unsigned(x)).astype(x.dtype)


def _clz_impl(x):
    x = np.asarray(x)
    width = 8 * x.dtype.itemsize
    u = _unsigned(x).copy()
    length = np.zeros(x.shape, np.int64)
    for shift in (32, 16, 8, 4, 2, 1):
        if shift >= width:
            continue
        high = (u >> shift) != 0
        length += high * shift
        u = np.where(high, u >> shift, u)
    length += u != 0
    return (width - length).astype(x.dtype)


population_count_p = _primitive(
    "population_count", _popcount_impl, _integer_aval("population_count")
)
numpy_only("integer and bit operations: NumPy's kernels", population_count_p)
clz_p = _primitive("clz", _clz_impl, _integer_aval("clz"))
numpy_only("integer and bit operations: NumPy's kernels", clz_p)
population_count = population_count_p.bind
clz = clz_p.bind


def _bitcast_impl(x, *, new_dtype):
    x = np.asarray(x)
    return (x if x.flags.c_contiguous else x.copy()).view(new_dtype)


def _bitcast_aval(x, *, new_dtype):
    if x.dtype.itemsize != new_dtype.itemsize:
        raise TypeError(f"bitcast_convert_type: {x.dtype} and {new_dtype} differ in width")
    return ShapedArray(x.shape, new_dtype)


bitcast_p = _primitive("bitcast_convert_type", _bitcast_impl, _bitcast_aval)
numpy_only("integer and bit operations: NumPy's kernels", bitcast_p)


def bitcast(x, new_dtype):
    return bitcast_p.bind(x, new_dtype=np.dtype(new_dtype))


def _nextafter_aval(x, y, **_):
    if x.dtype.kind != "f" or x.dtype != y.dtype:
        raise TypeError(f"nextafter takes two floats of one dtype, got {x.dtype} and {y.dtype}")
    return _binary_aval(x, y)


nextafter_p = _primitive("nextafter", lambda x, y: np.nextafter(x, y), _nextafter_aval)
numpy_only("integer and bit operations: NumPy's kernels", nextafter_p)
nextafter = nextafter_p.bind


def _mulhi_impl(x, y):
    x, y = np.asarray(x), np.asarray(y)
    dtype = x.dtype
    width = 8 * dtype.itemsize
    if width <= 32:
        wide = np.int64 if dtype.kind == "i" else np.uint64
        return ((x.astype(wide) * y.astype(wide)) >> width).astype(dtype)
    # 64 bits: schoolbook multiplication on 32-bit halves, unsigned, then the signed correction
    ux, uy = x.view(np.uint64), y.view(np.uint64)
    mask = np.uint64(0xFFFFFFFF)
    s = np.uint64(32)
    xl, xh, yl, yh = ux & mask, ux >> s, uy & mask, uy >> s
    ll, lh, hl, hh = xl * yl, xl * yh, xh * yl, xh * yh
    middle = (ll >> s) + (lh & mask) + (hl & mask)
    high = hh + (lh >> s) + (hl >> s) + (middle >> s)
    if dtype.kind == "i":
        high = (
            high
            - np.where(x < 0, uy, 0).astype(np.uint64)
            - np.where(y < 0, ux, 0).astype(np.uint64)
        )
    return high.view(dtype)


def _mulhi_aval(x, y, **_):
    if x.dtype.kind not in "iu" or x.dtype != y.dtype:
        raise TypeError(f"mulhi takes two integers of one dtype, got {x.dtype} and {y.dtype}")
    return _binary_aval(x, y)


mulhi_p = _primitive("mulhi", _mulhi_impl, _mulhi_aval)
numpy_only("integer and bit operations: NumPy's kernels", mulhi_p)
mulhi = mulhi_p.bind


# ----------------------------------------------------------------------------- reduce_precision


def _reduce_precision_impl(x, *, exponent_bits, mantissa_bits):
    """Round to ``mantissa_bits`` (to nearest, ties to even) and clamp to the exponent range
    of ``exponent_bits`` (overflow to inf, underflow to signed zero), on the bits, as XLA's
    ReducePrecision does."""
    x = np.asarray(x)
    finfo = np.finfo(x.dtype)
    src_mant, src_exp = finfo.nmant, finfo.nexp
    uint = np.dtype(f"u{x.dtype.itemsize}")
    bits = x.view(uint).copy()
    one = uint.type(1)
    if mantissa_bits < src_mant:
        shift = uint.type(src_mant - mantissa_bits)
        last = one << shift
        bias = (last >> one) - one
        bits = (bits + ((bits & last) >> shift) + bias) & ~(last - one)
    if exponent_bits < src_exp:
        exponent_mask = uint.type(((1 << src_exp) - 1) << src_mant)
        sign_mask = uint.type(1 << (8 * x.dtype.itemsize - 1))
        src_bias = (1 << (src_exp - 1)) - 1
        reduced_bias = (1 << (exponent_bits - 1)) - 1
        exponent = bits & exponent_mask
        over = exponent > uint.type((src_bias + reduced_bias) << src_mant)
        under = exponent <= uint.type((src_bias - reduced_bias) << src_mant)
        signed_zero = bits & sign_mask
        bits = np.where(over, signed_zero | exponent_mask, np.where(under, signed_zero, bits))
    out = np.asarray(bits, uint).view(x.dtype)
    return np.asarray(np.where(np.isnan(x), x, out), x.dtype)  # NaN stays NaN


def _reduce_precision_aval(x, *, exponent_bits, mantissa_bits):
    if x.dtype.kind != "f":
        raise TypeError(f"reduce_precision takes floating operands, got {x.dtype}")
    if exponent_bits < 1 or mantissa_bits < 0:
        raise ValueError(
            f"reduce_precision needs exponent_bits >= 1 and mantissa_bits >= 0, got "
            f"{exponent_bits} and {mantissa_bits}"
        )
    return ShapedArray(x.shape, x.dtype)


# JAX treats it as linear (the tangent and cotangent are rounded the same way); so does ftrans
reduce_precision_p = Primitive("reduce_precision", linear=True)
numpy_only("integer and bit operations: NumPy's kernels", reduce_precision_p)
reduce_precision_p.impl = _reduce_precision_impl
reduce_precision_p.abstract_eval = _reduce_precision_aval
reduce_precision_p.batch = elementwise_rule(reduce_precision_p)
reduce_precision_p.jvp = lambda primals, tangents, **params: (
    reduce_precision_p.bind(primals[0], **params),
    Zero.like(primals[0])
    if type(tangents[0]) is Zero
    else reduce_precision_p.bind(tangents[0], **params),
)
reduce_precision_p.transpose = lambda ct, x, **params: [reduce_precision_p.bind(ct, **params)]


def reduce_precision(operand, exponent_bits, mantissa_bits):
    """``operand`` rounded to a float format with ``exponent_bits`` and ``mantissa_bits``
    (e.g. 5 and 10 for float16, 8 and 7 for bfloat16), kept in its own dtype.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.reduce_precision(np.array([1.0 + 2**-11, 70000.0]), 5, 10)  # as float16
        array([ 1., inf])
    """
    return reduce_precision_p.bind(
        operand if not isinstance(operand, float | int) else np.asarray(operand, np.float64),
        exponent_bits=int(exponent_bits),
        mantissa_bits=int(mantissa_bits),
    )
