"""ftrans.random's API around the numbers: typed keys, derivatives, errors, moments."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest

import ftrans as ft
import ftrans.random as fr

KEY = fr.PRNGKey(11)


# ----------------------------------------------------------------------------- typed keys


def test_typed_keys_wrap_the_same_data_and_give_the_same_numbers():
    typed = fr.wrap_key_data(KEY)
    assert isinstance(typed, fr.KeyArray) and typed.shape == () and typed.dtype == "key<fry>"
    np.testing.assert_array_equal(fr.key_data(typed), KEY)
    np.testing.assert_array_equal(fr.key_data(KEY), KEY)  # raw keys unwrap to themselves
    np.testing.assert_array_equal(fr.normal(typed, (4,)), fr.normal(KEY, (4,)))
    keys = fr.split(typed, 3)
    assert isinstance(keys, fr.KeyArray) and keys.shape == (3,) and len(keys) == 3
    np.testing.assert_array_equal(fr.key_data(keys), fr.split(KEY, 3))
    np.testing.assert_array_equal(fr.key_data(keys[1]), fr.split(KEY, 3)[1])
    folded = fr.fold_in(typed, 5)
    assert isinstance(folded, fr.KeyArray)
    np.testing.assert_array_equal(fr.key_data(folded), fr.fold_in(KEY, 5))
    assert fr.key_impl(typed) == fr.key_impl(KEY) == "threefry2x32"
    assert fr.key_dtype() == typed.dtype == "key<fry>"
    assert fr.categorical(KEY, np.zeros(4), shape=(2,), replace=False).dtype == np.int32
    np.testing.assert_array_equal(fr.clone(KEY), KEY)
    np.testing.assert_array_equal(fr.key(3), fr.PRNGKey(3))


def test_typed_keys_under_vmap_and_jit():
    keys = fr.split(fr.wrap_key_data(KEY), 4)
    mapped = ft.vmap(lambda k: fr.uniform(k, (2,)))(keys)
    loop = np.stack([fr.uniform(k, (2,)) for k in keys])
    np.testing.assert_array_equal(mapped, loop)
    jitted = ft.jit(lambda k: fr.key_data(fr.split(k)))(fr.wrap_key_data(KEY))
    np.testing.assert_array_equal(jitted, fr.split(KEY))


# ----------------------------------------------------------------------------- derivatives


def test_reparameterised_gradients():
    def uniform_mean(low, high):
        return fr.uniform(KEY, (1000,), minval=low, maxval=high).mean()

    u = fr.uniform(KEY, (1000,))
    d_low, d_high = ft.grad(uniform_mean, argnums=(0, 1))(-1.0, 3.0)
    np.testing.assert_allclose([d_low, d_high], [1 - u.mean(), u.mean()], rtol=1e-12)

    def scaled_normal(loc, scale):
        return (loc + scale * fr.normal(KEY, (50,))).sum()

    d_loc, d_scale = ft.grad(scaled_normal, argnums=(0, 1))(0.5, 2.0)
    np.testing.assert_allclose([d_loc, d_scale], [50.0, fr.normal(KEY, (50,)).sum()])
    ft.numerical.check_grads(
        lambda m: fr.multivariate_normal(KEY, m, np.eye(2) * 2.0, (3,)), (np.ones(2),), order=1
    )


def test_samplers_have_no_derivative_wrt_the_key_path():
    # a key is integer data: a draw that depends on a traced float only through its
    # parameters has exactly that parameter's derivative, and the bits contribute nothing
    g = ft.grad(lambda s: (fr.normal(KEY, (3,)) * 0.0 + fr.exponential(KEY) * s).sum())(2.0)
    np.testing.assert_allclose(g, 3 * fr.exponential(KEY))
    with pytest.raises(TypeError):
        ft.grad(lambda k: fr.normal(k, ()))(KEY)


@pytest.mark.parametrize("seed", [0, 42])
@pytest.mark.parametrize("name", ["gamma", "loggamma"])
def test_gamma_implicit_gradient_matches_jax(name, seed):
    reference = np.load(pathlib.Path(__file__).parent / "data" / "random_jax_reference.npz")
    sampler = getattr(fr, name)
    alphas = np.array([0.3, 1.0, 2.5, 7.0])
    grad = ft.grad(lambda a: sampler(fr.PRNGKey(seed), a).sum())(alphas)
    np.testing.assert_allclose(grad, reference[f"grad/{name}/{seed}"], rtol=1e-9)


# ----------------------------------------------------------------------------- errors


def test_errors_name_the_argument_and_the_fix():
    with pytest.raises(fr.PRNGKeyError, match="scalar seed, but was given a PRNG key"):
        fr.PRNGKey(KEY)
    with pytest.raises(fr.PRNGKeyError, match=r"takes a single key"):
        fr.normal(fr.split(fr.wrap_key_data(KEY), 2), (3,))
    with pytest.raises(fr.PRNGKeyError, match=r"uint32 array whose last axis has length 2"):
        fr.wrap_key_data(np.zeros(3, np.uint32))
    with pytest.raises(ValueError, match=r"must broadcast to the requested shape \(3,\)"):
        fr.uniform(KEY, (3,), minval=np.zeros(4))
    with pytest.raises(ValueError, match=r"must broadcast to the requested shape"):
        fr.bernoulli(KEY, np.full(5, 0.5), (3,))
    with pytest.raises(TypeError, match="floating dtype"):
        fr.bernoulli(KEY, 1)
    with pytest.raises(ValueError, match="only the default PRNG implementation"):
        fr.PRNGKey(0, impl="rbg")
    with pytest.raises(ValueError, match="unsigned integer dtype"):
        fr.bits(KEY, (2,), np.int32)
    with pytest.raises(TypeError, match="needs concrete inputs"):
        ft.jit(lambda k: fr.poisson(k, 3.0, (2,)))(KEY)
    with pytest.raises(ValueError, match="larger sample"):
        fr.choice(KEY, 3, (4,), replace=False)


# ----------------------------------------------------------------------------- moments


@pytest.mark.parametrize(
    "draw, mean, var",
    [
        (lambda k: fr.gamma(k, 0.5, (40_000,)), 0.5, 0.5),
        (lambda k: fr.beta(k, 2.0, 3.0, (40_000,)), 0.4, 0.04),
        (lambda k: fr.poisson(k, 30.0, (40_000,)), 30.0, 30.0),
        (lambda k: fr.binomial(k, 40, 0.3, (40_000,)), 12.0, 8.4),
        (lambda k: fr.chisquare(k, 3.0, (40_000,)), 3.0, 6.0),
        (lambda k: fr.laplace(k, (40_000,)), 0.0, 2.0),
    ],
)
def test_moments(draw, mean, var):
    x = np.asarray(draw(KEY), np.float64)
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / len(x))
    assert abs(x.var() / var - 1) < 0.05
