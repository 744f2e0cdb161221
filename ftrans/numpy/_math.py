"""Elementwise math, comparisons and logic, with NumPy's dtype rules and broadcasting."""

from __future__ import annotations

import numpy as np

from ftrans import core
from ftrans.core import Tracer, shape_of
from ftrans.numpy._util import (
    broadcast_to_shape,
    cast,
    elementwise_operands,
    resolve,
    to_operand,
)
from ftrans.primitives import elementwise as ew


def _doc(np_fn, name, args):
    example = ", ".join(repr(a) for a in args)
    result = np_fn(*[np.asarray(a) for a in args]).tolist()
    return (
        f"Elementwise ``numpy.{np_fn.__name__}``, traceable and differentiable, with NumPy's dtype "
        "rules and broadcasting.\n\nExamples:\n    >>> import ftrans.numpy as fnp\n"
        f"    >>> fnp.{name}({example}).tolist()\n    {result!r}\n"
    )


def _unary(np_fn, prim_fn, doc_name=None, example=(0.25, 0.5)):
    name = doc_name or np_fn.__name__

    def fn(x, /):
        if not core._stack:
            return np_fn(x)
        x = to_operand(x)
        dtypes = resolve(np_fn, x)
        return prim_fn(cast(x, dtypes[0]))

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = _doc(np_fn, name, [list(example)])
    return fn


def _binary(np_fn, prim_fn, doc_name=None, example=([1.0, 2.0], 2.0)):
    name = doc_name or np_fn.__name__

    def fn(x1, x2, /):
        if not core._stack:
            return np_fn(x1, x2)
        x1, x2 = to_operand(x1), to_operand(x2)
        dtypes = resolve(np_fn, x1, x2)
        a, b = elementwise_operands(name, cast(x1, dtypes[0]), cast(x2, dtypes[1]))
        return prim_fn(a, b)

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = _doc(np_fn, name, list(example))
    return fn


_INTS = ([1, 6], 3)
negative = _unary(np.negative, ew.neg)
sign = _unary(np.sign, ew.sign)
floor = _unary(np.floor, ew.floor)
ceil = _unary(np.ceil, ew.ceil)
trunc = _unary(np.trunc, ew.trunc)
rint = _unary(np.rint, ew.round_)
exp = _unary(np.exp, ew.exp)
exp2 = _unary(np.exp2, ew.exp2)
expm1 = _unary(np.expm1, ew.expm1)
log = _unary(np.log, ew.log)
log2 = _unary(np.log2, ew.log2)
log10 = _unary(np.log10, ew.log10)
log1p = _unary(np.log1p, ew.log1p)
sin = _unary(np.sin, ew.sin)
cos = _unary(np.cos, ew.cos)
tan = _unary(np.tan, ew.tan)
arcsin = _unary(np.arcsin, ew.asin)
arccos = _unary(np.arccos, ew.acos)
arctan = _unary(np.arctan, ew.atan)
sinh = _unary(np.sinh, ew.sinh)
cosh = _unary(np.cosh, ew.cosh)
tanh = _unary(np.tanh, ew.tanh)
arcsinh = _unary(np.arcsinh, ew.asinh)
arccosh = _unary(np.arccosh, ew.acosh, example=(1.5, 2.0))
arctanh = _unary(np.arctanh, ew.atanh)
sqrt = _unary(np.sqrt, ew.sqrt)
cbrt = _unary(np.cbrt, ew.cbrt)
absolute = _unary(np.absolute, ew.abs_, "absolute")
abs = _unary(np.absolute, ew.abs_, "abs")  # noqa: A001  (NumPy's name)
isfinite = _unary(np.isfinite, ew.is_finite)
invert = _unary(np.invert, ew.logical_not, example=(1, 6))
bitwise_not = invert
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh

add = _binary(np.add, ew.add)
subtract = _binary(np.subtract, ew.sub)
multiply = _binary(np.multiply, ew.mul)
divide = _binary(np.true_divide, ew.div, "divide")
true_divide = divide
floor_divide = _binary(np.floor_divide, ew.floor_divide)
remainder = _binary(np.remainder, ew.rem)
mod = remainder
maximum = _binary(np.maximum, ew.max_)
minimum = _binary(np.minimum, ew.min_)
arctan2 = _binary(np.arctan2, ew.atan2)
atan2 = arctan2
logaddexp = _binary(np.logaddexp, ew.logaddexp)
equal = _binary(np.equal, ew.eq)
not_equal = _binary(np.not_equal, ew.ne)
less = _binary(np.less, ew.lt)
less_equal = _binary(np.less_equal, ew.le)
greater = _binary(np.greater, ew.gt)
greater_equal = _binary(np.greater_equal, ew.ge)
bitwise_and = _binary(np.bitwise_and, ew.bitwise_and, example=_INTS)
bitwise_or = _binary(np.bitwise_or, ew.bitwise_or, example=_INTS)
bitwise_xor = _binary(np.bitwise_xor, ew.bitwise_xor, example=_INTS)
left_shift = _binary(np.left_shift, ew.shift_left, example=_INTS)
right_shift = _binary(np.right_shift, ew.shift_right, example=_INTS)
_pow = _binary(np.power, ew.pow_, "power")


def power(x1, x2, /):
    """Elementwise ``x1 ** x2``; a Python-int exponent uses ``integer_pow`` (exact at 0).

    Examples:
        >>> import ftrans as ft
        >>> float(ft.grad(lambda x: x ** 3)(2.0))
        12.0
    """
    if not core._stack:
        return np.power(x1, x2)
    if type(x2) is int and (x2 >= 0 or np.issubdtype(getattr(x1, "dtype", float), np.inexact)):
        x1 = to_operand(x1)
        dtypes = resolve(np.power, x1, x2)
        if x2 == 1:
            return cast(x1, dtypes[0])
        return ew.integer_pow(cast(x1, dtypes[0]), y=x2)
    return _pow(x1, x2)


pow = power  # noqa: A001


def square(x, /):
    """Elementwise ``x * x``."""
    return power(x, 2) if core._stack else np.square(x)


def reciprocal(x, /):
    """Elementwise ``1 / x`` (for integers, truncated like NumPy)."""
    if not core._stack:
        return np.reciprocal(x)
    x = to_operand(x)
    dtype = resolve(np.reciprocal, x)[0]
    x = cast(x, dtype)
    if np.issubdtype(dtype, np.inexact):
        return ew.div(dtype.type(1), x)
    return ew.convert_element_type(
        ew.trunc(ew.div(1.0, cast(x, np.dtype(np.float64)))), new_dtype=dtype
    )


def positive(x, /):
    return to_operand(x) if core._stack else np.positive(x)


def logaddexp2(x1, x2, /):
    """``log2(2**x1 + 2**x2)``, computed stably."""
    if not core._stack:
        return np.logaddexp2(x1, x2)
    x1, x2 = to_operand(x1), to_operand(x2)
    dtypes = resolve(np.logaddexp2, x1, x2)  # NumPy's promotion: x32 with a Python float is f32
    x1, x2 = cast(x1, dtypes[0]), cast(x2, dtypes[1])
    ln2 = float(np.log(2.0))  # a Python float is weak: float32 stays float32
    return divide(logaddexp(multiply(x1, ln2), multiply(x2, ln2)), ln2)


def isnan(x, /):
    """Elementwise NaN test."""
    if not core._stack:
        return np.isnan(x)
    x = to_operand(x)
    return not_equal(x, x)


def isinf(x, /):
    """Elementwise test for +inf or -inf."""
    if not core._stack:
        return np.isinf(x)
    x = to_operand(x)
    return logical_and(logical_not(isfinite(x)), logical_not(isnan(x)))


def round(a, decimals=0):  # noqa: A001
    """Round half to even, to ``decimals`` places (NumPy's rule)."""
    if not core._stack:
        return np.round(a, decimals)
    if decimals == 0:
        return rint(a)
    scale = 10.0**decimals
    return divide(rint(multiply(a, scale)), scale)


around = round


def _as_bool(x):
    x = to_operand(x)
    if type(x) in (float, int, bool, complex):
        return bool(x)
    return x if x.dtype == np.bool_ else not_equal(x, x.dtype.type(0))


def logical_and(x1, x2, /):
    if not core._stack:
        return np.logical_and(x1, x2)
    return bitwise_and(_as_bool(x1), _as_bool(x2))


def logical_or(x1, x2, /):
    if not core._stack:
        return np.logical_or(x1, x2)
    return bitwise_or(_as_bool(x1), _as_bool(x2))


def logical_xor(x1, x2, /):
    if not core._stack:
        return np.logical_xor(x1, x2)
    return bitwise_xor(_as_bool(x1), _as_bool(x2))


def logical_not(x, /):
    if not core._stack:
        return np.logical_not(x)
    return invert(_as_bool(x))


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):  # noqa: A002
    """``minimum(maximum(a, a_min), a_max)``; either bound may be None (NumPy's definition).

    ``min=``/``max=`` are the array API's (and JAX 0.10's) names for ``a_min``/``a_max``.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.clip([-1.0, 0.5, 2.0], min=0.0, max=1.0).tolist()
        [0.0, 0.5, 1.0]
    """
    if out is not None:
        raise ValueError("clip: out is not supported (ftrans arrays are immutable)")
    if min is not None:
        if a_min is not None:
            raise ValueError("clip: pass a_min or min, not both")
        a_min = min
    if max is not None:
        if a_max is not None:
            raise ValueError("clip: pass a_max or max, not both")
        a_max = max
    if not core._stack:
        return np.clip(a, a_min, a_max)
    out = to_operand(a)
    if a_min is not None:
        out = maximum(out, a_min)
    if a_max is not None:
        out = minimum(out, a_max)
    return out


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """Choose ``x`` where ``condition`` holds, else ``y`` (broadcasting all three).

    Gradients flow only into the chosen branch. For a NaN-safe gradient, make the unused branch
    safe too (``fnp.where(x > 0, fnp.sqrt(fnp.where(x > 0, x, 1.0)), 0.0)``). With one argument
    it is [`nonzero`][ftrans.numpy.nonzero] (``size=``/``fill_value=`` as there).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.where(fnp.array([True, False]), 1.0, 2.0).tolist()
        [1.0, 2.0]
    """
    if x is None and y is None:
        if size is not None:
            from ftrans.numpy._set_ops import nonzero

            return nonzero(condition, size=size, fill_value=fill_value)
        if core._stack and isinstance(condition, Tracer):
            condition.to_concrete(
                "where(condition) with one argument (its size depends on values; pass size=)"
            )
        return np.where(condition)
    if x is None or y is None:
        raise ValueError("where takes either 1 or 3 arguments: where(condition, x, y)")
    if not core._stack:
        return np.where(condition, x, y)
    cond = _as_bool(condition)
    x, y = to_operand(x), to_operand(y)
    dtype = np.result_type(_key(x), _key(y))
    cond, x, y = elementwise_operands("where", cond, cast(x, dtype), cast(y, dtype))
    shape = np.broadcast_shapes(shape_of(x), shape_of(y), shape_of(cond))
    x = broadcast_to_shape(x, shape) if shape_of(x) != shape else x
    y = broadcast_to_shape(y, shape) if shape_of(y) != shape else y
    if type(cond) is not bool and shape_of(cond) not in ((), shape):
        cond = broadcast_to_shape(cond, shape)  # select takes a scalar or full-shape predicate
    if type(cond) is bool:
        return x if cond else y
    return ew.select(cond, x, y)


def _key(x):
    return x if type(x) in (float, int, bool, complex) else x.dtype


def deg2rad(x, /):
    return multiply(x, np.pi / 180) if core._stack else np.deg2rad(x)


def rad2deg(x, /):
    return multiply(x, 180 / np.pi) if core._stack else np.rad2deg(x)


radians, degrees = deg2rad, rad2deg


def _is_complex(x) -> bool:
    return type(x) is complex or (
        type(x) not in (float, int, bool) and np.issubdtype(x.dtype, np.complexfloating)
    )


def real(x, /):
    """Real part; real inputs are returned unchanged.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.real(3.0 + 4.0j))
        3.0
    """
    if not core._stack:
        return np.real(x)
    x = to_operand(x)
    if type(x) is complex:
        x = np.asarray(x)
    return ew.real(x) if _is_complex(x) else x


def imag(x, /):
    """Imaginary part; zeros for real inputs.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.imag(3.0 + 4.0j))
        4.0
    """
    if not core._stack:
        return np.imag(x)
    x = to_operand(x)
    if type(x) in (float, int, bool, complex):
        return np.imag(x)
    if _is_complex(x):
        return ew.imag(x)
    return ew.mul(x, x.dtype.type(0)) if x.dtype != np.bool_ else np.zeros(x.shape, x.dtype)


def conj(x, /):
    """Complex conjugate; real inputs are returned unchanged.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> complex(fnp.conj(3.0 + 4.0j))
        (3-4j)
    """
    if not core._stack:
        return np.conj(x)
    x = to_operand(x)
    if type(x) in (float, int, bool, complex):
        return np.conj(x)
    return ew.conj(x) if _is_complex(x) else x


conjugate = conj


def angle(z, deg=False):
    """The argument of a complex number, ``atan2(imag(z), real(z))``, in radians (degrees with
    ``deg=True``); 0 for non-negative reals and pi for negative ones.

    Differentiable away from ``z == 0``, where the angle jumps.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> print(f"{float(fnp.angle(1.0j)):.6f}")
        1.570796
    """
    if not core._stack:
        return np.angle(z, deg=deg)
    z = to_operand(z)
    if type(z) in (float, int, bool, complex):
        return np.angle(z, deg=deg)
    if _is_complex(z):
        out = ew.atan2(ew.imag(z), ew.real(z))
    else:
        dtype = resolve(np.arctan2, z, z)[0]
        x = cast(z, dtype)
        zero = np.zeros(shape_of(x), dtype)
        out = ew.select(ew.lt(x, dtype.type(0)), np.full(shape_of(x), np.pi, dtype), zero)
    return multiply(out, 180 / np.pi) if deg else out


def iscomplexobj(x):
    """Whether ``x`` has a complex dtype (its values are not looked at, so it works on traced
    arrays too).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.iscomplexobj(fnp.array([1.0])), fnp.iscomplexobj(1j)
        (False, True)
    """
    if isinstance(x, Tracer):
        return bool(np.issubdtype(x.dtype, np.complexfloating))
    return bool(np.iscomplexobj(x))
