"""The Poisson distribution, as ``jax.scipy.stats.poisson``.

Examples:
    >>> from ftrans.scipy.stats import poisson
    >>> round(float(poisson.pmf(2, 3.0)), 12)
    0.224041807655
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import NEG_INF, is_integer, promote
from ftrans.typing import Array, ArrayLike


def logpmf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0) -> Array:
    """``k log(mu) - log(k!) - mu`` at integers ``k >= loc``, ``-inf`` elsewhere."""
    k, mu, loc = promote("poisson.logpmf", k, mu, loc)
    x = k - loc
    outside = (x < 0) | ~is_integer(x)
    x = fnp.where(outside, 0.0, x)
    return fnp.where(outside, NEG_INF, sp.xlogy(x, mu) - sp.lgamma(x + 1.0) - mu)


def pmf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The Poisson probability mass."""
    return fnp.exp(logpmf(k, mu, loc))


def cdf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0) -> Array:
    """``P(K <= k) = gammaincc(floor(k) + 1, mu)`` (0 below ``loc``)."""
    k, mu, loc = promote("poisson.cdf", k, mu, loc)
    x = k - loc
    below = x < 0
    return fnp.where(below, 0.0, sp.igammac(fnp.floor(fnp.where(below, 0.0, x)) + 1.0, mu))
