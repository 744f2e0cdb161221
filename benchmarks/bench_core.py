"""Core overheads, side by side in one run: eager ops, eager grad of an op chain, tracing.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_core.py``
(all libraries pinned to one thread; set FTRANS_BENCH_THREADS=2 for a labelled 2-thread run).
"""

from __future__ import annotations

import _harness
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp

N_OPS = 200  # the chain: (sin, *1.01, tanh, +0.1) repeated
SHAPE = (8,)


def chain(lib, x):
    for _ in range(N_OPS // 4):
        x = lib.sin(x)
        x = x * 1.01
        x = lib.tanh(x)
        x = x + 0.1
    return x.sum()


def reference_grad(x):
    """The chain's gradient by hand-written backpropagation in NumPy."""
    saved = []
    for _ in range(N_OPS // 4):
        saved.append(x)
        x = np.tanh(np.sin(x) * 1.01) + 0.1
    g = np.ones_like(x)
    for v in reversed(saved):
        s = np.sin(v) * 1.01
        g = g * (1 - np.tanh(s) ** 2) * 1.01 * np.cos(v)
    return g


def bench_grad_chain(x):
    ref = reference_grad(x)
    rows = []
    t_np = _harness.median_time(lambda: chain(np, x))
    rows.append(("NumPy forward (no derivative)", t_np))
    np.testing.assert_allclose(chain(fnp, x), chain(np, x))
    rows.append(("ftrans.numpy eager forward", _harness.median_time(lambda: chain(fnp, x))))
    g_ft = ft.grad(lambda v: chain(fnp, v))
    np.testing.assert_allclose(g_ft(x), ref, rtol=1e-10)
    rows.append(("ftrans grad (eager)", _harness.median_time(lambda: g_ft(x))))
    autograd = _harness.optional("autograd")
    if autograd is not None:
        import autograd.numpy as anp

        g_ag = autograd.grad(lambda v: chain(anp, v))
        np.testing.assert_allclose(g_ag(x), ref, rtol=1e-10)
        rows.append(("autograd grad", _harness.median_time(lambda: g_ag(x))))
    torch = _harness.optional("torch")
    if torch is not None:
        torch.set_num_threads(_harness.THREADS)

        def torch_grad():
            v = torch.tensor(x, requires_grad=True)
            chain(torch, v).backward()
            return v.grad.numpy()

        np.testing.assert_allclose(torch_grad(), ref, rtol=1e-10)
        rows.append(("PyTorch eager backward", _harness.median_time(torch_grad)))
    jax = _harness.optional("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        g_jax = jax.grad(lambda v: chain(jnp, v))
        np.testing.assert_allclose(np.asarray(g_jax(x)), ref, rtol=1e-10)
        rows.append(("JAX eager grad (no jit)", _harness.median_time(lambda: g_jax(x), repeat=5)))
    return rows


def bench_eager_overhead():
    x = np.linspace(0.1, 0.9, 8)
    y = np.linspace(1.0, 2.0, 8)
    pairs = [
        ("sin(x)", lambda: np.sin(x), lambda: fnp.sin(x)),
        ("x * y", lambda: np.multiply(x, y), lambda: fnp.multiply(x, y)),
        ("sum(x)", lambda: np.sum(x), lambda: fnp.sum(x)),
    ]
    rows = []
    for name, f_np, f_ft in pairs:
        a = _harness.median_time(f_np, repeat=41)
        b = _harness.median_time(f_ft, repeat=41)
        rows.append((name, f"{a * 1e6:.2f}", f"{b * 1e6:.2f}", f"{(b - a) * 1e6:+.2f}"))
    return rows


def bench_tracing():
    def make(n):
        def f(x):
            for _ in range(n // 2):
                x = fnp.sin(x) * 1.5
            return x

        return f

    x = np.ones(4)
    rows = []
    jax = _harness.optional("jax")
    for n in (250, 500, 1000, 2000):
        f = make(n)
        closed = ft.make_jaxpr(f)(x)
        assert len(closed.eqns) == n
        t = _harness.median_time(lambda f=f: ft.make_jaxpr(f)(x), repeat=9)
        row = [n, f"{t * 1e3:.2f}", f"{t / n * 1e6:.1f}"]
        if jax is not None:
            import jax.numpy as jnp

            def make_fj(n=n):
                # a new function object per call: JAX caches traces by function identity
                def fj(v):
                    for _ in range(n // 2):
                        v = jnp.sin(v) * 1.5
                    return v

                return fj

            tj = _harness.median_time(lambda: jax.make_jaxpr(make_fj())(x), repeat=5)
            row.append(f"{tj * 1e3:.2f}")
        rows.append(row)
    return rows, jax is not None


def main():
    print("# ftrans core benchmarks\n")
    print(_harness.thread_note(), "\n")
    x = np.linspace(0.1, 0.9, 8)
    rows = bench_grad_chain(x)
    autograd_t = dict(rows).get("autograd grad")
    out = []
    for name, t in rows:
        ratio = f"{t / autograd_t:.2f}x" if autograd_t else "-"
        out.append((name, f"{t * 1e6 / N_OPS:.2f}", ratio))
    print(f"## Eager grad of a {N_OPS}-op elementwise chain on shape {SHAPE} (per op)\n")
    print(_harness.table(["library", "µs per op", "vs autograd"], out))
    print("\n## Eager ftrans.numpy overhead outside transforms (shape (8,), median)\n")
    print(
        _harness.table(["op", "NumPy µs", "ftrans.numpy µs", "overhead µs"], bench_eager_overhead())
    )
    rows, with_jax = bench_tracing()
    print("\n## Tracing: make_jaxpr of an n-equation function\n")
    headers = ["equations", "ftrans ms", "µs per eqn"] + (["JAX make_jaxpr ms"] if with_jax else [])
    print(_harness.table(headers, rows))


if __name__ == "__main__":
    main()
