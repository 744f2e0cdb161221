"""The ``jax.random`` calls whose outputs ``random_jax_reference.npz`` records.

Each case is ``name -> (fn, tolerance)``: ``fn(r, key)`` calls module ``r`` (``jax.random`` or
``ftrans.random``) with a raw key from ``r.PRNGKey(seed)``; ``tolerance`` is ``"exact"``, a
number of ulp, or ``("atol", value)`` for samplers whose formula cancels (the difference is then
a few ulp of the inputs). ``make_random_reference.py`` runs every case under JAX (x64) for every
seed in ``SEEDS``; ``tests/test_random_jax.py`` runs them under ftrans and compares.
"""

from __future__ import annotations

import numpy as np

SEEDS = (0, 42, 2**40 + 3)
EXACT = "exact"
_P5 = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
_LOGITS = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
_COV = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 1.0]])

CASES = {
    "PRNGKey_negative": (lambda r, k: r.PRNGKey(-7), EXACT),
    "PRNGKey_64bit": (lambda r, k: r.PRNGKey(2**40 + 5), EXACT),
    "split": (lambda r, k: r.split(k), EXACT),
    "split_shape": (lambda r, k: r.split(k, (2, 3)), EXACT),
    "fold_in": (lambda r, k: r.fold_in(k, 123456), EXACT),
    "fold_in_big": (lambda r, k: r.fold_in(r.fold_in(k, 2**31 + 5), 0), EXACT),
    "bits_uint32": (lambda r, k: r.bits(k, (7,), np.uint32), EXACT),
    "bits_uint64": (lambda r, k: r.bits(k, (2, 3), np.uint64), EXACT),
    "bits_uint16": (lambda r, k: r.bits(k, (5,), np.uint16), EXACT),
    "bits_uint8": (lambda r, k: r.bits(k, (5,), np.uint8), EXACT),
    "bits_scalar": (lambda r, k: r.bits(k, (), np.uint32), EXACT),
    "uniform": (lambda r, k: r.uniform(k, (500,)), EXACT),
    "uniform_2d": (lambda r, k: r.uniform(k, (3, 4), np.float64), EXACT),
    "uniform_float32": (lambda r, k: r.uniform(k, (500,), np.float32), EXACT),
    "uniform_float16": (lambda r, k: r.uniform(k, (50,), np.float16), EXACT),
    "uniform_bounds": (lambda r, k: r.uniform(k, (2000,), np.float64, -3.0, 5.7), EXACT),
    "uniform_bounds_f32": (lambda r, k: r.uniform(k, (500,), np.float32, -3.0, 5.7), EXACT),
    "uniform_array_bounds": (
        lambda r, k: r.uniform(k, (4, 3), np.float64, np.array([0.0, 1.0, -2.0]), 3.0),
        EXACT,
    ),
    "randint": (lambda r, k: r.randint(k, (500,), -5, 17), EXACT),
    "randint_int32": (lambda r, k: r.randint(k, (500,), -5, 2**30, np.int32), EXACT),
    "randint_uint8_full": (lambda r, k: r.randint(k, (200,), 0, 256, np.uint8), EXACT),
    "randint_int16": (lambda r, k: r.randint(k, (200,), -100, 100, np.int16), EXACT),
    "randint_wide": (lambda r, k: r.randint(k, (200,), -(2**62), 2**62), EXACT),
    "randint_empty_range": (lambda r, k: r.randint(k, (5,), 4, 4), EXACT),
    "randint_array_bounds": (
        lambda r, k: r.randint(k, (50, 2), np.array([0, 100]), np.array([1, 103])),
        EXACT,
    ),
    "bernoulli": (lambda r, k: r.bernoulli(k, 0.3, (500,)), EXACT),
    "bernoulli_high": (lambda r, k: r.bernoulli(k, 0.3, (200,), mode="high"), EXACT),
    "bernoulli_array_p": (lambda r, k: r.bernoulli(k, np.array([0.1, 0.5, 0.9])), EXACT),
    "bernoulli_float32": (lambda r, k: r.bernoulli(k, np.float32(0.7), (100,)), EXACT),
    "permutation": (lambda r, k: r.permutation(k, 100), EXACT),
    "permutation_two_rounds": (lambda r, k: r.permutation(k, 3000), EXACT),
    "permutation_array": (
        lambda r, k: r.permutation(k, np.arange(12.0).reshape(3, 4), axis=1),
        EXACT,
    ),
    "permutation_independent": (
        lambda r, k: r.permutation(k, np.arange(12.0).reshape(3, 4), axis=1, independent=True),
        EXACT,
    ),
    "choice": (lambda r, k: r.choice(k, 10, (5,)), EXACT),
    "choice_no_replace": (lambda r, k: r.choice(k, 50, (7,), replace=False), EXACT),
    "choice_array": (lambda r, k: r.choice(k, np.arange(20.0).reshape(5, 4), (3,)), EXACT),
    "choice_p": (lambda r, k: r.choice(k, 5, (200,), p=_P5), EXACT),
    "choice_p_no_replace": (lambda r, k: r.choice(k, 5, (3,), replace=False, p=_P5), EXACT),
    "categorical": (lambda r, k: r.categorical(k, _LOGITS, shape=(4, 2)), EXACT),
    "categorical_axis0": (lambda r, k: r.categorical(k, _LOGITS, axis=0), EXACT),
    "categorical_no_replace": (
        lambda r, k: r.categorical(k, np.zeros((2, 5)), shape=(3, 2), replace=False),
        EXACT,
    ),
    "rademacher": (lambda r, k: r.rademacher(k, (100,)), EXACT),
    "geometric": (lambda r, k: r.geometric(k, 0.3, (500,)), EXACT),
    "normal": (lambda r, k: r.normal(k, (5000,)), 3),
    "normal_2d": (lambda r, k: r.normal(k, (7, 5)), 3),
    "normal_float32": (lambda r, k: r.normal(k, (2000,), np.float32), 4),
    # gumbel/logistic: -log(-log(u)) and log(u / (1 - u)) go through NumPy's SIMD log, whose
    # last bits depend on the CPU's vector unit (5 ulp from JAX seen on one AMD EPYC host)
    "gumbel": (lambda r, k: r.gumbel(k, (500,)), 6),
    "gumbel_high": (lambda r, k: r.gumbel(k, (500,), mode="high"), 3),
    "exponential": (lambda r, k: r.exponential(k, (500,)), 2),
    "laplace": (lambda r, k: r.laplace(k, (500,)), 2),
    "logistic": (lambda r, k: r.logistic(k, (500,)), 6),
    "cauchy": (lambda r, k: r.cauchy(k, (500,)), 2),
    "pareto": (lambda r, k: r.pareto(k, 2.5, (500,)), 3),
    "rayleigh": (lambda r, k: r.rayleigh(k, 2.0, (500,)), 2),
    "weibull_min": (lambda r, k: r.weibull_min(k, 2.0, 1.5, (500,)), 2),
    "triangular": (lambda r, k: r.triangular(k, 0.0, 0.3, 1.0, (500,)), 2),
    "lognormal": (lambda r, k: r.lognormal(k, 0.5, (500,)), 3),
    "maxwell": (lambda r, k: r.maxwell(k, (500,)), 3),
    "double_sided_maxwell": (
        lambda r, k: r.double_sided_maxwell(k, 1.0, 2.0, (100,)),
        ("atol", 1e-13),
    ),
    "orthogonal": (lambda r, k: r.orthogonal(k, 4), ("atol", 1e-14)),
    "wald": (lambda r, k: r.wald(k, 1.5, (500,)), ("atol", 1e-12)),
    "truncated_normal": (lambda r, k: r.truncated_normal(k, -1.0, 2.0, (500,)), ("atol", 1e-14)),
    "multivariate_normal": (
        lambda r, k: r.multivariate_normal(k, np.zeros(3), _COV, (100,)),
        ("atol", 1e-14),
    ),
    "gamma": (lambda r, k: r.gamma(k, 2.0, (300,)), ("atol", 1e-13)),
    "gamma_small_alpha": (lambda r, k: r.gamma(k, 0.3, (300,)), ("atol", 1e-13)),
    "gamma_array_alpha": (
        lambda r, k: r.gamma(k, np.array([0.5, 1.0, 3.0, 10.0]), (3, 4)),
        ("atol", 1e-13),
    ),
    "gamma_float32": (lambda r, k: r.gamma(k, 2.0, (100,), np.float32), ("atol", 1e-5)),
    "loggamma": (lambda r, k: r.loggamma(k, 0.01, (100,)), ("atol", 1e-13)),
    "beta": (lambda r, k: r.beta(k, 2.0, 3.0, (100,)), ("atol", 1e-13)),
    "dirichlet": (lambda r, k: r.dirichlet(k, np.array([1.0, 2.0, 0.5]), (50,)), ("atol", 1e-13)),
    "chisquare": (lambda r, k: r.chisquare(k, 3.0, (100,)), ("atol", 1e-13)),
    "f": (lambda r, k: r.f(k, 3.0, 5.0, (100,)), ("atol", 1e-13)),
    "t": (lambda r, k: r.t(k, 4.0, (100,)), ("atol", 1e-13)),
    "generalized_normal": (lambda r, k: r.generalized_normal(k, 1.5, (100,)), ("atol", 1e-13)),
    "ball": (lambda r, k: r.ball(k, 3, 2, (50,)), ("atol", 1e-13)),
    "poisson": (lambda r, k: r.poisson(k, 3.0, (300,)), EXACT),
    "poisson_large_rate": (lambda r, k: r.poisson(k, 50.0, (300,)), EXACT),
    "poisson_mixed_rates": (
        lambda r, k: r.poisson(k, np.array([0.0, 0.5, 5.0, 15.0, 300.0]), (40, 5)),
        EXACT,
    ),
    "binomial": (lambda r, k: r.binomial(k, 20, 0.3, (300,)), EXACT),
    "binomial_btrs": (lambda r, k: r.binomial(k, 1000, 0.3, (300,)), EXACT),
    "binomial_reflected": (lambda r, k: r.binomial(k, 50, 0.8, (300,)), EXACT),
    "binomial_mixed": (
        lambda r, k: r.binomial(
            k, np.array([0, 5, 30, 200, 5000]), np.array([0.1, 0.5, 0.9, 0.02, 0.4]), (40, 5)
        ),
        EXACT,
    ),
    "multinomial": (
        lambda r, k: r.multinomial(k, 100, np.array([0.2, 0.3, 0.5]), shape=(20, 3)),
        EXACT,
    ),
}

# JAX's default 32-bit mode (jax_enable_x64 off): name -> (jax call, the ftrans call with the
# explicit 32-bit dtypes that mode defaults to, tolerance)
_P3 = np.array([0.2, 0.3, 0.5])
CASES_X32 = {
    "uniform": (
        lambda r, k: r.uniform(k, (300,)),
        lambda r, k: r.uniform(k, (300,), np.float32),
        EXACT,
    ),
    "uniform_bounds": (
        lambda r, k: r.uniform(k, (300,), minval=-2.0, maxval=3.0),
        lambda r, k: r.uniform(k, (300,), np.float32, np.float32(-2), np.float32(3)),
        EXACT,
    ),
    "normal": (
        lambda r, k: r.normal(k, (300,)),
        lambda r, k: r.normal(k, (300,), np.float32),
        4,
    ),
    "randint": (
        lambda r, k: r.randint(k, (300,), 0, 10),
        lambda r, k: r.randint(k, (300,), 0, 10, np.int32),
        EXACT,
    ),
    "bernoulli": (
        lambda r, k: r.bernoulli(k, 0.3, (300,)),
        lambda r, k: r.bernoulli(k, np.float32(0.3), (300,)),
        EXACT,
    ),
    "bits": (
        lambda r, k: r.bits(k, (10,)),
        lambda r, k: r.bits(k, (10,), np.uint32),
        EXACT,
    ),
    "permutation": (
        lambda r, k: r.permutation(k, 50),
        lambda r, k: r.permutation(k, 50),
        EXACT,
    ),
    "categorical": (
        lambda r, k: r.categorical(k, np.log(_P3).astype(np.float32), shape=(50,)),
        lambda r, k: r.categorical(k, np.log(_P3).astype(np.float32), shape=(50,)),
        EXACT,
    ),
}
