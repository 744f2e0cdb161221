"""The Laplace distribution, as ``jax.scipy.stats.laplace``.

Examples:
    >>> from ftrans.scipy.stats import laplace
    >>> float(laplace.cdf(0.0))
    0.5
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.scipy.stats._base import promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density ``-|x - loc|/scale - log(2 scale)``."""
    x, loc, scale = promote("laplace.logpdf", x, loc, scale)
    return -fnp.abs(standardize(x, loc, scale)) - fnp.log(2.0 * scale)


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the Laplace distribution."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The Laplace CDF."""
    x, loc, scale = promote("laplace.cdf", x, loc, scale)
    z = standardize(x, loc, scale)
    half_tail = 0.5 * fnp.exp(-fnp.abs(z))
    return fnp.where(z < 0, half_tail, 1.0 - half_tail)
