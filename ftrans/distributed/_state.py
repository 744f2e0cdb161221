"""The process axis's lifetime: `initialize`, `shutdown`, and the queries about this process."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

from ftrans.distributed._axis import DistributedError, LocalAxis, MPIAxis

# Environment variables MPI launchers set in every rank: (launcher, size variable).
_LAUNCHER_SIZES = (("MPICH/Hydra", "PMI_SIZE"), ("Open MPI", "OMPI_COMM_WORLD_SIZE"))


class _State:
    backend: Any = None
    previous_excepthook: Any = None


_state = _State()


def _launched_size() -> tuple[str, int] | None:
    for launcher, var in _LAUNCHER_SIZES:
        value = os.environ.get(var)
        if value and value.isdigit() and int(value) > 1:
            return launcher, int(value)
    return None


def _abort_on_uncaught(comm: Any):
    """An excepthook that prints the traceback with this rank's number, then aborts the job.

    Without it, an exception on one rank ends that process while the others wait for it in
    the next collective forever; ``MPI_Abort`` makes the launcher stop every rank at once.
    """
    previous = sys.excepthook

    def hook(kind, value, tb):
        rank, size = comm.Get_rank(), comm.Get_size()
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(
            f"ftrans.distributed: uncaught exception on rank {rank} of {size}; aborting all "
            f"{size} processes (MPI_Abort).\n{text}"
        )
        sys.stderr.flush()
        comm.Abort(1)

    return previous, hook


def initialize(
    axis_name: str = "processes",
    *,
    comm: Any = None,
    check: bool = True,
    timeout: float | None = None,
    abort_on_error: bool = True,
) -> None:
    """Bind the process axis: ``axis_name`` then names the processes of the MPI job.

    Afterwards the collectives of `ftrans.lax` (``psum``, ``pmean``, ``all_gather``,
    ``ppermute``, ``axis_index``...) accept ``axis_name`` and run across processes, eagerly
    and inside `ftrans.jit`, with the same rules under ``grad`` and ``vmap`` as for a vmapped
    axis. Run the program with ``mpiexec -n N python program.py``.

    With one process, or when mpi4py is not installed, the axis is still bound, with size 1,
    so the same program runs unchanged on a laptop.

    Args:
        axis_name: the name collectives use for the processes.
        comm: an ``mpi4py`` communicator (default ``MPI.COMM_WORLD``).
        check: before each collective, check with one tiny ``Allreduce`` that every process
            passes operands of the same shapes and dtypes; a mismatch raises
            `CollectiveMismatchError` on every process, naming the ranks and shapes.
        timeout: seconds a process may wait inside one collective before the whole job is
            aborted with a message (``None``, the default: no limit).
        abort_on_error: an uncaught exception on any process aborts the whole job
            (``MPI_Abort``), instead of leaving the others waiting for it.

    Raises:
        DistributedError: if the axis is already initialized, or the program was launched
            by an MPI launcher with several processes but mpi4py is missing.

    Examples:
        >>> import ftrans.distributed as dist
        >>> dist.initialize()
        >>> dist.process_index(), dist.process_count()
        (0, 1)
        >>> dist.shutdown()
    """
    if _state.backend is not None:
        raise DistributedError(
            f"ftrans.distributed.initialize: already initialized (axis "
            f"{_state.backend.name!r}, {process_count()} processes); call "
            "ftrans.distributed.shutdown() first to bind it again."
        )
    try:
        from mpi4py import MPI
    except ImportError:
        launched = _launched_size()
        if launched is not None:
            launcher, size = launched
            raise DistributedError(
                f"ftrans.distributed.initialize: this program was started by {launcher} as one "
                f"of {size} processes, but mpi4py is not installed, so the processes cannot "
                "talk to each other. Install it: pip install 'ftrans[distributed]' (mpi4py and "
                "an MPI such as the mpich wheel)."
            ) from None
        backend: Any = LocalAxis(axis_name)
    else:
        comm = MPI.COMM_WORLD if comm is None else comm
        backend = MPIAxis(comm, axis_name, check=check, timeout=timeout)
        if abort_on_error and comm.Get_size() > 1:
            previous, hook = _abort_on_uncaught(comm)
            _state.previous_excepthook = previous
            sys.excepthook = hook
    from ftrans.primitives import collectives

    collectives.bind_external_axis(backend)
    _state.backend = backend


def shutdown() -> None:
    """Unbind the process axis (MPI itself is finalized when the interpreter exits)."""
    backend = _state.backend
    if backend is None:
        return
    from ftrans.primitives import collectives

    collectives.unbind_external_axis(backend.name)
    backend.close()
    if _state.previous_excepthook is not None:
        sys.excepthook = _state.previous_excepthook
        _state.previous_excepthook = None
    _state.backend = None


def is_initialized() -> bool:
    """Whether `initialize` has bound the process axis (and `shutdown` has not unbound it)."""
    return _state.backend is not None


def process_index() -> int:
    """This process's rank on the process axis (0 before `initialize`)."""
    return 0 if _state.backend is None else _state.backend.index()


def process_count() -> int:
    """Number of processes on the process axis (1 before `initialize`)."""
    return 1 if _state.backend is None else _state.backend.size()


def axis_name() -> str | None:
    """The name `initialize` bound (``None`` before it)."""
    return None if _state.backend is None else _state.backend.name


def backend() -> Any:
    """The process axis's backend (`MPIAxis` or `LocalAxis`), or ``None`` before `initialize`."""
    return _state.backend
