"""Convolution benchmarks against the issue's bars, side by side in one run.

1. ``lax.conv_general_dilated`` eagerly against a hand ``np.einsum`` over the windows
   (``sliding_window_view``, ``optimize=True``) and against ``scipy.signal.correlate`` (one call
   per (example, output feature), summing the input features through a 'valid' third axis);
   bar: ftrans within 1.5x of the faster of the two.
2. A small CNN's forward and backward pass (``value_and_grad`` of a cross-entropy loss, three
   convolutions, ReLUs, a mean pool and a dense layer) under ``jit``, ftrans against JAX;
   bar: within 1.5x.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_conv.py``
(``--quick``: small shapes, a smoke run whose numbers mean nothing).

Everything runs on one thread (``_harness`` sets the thread variables before NumPy is imported
and pins the process to one CPU). float32 throughout (what CNNs use; JAX's default). Every row's
answer is checked against the einsum reference (or ftrans's eager gradient) before it is timed;
times are medians after warm-up and after each jit's compiling call, rows timed round-robin.
Ratios are ftrans / other: lower is better. Missed bars are printed, not raised.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import time

import _harness
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax

_parser = argparse.ArgumentParser(description="ftrans convolution benchmarks")
_parser.add_argument("--quick", action="store_true", help="small shapes: a smoke run")
ARGS = _parser.parse_args()

BAR = 1.5
jax = _harness.optional("jax")
if jax is not None:
    import jax.numpy as jnp
scipy_signal = _harness.optional("scipy.signal")
if scipy_signal is not None:
    import scipy.signal as scipy_signal

BARS: list[_harness.Bar] = []
F32 = dict(rtol=2e-4, atol=2e-4)


def versions() -> str:
    found = []
    for name in ["numpy", "scipy", "jax", "jaxlib"]:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return "; ".join(found)


# ----------------------------------------------------------------------------- eager convolution


def einsum_conv(x, w, stride, pad):
    """NHWC x HWIO, by hand: pad, take every window as a view, contract with np.einsum."""
    (pt, pb), (pl, pr) = pad
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    kh, kw = w.shape[:2]
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("nhwcij,ijco->nhwo", win, w, optimize=True)


def scipy_conv(x, w, stride, pad):
    """One ``scipy.signal.correlate`` per (example, output feature): 'valid' over (H, W, C)
    sums the input features."""
    (pt, pb), (pl, pr) = pad
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    n, o = x.shape[0], w.shape[3]
    out = None
    for i in range(n):
        for j in range(o):
            y = scipy_signal.correlate(xp[i], w[..., j], mode="valid")[::stride, ::stride, 0]
            if out is None:
                out = np.empty((n, *y.shape, o), x.dtype)
            out[i, ..., j] = y
    return out


def bench_eager(label, shape, kernel, stride):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(kernel).astype(np.float32)
    pads = lax.padtype_to_pads(shape[1:3], kernel[:2], (stride, stride), "SAME")
    dn = ("NHWC", "HWIO", "NHWC")
    want = einsum_conv(x, w, stride, pads)
    cases = []

    def add(name, fn, repeat=24):
        _harness.assert_tree_allclose(fn(), want, what=name, **F32)
        cases.append((name, fn, repeat))

    add(
        "ftrans lax.conv_general_dilated",
        lambda: lax.conv_general_dilated(x, w, (stride, stride), "SAME", dimension_numbers=dn),
    )
    add("np.einsum on windows (optimize=True)", lambda: einsum_conv(x, w, stride, pads))
    if scipy_signal is not None:
        add("scipy.signal.correlate per (n, o)", lambda: scipy_conv(x, w, stride, pads), 6)
    if jax is not None:
        jx, jw = jnp.asarray(x), jnp.asarray(w)
        conv = jax.jit(
            lambda a, b: jax.lax.conv_general_dilated(
                a, b, (stride, stride), "SAME", dimension_numbers=dn
            )
        )
        add("JAX jit(conv_general_dilated) (for scale)", lambda: conv(jx, jw).block_until_ready())
    rows = _harness.timed(cases)
    # the bar is against the faster of the two NumPy/SciPy references
    refs = [r for r in rows if r.name.startswith(("np.einsum", "scipy"))]
    best = min(refs, key=lambda r: r.median).name
    title = f"eager conv, {label}: x float32{list(shape)} * w float32{list(kernel)}"
    BARS.extend(
        _harness.report(
            title,
            rows,
            "ftrans lax.conv_general_dilated",
            {best: (f"eager conv {label}", BAR, False)},
        )
    )


# ----------------------------------------------------------------------------- small CNN


def init_cnn(rng, channels):
    c1, c2, c3 = channels
    return {
        "w1": (rng.standard_normal((3, 3, 1, c1)) * 0.3).astype(np.float32),
        "w2": (rng.standard_normal((3, 3, c1, c2)) * 0.1).astype(np.float32),
        "w3": (rng.standard_normal((3, 3, c2, c3)) * 0.1).astype(np.float32),
        "dense": (rng.standard_normal((c3, 10)) * 0.1).astype(np.float32),
    }


def cnn_loss(lib, conv):
    dn = ("NHWC", "HWIO", "NHWC")

    def loss(params, x, labels):
        h = lib.maximum(conv(x, params["w1"], (1, 1), "SAME", dimension_numbers=dn), 0.0)
        h = lib.maximum(conv(h, params["w2"], (2, 2), "SAME", dimension_numbers=dn), 0.0)
        h = lib.maximum(conv(h, params["w3"], (2, 2), "SAME", dimension_numbers=dn), 0.0)
        logits = lib.mean(h, axis=(1, 2)) @ params["dense"]
        shifted = logits - lib.max(logits, axis=1, keepdims=True)
        logp = shifted - lib.log(lib.sum(lib.exp(shifted), axis=1, keepdims=True))
        return -lib.mean(lib.sum(logp * labels, axis=1))

    return loss


def bench_cnn(batch, size, channels):
    rng = np.random.default_rng(1)
    params = init_cnn(rng, channels)
    x = rng.standard_normal((batch, size, size, 1)).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    ft_step = ft.jit(ft.value_and_grad(cnn_loss(fnp, lax.conv_general_dilated)))
    want = ft.value_and_grad(cnn_loss(fnp, lax.conv_general_dilated))(params, x, labels)
    cases = []

    def add(name, fn):
        _harness.assert_tree_allclose(fn(), want, what=name, rtol=2e-3, atol=2e-5)
        cases.append((name, fn))

    add("ftrans jit(value_and_grad)", lambda: ft_step(params, x, labels))
    if jax is not None:
        jparams = jax.tree_util.tree_map(jnp.asarray, params)
        jx, jl = jnp.asarray(x), jnp.asarray(labels)
        jax_step = jax.jit(jax.value_and_grad(cnn_loss(jnp, jax.lax.conv_general_dilated)))
        add(
            "JAX jit(value_and_grad)",
            lambda: jax.block_until_ready(jax_step(jparams, jx, jl)),
        )
    rows = _harness.timed(cases)
    title = (
        f"small CNN forward+backward: batch {batch}, {size}x{size}x1 input, conv3x3 "
        f"{channels[0]}/{channels[1]}(s2)/{channels[2]}(s2) + ReLU, mean pool, dense 10"
    )
    bars = {"JAX jit(value_and_grad)": ("CNN fwd+bwd jit", BAR, False)} if jax else {}
    BARS.extend(_harness.report(title, rows, "ftrans jit(value_and_grad)", bars))


def main():
    print(
        "# ftrans convolution benchmarks"
        + (" (--quick: numbers meaningless)" if ARGS.quick else "")
    )
    print()
    print(_harness.thread_note())
    print(versions())
    print(f"{_harness.machine()}; load average at start {os.getloadavg()[0]:.2f}")
    print("\nRatios are ftrans / other (lower is better); every row was checked first.")
    start = time.perf_counter()
    if ARGS.quick:
        bench_eager("3x3 SAME", (2, 8, 8, 4), (3, 3, 4, 8), 1)
        bench_cnn(4, 12, (4, 8, 8))
    else:
        bench_eager("3x3 SAME stride 1", (8, 32, 32, 16), (3, 3, 16, 32), 1)
        bench_eager("3x3 SAME stride 2", (8, 32, 32, 32), (3, 3, 32, 64), 2)
        bench_eager("5x5 SAME stride 1, few channels", (16, 28, 28, 1), (5, 5, 1, 8), 1)
        bench_cnn(32, 28, (16, 32, 32))
    _harness.print_bars(BARS, start)


if __name__ == "__main__":
    main()
