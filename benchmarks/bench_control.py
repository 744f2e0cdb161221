"""Control-flow benchmarks (issue #7): ``jit(scan)`` of an RNN against the same loop unrolled
into straight-line jitted code, JAX ``jit(scan)`` and a NumPy loop; and ``checkpoint`` on a
50-layer MLP: peak memory and time of ``grad`` with and without it.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_control.py``
(``--quick`` for a smoke run). Every library runs single-threaded (``_harness`` pins BLAS
threads and the CPU before NumPy loads); each answer is checked against NumPy before timing.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc

import _harness
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp

_parser = argparse.ArgumentParser(description="ftrans control-flow benchmarks")
_parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
ARGS = _parser.parse_args()

STEPS = 50 if ARGS.quick else 1000
HIDDEN, BATCH, INPUT = 128, 32, 32
LAYERS, WIDTH, MLP_BATCH = 50, 128, 1024
BLOCK = 7  # layers per checkpointed block (about sqrt(50))

ft.set_num_threads(_harness.THREADS)
jax = _harness.optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

BARS: list[_harness.Bar] = []


# --- RNN: jit(scan) vs unrolled -----------------------------------------------------------------


def rnn_params(rng):
    return {
        "w": rng.normal(size=(HIDDEN, HIDDEN)) / np.sqrt(HIDDEN),
        "u": rng.normal(size=(INPUT, HIDDEN)) / np.sqrt(INPUT),
        "b": rng.normal(size=HIDDEN) * 0.1,
    }


def rnn_scan(params, h0, xs):
    def cell(h, x):
        h = fnp.tanh(h @ params["w"] + x @ params["u"] + params["b"])
        return h, h

    return ft.lax.scan(cell, h0, xs)


def rnn_unrolled(params, h0, xs):
    h, hs = h0, []
    for t in range(xs.shape[0]):
        h = fnp.tanh(h @ params["w"] + xs[t] @ params["u"] + params["b"])
        hs.append(h)
    return h, fnp.stack(hs)


def rnn_numpy(params, h0, xs):
    h, hs = h0, np.empty((xs.shape[0], *h0.shape))
    for t in range(xs.shape[0]):
        h = np.tanh(h @ params["w"] + xs[t] @ params["u"] + params["b"])
        hs[t] = h
    return h, hs


def rnn_loss(run):
    return lambda params, h0, xs: fnp.mean(run(params, h0, xs)[1] ** 2)


def bench_rnn():
    rng = np.random.default_rng(0)
    params = rnn_params(rng)
    h0 = np.zeros((BATCH, HIDDEN))
    xs = rng.normal(size=(STEPS, BATCH, INPUT))
    want = rnn_numpy(params, h0, xs)

    scan_fn = ft.jit(rnn_scan)
    start = time.perf_counter()
    unrolled_fn = ft.jit(rnn_unrolled)
    _harness.assert_tree_allclose(unrolled_fn(params, h0, xs), want, rtol=1e-9, atol=1e-12)
    unrolled_compile = time.perf_counter() - start
    _harness.assert_tree_allclose(scan_fn(params, h0, xs), want, rtol=1e-9, atol=1e-12)
    cases = [
        ("ftrans jit(scan)", lambda: scan_fn(params, h0, xs)),
        ("ftrans jit(unrolled)", lambda: unrolled_fn(params, h0, xs)),
        ("NumPy Python loop", lambda: rnn_numpy(params, h0, xs)),
    ]
    if jax is not None:

        @jax.jit
        def jax_scan(params, h0, xs):
            def cell(h, x):
                h = jnp.tanh(h @ params["w"] + x @ params["u"] + params["b"])
                return h, h

            return jax.lax.scan(cell, h0, xs)

        _harness.assert_tree_allclose(jax_scan(params, h0, xs), want, rtol=1e-9, atol=1e-12)
        cases.append(("JAX jit(scan)", lambda: jax.block_until_ready(jax_scan(params, h0, xs))))
    rows = _harness.timed(cases, repeat=12)
    BARS.extend(
        _harness.report(
            f"RNN forward, {STEPS} steps (hidden {HIDDEN}, batch {BATCH}, float64)",
            rows,
            "ftrans jit(scan)",
            {"ftrans jit(unrolled)": ("jit(scan) RNN", 1.5, False)},
            note=f"ftrans jit(unrolled) traced + compiled {STEPS} steps in "
            f"{unrolled_compile:.1f} s (first call); jit(scan) compiles one step.",
        )
    )

    # the gradient: a reverse scan against the unrolled program's backward pass
    g_scan = ft.jit(ft.grad(rnn_loss(rnn_scan)))
    g_unrolled = ft.jit(ft.grad(rnn_loss(rnn_unrolled)))
    _harness.assert_tree_allclose(
        g_scan(params, h0, xs), g_unrolled(params, h0, xs), rtol=1e-8, atol=1e-12
    )
    cases = [
        ("ftrans jit(grad(scan))", lambda: g_scan(params, h0, xs)),
        ("ftrans jit(grad(unrolled))", lambda: g_unrolled(params, h0, xs)),
    ]
    if jax is not None:

        def jax_loss(params, h0, xs):
            def cell(h, x):
                h = jnp.tanh(h @ params["w"] + x @ params["u"] + params["b"])
                return h, h

            return jnp.mean(jax.lax.scan(cell, h0, xs)[1] ** 2)

        jax_grad = jax.jit(jax.grad(jax_loss))
        _harness.assert_tree_allclose(
            jax_grad(params, h0, xs), g_unrolled(params, h0, xs), rtol=1e-8, atol=1e-12
        )
        cases.append(
            ("JAX jit(grad(scan))", lambda: jax.block_until_ready(jax_grad(params, h0, xs)))
        )
    rows = _harness.timed(cases, repeat=9)
    _harness.report(
        f"RNN gradient, {STEPS} steps (reported, no target)", rows, "ftrans jit(grad(scan))", {}
    )


# --- checkpoint: memory and time of grad on a deep MLP ------------------------------------------


def block(ws_block, h):
    for w in ws_block:
        h = fnp.tanh(h @ w)
    return h


checkpointed_block = ft.checkpoint(block)


def mlp_loss(ws, x, checkpoint_every=None):
    step = checkpoint_every or len(ws)
    run = checkpointed_block if checkpoint_every else block
    for i in range(0, len(ws), step):
        x = run(ws[i : i + step], x)
    return fnp.mean(x**2)


def numpy_grad(ws, x):
    hs = [x]
    for w in ws:
        hs.append(np.tanh(hs[-1] @ w))
    g = 2 * hs[-1] / hs[-1].size
    grads = [None] * len(ws)
    for i in reversed(range(len(ws))):
        g = g * (1 - hs[i + 1] ** 2)
        grads[i] = hs[i].T @ g
        g = g @ ws[i].T
    return grads


def peak_bytes(fn) -> int:
    """Peak bytes allocated (NumPy arrays included) while ``fn`` runs, above the start."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del result
    return peak


def bench_checkpoint():
    rng = np.random.default_rng(1)
    layers = 8 if ARGS.quick else LAYERS
    ws = [rng.normal(size=(WIDTH, WIDTH)) / np.sqrt(WIDTH) * 1.2 for _ in range(layers)]
    x = rng.normal(size=(MLP_BATCH, WIDTH))
    want = numpy_grad(ws, x)
    plain = ft.grad(mlp_loss)
    ck = ft.grad(lambda ws, x: mlp_loss(ws, x, BLOCK))
    _harness.assert_tree_allclose(plain(ws, x), want, rtol=1e-9, atol=1e-14)
    _harness.assert_tree_allclose(ck(ws, x), want, rtol=1e-9, atol=1e-14)
    mem_plain = min(peak_bytes(lambda: plain(ws, x)) for _ in range(3))
    mem_ck = min(peak_bytes(lambda: ck(ws, x)) for _ in range(3))
    saved_plain = sum(r.nbytes for r in ft.saved_residuals(mlp_loss, ws, x))
    saved_ck = sum(
        r.nbytes for r in ft.saved_residuals(lambda ws, x: mlp_loss(ws, x, BLOCK), ws, x)
    )
    rows = _harness.timed(
        [
            ("ftrans grad + checkpoint", lambda: ck(ws, x)),
            ("ftrans grad", lambda: plain(ws, x)),
            ("NumPy by hand", lambda: numpy_grad(ws, x)),
        ],
        repeat=9,
    )
    BARS.extend(
        _harness.report(
            f"grad of a {layers}-layer tanh MLP (width {WIDTH}, batch {MLP_BATCH}, float64), "
            f"checkpoint every {BLOCK} layers",
            rows,
            "ftrans grad + checkpoint",
            {"ftrans grad": ("checkpoint: compute", 1.5, False)},
        )
    )
    print(
        f"\nPeak memory of grad (tracemalloc, above the inputs): {mem_plain / 2**20:.1f} MiB "
        f"without checkpoint, {mem_ck / 2**20:.1f} MiB with it: "
        f"{mem_plain / mem_ck:.2f}x less. saved_residuals: {saved_plain / 2**20:.1f} MiB vs "
        f"{saved_ck / 2**20:.1f} MiB."
    )
    # memory bar: reduction >= 3x, expressed as checkpoint / plain <= 1/3
    BARS.append(
        _harness.Bar(
            "checkpoint: peak memory of grad",
            "with / without checkpoint",
            mem_ck / mem_plain,
            1 / 3,
        )
    )


def main():
    print("# ftrans control-flow benchmarks" + (" (--quick: smoke sizes)" if ARGS.quick else ""))
    print()
    print(_harness.thread_note())
    print(f"numpy {np.__version__}" + (f"; jax {jax.__version__}" if jax is not None else ""))
    print(f"{_harness.machine()}; load average at start {os.getloadavg()[0]:.2f}")
    start = time.perf_counter()
    bench_rnn()
    bench_checkpoint()
    _harness.print_bars(BARS, start)


if __name__ == "__main__":
    main()
