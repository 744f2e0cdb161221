"""Root pytest configuration: what the doctest collector skips."""

# The pytree submodules' docstring examples use the package's names unqualified; they run in
# tests/test_tree.py with the package namespace instead.
collect_ignore_glob = ["ftrans/tree/_*.py"]
