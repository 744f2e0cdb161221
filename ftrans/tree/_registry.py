"""Node kinds: built-in containers, dicts with their key order, and registration."""

from __future__ import annotations

import builtins
import collections
import dataclasses
import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from ftrans.tree._keys import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    SequenceKey,
)

PyTree = Any
LeafPredicate = Callable[[Any], bool] | None


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


def _kind_for(tp: type) -> _NodeKind | None:
    """The kind of values of type ``tp``, None for leaves: the cache, else `_kind_of`. (The
    flatten loops inline these two lines: they run once per value of every tree.)"""
    kind = _kind_cache.get(tp, _UNKNOWN)
    return _kind_of(tp) if kind is _UNKNOWN else kind


def _keyed_children(kind: _NodeKind, x: Any) -> tuple[list[tuple[Any, Any]], Any]:
    """``([(key, child), ...], aux)`` of node ``x`` of ``kind`` (index keys when it has none)."""
    if kind.flatten_with_keys is not None:
        keyed, aux = kind.flatten_with_keys(x)
        return list(keyed), aux
    children, aux = kind.flatten(x)
    return [(FlattenedIndexKey(i), c) for i, c in enumerate(children)], aux


def _differences(want: Sequence[Any], have: Sequence[Any], missing: str, extra: str) -> list[str]:
    """For error messages: ``"<missing> [...]"`` naming the items of ``want`` that ``have``
    lacks and ``"<extra> [...]"`` those it has beyond ``want``, each only when there are any."""
    lacking = [k for k in want if k not in have]
    beyond = [k for k in have if k not in want]
    return [f"{label} {items}" for label, items in ((missing, lacking), (extra, beyond)) if items]


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
    drop_fields: Sequence[str] = (),
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
            field must appear in exactly one of them (or in ``drop_fields``).
        drop_fields: fields left out of the pytree altogether (unflatten does not set them).

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
            register_dataclass,
            data_fields=data_fields,
            meta_fields=meta_fields,
            drop_fields=drop_fields,
        )
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(
            f"register_dataclass: {cls!r} is not a dataclass class; apply @dataclasses.dataclass "
            "first (write @register_dataclass above @dataclasses.dataclass)."
        )
    fields = dataclasses.fields(cls)
    drop = tuple(drop_fields)
    names = [f.name for f in fields if f.name not in drop]
    if data_fields is None and meta_fields is None:
        meta = tuple(n.name for n in fields if n.metadata.get("static", False) and n.name in names)
        data = tuple(n for n in names if n not in meta)
    else:
        data, meta = tuple(data_fields or ()), tuple(meta_fields or ())
        listed = data + meta
        problems = _differences(
            names, listed, "missing fields", f"fields that {cls.__name__} does not have"
        )
        repeated = sorted({n for n in listed if listed.count(n) > 1})
        if repeated:
            problems.append(f"fields listed more than once {repeated}")
        if problems:
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


def register_pytree_with_keys(
    nodetype: type,
    flatten_with_keys: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Hashable]],
    unflatten_func: Callable[[Any, Iterable[Any]], Any],
    flatten_func: Callable[[Any], tuple[Iterable[Any], Hashable]] | None = None,
) -> None:
    """Register a container type by its keyed flatten function (JAX's argument order).

    Args:
        nodetype: the container class.
        flatten_with_keys: ``x -> ([(key_entry, child), ...], aux_data)``.
        unflatten_func: ``(aux_data, children) -> x``.
        flatten_func: optional faster ``x -> (children, aux_data)``; derived from
            ``flatten_with_keys`` when omitted.

    Examples:
        >>> class Params:
        ...     def __init__(self, w, b):
        ...         self.w, self.b = w, b
        >>> register_pytree_with_keys(
        ...     Params,
        ...     lambda p: (((GetAttrKey('w'), p.w), (GetAttrKey('b'), p.b)), None),
        ...     lambda aux, ch: Params(*ch),
        ... )
        >>> from ftrans.tree import keystr, leaves_with_path
        >>> [keystr(p) for p, _ in leaves_with_path(Params(1.0, 2.0))]
        ['.w', '.b']
    """
    if flatten_func is None:

        def flatten_func(x: Any) -> tuple[list[Any], Hashable]:
            keyed, aux = flatten_with_keys(x)
            return [c for _, c in keyed], aux

    register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator: `register_pytree_node_class` with a required ``tree_flatten_with_keys``.

    The class defines ``tree_flatten_with_keys(self) -> ([(key, child), ...], aux)`` and a
    classmethod ``tree_unflatten(cls, aux, children)``; ``tree_flatten`` is optional.

    Examples:
        >>> @register_pytree_with_keys_class
        ... class Box:
        ...     def __init__(self, v):
        ...         self.v = v
        ...     def tree_flatten_with_keys(self):
        ...         return ((GetAttrKey('v'), self.v),), None
        ...     @classmethod
        ...     def tree_unflatten(cls, aux, children):
        ...         return cls(*children)
        >>> from ftrans.tree import keystr, leaves_with_path
        >>> [keystr(p) for p, _ in leaves_with_path(Box(3.0))]
        ['.v']
    """
    if not hasattr(cls, "tree_flatten_with_keys"):
        raise TypeError(
            f"register_pytree_with_keys_class: {cls.__name__} has no tree_flatten_with_keys "
            "method; define it, or use register_pytree_node_class."
        )
    flat = None
    if hasattr(cls, "tree_flatten"):

        def flat(x: Any) -> tuple[Iterable[Any], Hashable]:
            return x.tree_flatten()

    register_pytree_with_keys(
        cls, lambda x: x.tree_flatten_with_keys(), cls.tree_unflatten, flatten_func=flat
    )
    return cls


def register_static(cls: type) -> type:
    """Register a type whose instances are pytree nodes with no children (static, in the treedef).

    The instance itself becomes the node's aux data, so it must be hashable; a value of this
    type passed to ``jit`` acts like a static argument.

    Examples:
        >>> @register_static
        ... class Tag:
        ...     def __init__(self, name):
        ...         self.name = name
        ...     def __hash__(self):
        ...         return hash(self.name)
        ...     def __eq__(self, other):
        ...         return isinstance(other, Tag) and other.name == self.name
        >>> from ftrans.tree import leaves
        >>> leaves([1.0, Tag('relu')])
        [1.0]
    """
    register_pytree_node(cls, lambda x: ((), x), lambda aux, children: aux)
    return cls


def static(**kwargs: Any) -> Any:
    """A `dataclasses.field` marked static for `register_dataclass` (``jax.tree.static``).

    Takes `dataclasses.field`'s arguments and adds ``metadata={'static': True}``.

    Examples:
        >>> @register_dataclass
        ... @dataclasses.dataclass
        ... class Op:
        ...     x: Any
        ...     op: str = static(default='add')
        >>> from ftrans.tree import flatten
        >>> flatten(Op(1.0))
        ([1.0], PyTreeDef(Op(x=*, op='add')))
    """
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata["static"] = True
    return dataclasses.field(metadata=metadata, **kwargs)


class Partial(functools.partial):
    """A `functools.partial` that is a pytree: its bound arguments are leaves, the function is
    static. So a partially applied function can be passed to (and returned from) ``jit``,
    ``vmap`` or ``scan`` as an argument, like ``jax.tree_util.Partial``.

    Examples:
        >>> import ftrans as ft
        >>> add = Partial(lambda a, b, c=0.0: a + b + c, 1.0, c=3.0)
        >>> ft.tree.leaves(add)
        [1.0, 3.0]
        >>> float(ft.jit(lambda f, x: f(x))(add, 2.0))
        6.0
    """


def _partial_unflatten(func: Callable[..., Any], children: list[Any]) -> Partial:
    args, keywords = children
    return Partial(func, *args, **keywords)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    _partial_unflatten,
    lambda p: (((GetAttrKey("args"), p.args), (GetAttrKey("keywords"), p.keywords)), p.func),
)
