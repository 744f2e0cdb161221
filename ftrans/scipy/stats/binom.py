"""The binomial distribution, as ``jax.scipy.stats.binom``.

Examples:
    >>> from ftrans.scipy.stats import binom
    >>> round(float(binom.pmf(2, 4, 0.5)), 12)
    0.375
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import NEG_INF, is_integer, promote
from ftrans.typing import Array, ArrayLike


def logpmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """Log probability of ``k`` successes in ``n`` trials (``-inf`` off ``0..n``)."""
    k, n, p, loc = promote("binom.logpmf", k, n, p, loc)
    x = k - loc
    outside = (x < 0) | (x > n) | ~is_integer(x)
    x = fnp.where(outside, 0.0, x)
    log_choose = sp.lgamma(n + 1.0) - sp.lgamma(x + 1.0) - sp.lgamma(n - x + 1.0)
    value = log_choose + sp.xlogy(x, p) + sp.xlog1py(n - x, -p)
    return fnp.where(outside, NEG_INF, value)


def pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The binomial probability mass."""
    return fnp.exp(logpmf(k, n, p, loc))
