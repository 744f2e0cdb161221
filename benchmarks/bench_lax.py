"""Eager ``ftrans.lax`` calls against their NumPy counterparts and JAX's eager calls.

The issue's bar: an eager ``ftrans.lax`` function costs no more than its NumPy counterpart plus
the ~1 µs dispatch. Rows per workload: ftrans, the NumPy way to compute the same thing, and
``jax.lax`` eagerly (no ``jit``, on device arrays made beforehand, ``block_until_ready``).
The NumPy counterparts: basic slicing (``dynamic_slice``), copy + slice assignment
(``dynamic_update_slice``), ``argpartition`` + ``argsort`` of the k (``top_k``; it does not
order ties as JAX does, ftrans does), a reshape-and-reduce (non-overlapping pooling) or
``sliding_window_view`` + reduce (overlapping windows), fancy indexing (``gather``).

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_lax.py``.
One thread, every answer checked before timing, medians of round-robin samples. Times are CPU
time of this process (``time.process_time``), so other programs on a shared machine do not
inflate them (``--wall`` times wall-clock instead, as the other benchmarks do). The bar is
judged on ``ftrans - NumPy`` (the dispatch cost), printed, not raised.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import statistics
import time

import _harness
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ftrans import lax

jax = _harness.optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

DISPATCH_BAR_US = 1.5  # ftrans may cost NumPy's time plus this much (the ~1 µs dispatch)
_parser = argparse.ArgumentParser(description="ftrans.lax eager benchmarks")
_parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
_parser.add_argument(
    "--ulps",
    action="store_true",
    help="instead of timing: the max ulp error of the accuracy= functions (NumPy's, and JAX's "
    "on CPU when installed) against mpmath (float64) and float64 (float32) on a sample",
)
ARGS = _parser.parse_args()


def cpu_timed(cases, *, rounds=3, repeat=24, warmup=3):
    """:func:`_harness.timed` with ``time.process_time`` as the clock: round-robin samples of
    about 20 ms CPU each, median and best per case."""
    clock = time.process_time
    numbers = {}
    for name, fn in cases:
        for _ in range(warmup):
            fn()
        start = clock()
        count = 0
        while clock() - start < 0.005:
            fn()
            count += 1
        numbers[name] = max(1, int(count * 0.02 / max(clock() - start, 1e-9)))
    samples = {name: [] for name, _ in cases}
    for _ in range(rounds):
        for name, fn in cases:
            for _ in range(repeat // rounds):
                start = clock()
                for _ in range(numbers[name]):
                    fn()
                samples[name].append((clock() - start) / numbers[name])
    return [
        _harness.Timing(name, statistics.median(samples[name]), min(samples[name]))
        for name, _ in cases
    ]


def versions() -> str:
    found = []
    for name in ["numpy", "jax", "jaxlib"]:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return "; ".join(found)


def _np_top_k(v, k):
    idx = np.argpartition(v, v.shape[-1] - k, axis=-1)[..., -k:]
    vals = np.take_along_axis(v, idx, axis=-1)
    order = np.argsort(-vals, axis=-1)
    return np.take_along_axis(vals, order, axis=-1), np.take_along_axis(idx, order, axis=-1)


def workloads():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64))
    u = rng.standard_normal((8, 8))
    v = rng.standard_normal(1000)
    rows = rng.standard_normal((64, 1000))
    img = rng.standard_normal((8, 32, 32, 16))
    table = rng.standard_normal((1000, 32))
    ids = rng.integers(0, 1000, (256, 1))
    dn = lax.GatherDimensionNumbers(
        offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)
    )

    def update_np():
        out = x.copy()
        out[3:11, 4:12] = u
        return out

    yield (
        "dynamic_slice (64x64, 8x8 window)",
        lambda: lax.dynamic_slice(x, (3, 4), (8, 8)),
        lambda: x[3:11, 4:12],
        (lambda jx: lambda: jax.lax.dynamic_slice(jx, (3, 4), (8, 8)), (x,)),
    )
    yield (
        "dynamic_slice_in_dim (64x64, 8 rows)",
        lambda: lax.dynamic_slice_in_dim(x, 3, 8, 0),
        lambda: x[3:11],
        (lambda jx: lambda: jax.lax.dynamic_slice_in_dim(jx, 3, 8, 0), (x,)),
    )
    yield (
        "dynamic_update_slice (64x64 <- 8x8)",
        lambda: lax.dynamic_update_slice(x, u, (3, 4)),
        update_np,
        (lambda jx, ju: lambda: jax.lax.dynamic_update_slice(jx, ju, (3, 4)), (x, u)),
    )
    yield (
        "top_k (1000, k=5)",
        lambda: lax.top_k(v, 5),
        lambda: _np_top_k(v, 5),
        (lambda jv: lambda: jax.lax.top_k(jv, 5), (v,)),
    )
    yield (
        "top_k (64x1000, k=10)",
        lambda: lax.top_k(rows, 10),
        lambda: _np_top_k(rows, 10),
        (lambda jv: lambda: jax.lax.top_k(jv, 10), (rows,)),
    )
    yield (
        "reduce_window max 2x2/2 (64x64)",
        lambda: lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2), "VALID"),
        lambda: x.reshape(32, 2, 32, 2).max(axis=(1, 3)),
        (
            lambda jx: (
                lambda: jax.lax.reduce_window(jx, -jnp.inf, jax.lax.max, (2, 2), (2, 2), "VALID")
            ),
            (x,),
        ),
    )
    yield (
        "reduce_window max 3x3/1 NHWC (8x32x32x16)",
        lambda: lax.reduce_window(img, -np.inf, lax.max, (1, 3, 3, 1), (1, 1, 1, 1), "VALID"),
        lambda: sliding_window_view(img, (3, 3), axis=(1, 2)).max(axis=(-2, -1)),
        (
            lambda ji: (
                lambda: jax.lax.reduce_window(
                    ji, -jnp.inf, jax.lax.max, (1, 3, 3, 1), (1, 1, 1, 1), "VALID"
                )
            ),
            (img,),
        ),
    )
    yield (
        "reduce_window_sum 2x2/2 NHWC (8x32x32x16)",
        lambda: lax.reduce_window_sum(img, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
        lambda: img.reshape(8, 16, 2, 16, 2, 16).sum(axis=(2, 4)),
        (
            lambda ji: (
                lambda: jax.lax.reduce_window(
                    ji, 0.0, jax.lax.add, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"
                )
            ),
            (img,),
        ),
    )
    yield (
        "gather rows (1000x32 table, 256 ids)",
        lambda: lax.gather(table, ids, dn, (1, 32), mode="clip"),
        lambda: table[np.clip(ids[:, 0], 0, 999)],
        (
            lambda jt, ji: lambda: jax.lax.gather(jt, ji, dn_jax(), (1, 32), mode="clip"),
            (table, ids),
        ),
    )


def ragged_workloads():
    """The functions of issue 13's last round: ``accuracy=`` and ``ragged_dot``."""
    rng = np.random.default_rng(1)
    small = rng.uniform(0.1, 2.0, 100)
    lhs, rhs = rng.standard_normal((256, 64)), rng.standard_normal((4, 64, 32))
    sizes = np.array([100, 60, 50, 40])

    def ragged_np():  # the offsets come from the sizes in the call, as for ftrans
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        out = np.zeros((256, 32))
        for i in range(4):
            out[bounds[i] : bounds[i + 1]] = lhs[bounds[i] : bounds[i + 1]] @ rhs[i]
        return out

    yield (
        "exp (100, accuracy=HIGHEST)",
        lambda: lax.exp(small, accuracy=lax.AccuracyMode.HIGHEST),
        lambda: np.exp(small),
        (
            lambda jx: lambda: jax.lax.exp(jx, accuracy=jax.lax.AccuracyMode.HIGHEST),
            (small,),
        ),
    )
    yield (
        "tanh (100, Tolerance(ulps=2))",
        lambda: lax.tanh(small, accuracy=lax.Tolerance(ulps=2)),
        lambda: np.tanh(small),
        (lambda jx: lambda: jax.lax.tanh(jx), (small,)),
    )
    yield (
        "ragged_dot (256x64 @ 4 groups of 64x32)",
        lambda: lax.ragged_dot(lhs, rhs, sizes),
        ragged_np,
        (lambda jl, jr, js: lambda: jax.lax.ragged_dot(jl, jr, js), (lhs, rhs, sizes)),
    )


def dn_jax():
    return jax.lax.GatherDimensionNumbers(
        offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)
    )


#: function, mpmath reference, sample domain (lo, hi, "lin" or "log" spaced magnitudes)
ULP_CASES = [
    ("exp", "exp", (-700.0, 700.0, "lin")),
    ("exp2", None, (-1000.0, 1000.0, "lin")),
    ("expm1", "expm1", (1e-12, 700.0, "log±")),
    ("log", "log", (1e-300, 1e300, "log")),
    ("log1p", "log1p", (1e-12, 1e300, "log±1")),
    ("tanh", "tanh", (1e-12, 20.0, "log±")),
    ("logistic", None, (-700.0, 700.0, "lin")),
    ("sin", "sin", (-1e4, 1e4, "lin")),
    ("cos", "cos", (-1e4, 1e4, "lin")),
    ("tan", "tan", (-1e4, 1e4, "lin")),
    ("sqrt", "sqrt", (1e-300, 1e300, "log")),
    ("rsqrt", None, (1e-300, 1e300, "log")),
    ("cbrt", "cbrt", (1e-300, 1e300, "log±")),
]


def _ulp_sample(domain, n, rng, dtype):
    lo, hi, kind = domain
    if kind == "lin":
        x = rng.uniform(lo, hi, n)
    else:
        tiny, big = (np.finfo(dtype).tiny * 1e3, np.finfo(dtype).max / 1e3)
        lo, hi = max(lo, tiny), min(hi, big)
        x = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
        if kind == "log±":
            x *= rng.choice([-1.0, 1.0], n)
        if kind == "log±1":  # log1p: also (-1, 0)
            x = np.where(rng.random(n) < 0.3, -rng.uniform(0, 1, n), x)
    x = x.astype(dtype)
    if dtype == np.float32:  # exp/logistic overflow past ~88 in float32
        x = x[np.isfinite(x)]
    return x


def _mp_function(name, mp_name):
    import mpmath

    return {
        "exp2": lambda v: mpmath.power(2, v),
        "logistic": lambda v: 1 / (1 + mpmath.exp(-v)),
        "rsqrt": lambda v: 1 / mpmath.sqrt(v),
        "cbrt": lambda v: mpmath.cbrt(v) if v >= 0 else -mpmath.cbrt(-v),
    }.get(name) or getattr(mpmath, mp_name)


def _max_ulps(fn, x, ys, dtype):
    """The largest |y - f(x)| over the sample in ulps of dtype at f(x), f(x) in 100-bit mpmath
    (outputs that overflow or are subnormal are left out), for each output array in ys."""
    import mpmath

    mpmath.mp.prec = 100
    finfo = np.finfo(dtype)
    worst = [0.0] * len(ys)
    for i, v in enumerate(x.tolist()):
        ref = fn(mpmath.mpf(v))
        r = float(ref)
        if not np.isfinite(r) or not finfo.tiny <= abs(r) < float(finfo.max):
            continue
        ulp = float(np.spacing(np.abs(np.asarray(r, dtype))))
        for j, y in enumerate(ys):
            worst[j] = max(worst[j], float(abs(mpmath.mpf(float(y[i])) - ref)) / ulp)
    return worst


def ulp_report(n=3000):
    rng = np.random.default_rng(0)
    rows = []
    for name, mp_name, domain in ULP_CASES:
        fn, f = _mp_function(name, mp_name), getattr(lax, name)
        row = [name]
        for dtype in (np.float64, np.float32):
            x = _ulp_sample(domain, n, rng, dtype)
            ys = [np.asarray(f(x))]
            if dtype == np.float32:
                ys.append(np.asarray(f(x, accuracy=lax.AccuracyMode.HIGHEST)))
            if jax is not None:
                ys.append(np.asarray(getattr(jax.lax, name)(jnp.asarray(x))))
            row += [f"{e:.2f}" for e in _max_ulps(fn, x, ys, dtype)]
        rows.append(row)
    headers = ["function", "NumPy f64", "NumPy f32", "ftrans HIGHEST f32"]
    if jax is not None:
        headers = [
            "function",
            "ftrans f64 (NumPy)",
            "JAX CPU f64",
            "ftrans f32 (NumPy)",
            "ftrans HIGHEST f32",
            "JAX CPU f32",
        ]
    print(f"# max ulp error against mpmath (100 bits), {n} sampled points per function and dtype\n")
    print(versions())
    print(_harness.table(headers, rows))


def main():
    if ARGS.ulps:
        ulp_report()
        return
    print("# ftrans.lax eager calls vs NumPy and JAX eager\n")
    print(_harness.thread_note())
    print("clock: " + ("wall (perf_counter)" if ARGS.wall else "CPU time of this process"))
    print(versions())
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    summary = []
    for label, fun, numpy_fun, jax_case in [*workloads(), *ragged_workloads()]:
        _harness.assert_tree_allclose(fun(), numpy_fun(), what=label)
        cases = [("ftrans", fun), ("NumPy", numpy_fun)]
        if jax is not None:
            make, arrays = jax_case
            jarrays = [jnp.asarray(a) for a in arrays]
            jfun = make(*jarrays)
            _harness.assert_tree_allclose(jfun(), fun(), what=f"{label} (jax)")
            cases.append(("JAX eager", lambda jfun=jfun: jax.block_until_ready(jfun())))
        rows = _harness.timed(cases) if ARGS.wall else cpu_timed(cases)
        _harness.report(label, rows, "ftrans", {})
        by = {r.name: r for r in rows}
        extra = (by["ftrans"].median - by["NumPy"].median) * 1e6
        summary.append((label, by["ftrans"].median, by["NumPy"].median, extra))
    print(
        f"\n## Summary: ftrans's cost over NumPy's (bar: at most {DISPATCH_BAR_US} µs, or faster)\n"
    )
    out = []
    for label, f, n, extra in summary:
        status = "met" if extra <= DISPATCH_BAR_US else "MISSED"
        out.append([label, f"{n * 1e6:.2f}", f"{f * 1e6:.2f}", f"{extra:+.2f}", status])
    headers = ["function", "NumPy counterpart µs", "ftrans µs", "overhead µs", "bar"]
    print(_harness.table(headers, out))
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
