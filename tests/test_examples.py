"""The examples run as documented and reach their stated results."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_mlp_reaches_97_percent_held_out():
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    accuracy = load("digits_mlp").main(["--no-progress"])
    assert accuracy >= 0.97
