"""The gamma distribution, as ``jax.scipy.stats.gamma``.

Examples:
    >>> from ftrans.scipy.stats import gamma
    >>> round(float(gamma.cdf(2.0, 1.0)), 12)  # 1 - exp(-2)
    0.864664716763
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import NEG_INF, promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density of the gamma distribution with shape ``a``; ``-inf`` below ``loc``."""
    x, a, loc, scale = promote("gamma.logpdf", x, a, loc, scale)
    y = standardize(x, loc, scale)
    outside = x < loc
    y = fnp.where(outside, 1.0, y)  # keeps NaN out of gradients outside the support
    value = sp.xlogy(a - 1.0, y) - y - sp.lgamma(a) - fnp.log(scale)
    return fnp.where(outside, NEG_INF, value)


def pdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the gamma distribution."""
    return fnp.exp(logpdf(x, a, loc, scale))


def cdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The gamma CDF, ``gammainc(a, (x - loc) / scale)``."""
    x, a, loc, scale = promote("gamma.cdf", x, a, loc, scale)
    return sp.igamma(a, fnp.maximum(standardize(x, loc, scale), 0.0))


def logcdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the gamma CDF."""
    return fnp.log(cdf(x, a, loc, scale))


def sf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The gamma survival function, ``gammaincc(a, (x - loc) / scale)``."""
    x, a, loc, scale = promote("gamma.sf", x, a, loc, scale)
    return sp.igammac(a, fnp.maximum(standardize(x, loc, scale), 0.0))


def logsf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log of the gamma survival function."""
    return fnp.log(sf(x, a, loc, scale))
