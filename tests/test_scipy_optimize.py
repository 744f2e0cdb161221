"""ftrans.scipy.optimize against JAX (checked-in outputs of
``tests/data/make_scipy_jax_reference.py``; live when installed) and SciPy: Rosenbrock and an
L2-regularized logistic regression, eager, under jit and under vmap; the line search against
the strong Wolfe conditions and SciPy's; error messages."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.errors import ShapeError
from ftrans.scipy.optimize import OptimizeResults, line_search, minimize

REF = np.load(pathlib.Path(__file__).parent / "data" / "scipy_jax_reference.npz")


def ref(name):
    return REF[f"optimize/{name}"]


def rosenbrock(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_nll(w, x, y, lam):
    z = x @ w
    return fnp.sum(fnp.logaddexp(0.0, z) - y * z) / len(y) + lam * fnp.sum(w * w)


LOGISTIC = (ref("logistic_features"), ref("logistic_labels"), 0.01)


def test_bfgs_rosenbrock_matches_jax_step_for_step():
    """Same algorithm as jax.scipy.optimize's BFGS: same iterates, counts and status."""
    res = minimize(rosenbrock, ref("rosen_x0"), method="BFGS")
    assert isinstance(res, OptimizeResults)
    np.testing.assert_allclose(res.x, ref("rosen_x"), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.jac, ref("rosen_jac"), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(res.hess_inv, ref("rosen_hess_inv"), rtol=1e-6, atol=1e-9)
    assert int(res.nit) == int(ref("rosen_nit")) and int(res.nfev) == int(ref("rosen_nfev"))
    assert int(res.status) == int(ref("rosen_status")) == 0 and bool(res.success)


def test_bfgs_logistic_matches_jax():
    res = minimize(logistic_nll, np.zeros(5), LOGISTIC, method="BFGS")
    np.testing.assert_allclose(res.x, ref("logistic_result_x"), rtol=1e-9, atol=1e-11)
    assert int(res.nit) == int(ref("logistic_result_nit"))
    assert int(res.nfev) == int(ref("logistic_result_nfev"))


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B"])
def test_logistic_regression_matches_scipy(method):
    so = pytest.importorskip("scipy.optimize")
    # L-BFGS-B: gtol 1e-9, not 1e-10. The last iterates' gradient is ~7e-10, where the line
    # search meets rounding: with OPENBLAS_CORETYPE=Haswell (another BLAS kernel, other last
    # bits) iteration 13 found no decrease and ended with status 3, as SciPy's would
    options = {"gtol": 1e-10} if method == "BFGS" else {"gtol": 1e-9, "ftol": 0.0}
    res = minimize(logistic_nll, np.zeros(5), LOGISTIC, method=method, options=options)
    want = so.minimize(
        lambda w: float(logistic_nll(w, *LOGISTIC)),
        np.zeros(5),
        jac=lambda w: ft.grad(logistic_nll)(w, *LOGISTIC),
        method=method,
        options={"gtol": 1e-10, **({"ftol": 1e-15} if method != "BFGS" else {})},
    )
    np.testing.assert_allclose(res.x, want.x, atol=1e-6)
    assert bool(res.success) and int(res.status) == 0


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B"])
def test_rosenbrock_matches_scipy(method):
    so = pytest.importorskip("scipy.optimize")
    x0 = np.array([-1.2, 1.0, -0.5, 0.8])
    res = ft.jit(lambda x: minimize(rosenbrock, x, method=method, tol=1e-9))(x0)
    # SciPy's own Rosenbrock (the same function) and its BFGS
    want = so.minimize(so.rosen, x0, jac=so.rosen_der, method="BFGS", options={"gtol": 1e-9})
    np.testing.assert_allclose(res.x, want.x, atol=1e-6)
    np.testing.assert_allclose(res.x, np.ones(4), atol=1e-6)


def test_vmap_over_problems_equals_separate_runs():
    lams = np.array([0.01, 0.1, 1.0])
    x, y, _ = LOGISTIC

    def solve(lam):
        return minimize(logistic_nll, np.zeros(5), (x, y, lam), method="BFGS")

    batched = ft.vmap(solve)(lams)
    jitted = ft.jit(ft.vmap(solve))(lams)
    for i, lam in enumerate(lams):
        one = solve(lam)
        # batched line searches sum in another order: the last bits differ by CPU (3e-10 seen)
        np.testing.assert_allclose(batched.x[i], one.x, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(jitted.x[i], one.x, rtol=1e-8, atol=1e-12)
        assert int(batched.nit[i]) == int(one.nit)


def test_lbfgs_respects_maxiter_and_reports_it():
    res = minimize(rosenbrock, np.zeros(4), method="L-BFGS-B", options={"maxiter": 3})
    assert int(res.nit) == 3 and int(res.status) == 1 and not bool(res.success)
    assert res.hess_inv is None


def test_line_search_strong_wolfe():
    x0 = np.array([-1.2, 1.0])
    g0 = ft.grad(rosenbrock)(x0)
    p = -g0
    res = line_search(rosenbrock, x0, p, c1=1e-4, c2=0.9)
    assert not bool(res.failed) and int(res.status) == 0
    a = float(res.a_k)
    f_new, g_new = float(rosenbrock(x0 + a * p)), ft.grad(rosenbrock)(x0 + a * p)
    assert f_new <= float(rosenbrock(x0)) + 1e-4 * a * float(g0 @ p)
    assert abs(float(g_new @ p)) <= 0.9 * abs(float(g0 @ p))
    np.testing.assert_allclose(res.f_k, f_new)
    np.testing.assert_allclose(res.g_k, g_new)


def test_line_search_matches_scipy_on_a_quadratic():
    so = pytest.importorskip("scipy.optimize")
    a = np.diag([1.0, 10.0])

    def f(x):
        return 0.5 * x @ a @ x

    x0, p = np.array([1.0, 1.0]), np.array([-1.0, -10.0])
    got = line_search(f, x0, p)
    want = so.line_search(lambda x: float(f(x)), lambda x: a @ x, x0, p)
    np.testing.assert_allclose(float(got.a_k), want[0], rtol=1e-10)


def test_live_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jax.scipy.optimize as jso

    def f(x):
        return jnp.sum((x - jnp.arange(3.0)) ** 4) + jnp.sum(x**2)

    x0 = np.ones(3)
    want = jso.minimize(f, x0, method="BFGS")
    got = minimize(lambda x: fnp.sum((x - np.arange(3.0)) ** 4) + fnp.sum(x**2), x0, method="BFGS")
    np.testing.assert_allclose(got.x, np.asarray(want.x), rtol=1e-9, atol=1e-11)
    assert int(got.nit) == int(want.nit)


def test_errors():
    with pytest.raises(TypeError, match="args must be a tuple"):
        minimize(rosenbrock, np.zeros(2), args=1.0, method="BFGS")
    with pytest.raises(ValueError, match="method 'Nelder-Mead' is not available"):
        minimize(rosenbrock, np.zeros(2), method="Nelder-Mead")
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['maxcor'\] for method 'BFGS'"):
        minimize(rosenbrock, np.zeros(2), method="BFGS", options={"maxcor": 3})
    with pytest.raises(ShapeError, match=r"x0 must be a 1-D array \(n,\), got shape \(2, 2\)"):
        minimize(rosenbrock, np.zeros((2, 2)), method="BFGS")
    with pytest.raises(TypeError, match=r"needs a real scalar output.*shape \(2,\)"):
        minimize(lambda x: x**2, np.zeros(2), method="BFGS")
