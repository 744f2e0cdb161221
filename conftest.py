"""Root pytest configuration: what the doctest collector skips."""

# The pytree submodules' docstring examples use the package's names unqualified; they run in
# tests/test_tree.py with the package namespace instead.
# The scripts under tests/data make the checked-in reference outputs; they import JAX, optax,
# mpmath... which CI does not install, and hold no tests.
collect_ignore_glob = ["ftrans/tree/_*.py", "tests/data/*.py"]

# Native code compiles before the first call during tests: a numba compile left running in a
# background thread would outlive the test that started it (tests of tiering turn it on and
# wait for it themselves).
from ftrans.compiler.backend import set_native_sync  # noqa: E402

set_native_sync(True)
