"""The log-normal distribution in SciPy's parametrisation (JAX has none).

Examples:
    >>> from ftrans.scipy.stats import lognorm
    >>> float(lognorm.cdf(1.0, 0.5))
    0.5
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import LOG_2PI, NEG_INF, promote, standardize
from ftrans.typing import Array, ArrayLike


def _log_y(x, loc, scale):
    y = standardize(x, loc, scale)
    outside = y <= 0
    return outside, fnp.log(fnp.where(outside, 1.0, y))


def logpdf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density of ``loc + scale * exp(s Z)``, ``Z`` standard normal (``-inf`` at y <= 0)."""
    x, s, loc, scale = promote("lognorm.logpdf", x, s, loc, scale)
    outside, log_y = _log_y(x, loc, scale)
    z = log_y / s
    value = -0.5 * z * z - log_y - fnp.log(s) - fnp.log(scale) - 0.5 * LOG_2PI
    return fnp.where(outside, NEG_INF, value)


def pdf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the log-normal distribution."""
    return fnp.exp(logpdf(x, s, loc, scale))


def cdf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``ndtr(log(y) / s)`` (0 at y <= 0)."""
    x, s, loc, scale = promote("lognorm.cdf", x, s, loc, scale)
    outside, log_y = _log_y(x, loc, scale)
    return fnp.where(outside, 0.0, sp.ndtr(log_y / s))


def logcdf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the log-normal CDF."""
    x, s, loc, scale = promote("lognorm.logcdf", x, s, loc, scale)
    outside, log_y = _log_y(x, loc, scale)
    return fnp.where(outside, NEG_INF, sp.log_ndtr(log_y / s))


def sf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``ndtr(-log(y) / s)`` (1 at y <= 0)."""
    x, s, loc, scale = promote("lognorm.sf", x, s, loc, scale)
    outside, log_y = _log_y(x, loc, scale)
    return fnp.where(outside, 1.0, sp.ndtr(-log_y / s))


def logsf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the log-normal survival function."""
    x, s, loc, scale = promote("lognorm.logsf", x, s, loc, scale)
    outside, log_y = _log_y(x, loc, scale)
    return fnp.where(outside, 0.0, sp.log_ndtr(-log_y / s))


def ppf(q: ArrayLike, s: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``loc + scale exp(s ndtri(q))``."""
    q, s, loc, scale = promote("lognorm.ppf", q, s, loc, scale)
    return loc + scale * fnp.exp(s * sp.ndtri(q))
