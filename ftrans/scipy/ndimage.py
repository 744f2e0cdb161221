"""``ftrans.scipy.ndimage``: ``map_coordinates`` with nearest (order 0) and linear (order 1)
interpolation, like ``jax.scipy.ndimage``; differentiable in the input (linear) and, for
order 1, in the coordinates (piecewise linear), batched and jittable."""

from __future__ import annotations

import itertools

import numpy as np

import ftrans.numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError, UnsupportedError, format_frame, user_frame

__all__ = ["map_coordinates"]


def gather_points(values, indices):
    """``values[tuple(indices)]`` for integer index arrays of one shape (traced ones too: a
    linear index into the flattened leading dimensions, then one ``take``)."""
    shape = shape_of(values)
    d = len(indices)
    linear = None
    for k, i in enumerate(indices):
        stride = int(np.prod(shape[k + 1 : d]))
        term = i * stride if stride != 1 else i
        linear = term if linear is None else linear + term
    flat = fnp.reshape(values, (-1, *shape[d:]))
    return fnp.take(flat, linear, axis=0)


def _at() -> str:
    return format_frame(user_frame())


def _mirror(index, size):
    """Whole-sample symmetric extension (``d c b | a b c d | c b a``): period ``2 (size-1)``."""
    if size == 1:
        return fnp.zeros_like(index)
    period = 2 * (size - 1)
    r = fnp.mod(index, period)
    return fnp.where(r >= size, period - r, r)


def _reflect(index, size):
    """Half-sample symmetric extension (``d c b a | a b c d | d c b a``): period ``2 size``."""
    period = 2 * size
    r = fnp.mod(index, period)
    return fnp.where(r >= size, period - 1 - r, r)


_MODES = {
    "constant": lambda index, size: fnp.clip(index, 0, size - 1),
    "nearest": lambda index, size: fnp.clip(index, 0, size - 1),
    "wrap": lambda index, size: fnp.mod(index, size),
    "mirror": _mirror,
    "reflect": _reflect,
}


def _round_half_away(x):
    return fnp.sign(x) * fnp.floor(fnp.abs(x) + 0.5)


def map_coordinates(input, coordinates, order: int, mode: str = "constant", cval=0.0):  # noqa: A002
    """Sample ``input`` at ``coordinates`` (one array per input dimension, all of one shape),
    like ``scipy.ndimage.map_coordinates`` for ``order`` 0 (nearest sample, halves rounded away
    from zero) and 1 (multilinear).

    ``mode`` extends the input past its edges: ``'constant'`` (samples beyond the edge are
    ``cval`` and are interpolated with, i.e. SciPy's ``'grid-constant'``; SciPy's
    ``'constant'`` gives the same values inside the input's extent), ``'nearest'``, ``'wrap'``
    (period ``n``: SciPy's ``'grid-wrap'``), ``'mirror'`` and ``'reflect'``; the values are
    JAX's in every mode. Integer inputs give rounded integer outputs.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy.ndimage import map_coordinates
        >>> image = np.arange(12.0).reshape(3, 4)
        >>> map_coordinates(image, [np.array([0.5, 2.0]), np.array([0.5, 1.5])], order=1).tolist()
        [2.5, 9.5]
    """
    x = input if isinstance(input, (Tracer, np.ndarray)) else np.asarray(input)
    if isinstance(coordinates, (np.ndarray, Tracer)):
        coords = [coordinates[i] for i in range(shape_of(coordinates)[0])]
    else:
        coords = [c if isinstance(c, (Tracer, np.ndarray)) else np.asarray(c) for c in coordinates]
    if len(coords) != x.ndim:
        raise ShapeError(
            f"map_coordinates: coordinates must hold one array per input dimension "
            f"({x.ndim}), got {len(coords)} (at {_at()})."
        )
    if order not in (0, 1):
        raise UnsupportedError(
            f"map_coordinates: only order=0 (nearest) and order=1 (linear) are supported, got "
            f"order={order!r} (at {_at()})."
        )
    if mode not in _MODES:
        raise UnsupportedError(
            f"map_coordinates: mode must be one of {sorted(_MODES)}, got {mode!r} (at {_at()})."
        )
    fix = _MODES[mode]
    integer = not np.issubdtype(x.dtype, np.inexact)
    work = fnp.asarray(x, dtype=np.float64) if integer else x
    coords = [
        c if np.issubdtype(c.dtype, np.inexact) else fnp.asarray(c, dtype=work.dtype)
        for c in coords
    ]
    shape = np.broadcast_shapes(*[shape_of(c) for c in coords])
    coords = [fnp.broadcast_to(c, shape) for c in coords]

    # per dimension: [(index, weight)] of the samples that contribute
    nodes = []
    for c in coords:
        if order == 0:
            nodes.append([(fnp.asarray(_round_half_away(c), dtype=np.int64), None)])
        else:
            lower = fnp.floor(c)
            upper_weight = c - lower
            lo = fnp.asarray(lower, dtype=np.int64)
            nodes.append([(lo, 1.0 - upper_weight), (lo + 1, upper_weight)])
    total = None
    for corner in itertools.product(*nodes):
        indices = [fix(i, size) for (i, _), size in zip(corner, shape_of(x), strict=True)]
        value = gather_points(work, indices)
        if mode == "constant":
            inside = None
            for (i, _), size in zip(corner, shape_of(x), strict=True):
                ok = (i >= 0) & (i < size)
                inside = ok if inside is None else inside & ok
            value = fnp.where(inside, value, fnp.asarray(cval, dtype=work.dtype))
        for _, w in corner:
            if w is not None:
                value = value * w
        total = value if total is None else total + value
    if integer:
        return fnp.asarray(_round_half_away(total), dtype=x.dtype)
    return total
