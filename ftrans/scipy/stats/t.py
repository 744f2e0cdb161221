"""Student's t distribution, as ``jax.scipy.stats.t``.

Examples:
    >>> from ftrans.scipy.stats import t
    >>> round(float(t.logpdf(0.0, 3.0)), 12)
    -1.000888849624
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import promote, standardize
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Log density of Student's t with ``df`` degrees of freedom."""
    x, df, loc, scale = promote("t.logpdf", x, df, loc, scale)
    z = standardize(x, loc, scale)
    half = 0.5 * (df + 1.0)
    norm_const = sp.lgamma(half) - sp.lgamma(0.5 * df) - 0.5 * fnp.log(df * np.pi)
    return norm_const - fnp.log(scale) - half * fnp.log1p(z * z / df)


def pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1) -> Array:
    """Density of Student's t."""
    return fnp.exp(logpdf(x, df, loc, scale))
