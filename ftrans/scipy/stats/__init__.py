"""``ftrans.scipy.stats``: ``jax.scipy.stats``' distributions on ftrans primitives.

Each distribution is a submodule (``ftrans.scipy.stats.norm``, ...) with JAX's functions
(``logpdf``/``pdf``/``cdf``/``logcdf``/``sf``/``logsf``/``ppf``/``isf`` for continuous ones,
``logpmf``/``pmf``/``cdf`` for discrete ones) and its ``loc``/``scale`` keywords. Outside the
support ``logpdf`` is ``-inf`` (``pdf`` 0), as in JAX and SciPy. All functions are
differentiable in their continuous arguments, batch under ``vmap`` and compile under ``jit``.

Examples:
    >>> import ftrans.scipy.stats as stats
    >>> round(float(stats.norm.logpdf(0.0)), 12)
    -0.918938533205
    >>> float(stats.expon.logpdf(-1.0))
    -inf
"""

from __future__ import annotations

from ftrans.scipy.stats import (
    bernoulli,
    beta,
    betabinom,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    gennorm,
    geom,
    gumbel_l,
    gumbel_r,
    laplace,
    logistic,
    lognorm,
    multivariate_normal,
    nbinom,
    norm,
    pareto,
    poisson,
    t,
    truncnorm,
    uniform,
    vonmises,
)

__all__ = [
    "bernoulli",
    "beta",
    "betabinom",
    "binom",
    "cauchy",
    "chi2",
    "dirichlet",
    "expon",
    "gamma",
    "gennorm",
    "geom",
    "gumbel_l",
    "gumbel_r",
    "laplace",
    "logistic",
    "lognorm",
    "multivariate_normal",
    "nbinom",
    "norm",
    "pareto",
    "poisson",
    "t",
    "truncnorm",
    "uniform",
    "vonmises",
]
