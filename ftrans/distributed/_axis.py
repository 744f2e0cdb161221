"""Axis backends for the process axis: `MPIAxis` (mpi4py, one rank per process) and `LocalAxis`.

Both implement the ``AxisBackend`` protocol of ``ftrans.primitives.collectives``: the
collective primitives call them when their axis name is bound outside the program (by
``ftrans.distributed.initialize``). Every MPI call is buffer-based (``Allreduce``,
``Allgather``, ``Alltoall``, ``Sendrecv`` on contiguous NumPy arrays, no pickling), and is
preceded by a one-``Allreduce`` agreement check (see ``_signature``) unless it is turned off.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ftrans.distributed._signature import agree, describe
from ftrans.errors import FtransError


class DistributedError(FtransError, RuntimeError):
    """A process-axis operation was given arguments it cannot run (bad permutation, sizes)."""


def _contiguous(x: Any) -> np.ndarray:
    return np.asarray(x, order="C")  # (np.ascontiguousarray would make a 0-d array 1-d)


def _bytes(a: np.ndarray) -> np.ndarray:
    """The bytes of a C-contiguous array as a 1-d ``uint8`` view (0-d arrays included)."""
    return a.reshape(-1).view(np.uint8)


def _check_perm(perm: Sequence[tuple[int, int]], size: int, axis_name: str) -> list:
    pairs = [(int(s), int(d)) for s, d in perm]
    for s, d in pairs:
        if not (0 <= s < size and 0 <= d < size):
            raise DistributedError(
                f"ppermute over {axis_name!r}: pair ({s}, {d}) names a process outside "
                f"0..{size - 1} (the axis has {size} processes)."
            )
    sources = [s for s, _ in pairs]
    dests = [d for _, d in pairs]
    if len(set(sources)) != len(sources) or len(set(dests)) != len(dests):
        raise DistributedError(
            f"ppermute over {axis_name!r}: perm={pairs} sends from or to a process twice; each "
            "process may appear at most once as a source and once as a destination."
        )
    return pairs


_ABORT_GRACE = 1.0  # seconds between the watchdog's message and MPI_Abort


class _Watchdog:
    """Aborts the whole MPI job when this rank waits in one collective longer than ``timeout``.

    A rank that dies is noticed by the launcher (mpiexec kills the job); a rank that *lives*
    but never reaches the collective (it returned early, took another branch, or hangs) would
    leave the others blocked forever. The watchdog thread turns that into an ``MPI_Abort``
    with a message naming the collective, the axis and how long this rank waited.
    """

    def __init__(self, comm: Any, timeout: float, axis_name: str):
        self.comm, self.timeout, self.axis_name = comm, timeout, axis_name
        self.op: str | None = None
        self.since = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ftrans-mpi-watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        tick = min(1.0, self.timeout / 4)
        while not self._stop.wait(tick):
            op = self.op
            if op is not None and time.monotonic() - self.since > self.timeout:
                sys.stderr.write(
                    f"ftrans.distributed: rank {self.comm.Get_rank()} of "
                    f"{self.comm.Get_size()} waited more than {self.timeout:g} s in {op} over "
                    f"axis {self.axis_name!r}: another process did not reach this collective "
                    "(it exited, hangs, or runs a different program). Aborting the MPI job.\n"
                )
                sys.stderr.flush()
                # The launcher forwards this rank's stderr asynchronously; aborting at once can
                # end the job before it has read the message (seen on a loaded machine: the
                # job ended with exit code 3 and no output at all). Give it a moment first.
                time.sleep(_ABORT_GRACE)
                self.comm.Abort(3)
                return

    def stop(self) -> None:
        self._stop.set()


class MPIAxis:
    """The process axis over an MPI communicator (``COMM_WORLD`` by default).

    Args:
        comm: an ``mpi4py.MPI.Comm``.
        name: the axis name collectives use (``"processes"``).
        check: agree across ranks on each collective's operands before running it (one
            2-element ``Allreduce``), so a mismatch raises `CollectiveMismatchError` on every
            rank instead of corrupting memory or hanging.
        timeout: seconds a rank may wait in one collective before the job is aborted with a
            message (``None``: wait forever).
    """

    def __init__(self, comm: Any, name: str = "processes", *, check: bool = True, timeout=None):
        from mpi4py import MPI

        self._mpi = MPI
        self.comm = comm
        self.name = name
        self.check = check
        self._size = comm.Get_size()
        self._rank = comm.Get_rank()
        self._watchdog = _Watchdog(comm, timeout, name) if timeout else None

    def __repr__(self) -> str:
        return f"MPIAxis(name={self.name!r}, rank={self._rank}, size={self._size})"

    def size(self) -> int:
        return self._size

    def index(self) -> int:
        return self._rank

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.stop()

    # -- the agreement check and the watchdog around every call --------------------------

    def _begin(self, op: str, entries: Sequence[tuple[str, str]]) -> None:
        if self._watchdog is not None:
            self._watchdog.since = time.monotonic()
            self._watchdog.op = op
        if self.check and self._size > 1:
            agree(self.comm, op, entries, axis_name=self.name)

    def _end(self) -> None:
        if self._watchdog is not None:
            self._watchdog.op = None

    # -- reductions ----------------------------------------------------------------------

    def _reduce_dtype(self, x: np.ndarray, op: str) -> np.dtype:
        if x.dtype == np.bool_:
            if op == "psum":
                raise DistributedError(
                    f"psum over {self.name!r} of a bool array: sum integers instead "
                    "(x.astype(int)); pmax/pmin of bools are logical or/and."
                )
            return x.dtype
        if x.dtype.kind == "c" and op != "psum":
            raise DistributedError(
                f"{op} over {self.name!r} of a {x.dtype} array: complex numbers have no order "
                "(MPI has no MAX/MIN for them); reduce the real and imaginary parts, or abs(x)."
            )
        if x.dtype.kind not in "biufc":
            raise DistributedError(
                f"{op} over {self.name!r}: dtype {x.dtype} has no MPI reduction; use a numeric "
                "dtype."
            )
        return x.dtype

    def _allreduce(self, op: str, mpi_op: Any, x: Any) -> np.ndarray:
        a = _contiguous(x)
        self._begin(op, [("operand", describe(a))])
        try:
            self._reduce_dtype(a, op)
            if self._size == 1:
                return a.copy()
            if a.dtype == np.bool_:
                mpi_op = self._mpi.LOR if op == "pmax" else self._mpi.LAND
            out = np.empty_like(a)
            self.comm.Allreduce(a, out, op=mpi_op)
            return out
        finally:
            self._end()

    def psum(self, x: np.ndarray) -> np.ndarray:
        return self._allreduce("psum", self._mpi.SUM, x)

    reduces_in_place = True  # psum_leaves(..., in_place=True): see _axes.pmean

    def psum_leaves(
        self, xs: Sequence[np.ndarray], paths: Sequence[str], in_place: bool = False
    ) -> list[np.ndarray]:
        """The psum of every leaf of a pytree: one agreement check over all of them (naming
        each leaf by its path), then one ``Allreduce`` per leaf (faster than packing them into
        one buffer here: see benchmarks/bench_distributed.py). With ``in_place`` the caller
        hands over buffers of its own (C-contiguous, writable, not shared): each is reduced in
        place (``MPI_IN_PLACE``) and returned."""
        arrays = [_contiguous(x) for x in xs]
        self._begin("psum", [(w, describe(a)) for w, a in zip(paths, arrays, strict=True)])
        try:
            outs = []
            for a in arrays:
                self._reduce_dtype(a, "psum")
                if in_place and a.flags.c_contiguous and a.flags.writeable:
                    if self._size > 1:
                        self.comm.Allreduce(self._mpi.IN_PLACE, a, op=self._mpi.SUM)
                    outs.append(a)
                    continue
                out = np.empty_like(a)
                if self._size == 1:
                    out[...] = a
                else:
                    self.comm.Allreduce(a, out, op=self._mpi.SUM)
                outs.append(out)
            return outs
        finally:
            self._end()

    def pmax(self, x: np.ndarray) -> np.ndarray:
        return self._allreduce("pmax", self._mpi.MAX, x)

    def pmin(self, x: np.ndarray) -> np.ndarray:
        return self._allreduce("pmin", self._mpi.MIN, x)

    # -- data movement -------------------------------------------------------------------

    def all_gather(self, x: np.ndarray) -> np.ndarray:
        a = _contiguous(x)
        self._begin("all_gather", [("operand", describe(a))])
        try:
            out = np.empty((self._size, *a.shape), dtype=a.dtype)
            self.comm.Allgather(_bytes(a), _bytes(out))
            return out
        finally:
            self._end()

    def all_to_all(self, x: np.ndarray, split_axis: int, concat_axis: int) -> np.ndarray:
        """Split ``x`` into ``size`` chunks along ``split_axis``; chunk ``j`` goes to rank ``j``;
        the chunks received (from ranks ``0..size-1``) are concatenated along ``concat_axis``.
        """
        a = np.asarray(x)
        n = self._size
        split_axis %= max(a.ndim, 1)
        concat_axis %= max(a.ndim, 1)
        if a.ndim == 0 or a.shape[split_axis] % n:
            raise DistributedError(
                f"all_to_all over {self.name!r}: split_axis={split_axis} of an operand of shape "
                f"{a.shape} must have a length divisible by the number of processes ({n})."
            )
        self._begin(
            "all_to_all",
            [("operand", describe(a)), ("axes", f"split={split_axis},concat={concat_axis}")],
        )
        try:
            send = np.ascontiguousarray(np.stack(np.split(a, n, axis=split_axis)))
            recv = np.empty_like(send)
            self.comm.Alltoall(
                _bytes(send).reshape(n, send.nbytes // n), _bytes(recv).reshape(n, send.nbytes // n)
            )
            return np.concatenate(list(recv), axis=concat_axis)
        finally:
            self._end()

    def ppermute(self, x: np.ndarray, perm: list[tuple[int, int]]) -> np.ndarray:
        """Send ``x`` to ``d`` for ``(this rank, d)`` in ``perm``; receive from ``s`` for
        ``(s, this rank)``; a rank that receives nothing gets zeros (JAX's convention)."""
        a = _contiguous(x)
        pairs = _check_perm(perm, self._size, self.name)
        self._begin("ppermute", [("operand", describe(a)), ("perm", repr(sorted(pairs)))])
        try:
            rank = self._rank
            dest = next((d for s, d in pairs if s == rank), None)
            source = next((s for s, d in pairs if d == rank), None)
            out = np.zeros_like(a)
            send_bytes = _bytes(a)
            recv_bytes = _bytes(out)
            if dest == rank:
                out[...] = a
            elif dest is not None and source is not None:
                self.comm.Sendrecv(send_bytes, dest=dest, recvbuf=recv_bytes, source=source)
            elif dest is not None:
                self.comm.Send(send_bytes, dest=dest)
            elif source is not None:
                self.comm.Recv(recv_bytes, source=source)
            return out
        finally:
            self._end()

    def bcast(self, x: np.ndarray, root: int) -> np.ndarray:
        a = np.array(x, copy=True, order="C")
        if self._size > 1:
            self.comm.Bcast(_bytes(a), root=root)
        return a


class LocalAxis:
    """The process axis of a single process (no MPI): size 1, index 0, collectives are copies."""

    def __init__(self, name: str = "processes"):
        self.name = name

    def __repr__(self) -> str:
        return f"LocalAxis(name={self.name!r}, pid={os.getpid()})"

    def size(self) -> int:
        return 1

    def index(self) -> int:
        return 0

    def close(self) -> None:
        pass

    def psum(self, x: np.ndarray) -> np.ndarray:
        return np.array(x, copy=True)

    pmax = pmin = psum

    def all_gather(self, x: np.ndarray) -> np.ndarray:
        return np.array(x, copy=True)[None]

    def all_to_all(self, x: np.ndarray, split_axis: int, concat_axis: int) -> np.ndarray:
        return np.array(x, copy=True)

    def ppermute(self, x: np.ndarray, perm: list[tuple[int, int]]) -> np.ndarray:
        pairs = _check_perm(perm, 1, self.name)
        return np.array(x, copy=True) if pairs else np.zeros_like(x)

    def bcast(self, x: np.ndarray, root: int) -> np.ndarray:
        return np.array(x, copy=True)
