"""ftrans.random gives jax.random's numbers: against checked-in JAX outputs, and against JAX.

``tests/data/random_jax_reference.npz`` holds JAX 0.10's outputs (x64, default threefry) for
every case of ``tests/data/random_cases.py`` and every seed there
(``tests/data/make_random_reference.py`` regenerates it), so CI checks the numbers without
JAX. When JAX is importable, a few more seeds and shapes are compared directly, and the same
draws are checked under ``jit`` and ``vmap``.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import ftrans as ft
import ftrans.random as fr

DATA = pathlib.Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from random_cases import CASES, EXACT, SEEDS  # noqa: E402

REFERENCE = np.load(DATA / "random_jax_reference.npz")


def ulp_distance(a, b) -> int:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "c":
        return max(ulp_distance(a.real, b.real), ulp_distance(a.imag, b.imag))
    ints = {8: np.int64, 4: np.int32, 2: np.int16}[a.dtype.itemsize]
    diff = a.view(ints).astype(np.int64) - b.view(ints).astype(np.int64)
    return int(np.abs(diff).max()) if diff.size else 0


def assert_matches(ours, theirs, tolerance, where=""):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{where}: shape {ours.shape} vs JAX's {theirs.shape}"
    if tolerance == EXACT:
        assert ours.dtype == theirs.dtype or ours.dtype.kind == theirs.dtype.kind == "i", where
        np.testing.assert_array_equal(ours, theirs, err_msg=where)
    elif isinstance(tolerance, tuple):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=tolerance[1], err_msg=where)
    else:
        assert ours.dtype == theirs.dtype, where
        assert ulp_distance(ours, theirs) <= tolerance, f"{where}: {ulp_distance(ours, theirs)} ulp"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_checked_in_jax_outputs(name, seed):
    fn, tolerance = CASES[name]
    ours = fn(fr, fr.PRNGKey(seed))
    assert_matches(ours, REFERENCE[f"{name}/{seed}"], tolerance, f"{name}, seed {seed}")


def test_normal_is_mostly_bit_identical():
    # within 3 ulp everywhere; most draws are exactly JAX's
    ours = fr.normal(fr.PRNGKey(42), (5000,))
    assert np.mean(ours == REFERENCE["normal/42"]) > 0.85


@pytest.mark.parametrize("seed", [1, 7, 2**33 + 9])
def test_matches_jax_directly(seed):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jr = jax.random
    for name in ("split_shape", "fold_in", "uniform_bounds", "randint_int32", "permutation",
                 "choice_p", "normal_2d", "bernoulli", "categorical"):  # fmt: skip
        fn, tolerance = CASES[name]
        assert_matches(fn(fr, fr.PRNGKey(seed)), fn(jr, jr.PRNGKey(seed)), tolerance, name)
    key = fr.PRNGKey(seed)
    for shape in [(0,), (1,), (3, 0, 2), (2, 3, 4)]:
        assert_matches(fr.uniform(key, shape), jr.uniform(jr.PRNGKey(seed), shape), EXACT)
        assert_matches(fr.normal(key, shape), jr.normal(jr.PRNGKey(seed), shape), 3)
        assert_matches(
            fr.bits(key, shape, np.uint32), jr.bits(jr.PRNGKey(seed), shape, np.uint32), EXACT
        )


# the same draws under jit and per key under vmap
TRANSFORMED = [
    "split_shape", "fold_in", "bits_uint64", "uniform_bounds", "uniform_float32", "randint",
    "bernoulli", "permutation", "choice_p", "categorical", "normal", "normal_float32", "gumbel",
    "truncated_normal", "exponential", "rademacher", "gamma", "dirichlet",
]  # fmt: skip


@pytest.mark.parametrize("name", TRANSFORMED)
def test_jit_and_vmap_give_the_same_numbers(name):
    fn, tolerance = CASES[name]
    keys = np.stack([fr.PRNGKey(s) for s in SEEDS])
    jitted = ft.jit(lambda k: fn(fr, k))
    mapped = ft.vmap(lambda k: fn(fr, k))(keys)
    for i, seed in enumerate(SEEDS):
        reference = REFERENCE[f"{name}/{seed}"]
        assert_matches(jitted(keys[i]), reference, tolerance, f"jit {name}")
        assert_matches(mapped[i], reference, tolerance, f"vmap {name}")
        np.testing.assert_array_equal(mapped[i], fn(fr, keys[i]))  # vmap == loop, exactly


def test_vmap_over_split_keys_equals_a_loop():
    keys = fr.split(fr.PRNGKey(3), 5)
    mapped = ft.vmap(lambda k: fr.normal(k, (4, 3)))(keys)
    loop = np.stack([fr.normal(k, (4, 3)) for k in keys])
    np.testing.assert_array_equal(mapped, loop)
    np.testing.assert_array_equal(ft.vmap(fr.split)(keys), np.stack([fr.split(k) for k in keys]))
