"""Root pytest configuration: what the doctest collector skips."""

# The pytree submodules' docstring examples use the package's names unqualified; they run in
# tests/test_tree.py with the package namespace instead.
# The scripts under tests/data make the checked-in reference outputs; they import JAX, optax,
# mpmath... which CI does not install, and hold no tests.
# tests/distributed holds the scripts each MPI rank runs (launched by tests/test_distributed.py).
collect_ignore_glob = ["ftrans/tree/_*.py", "tests/data/*.py", "tests/distributed/*.py"]

# Native code compiles before the first call during tests: a numba compile left running in a
# background thread would outlive the test that started it (tests of tiering turn it on and
# wait for it themselves).
# The suite jits thousands of programs: under the library's default ("auto") each loop over
# small arrays would pay a numba compile (0.1-5 s), far past CI's budget. So the suite's
# default backend is NumPy; tests/test_native.py (and any test passing backend=) compiles
# natively, and FTRANS_TEST_BACKEND=auto|native runs the whole suite under another default.
import os  # noqa: E402

import ftrans  # noqa: E402
from ftrans.compiler.native.tiering import set_native_sync  # noqa: E402

set_native_sync(True)
ftrans.config.update("jit_backend", os.environ.get("FTRANS_TEST_BACKEND", "numpy"))
