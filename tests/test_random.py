"""ftrans.random: the hash, keys, determinism across transforms, distributions, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ftrans as ft
import ftrans.random as fr
from ftrans.random import _prng, _special

KEY = fr.key(20240601)
N = 100_000

_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(x):
    return np.asarray(0.5 * _erfc(-np.asarray(x, dtype=np.float64) / math.sqrt(2)), np.float64)


def ks_statistic(samples, cdf):
    """Kolmogorov-Smirnov distance between the empirical CDF of ``samples`` and ``cdf``."""
    x = np.sort(np.asarray(samples, dtype=np.float64))
    n = len(x)
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


def ks_bound(n):
    return 1.63 / math.sqrt(n)  # 1% critical value of the KS statistic


# ----------------------------------------------------------------------------- the hash


@pytest.mark.parametrize(
    "key, counter, expected",
    [
        ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
        ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
        ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
    ],
)
def test_threefry_known_answers(key, counter, expected):
    # The Random123 known-answer vectors of Threefry-2x32 with 20 rounds.
    words = [np.array([w], dtype=np.uint32) for w in (*key, *counter)]
    out = fr.threefry2x32(*words)
    assert [int(o[0]) for o in out] == list(expected)


def test_eager_chunking_matches_one_vectorised_call():
    count = 3 * _prng._EAGER_CHUNK + 5
    chunked = _prng.map_counters(lambda c: _prng.hash_counters(KEY, c), count)
    whole = _prng.hash_counters(KEY, np.arange(count, dtype=np.uint32))
    for a, b in zip(chunked, whole, strict=True):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- keys


def test_key_layout():
    assert fr.key(0).dtype == np.uint32 and fr.key(0).shape == (2,)
    assert fr.key(2**32 + 7).tolist() == [1, 7]
    assert fr.key(-1).tolist() == [2**32 - 1, 2**32 - 1]
    np.testing.assert_array_equal(ft.jit(fr.key)(np.int64(-5)), fr.key(-5))
    np.testing.assert_array_equal(
        ft.vmap(fr.key)(np.arange(3)), np.stack([fr.key(i) for i in range(3)])
    )


def test_split_and_fold_in_give_distinct_keys():
    keys = fr.split(KEY, 1000)
    assert keys.shape == (1000, 2) and keys.dtype == np.uint32
    assert len({tuple(k) for k in keys.tolist()} | {tuple(KEY.tolist())}) == 1001
    folded = np.stack([fr.fold_in(KEY, i) for i in range(100)])
    assert len({tuple(k) for k in folded.tolist()}) == 100
    assert fr.split(KEY, (2, 3)).shape == (2, 3, 2)
    # splitting is deterministic and a prefix-free function of num
    np.testing.assert_array_equal(fr.split(KEY, 5), fr.split(KEY, 5))


def test_vmapped_split_and_fold_in():
    keys = fr.split(KEY, 4)
    np.testing.assert_array_equal(ft.vmap(fr.split)(keys), np.stack([fr.split(k) for k in keys]))
    folded = ft.vmap(fr.fold_in)(keys, np.arange(4))
    np.testing.assert_array_equal(folded, np.stack([fr.fold_in(k, i) for i, k in enumerate(keys)]))
    np.testing.assert_array_equal(ft.jit(fr.fold_in)(KEY, 7), fr.fold_in(KEY, 7))


# ----------------------------------------------------------------------------- determinism

SAMPLERS = {
    "uniform": lambda k: fr.uniform(k, (5, 3)),
    "uniform_f32": lambda k: fr.uniform(k, (7,), np.float32, -2.0, 3.0),
    "normal": lambda k: fr.normal(k, (7,)),
    "normal_large": lambda k: fr.normal(k, (2 * _prng._EAGER_CHUNK + 3,)),
    # several eager slices, the last one short, an odd number of pairs: eager == traced
    "normal_slices": lambda k: fr.normal(k, (65541,)),
    "uniform_large": lambda k: fr.uniform(k, (_prng._EAGER_CHUNK + 1,)),
    "bits64": lambda k: fr.bits(k, (4,), np.uint64),
    "bernoulli": lambda k: fr.bernoulli(k, 0.3, (9,)),
    "randint": lambda k: fr.randint(k, (9,), -5, 5),
    "categorical": lambda k: fr.categorical(k, np.log([0.2, 0.3, 0.5]), shape=(6,)),
    "permutation": lambda k: fr.permutation(k, 10),
    "permutation_array": lambda k: fr.permutation(k, np.arange(12.0).reshape(3, 4), axis=1),
    "choice": lambda k: fr.choice(k, 10, (3,), replace=False),
    "choice_p": lambda k: fr.choice(k, np.arange(5.0), (4,), p=np.array([0.1, 0.2, 0.3, 0.4, 0.0])),
    "truncated_normal": lambda k: fr.truncated_normal(k, -1.0, 2.0, (6,)),
    "gumbel": lambda k: fr.gumbel(k, (4,)),
    "exponential": lambda k: fr.exponential(k, (4,)),
    "split": lambda k: fr.split(k, 3),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_eager_jit_and_vmap_agree_exactly(name):
    sample = SAMPLERS[name]
    keys = fr.split(KEY, 3)
    eager = sample(keys[1])
    np.testing.assert_array_equal(sample(keys[1]), eager)  # same key, same numbers
    np.testing.assert_array_equal(ft.jit(sample)(keys[1]), eager)
    np.testing.assert_array_equal(ft.vmap(sample)(keys)[1], eager)
    assert not np.array_equal(sample(keys[0]), eager) or name == "bernoulli"


def test_split_keys_are_uncorrelated():
    a, b = (fr.normal(k, (N,)) for k in fr.split(KEY))
    parent = fr.normal(KEY, (N,))
    for x, y in ((a, b), (a, parent), (b, parent)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 4 / math.sqrt(N)
    # neighbouring outputs of one key are uncorrelated too
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 4 / math.sqrt(N)


# ----------------------------------------------------------------------------- distributions


def test_uniform_distribution():
    u = fr.uniform(KEY, (N,))
    assert u.dtype == np.float64 and u.min() >= 0 and u.max() < 1
    assert ks_statistic(u, lambda x: x) < ks_bound(N)
    assert abs(u.mean() - 0.5) < 4 * math.sqrt(1 / 12 / N)
    # all 52 mantissa bits are random: the values are not on a coarser grid
    assert np.any((u * 2.0**52) % 2 == 1)
    v = fr.uniform(KEY, (N,), np.float32, minval=-3.0, maxval=5.0)
    assert v.dtype == np.float32 and v.min() >= -3 and v.max() < 5
    assert ks_statistic(v, lambda x: (x + 3) / 8) < ks_bound(N)


def test_normal_distribution():
    z = fr.normal(KEY, (N,))
    assert z.dtype == np.float64 and np.all(np.isfinite(z))
    assert abs(z.mean()) < 4 / math.sqrt(N)
    assert abs(z.var() - 1) < 4 * math.sqrt(2 / N)
    assert ks_statistic(z, normal_cdf) < ks_bound(N)
    # the two halves of each Box-Muller pair are each normal and uncorrelated with each other
    assert abs(np.corrcoef(z[: N // 2], z[N // 2 :])[0, 1]) < 4 / math.sqrt(N / 2)
    assert fr.normal(KEY, (3,), np.float32).dtype == np.float32
    assert fr.normal(KEY).shape == ()


# JAX's inverse-CDF recipe (erf, then erf_inv) loses accuracy beyond |x| ~ 5, as JAX's does
@pytest.mark.parametrize("lower, upper", [(-1.0, 2.0), (2.0, 3.0), (-np.inf, -3.0)])
def test_truncated_normal_distribution(lower, upper):
    x = fr.truncated_normal(KEY, lower, upper, (20_000,))
    assert np.all((x >= lower) & (x <= upper))
    # use the mirror image for the upper tail, where the CDF keeps its precision
    flip = lower > 0
    a, b = (-upper, -lower) if flip else (lower, upper)
    samples = -x if flip else x
    cdf_a, cdf_b = normal_cdf(a), normal_cdf(b)
    assert ks_statistic(samples, lambda t: (normal_cdf(t) - cdf_a) / (cdf_b - cdf_a)) < ks_bound(
        20_000
    )


def test_truncated_normal_broadcasts_bounds():
    x = fr.truncated_normal(KEY, np.array([-1.0, 0.0, 3.0]), 4.0)
    assert x.shape == (3,) and x[2] >= 3.0


def test_bernoulli_frequency():
    draws = fr.bernoulli(KEY, 0.3, (N,))
    assert draws.dtype == np.bool_
    assert abs(draws.mean() - 0.3) < 4 * math.sqrt(0.3 * 0.7 / N)
    p = np.array([0.0, 0.5, 1.0])
    per_p = fr.bernoulli(KEY, p, (N // 10, 3)).mean(axis=0)
    assert per_p[0] == 0 and per_p[2] == 1 and abs(per_p[1] - 0.5) < 0.02
    assert fr.bernoulli(KEY, p).shape == (3,)


def test_randint_range_and_uniformity():
    draws = fr.randint(KEY, (N,), -3, 7)
    assert draws.dtype == np.int64 and draws.min() == -3 and draws.max() == 6
    counts = np.bincount(draws + 3, minlength=10)
    expected = N / 10
    chi_square = np.sum((counts - expected) ** 2 / expected)
    assert chi_square < 27.9  # 99.9% quantile with 9 degrees of freedom
    small = fr.randint(KEY, (1000,), 0, 2**31 - 1, dtype=np.int32)
    assert small.dtype == np.int32 and small.min() >= 0
    per_row = fr.randint(KEY, (1000, 2), np.array([0, 100]), np.array([1, 103]))
    assert np.all(per_row[:, 0] == 0) and set(per_row[:, 1].tolist()) == {100, 101, 102}
    assert np.all(fr.randint(KEY, (5,), 4, 4) == 4)  # an empty range gives minval


def test_categorical_frequencies():
    probs = np.array([0.1, 0.2, 0.0, 0.7])
    with np.errstate(divide="ignore"):
        logits = np.log(probs)
    draws = fr.categorical(KEY, logits, shape=(N,))
    freq = np.bincount(draws, minlength=4) / N
    assert freq[2] == 0
    np.testing.assert_allclose(freq, probs, atol=4 * math.sqrt(0.25 / N))
    batched = fr.categorical(KEY, np.log(np.array([[0.5, 0.5], [1e-12, 1.0]])), axis=1)
    assert batched.shape == (2,) and batched[1] == 1
    assert fr.categorical(KEY, np.zeros((3, 5)), axis=0).shape == (5,)
    with pytest.raises(ValueError, match="must broadcast to the requested shape"):
        fr.categorical(KEY, np.zeros((3, 5)), shape=(4,))


def test_permutation_is_a_permutation():
    perm = fr.permutation(KEY, 1000)
    assert sorted(perm.tolist()) == list(range(1000))
    assert not np.array_equal(perm, np.arange(1000))
    x = np.arange(20.0).reshape(4, 5)
    shuffled = fr.permutation(KEY, x, axis=1)
    assert sorted(shuffled[0].tolist()) == x[0].tolist()
    np.testing.assert_array_equal(shuffled, x[:, fr.permutation(KEY, 5)])  # whole columns move
    # every position is equally likely to receive each element
    first = np.array([fr.permutation(k, 4)[0] for k in fr.split(KEY, 4000)])
    assert np.all(np.abs(np.bincount(first, minlength=4) / 4000 - 0.25) < 0.04)


def test_choice():
    picks = fr.choice(KEY, 50, (30,), replace=False)
    assert len(set(picks.tolist())) == 30 and picks.max() < 50
    weighted = fr.choice(KEY, 3, (N,), p=np.array([0.2, 0.0, 0.8]))
    np.testing.assert_allclose(np.bincount(weighted, minlength=3) / N, [0.2, 0.0, 0.8], atol=0.01)
    no_replace = fr.choice(KEY, 4, (3,), replace=False, p=np.array([0.5, 0.5, 0.0, 1.0]))
    assert len(set(no_replace.tolist())) == 3 and 2 not in no_replace.tolist()
    rows = fr.choice(KEY, np.arange(10.0).reshape(5, 2), (2, 3))
    assert rows.shape == (2, 3, 2)
    with pytest.raises(ValueError, match="replace=False"):
        fr.choice(KEY, 3, (4,), replace=False)


def test_gumbel_and_exponential_moments():
    g = fr.gumbel(KEY, (N,))
    assert abs(g.mean() - 0.5772156649) < 4 * math.sqrt(math.pi**2 / 6 / N)
    e = fr.exponential(KEY, (N,))
    assert e.min() > 0 and abs(e.mean() - 1) < 4 / math.sqrt(N)


# ----------------------------------------------------------------------------- special functions


def test_erf_erfc_and_normal_quantile_accuracy():
    x = np.concatenate([np.linspace(-6, 6, 2001), [0.0, 1e-300, -1e-12, 0.5, 26.0, -26.0]])
    np.testing.assert_allclose(_special.erf(x), _erf(x).astype(float), rtol=2e-15, atol=1e-300)
    tail = np.linspace(0, 26, 500)
    np.testing.assert_allclose(_special.erfc(tail), _erfc(tail).astype(float), rtol=5e-13)
    p = np.concatenate([np.logspace(-300, -1, 300), np.linspace(0.01, 0.99, 99)])
    q = _special.ndtri(p)
    np.testing.assert_allclose(_special.ndtr(q), p, rtol=1e-12)
    assert _special.ndtri(np.array([0.0, 1.0])).tolist() == [-np.inf, np.inf]
    assert np.isnan(_special.ndtri(np.array([-0.1, 1.1]))).all()


def test_erf_gradient():
    ft.numerical.check_grads(_special.erf, (np.array([-3.0, -0.3, 0.2, 0.49, 0.51, 2.0]),), order=2)
    grad = ft.vmap(ft.grad(_special.erf))(np.array([0.1, 1.0, 50.0, -1e200]))
    np.testing.assert_allclose(
        grad, 2 / math.sqrt(math.pi) * np.exp(-np.array([0.01, 1.0, 2500.0, np.inf])), rtol=1e-12
    )


# ----------------------------------------------------------------------------- errors


def test_array_passed_as_key():
    with pytest.raises(fr.PRNGKeyError, match=r"ftrans\.random\.normal: `key` must be a PRNG key"):
        fr.normal(np.ones(3))
    with pytest.raises(TypeError, match=r"ftrans\.random\.key\(seed\)"):
        fr.uniform(np.zeros(2))  # right shape, wrong dtype
    with pytest.raises(TypeError, match=r"ftrans\.random\.key\(0\)"):
        fr.normal(0, (3,))
    with pytest.raises(fr.PRNGKeyError, match="vmap"):
        fr.normal(fr.split(KEY, 4), (3,))
    with pytest.raises(fr.PRNGKeyError, match="key"):
        ft.jit(lambda x: fr.normal(x, (2,)))(np.ones(2))


def test_key_passed_as_array():
    with pytest.raises(fr.PRNGKeyError, match="looks like a PRNG key"):
        fr.normal(KEY, KEY)
    with pytest.raises(fr.PRNGKeyError, match="seed"):
        fr.key(np.float64(1.0))
    with pytest.raises(ValueError, match="floating dtype"):
        fr.uniform(KEY, (2,), np.int32)
    with pytest.raises(TypeError, match="integer"):
        fr.randint(KEY, (2,), "a", "b")
    # float bounds are cast to int, as in JAX
    np.testing.assert_array_equal(fr.randint(KEY, (3,), 0.0, 5.0), fr.randint(KEY, (3,), 0, 5))


def test_threaded_eager_draws_equal_single_threaded_ones():
    before = ft.get_num_threads()
    shape = (3 * 2**15 + 5,)  # several eager slices of normal and of the hash
    single = fr.normal(KEY, shape), fr.uniform(KEY, shape), fr.bits(KEY, shape)
    try:
        ft.set_num_threads(2)
        threaded = fr.normal(KEY, shape), fr.uniform(KEY, shape), fr.bits(KEY, shape)
    finally:
        ft.set_num_threads(before)
    for a, b in zip(single, threaded, strict=True):
        np.testing.assert_array_equal(a, b)
