"""The Dirichlet distribution, as ``jax.scipy.stats.dirichlet``.

Examples:
    >>> import numpy as np
    >>> from ftrans.scipy.stats import dirichlet
    >>> round(float(dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), np.ones(3))), 12)  # log 2!
    0.69314718056
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans.primitives import special as sp
from ftrans.scipy.stats._base import NEG_INF, promote
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, alpha: ArrayLike) -> Array:
    """Log density at ``x`` (categories along axis 0, as SciPy; ``K - 1`` entries are completed
    to sum to one); ``-inf`` off the simplex."""
    x, alpha = promote("dirichlet.logpdf", x, alpha)
    if fnp.ndim(alpha) != 1:
        raise ValueError(
            f"dirichlet.logpdf: alpha must be one-dimensional (K,), got shape {fnp.shape(alpha)}"
        )
    k = fnp.shape(alpha)[0]
    if fnp.ndim(x) == 0 or fnp.shape(x)[0] not in (k, k - 1):
        raise ValueError(
            f"dirichlet.logpdf: x must have {k} or {k - 1} entries along axis 0 to match alpha "
            f"of shape {fnp.shape(alpha)}, got shape {fnp.shape(x)}"
        )
    if fnp.shape(x)[0] == k - 1:
        x = fnp.concatenate([x, 1.0 - fnp.sum(x, axis=0, keepdims=True)], axis=0)
    a = fnp.reshape(alpha, (k,) + (1,) * (fnp.ndim(x) - 1))
    on_simplex = fnp.all(x > 0, axis=0) & (fnp.abs(fnp.sum(x, axis=0) - 1.0) < 1e-6)
    safe_x = fnp.where(x > 0, x, 1.0)
    log_norm = fnp.sum(sp.lgamma(alpha)) - sp.lgamma(fnp.sum(alpha))
    value = fnp.sum(sp.xlogy(a - 1.0, safe_x), axis=0) - log_norm
    return fnp.where(on_simplex, value, NEG_INF)


def pdf(x: ArrayLike, alpha: ArrayLike) -> Array:
    """Density of the Dirichlet distribution."""
    return fnp.exp(logpdf(x, alpha))
