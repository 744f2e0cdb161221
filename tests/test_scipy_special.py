"""The special-function kernels and ``ftrans.scipy.special``: values against a checked-in
mpmath table (no SciPy needed) and against SciPy over wide ranges and tails, float32,
derivatives, JAX's derivative conventions at edge points (when JAX is installed), errors."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import ftrans as ft
import ftrans.lax as lax
import ftrans.scipy.special as ss
from ftrans.errors import UnsupportedError
from ftrans.numerical import check_grads

DATA = np.load(pathlib.Path(__file__).parent / "data" / "special_reference.npz")

# (table entry, function, argument columns, relative tolerance)
TABLE = [
    ("erf", ss.erf, ["erf_x"], 1e-15),
    ("erfc", ss.erfc, ["erf_x"], 2e-15),
    ("erfinv", ss.erfinv, ["erfinv_x"], 1e-15),
    ("ndtr", ss.ndtr, ["ndtr_x"], 2e-15),
    ("log_ndtr", ss.log_ndtr, ["ndtr_x"], 2e-15),
    ("ndtri", ss.ndtri, ["ndtri_x"], 2e-15),
    ("lgamma", ss.gammaln, ["lgamma_x"], 2e-15),
    ("digamma", ss.digamma, ["digamma_x"], 1e-14),
    ("polygamma", lax.polygamma, ["polygamma_n", "polygamma_x"], 2e-15),
    ("zeta", ss.zeta, ["zeta_s", "zeta_q"], 2e-15),
    ("igamma", ss.gammainc, ["igamma_a", "igamma_x"], 1e-12),
    ("igammac", ss.gammaincc, ["igamma_a", "igamma_x"], 1e-12),
    ("igamma_grad_a", lax.igamma_grad_a, ["igamma_a", "igamma_x"], 1e-11),
    ("betainc", ss.betainc, ["betainc_a", "betainc_b", "betainc_x"], 1e-13),
    ("bessel_i0e", ss.i0e, ["bessel_x"], 1e-15),
    ("bessel_i1e", ss.i1e, ["bessel_x"], 2e-15),
]


@pytest.mark.parametrize("name,fun,columns,rtol", TABLE, ids=[t[0] for t in TABLE])
def test_values_match_mpmath_table(name, fun, columns, rtol):
    got = fun(*[DATA[c] for c in columns])
    np.testing.assert_allclose(got, DATA[name], rtol=rtol, atol=1e-300)


# ----------------------------------------------------------------------------- SciPy


def _scipy():
    return pytest.importorskip("scipy.special")


RNG = np.random.default_rng(1)
WIDE = np.concatenate([RNG.uniform(-30, 30, 400), np.logspace(-300, 2.5, 60)])
SIGNED = np.concatenate([WIDE, -WIDE])
POSITIVE = np.concatenate([RNG.uniform(0, 20, 300), np.logspace(-300, 300, 60)])
NEGATIVE_OFF_INTEGERS = -RNG.uniform(0, 50, 200) - 1e-3

SCIPY_CASES = [
    ("erf", ss.erf, (SIGNED,), 1e-15),
    ("erfc", ss.erfc, (SIGNED[np.abs(SIGNED) < 26],), 1e-13),
    ("erfinv", ss.erfinv, (np.concatenate([RNG.uniform(-1, 1, 300), [-1.0, 1.0, 0.0]]),), 1e-15),
    ("ndtr", ss.ndtr, (SIGNED[np.abs(SIGNED) < 37],), 1e-12),
    ("log_ndtr", ss.log_ndtr, (np.concatenate([SIGNED, [-1e5, -1e10]]),), 1e-12),
    (
        "ndtri",
        ss.ndtri,
        (np.concatenate([RNG.uniform(0, 1, 300), np.logspace(-300, -1, 50)]),),
        1e-15,
    ),
    ("gammaln", ss.gammaln, (np.concatenate([POSITIVE, NEGATIVE_OFF_INTEGERS]),), 1e-10),
    (
        "psi",
        ss.digamma,
        (np.concatenate([POSITIVE[POSITIVE < 1e15], NEGATIVE_OFF_INTEGERS]),),
        1e-10,
    ),
    ("i0e", ss.i0e, (SIGNED,), 1e-15),
    ("i1e", ss.i1e, (SIGNED,), 1e-15),
    ("i0", ss.i0, (SIGNED[np.abs(SIGNED) < 700],), 1e-14),
    ("i1", ss.i1, (SIGNED[np.abs(SIGNED) < 700],), 1e-14),
    ("expit", ss.expit, (SIGNED,), 4e-15),
    ("logit", ss.logit, (RNG.uniform(0, 1, 100),), 1e-14),
    ("entr", ss.entr, (np.concatenate([POSITIVE, [0.0, -1.0]]),), 1e-15),
    (
        "gamma",
        ss.gamma,
        (np.concatenate([RNG.uniform(-10, 30, 200), [0.0, -0.0, -1.0, -2.0]]),),
        1e-12,
    ),
]


@pytest.mark.parametrize("scipy_name,fun,args,rtol", SCIPY_CASES, ids=[c[0] for c in SCIPY_CASES])
def test_unary_matches_scipy(scipy_name, fun, args, rtol):
    scipy = _scipy()
    with np.errstate(all="ignore"):
        want = getattr(scipy, scipy_name)(*args)
    # away from the zeros of gammaln/digamma, where SciPy itself loses digits (the mpmath
    # table above checks those points)
    np.testing.assert_allclose(fun(*args), want, rtol=rtol, atol=1e-13 if rtol > 1e-12 else 0)


def test_binary_and_ternary_match_scipy():
    scipy = _scipy()
    a = np.concatenate([RNG.uniform(0.01, 5, 300), RNG.uniform(5, 500, 100)])
    x = a * RNG.uniform(0, 3, a.size)
    np.testing.assert_allclose(ss.gammainc(a, x), scipy.gammainc(a, x), rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(ss.gammaincc(a, x), scipy.gammaincc(a, x), rtol=1e-11, atol=1e-300)
    b = RNG.uniform(0.05, 50, a.size)
    u = RNG.uniform(0, 1, a.size)
    np.testing.assert_allclose(
        ss.betainc(a[:300], b[:300], u[:300]),
        scipy.betainc(a[:300], b[:300], u[:300]),
        rtol=1e-12,
        atol=1e-300,
    )
    np.testing.assert_allclose(ss.betaln(a, b), scipy.betaln(a, b), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(
        ss.beta(a[:100], b[:100]), scipy.beta(a[:100], b[:100]), rtol=1e-11, atol=1e-300
    )
    s = RNG.uniform(1.01, 60, 200)
    q = RNG.uniform(0.01, 100, 200)
    np.testing.assert_allclose(ss.zeta(s, q), scipy.zeta(s, q), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(ss.zeta(s), scipy.zeta(s), rtol=1e-14)
    n = RNG.integers(0, 10, 200)
    np.testing.assert_allclose(ss.polygamma(n, q), scipy.polygamma(n, q), rtol=1e-12)
    y = RNG.uniform(-3, 3, 200)
    np.testing.assert_allclose(ss.xlogy(y, np.abs(q)), scipy.xlogy(y, np.abs(q)), rtol=1e-14)
    np.testing.assert_allclose(ss.xlog1py(y, q), scipy.xlog1py(y, q), rtol=1e-14)
    p = np.abs(y)
    np.testing.assert_allclose(ss.rel_entr(p, q / 10), scipy.rel_entr(p, q / 10), rtol=1e-13)
    np.testing.assert_allclose(
        ss.kl_div(p, q / 10), scipy.kl_div(p, q / 10), rtol=1e-13, atol=1e-15
    )
    np.testing.assert_allclose(ss.multigammaln(q + 3, 4), scipy.multigammaln(q + 3, 4), rtol=1e-13)
    np.testing.assert_allclose(
        ss.factorial(np.arange(-2, 25)), scipy.factorial(np.arange(-2, 25)), rtol=1e-13
    )


def test_edge_values_follow_scipy():
    scipy = _scipy()
    inf, nan = np.inf, np.nan
    cases = [
        (ss.gammaln, scipy.gammaln, [0.0, -0.0, -1.0, -inf, inf, nan]),
        (ss.digamma, scipy.psi, [0.0, -0.0, -1.0, -inf, inf, nan]),
        (ss.erfinv, scipy.erfinv, [1.0, -1.0, 1.5, nan]),
        (ss.ndtri, scipy.ndtri, [0.0, 1.0, 1.5, -0.5, nan]),
        (ss.erf, scipy.erf, [inf, -inf, nan, 0.0]),
        (ss.erfc, scipy.erfc, [inf, -inf, nan, 40.0]),
        (ss.log_ndtr, scipy.log_ndtr, [inf, -inf, 0.0]),
        (ss.i0e, scipy.i0e, [inf, -inf, 0.0]),
        (ss.i1e, scipy.i1e, [inf, -inf, 0.0]),
        (ss.gammasgn, scipy.gammasgn, [0.0, -0.0, -1.0, -2.5, -1.5, nan, inf]),
    ]
    for fun, ref, values in cases:
        values = np.array(values)
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(fun(values), ref(values), err_msg=fun.__name__)
    a = np.array([0.0, 0.0, 1.0, 1.0, -1.0, 1.0])
    x = np.array([1.0, 0.0, 0.0, inf, 1.0, -1.0])
    np.testing.assert_array_equal(ss.gammainc(a, x), scipy.gammainc(a, x))
    np.testing.assert_array_equal(ss.gammaincc(a, x), scipy.gammaincc(a, x))
    a = np.array([0.0, 1.0, 1.0, 2.0, 1.0])
    b = np.array([1.0, 0.0, 1.0, 2.0, 1.0])
    u = np.array([0.5, 0.5, 0.0, 1.0, 1.5])
    np.testing.assert_array_equal(ss.betainc(a, b, u), scipy.betainc(a, b, u))
    s = np.array([1.0, 0.5, 2.0, 2.0, 2.5])
    q = np.array([1.0, 1.0, -1.5, 0.0, -1.5])
    np.testing.assert_allclose(ss.zeta(s, q), scipy.zeta(s, q), rtol=1e-14)
    np.testing.assert_array_equal(
        ss.xlogy(0.0, np.array([0.0, nan])), scipy.xlogy(0.0, np.array([0.0, nan]))
    )


# ----------------------------------------------------------------------------- float32


@pytest.mark.parametrize(
    "fun,x",
    [
        (ss.erf, np.linspace(-3, 3, 9)),
        (ss.erfc, np.linspace(-3, 9, 9)),
        (ss.erfinv, np.linspace(-0.99, 0.99, 9)),
        (ss.gammaln, np.linspace(0.1, 30, 9)),
        (ss.digamma, np.linspace(0.1, 30, 9)),
        (ss.ndtri, np.linspace(0.01, 0.99, 9)),
        (ss.log_ndtr, np.linspace(-30, 5, 9)),
        (ss.i0e, np.linspace(-10, 10, 9)),
        (ss.i1e, np.linspace(-10, 10, 9)),
        (lambda v: ss.gammainc(np.float32(2.5), v), np.linspace(0.1, 9, 9)),
        (lambda v: ss.betainc(np.float32(2.0), np.float32(3.0), v), np.linspace(0.05, 0.95, 9)),
    ],
)
def test_float32_stays_float32(fun, x):
    out32 = fun(x.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, fun(x), rtol=2e-6, atol=1e-7)
    grad32 = ft.grad(lambda v: fun(v).sum())(x.astype(np.float32))
    assert grad32.dtype == np.float32
    np.testing.assert_allclose(grad32, ft.grad(lambda v: fun(v).sum())(x), rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize(
    "fun,args",
    [
        (ss.erf, (0.3,)),
        (ss.erfc, (1.3,)),
        (ss.erfinv, (0.7,)),
        (ss.ndtri, (0.1,)),
        (ss.log_ndtr, (-12.0,)),
        (ss.gammaln, (2.7,)),
        (ss.digamma, (0.7,)),
        (lambda x: ss.polygamma(2, x), (1.7,)),
        (lambda q: ss.zeta(2.5, q), (1.7,)),
        (lambda x: ss.gammainc(2.5, x), (1.7,)),
        (lambda x: ss.gammaincc(2.5, x), (1.7,)),
        (lambda x: ss.betainc(2.5, 1.5, x), (0.3,)),
        (ss.i0, (1.3,)),
        (ss.i1, (-1.3,)),
        (ss.gamma, (-1.3,)),
        (ss.beta, (1.3, 2.1)),
        (lambda x: ss.multigammaln(x, 3), (3.3,)),
        (ss.xlogy, (0.7, 1.3)),
        (ss.entr, (0.7,)),
        (ss.kl_div, (0.7, 1.3)),
    ],
)
def test_derivatives_to_second_order(fun, args):
    check_grads(fun, tuple(np.float64(a) for a in args), order=2, modes=("fwd", "rev"))


def test_gammainc_first_derivative_in_a():
    check_grads(lambda a: ss.gammainc(a, 1.7), (np.float64(2.5),), order=1, modes=("fwd", "rev"))
    check_grads(lambda a: ss.gammaincc(a, 1.7), (np.float64(2.5),), order=1, modes=("fwd", "rev"))


def test_random_gamma_grad_is_implicit_derivative():
    # x(a) = P^-1(a, u) at fixed u: dx/da = -(dP/da)/(dP/dx)
    a, x = 2.5, 1.7
    u = float(ss.gammainc(a, x))
    h = 1e-6
    grid = np.linspace(1.6, 1.8, 20001)

    def quantile(shape):
        return float(np.interp(u, ss.gammainc(shape, grid), grid))

    numeric = (quantile(a + h) - quantile(a - h)) / (2 * h)
    assert np.isclose(float(lax.random_gamma_grad(a, x)), numeric, rtol=1e-4)


def test_logsumexp_keywords():
    a = np.array([[0.0, 1.0, -np.inf], [2.0, 2.0, 2.0]])
    b = np.array([1.0, -3.0, 2.5])
    value, sign = ss.logsumexp(a, axis=1, b=b, return_sign=True)
    total = np.sum(b * np.exp(a), axis=1)
    np.testing.assert_allclose(value, np.log(np.abs(total)))
    np.testing.assert_array_equal(sign, np.sign(total))
    kept = ss.logsumexp(a, axis=1, keepdims=True)
    assert kept.shape == (2, 1)
    mask = np.array([True, False, True])
    np.testing.assert_allclose(
        ss.logsumexp(a, axis=1, where=mask), np.log(np.sum(np.exp(a) * mask, axis=1))
    )
    grad = ft.grad(lambda v: ss.logsumexp(v, where=mask))(np.array([0.0, 5.0, 0.0]))
    np.testing.assert_allclose(grad, [0.5, 0.0, 0.5])
    np.testing.assert_allclose(ft.jit(lambda v: ss.logsumexp(v, axis=0))(a[1]), np.log(3.0) + 2.0)


# ----------------------------------------------------------------------------- JAX conventions
# tests/data/special_jax.json holds jax.scipy.special's values and gradients at the points where
# conventions matter (written by tests/data/make_special_reference.py with JAX installed).

JAX_TABLE = json.loads((pathlib.Path(__file__).parent / "data" / "special_jax.json").read_text())


@pytest.mark.parametrize(
    "case", JAX_TABLE["cases"], ids=[f"{c['name']}{tuple(c['args'])}" for c in JAX_TABLE["cases"]]
)
def test_values_and_gradients_match_jax_table(case):
    fun = getattr(ss, case["name"])
    args = [a if isinstance(a, int) else np.float64(a) for a in case["args"]]
    argnums = tuple(case["argnums"])
    got = ft.grad(fun, argnums=argnums)(*args)
    np.testing.assert_allclose(np.array(got, float), case["grad"], rtol=1e-12)
    np.testing.assert_allclose(fun(*args), case["value"], rtol=1e-12)


def test_random_gamma_grad_matches_jax_table():
    row = JAX_TABLE["random_gamma_grad"]
    got = lax.random_gamma_grad(np.array(row["a"]), np.array(row["x"]))
    np.testing.assert_allclose(got, row["value"], rtol=1e-8)


def test_jax_table_is_current():
    """Spot checks against the installed JAX (the table above covers the rest)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.scipy.special as jss

    for case in JAX_TABLE["cases"][:2]:
        fun = getattr(jss, case["name"])
        want = jax.grad(fun, argnums=tuple(case["argnums"]))(*case["args"])
        np.testing.assert_allclose(np.array(want, float), case["grad"])
    a = np.array([[0.0, 1.0, -np.inf], [2.0, 2.0, 2.0]])
    b = np.array([1.0, -3.0, 2.5])
    got = ss.logsumexp(a, axis=1, b=b, return_sign=True)
    want = jss.logsumexp(a, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-13)


# ----------------------------------------------------------------------------- errors


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="igamma needs floating-point operands"):
        lax.igamma(np.array([1, 2]), np.array([1, 2]))
    with pytest.raises(TypeError, match="lgamma needs floating-point operands"):
        lax.lgamma(np.array([3]))
    with pytest.raises(ValueError, match="polygamma: n must be of integer type"):
        ss.polygamma(1.0, 2.0)
    with pytest.raises(UnsupportedError, match="betainc with respect to a and b"):
        ft.grad(lambda a: ss.betainc(a, 2.0, 0.5))(1.5)
    with pytest.raises(UnsupportedError, match="second derivative of igamma in a"):
        ft.grad(ft.grad(lambda a: ss.gammainc(a, 1.5)))(2.0)
    with pytest.raises(UnsupportedError, match="zeta with respect to s"):
        ft.grad(lambda s: ss.zeta(s, 2.0))(3.0)
    with pytest.raises(UnsupportedError, match="polygamma with respect to n"):
        ft.jvp(lambda n: lax.polygamma(n, np.float64(2.0)), (np.float64(1.0),), (np.float64(1.0),))
    with pytest.raises(ValueError, match="series_order"):
        ss.log_ndtr(1.0, series_order=-1)
    with pytest.raises(TypeError, match="multigammaln: d must be a concrete integer"):
        ss.multigammaln(3.0, 2.5)
    with pytest.raises(NotImplementedError, match="exact=True"):
        ss.factorial(3, exact=True)
    with pytest.raises(TypeError, match="does not support complex"):
        ss.erf(1j)
    with pytest.raises(np.exceptions.AxisError, match="axis 3 is out of bounds"):
        ss.logsumexp(np.ones((2, 2)), axis=3)


def test_integer_arguments_are_promoted():
    assert ss.gammainc(2, 3).dtype == np.float64
    np.testing.assert_allclose(ss.gammainc(2, 3), ss.gammainc(2.0, 3.0))
    np.testing.assert_allclose(ss.gammaln(np.arange(1, 6)), np.log([1, 1, 2, 6, 24]), atol=1e-15)
