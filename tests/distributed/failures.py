"""A job in which the last rank fails, run by tests/test_distributed.py to see the others stop.

``python failures.py MODE`` under ``mpiexec -n 2``; every rank but the last enters a ``psum``
over the process axis, while the last rank:

* ``raise``: raises an exception (the excepthook of ``initialize`` aborts the whole job);
* ``exit``: dies at once with ``os._exit(7)`` (the launcher sees it and ends the job with
  that exit code);
* ``kill``: is killed by ``SIGKILL``, as by the out-of-memory killer (the launcher reports the
  bad termination and ends the job);
* ``hang``: stays alive but never reaches the collective (the watchdog of the waiting ranks
  aborts the job after ``HANG_TIMEOUT`` seconds, naming the collective).

In no mode may the job hang: the test gives it a deadline well above these few seconds.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import ftrans.distributed as dist
from ftrans import lax

# The watchdog's limit in "hang" mode. Only that mode starts the watchdog: in the others the
# launcher must end the job by itself, and a watchdog could fire first on a loaded machine
# (a rank descheduled for seconds) and end the job with its own exit code instead.
HANG_TIMEOUT = 5.0


def main(mode: str) -> None:
    from mpi4py import MPI

    dist.initialize(timeout=HANG_TIMEOUT if mode == "hang" else None)
    rank, count = dist.process_index(), dist.process_count()
    MPI.COMM_WORLD.Barrier()  # every rank is up (not watched: start-up may be slow under load)
    lax.psum(np.ones(2), "processes")  # everyone is talking
    if rank == count - 1:
        if mode == "raise":
            raise RuntimeError(f"deliberate failure on rank {rank}")
        if mode == "exit":
            os._exit(7)
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "hang":
            time.sleep(120)
            return
    lax.psum(np.ones(2), "processes")
    print(f"rank {rank}: second psum returned; this must not happen", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
