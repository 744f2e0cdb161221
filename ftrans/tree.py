"""Pytrees: nested containers to a flat list of leaves plus a hashable structure, and back."""

from __future__ import annotations

import builtins
import collections
import dataclasses
import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
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
    "map",
    "map_with_path",
    "reduce",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "structure",
    "transpose",
    "unflatten",
]

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
    """Path entry of a child of a registered node without keys: its index among the children."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx}]"


KeyPath = tuple[Any, ...]


def keystr(path: KeyPath) -> str:
    """Render a key path as the Python-like suffix that reaches the leaf.

    Args:
        path: a tuple of key entries, as produced by `flatten_with_path`.

    Returns:
        The entries' strings joined; ``""`` for the empty path (the root).

    Examples:
        >>> keystr((DictKey('layers'), SequenceKey(0), GetAttrKey('w')))
        "['layers'][0].w"
    """
    return "".join([str(k) for k in path])


def _where(path: KeyPath) -> str:
    return keystr(path) if path else "the root"


# ----------------------------------------------------------------------------- node kinds


@dataclasses.dataclass(frozen=True, slots=True)
class _NodeKind:
    """How to take one container type apart and put it back together.

    ``describe(node_type, aux, n)`` and ``show(node_type, aux, child_strs)`` only serve error
    messages and ``PyTreeDef.__repr__``.
    """

    flatten: Callable[[Any], tuple[Iterable[Any], Hashable]]
    unflatten: Callable[[Any, list[Any]], Any]
    flatten_with_keys: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Hashable]] | None
    describe: Callable[[type, Any, int], str]
    show: Callable[[type, Any, list[str]], str]


# Explicitly registered kinds (built-ins included); registering a type twice is an error.
_registry: dict[type, _NodeKind] = {}
# type -> kind, or None for leaf types; filled lazily so flatten is one dict lookup per value.
_kind_cache: dict[type, _NodeKind | None] = {}
_UNKNOWN = object()


def _kind_of(tp: type) -> _NodeKind | None:
    """Slow path of the kind lookup: detect namedtuples, otherwise a leaf; cache the answer."""
    kind = _registry.get(tp)
    if kind is None and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        kind = _namedtuple_kind(tp)
    _kind_cache[tp] = kind
    return kind


def _type_name(tp: type) -> str:
    module = getattr(tp, "__module__", "")
    return tp.__qualname__ if module in ("builtins", "") else f"{module}.{tp.__qualname__}"


def _register(tp: type, kind: _NodeKind) -> None:
    if tp in _registry:
        raise ValueError(
            f"{_type_name(tp)} is already registered as a pytree node type; "
            "each type can be registered only once."
        )
    _registry[tp] = kind
    _kind_cache[tp] = kind


def _seq_show(open_: str, close: str, children: list[str]) -> str:
    if open_ == "(" and len(children) == 1:
        return f"({children[0]},)"
    return open_ + ", ".join(children) + close


def _seq_keys(x: Sequence[Any]) -> tuple[list[tuple[Any, Any]], None]:
    return [(SequenceKey(i), c) for i, c in enumerate(x)], None


_register(
    tuple,
    _NodeKind(
        flatten=lambda x: (x, None),
        unflatten=lambda aux, children: tuple(children),
        flatten_with_keys=_seq_keys,
        describe=lambda tp, aux, n: f"a tuple of length {n}",
        show=lambda tp, aux, cs: _seq_show("(", ")", cs),
    ),
)
_register(
    list,
    _NodeKind(
        flatten=lambda x: (x, None),
        unflatten=lambda aux, children: list(children),
        flatten_with_keys=_seq_keys,
        describe=lambda tp, aux, n: f"a list of length {n}",
        show=lambda tp, aux, cs: _seq_show("[", "]", cs),
    ),
)
_register(
    type(None),
    _NodeKind(
        flatten=lambda x: ((), None),
        unflatten=lambda aux, children: None,
        flatten_with_keys=lambda x: ((), None),
        describe=lambda tp, aux, n: "None",
        show=lambda tp, aux, cs: "None",
    ),
)


def _namedtuple_kind(cls: type) -> _NodeKind:
    fields = tuple(cls._fields)
    name = cls.__name__
    return _NodeKind(
        flatten=lambda x: (x, None),
        # tuple.__new__ skips any validating __new__ a subclass may define.
        unflatten=lambda aux, children: tuple.__new__(cls, children),
        flatten_with_keys=lambda x: (
            [(GetAttrKey(f), c) for f, c in zip(fields, x, strict=True)],
            None,
        ),
        describe=lambda tp, aux, n: f"a namedtuple {name} with fields {list(fields)}",
        show=lambda tp, aux, cs: (
            f"{name}(" + ", ".join(f"{f}={c}" for f, c in zip(fields, cs, strict=True)) + ")"
        ),
    )


# ----------------------------------------------------------------------------- dicts


def _fallback_sort_key(key: Any) -> tuple[str, str]:
    return type(key).__name__, repr(key)


def _sorted_keys(d: Iterable[Any]) -> tuple[Any, ...]:
    try:
        return tuple(sorted(d))
    except TypeError:
        return tuple(sorted(d, key=_fallback_sort_key))


class _DictKeys:
    """Aux data of a dict node: keys in leaf (sorted) order plus the user's insertion order.

    Equality and hash look only at the sorted keys, so two dicts with the same keys give equal
    treedefs whatever order they were built in, while unflatten restores the user's order.
    """

    __slots__ = ("hash", "inserted", "keys", "order", "types")

    def __init__(self, inserted: tuple[Any, ...]):
        self.inserted = inserted
        self.types = tuple(builtins.map(type, inserted))
        self.keys = _sorted_keys(inserted)
        self.hash = hash(self.keys)
        if self.keys == inserted:
            self.order = None
        else:  # for each inserted key, its position among the sorted keys (= leaf order)
            position = {k: i for i, k in enumerate(self.keys)}
            self.order = tuple(builtins.map(position.__getitem__, inserted))

    @classmethod
    def of(cls, d: dict[Any, Any]) -> _DictKeys:
        # Sorting dominates flattening small dicts, and the same key sets come back on every
        # call of a transformed function, so key sets are memoised. The type check keeps
        # equal-but-different keys (1, 1.0, True) from sharing an entry.
        inserted = tuple(d)
        aux = _dict_keys_cache.get(inserted)
        if aux is None or aux.types != tuple(builtins.map(type, inserted)):
            if len(_dict_keys_cache) >= _DICT_KEYS_CACHE_SIZE:
                _dict_keys_cache.clear()
            aux = _dict_keys_cache[inserted] = cls(inserted)
        return aux

    def build(self, children: list[Any]) -> dict[Any, Any]:
        if self.order is None:
            return dict(zip(self.keys, children, strict=True))
        return dict(zip(self.inserted, builtins.map(children.__getitem__, self.order)))

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, _DictKeys) and self.keys == other.keys)

    def __hash__(self) -> int:
        return self.hash

    def __repr__(self) -> str:
        return repr(list(self.keys))


_DICT_KEYS_CACHE_SIZE = 4096
_dict_keys_cache: dict[tuple[Any, ...], _DictKeys] = {}


def _dict_flatten(d: dict[Any, Any]) -> tuple[list[Any], _DictKeys]:
    aux = _DictKeys.of(d)
    if aux.order is None:
        return list(d.values()), aux
    return list(builtins.map(d.__getitem__, aux.keys)), aux


def _dict_flatten_with_keys(
    d: dict[Any, Any],
) -> tuple[list[tuple[Any, Any]], _DictKeys]:
    aux = _DictKeys.of(d)
    return [(DictKey(k), d[k]) for k in aux.keys], aux


def _dict_show(keys: Iterable[Any], children: list[str]) -> str:
    return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(keys, children, strict=True)) + "}"


def _factory_name(factory: Any) -> str:
    return getattr(factory, "__name__", repr(factory))


_register(
    dict,
    _NodeKind(
        flatten=_dict_flatten,
        unflatten=lambda aux, children: aux.build(children),
        flatten_with_keys=_dict_flatten_with_keys,
        describe=lambda tp, aux, n: f"a dict with keys {aux!r}",
        show=lambda tp, aux, cs: _dict_show(aux.keys, cs),
    ),
)
# OrderedDict order is part of its meaning (its == is order-sensitive), so it keeps insertion
# order for leaves and for treedef equality.
_register(
    collections.OrderedDict,
    _NodeKind(
        flatten=lambda d: (list(d.values()), tuple(d)),
        unflatten=lambda aux, children: collections.OrderedDict(zip(aux, children, strict=True)),
        flatten_with_keys=lambda d: ([(DictKey(k), v) for k, v in d.items()], tuple(d)),
        describe=lambda tp, aux, n: f"an OrderedDict with keys {list(aux)!r}",
        show=lambda tp, aux, cs: f"OrderedDict({_dict_show(aux, cs)})",
    ),
)


def _defaultdict_flatten(
    d: collections.defaultdict[Any, Any],
) -> tuple[list[Any], Hashable]:
    children, keys = _dict_flatten(d)
    return children, (d.default_factory, keys)


def _defaultdict_flatten_with_keys(
    d: collections.defaultdict[Any, Any],
) -> tuple[list[Any], Hashable]:
    children, keys = _dict_flatten_with_keys(d)
    return children, (d.default_factory, keys)


_register(
    collections.defaultdict,
    _NodeKind(
        flatten=_defaultdict_flatten,
        unflatten=lambda aux, children: collections.defaultdict(aux[0], aux[1].build(children)),
        flatten_with_keys=_defaultdict_flatten_with_keys,
        describe=lambda tp, aux, n: f"a defaultdict({_factory_name(aux[0])}) with keys {aux[1]!r}",
        show=lambda tp, aux, cs: (
            f"defaultdict({_factory_name(aux[0])}, {_dict_show(aux[1].keys, cs)})"
        ),
    ),
)


# ----------------------------------------------------------------------------- registration


def register_pytree_node(
    nodetype: type,
    flatten_fn: Callable[[Any], tuple[Iterable[Any], Hashable]],
    unflatten_fn: Callable[[Any, Iterable[Any]], Any],
    flatten_with_keys_fn: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Hashable]] | None = None,
) -> None:
    """Teach ftrans to see inside a container type.

    Only the exact type is registered, not its subclasses.

    Args:
        nodetype: the container class.
        flatten_fn: ``x -> (children, aux_data)``. ``aux_data`` is whatever is needed besides the
            children to rebuild ``x``; it becomes part of the treedef, so it must be hashable
            and comparable with ``==``.
        unflatten_fn: ``(aux_data, children) -> x``.
        flatten_with_keys_fn: optional ``x -> ([(key_entry, child), ...], aux_data)`` giving
            readable path entries (e.g. `GetAttrKey`); without it paths use `FlattenedIndexKey`.

    Raises:
        ValueError: if ``nodetype`` is already registered.

    Examples:
        >>> class Pair:
        ...     def __init__(self, a, b):
        ...         self.a, self.b = a, b
        >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda aux, ch: Pair(*ch))
        >>> leaves(Pair(1.0, (2.0, 3.0)))
        [1.0, 2.0, 3.0]
    """
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node: expected a class, got {nodetype!r}.")
    name = nodetype.__name__

    def describe(tp: type, aux: Any, n: int) -> str:
        return f"a {name} with {n} children and aux data {aux!r}"

    def show(tp: type, aux: Any, children: list[str]) -> str:
        return f"{name}[{aux!r}](" + ", ".join(children) + ")"

    _register(
        nodetype,
        _NodeKind(flatten_fn, unflatten_fn, flatten_with_keys_fn, describe, show),
    )


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: register a class that defines its own flatten/unflatten methods.

    The class needs ``tree_flatten(self) -> (children, aux_data)`` and a classmethod
    ``tree_unflatten(cls, aux_data, children)``; an optional ``tree_flatten_with_keys(self)``
    gives readable paths.

    Examples:
        >>> @register_pytree_node_class
        ... class Scaled:
        ...     def __init__(self, value, scale):
        ...         self.value, self.scale = value, scale
        ...     def tree_flatten(self):
        ...         return (self.value,), self.scale
        ...     @classmethod
        ...     def tree_unflatten(cls, scale, children):
        ...         return cls(children[0], scale)
        >>> structure(Scaled(1.0, scale=2))
        PyTreeDef(Scaled[2](*))
    """
    with_keys = None
    if hasattr(cls, "tree_flatten_with_keys"):

        def with_keys(x: Any) -> tuple[Iterable[tuple[Any, Any]], Hashable]:
            return x.tree_flatten_with_keys()

    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten, with_keys)
    return cls


def register_dataclass(
    cls: type | None = None,
    *,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> Any:
    """Register a dataclass as a pytree node: data fields are children, meta fields are static.

    Without field lists, a field declared with ``dataclasses.field(metadata={"static": True})``
    is a meta field and every other field is a data field. Meta values are part of the
    treedef (they must be hashable); changing one changes the structure, which is what makes a
    ``jit`` retrace. Unflatten fills the fields directly (``object.__new__`` then
    ``object.__setattr__``) without calling ``__init__``/``__post_init__``, so frozen and
    ``init=False`` fields work and validation never sees tracers or placeholder leaves.

    Args:
        cls: the dataclass (omit it to use ``@register_dataclass(data_fields=..., ...)``).
        data_fields: names of the child fields.
        meta_fields: names of the static fields. If either list is given, every dataclass
            field must appear in exactly one of them.

    Returns:
        ``cls`` itself (or a decorator when ``cls`` is omitted).

    Raises:
        TypeError: if ``cls`` is not a dataclass.
        ValueError: if the field lists miss, repeat, or invent fields.

    Examples:
        >>> @register_dataclass
        ... @dataclasses.dataclass(frozen=True)
        ... class Linear:
        ...     w: Any
        ...     b: Any
        ...     act: str = dataclasses.field(default="relu", metadata={"static": True})
        >>> flat, treedef = flatten(Linear(w=1.0, b=2.0))
        >>> flat, treedef
        ([1.0, 2.0], PyTreeDef(Linear(w=*, b=*, act='relu')))
        >>> treedef.unflatten([3.0, 4.0])
        Linear(w=3.0, b=4.0, act='relu')
    """
    if cls is None:
        return functools.partial(
            register_dataclass, data_fields=data_fields, meta_fields=meta_fields
        )
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(
            f"register_dataclass: {cls!r} is not a dataclass class; apply @dataclasses.dataclass "
            "first (write @register_dataclass above @dataclasses.dataclass)."
        )
    fields = dataclasses.fields(cls)
    names = [f.name for f in fields]
    if data_fields is None and meta_fields is None:
        meta = tuple(f.name for f in fields if f.metadata.get("static", False))
        data = tuple(n for n in names if n not in meta)
    else:
        data, meta = tuple(data_fields or ()), tuple(meta_fields or ())
        listed = data + meta
        missing = [n for n in names if n not in listed]
        extra = [n for n in listed if n not in names]
        repeated = sorted({n for n in listed if listed.count(n) > 1})
        if missing or extra or repeated:
            problems = []
            if missing:
                problems.append(f"missing fields {missing}")
            if extra:
                problems.append(f"fields that {cls.__name__} does not have {extra}")
            if repeated:
                problems.append(f"fields listed more than once {repeated}")
            raise ValueError(
                f"register_dataclass({cls.__name__}): data_fields and meta_fields must list every "
                f"field of {cls.__name__} exactly once (fields: {names}); found "
                + "; ".join(problems)
                + "."
            )
    _register(cls, _dataclass_kind(cls, data, meta))
    return cls


def _dataclass_kind(cls: type, data: tuple[str, ...], meta: tuple[str, ...]) -> _NodeKind:
    name = cls.__name__
    keys = [GetAttrKey(n) for n in data]
    new, setattr_ = object.__new__, object.__setattr__

    def flatten(x: Any) -> tuple[list[Any], tuple[Any, ...]]:
        return [getattr(x, n) for n in data], tuple([getattr(x, n) for n in meta])

    def flatten_with_keys(x: Any) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
        children, aux = flatten(x)
        return list(zip(keys, children, strict=True)), aux

    def unflatten(aux: tuple[Any, ...], children: list[Any]) -> Any:
        obj = new(cls)
        for n, v in zip(data, children, strict=True):
            setattr_(obj, n, v)
        for n, v in zip(meta, aux, strict=True):
            setattr_(obj, n, v)
        return obj

    def describe(tp: type, aux: tuple[Any, ...], n: int) -> str:
        static = ", ".join(f"{m}={v!r}" for m, v in zip(meta, aux, strict=True))
        return f"a {name} with static fields ({static})" if meta else f"a {name}"

    def show(tp: type, aux: tuple[Any, ...], children: list[str]) -> str:
        parts = [f"{n}={c}" for n, c in zip(data, children, strict=True)]
        parts += [f"{m}={v!r}" for m, v in zip(meta, aux, strict=True)]
        return f"{name}(" + ", ".join(parts) + ")"

    return _NodeKind(flatten, unflatten, flatten_with_keys, describe, show)


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


def _keyed_children(kind: _NodeKind, x: Any) -> tuple[list[tuple[Any, Any]], Any]:
    if kind.flatten_with_keys is not None:
        keyed, aux = kind.flatten_with_keys(x)
        return list(keyed), aux
    children, aux = kind.flatten(x)
    return [(FlattenedIndexKey(i), c) for i, c in enumerate(children)], aux


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


def is_leaf(x: Any) -> bool:
    """True when ``x`` is not a container ftrans knows (``None`` is an empty node, not a leaf).

    Examples:
        >>> is_leaf(1.0), is_leaf((1.0,)), is_leaf(None)
        (True, False, False)
    """
    tp = type(x)
    kind = _kind_cache.get(tp, _UNKNOWN)
    if kind is _UNKNOWN:
        kind = _kind_of(tp)
    return kind is None


# ----------------------------------------------------------------------------- matching trees


class _Mismatch(Exception):
    """Internal: a tree does not have the expected structure; ``path`` is filled while unwinding."""

    def __init__(self, expected: PyTreeDef, got: Any):
        super().__init__()
        self.expected = expected
        self.got = got
        self.path: list[Any] = []  # innermost key first


def _flatten_up_to(treedef: PyTreeDef, x: Any, out: list[Any]) -> None:
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


def _paths_up_to(treedef: PyTreeDef, x: Any, path: KeyPath) -> list[KeyPath]:
    """Key paths of ``treedef``'s leaves inside ``x`` (which must match); for error messages."""
    if treedef._kind is None:
        return [path]
    keyed, _ = _keyed_children(treedef._kind, x)
    out = []
    for sub_def, (key, child) in zip(treedef._children, keyed, strict=True):
        out += _paths_up_to(sub_def, child, (*path, key))
    return out


def _describe_node(treedef: PyTreeDef) -> str:
    return treedef._kind.describe(treedef._node_type, treedef._aux, len(treedef._children))


def _describe_value(x: Any) -> str:
    tp = type(x)
    kind = _kind_cache.get(tp, _UNKNOWN)
    if kind is _UNKNOWN:
        kind = _kind_of(tp)
    if kind is None:
        return f"a leaf of type {tp.__name__}"
    children, aux = kind.flatten(x)
    return kind.describe(tp, aux, len(list(children)))


def _dict_keys_of(treedef_or_value: Any) -> list[Any] | None:
    """The keys of a dict-like node (treedef or value), else None; for 'missing/extra' hints."""
    if isinstance(treedef_or_value, PyTreeDef):
        tp, aux = treedef_or_value._node_type, treedef_or_value._aux
        if tp is dict:
            return list(aux.keys)
        if tp is collections.defaultdict:
            return list(aux[1].keys)
        if tp is collections.OrderedDict:
            return list(aux)
        return None
    return (
        list(treedef_or_value)
        if type(treedef_or_value) in (dict, collections.OrderedDict, collections.defaultdict)
        else None
    )


def _mismatch_parts(e: _Mismatch) -> tuple[str, str, str]:
    """``(where, expected, got)`` phrases for an error message."""
    expected, got = _describe_node(e.expected), _describe_value(e.got)
    want, have = _dict_keys_of(e.expected), _dict_keys_of(e.got)
    if want is not None and have is not None:
        missing = [k for k in want if k not in have]
        extra = [k for k in have if k not in want]
        hints = []
        if missing:
            hints.append(f"missing {missing}")
        if extra:
            hints.append(f"extra {extra}")
        if hints:
            got += f" ({', '.join(hints)})"
    return _where(tuple(reversed(e.path))), expected, got


def _rest_up_to(fn: str, treedef: PyTreeDef, rest: tuple[Any, ...]) -> list[list[Any]]:
    flat_rest = []
    for i, other in enumerate(rest, start=1):
        out: list[Any] = []
        try:
            _flatten_up_to(treedef, other, out)
        except _Mismatch as e:
            where, expected, got = _mismatch_parts(e)
            raise ValueError(
                f"ftrans.tree.{fn}: tree {i} does not match tree 0 at {where}: "
                f"expected {expected}, got {got}. All trees passed to {fn} must share the "
                "first tree's structure (or have it as a prefix)."
            ) from None
        flat_rest.append(out)
    return flat_rest


# ----------------------------------------------------------------------------- map & friends


# `map` and `all` shadow builtins on purpose: the API is spelled `tree.map`, `tree.all`.
def map(  # noqa: A001
    f: Callable[..., Any], tree: PyTree, *rest: PyTree, is_leaf: LeafPredicate = None
) -> PyTree:
    """Apply ``f`` leaf by leaf, keeping ``tree``'s structure.

    ``tree`` fixes the structure. Each tree in ``rest`` must have the same containers down to
    ``tree``'s leaves; whatever it holds at a leaf position of ``tree`` (even a whole subtree)
    is passed to ``f`` as is.

    Args:
        f: called as ``f(leaf, *rest_leaves)``.
        tree: the pytree that defines the structure.
        *rest: more pytrees with ``tree``'s structure (or ``tree`` as a prefix of theirs).
        is_leaf: optional predicate marking subtrees of ``tree`` to treat as leaves.

    Raises:
        ValueError: a tree in ``rest`` does not match; the message gives the path.

    Examples:
        >>> map(lambda x, y: x + y, {'a': 1, 'b': (2, 3)}, {'a': 10, 'b': (20, 30)})
        {'a': 11, 'b': (22, 33)}
        >>> map(lambda x, y: (x, y), [1, 2], [(3, 4), None])
        [(1, (3, 4)), (2, None)]
    """
    flat, treedef = flatten(tree, is_leaf)
    if not rest:
        return treedef._build(iter([f(x) for x in flat]))
    flat_rest = _rest_up_to("map", treedef, rest)
    return treedef._build(iter([f(*xs) for xs in zip(flat, *flat_rest, strict=True)]))


def map_with_path(
    f: Callable[..., Any], tree: PyTree, *rest: PyTree, is_leaf: LeafPredicate = None
) -> PyTree:
    """Like `map`, but ``f`` is called as ``f(path, leaf, *rest_leaves)``.

    Examples:
        >>> map_with_path(lambda p, x: f"{keystr(p)}={x}", {'w': [1, 2]})
        {'w': ["['w'][0]=1", "['w'][1]=2"]}
    """
    pairs, treedef = flatten_with_path(tree, is_leaf)
    flat_rest = _rest_up_to("map_with_path", treedef, rest) if rest else []
    results = [f(p, x, *xs) for (p, x), *xs in zip(pairs, *flat_rest, strict=True)]
    return treedef._build(iter(results))


_NO_INITIAL = object()


def reduce(
    f: Callable[[Any, Any], Any],
    tree: PyTree,
    initializer: Any = _NO_INITIAL,
    is_leaf: LeafPredicate = None,
) -> Any:
    """Fold ``f`` over the leaves in flatten order, like `functools.reduce`.

    Examples:
        >>> reduce(lambda a, b: a + b, {'a': 1, 'b': [2, 3]})
        6
        >>> reduce(max, [], initializer=0)
        0
    """
    flat = leaves(tree, is_leaf)
    if initializer is _NO_INITIAL:
        return functools.reduce(f, flat)
    return functools.reduce(f, flat, initializer)


def all(tree: PyTree, is_leaf: LeafPredicate = None) -> bool:  # noqa: A001
    """True when every leaf is truthy (and for a tree with no leaves).

    Examples:
        >>> all({'a': True, 'b': (1, 2.0)}), all([True, 0])
        (True, False)
    """
    return builtins.all(leaves(tree, is_leaf))


def transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, tree: PyTree) -> PyTree:
    """Swap the two levels of a tree-of-trees: outer(inner(x)) becomes inner(outer(x)).

    Args:
        outer_treedef: the structure of the outer level.
        inner_treedef: the structure found at each outer leaf; ``None`` infers it from the
            first one. Anything below an inner leaf is carried along as is.
        tree: a pytree of structure ``outer_treedef`` with an ``inner_treedef`` tree at each leaf.

    Examples:
        >>> outer, inner = structure([0, 0]), structure({'a': 0, 'b': 0})
        >>> transpose(outer, inner, [{'a': 1, 'b': 2}, {'a': 3, 'b': 4}])
        {'a': [1, 3], 'b': [2, 4]}
    """
    subtrees: list[Any] = []
    try:
        _flatten_up_to(outer_treedef, tree, subtrees)
    except _Mismatch as e:
        where, expected, got = _mismatch_parts(e)
        raise ValueError(
            f"ftrans.tree.transpose: tree does not match outer_treedef at {where}: expected "
            f"{expected}, got {got}. The tree must have outer_treedef's structure with an "
            "inner_treedef-shaped tree at each of its leaves."
        ) from None
    if inner_treedef is None:
        if not subtrees:
            raise ValueError(
                "ftrans.tree.transpose: cannot infer inner_treedef because outer_treedef has no "
                "leaves; pass inner_treedef explicitly."
            )
        inner_treedef = structure(subtrees[0])
    grid = []
    for i, sub in enumerate(subtrees):
        row: list[Any] = []
        try:
            _flatten_up_to(inner_treedef, sub, row)
        except _Mismatch as e:
            outer_where = _where(_paths_up_to(outer_treedef, tree, ())[i])
            where, expected, got = _mismatch_parts(e)
            raise ValueError(
                f"ftrans.tree.transpose: the subtree at outer leaf {outer_where} does not match "
                f"inner_treedef at {where}: expected {expected}, got {got}. Every outer leaf must "
                f"hold a tree of structure {inner_treedef!r}."
            ) from None
        grid.append(row)
    columns = zip(*grid, strict=True) if grid else ([] for _ in range(inner_treedef.num_leaves))
    return inner_treedef._build(iter([outer_treedef._build(iter(col)) for col in columns]))


def broadcast_prefix(
    prefix_tree: PyTree,
    full_tree: PyTree,
    is_leaf: LeafPredicate = None,
    *,
    prefix_name: str = "prefix_tree",
    full_name: str = "full_tree",
) -> list[Any]:
    """For each leaf of ``full_tree``, the leaf of ``prefix_tree`` whose subtree contains it.

    ``None`` in ``prefix_tree`` counts as a leaf here, so it covers a whole subtree (this is
    how ``vmap(in_axes=...)`` says "not batched").

    Args:
        prefix_tree: a pytree whose structure is a prefix of ``full_tree``'s.
        full_tree: the pytree to cover.
        is_leaf: optional predicate applied to both trees.
        prefix_name: how error messages call ``prefix_tree`` (e.g. ``"in_axes"``).
        full_name: how error messages call ``full_tree`` (e.g. ``"the arguments"``).

    Returns:
        A list with one entry per leaf of ``full_tree``, in flatten order.

    Raises:
        ValueError: ``prefix_tree`` is not a prefix of ``full_tree``; the message gives the path.

    Examples:
        >>> broadcast_prefix((0, None), ([1, 2], {'a': 3}))
        [0, 0, None]
    """
    if is_leaf is None:
        prefix_leaf: LeafPredicate = _is_none
    else:

        def prefix_leaf(x: Any) -> bool:
            return x is None or is_leaf(x)

    prefix_flat, prefix_def = flatten(prefix_tree, prefix_leaf)
    subtrees: list[Any] = []
    try:
        _flatten_up_to(prefix_def, full_tree, subtrees)
    except _Mismatch as e:
        where, expected, got = _mismatch_parts(e)
        raise ValueError(
            f"ftrans.tree.broadcast_prefix: {prefix_name} is not a prefix of {full_name} at "
            f"{where}: {prefix_name} has {expected}, {full_name} has {got}. Wherever "
            f"{prefix_name} has a container, {full_name} must have the same kind of container "
            f"with the same keys or length; a leaf (or None) of {prefix_name} covers the whole "
            f"subtree of {full_name} below it."
        ) from None
    out: list[Any] = []
    for value, sub in zip(prefix_flat, subtrees, strict=True):
        out.extend([value] * len(leaves(sub, is_leaf)))
    return out


def _is_none(x: Any) -> bool:
    return x is None


# ----------------------------------------------------------------------------- leaf checks

_ARRAY_LIKE_TYPES = (np.ndarray, np.generic, bool, int, float, complex)


def _is_array_like(x: Any) -> bool:
    return isinstance(x, _ARRAY_LIKE_TYPES) or getattr(type(x), "__ftrans_array__", False) is True


def check_leaves(
    tree: PyTree, *, what: str, is_valid: Callable[[Any], bool] | None = None
) -> tuple[list[Any], PyTreeDef]:
    """Flatten ``tree`` and make sure every leaf is an array (for transforms checking inputs).

    Array-like means a ``numpy.ndarray``, a NumPy scalar, a Python ``bool``/``int``/``float``/
    ``complex``, or an object whose class sets ``__ftrans_array__ = True`` (tracers do).

    Args:
        tree: the pytree to check.
        what: names the value in the message, e.g. ``"argument 0 of grad(loss)"``.
        is_valid: optional predicate replacing the array-like test.

    Returns:
        ``(leaves, treedef)``, as `flatten` would.

    Raises:
        TypeError: naming the first bad leaf's type and path, and how to fix it.

    Examples:
        >>> check_leaves({'w': 1.0}, what="argument 0 of grad(loss)")
        ([1.0], PyTreeDef({'w': *}))
        >>> check_leaves({'w': 'hi'}, what="argument 0 of grad(loss)")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: argument 0 of grad(loss) has a leaf of type str at path ['w'], which is not ...
    """
    flat, treedef = flatten(tree)
    ok = _is_array_like if is_valid is None else is_valid
    bad = next((i for i, leaf in enumerate(flat) if not ok(leaf)), None)
    if bad is None:
        return flat, treedef
    leaf = flat[bad]
    path = leaves_with_path(tree)[bad][0]  # paths are only worth their cost on the error path
    name = type(leaf).__name__
    if path:
        head = f"{what} has a leaf of type {name} at path {keystr(path)}, which is not an array."
    else:
        head = f"{what} is of type {name}, which is not an array."
    raise TypeError(
        f"{head} Leaves must be numpy arrays, NumPy/Python scalars or ftrans tracers. If {name} "
        "is a container, register it with ftrans.tree.register_pytree_node or "
        "ftrans.tree.register_dataclass; if it is a constant, close over it instead of passing "
        "it as an argument."
    )
