"""``ftrans.scipy.interpolate``: ``RegularGridInterpolator`` (linear and nearest) like
``jax.scipy.interpolate``; differentiable in the values and (linear) the query points, batched,
jittable, and a pytree (grid and values are its leaves) so it passes through transformations."""

from __future__ import annotations

import itertools

import numpy as np

import ftrans.numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError, UnsupportedError, format_frame, user_frame
from ftrans.scipy.ndimage import gather_points
from ftrans.tree import register_pytree_node_class

__all__ = ["RegularGridInterpolator"]


def _at() -> str:
    return format_frame(user_frame())


def _array(x):
    x = x if isinstance(x, (Tracer, np.ndarray)) else np.asarray(x)
    return x if np.issubdtype(x.dtype, np.inexact) else fnp.asarray(x, dtype=np.float64)


@register_pytree_node_class
class RegularGridInterpolator:
    """Interpolation on a rectilinear grid, like ``scipy.interpolate.RegularGridInterpolator``
    (as JAX offers it: ``method`` ``'linear'`` or ``'nearest'``, ``bounds_error=False``).

    Args:
        points: one strictly ascending 1-D array of coordinates per dimension.
        values: ``(len(points[0]), ..., len(points[d-1]), ...)``; trailing dimensions are
            interpolated independently.
        method: ``'linear'`` (multilinear) or ``'nearest'``.
        bounds_error: must be False (a value-dependent error cannot be raised under ``jit``).
        fill_value: the value outside the grid; ``None`` extrapolates linearly from the edge
            cell.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy.interpolate import RegularGridInterpolator
        >>> x, y = np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0])
        >>> values = x[:, None] + y[None, :]
        >>> interp = RegularGridInterpolator((x, y), values)
        >>> interp(np.array([[0.5, 5.0], [3.0, 0.0]])).tolist()
        [5.5, nan]
    """

    def __init__(self, points, values, method="linear", bounds_error=False, fill_value=np.nan):
        if method not in ("linear", "nearest"):
            raise UnsupportedError(
                f"RegularGridInterpolator: method must be 'linear' or 'nearest', got {method!r} "
                f"(at {_at()})."
            )
        if bounds_error:
            raise UnsupportedError(
                "RegularGridInterpolator: bounds_error=True is not supported (it would need a "
                "value-dependent error under jit); use fill_value to mark points outside."
            )
        grid = tuple(_array(p) for p in points)
        values = _array(values)
        if len(grid) > values.ndim:
            raise ShapeError(
                f"RegularGridInterpolator: {len(grid)} point arrays but values has only "
                f"{values.ndim} dimensions (at {_at()})."
            )
        for i, p in enumerate(grid):
            if p.ndim != 1 or shape_of(p)[0] != shape_of(values)[i]:
                raise ShapeError(
                    f"RegularGridInterpolator: points[{i}] must be 1-D with "
                    f"{shape_of(values)[i]} entries (values.shape[{i}]), got shape "
                    f"{shape_of(p)} (at {_at()})."
                )
            if shape_of(p)[0] < 2 and method == "linear":
                raise ShapeError(
                    f"RegularGridInterpolator: points[{i}] needs at least 2 entries for linear "
                    "interpolation"
                )
            if not isinstance(p, Tracer) and not np.all(np.diff(p) > 0):
                raise ValueError(
                    f"RegularGridInterpolator: points[{i}] must be strictly ascending (at {_at()})."
                )
        self.grid = grid
        self.values = values
        self.method = method
        self.bounds_error = bounds_error
        self.fill_value = fill_value

    def tree_flatten(self):
        return (self.grid, self.values), (self.method, self.fill_value)

    @classmethod
    def tree_unflatten(cls, aux, children):
        obj = object.__new__(cls)
        obj.grid, obj.values = children
        obj.method, obj.fill_value = aux
        obj.bounds_error = False
        return obj

    def __call__(self, xi, method=None):
        """Interpolate at ``xi`` (``(..., d)``, or a tuple of ``d`` broadcastable arrays)."""
        method = self.method if method is None else method
        if method not in ("linear", "nearest"):
            raise UnsupportedError(f"RegularGridInterpolator: unknown method {method!r}")
        d = len(self.grid)
        if isinstance(xi, tuple):
            xi = fnp.stack(fnp.broadcast_arrays(*[_array(c) for c in xi]), axis=-1)
        xi = _array(xi)
        if shape_of(xi)[-1:] != (d,):
            raise ShapeError(
                f"RegularGridInterpolator: the last dimension of xi must be {d} (one coordinate "
                f"per grid dimension), got shape {shape_of(xi)} (at {_at()})."
            )
        lead = shape_of(xi)[:-1]
        dtype = np.result_type(xi.dtype, self.values.dtype)
        cells, fractions, outside = [], [], None
        for k, grid in enumerate(self.grid):
            x = xi[..., k]
            n = shape_of(grid)[0]
            # the cell [grid[i], grid[i+1]] holding x (edge cells extended outward)
            count = fnp.sum(fnp.asarray(grid[1:-1] <= x[..., None], dtype=np.int64), axis=-1)
            i = fnp.clip(count, 0, max(n - 2, 0))
            if n > 1:
                lo, hi = fnp.take(grid, i), fnp.take(grid, i + 1)
                t = (x - lo) / (hi - lo)
            else:
                t = fnp.zeros_like(x)
            cells.append(i)
            fractions.append(t)
            off = (x < grid[0]) | (x > grid[-1])
            outside = off if outside is None else outside | off
        rest = shape_of(self.values)[d:]
        values = fnp.asarray(self.values, dtype=dtype)
        if method == "nearest":
            index = tuple(
                fnp.where(t <= 0.5, i, i + 1) for i, t in zip(cells, fractions, strict=True)
            )
            out = gather_points(values, index)
        else:
            out = None
            for corner in itertools.product((0, 1), repeat=d):
                index = tuple(i + c for i, c in zip(cells, corner, strict=True))
                weight = None
                for c, t in zip(corner, fractions, strict=True):
                    w = t if c else 1.0 - t
                    weight = w if weight is None else weight * w
                weight = fnp.reshape(weight, lead + (1,) * len(rest))
                term = gather_points(values, index) * weight
                out = term if out is None else out + term
        if self.fill_value is not None:
            mask = fnp.reshape(outside, lead + (1,) * len(rest))
            out = fnp.where(mask, fnp.asarray(self.fill_value, dtype=out.dtype), out)
        return out
