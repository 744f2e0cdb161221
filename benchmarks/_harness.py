"""Shared benchmark harness: thread pinning, medians of repeats, a Markdown table printer.

Import this module *before* numpy (it sets the thread variables NumPy's BLAS reads at import).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import typing

THREADS = int(os.environ.get("FTRANS_BENCH_THREADS", "1"))
for var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ[var] = str(THREADS)
os.environ.setdefault(
    "XLA_FLAGS",
    f"--xla_cpu_multi_thread_eigen={'true' if THREADS > 1 else 'false'} "
    f"intra_op_parallelism_threads={THREADS}",
)
if THREADS == 1 and hasattr(os, "sched_setaffinity"):
    # JAX's XLA flags alone do not stop it from using both cores; pin the whole process.
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def thread_note() -> str:
    pinned = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    return (
        f"threads={THREADS} (OMP/OPENBLAS/MKL/NUMEXPR={THREADS}, CPU affinity {pinned}); "
        f"python {sys.version.split()[0]}"
    )


def median_time(fn, *, repeat: int = 25, number: int | None = None, warmup: int = 3) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` timings of ``number`` calls each."""
    for _ in range(warmup):
        fn()
    if number is None:
        start = time.perf_counter()
        fn()
        once = time.perf_counter() - start
        number = max(1, int(0.02 / max(once, 1e-9)))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def interleaved_medians(fns, *, rounds: int = 3, repeat: int = 24, warmup: int = 3) -> dict:
    """Median seconds per call of each function in ``fns``, timed round-robin.

    ``fns`` maps a name to a callable or to ``(callable, repeat)``. Each callable is warmed up
    and given a call count per sample (about 20 ms a sample, as in :func:`median_time`); then
    ``rounds`` rounds each take ``repeat / rounds`` samples of every function in turn, so a slow
    patch of the machine (clock change, a neighbour's burst) spreads over all rows instead of
    landing on whichever was timed first. The median is over the pooled samples.
    """
    samples = interleaved_samples(fns, rounds=rounds, repeat=repeat, warmup=warmup)
    return {name: statistics.median(s) for name, s in samples.items()}


def interleaved_samples(fns, *, rounds: int = 3, repeat: int = 24, warmup: int = 3) -> dict:
    """The pooled samples (seconds per call) behind :func:`interleaved_medians`, per name."""
    entries = {k: (v if isinstance(v, tuple) else (v, repeat)) for k, v in fns.items()}
    numbers = {}
    for name, (fn, _) in entries.items():
        for _ in range(warmup):
            fn()
        start = time.perf_counter()
        fn()
        numbers[name] = max(1, int(0.02 / max(time.perf_counter() - start, 1e-9)))
    samples = {name: [] for name in entries}
    for _ in range(rounds):
        for name, (fn, reps) in entries.items():
            number = numbers[name]
            for _ in range(max(1, -(-reps // rounds))):
                start = time.perf_counter()
                for _ in range(number):
                    fn()
                samples[name].append((time.perf_counter() - start) / number)
    return samples


class Timing(typing.NamedTuple):
    name: str
    median: float  # seconds per call: what the ratios and bars use
    best: float  # the fastest sample: shows how much a busy machine moved the median


def fmt_time(t: float) -> str:
    """Seconds as ms (or µs below 0.1 ms)."""
    return f"{t * 1e6:.2f} µs" if t < 1e-4 else f"{t * 1e3:.2f} ms"


def timed(cases, *, rounds: int = 3, warmup: int = 3, repeat: int = 24) -> list:
    """Median and best seconds per case, all timed round-robin (:func:`interleaved_samples`);
    cases are ``(name, fn)`` or ``(name, fn, repeat)``."""
    fns = {c[0]: (c[1], c[2]) if len(c) > 2 else c[1] for c in cases}
    samples = interleaved_samples(fns, rounds=rounds, repeat=repeat, warmup=warmup)
    return [Timing(c[0], statistics.median(samples[c[0]]), min(samples[c[0]])) for c in cases]


def report(title, rows, ftrans_name, bars, *, note=None, extra=None) -> list:
    """Print one table of ``rows`` (:class:`Timing`); ratio = ftrans / row (medians).

    ``bars`` maps a row name to ``(workload, limit, strict)``; ``extra`` is an optional
    ``(header, fn(row) -> str)`` column. Returns the :class:`Bar` records it judged.
    """
    base = next(r for r in rows if r.name == ftrans_name)
    print(f"\n## {title}\n")
    if note:
        print(note + "\n")
    headers = ["implementation", "median", "best"] + ([extra[0]] if extra else [])
    headers += ["ftrans / this", "target"]
    out, judged = [], []
    for r in rows:
        row = [r.name, fmt_time(r.median), fmt_time(r.best)] + ([extra[1](r)] if extra else [])
        if r.name == ftrans_name:
            row += ["1.00x (ftrans)", ""]
        else:
            row.append(ratio(base.median, r.median))
            if r.name in bars:
                workload, limit, strict = bars[r.name]
                bar = Bar(
                    workload,
                    f"{ftrans_name} vs {r.name}",
                    base.median / r.median,
                    limit,
                    strict,
                    base.best / r.best,
                )
                judged.append(bar)
                row.append(f"{bar.rule}: {bar.status}")
            else:
                row.append("")
        out.append(row)
    print(table(headers, out))
    return judged


def optional(name):
    try:
        return __import__(name)
    except Exception:
        return None


def table(headers, rows) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def as_numpy(x):
    """A NumPy array from a NumPy/JAX/PyTorch array (torch tensors are detached first)."""
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().cpu()
    return np.asarray(x)


def assert_tree_allclose(got, want, *, rtol=1e-10, atol=0.0, what="result"):
    """``np.testing.assert_allclose`` leaf by leaf over matching dicts/lists/tuples of arrays."""
    import numpy as np

    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{what}: keys differ"
        for key in want:
            assert_tree_allclose(got[key], want[key], rtol=rtol, atol=atol, what=f"{what}[{key!r}]")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), f"{what}: {len(got)} leaves, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_tree_allclose(g, w, rtol=rtol, atol=atol, what=f"{what}[{i}]")
    else:
        g, w = as_numpy(got), np.asarray(want)
        assert g.shape == w.shape, f"{what}: shape {g.shape}, expected {w.shape}"
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=what)


def ratio(t, base) -> str:
    """``t / base`` as ``"1.23x"`` (``"-"`` when there is no base)."""
    return f"{t / base:.2f}x" if base else "-"


class Bar(typing.NamedTuple):
    """One target: ftrans's time over another's, and the most it may be."""

    workload: str
    comparison: str
    ratio: float  # from medians
    limit: float
    strict: bool = False  # "faster than": ratio < limit; otherwise ratio <= limit
    ratio_best: float | None = None  # from each row's fastest sample: a noise check

    def passes(self, ratio) -> bool:
        return ratio < self.limit if self.strict else ratio <= self.limit

    @property
    def met(self) -> bool:
        return self.passes(self.ratio)

    @property
    def best_status(self) -> str:
        if self.ratio_best is None:
            return ""
        return f"{self.ratio_best:.3g} ({'met' if self.passes(self.ratio_best) else 'missed'})"

    @property
    def rule(self) -> str:
        return f"{'<' if self.strict else '<='} {self.limit:g}"

    @property
    def status(self) -> str:
        return "met" if self.met else "**missed**"


def print_bars(bars, start: float) -> None:
    """The closing summary of a benchmark script: every bar judged, how many were met, the run
    time since ``start`` (a ``time.perf_counter()`` reading) and the load average at the end."""
    print("\n## Targets\n")
    rows = [
        (b.workload, b.comparison, f"{b.ratio:.3g}", b.rule, b.status, b.best_status) for b in bars
    ]
    headers = ["workload", "ftrans vs", "value", "target", "status", "value from best samples"]
    print(table(headers, rows))
    print(
        f"\n{sum(b.met for b in bars)} of {len(bars)} targets met. Total run time "
        f"{time.perf_counter() - start:.0f} s; load average at end {os.getloadavg()[0]:.2f}."
    )


def machine() -> str:
    """CPU model and the ftrans commit (the numbers belong to both)."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        commit = subprocess.run(
            ["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", here, "status", "--porcelain", "--", "../ftrans"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        commit, dirty = "", ""
    where = f"ftrans at {commit}{' + uncommitted changes' if dirty else ''}" if commit else ""
    return "; ".join(p for p in (cpu, where) if p)
