"""The negative binomial distribution (failures before n successes), as ``jax.scipy.stats.nbinom``.

Examples:
    >>> from ftrans.scipy.stats import nbinom
    >>> round(float(nbinom.pmf(1, 2, 0.5)), 12)
    0.25
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import NEG_INF, is_integer, promote
from ftrans.typing import Array, ArrayLike


def logpmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """Log probability of ``k`` failures before the ``n``-th success (``-inf`` below 0)."""
    k, n, p, loc = promote("nbinom.logpmf", k, n, p, loc)
    x = k - loc
    outside = (x < 0) | ~is_integer(x)
    x = fnp.where(outside, 0.0, x)
    log_choose = sp.lgamma(x + n) - sp.lgamma(n) - sp.lgamma(x + 1.0)
    value = log_choose + sp.xlogy(n, p) + sp.xlog1py(x, -p)
    return fnp.where(outside, NEG_INF, value)


def pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The negative binomial probability mass."""
    return fnp.exp(logpmf(k, n, p, loc))
