"""Cross-process agreement checks: every rank must call a collective with the same operands.

A collective whose operands differ between processes (a leaf of another shape or dtype on one
rank, another collective, another permutation) is undefined behaviour in MPI: it may truncate,
read garbage or wait forever. Before each collective the ranks agree on a 64-bit hash of what
they are about to do with one tiny ``Allreduce`` (MAX over ``[h, -h]``: equal on every rank iff
every rank has the same ``h``). Only when they disagree do they exchange the full descriptions,
so the error names the operation, the leaf and which ranks have which shape.

The check runs on every call, one per collective of a whole pytree (``psum``/``pmean`` of a
gradient is one), and costs one small-message latency (~8 µs here, under 1% of a 1M-parameter
Allreduce). It is not skipped for a compiled program already checked: ranks whose compile
caches differ would then run different sequences of MPI calls, the hang it exists to prevent.
Nor is it overlapped with (or folded into) the data's ``Allreduce``: that call must not start
before the counts are known to agree, since a count mismatch there is undefined behaviour.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ftrans.errors import _PACKAGE_DIR, FtransError

_MASK = (1 << 62) - 1


class CollectiveMismatchError(FtransError, ValueError):
    """Processes called the same collective with different operands (shapes, dtypes, params)."""


def caller() -> str:
    """``file:line`` of the innermost frame outside ftrans and its generated code."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith(_PACKAGE_DIR) or name.startswith("<")):
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown location>"


def _hash(text: str) -> int:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & _MASK


def describe(x: np.ndarray) -> str:
    """``float64[3,4]``: the dtype and shape of one operand, as the error messages print it."""
    return f"{x.dtype.name}[{','.join(str(d) for d in x.shape)}]"


def agree(comm: Any, op: str, entries: Sequence[tuple[str, str]], *, axis_name: str) -> None:
    """Raise `CollectiveMismatchError` unless every rank of ``comm`` passes the same entries.

    ``entries`` is a list of ``(where, what)`` pairs, e.g. ``("grads['w']", "float64[3,4]")``;
    ``op`` names the collective. Costs one 2-element ``Allreduce`` when the ranks agree.
    """
    from mpi4py import MPI

    text = op + "\x00" + "\x00".join(f"{w}\x01{v}" for w, v in entries)
    h = _hash(text)
    local = np.array([h, -h], dtype=np.int64)
    out = np.empty_like(local)
    comm.Allreduce(local, out, op=MPI.MAX)
    if out[0] == -out[1]:
        return
    everyone = comm.allgather((op, list(entries), caller()))
    raise CollectiveMismatchError(mismatch_message(everyone, axis_name=axis_name))


def _ranks(ranks: list[int]) -> str:
    return ("rank " if len(ranks) == 1 else "ranks ") + ", ".join(str(r) for r in ranks)


def _grouped(values: list[Any]) -> str:
    groups: dict[Any, list[int]] = {}
    for rank, value in enumerate(values):
        groups.setdefault(value, []).append(rank)
    return "; ".join(f"{_ranks(ranks)}: {value}" for value, ranks in groups.items())


def mismatch_message(
    everyone: list[tuple[str, list[tuple[str, str]], str]], *, axis_name: str
) -> str:
    """The error text for ranks whose ``(op, entries, location)`` differ (``everyone[rank]``)."""
    ops = [op for op, _, _ in everyone]
    head = f"processes disagree on a collective over axis {axis_name!r}: "
    fix = (
        f" Called from {_grouped([where for _, _, where in everyone])}. Every process must run "
        "the same program on operands of the same shapes and dtypes (shard data evenly, e.g. "
        "with ftrans.distributed.shard, and broadcast parameters with "
        "ftrans.distributed.broadcast)."
    )
    if len(set(ops)) > 1:
        return head + f"different operations ({_grouped(ops)})." + fix
    counts = [len(entries) for _, entries, _ in everyone]
    if len(set(counts)) > 1:
        return head + f"{ops[0]} got a different number of leaves ({_grouped(counts)})." + fix
    lines = []
    for i in range(counts[0]):
        wheres = [entries[i][0] for _, entries, _ in everyone]
        whats = [entries[i][1] for _, entries, _ in everyone]
        if len(set(whats)) > 1 or len(set(wheres)) > 1:
            label = wheres[0] if len(set(wheres)) == 1 else _grouped(wheres)
            lines.append(f"{label}: {_grouped(whats)}")
    return head + f"{ops[0]} on " + " | ".join(lines) + "." + fix
