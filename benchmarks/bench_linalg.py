"""Linear-algebra benchmarks against the issue's bars, side by side in one run: the gradient of
``slogdet`` and of ``solve`` on a 200x200 float64 matrix, ftrans eager and jitted against JAX
``jit`` (bar: within 1.5x) and autograd, with hand-written NumPy gradients as the floor.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_linalg.py``
(``--quick``: n=40, a smoke run whose numbers mean nothing).

Everything runs on one thread (``_harness`` sets the thread variables before NumPy is imported
and pins the process to one CPU). JAX runs with ``jax_enable_x64``. Every row's answer is
checked against the NumPy reference before it is timed; times are medians after warm-up (and
after the first, compiling call of every jit), rows of a table timed round-robin. Ratios are
ftrans / other: lower is better. Missed bars are printed, not raised.

What each library computes: ftrans's ``slogdet`` gradient is ``a⁻ᵀ`` from one ``solve(a, I)``
(LAPACK ``gesv``), plus the ``slogdet`` value (``getrf``) when it is needed; ``solve``'s
reverse pass is a second ``gesv`` on ``aᵀ`` (NumPy exposes no LU factors to reuse). JAX
factors once (``getrf``) and reuses the factors in triangular solves.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import time

import _harness
import numpy as np

import ftrans as ft
import ftrans.numpy as fnp

_parser = argparse.ArgumentParser(description="ftrans linalg benchmarks")
_parser.add_argument("--quick", action="store_true", help="n=40: a smoke run")
ARGS = _parser.parse_args()

N = 40 if ARGS.quick else 200
BAR = 1.5

jax = _harness.optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
autograd = _harness.optional("autograd")
if autograd is not None:
    import autograd.numpy as anp

BARS: list[_harness.Bar] = []


def versions() -> str:
    names = ["numpy", "jax", "jaxlib", "autograd"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return "; ".join(found)


def problem(n):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)) + np.sqrt(n) * np.eye(n)  # well conditioned, det > 0
    b = rng.standard_normal(n)
    return a, b


# --- the two losses, written once per library ----------------------------------------------


def logdet(lib):
    return lambda a: lib.linalg.slogdet(a)[1]


def solve_loss(lib):
    return lambda a, b: lib.sum(lib.linalg.solve(a, b))


def numpy_grad_logdet(a):
    return np.linalg.inv(a).T


def numpy_grad_solve(a, b):
    x = np.linalg.solve(a, b)
    lam = np.linalg.solve(a.T, np.ones_like(b))
    return -np.outer(lam, x), lam


def bench(title, workload, loss, args, reference, argnums):
    tol = dict(rtol=1e-9, atol=1e-12)
    want = reference(*args)
    cases = []

    def add(name, fn):
        _harness.assert_tree_allclose(fn(), want, what=name, **tol)
        cases.append((name, fn))

    eager = ft.grad(loss(fnp), argnums=argnums)
    jitted = ft.jit(ft.grad(loss(fnp), argnums=argnums))
    add("ftrans grad (eager)", lambda: eager(*args))
    add("ftrans jit(grad)", lambda: jitted(*args))
    if jax is not None:
        jargs = [jnp.asarray(x) for x in args]
        jax_grad = jax.jit(jax.grad(loss(jnp), argnums=argnums))
        add("JAX jit(grad)", lambda: jax.block_until_ready(jax_grad(*jargs)))
    if autograd is not None:
        ag = autograd.grad(loss(anp), argnum=argnums)
        add("autograd grad", lambda: ag(*args))
    add("NumPy, hand-written gradient", lambda: reference(*args))
    rows = _harness.timed(cases)
    bars = {}
    if jax is not None:
        bars["JAX jit(grad)"] = (workload, BAR, False)
    BARS.extend(_harness.report(title, rows, "ftrans grad (eager)", bars))
    # the jitted ftrans row against JAX as well
    if jax is not None:
        by = {r.name: r for r in rows}
        mine, theirs = by["ftrans jit(grad)"], by["JAX jit(grad)"]
        BARS.append(
            _harness.Bar(
                workload,
                "ftrans jit(grad) vs JAX jit(grad)",
                mine.median / theirs.median,
                BAR,
                False,
                mine.best / theirs.best,
            )
        )


def main():
    print("# ftrans linalg benchmarks" + (" (--quick: numbers meaningless)" if ARGS.quick else ""))
    print()
    print(_harness.thread_note())
    print(versions())
    print(f"{_harness.machine()}; load average at start {os.getloadavg()[0]:.2f}")
    print(
        "\nRatios are ftrans eager / other (lower is better); every row was checked against the "
        "NumPy reference first."
    )
    start = time.perf_counter()
    a, b = problem(N)
    bench(
        f"grad of slogdet(a)[1], a float64[{N},{N}]",
        f"grad slogdet {N}x{N}",
        logdet,
        (a,),
        numpy_grad_logdet,
        0,
    )
    bench(
        f"grad of sum(solve(a, b)) in (a, b), a float64[{N},{N}], b float64[{N}]",
        f"grad solve {N}x{N}",
        solve_loss,
        (a, b),
        numpy_grad_solve,
        (0, 1),
    )
    _harness.print_bars(BARS, start)


if __name__ == "__main__":
    main()
