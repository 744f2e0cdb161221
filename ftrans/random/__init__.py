"""``ftrans.random``: ``jax.random``'s functional PRNG, with the same numbers as JAX.

There is no hidden global state. A **key** is a ``uint32`` array of shape ``(2,)``, made once
from a seed with :func:`PRNGKey` (or :func:`key`); every sampler is a pure function of a key (and
a shape and parameters), so the same key always gives the same numbers: eagerly, under ``jit``
and per element of ``vmap``. The numbers are JAX's: keys, :func:`split`, :func:`fold_in`,
:func:`bits`, :func:`uniform`, :func:`randint`, :func:`bernoulli`, :func:`permutation` and
:func:`choice` match ``jax.random`` (default ``threefry2x32``, ``jax_enable_x64``) bit for bit,
and :func:`normal` and the other float samplers to within a few ulp (XLA fuses multiply-adds
and has its own ``log1p``/``erf_inv``, which ftrans reproduces step by step). To get fresh
randomness, derive new keys with :func:`split` or :func:`fold_in` instead of reusing one.

The bits come from the counter-based Threefry-2x32 hash (20 rounds) of the key and the
position of each number: the primitive ``threefry2x32``, which traces under ``jit``/``vmap``
like any other and runs as one in-place NumPy kernel.

Examples:
    >>> import ftrans as ft, ftrans.random as fr
    >>> key = fr.PRNGKey(0)
    >>> init_key, noise_key = fr.split(key)
    >>> x = fr.normal(noise_key, (3,))
    >>> bool((x == fr.normal(noise_key, (3,))).all())
    True
    >>> ft.vmap(lambda k: fr.uniform(k, (4,)))(fr.split(key, 8)).shape
    (8, 4)
"""

from __future__ import annotations

from ftrans.random._distributions import (
    bernoulli,
    categorical,
    cauchy,
    choice,
    double_sided_maxwell,
    exponential,
    geometric,
    gumbel,
    laplace,
    logistic,
    lognormal,
    maxwell,
    multivariate_normal,
    normal,
    orthogonal,
    pareto,
    permutation,
    rademacher,
    randint,
    rayleigh,
    triangular,
    truncated_normal,
    uniform,
    wald,
    weibull_min,
)
from ftrans.random._gamma import (
    GammaGradientError,
    ball,
    beta,
    chisquare,
    dirichlet,
    f,
    gamma,
    generalized_normal,
    loggamma,
    poisson,
    t,
)
from ftrans.random._prng import (
    KEY_DTYPE,
    KEY_SHAPE,
    KeyArray,
    PRNGKey,
    PRNGKeyError,
    bits,
    clone,
    fold_in,
    key,
    key_data,
    key_impl,
    split,
    threefry2x32,
    wrap_key_data,
)

__all__ = [
    "GammaGradientError",
    "KEY_DTYPE",
    "KEY_SHAPE",
    "KeyArray",
    "PRNGKey",
    "PRNGKeyError",
    "ball",
    "bernoulli",
    "beta",
    "bits",
    "categorical",
    "cauchy",
    "chisquare",
    "choice",
    "clone",
    "dirichlet",
    "double_sided_maxwell",
    "exponential",
    "f",
    "fold_in",
    "gamma",
    "generalized_normal",
    "geometric",
    "gumbel",
    "key",
    "key_data",
    "key_impl",
    "laplace",
    "loggamma",
    "logistic",
    "lognormal",
    "maxwell",
    "multivariate_normal",
    "normal",
    "orthogonal",
    "pareto",
    "permutation",
    "poisson",
    "rademacher",
    "randint",
    "rayleigh",
    "split",
    "t",
    "threefry2x32",
    "triangular",
    "truncated_normal",
    "uniform",
    "wald",
    "weibull_min",
    "wrap_key_data",
]
