"""The exponential distribution, as ``jax.scipy.stats.expon``.

Examples:
    >>> from ftrans.scipy.stats import expon
    >>> float(expon.logpdf(2.0))
    -2.0
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.scipy.stats._base import NEG_INF, promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density ``-(x - loc)/scale - log(scale)``; ``-inf`` below ``loc``."""
    x, loc, scale = promote("expon.logpdf", x, loc, scale)
    y = standardize(x, loc, scale)
    return fnp.where(y < 0, NEG_INF, -y - fnp.log(scale))


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the exponential distribution."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The exponential CDF ``1 - exp(-y)`` (0 below ``loc``)."""
    x, loc, scale = promote("expon.cdf", x, loc, scale)
    y = fnp.maximum(standardize(x, loc, scale), 0.0)
    return -fnp.expm1(-y)


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the exponential CDF."""
    return fnp.log(cdf(x, loc, scale))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The exponential survival function ``exp(-y)`` (1 below ``loc``)."""
    return fnp.exp(logsf(x, loc, scale))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the survival function, ``-y`` (0 below ``loc``)."""
    x, loc, scale = promote("expon.logsf", x, loc, scale)
    return -fnp.maximum(standardize(x, loc, scale), 0.0)


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The quantile function ``loc - scale log(1 - q)`` (NaN outside [0, 1])."""
    q, loc, scale = promote("expon.ppf", q, loc, scale)
    inside = (q >= 0) & (q <= 1)
    return fnp.where(inside, loc - scale * fnp.log1p(-fnp.where(inside, q, 0.0)), np.nan)
