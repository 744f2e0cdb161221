"""PyTreeDef and flattening."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import Any

from ftrans.tree._keys import KeyPath
from ftrans.tree._match import _flatten_up_to, _Mismatch, _mismatch_parts
from ftrans.tree._registry import (
    _UNKNOWN,
    _keyed_children,
    _kind_cache,
    _kind_for,
    _kind_of,
    _NodeKind,
)

PyTree = Any
LeafPredicate = Callable[[Any], bool] | None


# ----------------------------------------------------------------------------- PyTreeDef

_UNSET = object()


class PyTreeDef:
    """The structure of a pytree with its leaves taken out: immutable, hashable, comparable.

    Two treedefs are equal when they have the same node types, the same aux data and equal
    children; dicts compare by key set, so insertion order does not matter (it is still
    remembered, and `unflatten` restores it).

    Examples:
        >>> treedef = structure({'b': (1, 2), 'a': 3})
        >>> treedef, treedef.num_leaves, treedef.num_nodes
        (PyTreeDef({'a': *, 'b': (*, *)}), 3, 5)
        >>> treedef.unflatten([10, 20, 30])
        {'b': (20, 30), 'a': 10}
    """

    # Private slots are written once in _make (or lazily, for caches) and never again; the
    # public attributes are read-only properties.
    __slots__ = (
        "_aux",
        "_children",
        "_hash",
        "_key",
        "_kind",
        "_node_type",
        "_num_leaves",
        "_num_nodes",
    )

    def __init__(self) -> None:
        raise TypeError("PyTreeDef is made by ftrans.tree.flatten / structure, not directly.")

    @classmethod
    def _make(
        cls,
        kind: _NodeKind | None,
        node_type: type | None,
        aux: Any,
        children: tuple[PyTreeDef, ...],
        num_leaves: int,
    ) -> PyTreeDef:
        self = object.__new__(cls)
        self._node_type = node_type
        self._num_leaves = num_leaves
        self._kind = kind
        self._aux = aux
        self._children = children
        self._key = None if kind is None else _UNSET
        self._hash = _UNSET
        self._num_nodes = 1 if kind is None else _UNSET
        return self

    def __copy__(self) -> PyTreeDef:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PyTreeDef:
        return self

    @property
    def node_type(self) -> type | None:
        """The container type at the root, or ``None`` if the root is a leaf."""
        return self._node_type

    @property
    def num_leaves(self) -> int:
        """How many leaves the structure holds."""
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """Number of nodes, leaves included (``None`` counts as one node)."""
        n = self._num_nodes
        if n is _UNSET:
            n = self._num_nodes = 1 + sum([c.num_nodes for c in self._children])
        return n

    def children(self) -> list[PyTreeDef]:
        """The treedefs of the root's children (empty for a leaf or ``None``)."""
        return list(self._children)

    def node_data(self) -> tuple[type, Any] | None:
        """``(node_type, aux_data)`` of the root, or ``None`` for a leaf.

        Examples:
            >>> structure([1, 2]).node_data()
            (<class 'list'>, None)
        """
        return None if self._kind is None else (self._node_type, self._aux)

    def flatten_up_to(self, tree: PyTree) -> list[Any]:
        """The subtrees of ``tree`` sitting at this structure's leaves (this must be a prefix).

        Raises:
            ValueError: ``tree`` does not have this structure down to its leaves.

        Examples:
            >>> structure([0, (0, 0)]).flatten_up_to([{'x': 1}, (2, [3])])
            [{'x': 1}, 2, [3]]
        """
        out: list[Any] = []
        try:
            _flatten_up_to(self, tree, out)
        except _Mismatch as e:
            where, expected, got = _mismatch_parts(e)
            raise ValueError(
                f"flatten_up_to: the tree does not match {self!r} at {where}: expected "
                f"{expected}, got {got}."
            ) from None
        return out

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """The structure obtained by putting a copy of ``inner`` at each of this one's leaves.

        Examples:
            >>> structure([0, 0]).compose(structure((0, 0)))
            PyTreeDef([(*, *), (*, *)])
        """
        if self._kind is None:
            return inner
        children = tuple([c.compose(inner) for c in self._children])
        return PyTreeDef._make(
            self._kind,
            self._node_type,
            self._aux,
            children,
            sum([c._num_leaves for c in children]),
        )

    def walk(self, f_node: Any, f_leaf: Any, leaves: Iterable[Any]) -> Any:
        """Fold over the structure: ``f_leaf(leaf)`` at leaves (identity if ``None``), and
        ``f_node(tuple_of_child_results, node_data)`` at every node, bottom up.

        Examples:
            >>> structure([1, (2, 3)]).walk(lambda xs, _: sum(xs), None, [1, 2, 3])
            6
        """
        it = iter(leaves)

        def go(td: PyTreeDef) -> Any:
            if td._kind is None:
                x = next(it)
                return x if f_leaf is None else f_leaf(x)
            return f_node(tuple([go(c) for c in td._children]), td._aux)

        return go(self)

    def _structure_key(self) -> Any:
        # A nested plain tuple, so == and hash run in C; leaves have key None.
        key = self._key
        if key is _UNSET:
            key = (
                self._node_type,
                self._aux,
                tuple([c._key if c._kind is None else c._structure_key() for c in self._children]),
            )
            self._key = key
        return key

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        if self._num_leaves != other._num_leaves:
            return False
        return self._structure_key() == other._structure_key()

    def __hash__(self) -> int:
        h = self._hash
        if h is _UNSET:
            try:
                h = hash(self._structure_key())
            except TypeError as e:
                raise TypeError(
                    f"{self!r} cannot be hashed because the aux data of one of its nodes is "
                    f"unhashable ({e}). Aux data (static dataclass fields, the second value "
                    "returned by a registered flatten function) must be hashable; use tuples "
                    "instead of lists, or make the value a data field."
                ) from e
            self._hash = h
        return h

    def unflatten(self, leaves: Iterable[Any]) -> PyTree:
        """Rebuild a pytree of this structure from leaves in flatten order.

        Raises:
            ValueError: if the number of leaves is not ``num_leaves``.

        Examples:
            >>> structure([1, (2, 3)]).unflatten(['a', 'b', 'c'])
            ['a', ('b', 'c')]
        """
        if not isinstance(leaves, (list, tuple)):
            leaves = list(leaves)
        if len(leaves) != self._num_leaves:
            raise ValueError(
                f"{self!r} expects {self._num_leaves} leaves, got {len(leaves)}. Pass exactly "
                "the leaves that flatten produced for a tree of this structure."
            )
        return self._build(iter(leaves))

    def _build(self, it: Any) -> Any:
        if self._kind is None:
            return next(it)
        children = [next(it) if c._kind is None else c._build(it) for c in self._children]
        return self._kind.unflatten(self._aux, children)

    def _show(self) -> str:
        if self._kind is None:
            return "*"
        return self._kind.show(self._node_type, self._aux, [c._show() for c in self._children])

    def __repr__(self) -> str:
        return f"PyTreeDef({self._show()})"


_LEAF = PyTreeDef._make(None, None, None, (), 1)


# ----------------------------------------------------------------------------- flatten


def _flatten(x: Any, out: list[Any], is_leaf: LeafPredicate) -> PyTreeDef:
    if is_leaf is not None:
        return _flatten_pred(x, out, is_leaf)
    tp = type(x)
    kind = _kind_cache.get(tp, _UNKNOWN)
    if kind is _UNKNOWN:
        kind = _kind_of(tp)
    if kind is None:
        out.append(x)
        return _LEAF
    children, aux = kind.flatten(x)
    start = len(out)
    # The hot loop of every transform call: leaves (known leaf types) are handled inline
    # instead of through a recursive call, which halves the cost for flat containers.
    get, append, defs = _kind_cache.get, out.append, []
    for c in children:
        if get(type(c), _UNKNOWN) is None:
            append(c)
            defs.append(_LEAF)
        else:
            defs.append(_flatten(c, out, None))
    return PyTreeDef._make(kind, tp, aux, tuple(defs), len(out) - start)


def _flatten_pred(x: Any, out: list[Any], is_leaf: Callable[[Any], bool]) -> PyTreeDef:
    if is_leaf(x):
        out.append(x)
        return _LEAF
    tp = type(x)
    kind = _kind_cache.get(tp, _UNKNOWN)
    if kind is _UNKNOWN:
        kind = _kind_of(tp)
    if kind is None:
        out.append(x)
        return _LEAF
    children, aux = kind.flatten(x)
    start = len(out)
    defs = tuple([_flatten_pred(c, out, is_leaf) for c in children])
    return PyTreeDef._make(kind, tp, aux, defs, len(out) - start)


def _flatten_with_path(
    x: Any, path: KeyPath, out: list[tuple[KeyPath, Any]], is_leaf: LeafPredicate
) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        out.append((path, x))
        return _LEAF
    tp = type(x)
    kind = _kind_cache.get(tp, _UNKNOWN)
    if kind is _UNKNOWN:
        kind = _kind_of(tp)
    if kind is None:
        out.append((path, x))
        return _LEAF
    keyed, aux = _keyed_children(kind, x)
    start = len(out)
    defs = tuple([_flatten_with_path(c, (*path, k), out, is_leaf) for k, c in keyed])
    return PyTreeDef._make(kind, tp, aux, defs, len(out) - start)


def flatten(tree: PyTree, is_leaf: LeafPredicate = None) -> tuple[list[Any], PyTreeDef]:
    """Split a pytree into its leaves (depth first; dicts in sorted key order) and its structure.

    Args:
        tree: any nesting of tuples, lists, dicts, ``None``, namedtuples and registered types.
        is_leaf: optional predicate; a subtree for which it returns True is kept whole as a leaf.

    Returns:
        ``(leaves, treedef)`` with ``treedef.unflatten(leaves)`` rebuilding ``tree``.

    Examples:
        >>> flatten({'b': [1, 2], 'a': None, 'c': 3})
        ([1, 2, 3], PyTreeDef({'a': None, 'b': [*, *], 'c': *}))
        >>> flatten([(1, 2), 3], is_leaf=lambda x: isinstance(x, tuple))
        ([(1, 2), 3], PyTreeDef([*, *]))
    """
    out: list[Any] = []
    treedef = _flatten(tree, out, is_leaf)
    return out, treedef


def unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> PyTree:
    """Rebuild a pytree from a treedef and leaves in flatten order (see `PyTreeDef.unflatten`).

    Examples:
        >>> flat, treedef = flatten({'y': 1, 'x': 2})
        >>> unflatten(treedef, [v * 10 for v in flat])
        {'y': 10, 'x': 20}
    """
    return treedef.unflatten(leaves)


def leaves(tree: PyTree, is_leaf: LeafPredicate = None) -> list[Any]:
    """The leaves of a pytree in flatten order.

    Examples:
        >>> leaves({'a': 1, 'b': (2, None, [3])})
        [1, 2, 3]
    """
    out: list[Any] = []
    _flatten(tree, out, is_leaf)
    return out


def structure(tree: PyTree, is_leaf: LeafPredicate = None) -> PyTreeDef:
    """The treedef of a pytree.

    Examples:
        >>> structure((1, [2, 3]))
        PyTreeDef((*, [*, *]))
    """
    return _flatten(tree, [], is_leaf)


def flatten_with_path(
    tree: PyTree, is_leaf: LeafPredicate = None
) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """Like `flatten`, but each leaf comes with its key path.

    Examples:
        >>> pairs, _ = flatten_with_path({'w': [1.0, 2.0]})
        >>> [(keystr(p), x) for p, x in pairs]
        [("['w'][0]", 1.0), ("['w'][1]", 2.0)]
    """
    out: list[tuple[KeyPath, Any]] = []
    treedef = _flatten_with_path(tree, (), out, is_leaf)
    return out, treedef


def leaves_with_path(tree: PyTree, is_leaf: LeafPredicate = None) -> list[tuple[KeyPath, Any]]:
    """``(path, leaf)`` pairs in flatten order.

    Examples:
        >>> [keystr(p) for p, _ in leaves_with_path({'a': (1, 2)})]
        ["['a'][0]", "['a'][1]"]
    """
    return flatten_with_path(tree, is_leaf)[0]


def _is_leaf_value(x: Any) -> bool:
    return is_leaf(x)


def is_leaf(x: Any) -> bool:
    """True when ``x`` is not a container ftrans knows (``None`` is an empty node, not a leaf).

    Examples:
        >>> is_leaf(1.0), is_leaf((1.0,)), is_leaf(None)
        (True, False, False)
    """
    return _kind_for(type(x)) is None


# ----------------------------------------------------------------------------- JAX helpers


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True when the treedef has one node: a leaf, or an empty container such as ``None``.

    Examples:
        >>> treedef_is_leaf(structure(1.0)), treedef_is_leaf(structure(None))
        (True, True)
    """
    return treedef.num_nodes == 1


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """The treedefs of the root's children (``jax.tree_util.treedef_children``).

    Examples:
        >>> treedef_children(structure((1, [2, 3])))
        [PyTreeDef(*), PyTreeDef([*, *])]
    """
    return treedef.children()


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The structure of a tuple whose elements have the given structures.

    Examples:
        >>> treedef_tuple([structure(1), structure([1, 2])])
        PyTreeDef((*, [*, *]))
    """
    children = tuple(treedefs)
    return PyTreeDef._make(
        _kind_of(tuple), tuple, None, children, sum([c.num_leaves for c in children])
    )


def all_leaves(iterable: Iterable[Any], is_leaf: LeafPredicate = None) -> bool:
    """True when every element of ``iterable`` is a leaf (``None`` is a node, so not one).

    Examples:
        >>> all_leaves([1.0, 2.0]), all_leaves([1.0, (2.0,)]), all_leaves([None])
        (True, False, False)
    """
    items = list(iterable)
    if is_leaf is None:
        return builtins.all(_is_leaf_value(x) for x in items)
    return items == leaves(items, is_leaf)


def flatten_one_level(tree: PyTree) -> tuple[list[Any], Any]:
    """The root's children and aux data, one level deep.

    Raises:
        ValueError: ``tree`` is a leaf.

    Examples:
        >>> flatten_one_level({'b': 1, 'a': 2})
        ([2, 1], ['a', 'b'])
    """
    kind = _kind_node(tree)
    children, aux = kind.flatten(tree)
    return list(children), aux


def flatten_one_level_with_keys(tree: PyTree) -> tuple[list[tuple[Any, Any]], Any]:
    """Like `flatten_one_level`, with a key entry paired with each child.

    Examples:
        >>> flatten_one_level_with_keys([1, 2])[0]
        [(SequenceKey(idx=0), 1), (SequenceKey(idx=1), 2)]
    """
    return _keyed_children(_kind_node(tree), tree)


def _kind_node(tree: Any) -> _NodeKind:
    tp = type(tree)
    kind = _kind_for(tp)
    if kind is None:
        raise ValueError(
            f"flatten_one_level: a value of type {tp.__name__} is a leaf, not a pytree node."
        )
    return kind


def is_tree_node(typ: Any) -> bool:
    """True when values of type ``typ`` are pytree nodes (built in or registered).

    Examples:
        >>> is_tree_node(list), is_tree_node(int)
        (True, False)
    """
    if not isinstance(typ, type):
        return False  # JAX's contract: a type is asked about, never an instance
    return _kind_for(typ) is not None
