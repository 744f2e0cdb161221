"""The normal distribution, as ``jax.scipy.stats.norm``.

Examples:
    >>> import ftrans as ft
    >>> from ftrans.scipy.stats import norm
    >>> round(float(norm.cdf(1.96)), 6)
    0.975002
    >>> float(ft.grad(norm.logpdf)(1.5))  # d/dx of -x^2/2
    -1.5
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import LOG_2PI, promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the normal density with mean ``loc`` and standard deviation ``scale``.

    Examples:
        >>> from ftrans.scipy.stats import norm
        >>> round(float(norm.logpdf(1.0, loc=1.0, scale=2.0)), 12)
        -1.612085713765
    """
    x, loc, scale = promote("norm.logpdf", x, loc, scale)
    z = standardize(x, loc, scale)
    return -0.5 * (z * z) - fnp.log(scale) - 0.5 * LOG_2PI


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The normal density."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The normal CDF."""
    x, loc, scale = promote("norm.cdf", x, loc, scale)
    return sp.ndtr(standardize(x, loc, scale))


def logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the normal CDF, accurate far into the lower tail."""
    x, loc, scale = promote("norm.logcdf", x, loc, scale)
    return sp.log_ndtr(standardize(x, loc, scale))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The survival function ``1 - cdf``, accurate in the upper tail."""
    x, loc, scale = promote("norm.sf", x, loc, scale)
    return sp.ndtr(-standardize(x, loc, scale))


def logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the survival function."""
    x, loc, scale = promote("norm.logsf", x, loc, scale)
    return sp.log_ndtr(-standardize(x, loc, scale))


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The quantile function (inverse CDF)."""
    q, loc, scale = promote("norm.ppf", q, loc, scale)
    return loc + scale * sp.ndtri(q)


def isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The inverse survival function."""
    q, loc, scale = promote("norm.isf", q, loc, scale)
    return loc - scale * sp.ndtri(q)
