"""ftrans.distributed benchmarks: gradient Allreduce through ftrans vs bare mpi4py, and
data-parallel digits training on 1 and 2 processes, with the scaling model they fit.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=. python
benchmarks/bench_distributed.py``. The script launches itself under ``mpiexec`` (workers
``--worker allreduce`` and ``--worker train``), each rank pinned to its own core and to one
BLAS thread, and prints Markdown tables. Every rank times the same samples, each started after a
``Barrier``; rank 0's medians are reported. Answers are checked before timing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _harness  # noqa: E402  (sets the thread variables before NumPy is imported)
import numpy as np  # noqa: E402

# A 1.0M-parameter MLP's gradient (784-1024-192-10), and the same count in 200 small leaves.
MLP_SIZES = [784, 1024, 192, 10]
SMALL_LEAVES = (200, 5_000)
NETWORK_BANDWIDTH = 10e9 / 8  # bytes/s of a 10 Gb/s link
BARE = "bare mpi4py Allreduce, one 8 MB buffer"
FTRANS = "ftrans jit(pmean) over 'processes'"
NETWORK_LATENCY = 25e-6  # s per message over TCP on 10 GbE (assumed: typical MPI ping-pong)


def pin_rank(rank: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0) | set(range(os.cpu_count() or 1)))
        os.sched_setaffinity(0, {cores[rank % len(cores)]})


def synced(comm, cases, *, rounds=5, per_round=6, warmup=2):
    """Seconds per call of each ``(name, fn)``, every sample started after a Barrier.

    All ranks run the same number of calls in the same order (so the collectives match);
    rows are interleaved round by round. Returns ``{name: [samples]}`` on every rank.
    """
    for _, fn in cases:
        for _ in range(warmup):
            fn()
    samples = {name: [] for name, _ in cases}
    for _ in range(rounds):
        for name, fn in cases:
            for _ in range(per_round):
                comm.Barrier()
                start = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - start)
    return samples


def paired(comm, base, other, *, pairs=200):
    """Per-pair ratios ``other / base``: the two run back to back (order alternating), each
    after a Barrier, so a change of load on the shared machine hits both of a pair alike."""
    ratios = []
    for k in range(pairs):
        seconds = {}
        for name, fn in (("base", base), ("other", other))[:: 1 if k % 2 else -1]:
            comm.Barrier()
            start = time.perf_counter()
            fn()
            seconds[name] = time.perf_counter() - start
        ratios.append(seconds["other"] / seconds["base"])
    return ratios


def mlp_grads(rank: int) -> list:
    rng = np.random.default_rng(rank)
    grads = []
    for fan_in, fan_out in itertools.pairwise(MLP_SIZES):
        grads.append({"w": rng.normal(size=(fan_in, fan_out)), "b": rng.normal(size=fan_out)})
    return grads


def worker_allreduce() -> dict:
    from mpi4py import MPI

    import ftrans as ft
    import ftrans.distributed as dist

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    pin_rank(rank)
    dist.initialize()
    grads = mlp_grads(rank)
    leaves = ft.tree.leaves(grads)
    count = sum(leaf.size for leaf in leaves)
    want = ft.tree.map(lambda *xs: sum(xs) / size, *[mlp_grads(r) for r in range(size)])

    pmean = ft.jit(lambda g: ft.lax.pmean(g, "processes"))
    got = pmean(grads)
    ft.tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-12), got, want)

    packed = np.concatenate([leaf.ravel() for leaf in leaves])
    packed_out = np.empty_like(packed)
    outs = [np.empty_like(leaf) for leaf in leaves]

    def bare_one_buffer():
        comm.Allreduce(packed, packed_out)

    def bare_per_leaf():
        for leaf, out in zip(leaves, outs, strict=True):
            comm.Allreduce(leaf, out)

    def bare_pmean_per_leaf():  # what pmean does, by hand: new outputs, Allreduce, divide
        means = []
        for leaf in leaves:
            out = np.empty_like(leaf)
            comm.Allreduce(leaf, out)
            out /= size
            means.append(out)
        return means

    def bare_pmean_packed():  # the packed alternative: pack, one Allreduce, divide, unpack
        buf = np.concatenate([leaf.ravel() for leaf in leaves])
        out = np.empty_like(buf)
        comm.Allreduce(buf, out)
        out /= size
        pieces, start = [], 0
        for leaf in leaves:
            pieces.append(out[start : start + leaf.size].reshape(leaf.shape).copy())
            start += leaf.size
        return pieces

    from ftrans.primitives import collectives

    unchecked = dist.MPIAxis(comm, "unchecked", check=False)
    collectives.bind_external_axis(unchecked)
    pmean_unchecked = ft.jit(lambda g: ft.lax.pmean(g, "unchecked"))
    for got in (pmean_unchecked(grads), bare_pmean_per_leaf(), bare_pmean_packed()):
        got = ft.tree.unflatten(ft.tree.structure(grads), ft.tree.leaves(got))
        ft.tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-12), got, want)

    n_small, small_size = SMALL_LEAVES
    small = [np.random.default_rng(rank + i).normal(size=small_size) for i in range(n_small)]
    small_outs = [np.empty_like(s) for s in small]
    small_packed_out = np.empty(n_small * small_size)

    def small_per_leaf():
        for leaf, out in zip(small, small_outs, strict=True):
            comm.Allreduce(leaf, out)

    def small_pack_unpack():
        comm.Allreduce(np.concatenate(small), small_packed_out)
        return np.split(small_packed_out, n_small)

    tiny = np.zeros(1)
    tiny_out = np.empty_like(tiny)

    def latency():
        comm.Allreduce(tiny, tiny_out)

    from ftrans.distributed._signature import agree, describe

    paths = [ft.tree.keystr(p) for p, _ in ft.tree.flatten_with_path(grads)[0]]
    entries = [(w, describe(leaf)) for w, leaf in zip(paths, leaves, strict=True)]

    def check_alone():  # what jit(pmean) adds per call: one hash and one 16-byte Allreduce
        agree(comm, "psum", entries, axis_name="processes")

    cases = [
        (BARE, bare_one_buffer),
        ("bare mpi4py Allreduce, one per leaf", bare_per_leaf),
        ("bare mpi4py pmean by hand, per leaf (new outputs, /= n)", bare_pmean_per_leaf),
        ("bare mpi4py pmean by hand, packed (pack, Allreduce, /= n, unpack)", bare_pmean_packed),
        (FTRANS, lambda: pmean(grads)),
        ("ftrans jit(pmean), agreement check off", lambda: pmean_unchecked(grads)),
        ("ftrans eager lax.pmean", lambda: ft.lax.pmean(grads, "processes")),
        ("200 x 5,000 leaves: bare Allreduce per leaf", small_per_leaf),
        ("200 x 5,000 leaves: pack + Allreduce + unpack", small_pack_unpack),
        ("latency: Allreduce of 8 bytes", latency),
        ("the agreement check alone (6 leaves, one 16-byte Allreduce)", check_alone),
    ]
    samples = synced(comm, cases, rounds=20, per_round=5)
    pairs = {
        FTRANS: paired(comm, bare_one_buffer, lambda: pmean(grads)),
        "ftrans jit(pmean), agreement check off": paired(
            comm, bare_one_buffer, lambda: pmean_unchecked(grads)
        ),
    }
    dist.shutdown()
    collectives.unbind_external_axis("unchecked")
    return {
        "processes": size,
        "parameters": int(count),
        "leaves": len(leaves),
        "bytes": int(packed.nbytes),
        "samples": samples,
        "pairs": pairs,
    }


def worker_train(epochs: int, batch_sizes: list[int]) -> dict:
    from mpi4py import MPI

    import ftrans.distributed as dist

    sys.path.insert(0, str(ROOT / "examples"))
    import data_parallel

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    pin_rank(rank)
    dist.initialize()
    runs = {}
    for batch in batch_sizes:
        _, acc, stats = data_parallel.train(epochs=epochs, batch_size=batch, quiet=True)
        every = comm.gather(stats, root=0)
        runs[str(batch)] = {"accuracy": acc, "ranks": every}
    # Communication alone: the step's one agreement check and Allreduces (4 leaves + the loss).
    import ftrans as ft

    params = data_parallel.init_mlp(ft.random.key(0), [64, 128, 10])
    pmean = ft.jit(lambda g, loss: ft.lax.pmean((g, loss), "processes"))
    comm_samples = synced(comm, [("pmean of the digits gradient", lambda: pmean(params, 0.0))])
    dist.shutdown()
    return {"processes": size, "runs": runs, "comm": comm_samples}


def mpiexec() -> list[str]:
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("bench_distributed: no mpiexec (pip install 'ftrans[distributed]')")
    return [found, "-launcher", "fork"]


def launch(n: int, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [*mpiexec(), "-n", str(n), sys.executable, __file__, *args]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    lines = [line for line in out.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if out.returncode or not lines:
        sys.exit(f"{' '.join(command)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(lines[-1].split(" ", 1)[1])


def ms(t: float) -> str:
    return f"{t * 1e3:.3f} ms" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def allreduce_table(result: dict) -> dict:
    med = {name: statistics.median(s) for name, s in result["samples"].items()}
    best = {name: min(s) for name, s in result["samples"].items()}
    print(
        f"\n### Allreduce of a {result['parameters'] / 1e6:.2f}M-parameter gradient "
        f"({result['leaves']} float64 leaves, {result['bytes'] / 1e6:.1f} MB), "
        f"{result['processes']} processes\n"
    )
    rows = [
        [name, ms(med[name]), ms(best[name]), f"{med[FTRANS] / med[name]:.2f}x"] for name in med
    ]
    print(_harness.table(["operation", "median", "best", "ftrans jit(pmean) / this"], rows))
    ratio, best_ratio = med[FTRANS] / med[BARE], best[FTRANS] / best[BARE]
    paired_ratio = {name: statistics.median(r) for name, r in result["pairs"].items()}
    print(
        f"\nBar (ftrans jit(pmean) within 1.3x of a bare Allreduce of the same bytes in one "
        f"buffer): {ratio:.2f}x on medians, {best_ratio:.2f}x on best samples; median of "
        f"{len(result['pairs'][FTRANS])} back-to-back pairs {paired_ratio[FTRANS]:.2f}x "
        f"({paired_ratio['ftrans jit(pmean), agreement check off']:.2f}x with the agreement "
        f"check off) ({'met' if paired_ratio[FTRANS] <= 1.3 else 'not met'} on the pairs, "
        f"{'met' if ratio <= 1.3 else 'not met'} on medians)."
    )
    return med


def _median_step(run: dict) -> float:
    """The slowest rank's median step time (every step waits for the slowest rank)."""
    return max(r["median_step_seconds"] for r in run["ranks"])


def train_tables(one: dict, two: dict, allreduce_med: dict) -> None:
    print("\n### Data-parallel digits MLP (64-128-10, AdamW), 1 vs 2 processes\n")
    compute = {int(b): _median_step(run) for b, run in one["runs"].items()}
    rows = []
    for batch, run in two["runs"].items():
        t1, t2 = _median_step(one["runs"][batch]), _median_step(run)
        rows.append(
            [
                batch,
                ms(t1),
                ms(t2),
                f"{int(batch) / t1:,.0f}",
                f"{int(batch) / t2:,.0f}",
                f"{t1 / t2:.2f}x",
            ]
        )
    print(
        _harness.table(
            [
                "global batch",
                "1 process: median step",
                "2 processes: median step",
                "1 process: examples/s",
                "2 processes: examples/s",
                "speedup",
            ],
            rows,
        )
    )
    comm_2 = statistics.median(two["comm"]["pmean of the digits gradient"])
    latency = allreduce_med["latency: Allreduce of 8 bytes"]
    print(
        f"\nMeasured here: the step's pmean alone (4 gradient leaves + the loss, {GRAD_BYTES:,} "
        f"bytes) on 2 processes {ms(comm_2)}; 8-byte Allreduce latency {latency * 1e6:.1f} µs."
    )
    scaling_model(compute, comm_2, two)


GRAD_BYTES = (64 * 128 + 128 + 128 * 10 + 10 + 1) * 8  # the digits MLP's gradient + the loss
LEAVES = 5  # one Allreduce per leaf, after one agreement check for the whole pytree


def communication(p: int, alpha: float, bandwidth: float) -> float:
    """Seconds of one step's pmean over ``p`` processes: recursive doubling for these small
    messages, ceil(log2 p) rounds, each paying the latency of the check and of every leaf."""
    if p == 1:
        return 0.0
    return math.ceil(math.log2(p)) * ((1 + LEAVES) * alpha + GRAD_BYTES / bandwidth)


def scaling_model(compute: dict, comm_2: float, two: dict) -> None:
    """Fit compute(b) = c0 + c1 b on one process; predict T(p) = compute(B/p) + comm(p)."""
    bs = sorted(compute)
    a = np.vstack([np.ones(len(bs)), bs]).T
    c0, c1 = np.linalg.lstsq(a, np.array([compute[b] for b in bs]), rcond=None)[0]
    print(
        f"\nScaling model: step(p, B) = compute(B/p) + comm(p), with compute(b) = "
        f"{c0 * 1e3:.3f} ms + {c1 * 1e6:.2f} µs x b (least squares over one-process median steps "
        f"at b = {', '.join(map(str, bs))}: the constant is the per-step work every process "
        f"repeats, the optimizer update and dispatch) and comm(p) = ceil(log2 p) x ((1 + "
        f"{LEAVES}) x alpha + {GRAD_BYTES:,} B / bandwidth). On this machine (shared memory) the "
        f"model's comm(2) is the measured {ms(comm_2)}, and it predicts a "
        f"{ms(c0 + c1 * 32 + comm_2)} step at B = 64 on 2 processes; measured: "
        f"{ms(_median_step(two['runs']['64']))}. For a 10 Gb/s network "
        f"(alpha = {NETWORK_LATENCY * 1e6:.0f} µs per message, "
        "bandwidth 1.25 GB/s):\n"
    )
    if c1 <= 0:  # step times that do not grow with the batch: noise, not a cost per example
        print(
            f"No prediction: the fitted cost per example ({c1 * 1e6:.2f} µs) is not positive, "
            "so these one-process step times are dominated by noise (another job on the "
            "machine?). Run again on a quiet machine."
        )
        return
    rows = []
    for p in (1, 2, 8, 64):
        for global_batch in sorted({64, 64 * p}):
            local = global_batch / p
            if local < 1:
                continue
            comm = communication(p, NETWORK_LATENCY, NETWORK_BANDWIDTH)
            step = c0 + c1 * local + comm
            one_process = c0 + c1 * global_batch
            rows.append(
                [
                    p,
                    global_batch,
                    f"{local:g}",
                    ms(c0 + c1 * local),
                    ms(comm),
                    ms(step),
                    f"{one_process / step:.2f}x",
                ]
            )
    print(
        _harness.table(
            [
                "processes",
                "global batch",
                "per process",
                "compute",
                "communication",
                "step",
                "speedup vs 1 process, same global batch",
            ],
            rows,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=["allreduce", "train"])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument(
        "--allreduce-only", action="store_true", help="only the Allreduce table (a quick look)"
    )
    args = parser.parse_args()
    if args.worker:
        from mpi4py import MPI

        if args.worker == "allreduce":
            result = worker_allreduce()
        else:
            result = worker_train(
                args.epochs, [256, 64, 32, 16, 8] if MPI.COMM_WORLD.Get_size() == 1 else [64]
            )
        if MPI.COMM_WORLD.Get_rank() == 0:
            print("BENCH_JSON " + json.dumps(result), flush=True)
        return
    load = os.getloadavg()
    print(
        f"# ftrans.distributed benchmarks\n\n{_harness.machine()}; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; each MPI rank pinned to its own core, "
        "1 BLAS thread; MPICH (mpich wheel) over shared memory on this machine."
    )
    allreduce_med = allreduce_table(launch(2, "--worker", "allreduce"))
    if args.allreduce_only:
        return
    one = launch(1, "--worker", "train", "--epochs", str(args.epochs))
    two = launch(2, "--worker", "train", "--epochs", str(args.epochs))
    train_tables(one, two, allreduce_med)


if __name__ == "__main__":
    main()
