"""Pytrees: nested containers to a flat list of leaves plus a hashable structure, and back.

The only place in ftrans that knows about containers. Built in: tuple, list, dict (leaves in
sorted key order, the user's order kept on unflatten), None, namedtuple, OrderedDict and
defaultdict; register more with :func:`register_pytree_node` or :func:`register_dataclass`.
"""

from __future__ import annotations

from ftrans.tree._io import CheckpointError, load, save
from ftrans.tree._keys import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    SequenceKey,
    keystr,
)
from ftrans.tree._ops import (
    all,
    broadcast_prefix,
    check_leaves,
    map,
    map_with_path,
    reduce,
    transpose,
)
from ftrans.tree._registry import (
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
)
from ftrans.tree._treedef import (
    PyTreeDef,
    flatten,
    flatten_with_path,
    is_leaf,
    leaves,
    leaves_with_path,
    structure,
    unflatten,
)

__all__ = [
    "CheckpointError",
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "PyTreeDef",
    "SequenceKey",
    "all",
    "broadcast_prefix",
    "check_leaves",
    "flatten",
    "flatten_with_path",
    "is_leaf",
    "keystr",
    "leaves",
    "leaves_with_path",
    "load",
    "map",
    "map_with_path",
    "reduce",
    "save",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "structure",
    "transpose",
    "unflatten",
]
