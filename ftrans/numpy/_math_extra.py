"""More elementwise NumPy functions (hypot, sinc, fmax, copysign, frexp, gcd, isclose, i0, ...),
written on the elementwise primitives with NumPy's dtype rules."""

from __future__ import annotations

import numpy as np

from ftrans import core
from ftrans.core import shape_of
from ftrans.numpy import _math as m
from ftrans.numpy._util import cast, elementwise_operands, resolve, to_operand
from ftrans.primitives import elementwise as ew
from ftrans.primitives import numpy_ufuncs as nu

_SCALARS = (float, int, bool, complex)


def _arr(x):
    x = to_operand(x)
    return np.asarray(x) if type(x) in _SCALARS else x


def _operands(ufunc, name, *args):
    """``args`` cast to the dtypes NumPy's ``ufunc`` resolves for them, shapes checked."""
    args = [to_operand(a) for a in args]
    dtypes = resolve(ufunc, *args)
    return elementwise_operands(name, *[cast(a, d) for a, d in zip(args, dtypes, strict=False)])


def _ufunc_primitive(ufunc, prim_fn, name):
    if ufunc.nin == 1:

        def fn(x, /):
            if not core._stack:
                return ufunc(x)
            return prim_fn(*_operands(ufunc, name, x))

    else:

        def fn(x1, x2, /):
            if not core._stack:
                return ufunc(x1, x2)
            return prim_fn(*_operands(ufunc, name, x1, x2))

    fn.__name__ = fn.__qualname__ = name
    return fn


gcd = _ufunc_primitive(np.gcd, nu.gcd, "gcd")
gcd.__doc__ = """Greatest common divisor of integers, elementwise (``numpy.gcd``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.gcd([12, 20], 8).tolist()
        [4, 4]
    """
lcm = _ufunc_primitive(np.lcm, nu.lcm, "lcm")
lcm.__doc__ = """Least common multiple of integers, elementwise (``numpy.lcm``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.lcm([4, 6], 10).tolist()
        [20, 30]
    """
nextafter = _ufunc_primitive(np.nextafter, nu.nextafter, "nextafter")
nextafter.__doc__ = """The next floating-point value after ``x1`` towards ``x2`` (no gradient).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> bool(fnp.nextafter(1.0, 2.0) > 1.0)
        True
    """
bitwise_count = _ufunc_primitive(np.bitwise_count, nu.bitwise_count, "bitwise_count")
bitwise_count.__doc__ = """Number of 1 bits in the absolute value of each integer (uint8 result).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.bitwise_count([0, 7, -8]).tolist()
        [0, 3, 1]
    """
signbit = _ufunc_primitive(np.signbit, nu.signbit, "signbit")
signbit.__doc__ = """Whether the sign bit is set (True for -0.0 and negative NaNs too).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.signbit([-1.0, -0.0, 2.0]).tolist()
        [True, True, False]
    """
fmod = _ufunc_primitive(np.fmod, nu.fmod, "fmod")
fmod.__doc__ = """C's remainder ``x1 - trunc(x1 / x2) * x2``: its sign is the dividend's.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fmod([-3.0, 3.0], 2.0).tolist()
        [-1.0, 1.0]
    """

bitwise_invert = m.invert
bitwise_left_shift = m.left_shift
bitwise_right_shift = m.right_shift


def fabs(x, /):
    """Absolute value of real numbers (complex input is an error, as in NumPy).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fabs([-1.5, 2.0]).tolist()
        [1.5, 2.0]
    """
    if not core._stack:
        return np.fabs(x)
    (x,) = _operands(np.fabs, "fabs", x)
    return ew.abs_(x)


def copysign(x1, x2, /):
    """``|x1|`` with the sign (bit) of ``x2``; the gradient flows to ``x1`` only.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.copysign([1.0, 2.0], [-0.0, 3.0]).tolist()
        [-1.0, 2.0]
    """
    if not core._stack:
        return np.copysign(x1, x2)
    a, b = _operands(np.copysign, "copysign", x1, x2)
    mag = ew.abs_(a)
    return m.where(nu.signbit(b), ew.neg(mag), mag)


def hypot(x1, x2, /):
    """``sqrt(x1**2 + x2**2)`` without overflow; its gradient at the origin is 0 (JAX's).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.hypot(3.0, [4.0, 1e200]).tolist()
        [5.0, 1e+200]
    """
    if not core._stack:
        return np.hypot(x1, x2)
    a, b = _operands(np.hypot, "hypot", x1, x2)
    a, b = ew.abs_(a), ew.abs_(b)
    big, small = m.maximum(a, b), m.minimum(a, b)
    zero = m.equal(big, 0)
    safe = m.where(zero, 1, big)
    ratio = ew.div(small, safe)
    out = ew.mul(big, ew.sqrt(ew.add(ew.const(1, ratio), ew.mul(ratio, ratio))))
    return m.where(m.logical_or(m.isinf(a), m.isinf(b)), np.inf, out)


def sinc(x, /):
    """``sin(pi x) / (pi x)``, 1 at 0, with correct derivatives at 0 (a Taylor series there).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [round(v, 6) for v in fnp.sinc([0.0, 0.5, 1.0]).tolist()]
        [1.0, 0.63662, 0.0]
    """
    if not core._stack:
        return np.sinc(x)
    (x,) = _operands(np.sin, "sinc", x)
    px = ew.mul(x, ew.const(np.pi, x))
    near = m.less(ew.abs_(px), 1e-2 if x.dtype == np.float64 else 0.2)
    safe = m.where(near, 1, px)
    exact = ew.div(ew.sin(safe), safe)
    p2 = ew.mul(px, px)  # 1 - u/6 + u^2/120 - u^3/5040 + u^4/362880: error < 1e-17 at |px|=1e-2
    series = ew.const(1 / 362880, x)
    for c in (-1 / 5040, 1 / 120, -1 / 6, 1.0):
        series = ew.add(ew.mul(series, p2), ew.const(c, x))
    return m.where(near, series, exact)


def heaviside(x1, x2, /):
    """Step function: 0 for ``x1 < 0``, ``x2`` at 0, 1 for ``x1 > 0``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.heaviside([-1.0, 0.0, 2.0], 0.5).tolist()
        [0.0, 0.5, 1.0]
    """
    if not core._stack:
        return np.heaviside(x1, x2)
    a, b = _operands(np.heaviside, "heaviside", x1, x2)
    return m.where(m.less(a, 0), 0, m.where(m.greater(a, 0), 1, b))


def fmax(x1, x2, /):
    """Elementwise maximum that ignores NaNs (NaN only where both are NaN); at ties the
    gradient goes to ``x2`` (JAX's rule).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fmax([1.0, float("nan")], [float("nan"), 2.0]).tolist()
        [1.0, 2.0]
    """
    if not core._stack:
        return np.fmax(x1, x2)
    a, b = _operands(np.fmax, "fmax", x1, x2)
    # JAX's selection: at ties (and where x1 is NaN) the value and gradient come from x2
    return m.where(m.logical_or(m.greater(a, b), m.isnan(b)), a, b)


def fmin(x1, x2, /):
    """Elementwise minimum that ignores NaNs (NaN only where both are NaN); at ties the
    gradient goes to ``x2`` (JAX's rule).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fmin([1.0, float("nan")], [float("nan"), 2.0]).tolist()
        [1.0, 2.0]
    """
    if not core._stack:
        return np.fmin(x1, x2)
    a, b = _operands(np.fmin, "fmin", x1, x2)
    return m.where(m.logical_or(m.less(a, b), m.isnan(b)), a, b)


def float_power(x1, x2, /):
    """``x1 ** x2`` computed in float64 (or complex128), as ``numpy.float_power``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.float_power(2, [3, -1]).tolist()
        [8.0, 0.5]
    """
    if not core._stack:
        return np.float_power(x1, x2)
    a, b = _operands(np.float_power, "float_power", x1, x2)
    return ew.pow_(a, b)


def divmod(x1, x2, /):  # noqa: A001  (NumPy's name)
    """``(floor_divide(x1, x2), remainder(x1, x2))``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [v.tolist() for v in fnp.divmod([7, -7], 3)]
        [[2, -3], [1, 2]]
    """
    if not core._stack:
        return np.divmod(x1, x2)
    return m.floor_divide(x1, x2), m.remainder(x1, x2)


def modf(x, /):
    """Fractional and integral parts, both with the sign of ``x``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [v.tolist() for v in fnp.modf([2.5, -1.25])]
        [[0.5, -0.25], [2.0, -1.0]]
    """
    if not core._stack:
        return np.modf(x)
    (x,) = _operands(np.modf, "modf", x)
    whole = ew.trunc(x)
    frac = m.where(m.isinf(x), copysign(0.0, x), ew.sub(x, whole))
    return frac, whole


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` for an integer exponent ``x2``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.ldexp([1.5, 3.0], [2, -1]).tolist()
        [6.0, 1.5]
    """
    if not core._stack:
        return np.ldexp(x1, x2)
    x1, x2 = _arr(x1), _arr(x2)
    if not np.issubdtype(x2.dtype, np.integer):
        raise TypeError(f"ldexp: the exponent x2 must be an integer array, got dtype {x2.dtype}")
    dtype = np.result_type(x1.dtype, np.float16) if x1.dtype.kind in "biu" else x1.dtype
    dtype = np.dtype(np.float64) if x1.dtype.kind in "iu" else dtype
    x1 = cast(x1, dtype)
    # two halves keep 2**x2 finite where the product is (x2 up to twice the largest exponent)
    half = m.floor_divide(x2, 2)
    scale_a = ew.exp2(cast(half, dtype))
    scale_b = ew.exp2(cast(ew.sub(x2, half), dtype))
    return ew.mul(ew.mul(x1, scale_a), scale_b)


def frexp(x, /):
    """Mantissa in ``[0.5, 1)`` (with ``x``'s sign) and int32 exponent: ``x = m * 2**e``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [v.tolist() for v in fnp.frexp([8.0, -3.0, 0.0])]
        [[0.5, -0.75, 0.0], [4, 2, 0]]
    """
    if not core._stack:
        return np.frexp(x)
    (x,) = _operands(np.frexp, "frexp", x)
    a = ew.abs_(x)
    special = m.logical_or(m.equal(a, 0), m.logical_not(ew.is_finite(x)))
    safe = m.where(special, 1, a)
    e = ew.add(ew.floor(ew.log2(safe)), ew.const(1, x))
    mant = ew.div(safe, ew.exp2(e))
    # log2 can round across a power of two: move the mantissa back into [0.5, 1)
    high = m.greater_equal(mant, 1)
    mant = m.where(high, ew.mul(mant, ew.const(0.5, x)), mant)
    e = m.where(high, ew.add(e, ew.const(1, x)), e)
    low = m.less(mant, 0.5)
    mant = m.where(low, ew.mul(mant, ew.const(2, x)), mant)
    e = m.where(low, ew.sub(e, ew.const(1, x)), e)
    mant = m.where(special, x, m.where(nu.signbit(x), ew.neg(mant), mant))
    exponent = cast(m.where(special, 0, e), np.dtype(np.int32))
    return mant, exponent


def spacing(x, /):
    """Distance from ``x`` to the next float away from zero (negative for negative ``x``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> bool(fnp.spacing(1.0) == 2.0 ** -52)
        True
    """
    if not core._stack:
        return np.spacing(x)
    (x,) = _operands(np.spacing, "spacing", x)
    toward = m.where(nu.signbit(x), -np.inf, np.inf)
    x = ew.stop_gradient(x)  # piecewise constant: no derivative
    return ew.sub(nu.nextafter(x, cast(toward, x.dtype)), x)


def isreal(x):
    """Whether each element has zero imaginary part (True for every real element).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.isreal([1 + 0j, 1 + 1j]).tolist()
        [True, False]
    """
    if not core._stack:
        return np.isreal(x)
    x = _arr(x)
    return m.equal(m.imag(x), 0) if m._is_complex(x) else np.ones(shape_of(x), np.bool_)


def iscomplex(x):
    """Whether each element has a nonzero imaginary part.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.iscomplex([1 + 0j, 1 + 1j]).tolist()
        [False, True]
    """
    if not core._stack:
        return np.iscomplex(x)
    x = _arr(x)
    return m.not_equal(m.imag(x), 0) if m._is_complex(x) else np.zeros(shape_of(x), np.bool_)


def isrealobj(x):
    """Whether ``x`` has a non-complex dtype (values are not looked at).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.isrealobj([1.0]), fnp.isrealobj(1j)
        (True, False)
    """
    return not m.iscomplexobj(x)


def isposinf(x, /):
    """Elementwise test for +inf.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.isposinf([float("inf"), -float("inf"), 1.0]).tolist()
        [True, False, False]
    """
    if not core._stack:
        return np.isposinf(x)
    return m.equal(x, np.inf)


def isneginf(x, /):
    """Elementwise test for -inf.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.isneginf([float("inf"), -float("inf"), 1.0]).tolist()
        [False, True, False]
    """
    if not core._stack:
        return np.isneginf(x)
    return m.equal(x, -np.inf)


def _finfo_for(dtype):
    return np.finfo(dtype) if np.issubdtype(dtype, np.inexact) else None


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN replaced by ``nan``, infinities by ``posinf``/``neginf`` (default: the largest finite
    values of the dtype); complex values get it on both parts.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.nan_to_num([float("nan"), float("inf"), 1.0], posinf=9.0).tolist()
        [0.0, 9.0, 1.0]
    """
    if not core._stack:
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    x = _arr(x)
    if m._is_complex(x):
        re = nan_to_num(m.real(x), nan=nan, posinf=posinf, neginf=neginf)
        im = nan_to_num(m.imag(x), nan=nan, posinf=posinf, neginf=neginf)
        return ew.complex_(re, im)
    info = _finfo_for(x.dtype)
    if info is None:
        return x
    big = float(info.max) if posinf is None else posinf
    small = float(-info.max) if neginf is None else neginf
    out = m.where(m.isnan(x), nan, x)
    out = m.where(m.equal(out, np.inf), big, out)
    return cast(m.where(m.equal(out, -np.inf), small, out), x.dtype)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|a - b| <= atol + rtol * |b|`` elementwise; infinities are close only to themselves.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.isclose([1.0, 1.0], [1.0 + 1e-9, 1.1]).tolist()
        [True, False]
    """
    if not core._stack:
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    a, b = _arr(a), _arr(b)
    dtype = np.result_type(a.dtype, b.dtype, np.float16)
    if dtype.kind not in "fc":
        return m.equal(a, b)
    a, b = cast(a, dtype), cast(b, dtype)
    finite = m.logical_and(ew.is_finite(a), ew.is_finite(b))
    close = m.less_equal(m.abs(ew.sub(a, b)), m.add(atol, m.multiply(rtol, m.abs(b))))
    out = m.where(finite, close, m.equal(a, b))
    if equal_nan:
        out = m.logical_or(out, m.logical_and(m.isnan(a), m.isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of ``a`` is `isclose` to ``b``.

    Eagerly a Python bool (as NumPy); under a transformation a traced 0-d bool array.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.allclose([1.0, 2.0], [1.0, 2.0 + 1e-9])
        True
    """
    if not core._stack:
        return np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    from ftrans.numpy._reductions import all as all_

    return all_(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """Whether ``a1`` and ``a2`` have the same shape and elements.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.array_equal([1, 2], [1, 2]), fnp.array_equal([1, 2], [1, 2, 3])
        (True, False)
    """
    if not core._stack:
        return np.array_equal(a1, a2, equal_nan=equal_nan)
    from ftrans.numpy._reductions import all as all_

    a1, a2 = _arr(a1), _arr(a2)
    if shape_of(a1) != shape_of(a2):
        return np.bool_(False)
    eq = m.equal(a1, a2)
    if equal_nan:
        eq = m.logical_or(eq, m.logical_and(m.isnan(a1), m.isnan(a2)))
    return all_(eq)


def array_equiv(a1, a2):
    """Whether ``a1`` and ``a2`` broadcast to one shape and are equal there.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.array_equiv([1, 2], [[1, 2], [1, 2]])
        True
    """
    if not core._stack:
        return np.array_equiv(a1, a2)
    from ftrans.numpy._reductions import all as all_

    a1, a2 = _arr(a1), _arr(a2)
    try:
        np.broadcast_shapes(shape_of(a1), shape_of(a2))
    except ValueError:
        return np.bool_(False)
    return all_(m.equal(a1, a2))


# i0: the power series sum ((x/2)^2)^k / (k!)^2 (positive terms, no cancellation) up to 20,
# the asymptotic series e^x / sqrt(2 pi x) * sum ((2k-1)!!)^2 / (k! (8x)^k) above.
_I0_TERMS = 35
_I0_ASYMPTOTIC = [1.0]
for _k in range(1, 20):
    _I0_ASYMPTOTIC.append(_I0_ASYMPTOTIC[-1] * (2 * _k - 1) ** 2 / (8 * _k))


def i0(x):
    """The modified Bessel function of the first kind of order 0, differentiable.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> [round(v, 6) for v in fnp.i0([0.0, 1.0]).tolist()]
        [1.0, 1.266066]
    """
    if not core._stack:
        return np.i0(x)
    x = _arr(x)
    if m._is_complex(x):
        raise TypeError("i0: complex input is not supported (NumPy's i0 rejects it too)")
    x = cast(x, np.result_type(x.dtype, np.float16) if x.dtype.kind == "f" else np.float64)
    a = ew.abs_(x)
    small = m.less_equal(a, 20)
    xs = m.where(small, a, 0)
    t = ew.mul(ew.mul(xs, xs), ew.const(0.25, x))
    # term k = term k-1 * t / k^2 (not Horner: its reverse pass would carry t**59 and overflow)
    term = series = ew.const(1.0, x)
    for k in range(1, _I0_TERMS):
        term = ew.mul(term, ew.mul(t, ew.const(1.0 / (k * k), x)))
        series = ew.add(series, term)
    xl = m.where(small, 21, a)
    inv = ew.div(ew.const(1, x), xl)
    tail = ew.const(_I0_ASYMPTOTIC[-1], x)
    for c in reversed(_I0_ASYMPTOTIC[:-1]):
        tail = ew.add(ew.mul(tail, inv), ew.const(c, x))
    large = ew.mul(ew.div(ew.exp(xl), ew.sqrt(ew.mul(xl, ew.const(2 * np.pi, x)))), tail)
    return m.where(small, series, large)


def sort_complex(a):
    """``a`` sorted by real part, then imaginary part, as a complex array.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.sort_complex([2 + 1j, 1 + 2j, 1 + 1j]).tolist()
        [(1+1j), (1+2j), (2+1j)]
    """
    if not core._stack:
        return np.sort_complex(a)
    from ftrans.numpy._reductions import take_along_axis
    from ftrans.numpy._sorting import lexsort

    a = _arr(a)
    dtype = np.result_type(a.dtype, np.complex64)
    a = cast(a, dtype)
    order = lexsort((m.imag(a), m.real(a)), axis=-1)
    return take_along_axis(a, order, axis=-1)
