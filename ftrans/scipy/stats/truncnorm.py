"""The normal distribution truncated to [a, b] in standard units (``jax.scipy.stats.truncnorm``).

Examples:
    >>> from ftrans.scipy.stats import truncnorm
    >>> float(truncnorm.cdf(0.0, -1.0, 1.0))
    0.5
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import LOG_2PI, NEG_INF, promote, standardize
from ftrans.typing import Array, ArrayLike


def _log_diff_ndtr(lo, hi):
    """``log(ndtr(hi) - ndtr(lo))`` for ``lo <= hi <= 0``, without cancellation."""
    log_hi = sp.log_ndtr(hi)
    d = sp.log_ndtr(lo) - log_hi  # <= 0
    near = d > -0.6931471805599453
    log1mexp = fnp.where(
        near,
        fnp.log(-fnp.expm1(fnp.where(near, d, -1.0))),
        fnp.log1p(-fnp.exp(fnp.where(near, -1.0, d))),
    )
    return log_hi + log1mexp


def _log_mass(lo, hi):
    """``log(ndtr(hi) - ndtr(lo))`` for any ``lo <= hi``."""
    left = hi <= 0
    right = lo >= 0
    middle = ~(left | right)
    lo_l, hi_l = fnp.where(left, lo, -2.0), fnp.where(left, hi, -1.0)
    lo_r, hi_r = fnp.where(right, lo, 1.0), fnp.where(right, hi, 2.0)
    lo_m, hi_m = fnp.where(middle, lo, -1.0), fnp.where(middle, hi, 1.0)
    in_middle = fnp.log1p(-sp.ndtr(lo_m) - sp.ndtr(-hi_m))
    value = fnp.where(left, _log_diff_ndtr(lo_l, hi_l), _log_diff_ndtr(-hi_r, -lo_r))
    return fnp.where(middle, in_middle, value)


def logpdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """Log density of the truncated normal; ``-inf`` outside ``[a, b]``."""
    x, a, b, loc, scale = promote("truncnorm.logpdf", x, a, b, loc, scale)
    z = standardize(x, loc, scale)
    outside = (z < a) | (z > b)
    value = -0.5 * z * z - 0.5 * LOG_2PI - fnp.log(scale) - _log_mass(a, b)
    return fnp.where(outside, NEG_INF, value)


def pdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """Density of the truncated normal."""
    return fnp.exp(logpdf(x, a, b, loc, scale))


def logcdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """Log of the CDF (``-inf`` below ``a``, 0 above ``b``)."""
    x, a, b, loc, scale = promote("truncnorm.logcdf", x, a, b, loc, scale)
    z = fnp.clip(standardize(x, loc, scale), a, b)
    value = _log_mass(a, z) - _log_mass(a, b)
    return fnp.where(z <= a, NEG_INF, fnp.where(z >= b, 0.0, value))


def cdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """The CDF of the truncated normal."""
    return fnp.exp(logcdf(x, a, b, loc, scale))


def logsf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """Log of the survival function (0 below ``a``, ``-inf`` above ``b``)."""
    x, a, b, loc, scale = promote("truncnorm.logsf", x, a, b, loc, scale)
    z = fnp.clip(standardize(x, loc, scale), a, b)
    value = _log_mass(z, b) - _log_mass(a, b)
    return fnp.where(z >= b, NEG_INF, fnp.where(z <= a, 0.0, value))


def sf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The survival function of the truncated normal."""
    return fnp.exp(logsf(x, a, b, loc, scale))
