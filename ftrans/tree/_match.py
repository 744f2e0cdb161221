"""Matching a tree against a structure (``flatten_up_to`` and the prefix operations), and the
words of the error when it does not match.

A module of its own, below both ``_treedef`` (``PyTreeDef.flatten_up_to``) and ``_ops``, which
use it; it reads a treedef through its attributes and so imports neither.
"""

from __future__ import annotations

import collections
from typing import Any

from ftrans.tree._keys import KeyPath, _where
from ftrans.tree._registry import _differences, _keyed_children, _kind_for

Treedef = Any  # a ftrans.tree.PyTreeDef (not imported: _treedef imports this module)


class _Mismatch(Exception):
    """Internal: a tree does not have the expected structure; ``path`` is filled while unwinding."""

    def __init__(self, expected: Treedef, got: Any):
        super().__init__()
        self.expected = expected
        self.got = got
        self.path: list[Any] = []  # innermost key first


def _flatten_up_to(treedef: Treedef, x: Any, out: list[Any]) -> None:
    """Append to ``out`` the subtrees of ``x`` sitting at ``treedef``'s leaves."""
    kind = treedef._kind
    if kind is None:
        out.append(x)
        return
    if type(x) is not treedef._node_type:
        raise _Mismatch(treedef, x)
    children, aux = kind.flatten(x)
    children = list(children)
    if len(children) != len(treedef._children) or aux != treedef._aux:
        raise _Mismatch(treedef, x)
    for i, (sub_def, child) in enumerate(zip(treedef._children, children, strict=True)):
        if sub_def._kind is None:
            out.append(child)
            continue
        try:
            _flatten_up_to(sub_def, child, out)
        except _Mismatch as e:
            e.path.append(_keyed_children(kind, x)[0][i][0])
            raise


def _paths_up_to(treedef: Treedef, x: Any, path: KeyPath) -> list[KeyPath]:
    """Key paths of ``treedef``'s leaves inside ``x`` (which must match); for error messages."""
    if treedef._kind is None:
        return [path]
    keyed, _ = _keyed_children(treedef._kind, x)
    out = []
    for sub_def, (key, child) in zip(treedef._children, keyed, strict=True):
        out += _paths_up_to(sub_def, child, (*path, key))
    return out


def _describe_node(treedef: Treedef) -> str:
    return treedef._kind.describe(treedef._node_type, treedef._aux, len(treedef._children))


def _describe_value(x: Any) -> str:
    tp = type(x)
    kind = _kind_for(tp)
    if kind is None:
        return f"a leaf of type {tp.__name__}"
    children, aux = kind.flatten(x)
    return kind.describe(tp, aux, len(list(children)))


def _node_keys(treedef: Treedef) -> list[Any] | None:
    """The keys of a dict-like treedef node, else None; for 'missing/extra' hints."""
    tp, aux = treedef._node_type, treedef._aux
    if tp is dict:
        return list(aux.keys)
    if tp is collections.defaultdict:
        return list(aux[1].keys)
    if tp is collections.OrderedDict:
        return list(aux)
    return None


def _value_keys(x: Any) -> list[Any] | None:
    """The keys of a dict-like value, else None; for 'missing/extra' hints."""
    return list(x) if type(x) in (dict, collections.OrderedDict, collections.defaultdict) else None


def _mismatch_parts(e: _Mismatch) -> tuple[str, str, str]:
    """``(where, expected, got)`` phrases for an error message."""
    expected, got = _describe_node(e.expected), _describe_value(e.got)
    want, have = _node_keys(e.expected), _value_keys(e.got)
    if want is not None and have is not None:
        hints = _differences(want, have, "missing", "extra")
        if hints:
            got += f" ({', '.join(hints)})"
    return _where(tuple(reversed(e.path))), expected, got
