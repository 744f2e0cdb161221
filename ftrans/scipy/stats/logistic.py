"""The logistic distribution, as ``jax.scipy.stats.logistic``.

Examples:
    >>> from ftrans.scipy.stats import logistic
    >>> float(logistic.cdf(0.0))
    0.5
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import elementwise as ew
from ftrans.scipy.stats._base import promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density ``-|z| - 2 log(1 + exp(-|z|)) - log(scale)`` (no overflow)."""
    x, loc, scale = promote("logistic.logpdf", x, loc, scale)
    a = fnp.abs(standardize(x, loc, scale))
    return -a - 2.0 * fnp.log1p(fnp.exp(-a)) - fnp.log(scale)


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the logistic distribution."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The logistic CDF, ``expit(z)``."""
    x, loc, scale = promote("logistic.cdf", x, loc, scale)
    return ew.logistic(standardize(x, loc, scale))


def sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The logistic survival function, ``expit(-z)``."""
    x, loc, scale = promote("logistic.sf", x, loc, scale)
    return ew.logistic(-standardize(x, loc, scale))


def ppf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The quantile function ``loc + scale logit(q)``."""
    x, loc, scale = promote("logistic.ppf", x, loc, scale)
    return loc + scale * fnp.log(x / (1.0 - x))


def isf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The inverse survival function ``loc - scale logit(q)``."""
    x, loc, scale = promote("logistic.isf", x, loc, scale)
    return loc - scale * fnp.log(x / (1.0 - x))
