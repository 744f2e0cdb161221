"""Checkpoints: round trips, atomic writes, and every way a file can fail to match."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

from ftrans import tree
from ftrans.tree import CheckpointError


@pytest.fixture
def state():
    return {
        "params": {"w": np.arange(6.0).reshape(2, 3), "b": np.zeros(3, np.float32)},
        "opt": (np.array(0, np.int32), [np.ones(2), np.full((1,), 7, np.int64)]),
        "step": 100,
        "lr": 0.5,
        "done": False,
    }


def test_round_trip_keeps_values_dtypes_and_python_scalars(tmp_path, state):
    path = tmp_path / "ckpt.npz"
    tree.save(path, state)
    out = tree.load(path, state)
    assert list(out) == list(state)
    np.testing.assert_array_equal(out["params"]["w"], state["params"]["w"])
    assert out["params"]["b"].dtype == np.float32
    assert out["opt"][0].dtype == np.int32
    assert out["step"] == 100 and type(out["step"]) is int
    assert out["lr"] == 0.5 and out["done"] is False


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, state):
    path = tmp_path / "ckpt.npz"
    tree.save(path, state)
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match=r"\['bad'\] is a str"):
        tree.save(path, {**state, "bad": "text"})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temp files left


def test_missing_and_extra_leaves_are_named(tmp_path, state):
    path = tmp_path / "ckpt.npz"
    tree.save(path, state)
    template = {**state, "params": {"w": state["params"]["w"], "c": np.zeros(3)}}
    with pytest.raises(CheckpointError) as info:
        tree.load(path, template)
    msg = str(info.value)
    assert "missing from the file: ['params']['c']" in msg
    assert "not in the template: ['params']['b']" in msg


def test_shape_and_dtype_mismatch_are_named(tmp_path, state):
    path = tmp_path / "ckpt.npz"
    tree.save(path, state)
    template = {**state, "params": {"w": np.zeros((3, 2)), "b": np.zeros(3, np.float64)}}
    with pytest.raises(CheckpointError) as info:
        tree.load(path, template)
    msg = str(info.value)
    assert "['params']['w']: shape (2, 3) in the file, (3, 2) in the template" in msg
    assert "['params']['b']: dtype float32 in the file, float64 in the template" in msg


def test_truncated_and_foreign_files(tmp_path, state):
    path = tmp_path / "ckpt.npz"
    tree.save(path, state)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        tree.load(truncated, state)
    assert truncated.read_bytes() == data[: len(data) // 2]  # load never writes
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable .npz"):
        tree.load(text, state)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.ones(2))
    with pytest.raises(CheckpointError, match="no ftrans manifest"):
        tree.load(foreign, state)
    with pytest.raises(CheckpointError, match="no such file"):
        tree.load(tmp_path / "nope.npz", state)


def test_damaged_member_is_reported(tmp_path, state):
    path = tmp_path / "ckpt.npz"
    tree.save(path, state)
    damaged = tmp_path / "damaged.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            payload = src.read(item.filename)
            if item.filename.startswith("leaf000000"):
                payload = payload[:20]
            dst.writestr(item, payload)
    with pytest.raises(CheckpointError, match=r"\['opt'\]\[0\] is damaged|damaged"):
        tree.load(damaged, state)
    assert os.path.getsize(damaged) > 0
