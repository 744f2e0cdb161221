"""The axis environment of the collectives: which names are bound (by an enclosing
``vmap(axis_name=)`` or an external backend), the external-axis registry, the primitive class
whose ``bind`` routes a collective to the vmap binding its axis, and helpers the collective
modules share. The public side is re-exported by :mod:`ftrans.primitives.collectives`, whose
docstring describes the design and the backend contracts.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np

from ftrans import core
from ftrans.core import EFFECTFUL, Primitive, Tracer, get_aval
from ftrans.errors import FtransError, ShapeError, format_frame, user_frame
from ftrans.primitives._batch import to_front
from ftrans.primitives.elementwise import mul
from ftrans.primitives.reductions import reduce_sum
from ftrans.primitives.shape import reshape

# ----------------------------------------------------------------------------- axis environment

#: The collective primitives: their batching rules take the batching axis as ``frame=``
#: (``ftrans.interpreters.batching`` reads this set).
COLLECTIVES: set = set()

# The mains that bind axis names (vmap's) and the mains that build programs (jit's) are found
# by asking each trace on the stack (``names_axes``, ``stages_programs``, set by
# ``BatchTrace`` and ``JaxprTrace``), so the primitives need not import the interpreters above
# them (DESIGN.md "Imports run one way").


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
        if getattr(main.trace, "names_axes", False) and main.payload.name == name:
            return main
    return None


def vmap_axes_in_scope() -> bool:
    """True when an enclosing vmap binds an axis name."""
    return any(
        getattr(m.trace, "names_axes", False) and m.payload.name is not None for m in core._stack
    )


def names_in_scope() -> list:
    """Axis names bound here: by enclosing vmaps (innermost first), then external ones."""
    names = []
    for main in reversed(core._stack):
        if getattr(main.trace, "names_axes", False) and main.payload.name is not None:
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
        if getattr(main.trace, "stages_programs", False) and not main.payload.partial_eval:
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


def _collective(name, *, linear, multiple_results=False):
    p = _Collective(name, linear=linear, multiple_results=multiple_results)
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


def _sum_impl(*xs, axis_name, leaf_paths, mean):
    """psum (or, with ``mean``, pmean of floating arrays) of ``xs`` over external axes: a
    backend with ``psum_leaves`` gets them all at once (one agreement check over processes),
    any other one array at a time."""
    xs = [np.asarray(x) for x in xs]
    xs = [x.astype(np.int64) if x.dtype == np.bool_ else x for x in xs]
    if mean and len(axis_name) == 1:
        scaled = _mean_by_scaling_first(xs, axis_name[0], leaf_paths)
        if scaled is not None:
            return scaled
    count = 1
    for name in axis_name:
        backend = _external(name, "pmean" if mean else "psum")
        together = getattr(backend, "psum_leaves", None)
        if together is not None:
            xs = [np.asarray(x) for x in together([_contiguous(x) for x in xs], leaf_paths)]
        else:
            xs = [np.asarray(backend.psum(_contiguous(x))) for x in xs]
        count *= int(backend.size())
    if mean and count != 1:
        for x in xs:  # a backend returns new arrays: divide them in place
            _divide_in_place(x, count)
    return xs


def _mean_by_scaling_first(xs, name, leaf_paths):
    """pmean over one external axis of a power-of-two size ``n`` as the psum of ``x / n``,
    reduced in the buffers that hold ``x / n`` (one pass over each leaf fewer than summing into
    a new buffer and dividing it). Scaling by ``2**-k`` is exact, so the bits are those of the
    sum divided afterwards, except where ``x / n`` is subnormal (``|x| < n * 2.2e-308`` in
    float64), which can differ in its last bits (XLA's CPU code flushes such numbers to zero).
    None when this does not apply: the backend cannot reduce in place
    (``psum_leaves(..., in_place=True)``, announced by ``reduces_in_place``), the size is not
    a power of two, or a leaf is not floating."""
    backend = _external(name, "pmean")
    n = int(backend.size())
    if not getattr(backend, "reduces_in_place", False) or n == 1 or n & (n - 1):
        return None
    if any(x.dtype.kind not in "fc" for x in xs):
        return None
    scaled = [
        np.multiply(x, np.asarray(1.0 / n, x.dtype), out=np.empty(x.shape, x.dtype)) for x in xs
    ]
    return [np.asarray(q) for q in backend.psum_leaves(scaled, leaf_paths, in_place=True)]


def _divide_in_place(x, count):
    """``x /= count``. For a power of two whose reciprocal is a normal number of ``x``'s
    dtype, multiplying by the reciprocal gives the same bits (both are the correctly rounded
    ``x * 2**-k``) at about half the cost of a division, which matters for a large gradient."""
    reciprocal = np.asarray(1.0 / count, x.dtype)
    if count & (count - 1) == 0 and abs(reciprocal) >= np.finfo(x.dtype).tiny:
        x *= reciprocal
    else:
        x /= np.asarray(count, x.dtype)


def _sum_over(x, d, size):
    if d is None:
        return mul(x, np.asarray(size, get_aval(x).dtype))
    return reduce_sum(x, axes=(d,))


def _bind_one(primitive, x, params):
    return primitive.bind(x, **params)


def _no_groups(groups, what):
    if groups is not None:
        raise NotImplementedError(
            f"{what}: axis_index_groups is not supported by ftrans; split the axis into two "
            "named axes (nested vmaps) and use the inner name instead."
        )


def _as_operand(x):
    return x if isinstance(x, (np.ndarray, Tracer, np.generic)) else np.asarray(x)


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
