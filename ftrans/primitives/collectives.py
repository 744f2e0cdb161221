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
from typing import Protocol, runtime_checkable

import numpy as np

from ftrans import core
from ftrans.core import Primitive, ShapedArray, Tracer, Zero, get_aval
from ftrans.errors import FtransError, ShapeError, format_frame, user_frame
from ftrans.interpreters.batching import COLLECTIVES, BatchTrace
from ftrans.interpreters.tracing import EFFECTFUL, JaxprTrace
from ftrans.primitives._batch import logical_shape, moveaxis, to_front
from ftrans.primitives.elementwise import convert_element_type, div, eq, mul, select
from ftrans.primitives.reductions import reduce_max, reduce_min, reduce_sum
from ftrans.primitives.shape import broadcast_in_dim, concatenate, reshape, slice_

__all__ = [
    "AxisBackend",
    "UnboundAxisError",
    "all_gather",
    "all_to_all",
    "axis_index",
    "axis_size",
    "bind_external_axis",
    "external_axes",
    "pbroadcast",
    "pcast",
    "pmax",
    "pmean",
    "pmin",
    "ppermute",
    "pshuffle",
    "psum",
    "psum_scatter",
    "pswapaxes",
    "unbind_external_axis",
]


# ----------------------------------------------------------------------------- axis environment


class UnboundAxisError(FtransError, NameError):
    """A collective names an axis that no enclosing ``vmap`` and no external backend binds."""


@runtime_checkable
class AxisBackend(Protocol):
    """One externally bound axis (e.g. MPI processes); see the module docstring's contracts."""

    name: str

    def size(self) -> int: ...

    def index(self) -> int: ...

    def psum(self, x: np.ndarray) -> np.ndarray: ...

    def pmax(self, x: np.ndarray) -> np.ndarray: ...

    def pmin(self, x: np.ndarray) -> np.ndarray: ...

    def all_gather(self, x: np.ndarray) -> np.ndarray: ...

    def all_to_all(self, x: np.ndarray, split_axis: int, concat_axis: int) -> np.ndarray: ...

    def ppermute(self, x: np.ndarray, perm: list[tuple[int, int]]) -> np.ndarray: ...


_EXTERNAL: dict[str, AxisBackend] = {}


def bind_external_axis(backend: AxisBackend) -> None:
    """Bind ``backend.name`` to ``backend`` for every collective from now on (replacing an
    earlier backend of that name). A ``vmap`` with the same ``axis_name`` shadows it inside."""
    name = getattr(backend, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"bind_external_axis: backend.name must be a non-empty str, got {name!r}")
    missing = [m for m in _BACKEND_METHODS if not callable(getattr(backend, m, None))]
    if missing:
        raise TypeError(
            f"bind_external_axis: backend {backend!r} for axis {name!r} lacks the method(s) "
            f"{', '.join(missing)} of ftrans.primitives.collectives.AxisBackend."
        )
    _EXTERNAL[name] = backend


_BACKEND_METHODS = (
    "size",
    "index",
    "psum",
    "pmax",
    "pmin",
    "all_gather",
    "all_to_all",
    "ppermute",
)


def unbind_external_axis(name: str) -> None:
    """Forget the external axis ``name`` (nothing happens if it is not bound)."""
    _EXTERNAL.pop(name, None)


def external_axes() -> dict[str, AxisBackend]:
    """The externally bound axes, by name (a copy)."""
    return dict(_EXTERNAL)


def _vmap_main(name):
    """The innermost active batching main that binds ``name``, or None."""
    for main in reversed(core._stack):
        trace = main.trace
        if type(trace) is BatchTrace and main.payload.name == name:
            return main
    return None


def vmap_axes_in_scope() -> bool:
    """True when an enclosing vmap binds an axis name."""
    return any(type(m.trace) is BatchTrace and m.payload.name is not None for m in core._stack)


def names_in_scope() -> list:
    """Axis names bound here: by enclosing vmaps (innermost first), then external ones."""
    names = []
    for main in reversed(core._stack):
        if type(main.trace) is BatchTrace and main.payload.name is not None:
            if main.payload.name not in names:
                names.append(main.payload.name)
    names += [n for n in _EXTERNAL if n not in names]
    return names


def _unbound(name, what) -> UnboundAxisError:
    scope = names_in_scope()
    listed = ", ".join(repr(n) for n in scope) if scope else "none"
    return UnboundAxisError(
        f"{what}: unbound axis name {name!r} at {format_frame(user_frame())}. Axis names in "
        f"scope: {listed}. Bind it with ftrans.vmap(f, axis_name={name!r}) around the code that "
        "calls the collective (or, across processes, ftrans.distributed.initialize())."
    )


def _names(axis_name) -> tuple:
    """``axis_name`` as a tuple of names (a tuple or list means the product of the axes)."""
    names = tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)
    if len(set(names)) != len(names):
        raise ValueError(f"axis_name {axis_name!r} repeats a name")
    return names


def _size_of(name, what="a collective") -> int:
    main = _vmap_main(name)
    if main is not None:
        return main.payload.size
    backend = _EXTERNAL.get(name)
    if backend is None:
        raise _unbound(name, what)
    return int(backend.size())


def axis_size(axis_name) -> int:
    """The size of a named axis (the product of the sizes for a tuple), as a Python int.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> ft.vmap(lambda x: x * ft.lax.axis_size("i"), axis_name="i")(np.ones(3)).tolist()
        [3.0, 3.0, 3.0]
    """
    return math.prod(_size_of(n, "axis_size") for n in _names(axis_name))


class _Collective(Primitive):
    """A collective primitive: binding it routes to the vmap that binds its axis when that is
    the innermost transformation involved, even when no operand is batched there (so
    ``psum(constant, "i")`` and ``axis_index("i")`` see the batch), and stages it into the
    innermost program being built when the axis is external (so it runs at every call)."""

    __slots__ = ()

    def bind(self, *args, **params):
        top = None
        external = False
        for name in params["axis_name"]:
            main = _vmap_main(name)
            if main is None:
                if name not in _EXTERNAL:
                    raise _unbound(name, self.name)
                external = True
            elif top is None or main.level > top.level:
                top = main
        if external:
            # inside jit, a collective over an external axis is staged even on constant
            # operands, so it runs on every call of the compiled program, not once in tracing
            staging = _staging_main()
            if staging is not None and (top is None or staging.level > top.level):
                top = staging
        if top is not None:
            level = max((a._trace.level for a in args if isinstance(a, Tracer)), default=0)
            if top.level > level:
                if not top.active:
                    raise core.leak_error(top)
                return top.trace.process_primitive(self, args, params)
        return Primitive.bind(self, *args, **params)


def _staging_main():
    """The innermost active program-building main (jit, make_jaxpr, a loop body), or None;
    linearize's known-value pass does not count (its known work runs now)."""
    for main in reversed(core._stack):
        if type(main.trace) is JaxprTrace and not main.payload.partial_eval:
            return main
    return None


def _external(name, what):
    backend = _EXTERNAL.get(name)
    if backend is None:
        raise UnboundAxisError(
            f"{what}: axis {name!r} is not bound here. The collective ran outside the vmap "
            f"that binds {name!r} (e.g. a program traced inside vmap(axis_name={name!r}) and "
            "called outside it); external axes bound now: "
            f"{', '.join(map(repr, _EXTERNAL)) or 'none'}."
        )
    return backend


def _contiguous(x):
    x = np.asarray(x)
    return x if x.flags.c_contiguous else np.ascontiguousarray(x)


def _collective(name, *, linear):
    p = _Collective(name, linear=linear)
    COLLECTIVES.add(p)
    EFFECTFUL.add(p)  # an external axis communicates: never folded, merged or dropped
    return p


def _tree_map(fun, x):
    from ftrans import tree

    leaves, treedef = tree.flatten(x)
    return tree.unflatten(treedef, [fun(leaf) for leaf in leaves])


def _front(x, d, size):
    """``x`` with its batch axis first (an unbatched ``x`` is broadcast along a new one)."""
    if not isinstance(x, (np.ndarray, Tracer)):
        x = np.asarray(x)
    return to_front(x, d, size)


def _merge(x, axis):
    """``x`` with axes ``axis`` and ``axis + 1`` merged into one."""
    shape = core.shape_of(x)
    return reshape(x, new_sizes=shape[:axis] + (shape[axis] * shape[axis + 1],) + shape[axis + 2 :])


def _split(x, axis, n):
    """``x`` with axis ``axis`` split into ``(n, rest)``."""
    shape = core.shape_of(x)
    if shape[axis] % n:
        raise ShapeError(f"axis {axis} of shape {shape} is not divisible by the axis size {n}")
    return reshape(x, new_sizes=shape[:axis] + (n, shape[axis] // n) + shape[axis + 1 :])


def _check_axis(axis, rank, what):
    if not -rank <= axis < rank:
        raise ShapeError(f"{what}={axis} is out of range for an operand of rank {rank}")
    return axis % rank


# ----------------------------------------------------------------------------- psum / pmax / pmin


def _sum_impl(x, *, axis_name):
    x = np.asarray(x)
    if x.dtype == np.bool_:
        x = x.astype(np.int64)
    for name in axis_name:
        x = np.asarray(_external(name, "psum").psum(_contiguous(x)))
    return x


def _extremum_impl(method):
    def impl(x, *, axis_name):
        x = np.asarray(x)
        for name in axis_name:
            x = np.asarray(getattr(_external(name, method), method)(_contiguous(x)))
        return x

    return impl


def _sum_aval(x, *, axis_name):
    return ShapedArray(x.shape, np.int64) if x.dtype == np.bool_ else x


def _reducing_rule(primitive, reduce):
    def rule(vals, dims, *, frame, axis_name):
        (x,), (d,) = vals, dims
        if frame.name not in axis_name:  # another axis: the batch rides along
            return primitive.bind(x, axis_name=axis_name), d
        if get_aval(x).dtype == np.bool_ and primitive is psum_p:
            x = convert_element_type(x, new_dtype=np.int64)
        out = reduce(x, d, frame.size)
        rest = tuple(n for n in axis_name if n != frame.name)
        if rest:
            out = primitive.bind(out, axis_name=rest)
        return out, None

    return rule


def _sum_over(x, d, size):
    if d is None:
        return mul(x, np.asarray(size, get_aval(x).dtype))
    return reduce_sum(x, axes=(d,))


psum_p = _collective("psum", linear=True)
psum_p.impl = _sum_impl
psum_p.abstract_eval = _sum_aval
psum_p.jvp = lambda primals, tangents, *, axis_name: (
    psum_p.bind(primals[0], axis_name=axis_name),
    tangents[0] if type(tangents[0]) is Zero else _bind_psum(tangents[0], axis_name),
)
psum_p.transpose = lambda ct, x, *, axis_name: [
    ct if type(ct) is Zero else _bind_psum(ct, axis_name)
]
psum_p.batch = _reducing_rule(psum_p, _sum_over)


def _bind_psum(x, names):
    return psum_p.bind(x, axis_name=names)


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


def psum(x, axis_name):
    """Sum ``x`` (a pytree) over the named axis or axes (JAX's ``lax.psum``).

    A Python number gives a Python number: ``psum(1, "i")`` is the size of axis ``i``.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> ft.vmap(lambda x: ft.lax.psum(x, "i"), axis_name="i")(np.arange(3.0)).tolist()
        [3.0, 3.0, 3.0]
    """
    names = _names(axis_name)

    def one(leaf):
        if type(leaf) in (int, float, complex):
            return leaf * math.prod(_size_of(n, "psum") for n in names)
        return _bind_psum(leaf, names)

    return _tree_map(one, x)


def pmean(x, axis_name):
    """Mean of ``x`` (a pytree) over the named axis or axes (JAX's ``lax.pmean``).

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> ft.vmap(lambda x: ft.lax.pmean(x, "i"), axis_name="i")(np.arange(3.0)).tolist()
        [1.0, 1.0, 1.0]
    """
    names = _names(axis_name)
    n = math.prod(_size_of(name, "pmean") for name in names)

    def one(leaf):
        if type(leaf) in (int, float, complex):
            return leaf * 1.0
        total = _bind_psum(leaf, names)
        dtype = get_aval(total).dtype
        if not core.is_float_dtype(dtype):
            total = convert_element_type(total, new_dtype=np.float64)
            dtype = np.dtype(np.float64)
        return div(total, np.asarray(n, dtype))

    return _tree_map(one, x)


def pmax(x, axis_name):
    """Maximum of ``x`` (a pytree) over the named axis or axes (JAX's ``lax.pmax``)."""
    names = _names(axis_name)
    return _tree_map(lambda leaf: pmax_p.bind(leaf, axis_name=names), x)


def pmin(x, axis_name):
    """Minimum of ``x`` (a pytree) over the named axis or axes (JAX's ``lax.pmin``)."""
    names = _names(axis_name)
    return _tree_map(lambda leaf: pmin_p.bind(leaf, axis_name=names), x)


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
all_gather_p.jvp = lambda primals, tangents, **params: (
    _bind_one(all_gather_p, primals[0], params),
    tangents[0] if type(tangents[0]) is Zero else _bind_one(all_gather_p, tangents[0], params),
)
all_gather_p.transpose = lambda ct, x, *, axis_name, axis, tiled: [
    Zero(x.aval)
    if type(ct) is Zero
    else _bind_one(
        psum_scatter_p, ct, {"axis_name": axis_name, "scatter_dimension": axis, "tiled": tiled}
    )
]
all_gather_p.batch = _all_gather_batch


def _bind_one(primitive, x, params):
    return primitive.bind(x, **params)


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False):
    """Gather ``x`` (a pytree) from every member of the named axis (JAX's ``lax.all_gather``).

    ``tiled=False`` stacks the members' values on a new axis ``axis``; ``tiled=True``
    concatenates them along the existing axis ``axis``.

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


def _no_groups(groups, what):
    if groups is not None:
        raise NotImplementedError(
            f"{what}: axis_index_groups is not supported by ftrans; split the axis into two "
            "named axes (nested vmaps) and use the inner name instead."
        )


def _as_operand(x):
    return x if isinstance(x, (np.ndarray, Tracer, np.generic)) else np.asarray(x)


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
    total = _sum_impl(x, axis_name=axis_name)
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
psum_scatter_p.jvp = lambda primals, tangents, **params: (
    _bind_one(psum_scatter_p, primals[0], params),
    tangents[0] if type(tangents[0]) is Zero else _bind_one(psum_scatter_p, tangents[0], params),
)
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
all_to_all_p.jvp = lambda primals, tangents, **params: (
    _bind_one(all_to_all_p, primals[0], params),
    tangents[0] if type(tangents[0]) is Zero else _bind_one(all_to_all_p, tangents[0], params),
)
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
ppermute_p.jvp = lambda primals, tangents, **params: (
    _bind_one(ppermute_p, primals[0], params),
    tangents[0] if type(tangents[0]) is Zero else _bind_one(ppermute_p, tangents[0], params),
)
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


def uses_axis(primitive, params, name) -> bool:
    """True when an equation of ``primitive`` (or a program among its params) has a collective
    over ``name``."""
    if primitive in COLLECTIVES:
        return name in params["axis_name"]
    for value in params.values():
        for v in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(v, core.ClosedJaxpr):
                key = ("uses_axis", name)
                hit = v.cache.get(key)
                if hit is None:
                    hit = v.cache[key] = _jaxpr_uses(v.jaxpr, name)
                if hit:
                    return True
            elif isinstance(v, core.Jaxpr) and _jaxpr_uses(v, name):
                return True
    return False


def _jaxpr_uses(jaxpr, name) -> bool:
    return any(uses_axis(e.primitive, e.params, name) for e in jaxpr.eqns)


def vmap_names_used(jaxpr) -> bool:
    """True when ``jaxpr`` has a collective over a name that no external backend binds (one a
    vmap bound while it was traced)."""
    for eqn in jaxpr.eqns:
        if eqn.primitive in COLLECTIVES:
            if any(n not in _EXTERNAL for n in eqn.params["axis_name"]):
                return True
            continue
        for value in eqn.params.values():
            for v in value if isinstance(value, (tuple, list)) else (value,):
                inner = v.jaxpr if isinstance(v, core.ClosedJaxpr) else v
                if isinstance(inner, core.Jaxpr) and vmap_names_used(inner):
                    return True
    return False
