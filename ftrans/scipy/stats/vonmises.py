"""The von Mises distribution, as ``jax.scipy.stats.vonmises``.

Examples:
    >>> from ftrans.scipy.stats import vonmises
    >>> round(float(vonmises.pdf(0.0, 1.0)), 12)
    0.341710488623
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import LOG_2PI, promote
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, kappa: ArrayLike) -> Array:
    """``kappa cos(x) - log(2 pi I0(kappa))``, computed with ``i0e`` (no overflow); NaN for
    ``kappa <= 0`` (SciPy's domain)."""
    x, kappa = promote("vonmises.logpdf", x, kappa)
    value = kappa * (fnp.cos(x) - 1.0) - LOG_2PI - fnp.log(sp.bessel_i0e(kappa))
    return fnp.where(kappa > 0, value, np.nan)


def pdf(x: ArrayLike, kappa: ArrayLike) -> Array:
    """Density of the von Mises distribution."""
    return fnp.exp(logpdf(x, kappa))
