"""The Pareto distribution, as ``jax.scipy.stats.pareto``.

Examples:
    >>> from ftrans.scipy.stats import pareto
    >>> float(pareto.cdf(2.0, 1.0))
    0.5
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.scipy.stats._base import NEG_INF, promote, standardize
from ftrans.typing import Array, ArrayLike


def _log_y(x, loc, scale):
    y = standardize(x, loc, scale)
    outside = y < 1
    return outside, fnp.log(fnp.where(outside, 1.0, y))


def logpdf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``log(b / scale) - (b + 1) log(y)`` for ``y = (x - loc)/scale >= 1``, else ``-inf``."""
    x, b, loc, scale = promote("pareto.logpdf", x, b, loc, scale)
    outside, log_y = _log_y(x, loc, scale)
    return fnp.where(outside, NEG_INF, fnp.log(b) - fnp.log(scale) - (b + 1.0) * log_y)


def pdf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the Pareto distribution."""
    return fnp.exp(logpdf(x, b, loc, scale))


def cdf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``1 - y^-b`` (0 below ``y = 1``)."""
    x, b, loc, scale = promote("pareto.cdf", x, b, loc, scale)
    _, log_y = _log_y(x, loc, scale)
    return -fnp.expm1(-b * log_y)


def logcdf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the Pareto CDF."""
    return fnp.log(cdf(x, b, loc, scale))


def sf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``y^-b`` (1 below ``y = 1``)."""
    return fnp.exp(logsf(x, b, loc, scale))


def logsf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``-b log(y)`` (0 below ``y = 1``)."""
    x, b, loc, scale = promote("pareto.logsf", x, b, loc, scale)
    _, log_y = _log_y(x, loc, scale)
    return -b * log_y


def ppf(q: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``loc + scale (1 - q)^(-1/b)``."""
    q, b, loc, scale = promote("pareto.ppf", q, b, loc, scale)
    return loc + scale * fnp.exp(-fnp.log1p(-q) / b)
