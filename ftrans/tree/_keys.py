"""Key paths: the entries that name a position in a pytree, and keystr."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any

PyTree = Any
LeafPredicate = Callable[[Any], bool] | None


# ----------------------------------------------------------------------------- key paths


@dataclasses.dataclass(frozen=True, slots=True)
class DictKey:
    """Path entry of a mapping child; ``str(DictKey('w')) == "['w']"``."""

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True, slots=True)
class SequenceKey:
    """Path entry of a tuple or list child; ``str(SequenceKey(0)) == "[0]"``."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx}]"


@dataclasses.dataclass(frozen=True, slots=True)
class GetAttrKey:
    """Path entry of an attribute (namedtuple, dataclass); ``str(GetAttrKey('w')) == ".w"``."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """Path entry of a child of a registered node without keys: its index among the children.

    Rendered ``[<flat index 2>]`` as JAX does, so it cannot be mistaken for a list index.
    """

    idx: int

    def __str__(self) -> str:
        return f"[<flat index {self.idx}>]"


KeyPath = tuple[Any, ...]


def _simple(entry: Any) -> str:
    if isinstance(entry, DictKey):
        return str(entry.key)
    if isinstance(entry, (SequenceKey, FlattenedIndexKey)):
        return str(entry.idx)
    if isinstance(entry, GetAttrKey):
        return entry.name
    return str(entry)


def keystr(path: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Render a key path as the Python-like suffix that reaches the leaf.

    Args:
        path: a tuple of key entries, as produced by `flatten_with_path`.
        simple: if True, render each entry as its bare key, index or attribute name
            (``"layers"`` rather than ``"['layers']"``), as ``jax.tree_util.keystr`` does.
        separator: put between the rendered entries (``"/"`` gives ``"layers/0/w"``).

    Returns:
        The entries' strings joined; ``""`` for the empty path (the root).

    Examples:
        >>> path = (DictKey('layers'), SequenceKey(0), GetAttrKey('w'))
        >>> keystr(path)
        "['layers'][0].w"
        >>> keystr(path, simple=True, separator='/')
        'layers/0/w'
    """
    render = _simple if simple else str
    return separator.join([render(k) for k in path])


def _where(path: KeyPath) -> str:
    return keystr(path) if path else "the root"
