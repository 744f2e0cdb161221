"""Run many fuzz cases and count what happened (the ``python -m tests.fuzz`` command line)."""

from __future__ import annotations

import argparse
import collections
import dataclasses
import sys
import time

from . import oracles
from . import shrink as shrinking
from .program import OPS
from .stacks import stack_label


@dataclasses.dataclass
class Report:
    cases: int = 0
    judged: int = 0
    skipped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    families: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    layers: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    depths: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    checks: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    kinds: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    native: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    failures: list = dataclasses.field(default_factory=list)  # (case, [Failure])

    def add(self, verdict: oracles.Verdict) -> None:
        c = verdict.case
        self.cases += 1
        self.native.update(native_outcome(r) for r in verdict.native)
        if verdict.skipped:
            self.skipped[verdict.skipped.split(" (")[0]] += 1
            return
        self.judged += 1
        self.families.update(c.program.families)
        self.layers.update({layer.kind for layer in c.layers} or {"eval"})
        self.depths[len(c.layers)] += 1
        self.checks.update(verdict.checks)
        if verdict.failures:
            self.failures.append((c, verdict.failures))
            self.kinds.update({f.signature for f in verdict.failures})

    def summary(self) -> str:
        def counts(counter):
            return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items(), key=str))

        lines = [
            f"cases run: {self.cases}, judged: {self.judged}, skipped: {sum(self.skipped.values())}"
            + (f" ({counts(self.skipped)})" if self.skipped else ""),
            f"stack depth: {counts(self.depths)}",
            f"cases per transform: {counts(self.layers)}",
            f"cases per op family: {counts(self.families)}",
            f"oracle runs: {counts(self.checks)}",
            f"native compiles: {counts(self.native) or 'none (jit backend numpy)'}",
            f"failing cases: {len(self.failures)}",
        ]
        if self.kinds:
            lines.append("failures by kind:")
            for (kind, detail), n in sorted(self.kinds.items(), key=lambda kv: -kv[1]):
                seeds = [
                    c.seed
                    for c, fs in self.failures
                    if any(f.signature == (kind, detail) for f in fs)
                ]
                lines.append(f"  {kind}[{detail}]: {n}  (seeds {seeds[:8]})")
        return "\n".join(lines)


def native_outcome(reason: str) -> str:
    """A native compile's outcome in a few words: native, native and NumPy segments, or NumPy
    code and the start of why."""
    if reason.startswith("native code ("):
        return "native+NumPy segments"
    if reason.startswith("native code"):
        return "native"
    words = reason.removeprefix("NumPy code (").removesuffix(")").split()
    return "NumPy: " + " ".join(words[:5])


def run(
    seeds,
    use_jax: bool | None = None,
    jax_every: int = 1,
    use_fd: bool = True,
    max_depth: int = 3,
    log=None,
    report_every: int = 0,
    families: tuple | None = None,
) -> Report:
    """Judge the case of every seed; JAX (when installed and ``use_jax``) on every k-th."""
    report = Report()
    if use_jax is None:
        use_jax = oracles.jax_namespace() is not None
    for i, seed in enumerate(seeds):
        case = oracles.make_case(seed, max_depth=max_depth, families=families)
        verdict = oracles.judge(case, use_jax=use_jax and i % jax_every == 0, use_fd=use_fd)
        report.add(verdict)
        if log is not None and verdict.failures:
            log(
                f"seed {seed}: {stack_label(case.layers)}: {verdict.failures[0].key} | "
                + "; ".join(str(f)[:160] for f in verdict.failures)
            )
        if log is not None and report_every and (i + 1) % report_every == 0:
            log(f"--- after {i + 1} cases (last seed {seed}) ---\n" + report.summary())
    return report


def use_backend(name: str) -> None:
    """Every case's ``jit`` under backend ``name``, compiled synchronously: a case then runs the
    code of that backend, not NumPy code while numba compiles in the background."""
    import ftrans
    from ftrans.compiler.native.tiering import set_native_sync

    set_native_sync(True)
    ftrans.config.update("jit_backend", name)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.fuzz", description="Random programs x random transform stacks."
    )
    ap.add_argument("--cases", type=int, default=None, help="number of cases (seeds)")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--long", action="store_true", help="the long mode: 10,000 cases by default")
    ap.add_argument(
        "--jax",
        choices=["auto", "on", "off"],
        default="auto",
        help="JAX oracle (auto: when installed)",
    )
    ap.add_argument(
        "--jax-every",
        type=int,
        default=1,
        help="run the JAX oracle on every k-th case only (it is slow)",
    )
    ap.add_argument("--no-fd", action="store_true", help="skip the finite-difference oracle")
    ap.add_argument("--max-depth", type=int, default=3)
    ap.add_argument(
        "--shrink",
        action="store_true",
        help="shrink the first failing case of each kind and print its script",
    )
    ap.add_argument("--quiet", action="store_true", help="no line per failing case")
    ap.add_argument(
        "--families",
        default=None,
        help="comma-separated op families to draw from (default all): " + ",".join(OPS),
    )
    ap.add_argument("--report-every", type=int, default=0, help="print the counts every n cases")
    ap.add_argument(
        "--backend",
        choices=["numpy", "native", "auto"],
        default=None,
        help="jit's default backend for the cases (default: the library's); native code "
        "compiles before the first call, as in the test suite",
    )
    ns = ap.parse_args(argv)
    if ns.backend is not None:
        use_backend(ns.backend)
    n = ns.cases if ns.cases is not None else (10_000 if ns.long else 200)
    use_jax = {"auto": None, "on": True, "off": False}[ns.jax]
    t0 = time.time()
    log = (lambda s: print(s, flush=True)) if not ns.quiet or ns.report_every else None
    report = run(
        range(ns.seed, ns.seed + n),
        use_jax=use_jax,
        jax_every=ns.jax_every,
        use_fd=not ns.no_fd,
        report_every=ns.report_every,
        families=tuple(ns.families.split(",")) if ns.families else None,
        max_depth=ns.max_depth,
        log=log,
    )
    print(report.summary())
    print(f"time: {time.time() - t0:.1f} s")
    if ns.shrink:
        seen = set()
        for case, fails in report.failures:
            f = fails[0]
            if f.signature in seen:
                continue
            seen.add(f.signature)
            small = shrinking.shrink(case, f)
            print(f"\n# ---- {f.kind}[{f.detail}] from seed {case.seed}, shrunk ----")
            print(shrinking.script(small, f))
    return 1 if report.failures else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
