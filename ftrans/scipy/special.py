"""``ftrans.scipy.special``: ``jax.scipy.special``'s functions on ftrans primitives.

Every function is differentiable (where JAX's is), batches under ``vmap`` and compiles under
``jit``. Integer and bool arguments are promoted to float64; float32 stays float32. Values
follow SciPy (where JAX and SciPy differ on a value, e.g. ``digamma(0)``, SciPy's is kept);
derivatives follow JAX's conventions at edge points (``xlogy``, ``entr``, ``rel_entr``...).
"""

from __future__ import annotations

import math

import numpy as np

import ftrans.numpy as fnp
from ftrans import nn
from ftrans.core import Tracer
from ftrans.primitives import elementwise as ew
from ftrans.primitives import special as sp
from ftrans.typing import Array, ArrayLike

__all__ = [
    "beta",
    "betainc",
    "betaln",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp1",
    "expi",
    "expn",
    "expit",
    "factorial",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "kl_div",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "rel_entr",
    "softmax",
    "spence",
    "xlog1py",
    "xlogy",
    "zeta",
]


def _promote(name, *args):
    """The arguments as arrays of one floating dtype (ints and bools become float64)."""
    keys = []
    for a in args:
        if isinstance(a, (bool, int, float)):
            keys.append(a)
        elif isinstance(a, (Tracer, np.ndarray, np.generic)):
            keys.append(np.zeros((), a.dtype))
        else:
            a = np.asarray(a)
            keys.append(np.zeros((), a.dtype))
    dtype = np.result_type(*keys)
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{name} does not support complex arguments (got {dtype})")
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return [fnp.astype(fnp.asarray(a), dtype) for a in args]


# ----------------------------------------------------------------------------- erf family


def erf(x: ArrayLike) -> Array:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``.

    Examples:
        >>> import ftrans as ft, ftrans.scipy.special as ss
        >>> round(float(ss.erf(0.5)), 12)
        0.520499877813
        >>> round(float(ft.grad(ss.erf)(0.0)), 12)  # 2 / sqrt(pi)
        1.128379167096
    """
    (x,) = _promote("erf", x)
    return sp.erf(x)


def erfc(x: ArrayLike) -> Array:
    """The complementary error function ``1 - erf(x)``, accurate where it is tiny.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> float(ss.erfc(10.0))
        2.088487583762545e-45
    """
    (x,) = _promote("erfc", x)
    return sp.erfc(x)


def erfinv(x: ArrayLike) -> Array:
    """The inverse of [`erf`][ftrans.scipy.special.erf] on ``(-1, 1)`` (``+-inf`` at ``+-1``, NaN
    outside).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.erfinv(ss.erf(0.3))), 12)
        0.3
    """
    (x,) = _promote("erfinv", x)
    return sp.erf_inv(x)


def erfcx(x: ArrayLike) -> Array:
    """The scaled complementary error function ``exp(x^2) erfc(x)`` (no underflow for large x).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> float(ss.erfcx(1e10))  # 1 / (x sqrt(pi))
        5.641895835477563e-11
    """
    (x,) = _promote("erfcx", x)
    return sp.erfcx(x)


def ndtr(x: ArrayLike) -> Array:
    """The standard normal CDF, accurate in both tails.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> float(ss.ndtr(0.0))
        0.5
    """
    (x,) = _promote("ndtr", x)
    return sp.ndtr(x)


def ndtri(p: ArrayLike) -> Array:
    """The inverse of [`ndtr`][ftrans.scipy.special.ndtr] (the standard normal quantile function).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.ndtri(0.975)), 10)
        1.9599639845
    """
    (p,) = _promote("ndtri", p)
    return sp.ndtri(p)


def log_ndtr(x: ArrayLike, series_order: int = 3) -> Array:
    """``log(ndtr(x))``, accurate far into both tails (no underflow to ``-inf``).

    ``series_order`` is accepted for JAX's signature; the result is computed to full precision
    by a rational approximation of ``exp(x^2) erfc(x)`` rather than a truncated series.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.log_ndtr(-40.0)), 6)
        -804.608442
    """
    if not isinstance(series_order, int) or not 0 <= series_order <= 30:
        raise ValueError(f"log_ndtr: series_order must be an int in [0, 30], got {series_order!r}")
    (x,) = _promote("log_ndtr", x)
    return sp.log_ndtr(x)


# ----------------------------------------------------------------------------- gamma family


def gammaln(x: ArrayLike) -> Array:
    """``log|Gamma(x)|``.

    Examples:
        >>> import ftrans as ft, ftrans.scipy.special as ss
        >>> round(float(ss.gammaln(10.0)), 10)  # log(9!)
        12.8018274801
        >>> round(float(ft.grad(ss.gammaln)(1.0)), 12)  # digamma(1) = -Euler's gamma
        -0.577215664902
    """
    (x,) = _promote("gammaln", x)
    return sp.lgamma(x)


def gammasgn(x: ArrayLike) -> Array:
    """The sign of ``Gamma(x)`` (NaN at the poles ``-1, -2, ...``; the sign of zero at 0, as
    SciPy).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> ss.gammasgn([-1.5, -0.5, 2.0]).tolist()
        [1.0, -1.0, 1.0]
    """
    (x,) = _promote("gammasgn", x)
    floor = fnp.floor(x)
    odd = fnp.remainder(floor, 2.0) == 1.0
    sign = fnp.where((x > 0) | ~odd, 1.0, -1.0)
    zero_sign = fnp.where(fnp.arctan2(x, -1.0) > 0, 1.0, -1.0)  # the sign of +-0
    sign = fnp.where(x == 0, zero_sign, sign)
    pole = ((x < 0) & (floor == x)) | fnp.isnan(x)
    return ew.stop_gradient(fnp.where(pole, np.nan, sign).astype(x.dtype))


def gamma(x: ArrayLike) -> Array:
    """The gamma function, ``gammasgn(x) * exp(gammaln(x))``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.gamma(5.0)), 10)
        24.0
    """
    (x,) = _promote("gamma", x)
    return gammasgn(x) * fnp.exp(sp.lgamma(x))


def digamma(x: ArrayLike) -> Array:
    r"""The digamma function $\psi(x) = \frac{d}{dx} \log \Gamma(x)$.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.digamma(1.0)), 12)
        -0.577215664902
    """
    (x,) = _promote("digamma", x)
    return sp.digamma(x)


psi = digamma


def polygamma(n: ArrayLike, x: ArrayLike) -> Array:
    """The ``n``-th derivative of [`digamma`][ftrans.scipy.special.digamma]; ``n`` must be a
    non-negative integer.

    Differentiable in ``x`` (not in ``n``, as in JAX).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.polygamma(1, 1.0)), 12)  # pi^2 / 6
        1.644934066848
    """
    n_dtype = np.asarray(n).dtype if not isinstance(n, Tracer) else n.dtype
    if isinstance(n, float) or not (
        isinstance(n, (int, np.integer)) or np.issubdtype(n_dtype, np.integer)
    ):
        raise ValueError(
            f"polygamma: n must be of integer type (as in JAX), got {n_dtype}; pass e.g. "
            "n=1 or an integer array"
        )
    n, x = _promote("polygamma", n, x)
    return sp.polygamma(n, x)


def zeta(x: ArrayLike, q: ArrayLike | None = None) -> Array:
    """The Hurwitz zeta function ``sum_k (k + q)^-x`` (Riemann's for ``q=None``), ``x > 1``.

    Differentiable in ``q`` to any order and once in ``x`` (as JAX).

    Examples:
        >>> import ftrans as ft, ftrans.scipy.special as ss
        >>> round(float(ft.grad(ss.zeta)(2.0)), 12)  # zeta'(2)
        -0.937548254316
        >>> round(float(ss.zeta(2.0)), 12)  # pi^2 / 6
        1.644934066848
    """
    if q is None:
        q = 1.0
    x, q = _promote("zeta", x, q)
    return sp.zeta(x, q)


def multigammaln(a: ArrayLike, d: int) -> Array:
    """The log of the multivariate gamma function of dimension ``d`` (a Python int).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.multigammaln(3.0, 2)), 10)
        1.550194994
    """
    if isinstance(d, Tracer) or not float(d).is_integer():
        raise TypeError(f"multigammaln: d must be a concrete integer, got {d!r}")
    d = int(d)
    (a,) = _promote("multigammaln", a)
    halves = fnp.asarray(np.arange(d) / 2.0, a.dtype)
    terms = sp.lgamma(fnp.expand_dims(a, -1) - halves)
    return fnp.sum(terms, axis=-1) + a.dtype.type(0.25 * d * (d - 1) * math.log(math.pi))


def factorial(n: ArrayLike, exact: bool = False) -> Array:
    """``n!`` as ``gamma(n + 1)`` (0 for negative ``n``); ``exact=True`` is not supported
    (as in JAX).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> ss.factorial([0, 3, 5]).tolist()
        [1.0, 6.0, 120.0]
    """
    if exact:
        raise NotImplementedError(
            "factorial(exact=True) is not supported (nor in JAX); use math.factorial on ints"
        )
    (n,) = _promote("factorial", n)
    return fnp.where(n < 0, 0.0, fnp.exp(sp.lgamma(n + 1.0))).astype(n.dtype)


def gammainc(a: ArrayLike, x: ArrayLike) -> Array:
    """The regularized lower incomplete gamma function ``P(a, x)``.

    Differentiable in ``x`` and (once) in ``a``, like JAX.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.gammainc(1.0, 2.0)), 12)  # 1 - exp(-2)
        0.864664716763
    """
    a, x = _promote("gammainc", a, x)
    return sp.igamma(a, x)


def gammaincc(a: ArrayLike, x: ArrayLike) -> Array:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.gammaincc(1.0, 2.0)), 12)  # exp(-2)
        0.135335283237
    """
    a, x = _promote("gammaincc", a, x)
    return sp.igammac(a, x)


def betaln(a: ArrayLike, b: ArrayLike) -> Array:
    """``log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.betaln(2.0, 3.0)), 12)  # log(1/12)
        -2.48490664979
    """
    a, b = _promote("betaln", a, b)
    return sp.lgamma(a) + sp.lgamma(b) - sp.lgamma(a + b)


def beta(a: ArrayLike, b: ArrayLike) -> Array:
    """The beta function ``Gamma(a) Gamma(b) / Gamma(a + b)``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.beta(2.0, 3.0)), 12)
        0.083333333333
    """
    a, b = _promote("beta", a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * fnp.exp(betaln(a, b))


def betainc(a: ArrayLike, b: ArrayLike, x: ArrayLike) -> Array:
    """The regularized incomplete beta function ``I_x(a, b)``.

    Differentiable in ``x`` only (as in JAX).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.betainc(2.0, 3.0, 0.5)), 12)
        0.6875
    """
    a, b, x = _promote("betainc", a, b, x)
    return sp.betainc(a, b, x)


# ------------------------------------------------------------------------- exponential integrals


def expi(x: ArrayLike) -> Array:
    """The exponential integral ``Ei(x)``, the principal value of ``int_-inf^x e^t / t dt``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.expi(1.0)), 12)
        1.895117816356
    """
    (x,) = _promote("expi", x)
    return sp.expi(x)


def exp1(x: ArrayLike) -> Array:
    """The exponential integral ``E1(x) = int_1^inf e^(-x t) / t dt`` for ``x >= 0`` (NaN
    below, as SciPy's real version).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.exp1(1.0)), 12)
        0.219383934396
    """
    (x,) = _promote("exp1", x)
    return sp.expn(fnp.ones_like(x), x)


def expn(n: ArrayLike, x: ArrayLike) -> Array:
    """The generalized exponential integral ``E_n(x)`` for integers ``n >= 0``.

    Differentiable in ``x`` (``dE_n/dx = -E_(n-1)``).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.expn(2, 1.0)), 12)
        0.148495506776
    """
    n_dtype = np.asarray(n).dtype if not isinstance(n, Tracer) else n.dtype
    if isinstance(n, float) or not (
        isinstance(n, (int, np.integer)) or np.issubdtype(n_dtype, np.integer)
    ):
        raise ValueError(f"expn: n must be of integer type (as in JAX), got {n_dtype}")
    n, x = _promote("expn", n, x)
    return sp.expn(n, x)


def spence(x: ArrayLike) -> Array:
    """Spence's function ``int_1^x log(t) / (1 - t) dt = Li2(1 - x)`` for ``x >= 0`` (NaN below).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.spence(0.0)), 12)  # pi^2 / 6
        1.644934066848
    """
    (x,) = _promote("spence", x)
    return sp.spence(x)


# ----------------------------------------------------------------------------- Bessel


def i0e(x: ArrayLike) -> Array:
    """The exponentially scaled modified Bessel function of order 0, ``exp(-|x|) I0(x)``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.i0e(1.0)), 12)
        0.465759607593
    """
    (x,) = _promote("i0e", x)
    return sp.bessel_i0e(x)


def i0(x: ArrayLike) -> Array:
    """The modified Bessel function of order 0.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.i0(1.0)), 12)
        1.266065877752
    """
    (x,) = _promote("i0", x)
    return fnp.exp(fnp.abs(x)) * sp.bessel_i0e(x)


def i1e(x: ArrayLike) -> Array:
    """The exponentially scaled modified Bessel function of order 1, ``exp(-|x|) I1(x)``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.i1e(1.0)), 12)
        0.207910415349
    """
    (x,) = _promote("i1e", x)
    return sp.bessel_i1e(x)


def i1(x: ArrayLike) -> Array:
    """The modified Bessel function of order 1.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.i1(1.0)), 12)
        0.565159103992
    """
    (x,) = _promote("i1", x)
    return fnp.exp(fnp.abs(x)) * sp.bessel_i1e(x)


# ----------------------------------------------------------------------------- logistic


def expit(x: ArrayLike) -> Array:
    """The logistic sigmoid ``1 / (1 + exp(-x))``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> float(ss.expit(0.0))
        0.5
    """
    (x,) = _promote("expit", x)
    return ew.logistic(x)


def logit(x: ArrayLike) -> Array:
    """``log(x / (1 - x))``, the inverse of [`expit`][ftrans.scipy.special.expit].

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.logit(0.75)), 12)
        1.098612288668
    """
    (x,) = _promote("logit", x)
    return fnp.log(x / (1.0 - x))


def xlogy(x: ArrayLike, y: ArrayLike) -> Array:
    r"""``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is NaN).

    The derivative is $\bigl(\frac{\partial}{\partial x}, \frac{\partial}{\partial y}\bigr) =
    (\log y, \, x / y)$ everywhere, as in JAX: ``(-inf, nan)`` at ``(0, 0)``.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> float(ss.xlogy(0.0, 0.0))
        0.0
    """
    x, y = _promote("xlogy", x, y)
    return sp.xlogy(x, y)


def xlog1py(x: ArrayLike, y: ArrayLike) -> Array:
    """``x * log1p(y)``, 0 where ``x == 0`` (unless ``y`` is NaN).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> float(ss.xlog1py(0.0, -1.0))
        0.0
    """
    x, y = _promote("xlog1py", x, y)
    return sp.xlog1py(x, y)


def entr(x: ArrayLike) -> Array:
    """Elementwise entropy: ``-x log x`` for ``x > 0``, 0 at 0, ``-inf`` below.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> ss.entr([0.0, 1.0, -1.0]).tolist()
        [-0.0, -0.0, -inf]
    """
    (x,) = _promote("entr", x)
    return fnp.where(x < 0, -np.inf, -sp.xlogx(x))


def rel_entr(p: ArrayLike, q: ArrayLike) -> Array:
    """``p log(p / q)`` for ``p, q > 0``; 0 where ``p == 0 <= q``; ``inf`` otherwise.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> ss.rel_entr([0.5, 0.0, 1.0], [0.25, 1.0, -1.0]).tolist()
        [0.34657359027997264, 0.0, inf]
    """
    p, q = _promote("rel_entr", p, q)
    both = (p > 0) & (q > 0)
    one_zero = (p == 0) & (q >= 0)
    safe_p = fnp.where(both, p, 1.0)
    safe_q = fnp.where(both, q, 1.0)
    value = sp.xlogx(safe_p) - sp.xlogy(safe_p, safe_q)
    return fnp.where(both, value, fnp.where(one_zero, 0.0, np.inf))


def kl_div(p: ArrayLike, q: ArrayLike) -> Array:
    """``rel_entr(p, q) - p + q``, elementwise.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> round(float(ss.kl_div(0.5, 0.25)), 12)
        0.09657359028
    """
    p, q = _promote("kl_div", p, q)
    return rel_entr(p, q) - p + q


# ----------------------------------------------------------------------------- reductions


def logsumexp(
    a: ArrayLike,
    axis: int | tuple[int, ...] | None = None,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
    where: ArrayLike | None = None,
):
    """``log(sum(b * exp(a), axis))`` over the entries where ``where`` is true, without
    overflow.

    Args:
        a: the exponents.
        axis: axis or axes to reduce (``None``: all).
        b: optional weights broadcast against ``a``; may be negative with ``return_sign``.
        keepdims: keep the reduced axes with size 1.
        return_sign: return ``(log|sum|, sign(sum))``; without it a negative sum gives NaN.
        where: optional mask broadcast against ``a``: only its true entries are summed.

    Returns:
        The log-sum-exp, or the pair ``(log|sum|, sign)`` with ``return_sign``.

    Examples:
        >>> import numpy as np, ftrans.scipy.special as ss
        >>> float(ss.logsumexp(np.array([1000.0, 1000.0])))
        1000.6931471805599
        >>> value, sign = ss.logsumexp(np.array([0.0, 0.0]), b=np.array([1.0, -2.0]),
        ...                            return_sign=True)
        >>> float(value), float(sign)
        (0.0, -1.0)
    """
    if where is not None:
        a = fnp.asarray(a)
        mask = fnp.broadcast_to(fnp.asarray(where), fnp.shape(a))
        (a,) = _promote("logsumexp", a)
        a = fnp.where(mask, a, -np.inf)
    return nn.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def softmax(x: ArrayLike, /, *, axis: int | tuple[int, ...] | None = None) -> Array:
    """``exp(x) / sum(exp(x), axis)``; JAX's scipy default ``axis=None`` normalises over all
    entries.

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> ss.softmax([[0.0, 0.0], [0.0, 0.0]]).tolist()
        [[0.25, 0.25], [0.25, 0.25]]
    """
    return nn.softmax(x, axis=axis)


def log_softmax(x: ArrayLike, /, *, axis: int | tuple[int, ...] | None = None) -> Array:
    """``x - logsumexp(x, axis)`` (``axis=None``: over all entries, as in JAX's scipy).

    Examples:
        >>> import ftrans.scipy.special as ss
        >>> [round(v, 6) for v in ss.log_softmax([0.0, 0.0]).tolist()]
        [-0.693147, -0.693147]
    """
    return nn.log_softmax(x, axis=axis)
