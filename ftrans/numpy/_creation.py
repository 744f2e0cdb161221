"""Array creation: array, asarray, zeros, ones, full, *_like, arange, linspace, eye, identity."""

from __future__ import annotations

import numpy as np

from ftrans import core
from ftrans.core import Tracer, shape_of
from ftrans.numpy._util import broadcast_to_shape, cast, to_operand


def _has_tracer(obj):
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return any(_has_tracer(o) for o in obj)
    return False


def array(object, dtype=None, copy=True, order="K", ndmin=0):  # noqa: A002
    """Create an array; nested lists may hold traced values (they are stacked).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.array([[1.0, 2.0], [3.0, 4.0]]).shape
        (2, 2)
    """
    if not _has_tracer(object):
        return np.array(object, dtype=dtype, copy=copy, order=order, ndmin=ndmin)
    from ftrans.numpy._shape import reshape, stack

    if isinstance(object, Tracer):
        out = object
    else:
        out = stack([array(o) for o in object])
    if dtype is not None:
        out = cast(out, np.dtype(dtype))
    shape = shape_of(out)
    if len(shape) < ndmin:
        out = reshape(out, (1,) * (ndmin - len(shape)) + shape)
    return out


def asarray(a, dtype=None, order=None, *, copy=None):
    """Convert to an array without copying when possible; tracers pass through."""
    if _has_tracer(a):
        a = array(a)
        return cast(a, np.dtype(dtype)) if dtype is not None else a
    return np.asarray(a, dtype=dtype, order=order)


def copy(a, order="K"):
    """A copy of ``a`` (tracers are immutable values, so they are returned as they are)."""
    return a if isinstance(a, Tracer) else np.array(a, copy=True, order=order)


def zeros(shape, dtype=float):
    return np.zeros(shape, dtype)


def ones(shape, dtype=float):
    return np.ones(shape, dtype)


def empty(shape, dtype=float):
    """Like `zeros`: ftrans never hands out uninitialised memory."""
    return np.zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """Array of ``shape`` filled with ``fill_value`` (which may be traced)."""
    if isinstance(fill_value, Tracer):
        value = fill_value if dtype is None else cast(fill_value, np.dtype(dtype))
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return broadcast_to_shape(value, shape)
    return np.full(shape, fill_value, dtype)


def _like(a, dtype, shape):
    aval = core.get_aval(to_operand(a))
    dtype = aval.dtype if dtype is None else np.dtype(dtype)
    return dtype, (aval.shape if shape is None else shape)


def zeros_like(a, dtype=None, shape=None):
    dtype, shape = _like(a, dtype, shape)
    return np.zeros(shape, dtype)


def ones_like(a, dtype=None, shape=None):
    dtype, shape = _like(a, dtype, shape)
    return np.ones(shape, dtype)


def empty_like(prototype, dtype=None, shape=None):
    """Like `zeros_like`: ftrans never hands out uninitialised memory."""
    return zeros_like(prototype, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None):
    dtype, shape = _like(a, dtype, shape)
    return full(shape, fill_value, dtype)


def _concrete(x, what):
    return x.to_concrete(what) if isinstance(x, Tracer) else x


def arange(start, stop=None, step=None, dtype=None):
    """``numpy.arange``; its bounds must be concrete (the length depends on them)."""
    start = _concrete(start, "arange() bounds")
    stop = _concrete(stop, "arange() bounds")
    step = _concrete(step, "arange() step")
    if stop is None:
        return np.arange(start, step=step, dtype=dtype) if step else np.arange(start, dtype=dtype)
    return np.arange(start, stop, step if step is not None else 1, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values; ``start`` and ``stop`` may be traced (num may not)."""
    num = int(_concrete(num, "linspace(num=...)"))
    if not (_has_tracer(start) or _has_tracer(stop)):
        return np.linspace(
            start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis
        )
    from ftrans.numpy._math import add, multiply, subtract
    from ftrans.numpy._shape import expand_dims, moveaxis

    div = (num - 1) if endpoint else num
    start, stop = to_operand(start), to_operand(stop)
    # NumPy computes in the promoted float type of start and stop (Python floats are weak).
    keys = [x if type(x) in (float, int) else x.dtype for x in (start, stop)]
    steps = (np.arange(num) / max(div, 1)).astype(np.result_type(*keys, 1.0))
    step = multiply(subtract(stop, start), 1.0 / max(div, 1))
    out = add(
        expand_dims(start, -1),
        multiply(subtract(expand_dims(stop, -1), expand_dims(start, -1)), steps),
    )
    if endpoint and num > 1:  # NumPy's last point is exactly `stop`
        from ftrans.numpy._shape import concatenate

        out = concatenate([out[..., :-1], expand_dims(stop, -1)], axis=-1)
    out = moveaxis(out, -1, axis)
    if dtype is not None:
        out = cast(out, np.dtype(dtype))
    if retstep:
        return out, step
    return out


def eye(N, M=None, k=0, dtype=float):
    return np.eye(N, M, k, dtype=dtype)


def identity(n, dtype=float):
    return np.identity(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=float):
    return np.tri(N, M, k, dtype=dtype)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate matrices from coordinate vectors (traced vectors allowed); ``sparse=True``
    returns the open grid (each array keeps one non-unit axis)."""
    if not any(isinstance(x, Tracer) for x in xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    from ftrans.numpy._shape import broadcast_to, reshape

    xi = [to_operand(x) for x in xi]
    n = len(xi)
    shapes = [shape_of(x)[0] for x in xi]
    if indexing == "xy" and n >= 2:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, x in enumerate(xi):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view = [1] * n
        view[pos] = shape_of(x)[0]
        grid = reshape(x, tuple(view))
        out.append(grid if sparse else broadcast_to(grid, tuple(shapes)))
    return tuple(out)
