"""Every public callable of jax.numpy, jax.numpy.linalg and jax.numpy.fft exists in the
matching ftrans module, except the documented exclusions of ``ftrans.numpy._absent``.

With JAX installed the names come from JAX itself (and the checked-in snapshot must match
them); without, from ``tests/data/jax_numpy_names.json`` (``make_jax_numpy_names.py``).
"""

from __future__ import annotations

import importlib
import json
import pathlib
import sys

import pytest

from ftrans.numpy._absent import ABSENT

DATA = pathlib.Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
import make_jax_numpy_names  # noqa: E402

SNAPSHOT = json.loads((DATA / "jax_numpy_names.json").read_text())


def reference_names() -> dict:
    try:
        return make_jax_numpy_names.jax_names()
    except ImportError:
        return SNAPSHOT


@pytest.mark.parametrize("module", sorted(make_jax_numpy_names.MODULES))
def test_every_jax_numpy_callable_exists(module):
    ours = importlib.import_module(module)
    names = reference_names()[module]
    excluded = set(ABSENT[module]) & set(names)
    assert len(excluded) <= 10, f"{module}: more than 10 excluded callables: {sorted(excluded)}"
    missing = [n for n in names if n not in excluded and not hasattr(ours, n)]
    assert not missing, f"{module} lacks these jax.numpy callables: {missing}"
    present = sorted(n for n in excluded if n in vars(ours))
    assert not present, f"{module}: {present} exist but are listed as absent in _absent.py"


@pytest.mark.parametrize(
    "module,name", [(m, n) for m, names in sorted(ABSENT.items()) for n in sorted(names)]
)
def test_absent_names_say_why(module, name):
    ours = importlib.import_module(module)
    with pytest.raises(AttributeError, match=rf"{name}.*jax\.numpy has it.*use"):
        getattr(ours, name)


def test_unknown_names_are_plain_attribute_errors():
    import ftrans.numpy as fnp

    with pytest.raises(AttributeError, match="has no attribute 'not_a_function'$"):
        fnp.not_a_function


def test_snapshot_matches_installed_jax():
    pytest.importorskip("jax")
    live = make_jax_numpy_names.jax_names()
    if live["jax_version"] != SNAPSHOT["jax_version"]:
        pytest.skip(f"snapshot of jax {SNAPSHOT['jax_version']}, not {live['jax_version']}")
    assert live == SNAPSHOT, "re-run tests/data/make_jax_numpy_names.py"
