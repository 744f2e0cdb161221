"""FFT benchmarks: gradients through ``ftrans.numpy.fft`` against JAX and autograd.

Workloads (float64):

* ``filter``: ``loss(x) = sum(irfft(H * rfft(x), n) ** 2) + sum(w * |rfft(x)| ** 2)`` for one
  signal of ``n = 2**16`` samples: the gradient of a spectral filter loss (rfft, irfft and their
  Hermitian-weighted transposes).
* ``images``: ``loss(x) = sum(|fft2(x) * mask| ** 2)`` over a batch of 32 complex 64x64 images
  (fft2 of complex data, the transpose of fft).

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_fft.py``
(``--quick`` shrinks the sizes for a smoke run). One thread, pinned (``_harness``). Each
library's gradient is checked against a NumPy reference written from the transpose formulas
before it is timed; times are medians of round-robin samples after warm-up (and after the first,
compiling call of every ``jit``). The issue sets no bar for FFTs: nothing here is judged.
"""

from __future__ import annotations

import argparse
import os

import _harness
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp

_parser = argparse.ArgumentParser(description="ftrans FFT benchmarks")
_parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
ARGS = _parser.parse_args()

N = 2**10 if ARGS.quick else 2**16
IMAGES = (4, 16, 16) if ARGS.quick else (32, 64, 64)

jax = _harness.optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
autograd = _harness.optional("autograd")
if autograd is not None:
    import autograd.numpy as anp


def filter_loss(m, H, w, n):
    def loss(x):
        X = m.fft.rfft(x)
        y = m.fft.irfft(H * X, n)
        return m.sum(y**2) + m.sum(w * m.abs(X) ** 2)

    return loss


def filter_reference(x, H, w):
    """The gradient from the transpose rules, in NumPy."""
    n = x.size
    half = n // 2 + 1
    weights = np.full(half, 2.0)
    weights[0] = 1.0
    weights[-1] = 1.0 if n % 2 == 0 else 2.0

    def rfft_t(c):  # transpose of rfft: zero-fill, fft, real part
        full = np.zeros(n, complex)
        full[:half] = c
        return np.real(np.fft.fft(full))

    def irfft_t(y):  # transpose of irfft: Hermitian weights on conj(rfft(y)) / n
        return weights * np.conj(np.fft.rfft(y)) / n

    X = np.fft.rfft(x)
    y = np.fft.irfft(H * X, n)
    return rfft_t(H * irfft_t(2 * y)) + rfft_t(2 * w * np.conj(X))


def images_loss(m, mask):
    def loss(z):
        return m.sum(m.abs(m.fft.fft2(z) * mask) ** 2)

    return loss


def images_reference(z, mask):
    # d/dz of sum |F z * mask|^2 in the df/dx - i df/dy convention: 2 F^T(mask^2 conj(F z))
    return 2 * np.fft.fft2(mask**2 * np.conj(np.fft.fft2(z)))


def bench(title, make_loss, args, reference, *, complex_input=False):
    want = reference
    cases = []
    g_eager = ft.grad(make_loss(fnp))
    g_jit = ft.jit(g_eager)
    cases += [
        ("ftrans grad (eager)", lambda: g_eager(*args)),
        ("ftrans jit(grad)", lambda: g_jit(*args)),
    ]
    if jax is not None:
        g_jax = jax.jit(jax.grad(make_loss(jnp)))
        cases.append(("JAX jit(grad)", lambda: g_jax(*args).block_until_ready()))
    if autograd is not None and not complex_input:
        g_ag = autograd.grad(make_loss(anp))
        cases.append(("autograd grad", lambda: g_ag(*args)))
    for name, fn in cases:
        _harness.assert_tree_allclose(fn(), want, rtol=1e-9, atol=1e-9, what=name)
    rows = _harness.timed(cases, repeat=9 if not ARGS.quick else 3)
    _harness.report(title, rows, "ftrans jit(grad)", {})


def main():
    print(_harness.thread_note())
    print(f"{_harness.machine()}; load average at start {os.getloadavg()[0]:.2f}")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(N)
    freqs = np.fft.rfftfreq(N)
    H = np.exp(-((freqs / 0.05) ** 2)) * np.exp(-2j * np.pi * freqs * 3)
    w = freqs**2
    bench(
        f"filter: grad of a spectral loss, n = {N}",
        lambda m: filter_loss(m, H, w, N),
        (x,),
        filter_reference(x, H, w),
    )
    z = rng.standard_normal(IMAGES) + 1j * rng.standard_normal(IMAGES)
    mask = (np.abs(np.fft.fftfreq(IMAGES[1]))[:, None] < 0.25) * 1.0
    bench(
        f"images: grad of a masked fft2 loss, complex {IMAGES}",
        lambda m: images_loss(m, mask),
        (z,),
        images_reference(z, mask),
        complex_input=True,
    )


if __name__ == "__main__":
    main()
