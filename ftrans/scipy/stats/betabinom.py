"""The beta-binomial distribution, as ``jax.scipy.stats.betabinom``.

Examples:
    >>> from ftrans.scipy.stats import betabinom
    >>> round(float(betabinom.pmf(1, 2, 1.0, 1.0)), 12)  # uniform on 0..2
    0.333333333333
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import NEG_INF, is_integer, promote
from ftrans.typing import Array, ArrayLike


def _betaln(a, b):
    return sp.lgamma(a) + sp.lgamma(b) - sp.lgamma(a + b)


def logpmf(k: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0) -> Array:
    """Log probability of ``k`` successes in ``n`` trials with a Beta(a, b) success rate."""
    k, n, a, b, loc = promote("betabinom.logpmf", k, n, a, b, loc)
    x = k - loc
    outside = (x < 0) | (x > n) | ~is_integer(x)
    x = fnp.where(outside, 0.0, x)
    log_choose = sp.lgamma(n + 1.0) - sp.lgamma(x + 1.0) - sp.lgamma(n - x + 1.0)
    value = log_choose + _betaln(x + a, n - x + b) - _betaln(a, b)
    return fnp.where(outside, NEG_INF, value)


def pmf(k: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The beta-binomial probability mass."""
    return fnp.exp(logpmf(k, n, a, b, loc))
