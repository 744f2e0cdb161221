"""Elementwise primitives: math, comparisons, ``select``, dtype conversion.

Binary primitives take operands of equal dtype and broadcast them with NumPy's rules, so
``x + bias`` needs no explicit ``broadcast_in_dim``; their transpose rules sum the cotangent back
to each operand's shape. ``select`` needs equal shapes (or a scalar predicate);
``ftrans.numpy`` inserts dtype promotions.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import (
    SETTINGS,
    NativeUnsupported,
    native_elementwise,
    native_rule,
    numpy_only,
)
from ftrans.compiler.numpy_rules import ufunc_lowering
from ftrans.core import Primitive, ShapedArray, Zero, get_aval, is_undefined, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives._batch import elementwise_rule

# ----------------------------------------------------------------------------- helpers


def is_complex_dtype(dtype) -> bool:
    return np.issubdtype(dtype, np.complexfloating)


def real_dtype(dtype) -> np.dtype:
    """float64 for complex128, float32 for complex64; other dtypes unchanged."""
    dtype = np.dtype(dtype)
    return np.finfo(dtype).dtype if is_complex_dtype(dtype) else dtype


def complex_dtype(dtype) -> np.dtype:
    """complex128 for float64, complex64 for float32 (and float16); complex dtypes unchanged."""
    return np.result_type(dtype, np.complex64)


def const(value, like):
    """A scalar of ``like``'s dtype (``like`` is an array, a tracer or an aval)."""
    return like.dtype.type(value)


def zeros_like_aval(aval: ShapedArray):
    return np.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def instantiate_zero(t):
    return zeros_like_aval(t.aval) if type(t) is Zero else t


def _native_not(args, dtype):
    return f"(not {args[0]})" if dtype == np.bool_ else f"(~{args[0]})"


def _native_logistic(args, dtype):
    # the NumPy implementation's formula, so both backends round alike
    x, one = args[0], f"np.{dtype.name}(1)"
    return f"({one} / ({one} + np.exp(-{x})) if {x} >= 0 else np.exp({x}) / ({one} + np.exp({x})))"


def _native_math(name, exact):
    """The native template of a transcendental function: for float64/float32 a call of
    ``ftrans.compiler.native.vecmath``'s vectorisable kernel (``vm.sin_f64(x)``, within 4 ulp
    of NumPy), else (other dtypes, or ``ft.config.native_fast_math`` off) ``exact``."""

    def template(args, dtype):
        if SETTINGS.fast_math and dtype.name in ("float64", "float32"):
            return f"vm.{name}_f{dtype.itemsize * 8}({', '.join(args)})"
        return exact(args, dtype) if callable(exact) else exact.format(*args)

    template.exact = exact  # what the generator uses on small arrays (VECTOR_MATH_MIN)
    return template


def _unary_aval(x, **_):
    return x


def _bool_aval(x, *rest, **_):
    return ShapedArray(_binary_shape(x, *rest), np.bool_)


def _binary_shape(x, *rest):
    shape = x.shape
    for y in rest:
        if y.shape != shape:
            if not y.shape:
                continue
            if not shape:
                shape = y.shape
                continue
            try:
                shape = np.broadcast_shapes(shape, y.shape)
            except ValueError:
                raise ShapeError(
                    f"elementwise operands have incompatible shapes {x.shape} and {y.shape}"
                ) from None
    return shape


def _binary_aval(x, y, **_):
    if x.dtype != y.dtype:
        raise TypeError(
            f"elementwise primitive got dtypes {x.dtype} and {y.dtype}; ftrans.numpy promotes "
            "operands first, lax-level calls must pass equal dtypes"
        )
    if x.shape == y.shape or not y.shape:
        return x
    return ShapedArray(_binary_shape(x, y), x.dtype)


def unbroadcast(aval, ct):
    """Sum a cotangent back to the shape of an operand that was broadcast to make it."""
    from ftrans.primitives.reductions import reduce_sum
    from ftrans.primitives.shape import reshape

    shape = aval.shape
    ct_shape = shape_of(ct)
    if ct_shape == shape:
        return ct
    lead = len(ct_shape) - len(shape)
    stretched = [lead + i for i, n in enumerate(shape) if n == 1 and ct_shape[lead + i] != 1]
    summed = reduce_sum(ct, axes=tuple(range(lead)) + tuple(stretched))
    return reshape(summed, new_sizes=shape) if stretched else summed


def _zero_jvp(primitive):
    def jvp(primals, tangents, **params):
        out = primitive.bind(*primals, **params)
        return out, Zero.like(out)

    return jvp


def unary(name, impl, tangent=None, *, out_dtype=None):
    """An elementwise unary primitive; ``tangent(t, x, y)`` gives the output tangent (y = f(x)).

    With ``tangent=None`` the primitive is piecewise constant (zero derivative) or integer-valued.
    """
    p = Primitive(name)
    p.impl = impl
    p.batch = elementwise_rule(p)
    if isinstance(impl, np.ufunc):
        p.lower = ufunc_lowering(impl)
    if out_dtype is None:
        p.abstract_eval = _unary_aval
    else:
        p.abstract_eval = lambda x: ShapedArray(x.shape, out_dtype)
    if tangent is None:
        p.jvp = _zero_jvp(p)
    else:

        def jvp(primals, tangents):
            x = primals[0]
            y = p.bind(x)
            return y, tangent(tangents[0], x, y)

        p.jvp = jvp
    return p


def binary(name, impl, tangent_x=None, tangent_y=None, *, abstract_eval=_binary_aval):
    """An elementwise binary primitive; ``tangent_x(t, x, y, out)`` is ``t * d out / d x``."""
    p = Primitive(name)
    p.impl = impl
    p.abstract_eval = abstract_eval
    p.batch = elementwise_rule(p)
    if isinstance(impl, np.ufunc):
        p.lower = ufunc_lowering(impl)
    if tangent_x is None:
        p.jvp = _zero_jvp(p)
    else:

        def jvp(primals, tangents):
            x, y = primals
            tx, ty = tangents
            out = p.bind(x, y)
            t_out = None
            if type(tx) is not Zero:
                t_out = _broadcast_like(tangent_x(tx, x, y, out), out)
            if type(ty) is not Zero:
                term = _broadcast_like(tangent_y(ty, x, y, out), out)
                t_out = term if t_out is None else add(t_out, term)
            return out, t_out

        p.jvp = jvp
    return p


def _broadcast_like(t, out):
    """A tangent of a broadcast operand, broadcast to the output's shape."""
    shape = shape_of(out)
    own = shape_of(t)
    if own != shape:
        from ftrans.primitives.shape import broadcast_in_dim

        dims = tuple(range(len(shape) - len(own), len(shape)))
        return broadcast_in_dim(t, shape=shape, broadcast_dimensions=dims)
    return t


# ----------------------------------------------------------------------------- linear ops

neg_p = Primitive("neg", linear=True)
native_elementwise(neg_p, "(-{0})")
neg_p.impl = np.negative
neg_p.abstract_eval = _unary_aval
neg_p.batch = elementwise_rule(neg_p)
neg_p.lower = ufunc_lowering(np.negative)
neg_p.jvp = lambda primals, tangents: (neg(primals[0]), neg(tangents[0]))
neg_p.transpose = lambda ct, x: [neg(ct)]
neg = neg_p.bind


def _add_jvp(primals, tangents):
    tx, ty = tangents
    out = add(*primals)
    if type(tx) is Zero:
        return out, _broadcast_like(ty, out)
    if type(ty) is Zero:
        return out, _broadcast_like(tx, out)
    return out, add(tx, ty)


add_p = Primitive("add", linear=True)
native_elementwise(add_p, "({0} + {1})")
add_p.impl = np.add
add_p.abstract_eval = _binary_aval
add_p.batch = elementwise_rule(add_p)
add_p.lower = ufunc_lowering(np.add)
add_p.jvp = _add_jvp
add_p.transpose = lambda ct, x, y: [
    unbroadcast(x.aval, ct) if is_undefined(x) else None,
    unbroadcast(y.aval, ct) if is_undefined(y) else None,
]
add = add_p.bind
add_any = add  # accumulation of cotangents


def _sub_jvp(primals, tangents):
    tx, ty = tangents
    out = sub(*primals)
    if type(tx) is Zero:
        return out, _broadcast_like(neg(ty), out)
    if type(ty) is Zero:
        return out, _broadcast_like(tx, out)
    return out, sub(tx, ty)


sub_p = Primitive("sub", linear=True)
native_elementwise(sub_p, "({0} - {1})")
sub_p.impl = np.subtract
sub_p.abstract_eval = _binary_aval
sub_p.batch = elementwise_rule(sub_p)
sub_p.lower = ufunc_lowering(np.subtract)
sub_p.jvp = _sub_jvp
sub_p.transpose = lambda ct, x, y: [
    unbroadcast(x.aval, ct) if is_undefined(x) else None,
    unbroadcast(y.aval, neg(ct)) if is_undefined(y) else None,
]
sub = sub_p.bind


def _mul_transpose(ct, x, y):
    if is_undefined(x) and is_undefined(y):
        raise TypeError("mul is linear in one operand at a time, not both")
    if is_undefined(x):
        return [unbroadcast(x.aval, mul(ct, y)), None]
    return [None, unbroadcast(y.aval, mul(x, ct))]


mul_p = binary(
    "mul",
    np.multiply,
    lambda t, x, y, out: mul(t, y),
    lambda t, x, y, out: mul(x, t),
)
native_elementwise(mul_p, "({0} * {1})")
mul_p.transpose = _mul_transpose
mul = mul_p.bind


def _div_transpose(ct, x, y):
    if is_undefined(y):
        raise TypeError("div is linear in its numerator only")
    return [unbroadcast(x.aval, div(ct, y)), None]


div_p = binary(
    "div",
    np.true_divide,
    lambda t, x, y, out: div(t, y),
    lambda t, x, y, out: neg(mul(t, div(out, y))),
)
div_p.transpose = _div_transpose


@native_rule(div_p)
def _div_native(g, eqn, x, y):
    if x.dtype.kind not in "f":
        raise NativeUnsupported("integer division (C's truncation, not written natively)")
    return g.elementwise(eqn, "({0} / {1})", (x, y))


div = div_p.bind

# ----------------------------------------------------------------------------- unary math


def _rsqrt_of(v):
    return div(const(1, v), sqrt(v))


sign_p = unary("sign", np.sign)
native_elementwise(sign_p, "np.sign({0})")
floor_p = unary("floor", np.floor)
native_elementwise(floor_p, "np.floor({0})")
ceil_p = unary("ceil", np.ceil)
native_elementwise(ceil_p, "np.ceil({0})")
round_p = unary("round", np.round)
native_elementwise(round_p, "np.rint({0})")
trunc_p = unary("trunc", np.trunc)
native_elementwise(trunc_p, "np.trunc({0})")
is_finite_p = unary("is_finite", np.isfinite, out_dtype=np.bool_)
native_elementwise(is_finite_p, "np.isfinite({0})")
not_p = unary("not", np.invert)
native_elementwise(not_p, _native_not)
exp_p = unary("exp", np.exp, lambda t, x, y: mul(t, y))
native_elementwise(exp_p, _native_math("exp", "np.exp({0})"))
log_p = unary("log", np.log, lambda t, x, y: div(t, x))
native_elementwise(log_p, _native_math("log", "np.log({0})"))
log1p_p = unary("log1p", np.log1p, lambda t, x, y: div(t, add(x, const(1, x))))
native_elementwise(log1p_p, _native_math("log1p", "np.log1p({0})"))
expm1_p = unary("expm1", np.expm1, lambda t, x, y: mul(t, add(y, const(1, y))))
native_elementwise(expm1_p, _native_math("expm1", "np.expm1({0})"))
sin_p = unary("sin", np.sin, lambda t, x, y: mul(t, cos(x)))
native_elementwise(sin_p, _native_math("sin", "np.sin({0})"))
cos_p = unary("cos", np.cos, lambda t, x, y: neg(mul(t, sin(x))))
native_elementwise(cos_p, _native_math("cos", "np.cos({0})"))
tan_p = unary("tan", np.tan, lambda t, x, y: mul(t, add(const(1, y), mul(y, y))))
native_elementwise(tan_p, "np.tan({0})")
asin_p = unary("asin", np.arcsin, lambda t, x, y: mul(t, _rsqrt_of(sub(const(1, x), mul(x, x)))))
native_elementwise(asin_p, "np.arcsin({0})")
acos_p = unary(
    "acos", np.arccos, lambda t, x, y: neg(mul(t, _rsqrt_of(sub(const(1, x), mul(x, x)))))
)
native_elementwise(acos_p, "np.arccos({0})")
atan_p = unary("atan", np.arctan, lambda t, x, y: div(t, add(const(1, x), mul(x, x))))
native_elementwise(atan_p, "np.arctan({0})")
sinh_p = unary("sinh", np.sinh, lambda t, x, y: mul(t, cosh(x)))
native_elementwise(sinh_p, "np.sinh({0})")
cosh_p = unary("cosh", np.cosh, lambda t, x, y: mul(t, sinh(x)))
native_elementwise(cosh_p, "np.cosh({0})")
tanh_p = unary("tanh", np.tanh, lambda t, x, y: mul(t, sub(const(1, y), mul(y, y))))
native_elementwise(tanh_p, _native_math("tanh", "np.tanh({0})"))
asinh_p = unary("asinh", np.arcsinh, lambda t, x, y: mul(t, _rsqrt_of(add(mul(x, x), const(1, x)))))
native_elementwise(asinh_p, "np.arcsinh({0})")
acosh_p = unary(
    "acosh",
    np.arccosh,
    lambda t, x, y: div(t, mul(sqrt(sub(x, const(1, x))), sqrt(add(x, const(1, x))))),
)
native_elementwise(acosh_p, "np.arccosh({0})")
atanh_p = unary("atanh", np.arctanh, lambda t, x, y: div(t, sub(const(1, x), mul(x, x))))
native_elementwise(atanh_p, "np.arctanh({0})")
log2_p = unary("log2", np.log2, lambda t, x, y: div(t, mul(x, const(np.log(2.0), x))))
native_elementwise(log2_p, "np.log2({0})")
log10_p = unary("log10", np.log10, lambda t, x, y: div(t, mul(x, const(np.log(10.0), x))))
native_elementwise(log10_p, "np.log10({0})")
exp2_p = unary("exp2", np.exp2, lambda t, x, y: mul(t, mul(y, const(np.log(2.0), y))))
native_elementwise(exp2_p, _native_math("exp2", "np.exp2({0})"))
sqrt_p = unary("sqrt", np.sqrt, lambda t, x, y: div(t, mul(const(2, y), y)))
native_elementwise(sqrt_p, "np.sqrt({0})")
cbrt_p = unary("cbrt", np.cbrt, lambda t, x, y: div(t, mul(const(3, y), mul(y, y))))
native_elementwise(cbrt_p, "np.cbrt({0})")


def _abs_tangent(t, x, y):
    if is_complex_dtype(x.dtype):
        # d|z| = Re(conj(z) dz) / |z|, taken as 0 at z = 0 (a finite subgradient, like JAX)
        return real(mul(conj(_safe_sign(x, y)), t))
    # JAX's convention: slope +1 at 0 (the tangent passes through where x >= 0)
    return select(ge(x, const(0, x)), t, neg(t))


def _safe_sign(z, magnitude):
    """``z / |z|`` for complex ``z``, 0 where ``z == 0`` (no NaN in values or derivatives)."""
    zero = eq(magnitude, const(0, magnitude))
    safe = select(zero, np.ones(shape_of(magnitude), magnitude.dtype), magnitude)
    quotient = div(z, convert_element_type(safe, new_dtype=z.dtype))
    return select(zero, zeros_like_aval(get_aval(z)), quotient)


abs_p = unary("abs", np.abs, _abs_tangent)
native_elementwise(abs_p, "np.abs({0})")
abs_p.abstract_eval = lambda x: ShapedArray(x.shape, real_dtype(x.dtype))


def _sign_jvp(primals, tangents):
    # real sign is piecewise constant; complex sign z/|z| moves along the unit circle:
    # d(z/|z|) = i s Im(conj(s) dz) / |z| with s = z/|z| (0 at z = 0)
    (x,), (t,) = primals, tangents
    out = sign(x)
    if not is_complex_dtype(get_aval(x).dtype) or type(t) is Zero:
        return out, Zero.like(out)
    magnitude = abs_(x)
    zero = eq(magnitude, const(0, magnitude))
    safe = select(zero, np.ones(shape_of(magnitude), magnitude.dtype), magnitude)
    turn = div(imag(mul(conj(out), t)), safe)
    return out, mul(out, complex_(zeros_like_aval(get_aval(turn)), turn))


sign_p.jvp = _sign_jvp


def _logistic_impl(x):
    # 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below: e^-|x| <= 1 never overflows, and
    # each branch is a few rounded steps (a few ulp; exp(-logaddexp(0, -x)) lost up to ~|x| ulp)
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out[()] if out.ndim == 0 else out


logistic_p = unary("logistic", _logistic_impl, lambda t, x, y: mul(t, mul(y, sub(const(1, y), y))))
native_elementwise(logistic_p, _native_math("logistic", _native_logistic))

sign, floor, ceil, round_, trunc = (
    sign_p.bind,
    floor_p.bind,
    ceil_p.bind,
    round_p.bind,
    trunc_p.bind,
)
is_finite, logical_not = is_finite_p.bind, not_p.bind
exp, log, log1p, expm1 = exp_p.bind, log_p.bind, log1p_p.bind, expm1_p.bind
log2, log10, exp2 = log2_p.bind, log10_p.bind, exp2_p.bind
sin, cos, tan, asin, acos, atan = (
    sin_p.bind,
    cos_p.bind,
    tan_p.bind,
    asin_p.bind,
    acos_p.bind,
    atan_p.bind,
)
sinh, cosh, tanh = sinh_p.bind, cosh_p.bind, tanh_p.bind
asinh, acosh, atanh = asinh_p.bind, acosh_p.bind, atanh_p.bind
sqrt, cbrt, abs_, logistic = sqrt_p.bind, cbrt_p.bind, abs_p.bind, logistic_p.bind


def _integer_pow_jvp(primals, tangents, *, y):
    (x,), (t,) = primals, tangents
    out = integer_pow(x, y=y)
    if y == 0:
        return out, Zero.like(out)
    if y == 1:
        return out, t
    factor = mul(const(y, x), x if y == 2 else integer_pow(x, y=y - 1))
    return out, mul(t, factor)


integer_pow_p = Primitive("integer_pow")
integer_pow_p.impl = lambda x, *, y: np.power(x, np.result_type(x).type(y) if y >= 0 else y)
integer_pow_p.abstract_eval = _unary_aval
integer_pow_p.batch = elementwise_rule(integer_pow_p)
# x**2 as x*x: the same correctly rounded square, and 4x faster than np.power on small arrays
integer_pow_p.lower = lambda args, *, y: (
    f"np.multiply({args[0]}, {args[0]})" if y == 2 else f"np.power({args[0]}, {y})"
)
integer_pow_p.jvp = _integer_pow_jvp


@native_rule(integer_pow_p)
def _integer_pow_native(g, eqn, x, *, y):
    if y == 2:  # np.square is x*x, the NumPy lowering's multiply
        return g.elementwise(eqn, "np.square({0})", (x,))
    if x.dtype.kind != "f" and y < 0:
        raise NativeUnsupported("a negative integer power of integers")
    return g.elementwise(eqn, f"np.power({{0}}, np.{x.dtype.name}({y}))", (x,))


def integer_pow(x, *, y: int):
    return integer_pow_p.bind(x, y=y)


# ----------------------------------------------------------------------------- binary math


def _pow_tangent_x(t, x, y, out):
    # d/dx x**y = y * x**(y-1) with no special case, as JAX does for a float exponent: at
    # x == 0 this is 0 * inf = NaN for y == 0 (and for the second derivative when y == 1), in
    # every order alike. An integer exponent (``x ** 0``) goes through integer_pow instead.
    return mul(t, mul(y, pow_(x, sub(y, const(1, y)))))


def _pow_tangent_y(t, x, y, out):
    # d/dy x**y = log(x) * x**y, with log(0) replaced by 0 so that 0**y has slope 0
    safe_x = select(eq(x, const(0, x)), np.ones(shape_of(x), x.dtype), x)
    return mul(t, mul(log(safe_x), out))


pow_p = binary("pow", np.power, _pow_tangent_x, _pow_tangent_y)
native_elementwise(pow_p, "np.power({0}, {1})")
pow_ = pow_p.bind


def _minmax_tangent(wins):
    # JAX's convention: at ties each operand gets half of the tangent.
    def weight(a, b):
        dtype = a.dtype
        won = convert_element_type(wins(a, b), new_dtype=dtype)
        tied = convert_element_type(eq(a, b), new_dtype=dtype)
        return add(won, mul(const(0.5, a), tied))

    return (
        lambda t, x, y, out: mul(t, weight(x, y)),
        lambda t, x, y, out: mul(t, weight(y, x)),
    )


max_p = binary("max", np.maximum, *_minmax_tangent(lambda a, b: gt(a, b)))
native_elementwise(max_p, "np.maximum({0}, {1})")
min_p = binary("min", np.minimum, *_minmax_tangent(lambda a, b: lt(a, b)))
native_elementwise(min_p, "np.minimum({0}, {1})")
max_, min_ = max_p.bind, min_p.bind

atan2_p = binary(
    "atan2",
    np.arctan2,
    lambda t, x, y, out: mul(t, div(y, add(mul(x, x), mul(y, y)))),
    lambda t, x, y, out: neg(mul(t, div(x, add(mul(x, x), mul(y, y))))),
)
native_elementwise(atan2_p, "np.arctan2({0}, {1})")
atan2 = atan2_p.bind

rem_p = binary(
    "rem",
    np.remainder,
    lambda t, x, y, out: t,
    lambda t, x, y, out: neg(mul(t, floor(div(x, y)))),
)
native_elementwise(rem_p, "np.remainder({0}, {1})")
rem = rem_p.bind
floor_divide_p = binary("floor_divide", np.floor_divide)


@native_rule(floor_divide_p)
def _floor_divide_native(g, eqn, x, y):
    """NumPy's float algorithm (npy_divmod): numba's np.floor_divide is floor(x / y), which
    rounds the quotient first (1.0 // 0.1 is 10 there, 9 in NumPy)."""
    if x.dtype.kind != "f":
        return g.elementwise(eqn, "np.floor_divide({0}, {1})", (x, y))
    out = eqn.outputs[0].aval
    maps = [g.broadcast_map(v.shape, out.shape) for v in (x, y)]
    one, half, zero = (g.literal(c, out.dtype).names[0] for c in (1, 0.5, 0))

    def body(idx):
        a, b = (g.name_expr(g.elem(v, m(idx))) for v, m in zip((x, y), maps, strict=True))
        mod = g.name_expr(f"np.fmod({a}, {b})")
        div = g.name_expr(f"({a} - {mod}) / {b}")
        div = g.name_expr(
            f"({div} - {one}) if {mod} != 0 and (({b} < 0) != ({mod} < 0)) else {div}"
        )
        low = g.name_expr(f"np.floor({div})")
        snapped = f"(({low} + {one}) if {div} - {low} > {half} else {low})"
        signed_zero = f"np.copysign({zero}, {a} / {b})"
        return f"({a} / {b} if {b} == 0 else {snapped} if {div} != 0 else {signed_zero})"

    return g.produce(out.shape, out.dtype, body)


floor_divide = floor_divide_p.bind


def _replace_inf(x):
    # +inf -> 0 so that exp(x - out) is 1 where x is the (infinite) winner; -inf stays -inf, so
    # an operand at -inf gets slope exp(-inf) = 0.
    return select(eq(x, const(np.inf, x)), zeros_like_aval(get_aval(x)), x)


logaddexp_p = binary(
    "logaddexp",
    np.logaddexp,
    lambda t, x, y, out: mul(t, exp(sub(_replace_inf(x), _replace_inf(out)))),
    lambda t, x, y, out: mul(t, exp(sub(_replace_inf(y), _replace_inf(out)))),
)
native_elementwise(logaddexp_p, "np.logaddexp({0}, {1})")
logaddexp = logaddexp_p.bind


# ----------------------------------------------------------------------------- comparisons, logic


def _compare_aval(x, y, **_):
    _binary_aval(x, y)
    return ShapedArray(_binary_shape(x, y), np.bool_)


eq_p = binary("eq", np.equal, abstract_eval=_compare_aval)
native_elementwise(eq_p, "({0} == {1})")
ne_p = binary("ne", np.not_equal, abstract_eval=_compare_aval)
native_elementwise(ne_p, "({0} != {1})")
lt_p = binary("lt", np.less, abstract_eval=_compare_aval)
native_elementwise(lt_p, "({0} < {1})")
le_p = binary("le", np.less_equal, abstract_eval=_compare_aval)
native_elementwise(le_p, "({0} <= {1})")
gt_p = binary("gt", np.greater, abstract_eval=_compare_aval)
native_elementwise(gt_p, "({0} > {1})")
ge_p = binary("ge", np.greater_equal, abstract_eval=_compare_aval)
native_elementwise(ge_p, "({0} >= {1})")
and_p = binary("and", np.bitwise_and)
native_elementwise(and_p, "({0} & {1})")
or_p = binary("or", np.bitwise_or)
native_elementwise(or_p, "({0} | {1})")
xor_p = binary("xor", np.bitwise_xor)
native_elementwise(xor_p, "({0} ^ {1})")
eq, ne, lt, le, gt, ge = eq_p.bind, ne_p.bind, lt_p.bind, le_p.bind, gt_p.bind, ge_p.bind
bitwise_and, bitwise_or, bitwise_xor = and_p.bind, or_p.bind, xor_p.bind
# Shifts (for counter-based random numbers): NumPy's semantics, integer operands only.
shift_left_p = binary("shift_left", np.left_shift)
shift_right_p = binary("shift_right", np.right_shift)  # logical for unsigned, arithmetic for signed
shift_left, shift_right = shift_left_p.bind, shift_right_p.bind
numpy_only(
    "bit shifts: NumPy's out-of-range shift counts, not written natively",
    shift_left_p,
    shift_right_p,
)


# ----------------------------------------------------------------------------- select


def _select_aval(pred, on_true, on_false):
    if pred.dtype != np.bool_:
        raise TypeError(f"select needs a bool predicate, got {pred.dtype}")
    if on_true != on_false:
        raise TypeError(
            f"select branches must have equal types, got {on_true.str_short()} and "
            f"{on_false.str_short()}"
        )
    if pred.shape not in ((), on_true.shape):
        raise ShapeError(f"select predicate shape {pred.shape} does not match {on_true.shape}")
    return on_true


def _select_jvp(primals, tangents):
    pred, a, b = primals
    _, ta, tb = tangents
    return select(pred, a, b), select(pred, instantiate_zero(ta), instantiate_zero(tb))


def _select_transpose(ct, pred, a, b):
    zeros = zeros_like_aval(get_aval(ct))
    return [
        None,
        select(pred, ct, zeros) if is_undefined(a) else None,
        select(pred, zeros, ct) if is_undefined(b) else None,
    ]


select_p = Primitive("select", linear=True)
native_elementwise(select_p, "({1} if {0} else {2})")
select_p.impl = np.where
select_p.abstract_eval = _select_aval


def _select_batch(vals, dims):
    # select needs equal branch shapes and a scalar or full-shape predicate, so unlike the
    # broadcasting ops every operand gets the batch axis explicitly (unless all already agree).
    from ftrans.primitives._batch import batch_size, logical_shape, to_front
    from ftrans.primitives.shape import broadcast_in_dim

    pred, a, b = vals
    dp, da, db = dims
    shape = logical_shape(a, da)
    pred_shape = logical_shape(pred, dp)
    if da is not None and da == db:
        if (dp is None and pred_shape == ()) or (dp == da and pred_shape == shape):
            return select(pred, a, b), da
    size = batch_size(vals, dims)
    a, b = to_front(a, da, size), to_front(b, db, size)
    if dp is None and pred_shape == ():
        return select(pred, a, b), 0
    if pred_shape == ():  # one predicate per example: spread it over the example's elements
        pred = broadcast_in_dim(pred, shape=(size, *shape), broadcast_dimensions=(dp,))
    else:
        pred = to_front(pred, dp, size)
    return select(pred, a, b), 0


select_p.batch = _select_batch
select_p.lower = lambda args: f"np.where({', '.join(args)})"
select_p.jvp = _select_jvp
select_p.transpose = _select_transpose
select = select_p.bind


# ----------------------------------------------------------------------------- dtypes


def _convert_impl(x, *, new_dtype):
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(new_dtype).kind != "c":
        x = x.real  # the real part, as NumPy's astype does (without its ComplexWarning)
    return x.astype(new_dtype)


def _convert_jvp(primals, tangents, *, new_dtype):
    (x,), (t,) = primals, tangents
    out = convert_element_type(x, new_dtype=new_dtype)
    if np.issubdtype(new_dtype, np.inexact) and np.issubdtype(t.dtype, np.inexact):
        return out, convert_element_type(t, new_dtype=new_dtype)
    return out, Zero.like(out)


convert_element_type_p = Primitive("convert_element_type", linear=True)
convert_element_type_p.impl = _convert_impl
convert_element_type_p.abstract_eval = lambda x, *, new_dtype: ShapedArray(x.shape, new_dtype)
convert_element_type_p.batch = elementwise_rule(convert_element_type_p)
convert_element_type_p.jvp = _convert_jvp
convert_element_type_p.transpose = lambda ct, x, *, new_dtype: [
    convert_element_type(ct, new_dtype=x.aval.dtype)
]


@native_rule(convert_element_type_p)
def _convert_native(g, eqn, x, *, new_dtype):
    new_dtype = np.dtype(new_dtype)
    if new_dtype == np.bool_:
        return g.elementwise(eqn, "({0} != 0)", (x,))
    return g.elementwise(eqn, f"np.{new_dtype.name}({{0}})", (x,))


def convert_element_type(x, new_dtype):
    """Cast ``x`` to ``new_dtype`` (JAX's ``lax.convert_element_type(operand, new_dtype)``).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.convert_element_type(np.arange(3), np.float32).dtype
        dtype('float32')
    """
    return convert_element_type_p.bind(x, new_dtype=np.dtype(new_dtype))


# ----------------------------------------------------------------------------- complex numbers
# Transposes use the bilinear pairing <a, b> = Re(sum(a * b)) (JAX's convention), so the
# transpose of multiplying by c is multiplying by c (no conjugate), and grad of a real function
# of z returns df/dx - i df/dy.


def _complex_operand_aval(name, out_dtype):
    def aval(x):
        if not is_complex_dtype(x.dtype):
            raise TypeError(
                f"the {name} primitive needs a complex operand, got {x.str_short()}; "
                f"ftrans.numpy.{name} also accepts real arrays"
            )
        return ShapedArray(x.shape, out_dtype(x.dtype))

    return aval


def _linear_unary(name, impl, transpose, out_dtype, lower):
    p = Primitive(name, linear=True)
    p.impl = impl
    p.abstract_eval = _complex_operand_aval(name, out_dtype)
    p.batch = elementwise_rule(p)
    p.jvp = lambda primals, tangents: (p.bind(primals[0]), p.bind(tangents[0]))
    p.transpose = transpose
    p.lower = lower
    return p


real_p = _linear_unary(
    "real",
    np.real,
    lambda ct, x: [convert_element_type(ct, new_dtype=x.aval.dtype)],
    real_dtype,
    lambda args: f"np.real({args[0]})",
)
imag_p = _linear_unary(
    "imag",
    np.imag,
    lambda ct, x: [complex_(zeros_like_aval(get_aval(ct)), neg(ct))],
    real_dtype,
    lambda args: f"np.imag({args[0]})",
)
conj_p = _linear_unary(
    "conj", np.conjugate, lambda ct, x: [conj(ct)], lambda d: d, ufunc_lowering(np.conjugate)
)
real, imag, conj = real_p.bind, imag_p.bind, conj_p.bind


def _complex_impl(x, y):
    part = next((a.dtype for a in (x, y) if hasattr(a, "dtype")), np.dtype(np.float64))
    out = np.empty(np.broadcast_shapes(np.shape(x), np.shape(y)), complex_dtype(part))
    out.real = x  # not x + 1j * y, which turns an infinite y into nan + inf j
    out.imag = y
    return out


def _complex_aval(x, y):
    out = _binary_aval(x, y)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"complex needs real floating-point parts, got {x.str_short()} and {y.str_short()}"
        )
    return ShapedArray(out.shape, complex_dtype(x.dtype))


def _complex_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    out = complex_(x, y)
    if type(tx) is Zero and type(ty) is Zero:
        return out, Zero.like(out)
    zero_x = zeros_like_aval(get_aval(x))
    zero_y = zeros_like_aval(get_aval(y))
    tx = zero_x if type(tx) is Zero else tx
    ty = zero_y if type(ty) is Zero else ty
    return out, _broadcast_like(complex_(tx, ty), out)


def _complex_transpose(ct, x, y):
    # <ct, x + i y> = Re(ct) x - Im(ct) y
    return [
        unbroadcast(x.aval, real(ct)) if is_undefined(x) else None,
        unbroadcast(y.aval, neg(imag(ct))) if is_undefined(y) else None,
    ]


complex_p = Primitive("complex", linear=True)
complex_p.impl = _complex_impl
complex_p.abstract_eval = _complex_aval
complex_p.batch = elementwise_rule(complex_p)
complex_p.jvp = _complex_jvp
complex_p.transpose = _complex_transpose
complex_ = complex_p.bind
numpy_only("complex numbers: the native backend is real-only", real_p, imag_p, conj_p, complex_p)


# ----------------------------------------------------------------------------- stop_gradient

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.impl = lambda x: x
stop_gradient_p.abstract_eval = _unary_aval
stop_gradient_p.batch = elementwise_rule(stop_gradient_p)
stop_gradient_p.jvp = _zero_jvp(stop_gradient_p)
stop_gradient = stop_gradient_p.bind
native_rule(stop_gradient_p)(lambda g, eqn, x: x)


# ----------------------------------------------------------------------------- name

# ``checkpoint_name``: the identity, tagging a value with a name that checkpoint policies
# (``save_only_these_names``...) can ask for. Linear; gone from compiled code.
name_p = Primitive("name", linear=True)
name_p.impl = lambda x, *, name: x
name_p.abstract_eval = _unary_aval
name_p.batch = elementwise_rule(name_p)
name_p.jvp = lambda primals, tangents, *, name: (name_p.bind(primals[0], name=name), tangents[0])
name_p.transpose = lambda ct, x, *, name: [ct]
name_p.lower = lambda args, *, name: args[0]
native_rule(name_p)(lambda g, eqn, x, *, name: x)
