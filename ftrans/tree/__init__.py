"""Pytrees: nested containers to a flat list of leaves plus a hashable structure, and back.

The only place in ftrans that knows about containers. Built in: tuple, list, dict (leaves in
sorted key order, the user's order kept on unflatten), None, namedtuple, OrderedDict and
defaultdict; register more with [`register_pytree_node`][ftrans.tree.register_pytree_node] or
[`register_dataclass`][ftrans.tree.register_dataclass].
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
    broadcast,
    broadcast_prefix,
    check_leaves,
    map,
    map_with_path,
    reduce,
    reduce_associative,
    transpose,
)
from ftrans.tree._registry import (
    Partial,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
    register_pytree_with_keys_class,
    register_static,
    static,
)
from ftrans.tree._treedef import (
    PyTreeDef,
    all_leaves,
    flatten,
    flatten_one_level,
    flatten_one_level_with_keys,
    flatten_with_path,
    is_leaf,
    is_tree_node,
    leaves,
    leaves_with_path,
    structure,
    treedef_children,
    treedef_is_leaf,
    treedef_tuple,
    unflatten,
)

__all__ = [
    "CheckpointError",
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "Partial",
    "PyTreeDef",
    "SequenceKey",
    "all",
    "all_leaves",
    "broadcast",
    "broadcast_prefix",
    "check_leaves",
    "flatten",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "flatten_with_path",
    "is_leaf",
    "is_tree_node",
    "keystr",
    "leaves",
    "leaves_with_path",
    "load",
    "map",
    "map_with_path",
    "reduce",
    "reduce_associative",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
    "save",
    "static",
    "structure",
    "transpose",
    "treedef_children",
    "treedef_is_leaf",
    "treedef_tuple",
    "unflatten",
]
