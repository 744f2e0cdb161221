"""JAX's general ``lax.gather`` and ``lax.scatter*`` (XLA's dimension numbers), written on
ftrans's integer-array indexing primitives (``ftrans.primitives.indexing``).

Every general gather becomes one ``gather`` primitive with one index array per indexed operand
axis, and every scatter one ``scatter*`` primitive, so each inherits all of their rules (JVP,
transpose, batching, lowering): nothing here holds derivative logic.

How a call is rewritten. Let ``B`` be the batch shape of ``start_indices`` (all but its last
axis, the index vector). Operand axes split in two:

* *indexed* axes get an index array of shape ``S = B + W``: the axes named by
  ``start_index_map`` (start read from the index vector, clamped so the slice fits), the
  collapsed and batching axes, and any window axis smaller than the operand (start 0);
* the remaining window axes (full size, start 0) pass through whole.

``W`` holds one window axis per indexed axis that is not collapsed (an iota of the slice size
added to its start). The primitive returns ``S + (the whole axes)``; one transpose moves the
window axes to ``offset_dims``. Out-of-bounds rules (``GatherScatterMode``): ``CLIP`` clamps
the starts; ``FILL_OR_DROP`` fills a gathered window with ``fill_value`` when any of it is out
of bounds, and drops a scattered window (it is written into padding that is cut off again);
``PROMISE_IN_BOUNDS`` does what XLA on CPU does: clamp for gather, drop for scatter.
"""

from __future__ import annotations

import enum
import functools
import operator
import typing

import numpy as np

from ftrans.core import Tracer, get_aval, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives import elementwise as _ew
from ftrans.primitives import indexing as _ix
from ftrans.primitives import reductions as _red
from ftrans.primitives import shape as _shape


class GatherDimensionNumbers(typing.NamedTuple):
    """How the axes of ``operand``, ``start_indices`` and the output of :func:`gather` relate
    (XLA's fields, as ``jax.lax.GatherDimensionNumbers``).

    Attributes:
        offset_dims: output axes that hold the slice's (window's) axes, in operand order.
        collapsed_slice_dims: operand axes whose slice has size 1 and is dropped.
        start_index_map: the operand axis each entry of an index vector starts.
        operand_batching_dims: operand axes paired one to one with
            ``start_indices_batching_dims`` (slice size 1, dropped).
        start_indices_batching_dims: the paired axes of ``start_indices``.
    """

    offset_dims: tuple[int, ...]
    collapsed_slice_dims: tuple[int, ...]
    start_index_map: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()


class ScatterDimensionNumbers(typing.NamedTuple):
    """How the axes of ``operand``, ``scatter_indices`` and ``updates`` of the scatters relate
    (XLA's fields, as ``jax.lax.ScatterDimensionNumbers``).

    Attributes:
        update_window_dims: axes of ``updates`` that hold a window, in operand order.
        inserted_window_dims: operand axes of window size 1 absent from ``updates``.
        scatter_dims_to_operand_dims: the operand axis each entry of an index vector starts.
        operand_batching_dims: operand axes paired with ``scatter_indices_batching_dims``.
        scatter_indices_batching_dims: the paired axes of ``scatter_indices``.
    """

    update_window_dims: tuple[int, ...]
    inserted_window_dims: tuple[int, ...]
    scatter_dims_to_operand_dims: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    scatter_indices_batching_dims: tuple[int, ...] = ()


class GatherScatterMode(enum.Enum):
    """What an out-of-bounds index does (``jax.lax.GatherScatterMode``).

    ``CLIP`` clamps every start so the whole window is in bounds. ``FILL_OR_DROP`` (the
    scatters' default) returns ``fill_value`` for a gathered window that is partly out of
    bounds and drops such a scattered window. ``PROMISE_IN_BOUNDS`` (``lax.gather``'s default)
    behaves as XLA on CPU: clamp when gathering, drop when scattering. ``ONE_HOT`` (a TPU
    lowering in JAX) is not accepted, as in JAX's gather on CPU.
    """

    CLIP = 1
    FILL_OR_DROP = 2
    PROMISE_IN_BOUNDS = 3
    ONE_HOT = 4

    @staticmethod
    def from_any(s: str | GatherScatterMode | None) -> GatherScatterMode:
        """The mode named by ``s`` (``None`` is ``FILL_OR_DROP``; ``"fill"`` and ``"drop"``
        are its two spellings)."""
        if isinstance(s, GatherScatterMode):
            return s
        if s is None:
            return GatherScatterMode.FILL_OR_DROP
        names = {
            "clip": GatherScatterMode.CLIP,
            "fill": GatherScatterMode.FILL_OR_DROP,
            "drop": GatherScatterMode.FILL_OR_DROP,
            "promise_in_bounds": GatherScatterMode.PROMISE_IN_BOUNDS,
            "one_hot": GatherScatterMode.ONE_HOT,
        }
        if s not in names:
            raise ValueError(
                f"unknown gather/scatter mode {s!r}: use 'clip', 'fill' (or 'drop'), "
                "'promise_in_bounds', or a lax.GatherScatterMode"
            )
        return names[s]


# ----------------------------------------------------------------------------- the rewrite


def _array(x):
    return x if isinstance(x, Tracer | np.ndarray) else np.asarray(x)


def _ints(values, what, name) -> tuple[int, ...]:
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(f"{name}: {what} must be a sequence of ints, got {values!r}") from None


class _Plan(typing.NamedTuple):
    """The primitive-level form of one general gather/scatter."""

    batch_shape: tuple[int, ...]
    index_axes: tuple[int, ...]  # operand axes given an index array, ascending
    window_axes: tuple[int, ...]  # indexed axes that keep a window axis (in W), ascending
    whole_axes: tuple[int, ...]  # window axes passed through whole, ascending
    window_sizes: tuple[int, ...]  # per operand axis
    start_index_map: tuple[int, ...]
    batching: tuple[tuple[int, int], ...]  # (operand axis, index batch axis)
    permutation: tuple[int, ...]  # primitive-form axes -> output (or updates) axes


@functools.lru_cache(maxsize=256)
def _plan(
    name,
    operand_shape,
    indices_shape,
    window_sizes,
    offset_dims,
    collapsed,
    index_map,
    operand_batching,
    indices_batching,
) -> _Plan:
    n = len(operand_shape)
    if len(indices_shape) == 0:
        raise ShapeError(
            f"{name}: the indices must have at least one axis (the last holds the index "
            "vectors), got a scalar; for one index i pass [i]"
        )
    batch_shape = tuple(indices_shape[:-1])
    if indices_shape[-1] != len(index_map):
        raise ShapeError(
            f"{name}: index vectors (the last axis of the indices, shape {tuple(indices_shape)}) "
            f"have {indices_shape[-1]} entries but the map to operand axes has "
            f"{len(index_map)} ({index_map})"
        )
    if len(window_sizes) != n:
        raise ShapeError(
            f"{name}: {len(window_sizes)} slice sizes for an operand of rank {n} "
            f"(shape {tuple(operand_shape)}); give one per operand axis"
        )
    for d, (k, m) in enumerate(zip(window_sizes, operand_shape, strict=True)):
        if not 0 <= k <= m:
            raise ShapeError(
                f"{name}: slice size {k} on operand axis {d} does not fit its length {m}"
            )
    for label, axes in (
        ("the map to operand axes", index_map),
        ("the collapsed/inserted axes", collapsed),
        ("operand_batching_dims", operand_batching),
    ):
        if any(not 0 <= a < n for a in axes) or len(set(axes)) != len(axes):
            raise ShapeError(
                f"{name}: {label} {axes} must be distinct axes of the operand (rank {n})"
            )
    if set(index_map) & set(operand_batching) or set(collapsed) & set(operand_batching):
        raise ShapeError(
            f"{name}: operand_batching_dims {operand_batching} may not also be indexed or collapsed"
        )
    for d in (*collapsed, *operand_batching):
        if window_sizes[d] != 1:
            raise ShapeError(
                f"{name}: collapsed and batching operand axes need slice size 1, axis {d} has "
                f"{window_sizes[d]}"
            )
    if len(operand_batching) != len(indices_batching):
        raise ShapeError(
            f"{name}: operand_batching_dims {operand_batching} and the indices' batching dims "
            f"{indices_batching} must pair up one to one"
        )
    batching = []
    for od, idim in zip(operand_batching, indices_batching, strict=True):
        if not 0 <= idim < len(batch_shape):
            raise ShapeError(
                f"{name}: indices batching dim {idim} is not a batch axis of indices of shape "
                f"{tuple(indices_shape)} (the last axis holds the index vectors)"
            )
        if operand_shape[od] != batch_shape[idim]:
            raise ShapeError(
                f"{name}: batching axes differ in length: operand axis {od} has "
                f"{operand_shape[od]}, indices axis {idim} has {batch_shape[idim]}"
            )
        batching.append((od, idim))
    dropped = set(collapsed) | set(operand_batching)
    offsets = [d for d in range(n) if d not in dropped]
    if len(offset_dims) != len(offsets) or list(offset_dims) != sorted(set(offset_dims)):
        raise ShapeError(
            f"{name}: the window dims {tuple(offset_dims)} must be {len(offsets)} ascending "
            f"distinct axes (one per operand axis that is neither collapsed nor batching: "
            f"{tuple(offsets)})"
        )
    out_rank = len(batch_shape) + len(offsets)
    if any(not 0 <= a < out_rank for a in offset_dims):
        raise ShapeError(f"{name}: window dims {tuple(offset_dims)} exceed rank {out_rank}")
    index_axes = tuple(
        d for d in range(n) if d in index_map or d in dropped or window_sizes[d] < operand_shape[d]
    )
    window_axes = tuple(d for d in index_axes if d not in dropped)
    whole_axes = tuple(d for d in range(n) if d not in index_axes)
    nb = len(batch_shape)
    source = {d: nb + i for i, d in enumerate(window_axes)}
    source.update({d: nb + len(window_axes) + i for i, d in enumerate(whole_axes)})
    permutation, batch_axis = [], 0
    for axis in range(out_rank):
        if axis in offset_dims:
            permutation.append(source[offsets[offset_dims.index(axis)]])
        else:
            permutation.append(batch_axis)
            batch_axis += 1
    return _Plan(
        batch_shape,
        index_axes,
        window_axes,
        whole_axes,
        tuple(window_sizes),
        tuple(index_map),
        tuple(batching),
        tuple(permutation),
    )


def _starts(indices, plan, operand_shape):
    """The start of every index vector for each axis of ``start_index_map``, as int64 arrays of
    the batch shape, unclamped."""
    indices = _array(indices)
    if not np.issubdtype(get_aval(indices).dtype, np.integer):
        raise TypeError(
            f"gather/scatter indices must be integers, got {get_aval(indices).str_short()}"
        )
    nb = len(plan.batch_shape)
    out = {}
    for k, d in enumerate(plan.start_index_map):
        if isinstance(indices, np.ndarray):
            s = indices[..., k]
            s = s if s.dtype == np.int64 else s.astype(np.int64)
        else:
            s = _shape.slice_(indices, (0,) * nb + (k,), plan.batch_shape + (k + 1,))
            s = _shape.reshape(s, new_sizes=plan.batch_shape)
            s = _ew.convert_element_type(s, new_dtype=np.dtype(np.int64))
        out[d] = s
    return out


def _in_bounds(starts, plan, operand_shape):
    """A boolean array of the batch shape: is the whole window of each index vector in bounds?
    (None when nothing can be out of bounds.)"""
    ok = None
    for d, s in starts.items():
        hi = np.int64(operand_shape[d] - plan.window_sizes[d])
        if type(s) is np.ndarray:
            good = (s >= 0) & (s <= hi)
        else:
            good = _ew.bitwise_and(_ew.ge(s, np.int64(0)), _ew.le(s, hi))
        ok = good if ok is None else _ew.bitwise_and(ok, good)
    return ok


def _index_arrays(starts, plan, operand_shape, *, unclamped=()):
    """One int64 index array of shape ``S = B + W`` per indexed operand axis (the starts
    clamped so each window fits, except on the axes in ``unclamped``)."""
    nb = len(plan.batch_shape)
    window = tuple(plan.window_sizes[d] for d in plan.window_axes)
    full = plan.batch_shape + window
    batch_of = dict(plan.batching)
    arrays = []
    for d in plan.index_axes:
        if d in starts:
            s = starts[d]
            hi = operand_shape[d] - plan.window_sizes[d]
            if type(s) is np.ndarray:  # concrete: NumPy directly
                if d not in unclamped:
                    s = np.minimum(np.maximum(s, 0), hi)
                index = (
                    np.broadcast_to(s.reshape(s.shape + (1,) * len(window)), full) if window else s
                )
            else:
                if d not in unclamped:
                    s = _ew.min_(_ew.max_(s, np.int64(0)), np.int64(hi))
                index = _shape.broadcast_in_dim(
                    s, shape=full, broadcast_dimensions=tuple(range(nb))
                )
        elif d in batch_of:
            view = [1] * len(full)
            view[batch_of[d]] = full[batch_of[d]]
            index = np.broadcast_to(np.arange(full[batch_of[d]]).reshape(view), full)
        else:
            index = np.zeros(full, np.int64)
        if d in plan.window_axes:
            axis = nb + plan.window_axes.index(d)
            view = [1] * len(full)
            view[axis] = full[axis]
            offsets = np.broadcast_to(np.arange(full[axis]).reshape(view), full)
            index = offsets + index if isinstance(index, np.ndarray) else _ew.add(index, offsets)
        arrays.append(index)
    return arrays


def _fill(dtype, fill_value):
    dtype = np.dtype(dtype)
    if fill_value is not None:
        return np.asarray(fill_value, dtype)
    if dtype.kind in "fc":
        return np.asarray(np.nan, dtype)
    if dtype.kind == "i":
        return np.asarray(np.iinfo(dtype).min, dtype)
    if dtype.kind == "u":
        return np.asarray(np.iinfo(dtype).max, dtype)
    return np.asarray(True, dtype)


def _transpose(x, permutation):
    if permutation == tuple(range(len(permutation))):
        return x
    return _shape.transpose(x, permutation=permutation)


def _concrete_all(mask) -> bool:
    return mask is None or (isinstance(mask, np.ndarray) and bool(mask.all()))


def gather(
    operand,
    start_indices,
    dimension_numbers: GatherDimensionNumbers,
    slice_sizes,
    *,
    unique_indices: bool = False,
    indices_are_sorted: bool = False,
    mode: str | GatherScatterMode | None = None,
    fill_value=None,
):
    """Slices of ``operand`` at the starts in ``start_indices`` (XLA's general gather, as
    ``jax.lax.gather``): every index vector (the last axis of ``start_indices``) starts one
    slice of size ``slice_sizes``. ``unique_indices`` and ``indices_are_sorted`` are accepted
    and change nothing; ``mode=None`` is ``PROMISE_IN_BOUNDS`` (clamped), as in JAX. Prefer
    NumPy indexing (``x[idx]``, ``x.at[idx].get(mode=...)``).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> x = np.arange(12.0).reshape(3, 4)
        >>> dn = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
        ...                                 start_index_map=(0, 1))
        >>> lax.gather(x, np.array([[0, 1], [2, 3]]), dn, (1, 2), mode="clip")  # 2 values a row
        array([[ 1.,  2.],
               [10., 11.]])
    """
    del unique_indices, indices_are_sorted
    if type(operand) is np.ndarray and type(start_indices) is np.ndarray:
        out = _eager_gather(operand, start_indices, dimension_numbers, slice_sizes, mode)
        if out is not None:
            return out
    mode = GatherScatterMode.from_any(GatherScatterMode.PROMISE_IN_BOUNDS if mode is None else mode)
    if mode is GatherScatterMode.ONE_HOT:
        raise ValueError("lax.gather: mode ONE_HOT is a TPU lowering; use 'clip' or 'fill'")
    dn = GatherDimensionNumbers(*(tuple(f) for f in dimension_numbers))
    operand = _array(operand)
    shape = tuple(shape_of(operand))
    plan = _plan(
        "lax.gather",
        shape,
        tuple(shape_of(start_indices)),
        _ints(slice_sizes, "slice_sizes", "lax.gather"),
        *dn,
    )
    starts = _starts(start_indices, plan, shape)
    if plan.index_axes:
        arrays = _index_arrays(starts, plan, shape)
        out = _ix.gather(operand, *arrays, axes=plan.index_axes)
    else:  # nothing indexed: every index vector takes the whole operand
        nb = len(plan.batch_shape)
        out = _shape.broadcast_in_dim(
            operand,
            shape=plan.batch_shape + shape,
            broadcast_dimensions=tuple(range(nb, nb + len(shape))),
        )
    out = _transpose(out, plan.permutation)
    if mode is GatherScatterMode.FILL_OR_DROP:
        ok = _in_bounds(starts, plan, shape)
        if not _concrete_all(ok):
            out_shape = tuple(shape_of(out))
            batch_axes = tuple(a for a in range(len(out_shape)) if a not in dn.offset_dims)
            mask = _shape.broadcast_in_dim(ok, shape=out_shape, broadcast_dimensions=batch_axes)
            fill = _fill(get_aval(operand).dtype, fill_value)
            out = _ew.select(mask, out, np.broadcast_to(fill, out_shape))
    return out


class _EagerGather(typing.NamedTuple):
    """What an eager ``gather`` of one signature needs besides the values."""

    axes: tuple[int, ...]  # the indexed operand axes (moved to the front, then indexed)
    starts: tuple[tuple[int, int, int, typing.Any], ...]  # (slot, index-vector entry, hi, offsets)
    constants: tuple[typing.Any, ...]  # the index arrays that do not depend on the indices
    view: tuple[int, ...]  # a start array's shape against the window axes (B + 1s)
    windowed: bool  # there are window axes (a start array is reshaped to the view)
    fill: bool  # FILL_OR_DROP: out-of-bounds windows go to the general path
    permutation: tuple[int, ...] | None


@functools.lru_cache(maxsize=256)
def _eager_gather_program(operand_shape, indices_shape, dn, slice_sizes, mode):
    mode = GatherScatterMode.from_any(GatherScatterMode.PROMISE_IN_BOUNDS if mode is None else mode)
    if mode is GatherScatterMode.ONE_HOT:
        return None
    dn = GatherDimensionNumbers(*(tuple(f) for f in dn))
    plan = _plan(
        "lax.gather",
        operand_shape,
        indices_shape,
        _ints(slice_sizes, "slice_sizes", "lax.gather"),
        *dn,
    )
    if not plan.index_axes:
        return None
    window = tuple(plan.window_sizes[d] for d in plan.window_axes)
    nb = len(plan.batch_shape)
    full = plan.batch_shape + window
    view = plan.batch_shape + (1,) * len(window)
    batch_of = dict(plan.batching)
    position = {d: k for k, d in enumerate(plan.start_index_map)}
    starts, constants, shapes = [], [], []
    for slot, d in enumerate(plan.index_axes):
        offsets = None
        if d in plan.window_axes:
            axis = nb + plan.window_axes.index(d)
            shape = [1] * len(full)
            shape[axis] = full[axis]
            offsets = np.arange(full[axis]).reshape(shape)
        if d in position:
            hi = operand_shape[d] - plan.window_sizes[d]
            starts.append((slot, position[d], hi, offsets))
            constants.append(None)
            shapes.append(view if offsets is None else np.broadcast_shapes(view, offsets.shape))
            continue
        if d in batch_of:
            shape = [1] * len(full)
            shape[batch_of[d]] = full[batch_of[d]]
            index = np.arange(full[batch_of[d]]).reshape(shape)
        else:
            index = np.zeros((1,) * len(full), np.int64)
        index = index if offsets is None else index + offsets
        constants.append(index)
        shapes.append(index.shape)
    if np.broadcast_shapes(*shapes) != full:
        return None  # the index arrays alone would not span the batch and window axes
    identity = plan.permutation == tuple(range(len(plan.permutation)))
    return _EagerGather(
        plan.index_axes,
        tuple(starts),
        tuple(constants),
        view,
        bool(window),
        mode is GatherScatterMode.FILL_OR_DROP,
        None if identity else plan.permutation,
    )


def _eager_gather(operand, indices, dimension_numbers, slice_sizes, mode):
    """``gather`` of concrete arrays as one NumPy fancy index, with what does not depend on the
    values (plan, clamp bounds, window offsets) cached per signature. None when the general
    path must decide: unhashable arguments, nothing indexed, a window out of bounds in FILL
    mode, non-integer indices (whose error the general path raises)."""
    if indices.dtype.kind not in "iu":
        return None
    try:  # the arguments as given (hashable in the usual spelling), else as tuples
        program = _eager_gather_program(
            operand.shape, indices.shape, dimension_numbers, slice_sizes, mode
        )
    except TypeError:
        try:
            program = _eager_gather_program(
                operand.shape,
                indices.shape,
                tuple(tuple(f) for f in dimension_numbers),
                tuple(slice_sizes),
                mode,
            )
        except TypeError:
            return None
    if program is None:
        return None
    arrays = list(program.constants)
    for slot, k, hi, offsets in program.starts:
        s = indices[..., k]
        if program.fill and ((s < 0).any() or (s > hi).any()):
            return None
        s = np.maximum(s, 0)  # clamped: two ufunc calls cost a third of np.clip's wrapper
        np.minimum(s, hi, out=s)
        if program.windowed:
            s = s.reshape(program.view)
        arrays[slot] = s if offsets is None else s + offsets
    front = program.axes
    if front != tuple(range(len(front))):
        operand = np.moveaxis(operand, front, tuple(range(len(front))))
    out = operand[tuple(arrays)]
    return out if program.permutation is None else out.transpose(program.permutation)


# ----------------------------------------------------------------------------- scatters


def _scatter_plan(name, operand, indices, updates, dimension_numbers):
    dn = ScatterDimensionNumbers(*(tuple(f) for f in dimension_numbers))
    shape = tuple(shape_of(operand))
    u_shape = tuple(shape_of(updates))
    dropped = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
    offsets = [d for d in range(len(shape)) if d not in dropped]
    if len(dn.update_window_dims) != len(offsets) or any(
        not 0 <= a < len(u_shape) for a in dn.update_window_dims
    ):
        raise ShapeError(
            f"{name}: update_window_dims {dn.update_window_dims} must name {len(offsets)} axes "
            f"of the updates (shape {u_shape}), one per operand axis that is neither inserted "
            f"nor batching {tuple(offsets)}"
        )
    sizes = [1] * len(shape)
    for d, a in zip(offsets, dn.update_window_dims, strict=True):
        sizes[d] = u_shape[a]
    plan = _plan(
        name,
        shape,
        tuple(shape_of(indices)),
        tuple(sizes),
        dn.update_window_dims,
        dn.inserted_window_dims,
        dn.scatter_dims_to_operand_dims,
        dn.operand_batching_dims,
        dn.scatter_indices_batching_dims,
    )
    expected = [0] * len(u_shape)
    batch = iter(plan.batch_shape)
    for axis in range(len(u_shape)):
        if axis in dn.update_window_dims:
            expected[axis] = u_shape[axis]
        else:
            expected[axis] = next(batch, -1)
    if len(u_shape) != len(plan.batch_shape) + len(offsets) or tuple(expected) != u_shape:
        raise ShapeError(
            f"{name}: updates of shape {u_shape} do not match the indices' batch shape "
            f"{plan.batch_shape} with window axes at {dn.update_window_dims}"
        )
    return plan


def _scatter(name, primitive, operand, scatter_indices, updates, dimension_numbers, mode):
    mode = GatherScatterMode.from_any(mode)
    if mode is GatherScatterMode.ONE_HOT:
        raise ValueError(f"lax.{name}: mode ONE_HOT is a TPU lowering; use 'clip' or 'drop'")
    operand, updates = _array(operand), _array(updates)
    dtype = get_aval(operand).dtype
    if get_aval(updates).dtype != dtype:
        raise TypeError(
            f"lax.{name}: updates {get_aval(updates).str_short()} must have the operand's dtype "
            f"{dtype}; convert them first (lax.convert_element_type)"
        )
    plan = _scatter_plan(f"lax.{name}", operand, scatter_indices, updates, dimension_numbers)
    shape = tuple(shape_of(operand))
    starts = _starts(scatter_indices, plan, shape)
    inverse = tuple(int(i) for i in np.argsort(plan.permutation))
    updates = _transpose(updates, inverse)
    if not plan.index_axes:  # nothing indexed: each update covers the whole operand
        return _scatter_whole(primitive, operand, updates, len(plan.batch_shape))
    ok = None if mode is GatherScatterMode.CLIP else _in_bounds(starts, plan, shape)
    if _concrete_all(ok):
        arrays = _index_arrays(starts, plan, shape)
        return primitive(operand, updates, *arrays, axes=plan.index_axes)
    # Dropped windows land in padding past the end of one indexed axis, cut off afterwards.
    trash = plan.start_index_map[0]
    starts = dict(starts)
    past_end = np.full(plan.batch_shape, shape[trash], np.int64)
    starts[trash] = _ew.select(ok, starts[trash], past_end)
    arrays = _index_arrays(starts, plan, shape, unclamped=(trash,))
    config = [(0, 0, 0)] * len(shape)
    config[trash] = (0, plan.window_sizes[trash], 0)
    padded = _shape.pad(operand, np.zeros((), dtype), padding_config=tuple(config))
    out = primitive(padded, updates, *arrays, axes=plan.index_axes)
    return _shape.slice_(out, (0,) * len(shape), shape)


def _scatter_whole(primitive, operand, updates, nb):
    """Scatter with no indexed axis: every update window is the whole operand."""
    shape = tuple(shape_of(operand))
    count = int(np.prod(shape_of(updates)[:nb], dtype=np.int64))
    updates = _shape.reshape(updates, new_sizes=(count, *shape))
    zeros = np.zeros((count,), np.int64)
    front = _shape.reshape(operand, new_sizes=(1, *shape))
    out = primitive(front, updates, zeros, axes=(0,))
    return _shape.reshape(out, new_sizes=shape)


def _scatter_function(name, primitive, doc):
    def scatter_fn(
        operand,
        scatter_indices,
        updates,
        dimension_numbers: ScatterDimensionNumbers,
        *,
        indices_are_sorted: bool = False,
        unique_indices: bool = False,
        mode: str | GatherScatterMode | None = None,
    ):
        del indices_are_sorted, unique_indices
        return _scatter(name, primitive, operand, scatter_indices, updates, dimension_numbers, mode)

    scatter_fn.__name__ = scatter_fn.__qualname__ = name
    scatter_fn.__doc__ = doc
    return scatter_fn


_SCATTER_DOC = """``operand`` with ``updates`` {verb} at the windows that ``scatter_indices`` start
(XLA's general scatter, as ``jax.lax.{name}``). Windows partly out of bounds are dropped
(``mode="drop"``, the default, and ``"promise_in_bounds"``) or moved in bounds
(``mode="clip"``). ``indices_are_sorted`` and ``unique_indices`` are accepted and change
nothing. Prefer ``x.at[idx].{method}(v)``.
"""

scatter = _scatter_function(
    "scatter",
    _ix.scatter,
    _SCATTER_DOC.format(
        verb="written (a repeated position keeps the last)", name="scatter", method="set"
    )
    + """
Example:
    >>> import numpy as np
    >>> from ftrans import lax
    >>> dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
    ...                                  scatter_dims_to_operand_dims=(0,))
    >>> lax.scatter(np.zeros(4), np.array([[1], [3], [9]]), np.array([1.0, 2.0, 3.0]), dn)
    array([0., 1., 0., 2.])
""",
)
scatter_add = _scatter_function(
    "scatter_add",
    _ix.scatter_add,
    _SCATTER_DOC.format(verb="added", name="scatter_add", method="add"),
)
scatter_mul = _scatter_function(
    "scatter_mul",
    _ix.scatter_mul,
    _SCATTER_DOC.format(verb="multiplied in", name="scatter_mul", method="multiply"),
)
scatter_min = _scatter_function(
    "scatter_min",
    _ix.scatter_min,
    _SCATTER_DOC.format(verb="combined by minimum", name="scatter_min", method="min"),
)
scatter_max = _scatter_function(
    "scatter_max",
    _ix.scatter_max,
    _SCATTER_DOC.format(verb="combined by maximum", name="scatter_max", method="max"),
)


def _subtract_at(operand, updates, *indices, axes):
    return _ix.scatter_add(operand, _ew.neg(updates), *indices, axes=axes)


scatter_sub = _scatter_function(
    "scatter_sub",
    _subtract_at,
    _SCATTER_DOC.format(verb="subtracted", name="scatter_sub", method="subtract"),
)


def scatter_apply(
    operand,
    scatter_indices,
    func,
    dimension_numbers: ScatterDimensionNumbers,
    *,
    update_shape=(),
    indices_are_sorted: bool = False,
    unique_indices: bool = False,
    mode: str | GatherScatterMode | None = None,
):
    """``operand`` with ``func`` applied at every scattered position, once per time the
    position is hit (as ``jax.lax.scatter_apply``); ``update_shape`` is the shape the updates
    of such a scatter would have. ``func`` must be elementwise: it is applied to the whole
    operand and the result kept where positions were hit, so it differentiates (JAX's does
    not).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
        ...                                  scatter_dims_to_operand_dims=(0,))
        >>> lax.scatter_apply(np.arange(4.0), np.array([[1], [1], [2]]), lambda v: v * 10, dn,
        ...                   update_shape=(3,))
        array([  0., 100.,  20.,   3.])
    """
    del indices_are_sorted, unique_indices
    operand = _array(operand)
    ones = np.ones(tuple(update_shape), np.int64)
    counts = _scatter(
        "scatter_apply",
        _ix.scatter_add,
        np.zeros(tuple(shape_of(operand)), np.int64),
        scatter_indices,
        ones,
        dimension_numbers,
        mode,
    )
    if isinstance(counts, np.ndarray):
        out = operand
        for r in range(int(counts.max(initial=0))):
            out = _ew.select(counts > r, func(out), out)
        return out
    from ftrans.control_flow import while_loop

    def body(state):
        r, out = state
        return _ew.add(r, np.int64(1)), _ew.select(_ew.gt(counts, r), func(out), out)

    most = _red.reduce_max(counts, axes=tuple(range(len(shape_of(counts)))))
    _, out = while_loop(lambda s: _ew.lt(s[0], most), body, (np.int64(0), operand))
    return out
