"""Special-function primitives: erf family, gamma family, incomplete gamma and beta, Bessel.

Each primitive stands here with every rule: the NumPy implementation (the kernels of
`ftrans.primitives._special_kernels`, computed in float64 and returned in the operands'
float dtype, so float32 stays float32), abstract evaluation from the elementwise family
constructors (operands must be floating point), a JVP written with primitives (so derivatives
of every order exist where the maths has them), elementwise batching, and jit's generic
lowering (generated code calls the implementation).

Derivatives as in JAX: ``erf' = 2/sqrt(pi) exp(-x^2)``, ``lgamma' = digamma``,
``digamma' = polygamma(1, .)``, ``polygamma(n, .)' = polygamma(n + 1, .)``,
``d zeta(s, q)/dq = -s zeta(s + 1, q)``, ``d zeta/ds = zeta_grad_s(s, q)`` (the
Euler-Maclaurin sum differentiated term by term), ``d igamma(a, x)/dx = x^(a-1) e^-x /
Gamma(a)`` and ``d igamma/da = igamma_grad_a(a, x)`` (computed by differentiating the series
or continued fraction along with it). Not available, with an error saying so (JAX lacks them too):
derivatives of ``betainc`` in ``a`` and ``b``, of ``polygamma`` in ``n``, and the second
derivatives of ``zeta`` in ``s`` and of ``igamma`` in ``a``.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Zero, get_aval
from ftrans.errors import UnsupportedError
from ftrans.primitives import _special_kernels as kernels
from ftrans.primitives import elementwise as ew
from ftrans.primitives._batch import elementwise_rule
from ftrans.primitives.elementwise import add, const, div, exp, log, mul, neg, sub


def _float_dtype(*arrays) -> np.dtype:
    dtypes = [np.asarray(a).dtype for a in arrays]
    return np.dtype(np.float32) if all(d == np.float32 for d in dtypes) else np.dtype(np.float64)


def _kernel(fn, name):
    """An implementation from a float64 kernel: float32 operands give a float32 result."""

    def impl(*args):
        for a in args:
            if not np.issubdtype(np.asarray(a).dtype, np.floating):
                raise TypeError(
                    f"{name} needs floating-point operands, got {np.asarray(a).dtype}; "
                    "convert with .astype(float) (ftrans.scipy.special does it for you)"
                )
        dtype = _float_dtype(*args)
        with np.errstate(all="ignore"):
            out = fn(*(np.asarray(a, np.float64) for a in args))
        return np.asarray(out).astype(dtype, copy=False)

    impl.__name__ = name
    return impl


def _check_float(name):
    def check(*avals):
        for aval in avals:
            if not np.issubdtype(aval.dtype, np.floating):
                raise TypeError(
                    f"{name} needs floating-point operands, got {aval.str_short()}; convert "
                    "with .astype(float) (ftrans.scipy.special does it for you)"
                )

    return check


_NUMPY_KERNEL = "special functions: their NumPy kernels are not written for numba yet"


def _unary(name, fn, tangent):
    p = ew.unary(name, _kernel(fn, name), tangent)
    numpy_only(_NUMPY_KERNEL, p)
    check = _check_float(name)

    def abstract_eval(x):
        check(x)
        return x

    p.abstract_eval = abstract_eval
    return p


def _binary(name, fn, tangent_x, tangent_y):
    p = ew.binary(name, _kernel(fn, name), tangent_x, tangent_y)
    numpy_only(_NUMPY_KERNEL, p)
    check = _check_float(name)

    def abstract_eval(x, y):
        check(x, y)
        return ew._binary_aval(x, y)

    p.abstract_eval = abstract_eval
    return p


def _ones_like(x):
    aval = get_aval(x)
    return np.broadcast_to(np.ones((), aval.dtype), aval.shape)


def _unsupported(what):
    def rule(*_):
        raise UnsupportedError(
            f"the derivative of {what} is not implemented (JAX does not have it either); "
            "wrap that argument in ftrans.lax.stop_gradient if you only need the others"
        )

    return rule


# ----------------------------------------------------------------------------- erf family

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


def _gauss(x):
    """``exp(-x**2)``."""
    return exp(neg(mul(x, x)))


erf_p = _unary(
    "erf", kernels.erf, lambda t, x, y: mul(t, mul(const(_TWO_OVER_SQRT_PI, x), _gauss(x)))
)
erfc_p = _unary(
    "erfc", kernels.erfc, lambda t, x, y: neg(mul(t, mul(const(_TWO_OVER_SQRT_PI, x), _gauss(x))))
)
erf_inv_p = _unary(
    "erf_inv",
    kernels.erf_inv,
    lambda t, x, y: mul(t, mul(const(np.sqrt(np.pi) / 2, y), exp(mul(y, y)))),
)


def _normal_pdf(x):
    return mul(const(1 / np.sqrt(2 * np.pi), x), exp(mul(const(-0.5, x), mul(x, x))))


ndtr_p = _unary("ndtr", kernels.ndtr, lambda t, x, y: mul(t, _normal_pdf(x)))
# d log ndtr = pdf / cdf = exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi): finite in both tails
log_ndtr_p = _unary(
    "log_ndtr",
    kernels.log_ndtr,
    lambda t, x, y: mul(
        t,
        mul(
            const(1 / np.sqrt(2 * np.pi), x),
            exp(sub(mul(const(-0.5, x), mul(x, x)), y)),
        ),
    ),
)
ndtri_p = _unary(
    "ndtri",
    kernels.ndtri,
    lambda t, x, y: mul(t, mul(const(np.sqrt(2 * np.pi), y), exp(mul(const(0.5, y), mul(y, y))))),
)

erfcx_p = _unary(
    "erfcx",
    kernels.erfcx,
    lambda t, x, y: mul(t, sub(mul(mul(const(2, x), x), y), const(_TWO_OVER_SQRT_PI, x))),
)

erf, erfc, erf_inv, erfcx = erf_p.bind, erfc_p.bind, erf_inv_p.bind, erfcx_p.bind
ndtr, log_ndtr, ndtri = ndtr_p.bind, log_ndtr_p.bind, ndtri_p.bind

# ----------------------------------------------------------------------------- gamma family

lgamma_p = _unary("lgamma", kernels.lgamma, lambda t, x, y: mul(t, digamma(x)))
digamma_p = _unary("digamma", kernels.digamma, lambda t, x, y: mul(t, polygamma(_ones_like(x), x)))
polygamma_p = _binary(
    "polygamma",
    kernels.polygamma,
    _unsupported("polygamma with respect to n"),
    lambda t, n, x, out: mul(t, polygamma(add(n, const(1, n)), x)),
)
zeta_grad_s_p = _binary(
    "zeta_grad_s",
    kernels.zeta_grad_s,
    _unsupported("zeta_grad_s with respect to s (the second derivative of zeta in s)"),
    # d/dq d/ds zeta = d/ds (-s zeta(s + 1, q)) = -zeta(s + 1, q) - s zeta_grad_s(s + 1, q)
    lambda t, s, q, out: mul(
        t,
        neg(add(zeta(add(s, const(1, s)), q), mul(s, zeta_grad_s(add(s, const(1, s)), q)))),
    ),
)
zeta_p = _binary(
    "zeta",
    kernels.zeta,
    lambda t, s, q, out: mul(t, zeta_grad_s(s, q)),
    lambda t, s, q, out: mul(t, neg(mul(s, zeta(add(s, const(1, s)), q)))),
)


def lgamma(x):
    return lgamma_p.bind(x)


def digamma(x):
    return digamma_p.bind(x)


def polygamma(n, x):
    return polygamma_p.bind(n, x)


def zeta(s, q):
    return zeta_p.bind(s, q)


def zeta_grad_s(s, q):
    """``d zeta(s, q) / ds``."""
    return zeta_grad_s_p.bind(s, q)


# ----------------------------------------------------------------------------- incomplete gamma


def _gamma_density(a, x):
    """``x**(a-1) exp(-x) / Gamma(a)``: the derivative of ``igamma`` in ``x``."""
    return exp(sub(sub(mul(sub(a, const(1, a)), log(x)), x), lgamma(a)))


def _igamma_value(a, x):
    return kernels.igamma_all(a, x, upper=False)[0]


def _igammac_value(a, x):
    return kernels.igamma_all(a, x, upper=True)[0]


def _igamma_grad_a_value(a, x):
    return kernels.igamma_all(a, x, upper=False)[1]


igamma_grad_a_p = _binary(
    "igamma_grad_a",
    _igamma_grad_a_value,
    _unsupported("igamma_grad_a with respect to a (the second derivative of igamma in a)"),
    # d/dx dP/da = d/da dP/dx = density * (log x - digamma(a))
    lambda t, a, x, out: mul(t, mul(_gamma_density(a, x), sub(log(x), digamma(a)))),
)
igamma_p = _binary(
    "igamma",
    _igamma_value,
    lambda t, a, x, out: mul(t, igamma_grad_a(a, x)),
    lambda t, a, x, out: mul(t, _gamma_density(a, x)),
)
igammac_p = _binary(
    "igammac",
    _igammac_value,
    lambda t, a, x, out: neg(mul(t, igamma_grad_a(a, x))),
    lambda t, a, x, out: neg(mul(t, _gamma_density(a, x))),
)


def igamma(a, x):
    """The regularized lower incomplete gamma function ``P(a, x)``."""
    return igamma_p.bind(a, x)


def igammac(a, x):
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``."""
    return igammac_p.bind(a, x)


def igamma_grad_a(a, x):
    """``d igamma(a, x) / da``."""
    return igamma_grad_a_p.bind(a, x)


def random_gamma_grad(a, x):
    """The derivative of a Gamma(a) sample ``x`` in ``a`` at fixed uniform noise (implicit
    reparameterisation): ``-(dP/da) / (dP/dx)``."""
    a, x = (v if hasattr(v, "dtype") else np.asarray(v, np.float64) for v in (a, x))
    return neg(div(igamma_grad_a(a, x), _gamma_density(a, x)))


# ----------------------------------------------------------------------------- incomplete beta


def _betainc_jvp(primals, tangents):
    a, b, x = primals
    ta, tb, tx = tangents
    out = regularized_incomplete_beta(a, b, x)
    if type(ta) is not Zero or type(tb) is not Zero:
        _unsupported("betainc with respect to a and b")()
    if type(tx) is Zero:
        return out, Zero.like(out)
    one = const(1, x)
    log_density = sub(
        add(mul(sub(a, one), log(x)), mul(sub(b, one), ew.log1p(neg(x)))),
        sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b))),
    )
    return out, ew._broadcast_like(mul(tx, exp(log_density)), out)


def _betainc_aval(a, b, x):
    _check_float("betainc")(a, b, x)
    if not a.dtype == b.dtype == x.dtype:
        raise TypeError(
            f"betainc got dtypes {a.dtype}, {b.dtype}, {x.dtype}; lax-level calls must pass "
            "equal dtypes (ftrans.scipy.special.betainc promotes them)"
        )
    return ShapedArray(ew._binary_shape(a, b, x), a.dtype)


betainc_p = Primitive("regularized_incomplete_beta")
numpy_only(_NUMPY_KERNEL, betainc_p)
betainc_p.impl = _kernel(kernels.betainc, "betainc")
betainc_p.abstract_eval = _betainc_aval
betainc_p.batch = elementwise_rule(betainc_p)
betainc_p.jvp = _betainc_jvp


def regularized_incomplete_beta(a, b, x):
    """The regularized incomplete beta function ``I_x(a, b)``."""
    return betainc_p.bind(a, b, x)


betainc = regularized_incomplete_beta

# ----------------------------------------------------------------------------- Bessel


def _i1e_tangent(t, x, y):
    # i1e' = i0e - i1e (sign(x) + 1/x), which tends to 1/2 at x = 0
    zero = ew.eq(x, const(0, x))
    safe = ew.select(zero, _ones_like(x), x)
    slope = sub(bessel_i0e(x), mul(y, add(ew.sign(x), div(const(1, x), safe))))
    return mul(t, ew.select(zero, mul(const(0.5, x), _ones_like(x)), slope))


bessel_i0e_p = _unary(
    "bessel_i0e", kernels.bessel_i0e, lambda t, x, y: mul(t, sub(bessel_i1e(x), mul(ew.sign(x), y)))
)
bessel_i1e_p = _unary("bessel_i1e", kernels.bessel_i1e, _i1e_tangent)


def bessel_i0e(x):
    return bessel_i0e_p.bind(x)


def bessel_i1e(x):
    return bessel_i1e_p.bind(x)


# ----------------------------------------------------------------------------- x log y
# JAX's conventions: xlogy(0, y) = 0 (unless y is NaN) and the derivative is the plain formula
# (d/dx = log y, d/dy = x / y), so at (0, 0) it is (-inf, nan), as in JAX.


def _xlogy_kernel(x, y):
    return np.where((x != 0) | np.isnan(y), x * np.log(y), 0.0)


def _xlog1py_kernel(x, y):
    return np.where((x != 0) | np.isnan(y), x * np.log1p(y), 0.0)


def _xlogx_kernel(x):
    return _xlogy_kernel(x, x)


xlogy_p = _binary(
    "xlogy",
    _xlogy_kernel,
    lambda t, x, y, out: mul(t, log(y)),
    lambda t, x, y, out: mul(t, div(x, y)),
)
xlog1py_p = _binary(
    "xlog1py",
    _xlog1py_kernel,
    lambda t, x, y, out: mul(t, ew.log1p(y)),
    lambda t, x, y, out: mul(t, div(x, add(y, const(1, y)))),
)
# d(x log x) = log x + 1 (-inf at 0, as JAX's entr gradient)
xlogx_p = _unary("xlogx", _xlogx_kernel, lambda t, x, y: mul(t, add(log(x), const(1, x))))
xlogy, xlog1py, xlogx = xlogy_p.bind, xlog1py_p.bind, xlogx_p.bind


# ------------------------------------------------------------------------- exponential integrals


def _expn_tangent(t, n, x, out):
    # d E_n / dx = -E_(n-1)(x); for n = 0, E_0 = exp(-x)/x and d E_0/dx = -exp(-x)(x + 1)/x^2
    lower = expn(ew.max_(sub(n, const(1, n)), ew.zeros_like_aval(get_aval(n))), x)
    zero_order = div(mul(exp(neg(x)), add(x, const(1, x))), mul(x, x))
    is_zero = ew._broadcast_like(ew.eq(n, const(0, n)), out)
    lower = ew._broadcast_like(lower, out)
    zero_order = ew._broadcast_like(zero_order, out)
    return mul(t, neg(ew.select(is_zero, zero_order, lower)))


expn_p = _binary("expn", kernels.expn, _unsupported("expn with respect to n"), _expn_tangent)
expi_p = _unary("expi", kernels.expi, lambda t, x, y: mul(t, div(exp(x), x)))


def expn(n, x):
    """The generalized exponential integral ``E_n(x)`` (integer ``n >= 0`` as a float)."""
    return expn_p.bind(n, x)


def expi(x):
    """The exponential integral ``Ei(x)``."""
    return expi_p.bind(x)


# ----------------------------------------------------------------------------- spence


def _spence_tangent(t, x, y):
    # d/dx int_1^x log(t)/(1 - t) dt = log(x) / (1 - x); at x = 1 its Taylor polynomial
    # -1 + u/2 - u^2/3 + u^3/4 (u = x - 1), so higher derivatives are right there too
    one = ew.eq(x, const(1, x))
    safe = ew.select(one, mul(const(2, x), _ones_like(x)), x)
    slope = div(log(safe), sub(const(1, x), safe))
    u = sub(x, const(1, x))
    taylor = add(
        const(-1, x),
        mul(u, add(const(0.5, x), mul(u, add(const(-1 / 3, x), mul(u, const(0.25, x)))))),
    )
    return mul(t, ew.select(one, taylor, slope))


spence_p = _unary("spence", kernels.spence, _spence_tangent)


def spence(x):
    """Spence's function (the dilogarithm ``Li2(1 - x)``)."""
    return spence_p.bind(x)
