"""``ftrans.random``: ``jax.random``'s functional PRNG, with the same numbers as JAX.

There is no hidden global state. A **key** is a ``uint32`` array of shape ``(2,)``, made once
from a seed with [`PRNGKey`][ftrans.random.PRNGKey] (or [`key`][ftrans.random.key]); every sampler
is a pure function of a key (and a shape and parameters), so the same key always gives the same
numbers: eagerly, under ``jit`` and per element of ``vmap``. The numbers are JAX's: keys,
[`split`][ftrans.random.split], [`fold_in`][ftrans.random.fold_in], [`bits`][ftrans.random.bits],
[`uniform`][ftrans.random.uniform], [`randint`][ftrans.random.randint],
[`bernoulli`][ftrans.random.bernoulli], [`permutation`][ftrans.random.permutation] and
[`choice`][ftrans.random.choice] match ``jax.random`` (default ``threefry2x32``, ``jax_enable_x64``)
bit for bit, and [`normal`][ftrans.random.normal] and the other float samplers to within a few ulp
(XLA fuses multiply-adds and has its own ``log1p``/``erf_inv``, which ftrans reproduces step by
step). To get fresh randomness, derive new keys with [`split`][ftrans.random.split] or
[`fold_in`][ftrans.random.fold_in] instead of reusing one.

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

from ftrans.random._binomial import binomial, multinomial
from ftrans.random._discrete import (
    bernoulli,
    categorical,
    choice,
    geometric,
    multivariate_normal,
    orthogonal,
    permutation,
    rademacher,
    randint,
)
from ftrans.random._distributions import (
    cauchy,
    exponential,
    gumbel,
    laplace,
    logistic,
    lognormal,
    maxwell,
    normal,
    pareto,
    rayleigh,
    triangular,
    truncated_normal,
    uniform,
    wald,
    weibull_min,
)
from ftrans.random._gamma import (
    ball,
    beta,
    chisquare,
    dirichlet,
    double_sided_maxwell,
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
    key_dtype,
    key_impl,
    split,
    threefry2x32,
    wrap_key_data,
)

__all__ = [
    "KEY_DTYPE",
    "KEY_SHAPE",
    "KeyArray",
    "PRNGKey",
    "PRNGKeyError",
    "ball",
    "bernoulli",
    "binomial",
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
    "key_dtype",
    "key_impl",
    "laplace",
    "loggamma",
    "logistic",
    "lognormal",
    "maxwell",
    "multinomial",
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
