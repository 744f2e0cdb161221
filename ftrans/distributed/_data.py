"""Host-level data helpers for the process axis: `broadcast`, `shard`, `gather`.

They run on NumPy arrays outside any transformation (to start every process from the same
parameters, and to split and reassemble data); inside a program, use the collectives of
`ftrans.lax` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ftrans import tree
from ftrans.core import Tracer
from ftrans.distributed import _state
from ftrans.distributed._axis import DistributedError, MPIAxis, _bytes
from ftrans.distributed._signature import agree, describe


def _host_leaves(fn: str, x: Any) -> tuple[list, list[str], Any]:
    paths_leaves, treedef = tree.flatten_with_path(x)
    paths = [tree.keystr(p) or "<root>" for p, _ in paths_leaves]
    leaves = []
    for where, (_, leaf) in zip(paths, paths_leaves, strict=True):
        if isinstance(leaf, Tracer):
            raise DistributedError(
                f"ftrans.distributed.{fn}: leaf {where} is a traced value; {fn} moves concrete "
                f"arrays between processes and runs outside jit/grad/vmap. Inside a program use "
                "the collectives of ftrans.lax (psum, all_gather, ...) over the process axis."
            )
        leaves.append(np.asarray(leaf))
    return leaves, paths, treedef


def _mpi_backend() -> MPIAxis | None:
    backend = _state.backend()
    return backend if isinstance(backend, MPIAxis) and backend.size() > 1 else None


def broadcast(x: Any, root: int = 0) -> Any:
    """Every leaf of the pytree ``x`` as it is on process ``root``, on every process.

    Use it to start all processes from the same parameters. Every process passes a pytree of
    the same structure, shapes and dtypes (only the values of ``root`` matter); the leaves are
    packed into one buffer and sent with one ``MPI_Bcast``.

    Raises:
        CollectiveMismatchError: if the processes' pytrees differ in structure, shape or dtype
            (the message names the leaf and which ranks have which shape).

    Examples:
        >>> import numpy as np
        >>> import ftrans.distributed as dist
        >>> dist.broadcast({"w": np.array([1.0, 2.0])})   # one process: the tree itself
        {'w': array([1., 2.])}
    """
    leaves, paths, treedef = _host_leaves("broadcast", x)
    backend = _mpi_backend()
    if backend is None:
        return tree.unflatten(treedef, [np.array(a, copy=True) for a in leaves])
    count = backend.size()
    if not 0 <= root < count:
        raise DistributedError(
            f"ftrans.distributed.broadcast: root={root} is not a process (0..{count - 1})."
        )
    entries = [("structure", repr(treedef))] + [
        (w, describe(a)) for w, a in zip(paths, leaves, strict=True)
    ]
    agree(backend.comm, f"broadcast(root={root})", entries, axis_name=backend.name)
    arrays = [np.asarray(a, order="C") for a in leaves]
    packed = np.concatenate([_bytes(a) for a in arrays] or [np.empty(0, np.uint8)])
    packed = backend.bcast(packed, root)
    out, start = [], 0
    for a in arrays:
        out.append(packed[start : start + a.nbytes].view(a.dtype).reshape(a.shape).copy())
        start += a.nbytes
    return tree.unflatten(treedef, out)


def shard_bounds(length: int, index: int, count: int) -> tuple[int, int]:
    """``(start, stop)`` of process ``index``'s part of ``length`` rows split over ``count``.

    The first ``length % count`` processes get one row more (``numpy.array_split``'s rule).
    """
    base, extra = divmod(length, count)
    start = index * base + min(index, extra)
    return start, start + base + (1 if index < extra else 0)


def shard(x: Any, axis: int = 0) -> Any:
    """This process's slice of ``x`` along ``axis`` (every leaf of a pytree).

    ``x`` is the whole (global) array, the same on every process. With ``n`` rows and ``p``
    processes, process ``i`` gets rows ``[start, stop)`` of `shard_bounds`: ``n // p`` rows,
    and one more for the first ``n % p`` processes when ``n`` is not divisible by ``p``.
    For a data-parallel mean of means to equal the global mean, make ``n`` divisible by ``p``.

    Examples:
        >>> import numpy as np
        >>> import ftrans.distributed as dist
        >>> dist.shard(np.arange(6.0))   # one process: all of it
        array([0., 1., 2., 3., 4., 5.])
        >>> [dist.shard_bounds(7, i, 3) for i in range(3)]
        [(0, 3), (3, 5), (5, 7)]
    """
    index, count = _state.process_index(), _state.process_count()
    leaves, paths, treedef = _host_leaves("shard", x)
    out = []
    for where, a in zip(paths, leaves, strict=True):
        if a.ndim == 0:
            raise DistributedError(
                f"ftrans.distributed.shard: leaf {where} is a scalar; there is no axis {axis} "
                "to split across processes."
            )
        ax = axis % a.ndim
        start, stop = shard_bounds(a.shape[ax], index, count)
        out.append(np.take(a, np.arange(start, stop), axis=ax))
    return tree.unflatten(treedef, out)


def gather(x: Any, axis: int = 0) -> Any:
    """Every process's ``x`` concatenated along ``axis``, in rank order, on every process.

    The inverse of `shard`: ``gather(shard(a)) == a``. Lengths along ``axis`` may differ
    between processes; the other dimensions and the dtypes must agree.

    Raises:
        CollectiveMismatchError: if the processes' leaves differ in dtype or in a dimension
            other than ``axis``.

    Examples:
        >>> import numpy as np
        >>> import ftrans.distributed as dist
        >>> dist.gather(np.arange(3.0))   # one process: the array itself
        array([0., 1., 2.])
    """
    leaves, paths, treedef = _host_leaves("gather", x)
    backend = _mpi_backend()
    if backend is None:
        return tree.unflatten(treedef, [np.array(a, copy=True) for a in leaves])
    entries = [("structure", repr(treedef))]
    moved = []
    for where, a in zip(paths, leaves, strict=True):
        if a.ndim == 0:
            raise DistributedError(
                f"ftrans.distributed.gather: leaf {where} is a scalar; use lax.all_gather or "
                "give it a leading axis (x[None])."
            )
        m = np.ascontiguousarray(np.moveaxis(a, axis % a.ndim, 0))
        rest = f"{m.dtype.name}[*{''.join(f',{d}' for d in m.shape[1:])}]"
        entries.append((where, f"{rest} along axis {axis}"))
        moved.append(m)
    agree(backend.comm, f"gather(axis={axis})", entries, axis_name=backend.name)
    comm = backend.comm
    out = []
    for a, m in zip(leaves, moved, strict=True):
        lengths = np.empty(backend.size(), dtype=np.int64)
        comm.Allgather(np.array([m.shape[0]], dtype=np.int64), lengths)
        row_bytes = m.itemsize * int(np.prod(m.shape[1:], dtype=np.int64))
        counts = lengths * row_bytes
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]])
        full = np.empty((int(lengths.sum()), *m.shape[1:]), dtype=m.dtype)
        comm.Allgatherv(
            _bytes(m),
            [_bytes(full), counts.tolist(), displs.tolist(), backend._mpi.BYTE],
        )
        out.append(np.moveaxis(full, 0, axis % a.ndim))
    return tree.unflatten(treedef, out)
