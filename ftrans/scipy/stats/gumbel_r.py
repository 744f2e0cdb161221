"""The right-skewed Gumbel distribution (maxima), as ``jax.scipy.stats.gumbel_r``.

Examples:
    >>> from ftrans.scipy.stats import gumbel_r
    >>> round(float(gumbel_r.cdf(0.0)), 12)  # exp(-1)
    0.367879441171
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.scipy.stats._base import promote, standardize
from ftrans.typing import Array, ArrayLike


def _z(name, x, loc, scale):
    x, loc, scale = promote(name, x, loc, scale)
    return 1.0 * standardize(x, loc, scale), scale


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density -z - exp(-z) - log(scale)."""
    z, scale = _z("gumbel_r.logpdf", x, loc, scale)
    return -z - fnp.exp(-z) - fnp.log(scale)


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the Gumbel distribution."""
    return fnp.exp(logpdf(x, loc, scale))


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``-exp(-z)``."""
    z, _ = _z("gumbel_r.logcdf", x, loc, scale)
    return -fnp.exp(-z)


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``exp(-exp(-z))``."""
    return fnp.exp(logcdf(x, loc, scale))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``1 - exp(-exp(-z))``, without cancellation."""
    z, _ = _z("gumbel_r.sf", x, loc, scale)
    return -fnp.expm1(-fnp.exp(-z))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the survival function."""
    return fnp.log(sf(x, loc, scale))


def ppf(p: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``loc - scale log(-log(p))``."""
    p, loc, scale = promote("gumbel_r.ppf", p, loc, scale)
    return loc - scale * fnp.log(-fnp.log(p))
