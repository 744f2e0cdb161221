"""Vectorisable transcendental functions for native code: branch-free scalar kernels.

numba's ``np.exp``/``np.sin``/... are calls into the C library, one element at a time: a
loop holding one cannot be vectorised (llvmlite has no SVML). The kernels here are written
in plain arithmetic, FMA and selects (no branches), so once LLVM inlines them into a fused
loop nest it vectorises the whole body (``vfmadd...pd`` on ``ymm``/``zmm`` registers).

Every kernel takes and returns one scalar: ``exp_f64(x)`` for float64, ``exp_f32(x)`` for
float32 (computed in float64 with the same kernel and rounded once to float32). The
methods are the textbook ones:

* ``exp``/``expm1``/``exp2``: ``x = k ln2 + r`` (Cody-Waite: ``ln2`` split in two parts,
  the products by FMA) with ``|r| <= ln2/2``, a Taylor polynomial for ``e^r``, and
  ``2^k`` built in the exponent bits; ``2^k`` is applied as two factors ``2^(k//2)`` and
  ``2^(k - k//2)``, so results that overflow or are subnormal round once, like NumPy's.
* ``log``/``log1p``: ``x = 2^e m`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` read from
  the bits (subnormals scaled by ``2^54`` first), ``log(m) = 2 atanh(s)`` with
  ``s = f/(2+f)``, ``f = m - 1``, as a polynomial in ``s^2``.
* ``sin``/``cos``: ``x = k pi/2 + r``. For ``|x| <= TRIG_MAX`` (2^28) Cody-Waite, ``pi/2``
  in three parts (products by FMA); above, Payne-Hanek: ``x = M 2^q`` with an integer
  ``M``, and ``x 2/pi mod 4 = M F_q mod 4`` where ``F_q = (2/pi) 2^q mod 4`` is read (as four
  doubles) from a table computed at import with integer arithmetic, the products exact by
  FMA. Both reductions are computed and one selected. Then a Taylor polynomial for each of
  ``sin r`` and ``cos r``, the quadrant chosen by selects.
* ``tanh``: ``expm1(2|x|) / (expm1(2|x|) + 2)`` with the sign copied; ``logistic``: ftrans's
  formula (``1/(1+e^-x)`` or ``e^x/(1+e^x)``) over ``exp``.

Accuracy: within 4 ulp of NumPy's result everywhere (``tests/test_native_vecmath.py``
checks it over the whole range, at the reduction boundaries and at the special values, for
both dtypes); NaN, infinities, signed zeros, overflow to inf, underflow to 0 and subnormal
results are NumPy's. ``ft.config.update("native_fast_math", False)`` makes native code call
the C library's functions instead (numba's ``np.exp``, ...: what native code did before).

The kernels are compiled with ``inline="always"``: numba inlines them into the generated
program before LLVM sees it (LLVM alone would not inline kernels this large, and a call in
the loop body keeps the loop scalar).

``VERSION`` is a hash of this file: generated programs that use a kernel carry it in a
comment, so numba's disk cache (keyed by the program's source) never reuses a program
compiled against older kernels.
"""

from __future__ import annotations

import hashlib
import math
import os
from types import FunctionType

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

with open(os.path.abspath(__file__), "rb") as _f:
    VERSION = hashlib.sha256(_f.read()).hexdigest()[:16]

# ----------------------------------------------------------------------------- LLVM primitives


@intrinsic
def fma(typingctx, a, b, c):
    """``a*b + c`` rounded once (LLVM's ``llvm.fma``: one ``vfmadd`` instruction)."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, sig, args):
        return builder.fma(*args)

    return a(a, a, a), codegen


@intrinsic
def select(typingctx, cond, a, b):
    """``a if cond else b`` as an LLVM ``select`` (no branch: both sides are computed)."""
    if not (isinstance(cond, types.Boolean) and a == b):
        return None

    def codegen(context, builder, sig, args):
        return builder.select(*args)

    return a(cond, a, b), codegen


def _unary_intrinsic(name, doc):
    @intrinsic
    def call(typingctx, x):
        if not isinstance(x, types.Float):
            return None

        def codegen(context, builder, sig, args):
            fn = builder.module.declare_intrinsic(name, [args[0].type])
            return builder.call(fn, args)

        return x(x), codegen

    call.__doc__ = doc
    return call


fabs = _unary_intrinsic("llvm.fabs", "``|x|`` (clears the sign bit).")
floor = _unary_intrinsic("llvm.floor", "The largest integer at most ``x`` (one instruction).")


@intrinsic
def copysign(typingctx, x, y):
    """``|x|`` with the sign of ``y``."""
    if not (isinstance(x, types.Float) and x == y):
        return None

    def codegen(context, builder, sig, args):
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.copysign", [t], ir.FunctionType(t, [t, t]))
        return builder.call(fn, args)

    return x(x, y), codegen


@intrinsic
def bits(typingctx, x):
    """The bits of a float64 as an int64 (an LLVM ``bitcast``: no instruction)."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(x), codegen


@intrinsic
def from_bits(typingctx, i):
    """The float64 whose bits are the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(i), codegen


# ----------------------------------------------------------------------------- constants


def _split(value: float, keep: int) -> tuple[float, float]:
    """``value`` as ``hi + lo``: ``hi`` its leading ``keep`` significand bits (so ``k * hi``
    is exact for integers ``|k| < 2^(53 - keep)``), ``lo`` the rest, rounded."""
    b = int(np.float64(value).view(np.int64)) & ~((1 << (52 - keep)) - 1)
    hi = float(np.int64(b).view(np.float64))
    return hi, value - hi


_LN2 = 0.6931471805599453094172321214581765680755
LN2_HI = _LN2  # with FMA, k * LN2_HI needs no zero bits: the product is exact inside the FMA
LN2_LO = 2.319046813846299558417771e-17  # ln 2 - LN2_HI (from mpmath at 300 bits)
LOG2E = 1.4426950408889634073599246810018921374266
# log: e * LN2_HI_LOG exact for |e| <= 2^12 (trailing zero bits), the rest in LN2_LO_LOG
LN2_HI_LOG, LN2_LO_LOG = _split(_LN2, 40)
#: 1.5 * 2^52: adding it rounds a float of magnitude below 2^51 to an integer (ties to even),
#: which then sits in the low bits of the sum's significand
ROUND = 6755399441055744.0
ROUND_BITS = 0x4338000000000000
SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # bits of sqrt(1/2) rounded
TWO54 = 18014398509481984.0
TINY = 2.0**-54  # below this, expm1(x) and log1p(x) round to x
MIN_NORMAL = 2.2250738585072014e-308
# pi/2 = PIO2_1 + PIO2_2 + PIO2_3 (each the rounded rest of the one before: 159 bits)
PIO2_1 = 1.5707963267948966192313216916397514420986
PIO2_2 = 6.123233995736766035868820147291818e-17
PIO2_3 = -1.4973849048591698329435e-33
TWO_OVER_PI = 0.6366197723675813430755350534900574481378
#: sin and cos reduce ``|x| <= TRIG_MAX`` by Cody-Waite, larger ``|x|`` by Payne-Hanek
TRIG_MAX = 2.0**28
INF = math.inf
NAN = math.nan

# Taylor coefficients 1/n! (exp), (-1)^n/(2n+1)! (sin), (-1)^n/(2n)! (cos), 2/(2n+1) (atanh)
_F = [1.0 / math.factorial(n) for n in range(20)]
E2, E3, E4, E5, E6, E7, E8, E9, E10, E11, E12, E13 = _F[2:14]
S3, S5, S7, S9, S11, S13, S15, S17 = (-_F[3], _F[5], -_F[7], _F[9], -_F[11], _F[13], -_F[15],
                                      _F[17])  # fmt: skip
C2, C4, C6, C8, C10, C12, C14, C16, C18 = (-_F[2], _F[4], -_F[6], _F[8], -_F[10], _F[12],
                                           -_F[14], _F[16], -_F[18])  # fmt: skip
L1, L2, L3, L4, L5, L6, L7, L8, L9, L10 = (2.0 / (2 * n + 1) for n in range(1, 11))

_jit = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")

# ----------------------------------------------------------------------------- exp family


@_jit
def _exp_poly(r):
    """e^r - 1 - r for |r| <= ln2/2 (Taylor to degree 13, Horner with FMA)."""
    p = fma(r, E13, E12)
    p = fma(p, r, E11)
    p = fma(p, r, E10)
    p = fma(p, r, E9)
    p = fma(p, r, E8)
    p = fma(p, r, E7)
    p = fma(p, r, E6)
    p = fma(p, r, E5)
    p = fma(p, r, E4)
    p = fma(p, r, E3)
    p = fma(p, r, E2)
    return (r * r) * p


@_jit
def _reduce_ln2(x):
    """``(k, r)`` with ``x = k ln2 + r``, ``k`` an integer (as int64), ``|r| <= ln2/2``."""
    shifted = fma(x, LOG2E, ROUND)
    kf = shifted - ROUND
    r = fma(-kf, LN2_HI, x)
    r = fma(-kf, LN2_LO, r)
    return bits(shifted) - ROUND_BITS, r


@_jit
def _scale(p, k):
    """``p * 2^k`` for ``-1100 < k < 1100``, rounded once (two exact power-of-two factors)."""
    k1 = k >> 1
    return (p * from_bits((k1 + 1023) << 52)) * from_bits((k - k1 + 1023) << 52)


@_jit
def exp_f64(x):
    """``e^x`` for float64."""
    x = select(x > 710.0, 710.0, x)  # beyond these the result is inf / 0 (NaN stays NaN)
    x = select(x < -746.0, -746.0, x)
    k, r = _reduce_ln2(x)
    return _scale(1.0 + (r + _exp_poly(r)), k)


@_jit
def expm1_f64(x):
    """``e^x - 1`` for float64 (accurate near 0)."""
    y = select(x > 710.0, 710.0, x)
    y = select(y < -40.0, -40.0, y)  # e^-40 - 1 rounds to -1
    k, r = _reduce_ln2(y)
    em = r + _exp_poly(r)  # e^r - 1
    t = from_bits((select(k < 1000, k, 0) + 1023) << 52)  # 2^k (k > -60 here)
    small = t * em + (t - 1.0)  # 2^k (e^r - 1) + 2^k - 1
    big = _scale(em + 1.0, k)  # the -1 is below the rounding
    out = select(k < 1000, small, big)
    return select(fabs(x) < TINY, x, out)  # keeps -0.0 and subnormals exact


@_jit
def exp2_f64(x):
    """``2^x`` for float64."""
    x = select(x > 1025.0, 1025.0, x)
    x = select(x < -1077.0, -1077.0, x)
    shifted = x + ROUND
    kf = shifted - ROUND
    f = x - kf  # exact, |f| <= 1/2
    r = fma(f, LN2_HI, f * LN2_LO)  # f ln2 to ~0.5 ulp
    return _scale(1.0 + (r + _exp_poly(r)), bits(shifted) - ROUND_BITS)


# ----------------------------------------------------------------------------- log family


@_jit
def _log_parts(x):
    """``(e, f, y)`` with ``x = 2^e (1 + f)``, ``1 + f`` in ``[sqrt(1/2), sqrt(2))`` and
    ``y = log(1 + f)`` as ``f - y`` (for finite positive ``x``; garbage otherwise)."""
    sub = x < MIN_NORMAL
    xs = select(sub, x * TWO54, x)
    b = bits(xs)
    e = (b - SQRT_HALF_BITS) >> 52
    m = from_bits(b - (e << 52))
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    q = fma(z, L10, L9)
    q = fma(q, z, L8)
    q = fma(q, z, L7)
    q = fma(q, z, L6)
    q = fma(q, z, L5)
    q = fma(q, z, L4)
    q = fma(q, z, L3)
    q = fma(q, z, L2)
    q = fma(q, z, L1)
    rest = s * (f - z * q)  # log(1+f) = f - s (f - R(s^2)), R = sum 2 s^2n / (2n+1)
    ef = np.float64(e - select(sub, np.int64(54), np.int64(0)))
    return ef, f, rest


@_jit
def log_f64(x):
    """Natural logarithm for float64."""
    ef, f, rest = _log_parts(x)
    out = fma(ef, LN2_HI_LOG, f - fma(-ef, LN2_LO_LOG, rest))
    special = select(x == 0.0, -INF, NAN)  # negative and NaN: NaN
    out = select(x > 0.0, out, special)
    return select(x == INF, INF, out)


@_jit
def log1p_f64(x):
    """``log(1 + x)`` for float64 (accurate near 0)."""
    u = 1.0 + x
    # the rounding error of u, exactly: (1 + x) - u
    d = select(x < 1.0, x - (u - 1.0), 1.0 - (u - x))
    ef, f, rest = _log_parts(u)
    c = d / u
    out = fma(ef, LN2_HI_LOG, f - (fma(-ef, LN2_LO_LOG, rest) - c))
    special = select(x == -1.0, -INF, NAN)
    out = select(x > -1.0, out, special)
    out = select(x == INF, INF, out)
    return select(fabs(x) < TINY, x, out)


# ----------------------------------------------------------------------------- sin, cos, tanh


def _two_over_pi_table(q_min: int, q_max: int) -> np.ndarray:
    """``table[q - q_min] = F0, F1, F2, F3``: ``(2/pi) 2^q mod 4`` as four non-overlapping
    doubles, for each ``q`` from ``q_min`` to ``q_max``. ``x = M 2^q`` (``M`` an integer)
    has ``x 2/pi = M (F0 + F1 + F2 + F3) mod 4`` (the dropped part times ``M`` is a multiple
    of 4). 2/pi comes from Machin's formula in integer arithmetic."""
    bits = 1300 + q_max
    one = 1 << (bits + 16)

    def arctan_inv(n):  # arctan(1/n) * one
        total, term, k, sign = 0, one // n, 1, 1
        while term:
            total += sign * (term // k)
            term //= n * n
            k += 2
            sign = -sign
        return total

    pi = 16 * arctan_inv(5) - 4 * arctan_inv(239)  # pi * one
    two_over_pi = (2 * one << bits) // pi  # floor((2/pi) 2^bits), to ~1 unit
    table = np.empty((q_max - q_min + 1, 4))
    for q in range(q_min, q_max + 1):
        # (2/pi) 2^q mod 4 in units of 2^-(bits - q): keep the bits below 2^2
        scaled = two_over_pi & ((1 << (bits - q + 2)) - 1) if q > -2 else two_over_pi
        denom = bits - q
        for j in range(4):
            part = scaled / (1 << denom)  # correctly rounded (Python's int division)
            num, den = part.as_integer_ratio()
            scaled -= (num << denom) // den  # exact: den is a power of two dividing 2^denom
            table[q - q_min, j] = part
    return table


#: |x| above TRIG_MAX: x = M 2^q, q from -24 (x = 2^28) to 971 (the largest doubles)
_Q_MIN = -30
_PIO2_TABLE = _two_over_pi_table(_Q_MIN, 971)
_F0 = np.ascontiguousarray(_PIO2_TABLE[:, 0])
_F1 = np.ascontiguousarray(_PIO2_TABLE[:, 1])
_F2 = np.ascontiguousarray(_PIO2_TABLE[:, 2])
_F3 = np.ascontiguousarray(_PIO2_TABLE[:, 3])
_N_TABLE = _PIO2_TABLE.shape[0]


@_jit
def _two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e = a + b`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@_jit
def _reduce_big(x):
    """``(r, q)`` with ``x = (4n + q) pi/2 + r``, ``|r|`` about ``pi/4`` at most, for any finite
    ``x`` (Payne-Hanek: the bits of 2/pi that matter for ``x``'s exponent, from a table)."""
    b = bits(x)
    # the integer M with x = M 2^q: x's significand with the exponent of 2^52 (and x's sign)
    m = from_bits((b & np.int64(-0x7FF0000000000001)) | 0x4330000000000000)
    q = ((b >> 52) & 0x7FF) - 1075
    j = q - _Q_MIN
    j = select(j < 0, np.int64(0), j)
    j = select(j >= _N_TABLE, np.int64(_N_TABLE - 1), j)
    f0, f1, f2, f3 = _F0[j], _F1[j], _F2[j], _F3[j]
    p0 = m * f0
    e0 = fma(m, f0, -p0)  # m f0 = p0 + e0 exactly
    p0 = p0 - 4.0 * floor(p0 * 0.25)  # mod 4, exact
    p1 = m * f1
    e1 = fma(m, f1, -p1)
    p2 = m * f2
    e2 = fma(m, f2, -p2)
    a, ta = _two_sum(p0, p1)
    a, tb = _two_sum(a, e0)  # |a| < 12: the integer part of x 2/pi mod 4 is a's
    shifted = a + ROUND
    f = a - (shifted - ROUND)  # the fraction in [-1/2, 1/2], exact
    f, tc = _two_sum(f, p2)
    f, td = _two_sum(f, e1)
    f, lo = _two_sum(f, ta + tb + tc + td + e2 + m * f3)
    # r = (f + lo) pi/2, to about an ulp of r
    r = f * PIO2_1
    r_lo = fma(f, PIO2_1, -r) + fma(f, PIO2_2, lo * PIO2_1)
    return r + r_lo, (bits(shifted) - ROUND_BITS) & 3


@_jit
def _sin_cos_poly(r):
    """``(sin r, cos r)`` for ``|r| <= pi/4`` (a little beyond is fine)."""
    z = r * r
    s = fma(z, S17, S15)
    s = fma(s, z, S13)
    s = fma(s, z, S11)
    s = fma(s, z, S9)
    s = fma(s, z, S7)
    s = fma(s, z, S5)
    s = fma(s, z, S3)
    sin_r = fma(r * z, s, r)
    c = fma(z, C18, C16)
    c = fma(c, z, C14)
    c = fma(c, z, C12)
    c = fma(c, z, C10)
    c = fma(c, z, C8)
    c = fma(c, z, C6)
    c = fma(c, z, C4)
    c = fma(c, z, C2)
    return sin_r, fma(z, c, 1.0)


@_jit
def _sincos(x):
    """``(sin r, cos r, q)``: ``x = (4n + q) pi/2 + r`` (Cody-Waite for ``|x| <= TRIG_MAX``,
    Payne-Hanek above: both computed, one selected, so the loop has no branch)."""
    shifted = fma(x, TWO_OVER_PI, ROUND)
    kf = shifted - ROUND
    r = fma(-kf, PIO2_1, x)
    r = fma(-kf, PIO2_2, r)
    r = fma(-kf, PIO2_3, r)
    big_r, big_q = _reduce_big(x)
    small = fabs(x) <= TRIG_MAX
    r = select(small, r, big_r)
    q = select(small, bits(shifted) & 3, big_q)
    sin_r, cos_r = _sin_cos_poly(r)
    return sin_r, cos_r, q


@_jit
def sin_f64(x):
    """Sine for float64."""
    sin_r, cos_r, q = _sincos(x)
    out = select((q & 1) == 0, sin_r, cos_r)
    out = select(q >= 2, -out, out)
    out = select(x == 0.0, x, out)  # sin(-0.0) is -0.0
    return select(fabs(x) < INF, out, NAN)


@_jit
def cos_f64(x):
    """Cosine for float64."""
    sin_r, cos_r, q = _sincos(x)
    out = select((q & 1) == 0, cos_r, sin_r)
    out = select((q == 1) | (q == 2), -out, out)
    return select(fabs(x) < INF, out, NAN)


@_jit
def tanh_f64(x):
    """Hyperbolic tangent for float64."""
    a = fabs(x)
    em = expm1_f64(a + a)
    out = select(a > 22.0, 1.0, em / (em + 2.0))
    return copysign(out, x)


@_jit
def logistic_f64(x):
    """``1 / (1 + e^-x)`` for float64, by ftrans's formula (NumPy backend's rounding steps)."""
    e = exp_f64(-fabs(x))
    return select(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


# ----------------------------------------------------------------------------- float32


def _f32_template(x):
    return np.float32(kernel_f64(np.float64(x)))  # noqa: F821 (bound by _float32)


def _float32(kernel_f64):
    """The float32 kernel of ``kernel_f64``: the float64 kernel, rounded once to float32
    (double rounding: at most 1 ulp more), named ``<name>_f32``.

    Each is `_f32_template`'s code with its own globals holding ``kernel_f64``, not a closure:
    numba keys the disk cache of a closure by its pickled cells, which differ in every process
    (a dispatcher pickles with a fresh id), so closures would compile again in each one."""
    name = kernel_f64.__name__.removesuffix("_f64")
    scope = {"__name__": __name__, "np": np, "kernel_f64": kernel_f64}
    kernel_f32 = FunctionType(_f32_template.__code__, scope, f"{name}_f32")
    kernel_f32.__qualname__ = kernel_f32.__name__  # numba's cache file name
    kernel_f32.__doc__ = f"``{name}`` for float32."
    return _jit(kernel_f32)


exp_f32 = _float32(exp_f64)
expm1_f32 = _float32(expm1_f64)
exp2_f32 = _float32(exp2_f64)
log_f32 = _float32(log_f64)
log1p_f32 = _float32(log1p_f64)
sin_f32 = _float32(sin_f64)
cos_f32 = _float32(cos_f64)
tanh_f32 = _float32(tanh_f64)
logistic_f32 = _float32(logistic_f64)


#: the functions with kernels here: ``<name>_f64`` and ``<name>_f32``
FUNCTIONS = ("exp", "expm1", "exp2", "log", "log1p", "sin", "cos", "tanh", "logistic")
