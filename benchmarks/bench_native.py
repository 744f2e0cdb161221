"""The native backend (numba) on loops over small states, against the NumPy backend and JAX.

Workloads (float64, one core): W9, RK4 of a damped pendulum, state (2,), 500 ``lax.scan``
steps; a Lorenz-63 RK4 of 10,000 steps; an HMC leapfrog of 20 steps on a 10-d Gaussian target
inside ``fori_loop`` (the gradient of the log density inside the loop); an RNN of hidden size
16 over 200 steps with ``scan`` (loss and its gradient); the call overhead on a tiny array; the
first call of a 1000-equation program (tiered: the NumPy code runs it) and how soon a warm
disk cache makes native code available in a fresh process.

And the issue's large-array bars, each under the NumPy backend, the native backend and JAX
``jit`` side by side, with the backend ``"auto"`` picks: W1 (bench_jit's fused elementwise
chain on 1e7 floats), once pinned to one core and once with 2 threads in an unpinned child
process (``FTRANS_BENCH_THREADS=2``, ``ft.set_num_threads(2)``: the native loop is a
``numba.prange``), W2 (its gradient), W3 (bench_jit's 784-512-512-10 MLP Adam step, float32, with
bench_jit's Adam in ftrans.numpy and with ``ftrans.optim.adam``; JAX runs optax.adam)
and bench_vmap's per-example gradients (vmap(grad), MLP 32-64-1, batch 256). The builders and
NumPy references are imported from bench_jit and bench_vmap. W3's floor follows: its eight
matrix products alone under NumPy, numba's ``np.dot`` and JAX, each against its own step.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_native.py``
(pinned to one core, except the 2-thread W1 child; every answer is checked before timing: the
small-state loops against the NumPy backend, the large-array workloads against the NumPy
references of bench_jit and bench_vmap).
"""

from __future__ import annotations

import itertools
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
from ftrans.compiler.native import tiering as backends
from ftrans.interpreters.jit import compiled

ft.set_num_threads(H.THREADS)  # native code uses prange only when this is above 1

STEPS, H_STEP = 500, 0.01
LORENZ_STEPS, LORENZ_H = 10_000, 0.001
HMC_STEPS, HMC_EPS, HMC_DIM = 20, 0.05, 10
RNN_STEPS, RNN_HIDDEN, RNN_IN = 200, 16, 4


def rk4_step(f, y, h):
    """One classical Runge-Kutta step of ``y' = f(y)`` with step ``h``."""
    k1 = f(y)
    k2 = f(y + 0.5 * h * k1)
    k3 = f(y + 0.5 * h * k2)
    k4 = f(y + h * k3)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def pendulum(np_, scan):
    def rk4(params, y0):
        damping, g = params[0], params[1]

        def f(y):
            return np_.stack([y[1], -g * np_.sin(y[0]) - damping * y[1]])

        y, _ = scan(lambda y, _: (rk4_step(f, y, H_STEP), None), y0, None, length=STEPS)
        return np_.sum(y * y)

    return rk4


def lorenz(np_, scan):
    def rk4(params, y0):
        sigma, rho, beta = params[0], params[1], params[2]

        def f(y):
            x, v, z = y[0], y[1], y[2]
            return np_.stack([sigma * (v - x), x * (rho - z) - v, x * v - beta * z])

        y, _ = scan(lambda y, _: (rk4_step(f, y, LORENZ_H), None), y0, None, length=LORENZ_STEPS)
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


# --- the large-array bars under both backends (builders from bench_jit/bench_vmap) -----

#: the issue's bars for these workloads: ftrans time / JAX jit time, at most this
LARGE_BARS = {
    "W1": 0.8,
    "W1, 2 threads": 0.5,
    "W2": 1.0,
    "W3": 1.0,
    "W3, optim.adam": 1.0,
    "per-example": 1.0,
}


def _auto_picks(fn, args) -> str:
    """Which backend ``jit(fn)``'s default ("auto") runs for ``args``."""
    from ftrans.interpreters.jit import compiled

    f = ft.jit(fn, backend="auto")
    f(*args)
    return "native" if isinstance(compiled(f.lower(*args).closed), backends.Tiered) else "numpy"


def _both_backends(fn, args, check, jax_fn=None, repeat=None):
    """Timing rows (ftrans numpy, ftrans native, JAX jit) of ``fn(*args)``, every answer
    checked by ``check(name, result)`` first; and which backend "auto" picks."""
    cases = []
    for backend in ("numpy", "native"):
        f = ft.jit(fn, backend=backend)
        check(f"ftrans {backend}", f(*args))
        cases.append((f"ftrans {backend}", lambda f=f: f(*args)) + ((repeat,) if repeat else ()))
    if jax_fn is not None:
        check("JAX jit", jax_fn())
        cases.append(("JAX jit", jax_fn) + ((repeat,) if repeat else ()))
    return H.timed(cases, warmup=1), _auto_picks(fn, args)


def w1_rows():
    """W1 (bench_jit's elementwise chain on 1e7 floats): rows, the auto choice."""
    import bench_jit as BJ

    x = np.random.default_rng(0).uniform(-3.0, 3.0, BJ.W_N)
    ref = BJ.w1(np, x)

    def check(name, got):
        H.assert_tree_allclose(got, ref, rtol=1e-10, atol=1e-12, what=f"W1 {name}")

    jax_fn = None
    if BJ.jax is not None:
        jx, jf = BJ.jnp.asarray(x), BJ.jax.jit(lambda v: BJ.w1(BJ.jnp, v))
        jax_fn = lambda: jf(jx).block_until_ready()
    return _both_backends(lambda v: BJ.w1(fnp, v), (x,), check, jax_fn, BJ.BIG_REPEAT)


def w3_rows(optim: bool):
    """W3 (bench_jit's MLP training step) with bench_jit's Adam written in ftrans.numpy, or
    with ``ftrans.optim.adam``: rows and the auto choice; JAX runs optax.adam either way."""
    import bench_jit as BJ

    params, xb, _, y_onehot = BJ.make_mlp(np.random.default_rng(0))
    _, ref_state, ref_loss = BJ.numpy_step(params, BJ.adam_init(params), xb, y_onehot)
    if optim:
        from ftrans import optim as fo

        opt = fo.adam(BJ.LR, b1=BJ.B1, b2=BJ.B2, eps=BJ.EPS)
        state = opt.init(params)

        def update(grads, state, params):
            updates, state = opt.update(grads, state, params)
            return fo.apply_updates(params, updates), state
    else:
        state, update = BJ.adam_init(params), BJ.adam_update

    def moments(state):
        """(mu, nu) of bench_jit's AdamState, or of a chain's (optax's or ftrans.optim's) first
        state, ScaleByAdamState."""
        adam = state if hasattr(state, "mu") else state[0]
        return adam.mu, adam.nu

    def step(params, state, x, y):
        loss, grads = ft.value_and_grad(lambda p: BJ.mlp_loss(fnp, ft.stop_gradient, p, x, y))(
            params
        )
        new_params, new_state = update(grads, state, params)
        return new_params, new_state, loss

    def check_w3(name, got):
        _, new_state, loss = got
        mu, nu = moments(new_state)
        for k in ref_state.mu:  # the moments carry the gradients (see bench_jit.bench_w3)
            for field, mine, want in (("mu", mu, ref_state.mu), ("nu", nu, ref_state.nu)):
                g = H.as_numpy(mine[k])
                assert g.dtype == np.float32, f"W3 {name}: {field}[{k}] is {g.dtype}"
                np.testing.assert_allclose(
                    g, want[k], rtol=2e-4, atol=1e-5 * np.abs(want[k]).max(), err_msg=name
                )
        np.testing.assert_allclose(H.as_numpy(loss), ref_loss, rtol=1e-5, err_msg=name)

    jax_fn = None
    if BJ.jax is not None and BJ.optax is not None:
        jax, jnp, optax = BJ.jax, BJ.jnp, BJ.optax
        jopt = optax.adam(BJ.LR, b1=BJ.B1, b2=BJ.B2, eps=BJ.EPS)

        @jax.jit
        def jax_step(params, opt_state, x, y):
            loss, grads = jax.value_and_grad(
                lambda p: BJ.mlp_loss(jnp, jax.lax.stop_gradient, p, x, y)
            )(params)
            updates, opt_state = jopt.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss

        jp = {k: jnp.asarray(v) for k, v in params.items()}
        jargs = (jp, jopt.init(jp), jnp.asarray(xb), jnp.asarray(y_onehot))

        def jax_fn():
            return jax.block_until_ready(jax_step(*jargs))

    return _both_backends(step, (params, state, xb, y_onehot), check_w3, jax_fn)


def large_rows():
    """(title, rows, auto choice, bar key) for W1, W2, W3 and per-example gradients."""
    import bench_jit as BJ
    import bench_vmap as BV

    size = f"{BJ.W_N:.0e}".replace("e+0", "e")
    out = [(f"W1 `{BJ.W1_TEXT}`, float64[{size}]", *w1_rows(), "W1")]

    x = np.random.default_rng(0).uniform(-3.0, 3.0, BJ.W_N)
    ref = BJ.w1_derivative(x)
    jax_fn = None
    if BJ.jax is not None:
        jx = BJ.jnp.asarray(x)
        jg = BJ.jax.jit(BJ.jax.grad(lambda v: BJ.jnp.sum(BJ.w1(BJ.jnp, v))))
        jax_fn = lambda: jg(jx).block_until_ready()

    def check_w2(name, got):
        H.assert_tree_allclose(got, ref, rtol=1e-9, atol=1e-11, what=f"W2 {name}")

    rows, auto = _both_backends(
        ft.grad(lambda v: fnp.sum(BJ.w1(fnp, v))), (x,), check_w2, jax_fn, BJ.BIG_REPEAT
    )
    out.append((f"W2 grad of sum(W1), float64[{size}]", rows, auto, "W2"))
    del x

    sizes = "-".join(map(str, BJ.MLP_SIZES))
    title = f"W3 MLP {sizes} Adam step, float32, batch {BJ.BATCH}"
    out.append((title + " (bench_jit's Adam)", *w3_rows(optim=False), "W3"))
    out.append((title + " (`ftrans.optim.adam`)", *w3_rows(optim=True), "W3, optim.adam"))

    params, xs, ys = BV.make_mlp(np.random.default_rng(0))
    ref = BV.numpy_per_example_grads(params, xs, ys)

    def check_pe(name, got):
        H.assert_tree_allclose(got, ref, what=f"per-example {name}", **BV.GRAD_TOL)

    per_example = ft.vmap(ft.grad(lambda p, x, y: BV.mlp_loss(fnp, p, x, y)), in_axes=(None, 0, 0))
    jax_fn = None
    if BV.jax is not None:
        jax, jnp = BV.jax, BV.jnp
        jv = jax.jit(jax.vmap(jax.grad(lambda p, x, y: BV.mlp_loss(jnp, p, x, y)), (None, 0, 0)))
        jargs = ({k: jnp.asarray(v) for k, v in params.items()}, jnp.asarray(xs), jnp.asarray(ys))
        jax_fn = lambda: jax.block_until_ready(jv(*jargs))
    rows, auto = _both_backends(per_example, (params, xs, ys), check_pe, jax_fn)
    title = f"per-example grads vmap(grad), MLP {BV.D_IN}-{BV.HIDDEN}-1, batch {BV.BATCH}"
    out.append((title, rows, auto, "per-example"))
    return out


def w3_products():
    """The matrix products of one W3 step alone (its floor), with the step's shapes, float32:
    forward ``h_i @ W_i``, backward ``h_i.T @ g_i`` and ``g_i @ W_i.T`` (not for the input).
    Returns timings for NumPy ``@``, ``ftrans.compiler.native.blas`` (NumPy's BLAS called
    from numba: what native code calls), numba's ``np.dot`` (SciPy's OpenBLAS: what native
    code calls without it) and one JAX ``jit`` of all of them, each checked against NumPy."""
    import bench_jit as BJ
    import numba

    rng = np.random.default_rng(0)
    sizes, batch = BJ.MLP_SIZES, BJ.BATCH
    f32 = lambda *shape: rng.normal(size=shape).astype(np.float32)
    ws = [f32(a, b) for a, b in itertools.pairwise(sizes)]
    hs = [f32(batch, a) for a in sizes[:-1]]  # each layer's input
    gs = [f32(batch, b) for b in sizes[1:]]  # each layer's output cotangent
    pairs = [(h, w) for h, w in zip(hs, ws)] + [(h.T, g) for h, g in zip(hs, gs)]
    pairs += [(g, w.T) for g, w in zip(gs[1:], ws[1:])]
    want = [a @ b for a, b in pairs]

    def check(name, got):
        for k, (g, w) in enumerate(zip(got, want)):
            np.testing.assert_allclose(
                H.as_numpy(g), w, rtol=1e-4, atol=1e-3, err_msg=f"{name} {k}"
            )

    dot = numba.njit(lambda a, b: np.dot(a, b))
    cases = [("NumPy `@`", lambda: [a @ b for a, b in pairs])]
    from ftrans.compiler.native import blas

    if blas.AVAILABLE:
        cases.append(("native code's BLAS call", lambda: [blas.gemm(a, b) for a, b in pairs]))
    cases.append(("numba `np.dot`", lambda: [dot(a, b) for a, b in pairs]))
    if BJ.jax is not None:
        jnp = BJ.jnp
        jpairs = [(jnp.asarray(np.ascontiguousarray(a)), jnp.asarray(np.ascontiguousarray(b)))
                  for a, b in pairs]  # fmt: skip
        jf = BJ.jax.jit(lambda ps: [a @ b for a, b in ps])
        cases.append(("JAX jit", lambda: BJ.jax.block_until_ready(jf(jpairs))))
    for name, fn in cases:
        check(name, fn())
    return len(pairs), H.timed(cases, warmup=2)


def w1_two_threads():
    """W1 in a child process with 2 threads (not pinned): rows as (name, median, best)."""
    env = dict(os.environ, FTRANS_BENCH_THREADS="2", FTRANS_NATIVE_CHILD="w1")
    for var in ("XLA_FLAGS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(var, None)  # the child's harness sets them for 2 threads
    argv = [sys.executable, os.path.abspath(__file__)]
    if hasattr(os, "sched_setaffinity"):  # this process is pinned; the child must not be
        unpin = (
            "import os, sys; os.sched_setaffinity(0, set(range(os.cpu_count() or 1))); "
            "os.execv(sys.executable, [sys.executable] + sys.argv[1:])"
        )
        argv = [sys.executable, "-c", unpin, *argv[1:]]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the 2-thread W1 child failed:\n{proc.stderr[-3000:]}")
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    return [H.Timing(*r) for r in child["rows"]], child["auto"], child["note"]


def large_arrays() -> list:
    """The table of the issue's large-array bars; returns the judged bars: one per workload,
    on the backend ``"auto"`` picks (the other backend's ratio is in the table)."""
    sections = large_rows()
    rows2, auto2, note2 = w1_two_threads()
    sections.insert(1, ("W1 again, 2 threads (child process)", rows2, auto2, "W1, 2 threads"))
    bars, table = [], []
    for title, rows, auto, key in sections:
        t = {r.name: r for r in rows}
        jax_t = t.get("JAX jit")
        line = [title, *(H.fmt_time(t[n].median) for n in ("ftrans numpy", "ftrans native"))]
        line.append(H.fmt_time(jax_t.median) if jax_t else "-")
        for backend in ("numpy", "native"):
            mine = t[f"ftrans {backend}"]
            line.append(H.ratio(mine.median, jax_t.median) if jax_t else "-")
            if jax_t is not None and backend == auto:  # the bar is on what ftrans runs
                bars.append(
                    H.Bar(
                        key,
                        f"ftrans {backend} (auto picks it) vs JAX",
                        mine.median / jax_t.median,
                        LARGE_BARS[key],
                        False,
                        mine.best / jax_t.best,
                    )
                )
        table.append([*line, auto, f"<= {LARGE_BARS[key]:g}"])
    headers = ["workload", "ftrans numpy", "ftrans native", "JAX jit", "numpy / JAX"]
    headers += ["native / JAX", '"auto" picks', "target (x JAX)"]
    print(f"\n## Large arrays: the targets under both backends. {H.thread_note()}\n")
    print(f"The 2-thread row ran in a child process: {note2}.\n")
    print(H.table(headers, table))

    n, floor = w3_products()
    w3 = next(rows for _, rows, _, key in sections if key == "W3")
    step = {r.name: r.median for r in w3}
    print(f"\n## W3's floor: its {n} matrix products alone, float32, the step's shapes\n")
    print(
        "Each library's products against its own W3 step (bench_jit's Adam): NumPy's against\n"
        "the NumPy backend's step; native code's call of NumPy's BLAS "
        "(`ftrans.compiler.native.blas`)\nagainst native code's; JAX's against JAX's. "
        "numba's `np.dot` (SciPy's OpenBLAS) is what\nnative code calls where NumPy's BLAS "
        "is not found. Checked against NumPy's products first.\n"
    )
    steps = {
        "NumPy `@`": "ftrans numpy",
        "native code's BLAS call": "ftrans native",
        "JAX jit": "JAX jit",
    }
    rows = []
    for r in floor:
        whole = step.get(steps.get(r.name))
        share = f"{r.median / whole:.0%}" if whole else "-"
        rows.append([r.name, H.fmt_time(r.median), H.fmt_time(whole) if whole else "-", share])
    print(H.table(["products by", "products", "the W3 step", "products / step"], rows))
    return bars


def w1_child():
    """The 2-thread child: W1 rows as JSON on the last line of stdout."""
    backends.set_native_sync(True)
    rows, auto = w1_rows()
    note = f"{H.thread_note()}; ftrans threads={ft.get_num_threads()}"
    print(json.dumps({"rows": [tuple(r) for r in rows], "auto": auto, "note": note}))


def main():
    start = time.perf_counter()
    print(
        f"# ftrans native backend benchmarks\n\n{H.machine()}; load average at start "
        f"{os.getloadavg()[0]:.2f}"
    )
    # from a worktree, run with PYTHONPATH=$PWD: an installed ftrans would be measured instead
    print(f"ftrans imported from {os.path.dirname(ft.__file__)}")
    backends.set_native_sync(True)
    bars = []
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
        timings = {r.name: r for r in H.timed(cases)}
        t = {name: r.median for name, r in timings.items()}
        if key in ("pend", "pend_g") and "JAX" in t:  # the issue: no slower than JAX
            r, j = timings["native"], timings["JAX"]
            bars.append(
                H.Bar(
                    title, "ftrans native vs JAX", r.median / j.median, 1.0, False, r.best / j.best
                )
            )
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
    bars += large_arrays()
    overhead_and_first_call()
    H.print_bars(bars, start)


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
    if os.environ.get("FTRANS_NATIVE_CHILD") == "w1":
        w1_child()
    else:
        main()
