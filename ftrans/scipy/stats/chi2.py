"""The chi-squared distribution, as ``jax.scipy.stats.chi2``.

Examples:
    >>> from ftrans.scipy.stats import chi2
    >>> round(float(chi2.cdf(3.841458820694124, 1.0)), 9)
    0.95
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.scipy.stats import gamma as _gamma
from ftrans.scipy.stats._base import promote
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density of chi-squared with ``df`` degrees of freedom (a gamma of shape df/2)."""
    x, df, loc, scale = promote("chi2.logpdf", x, df, loc, scale)
    return _gamma.logpdf(x, 0.5 * df, loc, 2.0 * scale)


def pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of chi-squared."""
    return fnp.exp(logpdf(x, df, loc, scale))


def cdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The chi-squared CDF."""
    x, df, loc, scale = promote("chi2.cdf", x, df, loc, scale)
    return _gamma.cdf(x, 0.5 * df, loc, 2.0 * scale)


def logcdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the chi-squared CDF."""
    return fnp.log(cdf(x, df, loc, scale))


def sf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The chi-squared survival function."""
    x, df, loc, scale = promote("chi2.sf", x, df, loc, scale)
    return _gamma.sf(x, 0.5 * df, loc, 2.0 * scale)


def logsf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the chi-squared survival function."""
    return fnp.log(sf(x, df, loc, scale))
