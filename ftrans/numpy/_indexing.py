"""NumPy indexing on traced arrays: ``x[idx]`` and the functional updates ``x.at[idx].set(v)``.

Every NumPy index (integers, slices, ``None``, ``...``, integer and boolean arrays, in any mix) is
first parsed into an `_IndexPlan`: one entry per axis of the operand, plus new axes, and
the broadcast shape of the advanced (array) indices. Reading then emits only
``slice``/``rev``/``squeeze``/``reshape`` for basic indices, and one ``gather`` (plus a
``transpose``) when arrays are involved. Updates turn the plan into one integer coordinate array
per indexed axis and emit one ``scatter*`` primitive.

Index arrays that are themselves traced (under ``make_jaxpr``/``jit``) cannot be checked while
tracing: their negative values are wrapped, and out-of-range values rejected, by NumPy when the
primitive runs. Boolean masks must be concrete, since the result's shape depends on their values.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, NamedTuple

import numpy as np

from ftrans import core
from ftrans.core import Tracer, shape_of
from ftrans.errors import ConcretizationError, ShapeError
from ftrans.numpy._util import broadcast_to_shape, cast, check_leaked, to_operand
from ftrans.primitives import elementwise as ew
from ftrans.primitives import indexing as ix
from ftrans.primitives import shape as sh

_VALID_INDICES = (
    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or "
    "boolean arrays are valid indices"
)

# ----------------------------------------------------------------------------- the index plan


class _NewAxis(NamedTuple):
    """``None`` in the index: a new result axis of size 1."""


class _Slice(NamedTuple):
    """Elements ``start, start + step, ...`` (``length`` of them) of operand axis ``axis``."""

    axis: int
    start: int
    step: int
    length: int


class _Int(NamedTuple):
    """A basic integer index (normalised into range): the axis is dropped from the result."""

    axis: int
    index: int


class _Advanced(NamedTuple):
    """An integer index array for operand axis ``axis``.

    Concrete arrays are normalised into ``[0, size)``; traced ones are left to NumPy's run-time
    wrapping of negative values.
    """

    axis: int
    array: Any


@dataclasses.dataclass(frozen=True)
class _IndexPlan:
    """A parsed NumPy index, ready to become primitives.

    ``shape`` is the operand's shape with a unit axis inserted (at ``unit_axes``) for every 0-d
    boolean index, which NumPy treats as an index array of length 1 or 0 over an axis of size 1.
    ``entries`` holds one `_Slice`, `_Int` or `_Advanced` per operand axis and
    a `_NewAxis` per ``None``, in index order. ``advanced_shape`` is the broadcast shape of
    the index arrays (None for basic indexing); ``advanced_first`` is NumPy's placement rule:
    advanced indices separated by a slice, ``None`` or ``...`` put their dims first.
    """

    shape: tuple
    unit_axes: tuple
    entries: tuple
    advanced_shape: tuple | None
    advanced_first: bool

    def layout(self) -> list:
        """The result's dims: a `_Slice`/`_NewAxis`, or ``k`` for advanced dim k."""
        block = [] if self.advanced_shape is None else list(range(len(self.advanced_shape)))
        out = list(block) if self.advanced_first else []
        placed = self.advanced_first
        for e in self.entries:
            if isinstance(e, _Advanced):
                if not placed:
                    out += block
                    placed = True
            elif not isinstance(e, _Int):
                out.append(e)
        return out

    def dim_size(self, token) -> int:
        if isinstance(token, int):
            return self.advanced_shape[token]
        return 1 if isinstance(token, _NewAxis) else token.length


def _classify(item):
    """``(kind, value)`` for one element of an index tuple."""
    if item is None:
        return "newaxis", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, slice):
        return "slice", item
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, (int, np.integer)):
        return "int", int(item)
    if isinstance(item, (list, tuple)):
        item = to_operand(list(item))
        if not isinstance(item, Tracer) and item.size == 0:
            item = item.astype(np.intp)  # NumPy reads an empty list as an empty integer index
    if isinstance(item, Tracer):
        if item.dtype == np.bool_:
            try:
                mask = item.to_concrete(
                    "boolean mask indexing (the result's shape depends on the mask values)"
                )
            except ConcretizationError as err:
                raise ConcretizationError(
                    f"{err} To keep the shape static, select with the mask instead of indexing "
                    "with it: fnp.where(mask, x, 0), or (x * mask).sum() for a masked sum."
                ) from None
            return _classify(np.asarray(mask))
        if not np.issubdtype(item.dtype, np.integer):
            raise IndexError(
                f"arrays used as indices must be of integer (or boolean) type, got a traced "
                f"{item.aval.str_short()} array"
            )
        return "array", item
    if isinstance(item, np.ndarray):
        if item.dtype == np.bool_:
            return ("bool", bool(item)) if item.ndim == 0 else ("mask", item)
        if not np.issubdtype(item.dtype, np.integer):
            raise IndexError(
                f"arrays used as indices must be of integer (or boolean) type, got an array of "
                f"dtype {item.dtype} and shape {item.shape}"
            )
        return ("int", int(item)) if item.ndim == 0 else ("array", item)
    try:
        return "int", operator.index(item)
    except TypeError:
        raise IndexError(f"{_VALID_INDICES}; got {type(item).__name__}: {item!r:.60}") from None


def _normalize_array(a, axis, n):
    """A concrete integer index array checked against an axis of size n, negatives wrapped."""
    a = np.asarray(a)
    if a.size:
        low, high = a.min(), a.max()
        if low < -n or high >= n:
            bad = low if low < -n else high
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
        if low < 0:
            a = np.where(a < 0, a + n, a)
    return a.astype(np.intp, copy=False)


def _parse(index, shape) -> _IndexPlan:
    """Turn a NumPy index for an array of ``shape`` into an `_IndexPlan`."""
    items = index if isinstance(index, tuple) else (index,)
    kinds = [_classify(item) for item in items]
    ndim = len(shape)
    if sum(k == "ellipsis" for k, _ in kinds) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(
        v.ndim if k == "mask" else 1 for k, v in kinds if k in ("int", "slice", "array", "mask")
    )
    if consumed > ndim:
        raise IndexError(
            f"too many indices for array of shape {tuple(shape)}: the array is "
            f"{ndim}-dimensional, but {consumed} were indexed"
        )
    advanced = any(k in ("array", "mask", "bool") for k, _ in kinds)
    # NumPy's placement rule: with array indices present, integers count as array indices too.
    positions = [i for i, (k, _) in enumerate(kinds) if k in ("array", "mask", "bool", "int")]
    adjacent = not positions or positions == list(range(positions[0], positions[-1] + 1))

    operand_shape: list[int] = []
    unit_axes: list[int] = []
    entries: list = []
    axis = 0  # next axis of the original array

    def take_axis():
        nonlocal axis
        operand_shape.append(shape[axis])
        axis += 1
        return len(operand_shape) - 1, axis - 1, shape[axis - 1]

    def full_slice():
        a, _, n = take_axis()
        entries.append(_Slice(a, 0, 1, n))

    for kind, value in kinds:
        if kind == "newaxis":
            entries.append(_NewAxis())
        elif kind == "ellipsis":
            for _ in range(ndim - consumed):
                full_slice()
        elif kind == "slice":
            a, _, n = take_axis()
            start, stop, step = value.indices(n)
            entries.append(_Slice(a, start, step, len(range(start, stop, step))))
        elif kind == "int":
            a, orig, n = take_axis()
            if not -n <= value < n:
                raise IndexError(f"index {value} is out of bounds for axis {orig} with size {n}")
            value %= n
            entries.append(_Advanced(a, np.asarray(value, np.intp)) if advanced else _Int(a, value))
        elif kind == "array":
            a, orig, n = take_axis()
            if not isinstance(value, Tracer):
                value = _normalize_array(value, orig, n)
            entries.append(_Advanced(a, value))
        elif kind == "mask":
            for d, size in enumerate(value.shape, start=axis):
                if shape[d] != size:
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {d}; size of "
                        f"axis is {shape[d]} but size of corresponding boolean axis is {size}"
                    )
            for coords in np.nonzero(value):
                a, _, _ = take_axis()
                entries.append(_Advanced(a, coords.astype(np.intp, copy=False)))
        else:  # a 0-d boolean: an index array of length 1 (True) or 0 (False) on a unit axis
            unit_axes.append(len(operand_shape))
            operand_shape.append(1)
            entries.append(_Advanced(len(operand_shape) - 1, np.zeros(int(value), np.intp)))
    while axis < ndim:
        full_slice()

    advanced_shape = None
    if advanced:
        shapes = [shape_of(e.array) for e in entries if isinstance(e, _Advanced)]
        try:
            advanced_shape = tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing arrays could not be broadcast together with shapes "
                + " ".join(str(s) for s in shapes)
            ) from None
    return _IndexPlan(
        tuple(operand_shape), tuple(unit_axes), tuple(entries), advanced_shape, not adjacent
    )


# ----------------------------------------------------------------------------- reading


def _operand(x):
    x = to_operand(x)
    return np.asarray(x) if type(x) in (float, int, bool, complex) else x


def _apply_slices(x, plan: _IndexPlan):
    """Apply every slice and basic integer of ``plan`` with ``slice``/``rev`` (none if no-ops)."""
    starts = [0] * len(plan.shape)
    limits = list(plan.shape)
    strides = [1] * len(plan.shape)
    flipped = []
    for e in plan.entries:
        if isinstance(e, _Int):
            starts[e.axis], limits[e.axis] = e.index, e.index + 1
        elif isinstance(e, _Slice):
            if e.length == 0:
                starts[e.axis] = limits[e.axis] = 0
            elif e.length == 1:
                starts[e.axis], limits[e.axis] = e.start, e.start + 1
            elif e.step > 0:
                starts[e.axis] = e.start
                limits[e.axis] = e.start + (e.length - 1) * e.step + 1
                strides[e.axis] = e.step
            else:  # negative step: take the same elements in increasing order, then reverse
                starts[e.axis] = e.start + (e.length - 1) * e.step
                limits[e.axis] = e.start + 1
                strides[e.axis] = -e.step
                flipped.append(e.axis)
    if starts != [0] * len(plan.shape) or limits != list(plan.shape) or set(strides) - {1}:
        x = sh.slice_(x, starts, limits, strides)
    return sh.rev(x, dimensions=tuple(flipped)) if flipped else x


def _broadcast_index(a, shape):
    if shape_of(a) == shape:
        return a
    return broadcast_to_shape(a, shape) if isinstance(a, Tracer) else np.broadcast_to(a, shape)


def getitem(x, index):
    """``x[index]`` with NumPy's full indexing semantics, traceable and differentiable.

    Basic indices (integers, slices with any step, ``None``, ``...``) become ``slice``, ``rev``,
    ``squeeze`` and ``reshape``; integer and boolean arrays add one ``gather``. Outside every
    transformation this is NumPy's own ``x[index]``.

    Args:
        x: the array (or tracer) to index.
        index: anything NumPy accepts as an index. Boolean masks must be concrete. Integer
            index arrays may be traced: they cannot be range-checked while tracing, and their
            negative values wrap when the primitive runs, as in NumPy.

    Returns:
        The selected elements, shaped as NumPy would shape them.

    Raises:
        IndexError: for out-of-range integers, too many indices, float indices, or index arrays
            that do not broadcast together, with NumPy's wording.
        ConcretizationError: for a boolean mask that is traced (its values fix the shape).

    Examples:
        >>> import numpy as np
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> x = np.arange(12.0).reshape(3, 4)
        >>> y, t = ft.jvp(lambda a: a[::-2, [0, 3]], (x,), (np.ones_like(x),))
        >>> y
        array([[ 8., 11.],
               [ 0.,  3.]])
        >>> print(ft.make_jaxpr(lambda a: a[1, ::2])(x))
        { lambda ; a:f64[3,4]. let
            b:f64[1,2] = slice[start_indices=(1, 0), limit_indices=(2, 3), strides=(1, 2)] a
            c:f64[2] = squeeze[dimensions=(0,)] b
          in (c,) }
    """
    if not core._stack:
        check_leaked(x, *(index if isinstance(index, tuple) else (index,)))
        return np.asarray(x)[index]
    x = _operand(x)
    plan = _parse(index, shape_of(x))
    if plan.unit_axes:
        x = sh.reshape(x, new_sizes=plan.shape)
    x = _apply_slices(x, plan)
    final = tuple(plan.dim_size(t) for t in plan.layout())
    if plan.advanced_shape is None:
        dropped = tuple(e.axis for e in plan.entries if isinstance(e, _Int))
        if dropped and not any(isinstance(e, _NewAxis) for e in plan.entries):
            return sh.squeeze(x, dimensions=dropped)
        return x if shape_of(x) == final else sh.reshape(x, new_sizes=final)

    block = plan.advanced_shape
    advanced = [e for e in plan.entries if isinstance(e, _Advanced)]
    arrays = [_broadcast_index(e.array, block) for e in advanced]
    x = ix.gather(x, *arrays, axes=tuple(e.axis for e in advanced))
    # gather gives block + (sliced axes in order); move the block to where NumPy puts it.
    n_block = len(block)
    n_sliced = sum(isinstance(e, _Slice) for e in plan.entries)
    before = 0
    if not plan.advanced_first:
        first = next(i for i, e in enumerate(plan.entries) if isinstance(e, _Advanced))
        before = sum(isinstance(e, _Slice) for e in plan.entries[:first])
    perm = (
        list(range(n_block, n_block + before))
        + list(range(n_block))
        + list(range(n_block + before, n_block + n_sliced))
    )
    if perm != sorted(perm):
        x = sh.transpose(x, permutation=perm)
    return x if shape_of(x) == final else sh.reshape(x, new_sizes=final)


# ----------------------------------------------------------------------------- updates


def _is_free(e, plan: _IndexPlan) -> bool:
    """A slice over a whole axis, which a scatter can leave unindexed (a trailing window dim)."""
    return isinstance(e, _Slice) and e.start == 0 and e.step == 1 and e.length == plan.shape[e.axis]


def _coordinates(plan: _IndexPlan, layout, indexed: set, out_shape):
    """One integer array of ``out_shape`` per axis in ``indexed``: where each update goes.

    ``layout`` lists the result dims that make up ``out_shape`` (the non-free ones).
    """
    rank = len(out_shape)
    position = {id(t): i for i, t in enumerate(layout) if not isinstance(t, int)}
    block_at = next((i for i, t in enumerate(layout) if isinstance(t, int)), 0)
    block_end = block_at + len(plan.advanced_shape or ())
    coords = []
    for e in plan.entries:
        if isinstance(e, _NewAxis) or e.axis not in indexed:
            continue
        if isinstance(e, _Int):
            coords.append(np.broadcast_to(np.intp(e.index), out_shape))
        elif isinstance(e, _Slice):
            view = [1] * rank
            view[position[id(e)]] = e.length
            values = e.start + e.step * np.arange(e.length, dtype=np.intp)
            coords.append(np.broadcast_to(values.reshape(view), out_shape))
        else:
            a = e.array
            dims = tuple(range(block_end - len(shape_of(a)), block_end))
            if isinstance(a, Tracer):
                coords.append(sh.broadcast_in_dim(a, shape=out_shape, broadcast_dimensions=dims))
            else:
                view = [1] * rank
                for d, n in zip(dims, a.shape, strict=True):
                    view[d] = n
                coords.append(np.broadcast_to(a.reshape(view), out_shape))
    return coords


def _fit_values(values, shape, dtype):
    """``values`` cast to ``dtype`` and broadcast to ``shape`` as NumPy's assignment does."""
    v = cast(_operand(values), dtype)
    vshape = shape_of(v)
    if len(vshape) > len(shape) and all(d == 1 for d in vshape[: len(vshape) - len(shape)]):
        vshape = vshape[len(vshape) - len(shape) :]  # NumPy drops leading unit dims of values
        v = sh.reshape(v, new_sizes=vshape)
    try:
        ok = np.broadcast_shapes(vshape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(
            f"could not broadcast the update values of shape {vshape} into the indexed shape "
            f"{tuple(shape)}"
        )
    return broadcast_to_shape(v, tuple(shape))


_SCATTERS = {
    "set": ix.scatter,
    "add": ix.scatter_add,
    "multiply": ix.scatter_mul,
    "min": ix.scatter_min,
    "max": ix.scatter_max,
}


_UFUNCS = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "min": np.minimum,
    "max": np.maximum,
}


def _update_eager(x, index, values, op: str):
    """The update on a copy of a NumPy array, by NumPy itself (no transformation is active)."""
    out = np.array(x, copy=True)
    v = np.asarray(values).astype(out.dtype, copy=False)
    lead = next((i for i, d in enumerate(v.shape) if d != 1), v.ndim)
    v = v.reshape(v.shape[lead:])  # as assignment does; ufunc.at rejects extra leading 1s
    if op == "set":
        out[index] = v
    elif op == "divide":  # the same arithmetic as the traced path: times the reciprocal
        np.multiply.at(out, index, np.divide(out.dtype.type(1), v))
    else:
        _UFUNCS[op].at(out, index, v)
    return out


def _update(x, index, values, op: str):
    if not core._stack:
        check_leaked(x, values, *(index if isinstance(index, tuple) else (index,)))
        return _update_eager(x, index, values, op)
    x = _operand(x)
    dtype = x.dtype
    plan = _parse(index, shape_of(x))
    if not plan.shape:  # a 0-d array: view it as shape (1,) so there is an axis to scatter on
        plan = dataclasses.replace(
            plan, shape=(1,), unit_axes=(0,), entries=(*plan.entries, _Int(0, 0))
        )
    layout = plan.layout()
    result_shape = tuple(plan.dim_size(t) for t in layout)
    v = _fit_values(values, result_shape, dtype)
    if 0 in result_shape:
        # Nothing is selected, so nothing changes (and no position can repeat).
        return x if isinstance(x, Tracer) else np.array(x, copy=True)
    free = {e.axis for e in plan.entries if _is_free(e, plan)}
    if len(free) == len(plan.shape):
        free.discard(0)  # a scatter needs one indexed axis at least
    kept = [i for i, t in enumerate(layout) if not (isinstance(t, _Slice) and t.axis in free)]
    window = [i for i in range(len(layout)) if i not in kept]
    indexed = {a for a in range(len(plan.shape)) if a not in free}
    index_shape = tuple(result_shape[i] for i in kept)
    coords = _coordinates(plan, [layout[i] for i in kept], indexed, index_shape)
    if op == "divide":
        v = ew.div(dtype.type(1), v)
        op = "multiply"
    elif op == "subtract":
        v = ew.neg(v)
        op = "add"
    if kept + window != sorted(kept + window):
        v = sh.transpose(v, permutation=kept + window)
    target = sh.reshape(x, new_sizes=plan.shape) if plan.unit_axes else x
    out = _SCATTERS[op](target, v, *coords, axes=tuple(sorted(indexed)))
    return sh.reshape(out, new_sizes=shape_of(x)) if plan.unit_axes else out


def _bounded_get(x, index, mode, fill_value):
    """``x[index]`` with each integer (array) index made safe by ``mode`` first."""
    from ftrans.numpy._reductions import _fill_padded, bounded_index

    x = _operand(x)
    items = list(index) if isinstance(index, tuple) else [index]
    ndim = len(shape_of(x))
    named = [i for i in items if i is not None and i is not Ellipsis]
    ellipses = [k for k, i in enumerate(items) if i is Ellipsis]
    if ellipses:
        at = ellipses[0]
        items[at : at + 1] = [slice(None)] * (ndim - len(named))
    axis = 0
    out = []
    for item in items:
        if item is None:
            out.append(None)
            continue
        kind, value = _classify(item)
        if kind in ("int", "array") and not (kind == "array" and value.dtype == np.bool_):
            idx = np.asarray(value) if kind == "int" else value
            idx, fill = bounded_index(idx, shape_of(x)[axis], mode, "at[...].get")
            if fill:
                x = _fill_padded(x, axis, fill_value)
            out.append(idx)
        else:
            out.append(item)
        axis += value.ndim if kind == "mask" else 1
    return getitem(x, tuple(out))


class IndexUpdateRef:
    """``x.at[index]``: the functional updates of the elements ``x[index]`` selects.

    Every method returns a new array and leaves ``x`` untouched. Values broadcast to the shape of
    ``x[index]`` with NumPy's rules and are cast to ``x``'s dtype. Repeated positions combine:
    ``add``/``subtract``/``multiply``/``divide``/``min``/``max`` apply every update (as
    ``numpy.add.at`` and friends do); ``set`` keeps the last write.
    """

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        """``x[index]``; ``mode`` (JAX's keyword) handles out-of-bounds integer indices:
        ``"fill"`` reads ``fill_value`` (NaN for floats) there, ``"clip"`` clamps them into
        range, ``"promise_in_bounds"``/None index as NumPy does."""
        if mode in (None, "promise_in_bounds"):
            return getitem(self.array, self.index)
        return _bounded_get(self.array, self.index, mode, fill_value)

    def set(self, values):
        """``x`` with ``x[index] = values`` (with repeated positions, the last write wins)."""
        return _update(self.array, self.index, values, "set")

    def add(self, values):
        """``x`` with ``values`` added at ``index`` (accumulating over repeated positions)."""
        return _update(self.array, self.index, values, "add")

    def subtract(self, values):
        """``x`` with ``values`` subtracted at ``index``."""
        return _update(self.array, self.index, values, "subtract")

    def multiply(self, values):
        """``x`` with the elements at ``index`` multiplied by ``values``.

        Differentiating with respect to ``values`` needs ``index`` free of repeated positions.
        """
        return _update(self.array, self.index, values, "multiply")

    def divide(self, values):
        """``x`` with the elements at ``index`` divided by ``values`` (times ``1 / values``).

        Only for floating-point and complex ``x``.
        """
        if not np.issubdtype(_operand(self.array).dtype, np.inexact):
            raise TypeError(
                f"x.at[idx].divide(v) needs a floating-point or complex x, got dtype "
                f"{_operand(self.array).dtype}; convert first, e.g. x.astype(float)."
            )
        return _update(self.array, self.index, values, "divide")

    def min(self, values):
        """``x`` with the elements at ``index`` replaced by their minimum with ``values``."""
        return _update(self.array, self.index, values, "min")

    def max(self, values):
        """``x`` with the elements at ``index`` replaced by their maximum with ``values``."""
        return _update(self.array, self.index, values, "max")

    def __repr__(self):
        return f"IndexUpdateRef({self.array!r}, {self.index!r})"


class IndexUpdateHelper:
    """The ``x.at`` property: ``x.at[index].set(values)`` and friends return updated copies.

    Works on traced arrays (``x.at``) and on plain NumPy arrays (``fnp.at(x)``, or
    ``IndexUpdateHelper(x)``); ``x`` itself is never modified.

    Examples:
        >>> import numpy as np
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> x = np.zeros(4)
        >>> IndexUpdateHelper(x)[[0, 0, -1]].add(1.0)
        array([2., 0., 0., 1.])
        >>> x
        array([0., 0., 0., 0.])
        >>> ft.grad(lambda a: a.at[1:3].set(7.0).sum())(x)
        array([1., 0., 0., 1.])
    """

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index) -> IndexUpdateRef:
        return IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"IndexUpdateHelper({self.array!r})"


def at(x) -> IndexUpdateHelper:
    """``x.at`` for any array, NumPy ones included: functional indexed updates.

    Examples:
        >>> import numpy as np
        >>> x = np.arange(3.0)
        >>> at(x)[1].set(9.0), x
        (array([0., 9., 2.]), array([0., 1., 2.]))
    """
    return IndexUpdateHelper(x)
