"""Shared machinery of ftrans.numpy: the eager fast path, NumPy 2 dtype promotion, broadcasting."""

from __future__ import annotations

import functools

import numpy as np

from ftrans import core
from ftrans.core import Tracer, get_aval, shape_of
from ftrans.errors import ShapeError, format_frame, user_frame
from ftrans.primitives import elementwise as ew
from ftrans.primitives.shape import broadcast_in_dim

_PY_SCALARS = (float, int, bool, complex)


def tracing() -> bool:
    """True while any transformation is active (otherwise ftrans.numpy is plain NumPy)."""
    return bool(core._stack)


def check_leaked(*args):
    """Outside every transformation a tracer can only be a leaked one: say so clearly."""
    for a in args:
        if isinstance(a, Tracer):
            raise core.leak_error(a._trace.main)


def dtype_key(x):
    """What NumPy's type resolution sees: a dtype, or the Python type of a weak scalar."""
    t = type(x)
    if t in _PY_SCALARS:
        # ufunc.resolve_dtypes takes Python int/float/complex as weak scalars but not bool;
        # a Python bool promotes like a bool array anyway (``m & True`` stays bool)
        return np.dtype(np.bool_) if t is bool else t
    if isinstance(x, (np.ndarray, np.generic, Tracer)):
        return x.dtype
    return np.asarray(x).dtype


@functools.lru_cache(maxsize=4096)
def _resolve(ufunc, keys):
    return ufunc.resolve_dtypes(keys + (None,) * ufunc.nout)


_RESOLVED: dict = {}


def resolve(ufunc, *args):
    """NumPy's own dtype resolution for ``ufunc(*args)``: (input dtypes..., output dtypes...)."""
    key = (ufunc, *[dtype_key(a) for a in args])
    out = _RESOLVED.get(key)
    if out is None:
        out = _RESOLVED[key] = _resolve(ufunc, key[1:])
    return out


def to_operand(x):
    """Lists and tuples become arrays; arrays, scalars and tracers pass through."""
    if isinstance(x, (Tracer, np.ndarray, np.generic)) or type(x) in _PY_SCALARS:
        return x
    if isinstance(x, (list, tuple)):
        if any(isinstance(e, Tracer) for e in _iter_nested(x)):
            from ftrans.numpy._creation import array

            return array(x)
        return np.asarray(x)
    raise TypeError(
        f"ftrans.numpy expected an array, a scalar or a (nested) list of them, got "
        f"{type(x).__name__}: {x!r:.60} at {format_frame(user_frame())}."
    )


def _iter_nested(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _iter_nested(e)
        else:
            yield e


def cast(x, dtype):
    """``x`` as ``dtype``: Python scalars become typed scalars, arrays get converted if needed."""
    if type(x) in _PY_SCALARS:
        return dtype.type(x)
    if x.dtype != dtype:
        return ew.convert_element_type(x, new_dtype=dtype)
    return x


def broadcast_shapes(name, *args):
    shapes = [shape_of(a) for a in args]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(
            f"{name}: operands could not be broadcast together with shapes "
            f"{' '.join(str(s) for s in shapes)} (at {format_frame(user_frame())}). Trailing "
            "dimensions must be equal or 1; use reshape / expand_dims / x[:, None] to align them."
        ) from None


def broadcast_to_shape(x, shape):
    xs = shape_of(x)
    if xs == tuple(shape):
        return x
    offset = len(shape) - len(xs)
    return broadcast_in_dim(x, shape=shape, broadcast_dimensions=tuple(range(offset, len(shape))))


def elementwise_operands(name, *args):
    """Check that operands broadcast (binary primitives broadcast like NumPy themselves)."""
    shapes = {shape_of(a) for a in args}
    shapes.discard(())
    if len(shapes) > 1:
        broadcast_shapes(name, *args)  # raises with the user's shapes
    return args


def normalize_axis(axis, ndim, name="axis"):
    a = int(axis)
    if not -ndim <= a < ndim:
        raise np.exceptions.AxisError(
            f"{name} {axis} is out of bounds for an array of dimension {ndim}"
        )
    return a % ndim


def normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, ndim) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"repeated axis in {axis}")
        return tuple(sorted(axes))
    return (normalize_axis(axis, ndim),)


def aval_of(x):
    return get_aval(x)
