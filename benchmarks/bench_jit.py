"""jit benchmarks against their performance targets, side by side in one run: a large elementwise
expression (W1), its gradient (W2), a whole MLP training step (W3), a 50-op function on tiny
arrays, and trace + compile time.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_jit.py``
(``--quick`` shrinks every size for a smoke run of a few seconds; its numbers mean nothing).

Everything runs on one thread: the harness sets OMP/OPENBLAS/MKL/NUMEXPR/XLA thread variables
before NumPy is imported and pins the process to one CPU; PyTorch and numexpr are also set to
one thread here. JAX runs with ``jax_enable_x64`` (W1, W2 and the tracing rows are float64; W3
is float32 with explicitly float32 arrays). Every library's answer is checked against a NumPy
reference before it is timed, and ftrans's after its native compile, if any, has finished (under
``"auto"`` the first calls run the NumPy code while numba compiles in the background: ``settled``
waits, and each table says which code ran). Times are medians of repeats after warm-up (and
after the first, compiling call of every ``jit``); the rows of a table are timed round-robin
(``_harness.interleaved_samples``). Ratios and targets use medians; the "best" column (fastest
sample) shows how far a busy machine moved them. Ratios are ftrans / other: lower is better.
Nothing here asserts on a time: missed targets are printed, not raised.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import itertools
import os
import statistics
import time
from typing import NamedTuple

import _harness
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.interpreters.jit import compiled

_parser = argparse.ArgumentParser(description="ftrans jit benchmarks")
_parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
ARGS = _parser.parse_args()

W_N = 10**5 if ARGS.quick else 10**7  # W1 / W2 elements
CHUNK = 32768  # hand-fused NumPy: elements per chunk (256 KiB of float64 per scratch buffer)
MLP_SIZES = (784, 512, 512, 10)
BATCH = 128
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8
SMALL_SHAPE = (8,)
TRACE_SIZES = (250, 500) if ARGS.quick else (250, 500, 1000, 2000)
TRACE_BAR_N = 1000  # the compile-time bar is set at this many equations
FIRST_CALL_REPEAT = 3 if ARGS.quick else 7
BIG_REPEAT = 3 if ARGS.quick else 9  # samples per row for the 10^7-element workloads

if hasattr(ft, "set_num_threads"):  # fused kernels may use a thread pool
    ft.set_num_threads(_harness.THREADS)
np_ne = _harness.optional("numexpr")
if np_ne is not None:
    np_ne.set_num_threads(_harness.THREADS)
torch = _harness.optional("torch")
if torch is not None:
    torch.set_num_threads(_harness.THREADS)
    torch.set_num_interop_threads(_harness.THREADS)
jax = _harness.optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
optax = _harness.optional("optax")
autograd = _harness.optional("autograd")
if autograd is not None:
    import autograd.numpy as anp


# --- reporting ---------------------------------------------------------------------------------


Bar = _harness.Bar
machine = _harness.machine
BARS: list[Bar] = []


fmt = _harness.fmt_time
Timing = _harness.Timing
timed = _harness.timed


def settled(jitted, *args) -> str:
    """Call ``jitted(*args)`` and wait until the code that runs it from now on is ready; say
    which (``explain()``'s backend line). Under ``"auto"`` the first calls run the NumPy code
    while numba compiles in a background thread: timing those would time the NumPy tier, and
    checking the first answer would check it, not the native code timed after."""
    jitted(*args)
    wait = getattr(compiled(jitted.lower(*args).closed), "wait", None)
    if wait is not None:
        wait()
    for line in (jitted.explain() or "").splitlines():
        if line.startswith("backend: "):
            return line[len("backend: ") :]
    return "NumPy code"


def print_backend(name, backend) -> None:
    print(f"\n{name} ran (after its native compile, if any, finished): {backend}")


def report(title, rows, ftrans_name, bars, *, per=None, note=None):
    """One table (see ``_harness.report``); ``per`` is a (header, fn(median seconds)) column."""
    extra = (per[0], lambda r: per[1](r.median)) if per else None
    BARS.extend(_harness.report(title, rows, ftrans_name, bars, note=note, extra=extra))


# --- W1: a large elementwise expression ---------------------------------------------------------


def w1(lib, x):
    return lib.sin(x) * lib.cos(x) + lib.exp(-x * x) * 0.5 - lib.tanh(x)


W1_TEXT = "sin(x)*cos(x) + exp(-x*x)*0.5 - tanh(x)"


def w1_chunked(x, out, scratch_a, scratch_b, chunk=CHUNK):
    """W1 by hand, fused: one pass over x in cache-sized chunks, two preallocated scratch
    buffers, every ufunc writing through ``out=`` (no temporaries, no allocation)."""
    for start in range(0, x.shape[0], chunk):
        stop = min(start + chunk, x.shape[0])
        xs, o = x[start:stop], out[start:stop]
        a, b = scratch_a[: stop - start], scratch_b[: stop - start]
        np.sin(xs, out=a)
        np.cos(xs, out=b)
        np.multiply(a, b, out=a)
        np.multiply(xs, xs, out=b)
        np.negative(b, out=b)
        np.exp(b, out=b)
        np.multiply(b, 0.5, out=b)
        np.add(a, b, out=a)
        np.tanh(xs, out=b)
        np.subtract(a, b, out=o)
    return out


def bench_w1(x):
    ref = w1(np, x)
    tol = dict(rtol=1e-10, atol=1e-12)
    cases = []

    def add(name, fn, check=True):
        if check:
            _harness.assert_tree_allclose(fn(), ref, what=name, **tol)
        cases.append((name, fn, BIG_REPEAT))

    out = np.empty_like(x)
    scratch = np.empty(CHUNK), np.empty(CHUNK)
    f_ft = ft.jit(lambda v: w1(fnp, v))
    backend = settled(f_ft, x)
    add("ftrans jit", lambda: f_ft(x))
    add("NumPy, plain expression", lambda: w1(np, x))
    add(
        f"NumPy, hand-fused ({CHUNK}-element chunks, out=)",
        lambda: w1_chunked(x, out, *scratch),
    )
    if np_ne is not None:
        add("numexpr (1 thread)", lambda: np_ne.evaluate(W1_TEXT, local_dict={"x": x}))
    if jax is not None:
        jx = jnp.asarray(x)
        f_jax = jax.jit(lambda v: w1(jnp, v))
        add("JAX jit (XLA, one fused loop)", lambda: f_jax(jx).block_until_ready())
    add("ftrans.numpy eager (no jit)", lambda: w1(fnp, x))
    add("copy floor: np.copyto(out, x)", lambda: np.copyto(out, x), check=False)
    rows = timed(cases, warmup=1)
    n = x.shape[0]
    report(
        f"W1. `{W1_TEXT}`, x float64[{n:.0e}]".replace("e+0", "e"),
        rows,
        "ftrans jit",
        {"NumPy, plain expression": ("W1 elementwise", 0.8, False)},
        per=("ns / element", lambda t: f"{t / n * 1e9:.2f}"),
    )
    print_backend("ftrans jit", backend)
    times = {r.name: r.median for r in rows}
    floor = times["copy floor: np.copyto(out, x)"]
    print(
        f"\nOne pass over memory (read 8 B + write 8 B per element) takes {fmt(floor)}; "
        f"plain NumPy makes 10 passes with temporaries, the hand-fused loop one."
    )
    return times


# --- W2: gradient of sum(W1) ------------------------------------------------------------------


def w1_derivative(x):
    """d/dx of W1 by hand: cos^2 - sin^2 - x exp(-x^2) - (1 - tanh^2)."""
    s, c, t = np.sin(x), np.cos(x), np.tanh(x)
    return c * c - s * s - x * np.exp(-x * x) - (1.0 - t * t)


def bench_w2(x):
    ref = w1_derivative(x)
    tol = dict(rtol=1e-9, atol=1e-11)
    cases = []

    def add(name, fn, repeat=BIG_REPEAT):
        _harness.assert_tree_allclose(fn(), ref, what=name, **tol)
        cases.append((name, fn, repeat))

    g_jit = ft.jit(ft.grad(lambda v: fnp.sum(w1(fnp, v))))
    backend = settled(g_jit, x)
    add("ftrans jit(grad(f))", lambda: g_jit(x))
    add("NumPy, hand-written derivative", lambda: w1_derivative(x))
    if jax is not None:
        jx = jnp.asarray(x)
        g_jax = jax.jit(jax.grad(lambda v: jnp.sum(w1(jnp, v))))
        add("JAX jit(grad(f))", lambda: g_jax(jx).block_until_ready())
    if autograd is not None:
        g_ag = autograd.grad(lambda v: anp.sum(w1(anp, v)))
        add("autograd grad(f)", lambda: g_ag(x), repeat=max(3, BIG_REPEAT // 2))
    g_eager = ft.grad(lambda v: fnp.sum(w1(fnp, v)))
    add("ftrans grad(f) eager (no jit)", lambda: g_eager(x), repeat=max(3, BIG_REPEAT // 2))
    rows = timed(cases, warmup=1)
    n = x.shape[0]
    report(
        f"W2. grad of sum(W1(x)), x float64[{n:.0e}]".replace("e+0", "e"),
        rows,
        "ftrans jit(grad(f))",
        {
            "JAX jit(grad(f))": ("W2 grad", 1.5, False),
            "autograd grad(f)": ("W2 grad", 0.3, False),
        },
        per=("ns / element", lambda t: f"{t / n * 1e9:.2f}"),
    )
    print_backend("ftrans jit(grad(f))", backend)
    return {r.name: r.median for r in rows}


# --- W3: a whole MLP training step ------------------------------------------------------------


class AdamState(NamedTuple):
    count: object  # float32 scalar: steps taken
    mu: dict
    nu: dict


def adam_init(params) -> AdamState:
    zeros = ft.tree.map(lambda p: np.zeros_like(p), params)
    return AdamState(np.zeros((), np.float32), zeros, ft.tree.map(np.copy, zeros))


def adam_update(grads, state: AdamState, params):
    """Adam (as in optax.adam / torch.optim.Adam) as a pure function of pytrees, in
    ftrans.numpy: returns the new params and state."""
    count = state.count + 1.0
    mu = ft.tree.map(lambda m, g: B1 * m + (1.0 - B1) * g, state.mu, grads)
    nu = ft.tree.map(lambda v, g: B2 * v + (1.0 - B2) * (g * g), state.nu, grads)
    c1 = 1.0 - fnp.power(np.float32(B1), count)
    c2 = 1.0 - fnp.power(np.float32(B2), count)
    new = ft.tree.map(lambda p, m, v: p - LR * (m / c1) / (fnp.sqrt(v / c2) + EPS), params, mu, nu)
    return new, AdamState(count, mu, nu)


def mlp_loss(lib, stop_gradient, params, x, y_onehot):
    """Softmax cross-entropy of a ReLU MLP, mean over the batch; same code for fnp and jnp."""
    h = x
    n_layers = len(MLP_SIZES) - 1
    for i in range(n_layers):
        h = h @ params[f"W{i}"] + params[f"b{i}"]
        if i < n_layers - 1:
            h = lib.maximum(h, 0.0)
    shifted = h - stop_gradient(lib.max(h, axis=1, keepdims=True))
    log_probs = shifted - lib.log(lib.sum(lib.exp(shifted), axis=1, keepdims=True))
    return -lib.sum(y_onehot * log_probs) / x.shape[0]


def numpy_step(params, state, x, y_onehot):
    """Forward, hand-written backward and Adam in NumPy (the reference; float32 in, out)."""
    n_layers = len(MLP_SIZES) - 1
    acts, h = [x], x
    for i in range(n_layers):
        h = h @ params[f"W{i}"] + params[f"b{i}"]
        if i < n_layers - 1:
            h = np.maximum(h, 0.0)
        acts.append(h)
    shifted = h - h.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = -np.sum(y_onehot * (shifted - np.log(s))) / x.shape[0]
    delta = (e / s - y_onehot) / np.float32(x.shape[0])
    grads = {}
    for i in reversed(range(n_layers)):
        grads[f"W{i}"] = acts[i].T @ delta
        grads[f"b{i}"] = delta.sum(axis=0)
        if i:
            delta = (delta @ params[f"W{i}"].T) * (acts[i] > 0)
    count, mu, nu = state
    count = count + np.float32(1)
    c1, c2 = 1 - np.float32(B1) ** count, 1 - np.float32(B2) ** count
    new_mu, new_nu, new_params = {}, {}, {}
    for k, g in grads.items():
        new_mu[k] = np.float32(B1) * mu[k] + np.float32(1 - B1) * g
        new_nu[k] = np.float32(B2) * nu[k] + np.float32(1 - B2) * (g * g)
        update = (new_mu[k] / c1) / (np.sqrt(new_nu[k] / c2) + np.float32(EPS))
        new_params[k] = params[k] - np.float32(LR) * update
    return new_params, AdamState(count, new_mu, new_nu), loss


def make_mlp(rng):
    params = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(MLP_SIZES)):
        params[f"W{i}"] = (rng.normal(size=(fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(
            np.float32
        )
        params[f"b{i}"] = (0.01 * rng.normal(size=fan_out)).astype(np.float32)
    x = rng.normal(size=(BATCH, MLP_SIZES[0])).astype(np.float32)
    labels = rng.integers(0, MLP_SIZES[-1], size=BATCH)
    y_onehot = np.eye(MLP_SIZES[-1], dtype=np.float32)[labels]
    return params, x, labels, y_onehot


def bench_w3():
    rng = np.random.default_rng(0)
    params, x, labels, y_onehot = make_mlp(rng)
    state = adam_init(params)
    ref_params, ref_state, ref_loss = numpy_step(params, state, x, y_onehot)
    cases = []

    def check(name, new_params, mu, nu, loss):
        """Adam's first step is ~lr * sign(g), so an element whose gradient is near zero flips
        with float32 rounding; check the moments (the gradients) against the reference, then
        each library's update against Adam's formula applied to its own moments."""
        for k in ref_params:
            got = {
                f: _harness.as_numpy(t[k]) for f, t in (("p", new_params), ("mu", mu), ("nu", nu))
            }
            for field, ref in (("mu", ref_state.mu[k]), ("nu", ref_state.nu[k])):
                assert got[field].dtype == np.float32, f"{name}: {field}[{k}] not float32"
                np.testing.assert_allclose(
                    got[field],
                    ref,
                    rtol=2e-4,
                    atol=1e-5 * np.abs(ref).max(),
                    err_msg=f"{name} Adam {field}[{k!r}] (the gradient) vs NumPy",
                )
            assert got["p"].dtype == np.float32, f"{name}: params[{k}] not float32"
            m_hat = got["mu"].astype(np.float64) / (1 - B1)
            v_hat = got["nu"].astype(np.float64) / (1 - B2)
            want = params[k] - LR * m_hat / (np.sqrt(v_hat) + EPS)
            np.testing.assert_allclose(
                got["p"], want, rtol=1e-6, atol=1e-7, err_msg=f"{name} params[{k!r}]"
            )
        np.testing.assert_allclose(_harness.as_numpy(loss), ref_loss, rtol=1e-5, err_msg=name)

    check("NumPy float32 (self-check)", ref_params, ref_state.mu, ref_state.nu, ref_loss)

    @ft.jit
    def ft_step(params, state, x, y_onehot):
        loss, grads = ft.value_and_grad(lambda p: mlp_loss(fnp, ft.stop_gradient, p, x, y_onehot))(
            params
        )
        new_params, new_state = adam_update(grads, state, params)
        return new_params, new_state, loss

    backend = settled(ft_step, params, state, x, y_onehot)
    p1, s1, loss = ft_step(params, state, x, y_onehot)  # the code timed below
    check("ftrans", p1, s1.mu, s1.nu, loss)
    cases.append(("ftrans jit(step)", lambda: ft_step(params, state, x, y_onehot)))

    cases.append(
        ("NumPy, hand-written backward + Adam", lambda: numpy_step(params, state, x, y_onehot))
    )

    if jax is not None and optax is not None:
        optimizer = optax.adam(LR, b1=B1, b2=B2, eps=EPS)

        @jax.jit
        def jax_step(params, opt_state, x, y_onehot):
            loss, grads = jax.value_and_grad(
                lambda p: mlp_loss(jnp, jax.lax.stop_gradient, p, x, y_onehot)
            )(params)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss

        jp = {k: jnp.asarray(v) for k, v in params.items()}
        jx, jy = jnp.asarray(x), jnp.asarray(y_onehot)
        j_state = optimizer.init(jp)
        p1, s1, loss = jax_step(jp, j_state, jx, jy)
        check("JAX + optax", p1, s1[0].mu, s1[0].nu, loss)
        cases.append(
            (
                "JAX jit(step) + optax.adam",
                lambda: jax.block_until_ready(jax_step(jp, j_state, jx, jy)),
            )
        )

    if torch is not None:
        tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        opt = torch.optim.Adam(tparams.values(), lr=LR, betas=(B1, B2), eps=EPS)
        tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)

        def torch_step():
            opt.zero_grad(set_to_none=True)
            h = tx
            n_layers = len(MLP_SIZES) - 1
            for i in range(n_layers):
                h = h @ tparams[f"W{i}"] + tparams[f"b{i}"]
                if i < n_layers - 1:
                    h = torch.relu(h)
            loss = torch.nn.functional.cross_entropy(h, tlabels)
            loss.backward()
            opt.step()
            return loss

        loss = torch_step()
        moments = [opt.state[p] for p in tparams.values()]
        mu = {k: m["exp_avg"] for k, m in zip(tparams, moments, strict=True)}
        nu = {k: m["exp_avg_sq"] for k, m in zip(tparams, moments, strict=True)}
        check("PyTorch", tparams, mu, nu, loss)
        cases.append(("PyTorch eager + torch.optim.Adam", torch_step))

    rows = timed(cases)
    report(
        f"W3. MLP {'-'.join(map(str, MLP_SIZES))} (ReLU) training step: softmax cross-entropy, "
        f"batch {BATCH}, float32, Adam lr {LR:g}",
        rows,
        "ftrans jit(step)",
        {
            "JAX jit(step) + optax.adam": ("W3 MLP step", 1.3, False),
            "PyTorch eager + torch.optim.Adam": ("W3 MLP step", 1.0, True),
        },
        note=(
            "One step from the same init and batch was checked for every library: loss (rtol\n"
            "1e-5) and Adam moments (i.e. the gradients; rtol 2e-4) against the NumPy float32\n"
            "reference, and the updated float32 params against Adam's formula on those moments\n"
            "(rtol 1e-6). The PyTorch row mutates its parameters each call (as a training loop\n"
            "does); the others are pure functions called on the same inputs. torch.optim.Adam\n"
            "runs its default (single-tensor, CPU) implementation."
        ),
    )
    print_backend("ftrans jit(step)", backend)
    return {r.name: r.median for r in rows}


# --- small arrays: a 50-op function on shape (8,) ---------------------------------------------


def fifty_ops(lib, x):
    """50 elementwise calls, no two alike (nothing for CSE to remove)."""
    for _ in range(5):
        x = lib.sin(x)
        x = lib.multiply(x, 1.01)
        x = lib.cos(x)
        x = lib.add(x, 0.1)
        x = lib.tanh(x)
        x = lib.multiply(x, x)
        x = lib.exp(x)
        x = lib.subtract(x, 0.5)
        x = lib.negative(x)
        x = lib.maximum(x, -0.9)
    return x


def bench_small():
    x = np.linspace(0.1, 0.9, SMALL_SHAPE[0])
    ref = fifty_ops(np, x)
    f_ft = ft.jit(lambda v: fifty_ops(fnp, v))
    backend = settled(f_ft, x)
    assert len(ft.make_jaxpr(lambda v: fifty_ops(fnp, v))(x).eqns) == 50
    cases = []

    def add(name, fn):
        _harness.assert_tree_allclose(fn(), ref, what=name, rtol=1e-13)
        cases.append((name, fn, 60))

    add("ftrans jit", lambda: f_ft(x))
    add("NumPy, the 50 functions called directly", lambda: fifty_ops(np, x))
    add("ftrans.numpy eager (no jit)", lambda: fifty_ops(fnp, x))
    if jax is not None:
        jx = jnp.asarray(x)
        f_jax = jax.jit(lambda v: fifty_ops(jnp, v))
        add("JAX jit", lambda: f_jax(jx).block_until_ready())
    rows = timed(cases, rounds=5)
    report(
        f"Small arrays: a jitted 50-op elementwise function on shape {SMALL_SHAPE}, float64",
        rows,
        "ftrans jit",
        {"NumPy, the 50 functions called directly": ("small arrays, 50 ops", 1.0, False)},
        per=("µs / op", lambda t: f"{t / 50 * 1e6:.3f}"),
    )
    print_backend("ftrans jit", backend)
    t = {r.name: r.median for r in rows}
    print(
        f"\nPer call, ftrans jit spends {(t['ftrans jit'] - t[rows[1].name]) * 1e6:+.2f} µs "
        "more than the direct NumPy calls."
    )
    return t


# --- trace + compile time ---------------------------------------------------------------------


def chain(lib, x, n):
    """n elementwise equations: (sin, *1.5, cos, +0.1) repeated, cut off after the n-th."""
    for _ in range(n // 4):
        x = lib.sin(x)
        x = lib.multiply(x, 1.5)
        x = lib.cos(x)
        x = lib.add(x, 0.1)
    for op in (lib.sin, lambda v: lib.multiply(v, 1.5), lib.cos)[: n % 4]:
        x = op(x)
    return x


def first_call(make_jitted, x, block=lambda y: y, *, pause_gc=False) -> float:
    """Seconds of the first call (trace + optimise + compile + run) of a fresh jit; with
    ``pause_gc``, Python's cyclic garbage collector is off during the call."""
    f = make_jitted()
    gc.collect()
    if pause_gc:
        gc.disable()
    try:
        start = time.perf_counter()
        block(f(x))
        return time.perf_counter() - start
    finally:
        gc.enable()


def bench_compile():
    x = np.linspace(0.1, 0.9, SMALL_SHAPE[0])
    makers = {}
    for n in TRACE_SIZES:
        makers[n] = lambda n=n: ft.jit(lambda v: chain(fnp, v, n))
        assert len(ft.make_jaxpr(lambda v, n=n: chain(fnp, v, n))(x).eqns) == n
        got = makers[n]()(x)
        _harness.assert_tree_allclose(got, chain(np, x, n), rtol=1e-12, what=f"ftrans, {n} eqns")
    # sizes round-robin, so a busy spell of the machine does not land on one size only
    first = {n: [] for n in TRACE_SIZES}
    first_no_gc = {n: [] for n in TRACE_SIZES}
    tracing = {n: [] for n in TRACE_SIZES}
    for _ in range(FIRST_CALL_REPEAT):
        for n in TRACE_SIZES:
            first[n].append(first_call(makers[n], x))
            first_no_gc[n].append(first_call(makers[n], x, pause_gc=True))
            start = time.perf_counter()
            ft.make_jaxpr(lambda v, n=n: chain(fnp, v, n))(x)
            tracing[n].append(time.perf_counter() - start)
    rows, per_eqn, per_eqn_best = [], {}, {}
    for n in TRACE_SIZES:
        t_first, t_best = statistics.median(first[n]), min(first[n])
        per_eqn[n], per_eqn_best[n] = t_first / n, t_best / n
        f = makers[n]()
        f(x)
        jit_row, np_row = timed(
            [("ftrans", lambda f=f: f(x), 45), ("numpy", lambda n=n: chain(np, x, n), 45)],
            rounds=9,
        )
        row = [
            n,
            f"{t_first * 1e3:.1f}",
            f"{t_best * 1e3:.1f}",
            f"{statistics.median(first_no_gc[n]) * 1e3:.1f}",
            f"{statistics.median(tracing[n]) * 1e3:.1f}",
            f"{t_first / n * 1e6:.1f}",
        ]
        if n == TRACE_BAR_N:
            bar = Bar("trace + compile", f"first call at {n} eqns (s)", t_first, 0.2, False, t_best)
            BARS.append(bar)
            row.append(f"<= 0.2 s: {bar.status}")
        else:
            row.append("")
        bar = Bar(
            "steady state",
            f"jit vs eager NumPy, {n} eqns",
            jit_row.median / np_row.median,
            1.0,
            False,
            jit_row.best / np_row.best,
        )
        BARS.append(bar)
        row += [
            f"{jit_row.median * 1e6:.1f}",
            f"{np_row.median * 1e6:.1f}",
            f"{bar.ratio:.2f}x",
            bar.status,
        ]
        rows.append(row)
    print(
        f"\n## Trace + compile: first call of jit on an n-equation elementwise chain, "
        f"shape {SMALL_SHAPE} float64\n"
    )
    print(
        "First call = trace + IR passes + codegen + Python compile() + one run of a fresh jit;\n"
        f"{FIRST_CALL_REPEAT} samples per size, sizes taken round-robin. Steady state: jitted "
        "call vs the same\nfunction run eagerly in NumPy (medians of 45 samples in 9 rounds; "
        "target: never slower, <= 1.0).\n"
    )
    headers = [
        "equations",
        "first call ms (median)",
        "best ms",
        "median with gc paused",
        "of which tracing ms",
        "µs / eqn",
        "target",
        "jit call µs",
        "NumPy eager µs",
        "jit / NumPy",
        "target <= 1.0",
    ]
    print(_harness.table(headers, rows))
    smallest, largest = min(per_eqn), max(per_eqn)
    growth = per_eqn[largest] / per_eqn[smallest]
    bar = Bar(
        "trace + compile",
        f"µs/eqn at {largest} / at {smallest} (linear)",
        growth,
        1.5,
        False,
        per_eqn_best[largest] / per_eqn_best[smallest],
    )
    BARS.append(bar)
    print(
        f"\nGrowth: µs per equation (first call) at {largest} is {growth:.2f}x that at "
        f"{smallest} (counted linear if <= 1.5x): {bar.status}."
    )
    if jax is not None:
        n = TRACE_BAR_N if TRACE_BAR_N in TRACE_SIZES else max(TRACE_SIZES)
        jx = jnp.asarray(x)

        def fresh_jax():
            return jax.jit(lambda v: chain(jnp, v, n))

        _harness.assert_tree_allclose(fresh_jax()(jx), chain(np, x, n), rtol=1e-12, what="JAX")
        t_jax = statistics.median(
            first_call(fresh_jax, jx, block=lambda y: y.block_until_ready()) for _ in range(3)
        )
        f_jax = fresh_jax()
        f_jax(jx)
        t_jax_call = _harness.median_time(lambda: f_jax(jx).block_until_ready(), repeat=15)
        print(
            f"\nJAX jax.jit, {n} equations: first call (trace + lower + XLA compile + run) "
            f"{t_jax * 1e3:.1f} ms; steady-state call {t_jax_call * 1e6:.1f} µs."
        )


# --- main -------------------------------------------------------------------------------------


def versions() -> str:
    parts = [f"numpy {np.__version__}", f"ftrans {ft.__version__}"]
    for mod in (np_ne, autograd, torch, jax, optax):
        if mod is not None:
            parts.append(f"{mod.__name__} {importlib.metadata.version(mod.__name__)}")
    return "; ".join(parts)


def thread_settings() -> str:
    parts = []
    if hasattr(ft, "get_num_threads"):
        parts.append(f"ftrans threads={ft.get_num_threads()}")
    if np_ne is not None:
        parts.append(f"numexpr threads={np_ne.get_num_threads()}")
    if torch is not None:
        parts.append(
            f"torch threads={torch.get_num_threads()} interop={torch.get_num_interop_threads()}"
        )
    if jax is not None:
        parts.append(f"JAX devices={jax.devices()} x64={jax.config.jax_enable_x64}")
        parts.append(f"XLA_FLAGS='{os.environ.get('XLA_FLAGS', '')}'")
    return "; ".join(parts)


def main():
    print(
        "# ftrans jit benchmarks"
        + (" (--quick: smoke sizes, numbers meaningless)" if ARGS.quick else "")
    )
    print()
    print(_harness.thread_note())
    print(thread_settings())
    print(versions())
    print(f"{machine()}; load average at start {os.getloadavg()[0]:.2f}")
    print(
        "\nRatios are ftrans / other (lower is better). Every row's answer was checked against "
        "a NumPy reference\nbefore timing; times are medians after warm-up and compilation."
    )
    start = time.perf_counter()
    x = np.random.default_rng(0).uniform(-3.0, 3.0, W_N)
    bench_w1(x)
    bench_w2(x)
    del x
    bench_w3()
    bench_small()
    bench_compile()
    _harness.print_bars(BARS, start)


if __name__ == "__main__":
    main()
