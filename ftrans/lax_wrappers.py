"""JAX-shaped ``ftrans.lax`` functions written on existing primitives: slicing in one
dimension, dynamic slices in one dimension, shapes (``expand_dims``, ``broadcast``,
``collapse``, ``full``, ``iota``...), small elementwise helpers (``rsqrt``, ``clamp``,
``square``, bit counts), products (``dot``, ``batch_matmul``), reductions with JAX's positional
signatures, and the positional spellings of the shape primitives.

None of these holds derivative logic: every rule comes from the primitives they call.
"""

from __future__ import annotations

import builtins
import enum
import math
import operator

import numpy as np

from ftrans.core import Tracer, get_aval, shape_of
from ftrans.primitives import dot as _dot
from ftrans.primitives import elementwise as _ew
from ftrans.primitives import reductions as _red
from ftrans.primitives import shape as _shape
from ftrans.primitives.dynamic import dynamic_slice, dynamic_update_slice


def _axis(axis, ndim, name="axis"):
    axis = operator.index(axis)
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{name} {axis} is out of range for an operand of rank {ndim}")
    return axis % max(ndim, 1)


def _ndim(x):
    return len(shape_of(x))


def _array(x):
    return x if isinstance(x, Tracer | np.ndarray) else np.asarray(x)


# ----------------------------------------------------------------------------- positional forms


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001  (JAX's name)
    """``operand[start:limit:stride, ...]`` with static bounds, one triple per dimension.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.slice(np.arange(10), (1,), (8,), (3,))
        array([1, 4, 7])
    """
    return _shape.slice_(_array(operand), start_indices, limit_indices, strides)


def reshape(operand, new_sizes, dimensions=None):
    """Reshape (after transposing by ``dimensions`` when given), as ``jax.lax.reshape``.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.reshape(np.arange(6).reshape(2, 3), (3, 2), dimensions=(1, 0))
        array([[0, 3],
               [1, 4],
               [2, 5]])
    """
    operand = _array(operand)
    if dimensions is not None:
        operand = _shape.transpose(operand, permutation=tuple(dimensions))
    new_sizes = tuple(operator.index(s) for s in new_sizes)
    if new_sizes == tuple(shape_of(operand)):
        return operand
    return _shape.reshape(operand, new_sizes=new_sizes)


def transpose(operand, permutation):
    """Permute the axes (``np.transpose``)."""
    return _shape.transpose(_array(operand), permutation=tuple(permutation))


def squeeze(array, dimensions):
    """Remove the listed size-1 dimensions (negative numbers count from the end)."""
    array = _array(array)
    n = _ndim(array)
    dims = tuple(sorted(_axis(d, n, "dimension") for d in dimensions))
    return _shape.squeeze(array, dimensions=dims) if dims else array


def rev(operand, dimensions):
    """Reverse the order of elements along ``dimensions``."""
    return _shape.rev(_array(operand), dimensions=tuple(dimensions))


def pad(operand, padding_value, padding_config):
    """Pad with ``(low, high, interior)`` per dimension; negative low/high crop, as in JAX.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.pad(np.array([1, 2, 3]), 0, [(1, -1, 1)])
        array([0, 1, 0, 2, 0])
    """
    operand = _array(operand)
    dtype = get_aval(operand).dtype
    value = padding_value if isinstance(padding_value, Tracer) else np.asarray(padding_value, dtype)
    config = [tuple(operator.index(v) for v in c) for c in padding_config]
    if any(i < 0 for _, _, i in config):
        raise ValueError(f"pad: interior padding must be >= 0, got {padding_config}")
    grow = tuple((max(lo, 0), max(hi, 0), i) for lo, hi, i in config)
    out = _shape.pad(operand, value, padding_config=grow)
    if any(lo < 0 or hi < 0 for lo, hi, _ in config):
        shape = shape_of(out)
        starts = [max(-lo, 0) for lo, _, _ in config]
        limits = [n - max(-hi, 0) for n, (_, hi, _) in zip(shape, config, strict=True)]
        if any(s > e for s, e in zip(starts, limits, strict=True)):
            raise ValueError(f"pad: padding {padding_config} crops more than the operand holds")
        out = _shape.slice_(out, starts, limits)
    return out


def concatenate(operands, dimension):
    """Join arrays of one dtype along ``dimension``."""
    return _shape.concatenate([_array(x) for x in operands], dimension=dimension)


def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """Broadcast ``operand`` to ``shape``, its axis i becoming axis ``broadcast_dimensions[i]``."""
    return _shape.broadcast_in_dim(
        _array(operand), shape=tuple(shape), broadcast_dimensions=tuple(broadcast_dimensions)
    )


def convert_element_type(operand, new_dtype):
    """Cast to ``new_dtype`` (complex to real keeps the real part)."""
    return _ew.convert_element_type(_array(operand), new_dtype=np.dtype(new_dtype))


def integer_pow(x, y):
    """``x ** y`` for a static Python integer ``y``."""
    return _ew.integer_pow(_array(x), y=operator.index(y))


def select_n(which, *cases):
    """``cases[which]`` elementwise: a boolean ``which`` picks between two cases, an integer
    one among several.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.select_n(np.array([0, 2, 1]), np.zeros(3), np.ones(3), np.full(3, 2.0))
        array([0., 2., 1.])
    """
    if not cases:
        raise ValueError("select_n needs at least one case")
    which = _array(which)
    if len(cases) == 1:
        return cases[0]
    if get_aval(which).dtype == np.bool_:
        if len(cases) != 2:
            raise ValueError("select_n with a boolean selector takes exactly two cases")
        return _ew.select(which, cases[1], cases[0])
    out = cases[0]
    for i, case in enumerate(cases[1:], start=1):
        out = _ew.select(_ew.eq(which, np.asarray(i, get_aval(which).dtype)), case, out)
    return out


class RoundingMethod(enum.IntEnum):
    """How [`round`][ftrans.lax_wrappers.round] breaks ties (JAX's enum)."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001
    """Round to the nearest integer; ties away from zero (default) or to even.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.round(np.array([0.5, 1.5, -2.5]))
        array([ 1.,  2., -3.])
        >>> lax.round(np.array([0.5, 1.5, -2.5]), lax.RoundingMethod.TO_NEAREST_EVEN)
        array([ 0.,  2., -2.])
    """
    x = _array(x)
    if RoundingMethod(rounding_method) == RoundingMethod.TO_NEAREST_EVEN:
        return _ew.round_(x)
    # away from zero: trunc(x + sign(x) / 2), except that x + 0.5 may round up in float
    # arithmetic (0.49999999999999994): then keep trunc(x) when |x - trunc(x)| < 1/2
    t = _ew.trunc(x)
    frac = _ew.abs_(_ew.sub(x, t))
    half = np.asarray(0.5, get_aval(x).dtype)
    return _ew.select(_ew.ge(frac, half), _ew.add(t, _ew.sign(x)), t)


def _shift_right_as(x, y, kind):
    """``x >> y`` on the bits of ``x`` read as integers of ``kind`` (``"u"`` fills with zeros,
    ``"i"`` with the sign bit), returned in ``x``'s dtype."""
    x, y = _array(x), _array(y)
    dtype = get_aval(x).dtype
    if dtype.kind == kind:
        return _ew.shift_right(x, y)
    as_kind = np.dtype(f"{kind}{dtype.itemsize}")
    out = _ew.shift_right(
        bitcast_convert_type(x, as_kind), _ew.convert_element_type(y, new_dtype=as_kind)
    )
    return bitcast_convert_type(out, dtype)


def shift_right_logical(x, y):
    """Shift right, filling with zeros (as an unsigned shift)."""
    return _shift_right_as(x, y, "u")


def shift_right_arithmetic(x, y):
    """Shift right, filling with the sign bit."""
    return _shift_right_as(x, y, "i")


def bitcast_convert_type(operand, new_dtype):
    """Reinterpret the bits of each element as ``new_dtype`` (of the same width).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.bitcast_convert_type(np.float32(1.0), np.int32)
        array(1065353216, dtype=int32)
    """
    operand = _array(operand)
    new_dtype = np.dtype(new_dtype)
    if get_aval(operand).dtype.itemsize != new_dtype.itemsize:
        raise TypeError(
            f"bitcast_convert_type: {get_aval(operand).dtype} and {new_dtype} differ in width; "
            "ftrans supports same-width bitcasts only"
        )
    from ftrans.primitives.bits import bitcast

    return bitcast(operand, new_dtype)


# ----------------------------------------------------------------------------- one-dimension slices


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    """``lax.slice`` along one axis; None means the start/end, negatives count from the end.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.slice_in_dim(np.arange(12).reshape(3, 4), 1, None, axis=1)
        array([[ 1,  2,  3],
               [ 5,  6,  7],
               [ 9, 10, 11]])
    """
    operand = _array(operand)
    shape = shape_of(operand)
    axis = _axis(axis, len(shape))
    n = shape[axis]
    start, limit, _ = builtins.slice(start_index, limit_index).indices(n)
    limit = max(limit, start)
    starts = [0] * len(shape)
    limits = list(shape)
    strides = [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, limit, stride
    return _shape.slice_(operand, starts, limits, strides)


def index_in_dim(operand, index, axis=0, keepdims=True):
    """Element ``index`` (static; negatives count from the end) along ``axis``."""
    operand = _array(operand)
    shape = shape_of(operand)
    axis = _axis(axis, len(shape))
    n = shape[axis]
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of bounds for axis {axis} of size {n}")
    index %= n
    out = slice_in_dim(operand, index, index + 1, 1, axis)
    return out if keepdims else _shape.squeeze(out, dimensions=(axis,))


def _starts_in_dim(operand, start, axis):
    zero = np.zeros((), np.int64)
    starts = [zero] * _ndim(operand)
    starts[axis] = start if isinstance(start, Tracer) else np.asarray(start)
    return starts


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0, *, allow_negative_indices=True):
    """``dynamic_slice`` along one axis (a traced start, a static size).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.dynamic_slice_in_dim(np.arange(6), 4, 3)
        array([3, 4, 5])
    """
    if (
        type(operand) is np.ndarray
        and type(start_index) is int
        and type(slice_size) is int
        and type(axis) is int
        and -operand.ndim <= axis < operand.ndim
        and 0 <= slice_size <= operand.shape[axis]
    ):  # eager: slice directly, clamped as below
        n = operand.shape[axis]
        s = start_index + n if start_index < 0 and allow_negative_indices else start_index
        s = 0 if s < 0 else (n - slice_size if s > n - slice_size else s)
        return operand[
            (builtins.slice(None),) * (axis % operand.ndim) + (builtins.slice(s, s + slice_size),)
        ]
    operand = _array(operand)
    shape = shape_of(operand)
    axis = _axis(axis, len(shape))
    sizes = list(shape)
    sizes[axis] = operator.index(slice_size)
    return dynamic_slice(
        operand,
        _starts_in_dim(operand, start_index, axis),
        sizes,
        allow_negative_indices=allow_negative_indices,
    )


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True, *, allow_negative_indices=True):
    """Element ``index`` (traced) along ``axis``."""
    out = dynamic_slice_in_dim(
        operand, index, 1, axis, allow_negative_indices=allow_negative_indices
    )
    axis = _axis(axis, _ndim(out))
    return out if keepdims else _shape.squeeze(out, dimensions=(axis,))


def dynamic_update_slice_in_dim(operand, update, start_index, axis, *, allow_negative_indices=True):
    """``dynamic_update_slice`` along one axis."""
    operand = _array(operand)
    axis = _axis(axis, _ndim(operand))
    return dynamic_update_slice(
        operand,
        _array(update),
        _starts_in_dim(operand, start_index, axis),
        allow_negative_indices=allow_negative_indices,
    )


def dynamic_update_index_in_dim(operand, update, index, axis, *, allow_negative_indices=True):
    """Write ``update`` (with or without the size-1 ``axis``) at traced ``index``.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.dynamic_update_index_in_dim(np.zeros((3, 2)), np.ones(2), 1, 0)
        array([[0., 0.],
               [1., 1.],
               [0., 0.]])
    """
    operand = _array(operand)
    update = _array(update)
    axis = _axis(axis, _ndim(operand))
    if _ndim(update) == _ndim(operand) - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(
        operand, update, index, axis, allow_negative_indices=allow_negative_indices
    )


# ----------------------------------------------------------------------------- shapes


def expand_dims(array, dimensions):
    """Insert size-1 axes at ``dimensions`` (positions in the result).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.expand_dims(np.ones((2, 3)), (0, 3)).shape
        (1, 2, 3, 1)
    """
    array = _array(array)
    shape = list(shape_of(array))
    n = len(shape) + len(dimensions)
    dims = sorted(_axis(d, n, "dimension") for d in dimensions)
    if len(set(dims)) != len(dims):
        raise ValueError(f"expand_dims: repeated dimensions {tuple(dimensions)}")
    for d in dims:
        shape.insert(d, 1)
    return _shape.reshape(array, new_sizes=tuple(shape))


def broadcast(operand, sizes):
    """Add leading axes of ``sizes`` (``operand`` repeated over them).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.broadcast(np.array([1, 2]), (3,))
        array([[1, 2],
               [1, 2],
               [1, 2]])
    """
    operand = _array(operand)
    shape = tuple(sizes) + tuple(shape_of(operand))
    dims = tuple(range(len(sizes), len(shape)))
    return _shape.broadcast_in_dim(operand, shape=shape, broadcast_dimensions=dims)


def broadcast_to_rank(x, rank):
    """Add leading size-1 axes until ``x`` has rank ``rank``."""
    x = _array(x)
    n = _ndim(x)
    if n >= rank:
        return x
    return broadcast(x, (1,) * (rank - n))


def broadcast_like(arr, like_arr):
    """``arr`` broadcast (NumPy rules) to the shape of ``like_arr``."""
    arr = _array(arr)
    shape = tuple(shape_of(like_arr))
    own = shape_of(arr)
    dims = tuple(range(len(shape) - len(own), len(shape)))
    return _shape.broadcast_in_dim(arr, shape=shape, broadcast_dimensions=dims)


def broadcast_shapes(*shapes):
    """The NumPy broadcast of shapes, as a tuple."""
    return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))


def collapse(operand, start_dimension, stop_dimension=None):
    """Merge axes ``start_dimension:stop_dimension`` into one.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.collapse(np.ones((2, 3, 4)), 1).shape
        (2, 12)
    """
    operand = _array(operand)
    shape = shape_of(operand)
    start, stop, _ = builtins.slice(start_dimension, stop_dimension).indices(len(shape))
    new = shape[:start] + (math.prod(shape[start:stop]),) + shape[stop:]
    return _shape.reshape(operand, new_sizes=new)


def full(shape, fill_value, dtype=None, *, sharding=None):
    """An array of ``shape`` filled with ``fill_value`` (a traced scalar broadcasts).

    Example:
        >>> from ftrans import lax
        >>> lax.full((2,), 7, "float32")
        array([7., 7.], dtype=float32)
    """
    del sharding
    shape = (
        tuple(operator.index(s) for s in np.atleast_1d(shape))
        if np.ndim(shape)
        else ((operator.index(shape),))
    )
    if isinstance(fill_value, Tracer):
        if shape_of(fill_value) != ():
            raise TypeError(f"full: fill_value must be a scalar, got shape {shape_of(fill_value)}")
        value = fill_value
        if dtype is not None and get_aval(value).dtype != np.dtype(dtype):
            value = _ew.convert_element_type(value, new_dtype=np.dtype(dtype))
        return _shape.broadcast_in_dim(value, shape=shape, broadcast_dimensions=())
    if np.ndim(fill_value) != 0:
        raise TypeError(f"full: fill_value must be a scalar, got shape {np.shape(fill_value)}")
    return np.full(shape, fill_value, dtype=dtype)


def full_like(x, fill_value, dtype=None, shape=None, sharding=None):
    """An array like ``x`` (its shape and dtype unless given) filled with ``fill_value``."""
    del sharding
    aval = get_aval(x)
    return full(
        aval.shape if shape is None else shape, fill_value, aval.dtype if dtype is None else dtype
    )


def iota(dtype, size):
    """``0, 1, ..., size - 1`` as ``dtype``."""
    return np.arange(operator.index(size), dtype=np.dtype(dtype))


def broadcasted_iota(dtype, shape, dimension, *, out_sharding=None):
    """An array of ``shape`` counting along ``dimension``.

    Example:
        >>> from ftrans import lax
        >>> lax.broadcasted_iota("int32", (2, 3), 1)
        array([[0, 1, 2],
               [0, 1, 2]], dtype=int32)
    """
    del out_sharding
    shape = tuple(shape)
    dimension = _axis(dimension, len(shape), "dimension")
    view = [1] * len(shape)
    view[dimension] = shape[dimension]
    column = np.arange(shape[dimension], dtype=np.dtype(dtype)).reshape(view)
    return np.broadcast_to(column, shape).copy()


def tie_in(x, y):
    """Returns ``y`` (JAX removed the need for it; kept so old code runs)."""
    del x
    return y


# ----------------------------------------------------------------------------- elementwise


def rsqrt(x):
    """``1 / sqrt(x)``."""
    x = _array(x)
    return _ew.div(np.ones((), get_aval(x).dtype), _ew.sqrt(x))


def square(x):
    """``x * x``."""
    return _ew.integer_pow(_array(x), y=2)


def reciprocal(x):
    """``1 / x``."""
    x = _array(x)
    return _ew.div(np.ones((), get_aval(x).dtype), x)


def clamp(min, x, max):  # noqa: A002  (JAX's argument names)
    """``x`` limited to ``[min, max]`` (scalar bounds broadcast), as ``jax.lax.clamp``.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.clamp(0.0, np.array([-1.0, 0.5, 2.0]), 1.0)
        array([0. , 0.5, 1. ])
    """
    x = _array(x)
    dtype = get_aval(x).dtype
    lo = min if isinstance(min, Tracer) else np.asarray(min, dtype)
    hi = max if isinstance(max, Tracer) else np.asarray(max, dtype)
    return _ew.min_(_ew.max_(x, lo), hi)


def bitwise_not(x):
    """Bitwise (or, for booleans, logical) negation."""
    return _ew.logical_not(_array(x))


def population_count(x):
    """The number of set bits of each integer."""
    from ftrans.primitives.bits import population_count as popcount

    return popcount(_array(x))


def clz(x):
    """The number of leading zero bits of each integer."""
    from ftrans.primitives.bits import clz as count_leading_zeros

    return count_leading_zeros(_array(x))


# ----------------------------------------------------------------------------- products


def dot(
    lhs,
    rhs,
    *,
    dimension_numbers=None,
    precision=None,
    preferred_element_type=None,
    out_sharding=None,
):
    """Vector/matrix products (``np.dot`` for rank <= 2), or ``dot_general`` when
    ``dimension_numbers`` is given, as in JAX. ``precision`` is accepted and ignored (NumPy
    computes in the operands' dtype).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.dot(np.ones((2, 3)), np.ones(3))
        array([3., 3.])
    """
    del precision, out_sharding
    lhs, rhs = _array(lhs), _array(rhs)
    if preferred_element_type is not None:
        dtype = np.dtype(preferred_element_type)
        lhs = _ew.convert_element_type(lhs, new_dtype=dtype)
        rhs = _ew.convert_element_type(rhs, new_dtype=dtype)
    if dimension_numbers is not None:
        return _dot.dot_general(lhs, rhs, dimension_numbers=dimension_numbers)
    nl, nr = _ndim(lhs), _ndim(rhs)
    if nl not in (1, 2) or nr not in (1, 2):
        raise TypeError(
            f"lax.dot takes vectors or matrices, got ranks {nl} and {nr}; use dot_general "
            "(dimension_numbers=) or batch_matmul for higher ranks"
        )
    return _dot.dot_general(lhs, rhs, dimension_numbers=(((nl - 1,), (0,)), ((), ())))


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over matching leading batch axes (ranks equal, >= 2).

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.batch_matmul(np.ones((4, 2, 3)), np.ones((4, 3, 5))).shape
        (4, 2, 5)
    """
    del precision
    lhs, rhs = _array(lhs), _array(rhs)
    n = _ndim(lhs)
    if n < 2 or n != _ndim(rhs):
        raise ValueError(
            f"batch_matmul needs operands of one rank >= 2, got shapes {shape_of(lhs)} and "
            f"{shape_of(rhs)}"
        )
    batch = tuple(range(n - 2))
    return _dot.dot_general(lhs, rhs, dimension_numbers=(((n - 1,), (n - 2,)), (batch, batch)))


# ----------------------------------------------------------------------------- reductions


def _axes(axes, ndim):
    return tuple(sorted(_axis(a, ndim) for a in axes))


def _reduction(name, reducer, doc, bitwise=None):
    """The JAX-positional ``name(operand, axes)`` over the primitive ``reducer``. With
    ``bitwise`` (a NumPy ufunc), non-boolean operands are folded with it instead (JAX's
    ``reduce_and``/``reduce_or`` are bitwise on integers)."""

    def reduction(operand, axes):
        operand = _array(operand)
        if bitwise is not None and get_aval(operand).dtype != np.bool_:
            return _bitwise_reduce(operand, axes, bitwise)
        return reducer(operand, axes=_axes(axes, _ndim(operand)))

    reduction.__name__ = reduction.__qualname__ = name
    reduction.__doc__ = doc
    return reduction


reduce_sum = _reduction("reduce_sum", _red.reduce_sum, "Sum over ``axes``.")
reduce_prod = _reduction("reduce_prod", _red.reduce_prod, "Product over ``axes``.")
reduce_max = _reduction(
    "reduce_max", _red.reduce_max, "Maximum over ``axes`` (ties share the gradient, as in JAX)."
)
reduce_min = _reduction("reduce_min", _red.reduce_min, "Minimum over ``axes``.")
reduce_and = _reduction(
    "reduce_and",
    _red.reduce_and,
    "Logical (booleans) or bitwise (integers) AND over ``axes``.",
    np.bitwise_and,
)
reduce_or = _reduction(
    "reduce_or",
    _red.reduce_or,
    "Logical (booleans) or bitwise (integers) OR over ``axes``.",
    np.bitwise_or,
)


def reduce_xor(operand, axes):
    """Logical (booleans) or bitwise (integers) XOR over ``axes``."""
    return _bitwise_reduce(_array(operand), axes, np.bitwise_xor)


def _bitwise_reduce(operand, axes, ufunc):
    from ftrans.lax_windowed import fold

    combine = {
        np.bitwise_and: _ew.bitwise_and,
        np.bitwise_or: _ew.bitwise_or,
        np.bitwise_xor: _ew.bitwise_xor,
    }[ufunc]
    return fold(operand, _axes(axes, _ndim(operand)), combine)


def argmax(operand, axis, index_dtype=np.int64):
    """Index of the first maximum along ``axis``, as ``index_dtype``."""
    operand = _array(operand)
    return _red.argmax(operand, axis=_axis(axis, _ndim(operand)), index_dtype=index_dtype)


def argmin(operand, axis, index_dtype=np.int64):
    """Index of the first minimum along ``axis``, as ``index_dtype``."""
    operand = _array(operand)
    return _red.argmin(operand, axis=_axis(axis, _ndim(operand)), index_dtype=index_dtype)


def _cumulative(fn, doc):
    def cumulative(operand, axis=0, reverse=False):
        operand = _array(operand)
        return fn(operand, axis=_axis(axis, _ndim(operand)), reverse=bool(reverse))

    cumulative.__doc__ = doc
    return cumulative


cumsum = _cumulative(_red.cumsum, "Running sum along ``axis`` (from the end if ``reverse``).")
cumprod = _cumulative(_red.cumprod, "Running product along ``axis``.")


def _scanned(combine, doc):
    # JAX computes cummax/cummin as an associative scan of max/min, so at ties its derivative
    # is max's (shared equally); the same scan here gives the same numbers
    def cumulative(operand, axis=0, reverse=False):
        from ftrans.lax_windowed import associative_scan

        operand = _array(operand)
        axis = _axis(axis, _ndim(operand))
        return associative_scan(combine, operand, reverse=bool(reverse), axis=axis)

    cumulative.__doc__ = doc
    return cumulative


cummax = _scanned(_ew.max_, "Running maximum along ``axis`` (JAX's derivative at ties).")
cummin = _scanned(_ew.min_, "Running minimum along ``axis`` (JAX's derivative at ties).")
for _f, _n in ((cumsum, "cumsum"), (cumprod, "cumprod"), (cummax, "cummax"), (cummin, "cummin")):
    _f.__name__ = _f.__qualname__ = _n


def split(operand, sizes, axis=0):
    """Pieces of ``operand`` of the given ``sizes`` along ``axis``.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> tuple(p.shape for p in lax.split(np.arange(5), (2, 3)))
        ((2,), (3,))
    """
    operand = _array(operand)
    shape = shape_of(operand)
    axis = _axis(axis, len(shape))
    if sum(sizes) != shape[axis]:
        raise ValueError(f"split: sizes {tuple(sizes)} do not add up to {shape[axis]}")
    out, start = [], 0
    for k in sizes:
        out.append(slice_in_dim(operand, start, start + k, axis=axis))
        start += k
    return out


def stack(operands, axis=0):
    """Join arrays of one shape along a new ``axis``."""
    operands = [_array(x) for x in operands]
    if not operands:
        raise ValueError("stack needs at least one operand")
    n = _ndim(operands[0]) + 1
    axis = _axis(axis, n)
    return concatenate([expand_dims(x, (axis,)) for x in operands], axis)


def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple."""
    x = _array(x)
    axis = _axis(axis, _ndim(x))
    return tuple(index_in_dim(x, i, axis, keepdims=False) for i in range(shape_of(x)[axis]))


def tile(operand, reps):
    """``operand`` repeated ``reps`` times along each axis (``np.tile`` with equal ranks)."""
    operand = _array(operand)
    shape = shape_of(operand)
    reps = tuple(reps)
    if len(reps) != len(shape):
        raise ValueError(f"tile: {len(reps)} repetitions for an operand of rank {len(shape)}")
    big = tuple(x for r, n in zip(reps, shape, strict=True) for x in (r, n))
    dims = tuple(range(1, 2 * len(shape), 2))
    out = _shape.broadcast_in_dim(operand, shape=big, broadcast_dimensions=dims)
    return _shape.reshape(out, new_sizes=tuple(r * n for r, n in zip(reps, shape, strict=True)))


def index_take(src, idxs, axes):
    """``src[idxs[:, 0], idxs[:, 1], ...]`` over ``axes`` (integer rows of ``idxs``)."""
    from ftrans.primitives.indexing import gather

    src, idxs = _array(src), _array(idxs)
    columns = [
        _shape.squeeze(_shape.slice_(idxs, (0, j), (shape_of(idxs)[0], j + 1)), dimensions=(1,))
        for j in range(len(axes))
    ]
    return gather(src, *columns, axes=tuple(axes))
