"""The native backend (numba) on loops over small states, against the NumPy backend and JAX.

Workloads (float64, one core): W9, RK4 of a damped pendulum, state (2,), 500 ``lax.scan``
steps; a Lorenz-63 RK4 of 10,000 steps; an HMC leapfrog of 20 steps on a 10-d Gaussian target
inside ``fori_loop`` (the gradient of the log density inside the loop); an RNN of hidden size
16 over 200 steps with ``scan`` (loss and its gradient); the call overhead on a tiny array; the
first call of a 1000-equation program (tiered: the NumPy code runs it) and how soon a warm
disk cache makes native code available in a fresh process.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_native.py``
(pinned to one core; every answer is checked against the NumPy backend before timing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import _harness as H
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.compiler import backend as backends

STEPS, H_STEP = 500, 0.01
LORENZ_STEPS, LORENZ_H = 10_000, 0.001
HMC_STEPS, HMC_EPS, HMC_DIM = 20, 0.05, 10
RNN_STEPS, RNN_HIDDEN, RNN_IN = 200, 16, 4


def pendulum(np_, scan):
    def rk4(params, y0):
        damping, g = params[0], params[1]

        def f(y):
            return np_.stack([y[1], -g * np_.sin(y[0]) - damping * y[1]])

        def step(y, _):
            k1 = f(y)
            k2 = f(y + 0.5 * H_STEP * k1)
            k3 = f(y + 0.5 * H_STEP * k2)
            k4 = f(y + H_STEP * k3)
            return y + H_STEP / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

        y, _ = scan(step, y0, None, length=STEPS)
        return np_.sum(y * y)

    return rk4


def lorenz(np_, scan):
    def rk4(params, y0):
        sigma, rho, beta = params[0], params[1], params[2]

        def f(y):
            x, v, z = y[0], y[1], y[2]
            return np_.stack([sigma * (v - x), x * (rho - z) - v, x * v - beta * z])

        def step(y, _):
            k1 = f(y)
            k2 = f(y + 0.5 * LORENZ_H * k1)
            k3 = f(y + 0.5 * LORENZ_H * k2)
            k4 = f(y + LORENZ_H * k3)
            return y + LORENZ_H / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

        y, _ = scan(step, y0, None, length=LORENZ_STEPS)
        return np_.sum(y)

    return rk4


def leapfrog(np_, grad, fori_loop):
    def run(precision, q0, p0):
        def potential(q):
            return 0.5 * np_.dot(q, np_.dot(precision, q))

        def step(_, state):
            q, p = state
            p = p - 0.5 * HMC_EPS * grad(potential)(q)
            q = q + HMC_EPS * p
            p = p - 0.5 * HMC_EPS * grad(potential)(q)
            return q, p

        q, p = fori_loop(0, HMC_STEPS, step, (q0, p0))
        return potential(q) + 0.5 * np_.dot(p, p)  # the Hamiltonian after the trajectory

    return run


def rnn(np_, scan):
    def loss(params, xs):
        w, u, b = params

        def step(h, x):
            h = np_.tanh(np_.dot(w, h) + np_.dot(u, x) + b)
            return h, np_.sum(h)

        h, ys = scan(step, np_.zeros(RNN_HIDDEN), xs)
        return np_.sum(ys) + np_.sum(h * h)

    return loss


def _check(name, got, want, rtol=1e-9):
    H.assert_tree_allclose(got, want, rtol=rtol, atol=1e-12, what=name)


def main():
    backends.set_native_sync(True)
    rng = np.random.default_rng(0)
    jax = H.optional("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

    workloads = []  # (title, args, ftrans fn, jax fn or None, also time the NumPy backend?)
    p_pend, y_pend = np.array([0.1, 9.81]), np.array([1.0, 0.0])
    f = pendulum(fnp, lax.scan)
    workloads.append(("W9 pendulum RK4, 500 steps: value", (p_pend, y_pend), f, "pend", True))
    workloads.append(("W9 pendulum RK4: grad", (p_pend, y_pend), ft.grad(f), "pend_g", True))
    p_lor, y_lor = np.array([10.0, 28.0, 8.0 / 3.0]), np.array([1.0, 1.0, 1.0])
    f = lorenz(fnp, lax.scan)
    workloads.append(("Lorenz RK4, 10,000 steps: value", (p_lor, y_lor), f, "lor", False))
    workloads.append(("Lorenz RK4: grad", (p_lor, y_lor), ft.grad(f), "lor_g", False))
    a = rng.standard_normal((HMC_DIM, HMC_DIM))
    precision = a @ a.T / HMC_DIM + np.eye(HMC_DIM)
    q0, p0 = rng.standard_normal(HMC_DIM), rng.standard_normal(HMC_DIM)
    f = leapfrog(fnp, ft.grad, lax.fori_loop)
    workloads.append(("HMC leapfrog, 20 steps, 10-d", (precision, q0, p0), f, "hmc", False))
    params = (
        rng.standard_normal((RNN_HIDDEN, RNN_HIDDEN)) / 4,
        rng.standard_normal((RNN_HIDDEN, RNN_IN)) / 2,
        rng.standard_normal(RNN_HIDDEN) / 10,
    )
    xs = rng.standard_normal((RNN_STEPS, RNN_IN))
    f = rnn(fnp, lax.scan)
    workloads.append(("RNN h=16, 200 steps: loss", (params, xs), f, "rnn", False))
    workloads.append(("RNN: grad wrt weights", (params, xs), ft.grad(f), "rnn_g", False))

    jax_fns = {}
    if jax is not None:
        jp, jl = pendulum(jnp, jax.lax.scan), lorenz(jnp, jax.lax.scan)
        jr = rnn(jnp, jax.lax.scan)
        for key, fn in {
            "pend": jp,
            "pend_g": jax.grad(jp),
            "lor": jl,
            "lor_g": jax.grad(jl),
            "hmc": leapfrog(jnp, jax.grad, jax.lax.fori_loop),
            "rnn": jr,
            "rnn_g": jax.grad(jr),
        }.items():
            jitted = jax.jit(fn)
            jax_fns[key] = lambda *a, j=jitted: jax.block_until_ready(j(*a))

    rows = []
    for title, args, fn, key, with_numpy in workloads:
        native = ft.jit(fn, backend="native")
        reference = ft.jit(fn, backend="numpy")(*args)
        start = time.perf_counter()
        _check(title + " native", native(*args), reference)
        compile_s = time.perf_counter() - start
        cases = [("native", lambda n=native, a=args: n(*a))]
        if with_numpy:
            numpy_fn = ft.jit(fn, backend="numpy")
            cases.append(("numpy", lambda n=numpy_fn, a=args: n(*a), 6))
        if key in jax_fns:
            _check(title + " JAX", jax_fns[key](*args), reference)
            cases.append(("JAX", lambda j=jax_fns[key], a=args: j(*a)))
        t = {r.name: r.median for r in H.timed(cases)}
        rows.append(
            [
                title,
                H.fmt_time(t["native"]),
                H.fmt_time(t["numpy"]) if "numpy" in t else "-",
                H.fmt_time(t["JAX"]) if "JAX" in t else "-",
                H.ratio(t["native"], t.get("JAX", 0)),
                f"{compile_s:.2f} s",
            ]
        )
    print(f"\n## Native backend: loops over small states (float64). {H.thread_note()}\n")
    print(
        H.table(
            ["workload", "ftrans native", "ftrans numpy", "JAX jit", "native / JAX", "first call"],
            rows,
        )
    )
    overhead_and_first_call()


def overhead_and_first_call():
    """Call overhead on a tiny array, and the first call of a 1000-equation program."""
    x = np.ones(3)
    tiny = ft.jit(lambda v: v * 2.0 + 1.0, backend="native")
    tiny(x)
    t_native = H.median_time(lambda: tiny(x))
    tiny_np = ft.jit(lambda v: v * 2.0 + 1.0, backend="numpy")
    tiny_np(x)
    t_numpy = H.median_time(lambda: tiny_np(x))
    print("\n## Call overhead, `x * 2 + 1` on float64[3]\n")
    rows = [["ftrans native", H.fmt_time(t_native)], ["ftrans numpy", H.fmt_time(t_numpy)]]
    print(H.table(["backend", "median per call"], rows))
    code = (
        "import time, numpy as np, ftrans as ft, ftrans.numpy as fnp\n"
        "from ftrans.compiler import backend\n"
        "from ftrans.interpreters.jit import compiled\n"
        "def f(x):\n"
        "    for k in range(500):\n"
        "        x = fnp.sin(x) * 1.0001 + 0.001 * k\n"
        "    return x\n"
        "x = np.ones(4)\n"
        "g = ft.jit(f, backend='native')\n"
        "t0 = time.perf_counter(); g(x); first = time.perf_counter() - t0\n"
        "fn = compiled(g.lower(x).closed); t1 = time.perf_counter(); fn.wait()\n"
        "print(first, time.perf_counter() - t1, fn.reason)\n"
    )
    runs = []
    env = {**os.environ, "FTRANS_CACHE_DIR": tempfile.mkdtemp(prefix="ftrans-bench-cache-")}
    for _ in range(2):  # the second process finds the compiled code in the disk cache
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        first, ready, reason = out.stdout.split(maxsplit=2)
        runs.append((float(first), float(ready), reason.strip()))
    print("\n## A 1000-equation program (500 x `sin(x) * c + d`), tiered, fresh processes\n")
    rows = [
        [name, f"{first * 1e3:.1f} ms", f"{ready:.2f} s", reason]
        for name, (first, ready, reason) in zip(
            ["cold disk cache (first process)", "warm disk cache (second process)"], runs
        )
    ]
    print(H.table(["process", "first call", "native ready after", "backend"], rows))


if __name__ == "__main__":
    main()
