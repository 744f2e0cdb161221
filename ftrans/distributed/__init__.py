"""ftrans beyond one process: the process axis over MPI.

``initialize()`` binds the axis name ``"processes"`` across the processes of an MPI job (via
mpi4py), so the collectives of `ftrans.lax` (``psum``, ``pmean``, ``all_gather``,
``ppermute``, ``axis_index``...) run across processes, eagerly and inside `ftrans.jit`,
differentiably. ``broadcast``, ``shard`` and ``gather`` move host data. Without mpi4py, or
with one process, everything works with a process axis of size 1.

mpi4py is imported by `initialize`, never by ``import ftrans``.

Examples:
    >>> import numpy as np
    >>> import ftrans as ft
    >>> import ftrans.distributed as dist
    >>> dist.initialize()
    >>> ft.lax.psum(np.array([1.0, 2.0]), "processes")   # one process: the sum is x
    array([1., 2.])
    >>> dist.shutdown()
"""

from __future__ import annotations

from ftrans.distributed._axis import DistributedError, LocalAxis, MPIAxis
from ftrans.distributed._data import broadcast, gather, shard, shard_bounds
from ftrans.distributed._signature import CollectiveMismatchError
from ftrans.distributed._state import (
    axis_name,
    backend,
    initialize,
    is_initialized,
    process_count,
    process_index,
    shutdown,
)

__all__ = [
    "CollectiveMismatchError",
    "DistributedError",
    "LocalAxis",
    "MPIAxis",
    "axis_name",
    "backend",
    "broadcast",
    "gather",
    "initialize",
    "is_initialized",
    "process_count",
    "process_index",
    "shard",
    "shard_bounds",
    "shutdown",
]
