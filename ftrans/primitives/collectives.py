"""Named axes and collectives: ``psum``, ``pmax``, ``all_gather``, ``ppermute``, ``axis_index``...

A *named axis* is bound either by ``vmap(f, axis_name="i")`` (in-process: the axis is the
batch) or by an *external axis backend* (e.g. MPI processes, see ``ftrans.distributed``).
Collectives read the axis environment when they are bound:

* a name bound by a ``vmap`` in scope is handled by that vmap's batching trace: the batching
  rule turns the collective into a reduction, gather or permutation over the batch dimension
  (so ``jit(vmap(f))`` compiles no collective at all), and a collective over another (outer)
  name is re-bound with its operand's batch dimension carried along;
* a name bound by an external backend reaches the primitive's ``impl``, which calls the
  backend; under ``jit`` the generated code calls ``impl`` (collectives are effectful: never
  folded, merged or dropped), so the backend runs on every call of the compiled program;
* any other name raises :class:`UnboundAxisError`, naming the axis and the names in scope.

JVP and transpose rules are the same for both kinds of axis, and follow JAX: ``psum`` is linear
and its transpose is ``psum`` (so a gradient through ``psum`` over processes runs ``psum`` in
the backward pass), ``all_gather`` and ``psum_scatter`` transpose into each other,
``all_to_all`` into ``all_to_all`` with the axes swapped, ``ppermute`` into the inverse
permutation. ``pmax``/``pmin`` (not differentiable in JAX) use ``jnp.max``'s convention: the
tangent is the mean of the tangents of the members attaining the extremum.

A tuple of names means the product of those axes; its combined index is row-major (the first
name varies slowest), as in JAX. ``psum``/``pmax``/``pmin`` take a tuple directly; the others
decompose into single-name collectives (``all_to_all`` and ``ppermute`` over a tuple go through
``all_gather``).

The process-axis interface (the other side is ``ftrans.distributed``)::

    class AxisBackend(Protocol):        # one per externally bound axis (e.g. MPI processes)
        name: str
        def size(self) -> int: ...
        def index(self) -> int: ...
        def psum(self, x: np.ndarray) -> np.ndarray: ...
        def pmax(self, x: np.ndarray) -> np.ndarray: ...
        def pmin(self, x: np.ndarray) -> np.ndarray: ...
        def all_gather(self, x: np.ndarray) -> np.ndarray: ...   # stacks on a new axis 0
        def all_to_all(self, x, split_axis: int, concat_axis: int) -> np.ndarray: ...
        def ppermute(self, x, perm: list[tuple[int, int]]) -> np.ndarray: ...

        # optional: psum_leaves(xs, paths) -> list, the psum of every leaf of a pytree at once
        # (``paths`` name the leaves, for error messages); without it psum is called per leaf

    bind_external_axis(backend)      # the name backend.name is now bound, in every program
    unbind_external_axis(name)
    external_axes() -> dict[str, AxisBackend]

Backend contracts: every method receives a NumPy array (C-contiguous, never a tracer) and
returns a new NumPy array of the same dtype. ``all_gather`` returns ``(size, *x.shape)`` in
index order. ``all_to_all`` has the *tiled* meaning: ``x.shape[split_axis]`` is divisible by
``size``; chunk ``k`` along ``split_axis`` goes to index ``k``, and the received chunks are
concatenated along ``concat_axis`` in sender order. ``ppermute`` sends to ``dst`` the value of
``src`` for every ``(src, dst)`` pair; an index that is no ``dst`` receives zeros. ``psum`` of a
``bool`` array is never asked (it is cast to ``int64`` first). ``psum_scatter`` over a backend is
``psum`` followed by taking the own chunk; ``axis_index`` is ``index()`` (a constant of the
process, so it may be folded into a compiled program).
"""

from __future__ import annotations

import math

import numpy as np

from ftrans import core
from ftrans.core import ShapedArray, Zero, get_aval
from ftrans.primitives._axes import (
    AxisBackend,
    UnboundAxisError,
    _as_operand,
    _collective,
    _contiguous,
    _external,
    _names,
    _size_of,
    _sum_impl,
    _sum_over,
    _tree_map,
    axis_size,
    bind_external_axis,
    external_axes,
    names_in_scope,
    unbind_external_axis,
)
from ftrans.primitives.collectives_move import (
    all_gather,
    all_gather_p,
    all_to_all,
    all_to_all_p,
    ppermute,
    ppermute_p,
    pshuffle,
    psum_scatter,
    psum_scatter_p,
    pswapaxes,
)
from ftrans.primitives.elementwise import convert_element_type, div, eq, mul, select
from ftrans.primitives.reductions import reduce_max, reduce_min, reduce_sum
from ftrans.primitives.shape import broadcast_in_dim

__all__ = [
    "AxisBackend",
    "UnboundAxisError",
    "all_gather",
    "all_gather_p",
    "all_to_all",
    "all_to_all_p",
    "axis_index",
    "axis_index_p",
    "axis_size",
    "bind_external_axis",
    "external_axes",
    "names_in_scope",
    "pbroadcast",
    "pcast",
    "pmax",
    "pmax_p",
    "pmean",
    "pmin",
    "pmin_p",
    "ppermute",
    "ppermute_p",
    "pshuffle",
    "psum",
    "psum_p",
    "psum_scatter",
    "psum_scatter_p",
    "pswapaxes",
    "unbind_external_axis",
]


# ----------------------------------------------------------------------------- psum / pmax / pmin


def _extremum_impl(method):
    def impl(x, *, axis_name):
        x = np.asarray(x)
        for name in axis_name:
            x = np.asarray(getattr(_external(name, method), method)(_contiguous(x)))
        return x

    return impl


def _reducing_rule(primitive, reduce):
    def rule(vals, dims, *, frame, axis_name):
        (x,), (d,) = vals, dims
        if frame.name not in axis_name:  # another axis: the batch rides along
            return primitive.bind(x, axis_name=axis_name), d
        out = reduce(x, d, frame.size)
        rest = tuple(n for n in axis_name if n != frame.name)
        if rest:
            out = primitive.bind(out, axis_name=rest)
        return out, None

    return rule


# psum takes every leaf of a pytree in one equation (as JAX's psum_p does), so an external
# backend sees them together: one cross-process agreement check per pytree, naming the leaves
# by their paths (``leaf_paths``, used only in error messages), then the data. ``mean=True`` is
# pmean of floating operands: the sum divided by the axis size, which over processes divides
# the received buffer in place instead of allocating another for the quotient.


def _sum_aval(*xs, axis_name, leaf_paths, mean):
    return [ShapedArray(x.shape, np.int64) if x.dtype == np.bool_ else x for x in xs]


def _mean_over(x, d, size):
    if d is None:  # the same value on every member: its own mean
        return x
    return div(reduce_sum(x, axes=(d,)), np.asarray(size, get_aval(x).dtype))


def _psum_batch(vals, dims, *, frame, axis_name, leaf_paths, mean):
    params = dict(leaf_paths=leaf_paths, mean=mean)
    if frame.name not in axis_name:  # another axis: the batches ride along
        return psum_p.bind(*vals, axis_name=axis_name, **params), list(dims)
    outs = []
    for x, d in zip(vals, dims, strict=True):
        if get_aval(x).dtype == np.bool_:
            x = convert_element_type(x, new_dtype=np.int64)
        outs.append((_mean_over if mean else _sum_over)(x, d, frame.size))
    rest = tuple(n for n in axis_name if n != frame.name)
    if rest:  # the mean over several axes is the mean over the others of this one's mean
        outs = psum_p.bind(*outs, axis_name=rest, **params)
    return list(outs), [None] * len(outs)


def _psum_nonzero(values, *, axis_name, leaf_paths, mean):
    """psum of the non-``Zero`` entries of ``values`` in one equation; the ``Zero``s stay."""
    picked = [i for i, v in enumerate(values) if type(v) is not Zero]
    out = list(values)
    if picked:
        paths = tuple(leaf_paths[i] for i in picked)
        sums = psum_p.bind(
            *[values[i] for i in picked], axis_name=axis_name, leaf_paths=paths, mean=mean
        )
        for i, total in zip(picked, sums, strict=True):
            out[i] = total
    return out


psum_p = _collective("psum", linear=True, multiple_results=True)
psum_p.impl = _sum_impl
psum_p.abstract_eval = _sum_aval
psum_p.jvp = lambda primals, tangents, **params: (
    psum_p.bind(*primals, **params),
    _psum_nonzero(tangents, **params),
)
psum_p.transpose = lambda cts, *xs, **params: _psum_nonzero(cts, **params)
psum_p.batch = _psum_batch


def _bind_psum(x, names):
    return psum_p.bind(x, axis_name=names, leaf_paths=("<operand>",), mean=False)[0]


def _extremum_jvp(primitive):
    # JAX does not differentiate pmax/pmin; this follows jnp.max: the mean of the tangents of
    # the members attaining the extremum.
    def jvp(primals, tangents, *, axis_name):
        (x,), (t,) = primals, tangents
        out = primitive.bind(x, axis_name=axis_name)
        if type(t) is Zero:
            return out, t
        at = convert_element_type(eq(x, out), new_dtype=get_aval(t).dtype)
        count = _bind_psum(at, axis_name)
        return out, div(_bind_psum(mul(t, at), axis_name), count)

    return jvp


def _extremum(name, method, reduce):
    p = _collective(name, linear=False)
    p.impl = _extremum_impl(method)
    p.abstract_eval = lambda x, *, axis_name: x
    p.jvp = _extremum_jvp(p)
    p.batch = _reducing_rule(p, lambda x, d, size: x if d is None else reduce(x, axes=(d,)))
    return p


pmax_p = _extremum("pmax", "pmax", reduce_max)
pmin_p = _extremum("pmin", "pmin", reduce_min)


def _psum_leaves(x, names, what, *, mean):
    """``x`` with its array leaves psum'd (or, with ``mean``, pmean'd) in one equation, and
    its Python numbers (the same on every member) multiplied by the axis size (or kept)."""
    from ftrans import tree

    with_paths, treedef = tree.flatten_with_path(x)
    out = [leaf for _, leaf in with_paths]
    picked = [i for i, leaf in enumerate(out) if type(leaf) not in (int, float, complex)]
    if len(picked) < len(out):
        size = 1.0 if mean else math.prod(_size_of(n, what) for n in names)
        out = [leaf * size if type(leaf) in (int, float, complex) else leaf for leaf in out]
    if picked:
        paths = tuple(tree.keystr(with_paths[i][0]) or "<operand>" for i in picked)
        operands = [_as_operand(out[i]) for i in picked]
        if mean:  # the mean of integers or bools is a float64 (as in JAX)
            operands = [
                x
                if core.is_float_dtype(get_aval(x).dtype)
                else convert_element_type(x, new_dtype=np.float64)
                for x in operands
            ]
        totals = psum_p.bind(*operands, axis_name=names, leaf_paths=paths, mean=mean)
        for i, total in zip(picked, totals, strict=True):
            out[i] = total
    return tree.unflatten(treedef, out)


def psum(x, axis_name):
    """Sum ``x`` (a pytree) over the named axis or axes (JAX's ``lax.psum``).

    A Python number gives a Python number: ``psum(1, "i")`` is the size of axis ``i``. All
    array leaves go into one ``psum`` equation: across processes, one agreement check for the
    whole pytree, then one ``Allreduce`` per leaf.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> ft.vmap(lambda x: ft.lax.psum(x, "i"), axis_name="i")(np.arange(3.0)).tolist()
        [3.0, 3.0, 3.0]
    """
    return _psum_leaves(x, _names(axis_name), "psum", mean=False)


def pmean(x, axis_name):
    """Mean of ``x`` (a pytree) over the named axis or axes (JAX's ``lax.pmean``).

    Integer and bool leaves give float64 means. Like `psum`, all array leaves go into one
    equation.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> ft.vmap(lambda x: ft.lax.pmean(x, "i"), axis_name="i")(np.arange(3.0)).tolist()
        [1.0, 1.0, 1.0]
    """
    names = _names(axis_name)
    for name in names:
        _size_of(name, "pmean")  # an unbound name is reported as pmean's
    return _psum_leaves(x, names, "pmean", mean=True)


def pmax(x, axis_name):
    """Maximum of ``x`` (a pytree) over the named axis or axes (JAX's ``lax.pmax``)."""
    names = _names(axis_name)
    return _tree_map(lambda leaf: pmax_p.bind(leaf, axis_name=names), x)


def pmin(x, axis_name):
    """Minimum of ``x`` (a pytree) over the named axis or axes (JAX's ``lax.pmin``)."""
    names = _names(axis_name)
    return _tree_map(lambda leaf: pmin_p.bind(leaf, axis_name=names), x)


# ----------------------------------------------------------------------------- axis_index


def _axis_index_impl(*, axis_name):
    (name,) = axis_name
    return np.asarray(_external(name, "axis_index").index(), np.int32)


def _axis_index_batch(vals, dims, *, frame, axis_name):
    # only reached with no operands, at the vmap binding the name (see _bind)
    return np.arange(frame.size, dtype=np.int32), 0


axis_index_p = _collective("axis_index", linear=False)
axis_index_p.impl = _axis_index_impl
axis_index_p.abstract_eval = lambda *, axis_name: ShapedArray((), np.int32)
axis_index_p.jvp = lambda primals, tangents, **params: (
    axis_index_p.bind(**params),
    Zero(ShapedArray((), np.int32)),
)
axis_index_p.batch = _axis_index_batch


def axis_index(axis_name):
    """This member's index along the named axis, as an int32 scalar (JAX's
    ``lax.axis_index``); over a tuple of names, the row-major combined index.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> ft.vmap(lambda x: x + ft.lax.axis_index("i"), axis_name="i")(np.zeros(3)).tolist()
        [0.0, 1.0, 2.0]
    """
    names = _names(axis_name)
    out = None
    for name in names:
        k = axis_index_p.bind(axis_name=(name,))
        if out is None:
            out = k
        else:
            n = np.asarray(_size_of(name, "axis_index"), np.int32)
            out = mul(out, n) + k
    return out


# ----------------------------------------------------------------------------- pbroadcast, pcast


def pbroadcast(x, axis_name, source):
    """Every member receives member ``source``'s ``x`` (JAX's ``lax.pbroadcast``).

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> f = ft.vmap(lambda x: ft.lax.pbroadcast(x, "i", 1), axis_name="i")
        >>> f(np.array([1.0, 2.0, 3.0])).tolist()
        [2.0, 2.0, 2.0]
    """
    names = _names(axis_name)
    n = math.prod(_size_of(name, "pbroadcast") for name in names)
    if not 0 <= int(source) < n:
        raise ValueError(f"pbroadcast: source {source} is out of range for axis size {n}")

    def one(leaf):
        leaf = _as_operand(leaf)
        is_source = eq(axis_index(names), np.asarray(int(source), np.int32))
        zero = broadcast_in_dim(
            np.zeros((), get_aval(leaf).dtype), shape=core.shape_of(leaf), broadcast_dimensions=()
        )
        mask = broadcast_in_dim(is_source, shape=core.shape_of(leaf), broadcast_dimensions=())
        return _bind_psum(select(mask, leaf, zero), names)

    return _tree_map(one, x)


def pcast(x, axis_name, *, to):
    """JAX's ``lax.pcast``: changes only the replication *type* of ``x`` for shard_map's
    checker (``to="varying"``, ``"invariant"`` ...). ftrans has no such type, so under vmap and
    over processes the value is returned unchanged (after checking the names are bound)."""
    for name in _names(axis_name):
        _size_of(name, "pcast")
    if to not in ("varying", "invariant", "unreduced", "reduced"):
        raise ValueError(
            f"pcast: to={to!r}; expected 'varying', 'invariant', 'reduced' or 'unreduced'"
        )
    return x


# The native backend: a collective left in a jitted program is bound outside it (an outer vmap
# name or an external axis such as MPI processes), reached through Python.
from ftrans.compiler.native_rules import numpy_only  # noqa: E402

numpy_only(
    "collective over an axis bound outside the program", psum_p, pmax_p, pmin_p, axis_index_p
)
