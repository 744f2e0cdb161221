"""Tests of ftrans.experimental.ode.odeint.

Values against scipy.integrate.solve_ivp (tight tolerances) and closed forms; gradients with
respect to y0, t and args (and closed-over values) against central finite differences; jit,
vmap and pytree states; JAX's odeint when installed (same algorithm: equal to rounding).
"""

from __future__ import annotations

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.experimental.ode import odeint


def oscillator(y, t, c, k):
    x, v = y[0], y[1]
    return fnp.stack([v, -k * x - c * v + 0.3 * fnp.cos(t)])


def oscillator_np(t, y, c, k):
    return [y[1], -k * y[0] - c * y[1] + 0.3 * np.cos(t)]


T = np.linspace(0.0, 4.0, 5)
Y0 = np.array([1.0, -0.5])
C, K = 0.3, 2.0


def test_values_match_scipy_solve_ivp():
    from scipy.integrate import solve_ivp

    got = odeint(oscillator, Y0, T, C, K, rtol=1e-10, atol=1e-10)
    want = solve_ivp(
        oscillator_np,
        (T[0], T[-1]),
        Y0,
        t_eval=T,
        args=(C, K),
        rtol=1e-12,
        atol=1e-12,
        method="DOP853",
    ).y.T
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-9)


def test_default_tolerances_and_closed_form():
    # y' = -y + t has y = t - 1 + 2 exp(-t) for y(0) = 1
    got = odeint(lambda y, t: -y + t, np.array(1.0), T)
    np.testing.assert_allclose(got, T - 1 + 2 * np.exp(-T), rtol=1e-7)
    assert got.shape == T.shape


def test_pytree_state_and_dtypes():
    def f(state, t):
        return {"x": state["v"], "v": -state["x"]}

    out = odeint(f, {"x": np.array([1.0, 0.0]), "v": np.array([0.0, 1.0])}, T)
    assert set(out) == {"x", "v"} and out["x"].shape == (5, 2)
    np.testing.assert_allclose(out["x"][:, 0], np.cos(T), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(out["x"][:, 1], np.sin(T), rtol=1e-6, atol=1e-8)


def _fd(fun, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[i] = eps
        out[i] = (fun(x + e) - fun(x - e)) / (2 * eps)
    return out


def _loss(y0, ts, c, k):
    ys = odeint(oscillator, y0, ts, c, k, rtol=1e-10, atol=1e-10)
    return fnp.sum(ys * ys * np.arange(1, 11).reshape(5, 2))


def test_gradients_match_finite_differences():
    grads = ft.grad(_loss, argnums=(0, 1, 2, 3))(Y0, T, C, K)
    fds = [
        _fd(lambda y: _loss(y, T, C, K), Y0),
        _fd(lambda ts: _loss(Y0, ts, C, K), T),
        _fd(lambda c: _loss(Y0, T, c, K), C),
        _fd(lambda k: _loss(Y0, T, C, k), K),
    ]
    for name, g, fd in zip(("y0", "t", "c", "k"), grads, fds, strict=True):
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6, err_msg=name)


def test_gradient_through_closed_over_value():
    def loss(rate):
        return odeint(lambda y, t: -rate * y, np.ones(2), T)[-1].sum()

    g = ft.grad(loss)(0.5)
    np.testing.assert_allclose(g, -2 * T[-1] * np.exp(-0.5 * T[-1]), rtol=1e-6)


def test_jit_and_vmap():
    def final(c):
        return odeint(oscillator, Y0, T, c, K)[-1]

    eager = final(C)
    np.testing.assert_allclose(ft.jit(final)(C), eager, rtol=1e-12)
    batched = ft.vmap(final)(np.array([C, 0.5]))
    np.testing.assert_allclose(batched[0], eager, rtol=1e-12)
    np.testing.assert_allclose(batched[1], final(0.5), rtol=1e-12)
    g = ft.grad(lambda c: final(c)[0])
    np.testing.assert_allclose(ft.jit(g)(C), g(C), rtol=1e-10)


def test_hmax_and_mxstep():
    # a tiny mxstep stops the integration early: the output differs from the converged one
    full = odeint(oscillator, Y0, T, C, K)
    capped = odeint(oscillator, Y0, T, C, K, mxstep=2)
    assert not np.allclose(full, capped)
    np.testing.assert_allclose(
        odeint(oscillator, Y0, T, C, K, hmax=0.05), full, rtol=1e-6, atol=1e-7
    )


def test_errors():
    with pytest.raises(TypeError, match="t must be an array of floats"):
        odeint(oscillator, Y0, np.arange(3), C, K)
    with pytest.raises(TypeError, match="must be arrays or scalars"):
        odeint(oscillator, Y0, T, "c", K)
    with pytest.raises(ValueError, match="t must be 1-D"):
        odeint(oscillator, Y0, T.reshape(5, 1), C, K)


def test_matches_jax_odeint():
    jax = pytest.importorskip("jax")
    from jax.experimental.ode import odeint as jax_odeint

    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        import jax.numpy as jnp

        def jf(y, t, c, k):
            return jnp.stack([y[1], -k * y[0] - c * y[1] + 0.3 * jnp.cos(t)])

        want = np.asarray(jax_odeint(jf, jnp.asarray(Y0), jnp.asarray(T), C, K))
        np.testing.assert_allclose(odeint(oscillator, Y0, T, C, K), want, rtol=1e-12, atol=1e-14)

        def jloss(c):
            return jnp.sum(jax_odeint(jf, jnp.asarray(Y0), jnp.asarray(T), c, K)[-1])

        g = ft.grad(lambda c: fnp.sum(odeint(oscillator, Y0, T, c, K)[-1]))(C)
        np.testing.assert_allclose(g, float(jax.grad(jloss)(C)), rtol=1e-10)
    finally:
        jax.config.update("jax_enable_x64", previous)
