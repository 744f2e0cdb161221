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

import json
import os
import subprocess
import sys
import tempfile
import time
import typing

import _harness as H
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax
from ftrans.compiler import backend as backends
from ftrans.interpreters.jit import compiled

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


OVERHEAD_CASES = [  # (title, the function, which arguments)
    ("`x + 1.0`, one array", lambda x: x + 1.0, "x"),
    ("`x * y + 1.0`, two arrays", lambda x, y: x * y + 1.0, "xy"),
    ("`p['a'] * p['b'] + 1.0`, a dict of two", lambda p: p["a"] * p["b"] + 1.0, "p"),
    ("`x * s`, an array and a Python float", lambda x, s: x * s, "xs"),
    ("`s.a * s.b + 1.0`, a namedtuple of two", lambda s: s.a * s.b + 1.0, "nt"),
]


class Pair(typing.NamedTuple):  # an optimizer state's kind of argument
    a: typing.Any
    b: typing.Any


# The first call of a 1000-equation program in a fresh process: 500 x `sin(x) * c + d` on a
# float64[4] (1500 equations after tracing), timed from the call to its return; then how long
# until the native version runs (the disk cache cold, then warm in a second process).
FIRST_CALL = """
import json, sys, time
mode, lib = sys.argv[1], sys.argv[2]
import numpy as np
if lib == "jax":
    import jax, jax.numpy as np_
    jax.config.update("jax_enable_x64", True)
    run = jax.jit
else:
    import ftrans as ft, ftrans.numpy as np_
    from ftrans.interpreters.jit import compiled
    run = lambda f: ft.jit(f, backend=mode)
def f(x):
    for k in range(500):
        x = np_.sin(x) * 1.0001 + 0.001 * k
    return x
x = np.ones(4)
g = run(f)
t0 = time.perf_counter()
first = np.asarray(g(x))
first_s = time.perf_counter() - t0
t1 = time.perf_counter()
g(x)
second_s = time.perf_counter() - t1
ready_s, backend = first_s, mode
if lib == "ftrans":
    fn = compiled(g.lower(x).closed)
    if hasattr(fn, "wait"):
        fn.wait()
        g(x)  # the first native call
        ready_s, backend = time.perf_counter() - t0, fn.reason
want = np.ones(4)
for k in range(500):
    want = np.sin(want) * 1.0001 + 0.001 * k
assert np.allclose(first, want, rtol=1e-12, atol=0), (first, want)
print(json.dumps([first_s, second_s, ready_s, backend]))
"""


def overhead_and_first_call():
    """Steady-state call overhead on float64[3] (NumPy, native and auto backends, JAX), and
    the first call of a 1000-equation program in fresh processes."""
    jax = H.optional("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
    x, y = np.arange(3.0), np.full(3, 2.0)
    arguments = {"x": (x,), "xy": (x, y), "p": ({"a": x, "b": y},), "xs": (x, 3.0)}
    arguments["nt"] = (Pair(x, y),)
    backends.set_native_sync(False)  # as users run it: tiered, native once ready
    rows = []
    for title, fn, which in OVERHEAD_CASES:
        args = arguments[which]
        want = fn(*args)
        cases = [("NumPy itself", lambda f=fn, a=args: f(*a))]
        for backend in ("numpy", "native", "auto"):
            jf = ft.jit(fn, backend=backend)
            _check(f"{title} {backend}", jf(*args), want)
            tiered = compiled(jf.lower(*args).closed)
            if hasattr(tiered, "wait"):
                tiered.wait()  # steady state: the native code has taken over
            _check(f"{title} {backend}", jf(*args), want)
            cases.append((f"ftrans {backend}", lambda f=jf, a=args: f(*a)))
        if jax is not None:
            jj = jax.jit(fn)
            jargs = jax.tree.map(
                lambda v: jax.device_put(v) if isinstance(v, np.ndarray) else v, args
            )
            _check(f"{title} JAX", np.asarray(jj(*jargs)), want)
            cases.append(("JAX jit", lambda f=jj, a=jargs: f(*a).block_until_ready()))
        t = {r.name: r.median for r in H.timed(cases, repeat=30)}
        rows.append([title] + [H.fmt_time(t[c[0]]) if c[0] in t else "-" for c in cases])
        if jax is None:
            rows[-1].append("-")
    backends.set_native_sync(True)
    load = os.getloadavg()
    print(
        "\n## Call overhead: a jitted function on float64[3], steady state, median per call"
        f"\n\n{H.thread_note()}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. "
        "JAX: device arrays in, `block_until_ready()` on the result.\n"
    )
    headers = ["call", "NumPy itself", "ftrans numpy", "ftrans native", "ftrans auto", "JAX jit"]
    print(H.table(headers, rows))

    runs = {}
    env = {**os.environ, "FTRANS_CACHE_DIR": tempfile.mkdtemp(prefix="ftrans-bench-cache-")}
    order = [
        ("ftrans numpy", "numpy", "ftrans"),
        ("ftrans auto, cold disk cache", "auto", "ftrans"),
        ("ftrans auto, warm disk cache (a second process)", "auto", "ftrans"),
        ("ftrans native, warm disk cache", "native", "ftrans"),
    ]
    if jax is not None:
        order.append(("JAX jit", "-", "jax"))
    for name, mode, lib in order:
        out = subprocess.run(
            [sys.executable, "-c", FIRST_CALL, mode, lib],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        runs[name] = json.loads(out.stdout.strip().splitlines()[-1])
    load = os.getloadavg()
    print(
        "\n## First call of a 1000-equation program (500 x `sin(x) * c + d` on float64[4]), "
        f"fresh processes\n\nload average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        "'native from' is the time from the first call to the first call running native code.\n"
    )
    rows = [
        [
            name,
            f"{first * 1e3:.1f} ms",
            f"{second * 1e3:.2f} ms",
            "-" if lib == "jax" or mode == "numpy" else f"{ready:.2f} s",
            backend,
        ]
        for (name, mode, lib), (first, second, ready, backend) in zip(
            order, runs.values(), strict=True
        )
    ]
    print(H.table(["process", "first call", "second call", "native from", "runs"], rows))


if __name__ == "__main__":
    main()
