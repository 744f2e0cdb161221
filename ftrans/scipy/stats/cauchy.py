"""The Cauchy distribution, as ``jax.scipy.stats.cauchy``.

Examples:
    >>> from ftrans.scipy.stats import cauchy
    >>> float(cauchy.cdf(1.0))
    0.75
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.scipy.stats._base import promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density ``-log(pi scale (1 + z^2))``."""
    x, loc, scale = promote("cauchy.logpdf", x, loc, scale)
    z = standardize(x, loc, scale)
    return -np.log(np.pi) - fnp.log(scale) - fnp.log1p(z * z)


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the Cauchy distribution."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Cauchy CDF, as ``atan2(1, -z) / pi`` (accurate in the lower tail)."""
    x, loc, scale = promote("cauchy.cdf", x, loc, scale)
    return fnp.arctan2(1.0, -standardize(x, loc, scale)) / np.pi


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the Cauchy CDF."""
    return fnp.log(cdf(x, loc, scale))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Cauchy survival function, ``atan2(1, z) / pi``."""
    x, loc, scale = promote("cauchy.sf", x, loc, scale)
    return fnp.arctan2(1.0, standardize(x, loc, scale)) / np.pi


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the Cauchy survival function."""
    return fnp.log(sf(x, loc, scale))


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The quantile function ``loc + scale tan(pi (q - 1/2))``."""
    q, loc, scale = promote("cauchy.ppf", q, loc, scale)
    return loc + scale * fnp.tan(np.pi * (q - 0.5))


def isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The inverse survival function ``loc + scale tan(pi (1/2 - q))``."""
    q, loc, scale = promote("cauchy.isf", q, loc, scale)
    return loc + scale * fnp.tan(np.pi * (0.5 - q))
