"""The generalized normal distribution, as ``jax.scipy.stats.gennorm``.

Examples:
    >>> from ftrans.scipy.stats import gennorm
    >>> float(gennorm.cdf(0.0, 1.5))
    0.5
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import promote
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, beta: ArrayLike) -> Array:
    """``log(beta / (2 Gamma(1/beta))) - |x|^beta``."""
    x, beta = promote("gennorm.logpdf", x, beta)
    return fnp.log(0.5 * beta) - sp.lgamma(1.0 / beta) - fnp.abs(x) ** beta


def pdf(x: ArrayLike, beta: ArrayLike) -> Array:
    """Density of the generalized normal distribution."""
    return fnp.exp(logpdf(x, beta))


def cdf(x: ArrayLike, beta: ArrayLike) -> Array:
    """``(1 + sign(x) gammainc(1/beta, |x|^beta)) / 2``."""
    x, beta = promote("gennorm.cdf", x, beta)
    return 0.5 * (1.0 + fnp.sign(x) * sp.igamma(1.0 / beta, fnp.abs(x) ** beta))
