"""``jax.tree_util`` under its own names: the same functions as `ftrans.tree`.

Code written against ``jax.tree_util`` runs after renaming the import::

    import ftrans.tree_util as tree_util   # was: import jax.tree_util as tree_util

``tree_map`` is `ftrans.tree.map`, ``tree_leaves`` is `ftrans.tree.leaves`, and so on. One
difference: ``jax.tree_util.default_registry`` (JAX's C++ registry object) has no counterpart.

Examples:
    >>> from ftrans import tree_util
    >>> tree_util.tree_map(lambda x: x * 2, {'a': 1, 'b': (2, None)})
    {'a': 2, 'b': (4, None)}
    >>> leaves, treedef = tree_util.tree_flatten([1, (2, 3)])
    >>> tree_util.tree_unflatten(treedef, [x + 1 for x in leaves])
    [2, (3, 4)]
"""

from __future__ import annotations

from typing import Any

from ftrans.tree import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    Partial,
    PyTreeDef,
    SequenceKey,
    all_leaves,
    flatten_one_level,
    flatten_one_level_with_keys,
    is_tree_node,
    keystr,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
    register_pytree_with_keys_class,
    register_static,
    treedef_children,
    treedef_is_leaf,
    treedef_tuple,
)
from ftrans.tree import all as tree_all
from ftrans.tree import broadcast as tree_broadcast
from ftrans.tree import flatten as tree_flatten
from ftrans.tree import flatten_with_path as tree_flatten_with_path
from ftrans.tree import leaves as tree_leaves
from ftrans.tree import leaves_with_path as tree_leaves_with_path
from ftrans.tree import map as tree_map
from ftrans.tree import map_with_path as tree_map_with_path
from ftrans.tree import reduce as tree_reduce
from ftrans.tree import reduce_associative as tree_reduce_associative
from ftrans.tree import structure as tree_structure
from ftrans.tree import transpose as tree_transpose
from ftrans.tree import unflatten as tree_unflatten

KeyEntry = Any
"""A path entry: `DictKey`, `SequenceKey`, `GetAttrKey`, `FlattenedIndexKey` or a user key."""
KeyPath = tuple[Any, ...]
"""A tuple of key entries from the root to a leaf."""

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "Partial",
    "PyTreeDef",
    "SequenceKey",
    "all_leaves",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "is_tree_node",
    "keystr",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
    "tree_all",
    "tree_broadcast",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_reduce_associative",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_children",
    "treedef_is_leaf",
    "treedef_tuple",
]
