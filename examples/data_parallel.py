"""Data-parallel training of the digits MLP across MPI processes with ftrans.distributed.

The model, loss and data are those of ``digits_mlp.py``. Every process draws the same shuffled
global batch, trains on its shard of it (``distributed.shard``), and the jitted step averages
the gradients over processes with ``ft.lax.pmean(grads, "processes")``, an MPI Allreduce. With
equal shards the mean of the shard means is the global mean, so the parameters equal those of a
single-process run with the same seed and global batch (to float64 rounding, ~1e-15).

Run: ``mpiexec -n 2 python examples/data_parallel.py`` (or ``python examples/data_parallel.py``
for one process). Each process prints its throughput; rank 0 prints the held-out accuracy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import ftrans as ft
import ftrans.distributed as dist
from ftrans import optim, random, tree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_mlp import accuracy, init_mlp, loss_fn  # the same model, loss and accuracy


def make_step(opt):
    """One jitted training step: local gradient, mean over processes, AdamW update."""

    @ft.jit
    def step(params, state, xb, yb):
        loss, grads = ft.value_and_grad(loss_fn)(params, xb, yb)
        # the mean over processes: one agreement check, then one MPI Allreduce per leaf
        loss, grads = ft.lax.pmean((loss, grads), "processes")
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss

    return step


def train(*, epochs=60, batch_size=64, seed=0, quiet=False):
    """Train on this process's shard of every global batch; returns (params, accuracy, stats)."""
    rank, count = dist.process_index(), dist.process_count()
    if batch_size % count:
        raise SystemExit(
            f"--batch-size {batch_size} is not divisible by {count} processes: the shards would "
            "differ in size and the mean of their means would not be the global mean."
        )
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.2, random_state=seed, stratify=digits.target
    )
    init_key, shuffle_key = random.split(random.key(seed))
    params = dist.broadcast(init_mlp(init_key, [64, 128, 10]))  # same start on every process

    steps_per_epoch = len(x_train) // batch_size
    total = epochs * steps_per_epoch
    schedule = optim.warmup_cosine_decay_schedule(0.0, 3e-3, total // 20, total)
    opt = optim.chain(
        optim.clip_by_global_norm(1.0),
        optim.adamw(schedule, weight_decay=1e-4, mask=lambda path, p: p.ndim > 1),
    )
    state = opt.init(params)
    step = make_step(opt)

    loss = np.nan
    step_seconds = []
    start = time.perf_counter()
    for epoch in range(epochs):
        order = np.asarray(random.permutation(random.fold_in(shuffle_key, epoch), len(x_train)))
        for i in range(steps_per_epoch):
            idx = order[i * batch_size : (i + 1) * batch_size]  # the same global batch everywhere
            xb, yb = dist.shard((x_train[idx], y_train[idx]))
            before = time.perf_counter()
            params, state, loss = step(params, state, xb, yb)
            step_seconds.append(time.perf_counter() - before)
    seconds = time.perf_counter() - start - step_seconds[0]  # the first step traces/compiles
    steps = max(total - 1, 1)
    stats = {
        "rank": rank,
        "processes": count,
        "steps": total,
        "compile_seconds": step_seconds[0],
        "seconds_per_step": seconds / steps,
        "median_step_seconds": float(np.median(step_seconds[1:] or step_seconds)),
        "examples_per_second": steps * (batch_size // count) / seconds,
        "final_loss": float(loss),
    }
    if not quiet:
        print(
            f"[rank {rank}/{count}] {total} steps, {batch_size // count} examples per step: "
            f"{stats['examples_per_second']:.0f} examples/s on this process, "
            f"{1e3 * stats['seconds_per_step']:.2f} ms/step (+{stats['compile_seconds']:.2f} s "
            "first step)",
            flush=True,
        )
    return params, accuracy(params, x_test, y_test), stats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="write the final parameters to this .npz (rank 0)")
    args = parser.parse_args(argv)

    dist.initialize()  # binds "processes"; one process without mpiexec
    params, test_acc, _ = train(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    if dist.process_index() == 0:
        print(f"held-out accuracy {test_acc:.4f} ({dist.process_count()} processes)")
        if args.save:
            tree.save(args.save, params)
    dist.shutdown()
    return test_acc


if __name__ == "__main__":
    main()
