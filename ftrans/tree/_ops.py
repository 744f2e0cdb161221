"""Operations on trees: map and friends, prefixes, transposes, and leaf checks."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ftrans.tree._keys import (
    _where,
    keystr,
)
from ftrans.tree._match import _flatten_up_to, _Mismatch, _mismatch_parts, _paths_up_to
from ftrans.tree._treedef import (
    PyTreeDef,
    flatten,
    flatten_with_path,
    leaves,
    leaves_with_path,
    structure,
)

PyTree = Any
LeafPredicate = Callable[[Any], bool] | None


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


# ----------------------------------------------------------------------------- JAX extras


def broadcast(prefix_tree: PyTree, full_tree: PyTree, is_leaf: LeafPredicate = None) -> PyTree:
    """Repeat each leaf of ``prefix_tree`` over the subtree of ``full_tree`` it covers.

    Unlike `broadcast_prefix` (and like ``jax.tree.broadcast``), ``None`` is an empty node here,
    not a leaf, and the result is a tree of ``full_tree``'s structure.

    Raises:
        ValueError: ``prefix_tree`` is not a prefix of ``full_tree``; the message gives the path.

    Examples:
        >>> broadcast((1, 2), ((3, 4), {'a': 5, 'b': 6}))
        ((1, 1), {'a': 2, 'b': 2})
    """
    prefix_flat, prefix_def = flatten(prefix_tree, is_leaf)
    subtrees: list[Any] = []
    try:
        _flatten_up_to(prefix_def, full_tree, subtrees)
    except _Mismatch as e:
        where, expected, got = _mismatch_parts(e)
        raise ValueError(
            f"ftrans.tree.broadcast: prefix_tree is not a prefix of full_tree at {where}: "
            f"prefix_tree has {expected}, full_tree has {got}."
        ) from None
    out = []
    for value, sub in zip(prefix_flat, subtrees, strict=True):
        out.append(map(lambda _: value, sub, is_leaf=is_leaf))
    return prefix_def._build(iter(out))


def reduce_associative(
    operation: Callable[[Any, Any], Any],
    tree: PyTree,
    *,
    identity: Any = _NO_INITIAL,
    is_leaf: LeafPredicate = None,
) -> Any:
    """Combine the leaves pairwise in a balanced tree (depth ``log2(n)``) with an associative
    ``operation``; ``identity`` is returned for a tree with no leaves.

    Raises:
        TypeError: the tree has no leaves and no ``identity`` was given.

    Examples:
        >>> reduce_associative(lambda a, b: a + b, [1, 2, 3, 4, 5])
        15
        >>> reduce_associative(lambda a, b: a + b, [], identity=0)
        0
    """
    items = leaves(tree, is_leaf)
    if not items:
        if identity is _NO_INITIAL:
            raise TypeError(
                "ftrans.tree.reduce_associative: the tree has no leaves; pass identity= for "
                "the value to return then."
            )
        return identity
    while len(items) > 1:
        paired = [operation(a, b) for a, b in zip(items[::2], items[1::2], strict=False)]
        if len(items) % 2:
            paired.append(items[-1])
        items = paired
    return items[0]
