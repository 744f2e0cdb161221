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


def test_dp_sgd_clips_each_example_and_learns():
    pytest.importorskip("sklearn")
    import numpy as np

    dp = load("dp_sgd")
    grads = {"w": np.array([[3.0, 4.0], [0.3, 0.4]]), "b": np.zeros(2)}  # norms 5 and 0.5
    clipped = dp.clipped_mean(grads, 1.0)
    np.testing.assert_allclose(clipped["w"], ([0.6, 0.8] + np.array([0.3, 0.4])) / 2)
    assert dp.main(["--steps", "150"]) > 0.9
