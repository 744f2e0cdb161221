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


def mlp_grads(rank: int) -> list:
    rng = np.random.default_rng(rank)
    grads = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
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
    leaves, treedef = ft.tree.flatten(grads)
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

    def bare_pack_unpack():  # pack, one Allreduce, unpack: what a packed pmean must do
        buf = np.concatenate([leaf.ravel() for leaf in leaves])
        out = np.empty_like(buf)
        comm.Allreduce(buf, out)
        pieces, start = [], 0
        for leaf in leaves:
            pieces.append(out[start : start + leaf.size].reshape(leaf.shape) / size)
            start += leaf.size
        return pieces

    backend = dist.backend()
    unchecked = dist.MPIAxis(comm, "unchecked")
    unchecked.check = False
    from ftrans.primitives import collectives

    collectives.bind_external_axis(unchecked)
    pmean_unchecked = ft.jit(lambda g: ft.lax.pmean(g, "unchecked"))
    ft.tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-12), pmean_unchecked(grads), want)

    small = [np.random.default_rng(rank + i).normal(size=SMALL_LEAVES[1]) for i in range(SMALL_LEAVES[0])]
    small_outs = [np.empty_like(s) for s in small]
    small_packed = np.concatenate(small)
    small_packed_out = np.empty_like(small_packed)

    def small_per_leaf():
        for leaf, out in zip(small, small_outs, strict=True):
            comm.Allreduce(leaf, out)

    def small_pack_unpack():
        buf = np.concatenate(small)
        comm.Allreduce(buf, small_packed_out)
        return np.split(small_packed_out, SMALL_LEAVES[0])

    tiny = np.zeros(1)
    tiny_out = np.empty_like(tiny)

    def latency():
        comm.Allreduce(tiny, tiny_out)

    cases = [
        ("bare mpi4py Allreduce, one 8 MB buffer", bare_one_buffer),
        ("bare mpi4py Allreduce, one per leaf", bare_per_leaf),
        ("bare mpi4py pack + Allreduce + unpack", bare_pack_unpack),
        ("ftrans jit(pmean) over 'processes'", lambda: pmean(grads)),
        ("ftrans jit(pmean), agreement check off", lambda: pmean_unchecked(grads)),
        ("ftrans eager lax.pmean", lambda: ft.lax.pmean(grads, "processes")),
        ("ftrans MPIAxis.psum per leaf (no division)", lambda: [backend.psum(x) for x in leaves]),
        ("200 x 5,000 leaves: bare Allreduce per leaf", small_per_leaf),
        ("200 x 5,000 leaves: pack + Allreduce + unpack", small_pack_unpack),
        ("latency: Allreduce of 8 bytes", latency),
    ]
    samples = synced(comm, cases)
    dist.shutdown()
    collectives.unbind_external_axis("unchecked")
    return {
        "processes": size,
        "parameters": int(count),
        "leaves": len(leaves),
        "bytes": int(packed.nbytes),
        "samples": samples,
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
    # Communication alone: the step's Allreduces (4 gradient leaves + the loss) and checks.
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
    base = med["bare mpi4py Allreduce, one 8 MB buffer"]
    print(
        f"\n### Allreduce of a {result['parameters'] / 1e6:.2f}M-parameter gradient "
        f"({result['leaves']} float64 leaves, {result['bytes'] / 1e6:.1f} MB), "
        f"{result['processes']} processes\n"
    )
    rows = [[name, ms(med[name]), ms(best[name]), f"{med[name] / base:.2f}x"] for name in med]
    print(_harness.table(["operation", "median", "best", "vs bare one buffer"], rows))
    ratio = med["ftrans jit(pmean) over 'processes'"] / base
    print(f"\nBar: ftrans jit(pmean) within 1.3x of bare Allreduce: {ratio:.2f}x "
          f"({'met' if ratio <= 1.3 else 'NOT met'}).")
    return med


def train_tables(one: dict, two: dict, allreduce_med: dict) -> None:
    print("\n### Data-parallel digits MLP (64-128-10, AdamW), 1 vs 2 processes\n")
    rows = []
    compute = {}
    for batch, run in one["runs"].items():
        compute[int(batch)] = run["ranks"][0]["seconds_per_step"]
    for batch, run in two["runs"].items():
        t1 = one["runs"][batch]["ranks"][0]["seconds_per_step"]
        t2 = max(r["seconds_per_step"] for r in run["ranks"])
        eps2 = sum(r["examples_per_second"] for r in run["ranks"])
        eps1 = one["runs"][batch]["ranks"][0]["examples_per_second"]
        rows.append([
            batch, ms(t1), ms(t2), f"{eps1:,.0f}", f"{eps2:,.0f}", f"{t1 / t2:.2f}x",
        ])
    print(_harness.table(
        ["global batch", "1 process ms/step", "2 processes ms/step", "1 proc examples/s",
         "2 procs examples/s (sum)", "speedup"], rows))
    comm_2 = statistics.median(two["comm"]["pmean of the digits gradient"])
    latency = allreduce_med["latency: Allreduce of 8 bytes"]
    bw = allreduce_med["bare mpi4py Allreduce, one 8 MB buffer"]
    print(f"\nMeasured here: one step's pmean (4 gradient leaves + loss, 77 KB) on 2 processes "
          f"{ms(comm_2)}; Allreduce latency {latency * 1e6:.1f} µs; 8 MB Allreduce {ms(bw)}.")
    scaling_model(compute, comm_2)


def scaling_model(compute: dict, comm_2: float) -> None:
    """Fit compute(b) = c0 + c1 b on one process; predict T(p) = compute(B/p) + comm(p)."""
    bs = sorted(compute)
    a = np.vstack([np.ones(len(bs)), bs]).T
    c0, c1 = np.linalg.lstsq(a, np.array([compute[b] for b in bs]), rcond=None)[0]
    grad_bytes = (64 * 128 + 128 + 128 * 10 + 10 + 1) * 8
    messages = 5  # 4 gradient leaves + the loss, one Allreduce each
    def comm(p, alpha=NETWORK_LATENCY, bandwidth=NETWORK_BANDWIDTH):
        if p == 1:
            return 0.0
        # Each Allreduce: its agreement check and the reduction (recursive doubling for these
        # small messages: log2 p rounds of latency + message), per leaf.
        rounds = math.ceil(math.log2(p))
        return messages * rounds * (2 * alpha + grad_bytes / messages / bandwidth)
    print(f"\nScaling model: compute(b) = {c0 * 1e3:.3f} ms + {c1 * 1e6:.2f} µs x b (fit to one "
          f"process at b = {', '.join(map(str, bs))}); communication on a 10 Gb/s network "
          f"= 5 leaves x ceil(log2 p) x (2 x {NETWORK_LATENCY * 1e6:.0f} µs + bytes/1.25 GB/s).\n")
    rows = []
    for p in (1, 2, 8, 64):
        for global_batch in (64, 64 * p):
            local = global_batch / p
            if local < 1 or (p == 1 and global_batch != 64):
                continue
            t = c0 + c1 * local + comm(p)
            t1 = c0 + c1 * global_batch
            rows.append([
                p, global_batch, f"{local:g}", ms(c0 + c1 * local), ms(comm(p)), ms(t),
                f"{t1 / t:.2f}x",
            ])
    print(_harness.table(
        ["processes", "global batch", "per process", "compute", "communication", "step",
         "speedup vs 1 process (same global batch)"], rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=["allreduce", "train"])
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    if args.worker:
        from mpi4py import MPI

        if args.worker == "allreduce":
            result = worker_allreduce()
        else:
            result = worker_train(args.epochs, [64, 32, 16, 8] if MPI.COMM_WORLD.Get_size() == 1 else [64])
        if MPI.COMM_WORLD.Get_rank() == 0:
            print("BENCH_JSON " + json.dumps(result), flush=True)
        return
    load = os.getloadavg()
    print(f"# ftrans.distributed benchmarks\n\n{_harness.machine()}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; each MPI rank pinned to its own core, "
          "1 BLAS thread; MPICH (mpich wheel) over shared memory on this machine.")
    allreduce_med = allreduce_table(launch(2, "--worker", "allreduce"))
    one = launch(1, "--worker", "train", "--epochs", str(args.epochs))
    two = launch(2, "--worker", "train", "--epochs", str(args.epochs))
    train_tables(one, two, allreduce_med)


if __name__ == "__main__":
    main()
