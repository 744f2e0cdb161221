"""ftrans.distributed with real processes: ``mpiexec -n 2`` and ``-n 3`` on this machine.

One launch per process count runs every check of tests/distributed/checks.py (launching is the
slow part); each check is reported as its own test. Further launches check that a failing rank
ends the whole job with a clear message, and that examples/data_parallel.py gives the
single-process parameters. Without mpiexec or mpi4py these tests are skipped, with the reason.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "distributed"
DEADLINE = 240  # seconds for one launch on a loaded 2-core machine; a hang fails, never waits


def _load_checks():
    spec = importlib.util.spec_from_file_location("distributed_checks", SCRIPTS / "checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECK_NAMES = list(_load_checks().CHECKS)


def _mpiexec() -> list[str]:
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install 'ftrans[distributed]')")
    beside_python = pathlib.Path(sys.executable).parent / "mpiexec"
    found = str(beside_python) if beside_python.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec launcher next to the Python executable or on PATH")
    version = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60)
    if "HYDRA" in version.stdout.upper():  # MPICH: start ranks with fork on this machine
        return [found, "-launcher", "fork"]
    return [found, "--oversubscribe"]  # Open MPI: allow more ranks than cores


def launch(n: int, *args: str, deadline: float = DEADLINE) -> subprocess.CompletedProcess:
    """Run ``mpiexec -n n python args...`` with this checkout first on the path, or fail."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    env["MPIEXEC_TIMEOUT"] = str(int(deadline))  # Hydra's own deadline for the whole job
    command = [*_mpiexec(), "-n", str(n), sys.executable, *args]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=deadline + 30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"{' '.join(command)} did not finish in {deadline} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.fixture(scope="module", params=[2, 3], ids=["n2", "n3"])
def check_results(request):
    result = launch(request.param, str(SCRIPTS / "checks.py"))
    lines = [line for line in result.stdout.splitlines() if line.startswith("FTRANS_RESULTS ")]
    assert result.returncode == 0 and lines, (
        f"checks.py under mpiexec -n {request.param} exited {result.returncode}:\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return json.loads(lines[-1].split(" ", 1)[1])


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_process_axis(check_results, name):
    failures = {rank: r for rank, r in enumerate(check_results[name]) if r != "ok"}
    assert not failures, "\n".join(f"rank {rank}:\n{tb}" for rank, tb in failures.items())


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("raise", ["uncaught exception on rank 1 of 2", "deliberate failure on rank 1"]),
        ("exit", []),
        ("kill", ["BAD TERMINATION", "signal 9"]),
        ("hang", ["rank 0 of 2 waited more than 5 s in psum over axis 'processes'"]),
    ],
)
def test_a_failing_rank_ends_the_job(mode, expected):
    result = launch(2, str(SCRIPTS / "failures.py"), mode, deadline=60)
    output = result.stdout + result.stderr
    assert result.returncode == {"raise": 1, "exit": 7, "kill": 9, "hang": 3}[mode], output
    assert "must not happen" not in output
    for fragment in expected:
        assert fragment in output, output


def test_data_parallel_example_matches_one_process(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    example = str(ROOT / "examples" / "data_parallel.py")
    params = {}
    for n in (1, 2, 3):
        path = tmp_path / f"params_{n}.npz"
        result = launch(n, example, "--epochs", "2", "--batch-size", "60", "--save", str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count("examples/s on this process") == n, result.stdout
        params[n] = dict(np.load(path))
    for n in (2, 3):
        for name, value in params[1].items():
            np.testing.assert_allclose(params[n][name], value, rtol=0, atol=1e-12, err_msg=name)


# -- one process, no launcher: these run everywhere ----------------------------------------


def run_python(code: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


def test_import_ftrans_does_not_import_mpi4py():
    result = run_python(
        "import sys, ftrans, ftrans.distributed; ftrans.distributed.process_count(); "
        "print('mpi4py' in sys.modules)"
    )
    assert result.stdout.strip() == "False", result.stdout + result.stderr


def test_without_mpi4py_one_process_still_has_the_process_axis():
    result = run_python(
        "import sys; sys.modules['mpi4py'] = None\n"  # makes `import mpi4py` fail
        "import numpy as np, ftrans as ft\n"
        "ft.distributed.initialize()\n"
        "print(type(ft.distributed.backend()).__name__, ft.distributed.process_count(),\n"
        "      ft.jit(ft.grad(lambda x: ft.lax.psum(x * x, 'processes')))(3.0),\n"
        "      int(ft.lax.axis_index('processes')))\n",
        PMI_SIZE="1",
    )
    assert result.stdout.split() == ["LocalAxis", "1", "6.0", "0"], result.stdout + result.stderr


def test_launched_by_mpiexec_without_mpi4py_is_an_error():
    result = run_python(
        "import sys; sys.modules['mpi4py'] = None\n"
        "import ftrans.distributed as dist\n"
        "dist.initialize()\n",
        PMI_SIZE="4",
    )
    assert result.returncode != 0
    assert "one of 4 processes, but mpi4py is not installed" in result.stderr, result.stderr
    assert "pip install 'ftrans[distributed]'" in result.stderr


def test_initialize_twice_and_shutdown():
    result = run_python(
        "import numpy as np, ftrans as ft, ftrans.distributed as dist\n"
        "dist.initialize(axis_name='procs')\n"
        "try:\n"
        "    dist.initialize()\n"
        "except dist.DistributedError as e:\n"
        "    print('twice:', e)\n"
        "dist.shutdown()\n"
        "try:\n"
        "    ft.lax.psum(np.ones(2), 'procs')\n"
        "except Exception as e:\n"
        "    print('after shutdown:', type(e).__name__, e)\n"
        "print(dist.is_initialized(), dist.process_index(), dist.process_count())\n"
    )
    out = result.stdout
    assert "twice: ftrans.distributed.initialize: already initialized (axis 'procs'" in out, (
        out + result.stderr
    )
    assert "after shutdown: UnboundAxisError" in out and "'procs'" in out
    assert out.strip().endswith("False 0 1")


def test_shard_bounds_cover_every_row_once():
    from ftrans.distributed import shard_bounds

    for length in range(0, 12):
        for count in range(1, 6):
            bounds = [shard_bounds(length, i, count) for i in range(count)]
            assert bounds[0][0] == 0 and bounds[-1][1] == length
            assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
            sizes = [stop - start for start, stop in bounds]
            assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
