"""The collectives that move data between members: ``all_gather``, ``psum_scatter``,
``all_to_all`` (and ``pswapaxes``), ``ppermute`` (and ``pshuffle``), each primitive with all its
rules. The design and the backend contracts are in :mod:`ftrans.primitives.collectives`.
"""

from __future__ import annotations

import math

import numpy as np

from ftrans import core
from ftrans.core import ShapedArray, Zero, get_aval
from ftrans.errors import ShapeError
from ftrans.primitives._axes import (
    _as_operand,
    _bind_one,
    _check_axis,
    _collective,
    _contiguous,
    _external,
    _front,
    _merge,
    _names,
    _no_groups,
    _size_of,
    _split,
    _sum_impl,
    _sum_over,
    _tree_map,
)
from ftrans.primitives._batch import logical_shape, moveaxis
from ftrans.primitives.elementwise import convert_element_type, mul, select
from ftrans.primitives.shape import _linear_jvp, broadcast_in_dim, concatenate, reshape, slice_

# ----------------------------------------------------------------------------- all_gather


def _gathered(stacked, axis, tiled):
    """A ``(n, *shape)`` stack placed at ``axis`` (merged into that axis when ``tiled``)."""
    out = moveaxis(stacked, 0, axis)
    return _merge(out, axis) if tiled else out


def _all_gather_impl(x, *, axis_name, axis, tiled):
    (name,) = axis_name
    x = np.asarray(x)
    stacked = np.asarray(_external(name, "all_gather").all_gather(_contiguous(x)))
    return np.asarray(_gathered(stacked, axis, tiled))


def _all_gather_aval(x, *, axis_name, axis, tiled):
    n = _size_of(axis_name[0], "all_gather")
    shape = list(x.shape)
    if tiled:
        shape[axis] *= n
    else:
        shape.insert(axis, n)
    return ShapedArray(shape, x.dtype)


def _all_gather_batch(vals, dims, *, frame, axis_name, axis, tiled):
    (x,), (d,) = vals, dims
    if frame.name != axis_name[0]:
        x = _front(x, d, frame.size)
        return all_gather_p.bind(x, axis_name=axis_name, axis=axis + 1, tiled=tiled), 0
    return _gathered(_front(x, d, frame.size), axis, tiled), None


all_gather_p = _collective("all_gather", linear=True)
all_gather_p.impl = _all_gather_impl
all_gather_p.abstract_eval = _all_gather_aval
all_gather_p.jvp = _linear_jvp(all_gather_p)
all_gather_p.transpose = lambda ct, x, *, axis_name, axis, tiled: [
    Zero(x.aval)
    if type(ct) is Zero
    else _bind_one(
        psum_scatter_p, ct, {"axis_name": axis_name, "scatter_dimension": axis, "tiled": tiled}
    )
]
all_gather_p.batch = _all_gather_batch


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False, to="varying"):
    """Gather ``x`` (a pytree) from every member of the named axis (JAX's ``lax.all_gather``).

    ``tiled=False`` stacks the members' values on a new axis ``axis``; ``tiled=True``
    concatenates them along the existing axis ``axis``. ``to`` (shard_map's replication type)
    is accepted and changes nothing.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> f = ft.vmap(lambda x: ft.lax.all_gather(x, "i"), axis_name="i")
        >>> f(np.arange(3.0))[0].tolist()
        [0.0, 1.0, 2.0]
    """
    _no_groups(axis_index_groups, "all_gather")
    names = _names(axis_name)

    def one(leaf):
        leaf = _as_operand(leaf)
        rank = len(core.shape_of(leaf))
        ax = _check_axis(axis, rank if tiled else rank + 1, "all_gather: axis")
        out = leaf
        for name in reversed(names):  # the last name varies fastest
            out = _bind_one(all_gather_p, out, {"axis_name": (name,), "axis": ax, "tiled": False})
        if len(names) > 1:
            for _ in names[1:]:
                out = _merge(out, ax)
        return _merge(out, ax) if tiled else out

    return _tree_map(one, x)


# ----------------------------------------------------------------------------- psum_scatter


def _own_chunk(total, dim, tiled, n, k):
    """Member ``k``'s chunk of ``total`` along ``dim`` (the axis dropped unless ``tiled``)."""
    chunk = total.shape[dim] // n
    index = [slice(None)] * total.ndim
    index[dim] = slice(k * chunk, (k + 1) * chunk) if tiled else k
    return total[tuple(index)]


def _psum_scatter_impl(x, *, axis_name, scatter_dimension, tiled):
    (name,) = axis_name
    backend = _external(name, "psum_scatter")
    total = _sum_impl(x, axis_name=axis_name, leaf_paths=("<operand>",), mean=False)[0]
    return np.array(
        _own_chunk(total, scatter_dimension, tiled, int(backend.size()), int(backend.index()))
    )


def _psum_scatter_aval(x, *, axis_name, scatter_dimension, tiled):
    n = _size_of(axis_name[0], "psum_scatter")
    shape = list(x.shape)
    size = shape[scatter_dimension]
    if (size % n) if tiled else (size != n):
        need = f"a multiple of {n}" if tiled else f"{n}"
        raise ShapeError(
            f"psum_scatter: scatter_dimension {scatter_dimension} of shape {tuple(shape)} has "
            f"size {size}, but must be {need} (the size of axis {axis_name[0]!r})"
            + ("" if tiled else "; pass tiled=True to scatter chunks of a longer axis")
        )
    if tiled:
        shape[scatter_dimension] //= n
    else:
        del shape[scatter_dimension]
    return ShapedArray(shape, np.int64 if x.dtype == np.bool_ else x.dtype)


def _psum_scatter_batch(vals, dims, *, frame, axis_name, scatter_dimension, tiled):
    (x,), (d,) = vals, dims
    n = frame.size
    if frame.name != axis_name[0]:
        x = _front(x, d, n)
        params = {"axis_name": axis_name, "scatter_dimension": scatter_dimension + 1}
        return psum_scatter_p.bind(x, **params, tiled=tiled), 0
    _psum_scatter_aval(
        ShapedArray(logical_shape(x, d), get_aval(x).dtype),
        axis_name=axis_name,
        scatter_dimension=scatter_dimension,
        tiled=tiled,
    )
    if get_aval(x).dtype == np.bool_:
        x = convert_element_type(x, new_dtype=np.int64)
    total = _sum_over(x, d, n)
    if tiled:
        total = _split(total, scatter_dimension, n)
    return total, scatter_dimension


psum_scatter_p = _collective("psum_scatter", linear=True)
psum_scatter_p.impl = _psum_scatter_impl
psum_scatter_p.abstract_eval = _psum_scatter_aval
psum_scatter_p.jvp = _linear_jvp(psum_scatter_p)
psum_scatter_p.transpose = lambda ct, x, *, axis_name, scatter_dimension, tiled: [
    Zero(x.aval)
    if type(ct) is Zero
    else _bind_one(
        all_gather_p, ct, {"axis_name": axis_name, "axis": scatter_dimension, "tiled": tiled}
    )
]
psum_scatter_p.batch = _psum_scatter_batch


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    """Sum ``x`` over the named axis and give member ``k`` the ``k``-th chunk of the sum along
    ``scatter_dimension`` (JAX's ``lax.psum_scatter``).

    ``tiled=False``: that dimension has the axis size and is dropped; ``tiled=True``: it is
    divided into equal chunks and kept.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> f = ft.vmap(lambda x: ft.lax.psum_scatter(x, "i"), axis_name="i")
        >>> f(np.arange(9.0).reshape(3, 3)).tolist()
        [9.0, 12.0, 15.0]
    """
    _no_groups(axis_index_groups, "psum_scatter")
    names = _names(axis_name)

    def one(leaf):
        leaf = _as_operand(leaf)
        dim = _check_axis(scatter_dimension, len(core.shape_of(leaf)), "scatter_dimension")
        if len(names) == 1:
            params = {"axis_name": names, "scatter_dimension": dim, "tiled": tiled}
            return _bind_one(psum_scatter_p, leaf, params)
        sizes = [_size_of(n, "psum_scatter") for n in names]
        out = leaf
        shape = core.shape_of(out)
        if not tiled and shape[dim] != math.prod(sizes):
            raise ShapeError(
                f"psum_scatter: scatter_dimension {dim} of shape {shape} must have size "
                f"{math.prod(sizes)} (the size of axes {names})"
            )
        # chunk i*n_rest + rest: scatter the outer name first, each over a block of the rest
        for name, n in zip(names[:-1], sizes[:-1], strict=True):
            out = _split(out, dim, n)
            params = {"axis_name": (name,), "scatter_dimension": dim, "tiled": False}
            out = _bind_one(psum_scatter_p, out, params)
        params = {"axis_name": names[-1:], "scatter_dimension": dim, "tiled": tiled}
        return _bind_one(psum_scatter_p, out, params)

    return _tree_map(one, x)


# ----------------------------------------------------------------------------- all_to_all


def _all_to_all_impl(x, *, axis_name, split_axis, concat_axis, tiled):
    (name,) = axis_name
    backend = _external(name, "all_to_all")
    x = np.asarray(x)
    if tiled:
        return np.asarray(backend.all_to_all(_contiguous(x), split_axis, concat_axis))
    # untiled: the split axis is mapped away and the senders stack at concat_axis
    front = np.moveaxis(x, split_axis, 0)[:, None]
    got = np.asarray(backend.all_to_all(_contiguous(front), 0, 1))[0]
    return np.ascontiguousarray(np.moveaxis(got, 0, concat_axis))


def _all_to_all_aval(x, *, axis_name, split_axis, concat_axis, tiled):
    n = _size_of(axis_name[0], "all_to_all")
    shape = list(x.shape)
    size = shape[split_axis]
    if (size % n) if tiled else (size != n):
        need = f"a multiple of {n}" if tiled else f"{n}"
        raise ShapeError(
            f"all_to_all: split_axis {split_axis} of shape {tuple(shape)} has size {size}, but "
            f"must be {need} (the size of axis {axis_name[0]!r})"
        )
    if tiled:
        shape[split_axis] //= n
        shape[concat_axis] *= n
    else:
        del shape[split_axis]
        shape.insert(concat_axis, n)
    return ShapedArray(shape, x.dtype)


def _all_to_all_batch(vals, dims, *, frame, axis_name, split_axis, concat_axis, tiled):
    (x,), (d,) = vals, dims
    n = frame.size
    x = _front(x, d, n)
    if frame.name != axis_name[0]:
        params = {"split_axis": split_axis + 1, "concat_axis": concat_axis + 1}
        return all_to_all_p.bind(x, axis_name=axis_name, **params, tiled=tiled), 0
    logical = core.shape_of(x)[1:]
    _all_to_all_aval(
        ShapedArray(logical, get_aval(x).dtype),
        axis_name=axis_name,
        split_axis=split_axis,
        concat_axis=concat_axis,
        tiled=tiled,
    )
    # x[m, ...]: member m's value; the receiver k is the k-th chunk of the split axis
    if tiled:
        x = _split(x, split_axis + 1, n)  # x[m, ..., k, chunk, ...]
    y = moveaxis(x, split_axis + 1, 0)  # y[k, m, ...]
    if tiled:
        return _merge(moveaxis(y, 1, concat_axis + 1), concat_axis + 1), 0
    return moveaxis(y, 1, concat_axis + 1), 0


all_to_all_p = _collective("all_to_all", linear=True)
all_to_all_p.impl = _all_to_all_impl
all_to_all_p.abstract_eval = _all_to_all_aval
all_to_all_p.jvp = _linear_jvp(all_to_all_p)
all_to_all_p.transpose = lambda ct, x, *, axis_name, split_axis, concat_axis, tiled: [
    Zero(x.aval)
    if type(ct) is Zero
    else _bind_one(
        all_to_all_p,
        ct,
        {
            "axis_name": axis_name,
            "split_axis": concat_axis,
            "concat_axis": split_axis,
            "tiled": tiled,
        },
    )
]
all_to_all_p.batch = _all_to_all_batch


def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None, tiled=False):
    """Member ``k`` receives the ``k``-th chunk (along ``split_axis``) of every member's ``x``,
    in member order along ``concat_axis`` (JAX's ``lax.all_to_all``).

    ``tiled=False``: ``x.shape[split_axis]`` is the axis size; that axis is dropped and the
    senders form a new axis at ``concat_axis``. ``tiled=True``: chunks of equal size, and the
    received chunks are concatenated along the existing ``concat_axis``.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> f = ft.vmap(lambda x: ft.lax.all_to_all(x, "i", 0, 0), axis_name="i")
        >>> f(np.arange(4.0).reshape(2, 2)).tolist()
        [[0.0, 2.0], [1.0, 3.0]]
    """
    _no_groups(axis_index_groups, "all_to_all")
    names = _names(axis_name)

    def one(leaf):
        leaf = _as_operand(leaf)
        rank = len(core.shape_of(leaf))
        split = _check_axis(split_axis, rank, "all_to_all: split_axis")
        concat = _check_axis(concat_axis, rank, "all_to_all: concat_axis")
        if len(names) == 1:
            params = {"axis_name": names, "split_axis": split, "concat_axis": concat}
            return _bind_one(all_to_all_p, leaf, {**params, "tiled": tiled})
        return _all_to_all_through_gather(leaf, names, split, concat, tiled)

    return _tree_map(one, x)


def _all_to_all_through_gather(x, names, split, concat, tiled):
    """``all_to_all`` over a tuple of names: gather everything, keep the own chunks."""
    from ftrans.primitives.dynamic import dynamic_slice

    n = math.prod(_size_of(name, "all_to_all") for name in names)
    shape = core.shape_of(x)
    if (shape[split] % n) if tiled else (shape[split] != n):
        raise ShapeError(
            f"all_to_all: split_axis {split} of shape {shape} must have size "
            f"{'a multiple of ' if tiled else ''}{n} (the size of axes {names})"
        )
    from ftrans.primitives.collectives import axis_index

    gathered = all_gather(x, names, axis=0)  # (n, *shape)
    chunk = shape[split] // n
    k = axis_index(names)
    starts = [0] * (len(shape) + 1)
    starts[split + 1] = mul(k, np.asarray(chunk, get_aval(k).dtype))
    sizes = (n, *shape[:split], chunk, *shape[split + 1 :])
    mine = dynamic_slice(gathered, starts, sizes)  # (n, ..., chunk, ...)
    if not tiled:
        mine = reshape(mine, new_sizes=sizes[: split + 1] + sizes[split + 2 :])
        return moveaxis(mine, 0, concat)
    return _merge(moveaxis(mine, 0, concat), concat)


def pswapaxes(x, axis_name, axis, *, axis_index_groups=None):
    """Swap the named axis with the positional axis ``axis`` of ``x`` (JAX's
    ``lax.pswapaxes``: ``all_to_all(x, axis_name, axis, axis)``)."""
    return all_to_all(x, axis_name, axis, axis, axis_index_groups=axis_index_groups)


# ----------------------------------------------------------------------------- ppermute


def _ppermute_impl(x, *, axis_name, perm):
    (name,) = axis_name
    x = np.asarray(x)
    return np.asarray(
        _external(name, "ppermute").ppermute(_contiguous(x), [tuple(p) for p in perm])
    )


def _ppermute_batch(vals, dims, *, frame, axis_name, perm):
    (x,), (d,) = vals, dims
    if frame.name != axis_name[0]:
        return ppermute_p.bind(x, axis_name=axis_name, perm=perm), d
    n = frame.size
    x = _front(x, d, n)
    source = dict((dst, src) for src, dst in perm)
    zero = None
    parts = []
    shape = core.shape_of(x)
    for dst in range(n):
        src = source.get(dst)
        if src is None:
            if zero is None:
                zero = broadcast_in_dim(
                    np.zeros((), get_aval(x).dtype), shape=(1, *shape[1:]), broadcast_dimensions=()
                )
            parts.append(zero)
        else:
            parts.append(slice_(x, (src,) + (0,) * (len(shape) - 1), (src + 1,) + tuple(shape[1:])))
    return concatenate(parts, dimension=0), 0


def _check_perm(perm, n, what):
    perm = tuple((int(s), int(d)) for s, d in perm)
    srcs = [s for s, _ in perm]
    dsts = [d for _, d in perm]
    bad = [p for p in perm if not (0 <= p[0] < n and 0 <= p[1] < n)]
    if bad or len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts):
        raise ValueError(
            f"{what}: perm {list(perm)} must be (source, destination) pairs of indices in "
            f"[0, {n}) with no source and no destination repeated"
            + (f"; out of range: {bad}" if bad else "")
        )
    return perm


ppermute_p = _collective("ppermute", linear=True)
ppermute_p.impl = _ppermute_impl
ppermute_p.abstract_eval = lambda x, *, axis_name, perm: x
ppermute_p.jvp = _linear_jvp(ppermute_p)
ppermute_p.transpose = lambda ct, x, *, axis_name, perm: [
    ct
    if type(ct) is Zero
    else _bind_one(ppermute_p, ct, {"axis_name": axis_name, "perm": tuple((d, s) for s, d in perm)})
]
ppermute_p.batch = _ppermute_batch


def ppermute(x, axis_name, perm):
    """Send ``x`` (a pytree) from member ``src`` to member ``dst`` for each ``(src, dst)`` pair
    of ``perm`` (JAX's ``lax.ppermute``); members that are no destination receive zeros.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> shift = lambda x: ft.lax.ppermute(x, "i", [(0, 1), (1, 2), (2, 0)])
        >>> ft.vmap(shift, axis_name="i")(np.array([1.0, 2.0, 3.0])).tolist()
        [3.0, 1.0, 2.0]
    """
    names = _names(axis_name)
    n = math.prod(_size_of(name, "ppermute") for name in names)
    perm = _check_perm(perm, n, "ppermute")

    def one(leaf):
        leaf = _as_operand(leaf)
        if len(names) == 1:
            return _bind_one(ppermute_p, leaf, {"axis_name": names, "perm": perm})
        return _ppermute_through_gather(leaf, names, perm, n)

    return _tree_map(one, x)


def _ppermute_through_gather(x, names, perm, n):
    """``ppermute`` over a tuple of names: gather everything, pick the source (or zero)."""
    from ftrans.primitives.dynamic import dynamic_slice

    source = dict((dst, src) for src, dst in perm)
    table = np.array([source.get(k, 0) for k in range(n)], np.int64)
    keep = np.array([k in source for k in range(n)])
    from ftrans.primitives.collectives import axis_index

    gathered = all_gather(x, names, axis=0)
    k = axis_index(names)
    src = _take(table, k)
    shape = core.shape_of(x)
    picked = dynamic_slice(gathered, [src] + [0] * len(shape), (1, *shape))
    picked = reshape(picked, new_sizes=shape)
    zero = broadcast_in_dim(np.zeros((), get_aval(x).dtype), shape=shape, broadcast_dimensions=())
    mask = broadcast_in_dim(_take(keep, k), shape=shape, broadcast_dimensions=())
    return select(mask, picked, zero)


def _take(table, k):
    """``table[k]`` for a static table and a traced scalar index."""
    from ftrans.primitives.dynamic import dynamic_slice

    return reshape(dynamic_slice(table, [k], (1,)), new_sizes=())


def pshuffle(x, axis_name, perm):
    """Member ``i`` receives the value of member ``perm[i]`` (JAX's ``lax.pshuffle``).

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> f = ft.vmap(lambda x: ft.lax.pshuffle(x, "i", [2, 0, 1]), axis_name="i")
        >>> f(np.array([1.0, 2.0, 3.0])).tolist()
        [3.0, 1.0, 2.0]
    """
    perm = [int(p) for p in perm]
    if sorted(perm) != list(range(len(perm))):
        raise ValueError(f"pshuffle: perm {perm} is not a permutation of 0..{len(perm) - 1}")
    return ppermute(x, axis_name, [(src, dst) for dst, src in enumerate(perm)])


# The native backend: see collectives.py (a collective here is bound outside the program).
from ftrans.compiler.native_rules import numpy_only  # noqa: E402

numpy_only(
    "collective over an axis bound outside the program",
    all_gather_p,
    psum_scatter_p,
    all_to_all_p,
    ppermute_p,
)
