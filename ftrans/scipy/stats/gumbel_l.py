"""The left-skewed Gumbel distribution (minima), as ``jax.scipy.stats.gumbel_l``.

Examples:
    >>> from ftrans.scipy.stats import gumbel_l
    >>> round(float(gumbel_l.sf(0.0)), 12)  # exp(-1)
    0.367879441171
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.scipy.stats._base import promote, standardize
from ftrans.typing import Array, ArrayLike


def _z(name, x, loc, scale):
    x, loc, scale = promote(name, x, loc, scale)
    return -1.0 * standardize(x, loc, scale), scale


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density -z - exp(-z) - log(scale)."""
    z, scale = _z("gumbel_l.logpdf", x, loc, scale)
    return -z - fnp.exp(-z) - fnp.log(scale)


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the Gumbel distribution."""
    return fnp.exp(logpdf(x, loc, scale))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``-exp(z)`` with ``z = (x - loc)/scale``."""
    z, _ = _z("gumbel_l.logsf", x, loc, scale)
    return -fnp.exp(-z)


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``exp(-exp(z))``."""
    return fnp.exp(logsf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``1 - exp(-exp(z))``, without cancellation."""
    z, _ = _z("gumbel_l.cdf", x, loc, scale)
    return -fnp.expm1(-fnp.exp(-z))


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the CDF."""
    return fnp.log(cdf(x, loc, scale))


def ppf(p: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``loc + scale log(-log(1 - p))``."""
    p, loc, scale = promote("gumbel_l.ppf", p, loc, scale)
    return loc + scale * fnp.log(-fnp.log1p(-p))
