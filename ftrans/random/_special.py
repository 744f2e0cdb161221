"""The error function and the normal CDF and quantile, traceable (``truncated_normal``, ``gelu``).

ftrans has no ``erf`` primitive, so these are built from ``ftrans.numpy`` operations and are
differentiated like any other code.

``erfc`` for ``z >= 0`` is ``t * exp(-z**2 + P(2t - 1))`` with ``t = 1 / (1 + z / 2)`` and ``P`` a
degree-24 Chebyshev series. We fitted ``P`` by least squares at 200 Chebyshev nodes against
``mpmath.erfc`` at 40 digits; its relative error is below 1e-14 for ``z <= 6`` and below 2e-13
(the rounding of ``z**2`` itself) out to where ``erfc`` underflows. Near zero ``erf`` uses its
Taylor series, so that small arguments keep full relative accuracy.
"""

from __future__ import annotations

import math

import numpy as np

import ftrans.numpy as fnp
from ftrans.typing import Array, ArrayLike

_ERFC_CHEBYSHEV = (
    -0.6513268598908547, 0.6419697923564903, 0.01947647320418596,
    -0.009561514786808587, -0.0009465953444819685, 0.00036683949785290955,
    4.252332480700225e-05, -2.0278578112336453e-05, -1.6242900045665816e-06,
    1.3036558355890438e-06, 1.562644172880098e-08, -8.523809603925445e-08,
    6.5290543565562386e-09, 5.0593434157560365e-09, -9.913641333965252e-10,
    -2.2736505763260943e-10, 9.646813781994597e-11, 2.3939850102294723e-12,
    -6.886136105777044e-12, 8.943928930804652e-13, 3.132383241677419e-13,
    -1.126196358391952e-13, 4.440892098500631e-16, 7.027711745877246e-15,
    -1.5543122344752203e-15,
)  # fmt: skip

# erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)); 14 terms reach 1e-17 for |x| < 1/2
_ERF_TAYLOR = tuple(
    2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(14)
)
_SERIES_LIMIT = 0.5

# Abramowitz & Stegun 26.2.23: a starting point (|error| < 4.5e-4) for the normal quantile
_QUANTILE_NUMERATOR = (2.515517, 0.802853, 0.010328)
_QUANTILE_DENOMINATOR = (1.0, 1.432788, 0.189269, 0.001308)
_HALLEY_STEPS = 3  # cubic convergence: 4.5e-4 -> ~1e-10 -> machine precision


def _polynomial(coefficients, x):
    """``sum_i coefficients[i] * x**i`` by Horner's rule."""
    out = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        out = out * x + c
    return out


def _chebyshev(coefficients, s):
    """``sum_i coefficients[i] * T_i(s)`` by Clenshaw's recurrence."""
    two_s = 2 * s
    b1 = b2 = 0.0
    for c in reversed(coefficients[1:]):
        b1, b2 = two_s * b1 - b2 + c, b1
    return s * b1 - b2 + coefficients[0]


def _erfc_nonnegative(z):
    z = fnp.minimum(z, 40.0)  # erfc(27) already underflows; this keeps z * z from overflowing
    t = 1 / (1 + 0.5 * z)
    return t * fnp.exp(_chebyshev(_ERFC_CHEBYSHEV, 2 * t - 1) - z * z)


def _float(x):
    x = fnp.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else fnp.astype(x, np.float64)


def erfc(x: ArrayLike) -> Array:
    """The complementary error function ``1 - erf(x)``, accurate in relative terms for large x."""
    x = _float(x)
    tail = _erfc_nonnegative(fnp.abs(x))
    return fnp.where(x >= 0, tail, 2 - tail)


def erf(x: ArrayLike) -> Array:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t**2) dt``."""
    x = _float(x)
    magnitude = fnp.abs(x)
    near_zero = magnitude < _SERIES_LIMIT
    # The Taylor branch sees only small arguments, so its unused values (and their derivatives,
    # which reverse mode multiplies by zero) stay finite.
    x_small = fnp.where(near_zero, x, 0.0)
    small = x_small * _polynomial(_ERF_TAYLOR, x_small * x_small)
    large = fnp.sign(x) * (1 - _erfc_nonnegative(magnitude))
    return fnp.where(near_zero, small, large)


def ndtr(x: ArrayLike) -> Array:
    """The standard normal CDF ``Phi(x)``, accurate in relative terms in the lower tail."""
    return 0.5 * erfc(-_float(x) / math.sqrt(2.0))


def _normal_pdf(x):
    return fnp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def ndtri(p: ArrayLike) -> Array:
    """The standard normal quantile ``Phi^-1(p)`` (``-inf`` at 0, ``inf`` at 1, NaN outside).

    Starts from Abramowitz & Stegun 26.2.23 and polishes with Halley steps on ``Phi(x) = q``
    where ``q = min(p, 1 - p)``, so tiny lower-tail probabilities keep full relative accuracy.
    """
    p = _float(p)
    upper = p > 0.5
    q = fnp.where(upper, 1 - p, p)
    inside = q > 0
    q_safe = fnp.where(inside, q, 0.5)
    t = fnp.sqrt(-2 * fnp.log(q_safe))
    x = _polynomial(_QUANTILE_NUMERATOR, t) / _polynomial(_QUANTILE_DENOMINATOR, t) - t
    for _ in range(_HALLEY_STEPS):
        step = (ndtr(x) - q_safe) / _normal_pdf(x)
        step = fnp.where(fnp.isfinite(step), step, 0.0)  # the pdf underflows below x ~ -38
        x = x - step / (1 + 0.5 * x * step)
    x = fnp.where(inside, x, -np.inf)
    x = fnp.where(upper, -x, x)
    return fnp.where((p >= 0) & (p <= 1), x, np.nan)


# ----------------------------------------------------------------------------- XLA's erf_inv
#
# jax.random.normal is sqrt(2) * erf_inv(u), and XLA computes erf_inv with M. Giles'
# approximation ("Approximating the erfinv function", GPU Computing Gems, 2011) in the variable
# w = -log1p(-x*x), where XLA's CPU log1p is a rational function of Cephes' for |y| < sqrt(2)-1
# and log(1 + y) beyond. Reproducing those steps (rather than computing erfinv more accurately)
# is what keeps ftrans's normals within a few ulp of JAX's: XLA's log1p is up to ~100 ulp off
# near y = -0.4, which moves JAX's normals by up to ~30 ulp there.

LOG1P_SMALL = 0.41421356237309504880  # sqrt(2) - 1
LOG1P_NUMERATOR = (
    4.5270000862445199635215e-5, 4.9854102823193375972212e-1, 6.5787325942061044846969e0,
    2.9911919328553073277375e1, 6.0949667980987787057556e1, 5.7112963590585538103336e1,
    2.0039553499201281259648e1,
)  # fmt: skip
LOG1P_DENOMINATOR = (
    1.0, 1.5062909083469192043167e1, 8.3047565967967209469434e1, 2.2176239823732856465394e2,
    3.0909872225312059774938e2, 2.1642788614495947685003e2, 6.0118660497603843919306e1,
)  # fmt: skip

# Giles' double-precision coefficients, highest degree first, for w < 6.25 (in w - 3.125),
# w < 16 (in sqrt(w) - 3.25) and beyond (in sqrt(w) - 5).
ERFINV64_CENTRAL = (
    -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
    1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
    6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
    2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
    1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
    4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
    0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
    0.24015818242558961693, 1.6536545626831027356,
)  # fmt: skip
ERFINV64_MIDDLE = (
    2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
    1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
    2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
    6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
    0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
    -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
    3.0838856104922207635,
)  # fmt: skip
ERFINV64_TAIL = (
    -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
    -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
    2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
    -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
    7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
    1.0103004648645343977, 4.8499064014085844221,
)  # fmt: skip
# single precision: w < 5 (in w - 2.5) and beyond (in sqrt(w) - 3)
ERFINV32_CENTRAL = (
    2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
)  # fmt: skip
ERFINV32_TAIL = (
    -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
    -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
)  # fmt: skip


def horner_high_first(coefficients, x):
    """``sum c_i x**(n-i)`` by Horner's rule, highest degree first, as XLA evaluates it."""
    out = fnp.full_like(x, coefficients[0]) if len(coefficients) > 1 else coefficients[0]
    for c in coefficients[1:]:
        out = out * x + c
    return out


def log1p_xla(y: ArrayLike) -> Array:
    """``log1p(y)`` computed as XLA's CPU backend does (see above), for ``y > -1``."""
    y = _float(y)
    y2 = y * y
    ratio = horner_high_first(LOG1P_NUMERATOR, y) / horner_high_first(LOG1P_DENOMINATOR, y)
    small = y + (-0.5 * y2 + (y * y2) * ratio)
    return fnp.where(fnp.abs(y) < LOG1P_SMALL, small, fnp.log(1 + y))


def erfinv(x: ArrayLike) -> Array:
    """The inverse error function as ``lax.erf_inv`` computes it on CPU (Giles' approximation).

    float64 and float32 follow XLA's two variants; other float dtypes compute in float32.
    ``erfinv(+-1) = +-inf``; outside [-1, 1] the result is NaN.
    """
    x = _float(x)
    if x.dtype != np.float64:
        return fnp.astype(_erfinv32(fnp.astype(x, np.float32)), x.dtype)
    w = -log1p_xla(-(x * x))
    central, middle = w < 6.25, w < 16.0
    root = fnp.sqrt(fnp.where(central, 1.0, w))
    t = fnp.where(central, w - 3.125, root - fnp.where(middle, 3.25, 5.0))

    def coefficient(i):
        c = ERFINV64_CENTRAL[i]
        if i < 19:
            c = fnp.where(central, c, ERFINV64_MIDDLE[i])
        if i < 17:
            c = fnp.where(middle, c, ERFINV64_TAIL[i])
        return c

    p = coefficient(0)
    for i in range(1, 23):
        step = coefficient(i) + p * t
        p = step if i < 17 else fnp.where(middle if i < 19 else central, step, p)
    return fnp.where(fnp.abs(x) == 1, x * np.inf, p * x)


def _erfinv32(x):
    w = -log1p_xla(-(x * x))
    central = w < np.float32(5.0)
    t = fnp.where(central, w - np.float32(2.5), fnp.sqrt(w) - np.float32(3.0))
    p = fnp.where(central, np.float32(ERFINV32_CENTRAL[0]), np.float32(ERFINV32_TAIL[0]))
    for a, b in zip(ERFINV32_CENTRAL[1:], ERFINV32_TAIL[1:], strict=True):
        p = fnp.where(central, np.float32(a), np.float32(b)) + p * t
    return fnp.where(fnp.abs(x) == 1, x * np.float32(np.inf), p * x)


# Lanczos (g = 7, 9 terms), as XLA's lgamma decomposition computes it (used by poisson's
# rejection test, in float32 like JAX's)
LANCZOS_G = 7.0
LANCZOS_BASE = 0.99999999999980993227684700473478
LANCZOS_COEFFICIENTS = (
    676.520368121885098567009190444019, -1259.13921672240287047156078755283,
    771.3234287776530788486528258894, -176.61502916214059906584551354,
    12.507343278686904814458936853, -0.13857109526572011689554707,
    9.984369578019570859563e-6, 1.50563273514931155834e-7,
)  # fmt: skip


def lgamma_xla(x: ArrayLike) -> Array:
    """``log|Gamma(x)|`` for ``x >= 0.5`` by XLA's Lanczos steps (no reflection branch)."""
    x = _float(x)
    z = x - 1
    a = fnp.full_like(z, LANCZOS_BASE)
    for i, c in enumerate(LANCZOS_COEFFICIENTS):
        a = a + c / (z + (i + 1))
    t = (LANCZOS_G + 0.5) + z
    log_t = math.log(LANCZOS_G + 0.5) + log1p_xla(z / (LANCZOS_G + 0.5))
    r = (z + 0.5 - t / log_t) * log_t
    return ((math.log(2) + math.log(math.pi)) / 2 + r) + fnp.log(a)
