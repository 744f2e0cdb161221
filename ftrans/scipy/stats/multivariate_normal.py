"""The multivariate normal distribution, as ``jax.scipy.stats.multivariate_normal``.

Examples:
    >>> import numpy as np
    >>> from ftrans.scipy.stats import multivariate_normal
    >>> round(float(multivariate_normal.logpdf(np.zeros(2), np.zeros(2), np.eye(2))), 12)
    -1.837877066409
"""

from __future__ import annotations

import ftrans.numpy as fnp
from ftrans import lax
from ftrans.scipy.stats._base import LOG_2PI, promote
from ftrans.typing import Array, ArrayLike


def logpdf(x: ArrayLike, mean: ArrayLike, cov: ArrayLike, allow_singular: None = None) -> Array:
    """Log density of N(mean, cov) at ``x`` (last axis the event), by a Cholesky factor.

    ``cov`` is a scalar (isotropic) or an ``(n, n)`` matrix; ``allow_singular`` is accepted
    for SciPy's signature and must be None or False (as in JAX).
    """
    if allow_singular:
        raise NotImplementedError(
            "multivariate_normal.logpdf: allow_singular=True is not supported (nor in JAX)"
        )
    x, mean, cov = promote("multivariate_normal.logpdf", x, mean, cov)
    if fnp.ndim(mean) == 0:
        d = x - mean
        return -0.5 * d * d / cov - 0.5 * (LOG_2PI + fnp.log(cov))
    n = fnp.shape(mean)[-1]
    d = x - mean
    if fnp.ndim(cov) == 0:
        return -0.5 * fnp.sum(d * d, axis=-1) / cov - 0.5 * n * (LOG_2PI + fnp.log(cov))
    if fnp.shape(cov) != (n, n) or fnp.shape(d)[-1:] != (n,):
        raise ValueError(
            f"multivariate_normal.logpdf: incompatible shapes x {fnp.shape(x)}, mean "
            f"{fnp.shape(mean)}, cov {fnp.shape(cov)}; cov must be ({n}, {n}) and x end in {n}"
        )
    chol = fnp.linalg.cholesky(cov)
    flat = fnp.reshape(d, (-1, n))
    y = lax.linalg.triangular_solve(chol, fnp.transpose(flat), lower=True)
    quad = fnp.reshape(fnp.sum(y * y, axis=0), fnp.shape(d)[:-1])
    log_det = fnp.sum(fnp.log(fnp.diagonal(chol)))
    return -0.5 * quad - 0.5 * n * LOG_2PI - log_det


def pdf(x: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> Array:
    """Density of the multivariate normal distribution."""
    return fnp.exp(logpdf(x, mean, cov))
