"""Checkpoints: pytrees of arrays and scalars to ``.npz`` files and back, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from ftrans.tree._keys import keystr
from ftrans.tree._treedef import flatten_with_path, unflatten

_MANIFEST = "__ftrans_manifest__"
_FORMAT = 1


class CheckpointError(ValueError):
    """A checkpoint file is missing, damaged, or does not match the template it is loaded into."""


def _leaf_array(path, leaf, where):
    if isinstance(leaf, np.ndarray):
        if leaf.dtype.kind not in "biufc":
            raise CheckpointError(
                f"save({where!r}): the leaf at {keystr(path) or '(top)'} has dtype {leaf.dtype}; "
                "checkpoints hold numeric arrays only."
            )
        return leaf
    if isinstance(leaf, (np.generic, bool, int, float, complex)):
        return np.asarray(leaf)
    raise CheckpointError(
        f"save({where!r}): the leaf at {keystr(path) or '(top)'} is a {type(leaf).__name__}; "
        "checkpoints hold arrays and numbers only. Keep other values out of the saved tree (or "
        "register their class as a pytree node so its arrays become leaves)."
    )


def save(path: str | os.PathLike, tree: Any) -> None:
    """Write a pytree of arrays and scalars to ``path`` (an ``.npz`` file), atomically.

    The file is written to a temporary name in the same folder and renamed over ``path`` only
    when complete, so a crash mid-write never destroys the previous checkpoint. Arrays are
    stored with ``allow_pickle=False``; a JSON manifest records each leaf's key path, shape and
    dtype so [`load`][ftrans.tree.load] can say exactly what differs.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> from ftrans import tree
        >>> state = {"params": {"w": np.ones((2, 3))}, "step": 100}
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
        >>> tree.save(path, state)
        >>> restored = tree.load(path, state)
        >>> restored["params"]["w"].shape, restored["step"]
        ((2, 3), 100)
    """
    path = os.fspath(path)
    pairs, _ = flatten_with_path(tree)
    arrays = {}
    manifest = []
    for i, (p, leaf) in enumerate(pairs):
        arr = _leaf_array(p, leaf, path)
        arrays[f"leaf{i:06d}"] = arr
        manifest.append({"path": keystr(p), "shape": list(arr.shape), "dtype": arr.dtype.str})
    text = json.dumps({"format": _FORMAT, "leaves": manifest})
    arrays[_MANIFEST] = np.frombuffer(text.encode(), dtype=np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ckpt-", suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, allow_pickle=False, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _open(path):
    if not os.path.exists(path):
        raise CheckpointError(f"load({path!r}): no such file.")
    try:
        data = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise CheckpointError(
            f"load({path!r}): not a readable .npz checkpoint (truncated or not written by "
            f"ftrans.tree.save): {e}"
        ) from None
    if not isinstance(data, np.lib.npyio.NpzFile) or _MANIFEST not in data.files:
        raise CheckpointError(
            f"load({path!r}): the file has no ftrans manifest; it was not written by "
            "ftrans.tree.save."
        )
    return data


def load(path: str | os.PathLike, template: Any) -> Any:
    """Read a checkpoint written by [`save`][ftrans.tree.save] into the structure of ``template``.

    ``template`` is a pytree shaped like what was saved (e.g. freshly initialised parameters);
    its leaves give the expected shapes and dtypes. Every difference (a missing or extra leaf,
    a shape or dtype change) is reported with its key path. ``load`` only reads the file.

    Raises:
        CheckpointError: the file is missing, damaged, or does not match ``template``.
    """
    path = os.fspath(path)
    pairs, treedef = flatten_with_path(template)
    with _open(path) as data:
        try:
            manifest = json.loads(bytes(data[_MANIFEST]).decode())["leaves"]
            stored = {m["path"]: (f"leaf{i:06d}", m) for i, m in enumerate(manifest)}
        except (KeyError, ValueError, zipfile.BadZipFile, OSError, EOFError) as e:
            raise CheckpointError(f"load({path!r}): the manifest is damaged: {e}") from None
        wanted = [keystr(p) for p, _ in pairs]
        problems = []
        missing = [w for w in wanted if w not in stored]
        extra = [s for s in stored if s not in set(wanted)]
        if missing:
            problems.append(f"missing from the file: {', '.join(missing)}")
        if extra:
            problems.append(f"in the file but not in the template: {', '.join(extra)}")
        leaves = []
        for (_, leaf), name in zip(pairs, wanted, strict=True):
            if name not in stored:
                continue
            key, meta = stored[name]
            expected = np.asarray(leaf)
            shape, dtype = tuple(meta["shape"]), np.dtype(meta["dtype"])
            if shape != expected.shape:
                problems.append(
                    f"{name or '(top)'}: shape {shape} in the file, "
                    f"{expected.shape} in the template"
                )
            if dtype != expected.dtype and not isinstance(leaf, (bool, int, float, complex)):
                problems.append(
                    f"{name or '(top)'}: dtype {dtype.name} in the file, "
                    f"{expected.dtype.name} in the template"
                )
            if problems:
                continue
            try:
                arr = data[key]
            except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as e:
                raise CheckpointError(
                    f"load({path!r}): the array for {name or '(top)'} is damaged: {e}"
                ) from None
            leaves.append(
                type(leaf)(arr.item()) if isinstance(leaf, (bool, int, float, complex)) else arr
            )
        if problems:
            raise CheckpointError(
                f"load({path!r}) does not match the template:\n  " + "\n  ".join(problems)
            )
    return unflatten(treedef, leaves)
