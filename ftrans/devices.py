"""Devices and processes: ftrans runs in one process on the CPU, which is one device.

Every device and process query lives here, so multi-process support (``ftrans.distributed``)
changes one module.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.core import Tracer
from ftrans.errors import FtransError


class Device:
    """The CPU, seen as JAX's ``Device`` (``platform == 'cpu'``, ``id == 0``).

    Examples:
        >>> import ftrans as ft
        >>> ft.devices()
        [CpuDevice(id=0)]
        >>> ft.devices()[0].platform
        'cpu'
    """

    platform = "cpu"
    device_kind = "cpu"
    process_index = 0
    host_id = 0

    def __init__(self, id: int = 0):  # noqa: A002 (JAX's attribute name)
        self.id = id

    def __repr__(self) -> str:
        return f"CpuDevice(id={self.id})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("cpu", self.id))


_CPU = Device(0)


def _check_backend(backend: Any, where: str) -> None:
    if backend is None or backend == "cpu" or isinstance(backend, Device):
        return
    raise FtransError(
        f"{where}(backend={backend!r}): ftrans runs NumPy on the CPU; the only backend is 'cpu'."
    )


def devices(backend: str | None = None) -> list[Device]:
    """All devices: ``[CpuDevice(id=0)]``."""
    _check_backend(backend, "devices")
    return [_CPU]


def local_devices(process_index: int | None = None, backend: str | None = None) -> list[Device]:
    """The devices of this process: ``[CpuDevice(id=0)]``."""
    _check_backend(backend, "local_devices")
    return [_CPU]


def device_count(backend: str | None = None) -> int:
    """Number of devices: 1."""
    _check_backend(backend, "device_count")
    return 1


def local_device_count(backend: str | None = None) -> int:
    """Number of devices of this process: 1."""
    _check_backend(backend, "local_device_count")
    return 1


def _distributed_state():
    # Read ftrans.distributed only if it was imported: a query must not import mpi4py.
    return sys.modules.get("ftrans.distributed._state")


def process_index(backend: str | None = None) -> int:
    """Index of this process: its rank after ``ftrans.distributed.initialize()``, else 0."""
    state = _distributed_state()
    return 0 if state is None else state.process_index()


def process_count(backend: str | None = None) -> int:
    """Number of processes: the MPI job's after ``ftrans.distributed.initialize()``, else 1."""
    state = _distributed_state()
    return 1 if state is None else state.process_count()


def default_backend() -> str:
    """The platform computations run on: ``'cpu'``."""
    return "cpu"


def _to_numpy(x: Any) -> Any:
    if isinstance(x, (np.ndarray, Tracer)):
        return x
    return np.asarray(x)


def device_put(
    x: Any,
    device: Any = None,
    *,
    src: Any = None,
    donate: bool = False,
    may_alias: bool | None = None,
) -> Any:
    """Every leaf of ``x`` as a NumPy array (arrays and tracers pass through unchanged).

    ``device`` may be ``None``, ``'cpu'`` or the `Device`; ``donate``/``may_alias`` are accepted
    and ignored (ftrans never writes into a user's array).

    Examples:
        >>> import ftrans as ft
        >>> ft.device_put({'w': [1.0, 2.0]})
        {'w': [array(1.), array(2.)]}
    """
    _check_backend(device, "device_put")
    return tree.map(_to_numpy, x)


def device_get(x: Any) -> Any:
    """Every leaf of ``x`` as a NumPy array (``jax.device_get``); arrays pass through."""
    return tree.map(_to_numpy, x)


def block_until_ready(x: Any) -> Any:
    """Returns ``x``: ftrans computes synchronously, so results are ready when returned."""
    return x
