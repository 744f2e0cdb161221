"""The beta distribution, as ``jax.scipy.stats.beta``.

Examples:
    >>> from ftrans.scipy.stats import beta
    >>> round(float(beta.cdf(0.5, 2.0, 3.0)), 12)
    0.6875
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import NEG_INF, promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """Log density of the beta distribution on ``[loc, loc + scale]`` (``-inf`` outside)."""
    x, a, b, loc, scale = promote("beta.logpdf", x, a, b, loc, scale)
    y = standardize(x, loc, scale)
    outside = (x < loc) | (x > loc + scale)
    y = fnp.where(outside, 0.5, y)
    log_norm = sp.lgamma(a) + sp.lgamma(b) - sp.lgamma(a + b) + fnp.log(scale)
    value = sp.xlogy(a - 1.0, y) + sp.xlog1py(b - 1.0, -y) - log_norm
    return fnp.where(outside, NEG_INF, value)


def pdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """Density of the beta distribution."""
    return fnp.exp(logpdf(x, a, b, loc, scale))


def cdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """The beta CDF, ``betainc(a, b, y)``."""
    x, a, b, loc, scale = promote("beta.cdf", x, a, b, loc, scale)
    return sp.betainc(a, b, fnp.clip(standardize(x, loc, scale), 0.0, 1.0))


def logcdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """Log of the beta CDF."""
    return fnp.log(cdf(x, a, b, loc, scale))


def sf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The beta survival function, ``betainc(b, a, 1 - y)``."""
    x, a, b, loc, scale = promote("beta.sf", x, a, b, loc, scale)
    return sp.betainc(b, a, fnp.clip(1.0 - standardize(x, loc, scale), 0.0, 1.0))


def logsf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1
) -> Array:
    """Log of the beta survival function."""
    return fnp.log(sf(x, a, b, loc, scale))
