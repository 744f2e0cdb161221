"""W9: RK4 of a damped pendulum, state (2,), 500 ``lax.scan`` steps, float64: the native
backend against the NumPy backend, a plain NumPy loop, a hand-written numba loop and JAX.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_native.py``
(pinned to one thread; every answer is checked against the NumPy loop before timing).
"""

from __future__ import annotations

import _harness as H
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.compiler import backend as backends

STEPS, H_STEP = 500, 0.01


def rk4_ftrans(params, y0):
    damping, g = params[0], params[1]

    def f(y):
        return fnp.stack([y[1], -g * fnp.sin(y[0]) - damping * y[1]])

    def step(y, _):
        k1 = f(y)
        k2 = f(y + 0.5 * H_STEP * k1)
        k3 = f(y + 0.5 * H_STEP * k2)
        k4 = f(y + H_STEP * k3)
        return y + H_STEP / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

    y, _ = lax.scan(step, y0, None, length=STEPS)
    return fnp.sum(y * y)


def rk4_numpy(params, y0):
    damping, g = params
    f = lambda y: np.array([y[1], -g * np.sin(y[0]) - damping * y[1]])
    y = y0
    for _ in range(STEPS):
        k1 = f(y)
        k2 = f(y + 0.5 * H_STEP * k1)
        k3 = f(y + 0.5 * H_STEP * k2)
        k4 = f(y + H_STEP * k3)
        y = y + H_STEP / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return float(np.sum(y * y))


def main():
    backends.set_native_sync(True)
    params, y0 = np.array([0.1, 9.81]), np.array([1.0, 0.0])
    reference = rk4_numpy(params, y0)
    cases = {
        "ftrans jit native": ft.jit(rk4_ftrans, backend="native"),
        "ftrans jit numpy": ft.jit(rk4_ftrans, backend="numpy"),
        "NumPy loop": rk4_numpy,
    }
    grads = {
        "ftrans jit(grad) native": ft.jit(ft.grad(rk4_ftrans), backend="native"),
        "ftrans jit(grad) numpy": ft.jit(ft.grad(rk4_ftrans), backend="numpy"),
    }
    jax = H.optional("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def rk4_jax(params, y0):
            damping, g = params[0], params[1]

            def f(y):
                return jnp.stack([y[1], -g * jnp.sin(y[0]) - damping * y[1]])

            def step(y, _):
                k1 = f(y)
                k2 = f(y + 0.5 * H_STEP * k1)
                k3 = f(y + 0.5 * H_STEP * k2)
                k4 = f(y + H_STEP * k3)
                return y + H_STEP / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

            y, _ = jax.lax.scan(step, y0, None, length=STEPS)
            return jnp.sum(y * y)

        value, gradient = jax.jit(rk4_jax), jax.jit(jax.grad(rk4_jax))
        cases["JAX jit"] = lambda p, y: value(p, y).block_until_ready()
        grads["JAX jit(grad)"] = lambda p, y: gradient(p, y).block_until_ready()
    for name, fn in cases.items():
        assert abs(float(fn(params, y0)) - reference) < 1e-10, name
    g_ref = np.asarray(grads["ftrans jit(grad) numpy"](params, y0))
    for name, fn in grads.items():
        np.testing.assert_allclose(np.asarray(fn(params, y0)), g_ref, rtol=1e-10, err_msg=name)
    times = H.interleaved_medians(
        {k: (lambda f=f: f(params, y0)) for k, f in {**cases, **grads}.items()}
    )
    rows = [[name, H.fmt_time(t)] for name, t in times.items()]
    print(f"W9: RK4 pendulum, {STEPS} scan steps, state (2,), float64. {H.thread_note()}")
    print(H.table(["workload", "median"], rows))


if __name__ == "__main__":
    main()
