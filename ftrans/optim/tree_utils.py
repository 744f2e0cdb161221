"""``ftrans.optim.tree_utils``: arithmetic on whole pytrees, under optax's names.

Every function maps over the leaves of its pytree arguments (which must share one structure)
with ``ftrans.numpy``, so it works under ``jit``, ``vmap`` and ``grad``. The same functions
are available without the ``tree_`` prefix in ``ftrans.optim.tree`` (optax's ``optax.tree``).

Examples:
    >>> import numpy as np
    >>> from ftrans.optim import tree_utils as tu
    >>> x = {"a": np.array([1.0, 2.0]), "b": np.array(3.0)}
    >>> float(tu.tree_vdot(x, x)), float(tu.tree_l2_norm(x, squared=True))
    (14.0, 14.0)
    >>> tu.tree_add_scale(x, 0.5, x)["a"]
    array([1.5, 3. ])
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import ftrans.numpy as fnp
from ftrans import tree as _tree

PyTree = Any

__all__ = [
    "NamedTupleKey",
    "tree_add",
    "tree_add_scalar_mul",
    "tree_add_scale",
    "tree_allclose",
    "tree_batch_shape",
    "tree_bias_correction",
    "tree_cast",
    "tree_cast_like",
    "tree_clip",
    "tree_conj",
    "tree_div",
    "tree_dtype",
    "tree_full_like",
    "tree_get",
    "tree_get_all_with_path",
    "tree_l1_norm",
    "tree_l2_norm",
    "tree_linf_norm",
    "tree_map_params",
    "tree_max",
    "tree_min",
    "tree_mul",
    "tree_norm",
    "tree_ones_like",
    "tree_random_like",
    "tree_real",
    "tree_scalar_mul",
    "tree_scale",
    "tree_set",
    "tree_size",
    "tree_split_key_like",
    "tree_sub",
    "tree_sum",
    "tree_update_infinity_moment",
    "tree_update_moment",
    "tree_update_moment_per_elem_norm",
    "tree_vdot",
    "tree_where",
    "tree_zeros_like",
]


def _map(f: Callable[..., Any], tree: PyTree, *rest: PyTree) -> PyTree:
    return _tree.map(f, tree, *rest, is_leaf=lambda x: x is None)


def _none_safe(f: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, *rest: None if x is None else f(x, *rest)


# ----------------------------------------------------------------------------- arithmetic


def tree_add(tree_x: PyTree, tree_y: PyTree, *other_trees: PyTree) -> PyTree:
    """Leafwise sum of two or more pytrees.

    Examples:
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_add({"a": 1.0}, {"a": 2.0}, {"a": 3.0})
        {'a': 6.0}
    """
    return _tree.map(lambda *xs: functools.reduce(operator.add, xs), tree_x, tree_y, *other_trees)


def tree_sub(tree_x: PyTree, tree_y: PyTree) -> PyTree:
    """Leafwise ``tree_x - tree_y``.

    Examples:
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_sub({"a": 3.0}, {"a": 1.0})
        {'a': 2.0}
    """
    return _tree.map(operator.sub, tree_x, tree_y)


def tree_mul(tree_x: PyTree, tree_y: PyTree) -> PyTree:
    """Leafwise product ``tree_x * tree_y``.

    Examples:
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_mul({"a": 3.0}, {"a": 2.0})
        {'a': 6.0}
    """
    return _tree.map(operator.mul, tree_x, tree_y)


def tree_div(tree_x: PyTree, tree_y: PyTree) -> PyTree:
    """Leafwise quotient ``tree_x / tree_y``.

    Examples:
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_div({"a": 3.0}, {"a": 2.0})
        {'a': 1.5}
    """
    return _tree.map(operator.truediv, tree_x, tree_y)


def tree_scale(scalar: Any, tree: PyTree) -> PyTree:
    """Every leaf multiplied by ``scalar``.

    Examples:
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_scale(2.0, {"a": 1.5})
        {'a': 3.0}
    """
    return _tree.map(lambda x: scalar * x, tree)


tree_scalar_mul = tree_scale


def tree_add_scale(tree_x: PyTree, scalar: Any, tree_y: PyTree) -> PyTree:
    """``tree_x + scalar * tree_y``, leaf by leaf (``None`` leaves of ``tree_x`` stay ``None``).

    Examples:
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_add_scale({"a": 1.0}, 0.5, {"a": 4.0})["a"].item()
        3.0
    """
    scalar = fnp.asarray(scalar)
    return _map(_none_safe(lambda x, y: x + scalar * y), tree_x, tree_y)


tree_add_scalar_mul = tree_add_scale


def _vdot_leaf(a: Any, b: Any) -> Any:
    a, b = fnp.asarray(a), fnp.asarray(b)
    if fnp.shape(a) != fnp.shape(b):
        raise ValueError(
            f"ftrans.optim.tree_utils.tree_vdot: leaves of shapes {fnp.shape(a)} and "
            f"{fnp.shape(b)} differ; both trees need the same leaf shapes."
        )
    if np.issubdtype(a.dtype, np.complexfloating):
        a = fnp.conjugate(a)
    return fnp.sum(a * b)


def tree_vdot(tree_x: PyTree, tree_y: PyTree) -> Any:
    """The inner product of two pytrees: the sum over leaves of ``vdot(x, y)``.

    Complex leaves of ``tree_x`` are conjugated, as in ``numpy.vdot``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> float(tu.tree_vdot({"a": np.array([1.0, 2.0])}, {"a": np.array([3.0, 4.0])}))
        11.0
    """
    dots = _tree.leaves(_tree.map(_vdot_leaf, tree_x, tree_y))
    return functools.reduce(operator.add, dots, 0)


def tree_sum(tree: PyTree, associative_reduction: bool = False) -> Any:
    """The sum of all elements of all leaves.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> float(tu.tree_sum({"a": np.ones(3), "b": np.array(2.0)}))
        5.0
    """
    del associative_reduction  # the order of a sum over a handful of leaves does not matter here
    sums = [fnp.sum(x) for x in _tree.leaves(tree)]
    return functools.reduce(operator.add, sums, 0)


def tree_max(tree: PyTree) -> Any:
    """The largest element over all leaves (``-inf`` for an empty tree).

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> float(tu.tree_max({"a": np.array([1.0, 5.0]), "b": np.array(2.0)}))
        5.0
    """
    maxes = [fnp.max(x) for x in _tree.leaves(tree) if fnp.size(x) > 0]
    return functools.reduce(fnp.maximum, maxes, -float("inf"))


def tree_min(tree: PyTree) -> Any:
    """The smallest element over all leaves (``inf`` for an empty tree).

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> float(tu.tree_min({"a": np.array([1.0, 5.0]), "b": np.array(-2.0)}))
        -2.0
    """
    mins = [fnp.min(x) for x in _tree.leaves(tree) if fnp.size(x) > 0]
    return functools.reduce(fnp.minimum, mins, float("inf"))


def tree_size(tree: PyTree) -> int:
    """The total number of elements over all leaves.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_size({"a": np.ones((2, 3)), "b": np.array(1.0)})
        7
    """
    return int(sum(fnp.size(x) for x in _tree.leaves(tree)))


def tree_conj(tree: PyTree) -> PyTree:
    """Leafwise complex conjugate."""
    return _tree.map(fnp.conjugate, tree)


def tree_real(tree: PyTree) -> PyTree:
    """Leafwise real part."""
    return _tree.map(fnp.real, tree)


def _abs_sq(x: Any) -> Any:
    x = fnp.asarray(x)
    if np.issubdtype(x.dtype, np.complexfloating):
        return fnp.square(fnp.real(x)) + fnp.square(fnp.imag(x))
    return fnp.square(x)


def tree_norm(tree: PyTree, ord: Any = None, squared: bool = False) -> Any:  # noqa: A002
    """The norm of a pytree seen as one flat vector: ``ord`` in ``None``/2, 1, or ``inf``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> x = {"a": np.array([3.0]), "b": np.array([-4.0])}
        >>> float(tu.tree_norm(x)), float(tu.tree_norm(x, 1)), float(tu.tree_norm(x, "inf"))
        (5.0, 7.0, 4.0)
    """
    if ord is None or ord == 2:
        total = tree_sum(_tree.map(_abs_sq, tree))
        return fnp.asarray(total if squared else fnp.sqrt(total))
    if ord == 1:
        value = tree_sum(_tree.map(fnp.abs, tree))
    elif ord in ("inf", "infinity") or ord == np.inf:
        value = tree_max(_tree.map(fnp.abs, tree))
    else:
        raise ValueError(
            f"ftrans.optim.tree_utils.tree_norm: ord must be None, 2, 1 or 'inf', got {ord!r}."
        )
    return fnp.asarray(_abs_sq(value) if squared else value)


def tree_l2_norm(tree: PyTree, squared: bool = False) -> Any:
    """The L2 norm of a pytree (``tree_norm(tree, 2, squared)``).

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> float(tu.tree_l2_norm({"a": np.array([3.0, 4.0])}))
        5.0
    """
    return tree_norm(tree, None, squared)


def tree_l1_norm(tree: PyTree) -> Any:
    """The L1 norm of a pytree (the sum of absolute values of all elements)."""
    return tree_norm(tree, 1)


def tree_linf_norm(tree: PyTree) -> Any:
    """The infinity norm of a pytree (the largest absolute value of any element)."""
    return tree_norm(tree, "inf")


# ----------------------------------------------------------------------------- construction


def tree_batch_shape(tree: PyTree, shape: tuple[int, ...] = ()) -> PyTree:
    """Every leaf broadcast to ``shape + leaf.shape``."""
    return _tree.map(lambda x: fnp.broadcast_to(x, (*shape, *fnp.shape(x))), tree)


def tree_zeros_like(tree: PyTree, dtype: Any = None) -> PyTree:
    """A pytree of zeros shaped like ``tree`` (with ``dtype`` if given).

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_zeros_like({"a": np.ones(2)})
        {'a': array([0., 0.])}
    """
    return _tree.map(lambda x: fnp.zeros_like(x, dtype=dtype), tree)


def tree_ones_like(tree: PyTree, dtype: Any = None) -> PyTree:
    """A pytree of ones shaped like ``tree``."""
    return _tree.map(lambda x: fnp.ones_like(x, dtype=dtype), tree)


def tree_full_like(tree: PyTree, fill_value: Any, dtype: Any = None) -> PyTree:
    """A pytree shaped like ``tree`` filled with ``fill_value``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_full_like({"a": np.ones(2)}, 0.5)
        {'a': array([0.5, 0.5])}
    """
    return _tree.map(lambda x: fnp.full_like(x, fill_value, dtype=dtype), tree)


def tree_clip(tree: PyTree, min_value: Any = None, max_value: Any = None) -> PyTree:
    """Every leaf clipped to ``[min_value, max_value]``."""
    return _tree.map(lambda x: fnp.clip(x, min_value, max_value), tree)


def tree_where(condition: Any, tree_x: PyTree, tree_y: PyTree) -> PyTree:
    """Leafwise ``where(condition, x, y)``; ``condition`` is one array for all leaves.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_where(np.array(False), {"a": 1.0}, {"a": 2.0})
        {'a': array(2.)}
    """

    def pick(x: Any, y: Any) -> Any:
        cond = fnp.asarray(condition)
        shape = np.broadcast_shapes(fnp.shape(cond), fnp.shape(x), fnp.shape(y))
        return fnp.where(fnp.broadcast_to(cond, shape), x, y)

    return _tree.map(pick, tree_x, tree_y)


def tree_cast(tree: PyTree, dtype: Any) -> PyTree:
    """Every floating leaf cast to ``dtype`` (``None``: unchanged)."""
    if dtype is None:
        return tree
    return _tree.map(lambda x: fnp.astype(x, dtype), tree)


def tree_cast_like(tree: PyTree, other_tree: PyTree) -> PyTree:
    """Every leaf cast to the dtype of the matching leaf of ``other_tree``."""
    return _tree.map(lambda x, y: fnp.astype(x, fnp.asarray(y).dtype), tree, other_tree)


def tree_dtype(tree: PyTree, mixed_dtype_handler: str | None = None) -> Any:
    """The dtype shared by all leaves, or ``"highest"``/``"lowest"`` of them.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import tree_utils as tu
        >>> tu.tree_dtype({"a": np.ones(1, np.float32), "b": np.ones(1)}, "highest")
        dtype('float64')
    """
    dtypes = [np.dtype(fnp.asarray(x).dtype) for x in _tree.leaves(tree)]
    if not dtypes:
        return np.dtype("float64")
    if all(d == dtypes[0] for d in dtypes):
        return dtypes[0]
    if mixed_dtype_handler == "highest":
        return functools.reduce(np.promote_types, dtypes)
    if mixed_dtype_handler == "lowest":
        return min(dtypes, key=lambda d: (d.kind != "b", d.itemsize))
    raise ValueError(
        f"ftrans.optim.tree_utils.tree_dtype: the leaves have several dtypes {sorted(set(map(str, dtypes)))}; "  # noqa: E501
        "pass mixed_dtype_handler='highest' or 'lowest'."
    )


def tree_allclose(
    a: PyTree, b: PyTree, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    """Whether every pair of leaves is ``allclose``."""
    pairs = zip(_tree.leaves(a), _tree.leaves(b), strict=True)
    return all(
        np.allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol, equal_nan=equal_nan)
        for x, y in pairs
    )


# ----------------------------------------------------------------------------- moments


def tree_update_moment(updates: PyTree, moments: PyTree, decay: Any, order: int) -> PyTree:
    r"""$(1 - \rho) \, g^k + \rho \, m$ leaf by leaf (an exponential moving average).

    Here $\rho$ is the ``decay``, $k$ the ``order``, $g$ the update and $m$ the moment.
    """
    return _map(_none_safe(lambda g, t: (1 - decay) * g**order + decay * t), updates, moments)


def tree_update_infinity_moment(updates: PyTree, moments: PyTree, decay: Any, eps: Any) -> PyTree:
    r"""$\max(|g| + \epsilon, \rho \, m)$ leaf by leaf, $\rho$ the ``decay`` (Adamax's norm)."""
    return _map(_none_safe(lambda g, t: fnp.maximum(fnp.abs(g) + eps, decay * t)), updates, moments)


def tree_update_moment_per_elem_norm(
    updates: PyTree, moments: PyTree, decay: Any, order: int
) -> PyTree:
    """As `tree_update_moment` with $|g|^k$ (the modulus for complex leaves)."""

    def power(g: Any) -> Any:
        if not np.issubdtype(fnp.asarray(g).dtype, np.complexfloating):
            return g**order
        half = order / 2
        return _abs_sq(g) ** (int(half) if float(half).is_integer() else half)

    return _map(_none_safe(lambda g, t: (1 - decay) * power(g) + decay * t), updates, moments)


def tree_bias_correction(moment: PyTree, decay: Any, count: Any) -> PyTree:
    r"""$m / (1 - \rho^t)$ leaf by leaf, the factor cast to each leaf's dtype.

    Here $\rho$ is the ``decay`` and $t$ the ``count``.
    """
    correction = 1 - decay**count
    return _tree.map(lambda t: t / fnp.astype(correction, fnp.asarray(t).dtype), moment)


# ----------------------------------------------------------------------------- random


def tree_split_key_like(rng_key: Any, target_tree: PyTree) -> PyTree:
    """One fresh key per leaf of ``target_tree``, in a pytree of its structure."""
    import ftrans.random as fr

    leaves, treedef = _tree.flatten(target_tree)
    keys = fr.split(rng_key, len(leaves)) if leaves else []
    return treedef.unflatten([keys[i] for i in range(len(leaves))])


def tree_random_like(
    rng_key: Any, target_tree: PyTree, sampler: Callable[..., Any] | None = None, dtype: Any = None
) -> PyTree:
    """A pytree shaped like ``target_tree`` of samples (standard normal by default)."""
    import ftrans.random as fr

    sampler = fr.normal if sampler is None else sampler
    keys = tree_split_key_like(rng_key, target_tree)
    return _tree.map(
        lambda leaf, key: sampler(key, fnp.shape(leaf), dtype or fnp.asarray(leaf).dtype),
        target_tree,
        keys,
    )


# ----------------------------------------------------------------------------- state access


class NamedTupleKey(NamedTuple):
    """A key-path entry naming a field of a NamedTuple state (as optax prints paths)."""

    tuple_name: str
    name: str

    def __str__(self) -> str:
        return f"{self.tuple_name}.{self.name}"


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _children(node: Any) -> list[tuple[Any, Any]]:
    if _is_namedtuple(node):
        return [(NamedTupleKey(type(node).__name__, f), getattr(node, f)) for f in node._fields]
    if isinstance(node, dict):
        return [(_tree.DictKey(k), v) for k, v in node.items()]
    if isinstance(node, (list, tuple)):
        return [(_tree.SequenceKey(i), v) for i, v in enumerate(node)]
    return []


def _key_name(entry: Any) -> Any:
    if isinstance(entry, NamedTupleKey):
        return entry.name
    if isinstance(entry, _tree.DictKey):
        return entry.key
    return None


def tree_get_all_with_path(
    tree: PyTree, key: Any, filtering: Callable[[tuple[Any, ...], Any], bool] | None = None
) -> list[tuple[tuple[Any, ...], Any]]:
    """Every ``(path, value)`` in ``tree`` whose last path entry is named ``key``.

    Names are NamedTuple field names and dict keys, searched at every depth.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> state = optim.adam(0.1).init(np.zeros(2))
        >>> [int(v) for _, v in optim.tree_utils.tree_get_all_with_path(state, "count")]
        [0, 0]
    """
    found: list[tuple[tuple[Any, ...], Any]] = []

    def walk(path: tuple[Any, ...], node: Any) -> None:
        for entry, child in _children(node):
            child_path = (*path, entry)
            if _key_name(entry) == key and (filtering is None or filtering(child_path, child)):
                found.append((child_path, child))
            walk(child_path, child)

    walk((), tree)
    return found


def tree_get(
    tree: PyTree,
    key: Any,
    default: Any = None,
    filtering: Callable[[tuple[Any, ...], Any], bool] | None = None,
) -> Any:
    """The one value in ``tree`` named ``key`` (a NamedTuple field or dict key), else ``default``.

    Several entries with one name and equal values count as one (e.g. the learning rate of
    an `inject_hyperparams` optimiser, recorded both in ``hyperparams`` and by
    `scale_by_learning_rate`).

    Raises:
        KeyError: several entries named ``key`` differ; narrow them with ``filtering``.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.inject_hyperparams(optim.adam)(learning_rate=0.1)
        >>> float(optim.tree_utils.tree_get(opt.init(np.zeros(2)), "learning_rate"))
        0.1
    """
    found = tree_get_all_with_path(tree, key, filtering)
    if len(found) > 1 and not _all_equal([v for _, v in found]):
        paths = ", ".join("".join(f"/{e}" for e in p) for p, _ in found)
        raise KeyError(
            f"ftrans.optim.tree_utils.tree_get: {len(found)} entries are named {key!r} (at "
            f"{paths}); pass filtering=lambda path, value: ... to pick one."
        )
    return found[0][1] if found else default


def _all_equal(values: list[Any]) -> bool:
    try:
        first = np.asarray(values[0])
        return all(
            np.shape(v) == first.shape and bool(np.all(np.asarray(v) == first)) for v in values[1:]
        )
    except Exception:  # traced values (under jit) cannot be compared
        return False


def tree_set(
    tree: PyTree, filtering: Callable[[tuple[Any, ...], Any], bool] | None = None, /, **kwargs: Any
) -> PyTree:
    """A copy of ``tree`` with the entries named by the keywords replaced by their values.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.inject_hyperparams(optim.sgd)(learning_rate=0.1)
        >>> state = optim.tree_utils.tree_set(opt.init(np.zeros(1)), learning_rate=0.5)
        >>> float(state.hyperparams["learning_rate"])
        0.5
    """

    def rebuild(path: tuple[Any, ...], node: Any) -> Any:
        children = _children(node)
        if not children:
            return node
        new = []
        for entry, child in children:
            child_path = (*path, entry)
            name = _key_name(entry)
            if name in kwargs and (filtering is None or filtering(child_path, child)):
                value = kwargs[name]
                new.append(value(child) if callable(value) else value)
            else:
                new.append(rebuild(child_path, child))
        if _is_namedtuple(node):
            return type(node)(*new)
        if isinstance(node, dict):
            return type(node)(zip(node.keys(), new, strict=True))
        return type(node)(new)

    return rebuild((), tree)


def tree_map_params(
    initable: Any,
    f: Callable[..., Any],
    state: PyTree,
    /,
    *rest: Any,
    transform_non_params: Callable[..., Any] | None = None,
    is_leaf: Callable[[Any], bool] | None = None,
) -> PyTree:
    """Apply ``f`` to the parts of an optimiser state shaped like the params.

    ``initable`` is the optimiser (or its ``init``). The state's structure with a placeholder
    for the params tells which subtrees mirror the params; ``f`` maps over their leaves,
    ``transform_non_params`` (if given) over every other leaf.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.adam(0.1)
        >>> state = opt.init({"w": np.ones(2)})
        >>> doubled = optim.tree_utils.tree_map_params(opt, lambda p: p + 2.0, state)
        >>> doubled[0].mu["w"], int(doubled[0].count)
        (array([2., 2.]), 0)
    """
    init = initable.init if hasattr(initable, "init") else initable
    # init on a placeholder (a pytree node with no leaves) marks where the params' copies sit
    template = init(_ParamsPlaceholder())

    def map_part(marker: Any, value: Any) -> Any:
        if isinstance(marker, _ParamsPlaceholder):
            return _tree.map(f, value, *rest, is_leaf=is_leaf)
        return value if transform_non_params is None else transform_non_params(value)

    return _tree.map(map_part, template, state, is_leaf=lambda v: isinstance(v, _ParamsPlaceholder))


@_tree.register_pytree_node_class
class _ParamsPlaceholder:
    """Stands for the whole params pytree while probing an optimiser's state layout."""

    def tree_flatten(self) -> tuple[tuple[()], None]:
        return (), None

    @classmethod
    def tree_unflatten(cls, aux: Any, children: Any) -> _ParamsPlaceholder:
        del aux, children
        return cls()
