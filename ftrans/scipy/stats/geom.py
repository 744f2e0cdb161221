"""The geometric distribution (trials until the first success), as ``jax.scipy.stats.geom``.

Examples:
    >>> from ftrans.scipy.stats import geom
    >>> float(geom.pmf(2, 0.5))
    0.25
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import NEG_INF, is_integer, promote
from ftrans.typing import Array, ArrayLike


def logpmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """``(k - 1) log(1 - p) + log(p)`` at integers ``k >= 1 + loc``, ``-inf`` elsewhere."""
    k, p, loc = promote("geom.logpmf", k, p, loc)
    x = k - loc
    outside = (x < 1) | ~is_integer(x)
    x = fnp.where(outside, 1.0, x)
    return fnp.where(outside, NEG_INF, sp.xlog1py(x - 1.0, -p) + fnp.log(p))


def pmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0) -> Array:
    """The geometric probability mass."""
    return fnp.exp(logpmf(k, p, loc))
