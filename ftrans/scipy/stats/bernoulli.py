"""The Bernoulli distribution, as ``jax.scipy.stats.bernoulli``.

Examples:
    >>> from ftrans.scipy.stats import bernoulli
    >>> bernoulli.pmf([0, 1, 2], 0.25).tolist()
    [0.75, 0.25, 0.0]
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.scipy.stats._base import NEG_INF, promote
from ftrans.typing import Array, ArrayLike


def logpmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """``log(1 - p)`` at ``k = loc``, ``log(p)`` at ``k = loc + 1``, ``-inf`` elsewhere."""
    k, p, loc = promote("bernoulli.logpmf", k, p, loc)
    x = k - loc
    value = fnp.where(x == 1, fnp.log(p), fnp.log1p(-p))
    return fnp.where((x == 0) | (x == 1), value, NEG_INF)


def pmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The Bernoulli probability mass."""
    return fnp.exp(logpmf(k, p, loc))


def cdf(k: ArrayLike, p: ArrayLike) -> Array:
    """``P(K <= k)``: 0 below 0, ``1 - p`` on [0, 1), 1 from 1 on."""
    k, p = promote("bernoulli.cdf", k, p)
    return fnp.where(k < 0, 0.0, fnp.where(k < 1, 1.0 - p, 1.0 + 0.0 * p))


def ppf(q: ArrayLike, p: ArrayLike) -> Array:
    """The smallest ``k`` with ``cdf(k) >= q`` (SciPy's ``-1`` at ``q = 0``; NaN outside)."""
    q, p = promote("bernoulli.ppf", q, p)
    value = fnp.where(q <= 1.0 - p, 0.0, 1.0)
    value = fnp.where(q == 0, -1.0, value)
    bad = (q < 0) | (q > 1) | (p < 0) | (p > 1) | fnp.isnan(q) | fnp.isnan(p)
    return fnp.where(bad, np.nan, value)
