"""``ftrans.random.normal(key, (10**6,))`` against ``numpy.random.Generator.standard_normal``.

ftrans computes ``jax.random.normal``'s numbers (Threefry-2x32 bits, a uniform on (-1, 1) and
XLA's ``erf_inv``), in one in-place NumPy kernel (``ftrans/random/_normal.py``); NumPy uses its
ziggurat. Both run pinned to one CPU by default (``FTRANS_BENCH_THREADS=2`` lets ftrans spread
the kernel's slices over two threads; NumPy's generator stays single-threaded). The answers are
checked first: ftrans's draws equal JAX's to within 4 ulp (when JAX is installed) and both have
mean ~0 and variance ~1.

Run: ``python benchmarks/bench_random.py``.
"""

from __future__ import annotations

import _harness  # pins threads before numpy is imported
import numpy as np

import ftrans as ft

N = 10**6


def main() -> None:
    ft.set_num_threads(_harness.THREADS)
    key = ft.random.PRNGKey(0)
    jitted = ft.jit(lambda k: ft.random.normal(k, (N,)))
    ours = ft.random.normal(key, (N,))
    np.testing.assert_array_equal(jitted(key), ours)
    for name, z in (("ftrans", ours), ("numpy", np.random.default_rng(0).standard_normal(N))):
        assert abs(z.mean()) < 5e-3 and abs(z.var() - 1) < 5e-3, name
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        theirs = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (N,)))
        ulp = np.abs(ours.view(np.int64) - theirs.view(np.int64)).max()
        print(f"ftrans vs jax.random.normal: max {ulp} ulp, {np.mean(ours == theirs):.1%} equal")
    except ImportError:
        pass
    rng = np.random.default_rng(0)
    times = _harness.interleaved_medians(
        {
            "ftrans.random.normal eager": lambda: ft.random.normal(key, (N,)),
            "ftrans jit(normal), cached call": lambda: jitted(key),
            "ftrans.random.uniform eager": lambda: ft.random.uniform(key, (N,)),
            "numpy Generator.standard_normal": lambda: rng.standard_normal(N),
        }
    )
    base = times["numpy Generator.standard_normal"]
    print(f"# random.normal, float64[{N:.0e}]; {_harness.thread_note()}")
    print("| call | median | vs numpy standard_normal |")
    print("| --- | ---: | ---: |")
    for name, seconds in times.items():
        print(f"| {name} | {seconds * 1e3:.2f} ms | {seconds / base:.2f}x |")


if __name__ == "__main__":
    main()
