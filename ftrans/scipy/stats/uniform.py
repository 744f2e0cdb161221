"""The uniform distribution on [loc, loc + scale], as ``jax.scipy.stats.uniform``.

Examples:
    >>> from ftrans.scipy.stats import uniform
    >>> float(uniform.logpdf(2.0))
    -inf
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.scipy.stats._base import NEG_INF, promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """``-log(scale)`` on ``[loc, loc + scale]``, ``-inf`` outside."""
    x, loc, scale = promote("uniform.logpdf", x, loc, scale)
    outside = (x < loc) | (x > loc + scale)
    return fnp.where(outside, NEG_INF, -fnp.log(scale) + 0.0 * x)


def pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of the uniform distribution."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The uniform CDF, ``clip((x - loc) / scale, 0, 1)``."""
    x, loc, scale = promote("uniform.cdf", x, loc, scale)
    return fnp.clip(standardize(x, loc, scale), 0.0, 1.0)


def ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """The quantile function ``loc + q scale`` (NaN outside [0, 1])."""
    q, loc, scale = promote("uniform.ppf", q, loc, scale)
    return fnp.where((q >= 0) & (q <= 1), loc + q * scale, np.nan)
