"""``ftrans.scipy.stats`` against ``scipy.stats`` (values, wide ranges and tails), gradients
against central differences, jit/vmap, and JAX's out-of-support conventions."""

from __future__ import annotations

import numpy as np
import pytest

import ftrans as ft
import ftrans.scipy.stats as fst
from ftrans.numerical import check_grads

stats = pytest.importorskip("scipy.stats")

RNG = np.random.default_rng(0)
X = np.concatenate([np.linspace(-8, 8, 41), [-30.0, -3.5, 0.0, 2.5, 30.0]])
POS = np.concatenate([np.linspace(0.01, 12, 30), [1e-4, 50.0]])
UNIT = np.concatenate([np.linspace(0.0, 1.0, 21), [1e-12, 1 - 1e-12]])
INTS = np.arange(-2, 15).astype(float)

# (module name, function, x values, shape args, scipy distribution, scipy args)
CONTINUOUS = [
    ("norm", X, (), {"loc": 0.5, "scale": 2.0}),
    ("t", X, (3.5,), {"loc": 0.5, "scale": 2.0}),
    ("gamma", X, (2.5,), {"loc": -1.0, "scale": 1.5}),
    ("chi2", X, (3.0,), {"loc": -1.0, "scale": 1.5}),
    ("beta", UNIT * 3 - 1, (2.5, 1.5), {"loc": -1.0, "scale": 3.0}),
    ("expon", X, (), {"loc": -1.0, "scale": 1.5}),
    ("laplace", X, (), {"loc": 0.5, "scale": 2.0}),
    ("logistic", X, (), {"loc": 0.5, "scale": 2.0}),
    ("cauchy", X, (), {"loc": 0.5, "scale": 2.0}),
    ("uniform", X, (), {"loc": -1.0, "scale": 3.0}),
    ("gennorm", X, (1.5,), {}),
    ("vonmises", np.linspace(-3, 3, 13), (2.0,), {}),
    ("pareto", POS, (2.5,), {"loc": -0.5, "scale": 1.5}),
    ("lognorm", POS, (0.7,), {"loc": -0.5, "scale": 1.5}),
    ("gumbel_r", X, (), {"loc": 0.5, "scale": 2.0}),
    ("gumbel_l", X, (), {"loc": 0.5, "scale": 2.0}),
    ("truncnorm", np.linspace(-3, 3, 25), (-1.5, 2.0), {"loc": 0.2, "scale": 1.1}),
]
FUNCTIONS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
QUANTILES = ("ppf", "isf")


def _cases():
    for name, x, shape, kw in CONTINUOUS:
        module = getattr(fst, name)
        for fn in FUNCTIONS + QUANTILES:
            if hasattr(module, fn):
                yield pytest.param(name, fn, x, shape, kw, id=f"{name}.{fn}")


def _close(got, want, rtol=1e-10, atol=1e-14):
    got, want = np.asarray(got), np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name,fn,x,shape,kw", list(_cases()))
def test_continuous_matches_scipy(name, fn, x, shape, kw):
    module = getattr(fst, name)
    args = (np.linspace(0.001, 0.999, 41),) if fn in QUANTILES else (x,)
    got = getattr(module, fn)(*args, *shape, **kw)
    want = getattr(getattr(stats, name), fn)(*args, *shape, **kw)
    _close(got, want, rtol=1e-9)


DISCRETE = [
    ("poisson", (3.5,), {"loc": 1.0}),
    ("binom", (10.0, 0.3), {"loc": 1.0}),
    ("geom", (0.3,), {"loc": 1.0}),
    ("nbinom", (4.0, 0.4), {"loc": 1.0}),
    ("betabinom", (10.0, 2.0, 3.5), {"loc": 1.0}),
    ("bernoulli", (0.3,), {"loc": 1.0}),
]


@pytest.mark.parametrize("name,shape,kw", DISCRETE, ids=[d[0] for d in DISCRETE])
def test_discrete_matches_scipy(name, shape, kw):
    module = getattr(fst, name)
    k = np.concatenate([INTS, [2.5, -0.5]])
    for fn in ("logpmf", "pmf"):
        _close(
            getattr(module, fn)(k, *shape, **kw), getattr(getattr(stats, name), fn)(k, *shape, **kw)
        )
    if hasattr(module, "cdf"):
        kwargs = kw if name != "bernoulli" else {}
        _close(module.cdf(k, *shape, **kwargs), getattr(stats, name).cdf(k, *shape, **kwargs))


def test_bernoulli_ppf_matches_scipy():
    q = np.array([0.0, 0.1, 0.5, 0.69, 0.71, 0.9, 1.0, 1.5, -0.5])
    _close(fst.bernoulli.ppf(q, 0.3), stats.bernoulli.ppf(q, 0.3))


def test_dirichlet_matches_scipy():
    alpha = np.array([1.5, 2.0, 3.5])
    x = RNG.dirichlet(alpha, size=5).T
    _close(fst.dirichlet.logpdf(x, alpha), stats.dirichlet.logpdf(x, alpha))
    _close(fst.dirichlet.logpdf(x[:2], alpha), stats.dirichlet.logpdf(x, alpha))
    assert float(fst.dirichlet.logpdf(np.array([0.5, 0.6, 0.1]), alpha)) == -np.inf


def test_dirichlet_shape_errors():
    with pytest.raises(ValueError, match="alpha must be one-dimensional"):
        fst.dirichlet.logpdf(np.ones(3) / 3, np.ones((3, 1)))
    with pytest.raises(ValueError, match="3 or 2 entries along axis 0"):
        fst.dirichlet.logpdf(np.ones(5) / 5, np.ones(3))


def test_multivariate_normal_matches_scipy():
    a = RNG.normal(size=(3, 3))
    cov = a @ a.T + 3 * np.eye(3)
    mean = RNG.normal(size=3)
    x = RNG.normal(size=(4, 2, 3))
    _close(
        fst.multivariate_normal.logpdf(x, mean, cov), stats.multivariate_normal.logpdf(x, mean, cov)
    )
    _close(
        fst.multivariate_normal.pdf(x[0, 0], mean, cov),
        stats.multivariate_normal.pdf(x[0, 0], mean, cov),
    )
    _close(
        fst.multivariate_normal.logpdf(x, mean, 2.0),
        stats.multivariate_normal.logpdf(x, mean, 2.0 * np.eye(3)),
    )
    with pytest.raises(ValueError, match="incompatible shapes"):
        fst.multivariate_normal.logpdf(x, mean, np.eye(2))


def test_tails_stay_finite():
    assert np.isclose(float(fst.norm.logcdf(-40.0)), stats.norm.logcdf(-40.0), rtol=1e-12)
    assert np.isclose(float(fst.norm.logsf(40.0)), stats.norm.logsf(40.0), rtol=1e-12)
    assert np.isclose(float(fst.norm.ppf(1e-300)), stats.norm.ppf(1e-300), rtol=1e-12)
    assert np.isclose(
        float(fst.truncnorm.logpdf(11.0, 10.0, 12.0)),
        stats.truncnorm.logpdf(11.0, 10.0, 12.0),
        rtol=1e-9,
    )


def test_out_of_support_is_minus_inf_with_finite_gradient():
    for value in (
        fst.gamma.logpdf(-1.0, 2.0),
        fst.beta.logpdf(1.5, 2.0, 2.0),
        fst.expon.logpdf(-0.1),
        fst.pareto.logpdf(0.5, 2.0),
        fst.uniform.logpdf(1.5),
        fst.poisson.logpmf(-1.0, 2.0),
        fst.binom.logpmf(11.0, 10.0, 0.5),
    ):
        assert float(value) == -np.inf
    # the gradient in the parameters stays 0 there, never NaN
    assert float(ft.grad(lambda a: fst.gamma.logpdf(-1.0, a))(2.0)) == 0.0
    assert float(ft.grad(lambda b: fst.beta.logpdf(1.5, 2.0, b))(2.0)) == 0.0


@pytest.mark.parametrize(
    "fun,args",
    [
        (lambda x, m, s: fst.norm.logpdf(x, m, s), (0.3, 0.1, 1.7)),
        (lambda x, m, s: fst.norm.logcdf(x, m, s), (-2.3, 0.1, 1.7)),
        (lambda x, df: fst.t.logpdf(x, df), (0.7, 3.5)),
        (lambda x, a: fst.gamma.logpdf(x, a), (1.3, 2.5)),
        (lambda x: fst.gamma.cdf(x, 2.5), (1.3,)),
        (lambda x, a, b: fst.beta.logpdf(x, a, b), (0.3, 2.5, 1.5)),
        (lambda x: fst.beta.cdf(x, 2.5, 1.5), (0.3,)),
        (lambda x, s: fst.logistic.logpdf(x, 0.0, s), (0.4, 1.3)),
        (lambda x, s: fst.cauchy.logpdf(x, 0.0, s), (0.4, 1.3)),
        (lambda x, k: fst.vonmises.logpdf(x, k), (0.4, 1.3)),
        (lambda mu: fst.poisson.logpmf(3.0, mu), (2.5,)),
        (lambda p: fst.binom.logpmf(3.0, 10.0, p), (0.3,)),
        (lambda x, a, b: fst.truncnorm.logpdf(x, a, b), (0.2, -1.0, 1.5)),
        (lambda x, s: fst.lognorm.logpdf(x, s), (1.2, 0.7)),
        (lambda x: fst.gumbel_r.logpdf(x), (0.4,)),
        (lambda x, b: fst.gennorm.logpdf(x, b), (0.4, 1.5)),
    ],
)
def test_gradients(fun, args):
    check_grads(fun, tuple(np.float64(a) for a in args), order=2, modes=("fwd", "rev"))


def test_multivariate_normal_gradient_and_transforms():
    mean = np.array([0.1, -0.2])
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    x = RNG.normal(size=(5, 2))

    def f(m):
        return fst.multivariate_normal.logpdf(x, m, cov).sum()

    check_grads(f, (mean,), order=1, modes=("fwd", "rev"))
    want = stats.multivariate_normal.logpdf(x, mean, cov)
    _close(ft.jit(lambda x: fst.multivariate_normal.logpdf(x, mean, cov))(x), want)
    _close(ft.vmap(lambda row: fst.multivariate_normal.logpdf(row, mean, cov))(x), want)


def test_jit_vmap_and_float32():
    x = np.linspace(-2, 2, 7)
    want = stats.norm.logpdf(x, 0.5, 2.0)
    _close(ft.jit(fst.norm.logpdf)(x, 0.5, 2.0), want)
    _close(ft.vmap(lambda v: fst.gamma.cdf(v, 2.0))(np.abs(x)), stats.gamma.cdf(np.abs(x), 2.0))
    out = fst.norm.cdf(x.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, stats.norm.cdf(x), rtol=1e-6)
