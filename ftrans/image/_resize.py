"""Resampling kernels, their weight matrices, and resize / scale_and_translate."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import ftrans.numpy as fnp
from ftrans.typing import Array, ArrayLike

_F32_EPS = float(np.finfo(np.float32).eps)


class ResizeMethod(enum.Enum):
    """Resampling methods (``jax.image.ResizeMethod``); strings name them too."""

    NEAREST = 0
    LINEAR = 1
    LANCZOS3 = 2
    LANCZOS5 = 3
    CUBIC = 4
    CUBIC_PYTORCH = 5
    AREA = 6

    @staticmethod
    def from_string(s: str) -> ResizeMethod:
        """``'linear'``/``'bilinear'``/``'trilinear'``/``'triangle'``, ``'cubic'``/``'bicubic'``/
        ``'tricubic'``, ``'cubic-pytorch'``/``'bicubic-pytorch'``, ``'lanczos3'``, ``'lanczos5'``,
        ``'nearest'``, ``'area'``."""
        method = _NAMES.get(s)
        if method is None:
            raise ValueError(
                f"Unknown resize method {s!r}; use one of {sorted(_NAMES)} or a ResizeMethod."
            )
        return method


_NAMES = {
    "nearest": ResizeMethod.NEAREST,
    "linear": ResizeMethod.LINEAR,
    "bilinear": ResizeMethod.LINEAR,
    "trilinear": ResizeMethod.LINEAR,
    "triangle": ResizeMethod.LINEAR,
    "lanczos3": ResizeMethod.LANCZOS3,
    "lanczos5": ResizeMethod.LANCZOS5,
    "cubic": ResizeMethod.CUBIC,
    "bicubic": ResizeMethod.CUBIC,
    "tricubic": ResizeMethod.CUBIC,
    "cubic-pytorch": ResizeMethod.CUBIC_PYTORCH,
    "bicubic-pytorch": ResizeMethod.CUBIC_PYTORCH,
    "area": ResizeMethod.AREA,
}


# ----------------------------------------------------------------------------- kernels
# Each takes |distance| (in input pixels, already divided by the stretch) and returns weights.


def _triangle(x):
    return fnp.maximum(0.0, 1.0 - fnp.abs(x))


def _cubic(a: float) -> Callable:
    """Keys' cubic convolution kernel with parameter ``a`` (-0.5 for CUBIC, -0.75 for the
    OpenCV/PyTorch variant)."""

    def kernel(x):
        near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
        far = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
        return fnp.where(x >= 2.0, 0.0, fnp.where(x >= 1.0, far, near))

    return kernel


def _lanczos(radius: float) -> Callable:
    def kernel(x):
        y = radius * fnp.sin(math.pi * x) * fnp.sin(math.pi * x / radius)
        safe = fnp.where(x > 1e-3, x, 1.0)  # sinc(0) = 1; keeps the unused branch finite
        out = fnp.where(x > 1e-3, y / (math.pi**2 * safe * safe), 1.0)
        return fnp.where(x > radius, 0.0, out)

    return kernel


_AREA = object()
_KERNELS = {
    ResizeMethod.LINEAR: (1, _triangle),
    ResizeMethod.LANCZOS3: (3, _lanczos(3.0)),
    ResizeMethod.LANCZOS5: (5, _lanczos(5.0)),
    ResizeMethod.CUBIC: (2, _cubic(-0.5)),
    ResizeMethod.CUBIC_PYTORCH: (2, _cubic(-0.75)),
    ResizeMethod.AREA: (1, _AREA),
}


def _weights(in_size, out_size, scale, translation, kernel, antialias, edge_radius):
    """``(in_size, out_size)`` weights: column ``j`` says how output pixel ``j`` mixes inputs.

    Output pixel centres map to input coordinate ``(j + 0.5) / scale - translation / scale -
    0.5``; each column is normalised to sum to 1, and outputs whose centre falls outside the
    input get weight 0. With ``edge_radius`` (the PyTorch cubic without antialiasing) the
    kernel also reaches that many pixels past each edge, their weight folded onto the edge.
    """
    dtype = fnp.result_type(scale, translation, np.float64)
    scale = fnp.astype(fnp.asarray(scale), dtype)
    translation = fnp.astype(fnp.asarray(translation), dtype)
    inv_scale = 1.0 / scale
    stretch = fnp.maximum(inv_scale, 1.0) if antialias else 1.0
    centres = (np.arange(out_size, dtype=dtype) + 0.5) * inv_scale - translation * inv_scale - 0.5
    pad = 0 if edge_radius is None else edge_radius
    inputs = np.arange(-pad, in_size + pad, dtype=dtype)
    if kernel is _AREA:
        left = np.arange(out_size, dtype=dtype) * inv_scale - translation * inv_scale
        right = left + inv_scale
        w = fnp.maximum(
            0.0,
            fnp.minimum(right[None, :], (inputs + 1.0)[:, None])
            - fnp.maximum(left[None, :], inputs[:, None]),
        )
    else:
        w = kernel(fnp.abs(centres[None, :] - inputs[:, None]) / stretch)
    if pad:
        rows = np.clip(inputs.astype(np.int64), 0, in_size - 1)
        w = fnp.at(fnp.zeros((in_size, out_size), dtype))[rows].add(w)
    total = fnp.sum(w, axis=0, keepdims=True)
    w = fnp.where(fnp.abs(total) > 1000.0 * _F32_EPS, w / fnp.where(total != 0, total, 1.0), 0.0)
    if not pad:
        inside = (centres >= -0.5) & (centres <= in_size - 0.5)
        w = fnp.where(inside[None, :], w, 0.0)
    return w


def _inexact(image: ArrayLike) -> Array:
    image = fnp.asarray(image)
    if not np.issubdtype(image.dtype, np.inexact):
        image = fnp.astype(image, np.float64)
    return image


def _contract(image, axis, w):
    """``image`` with axis ``axis`` replaced by its product with the weights ``w``."""
    w = fnp.astype(w, image.dtype)
    out = fnp.tensordot(image, w, axes=([axis], [0]))
    return fnp.moveaxis(out, -1, axis)


def _check(image, shape, name):
    shape = tuple(int(s) for s in shape)
    if len(shape) != fnp.ndim(image):
        raise ValueError(
            f"{name}: shape {shape} must have one entry per axis of the image "
            f"(shape {fnp.shape(image)}); give the full output shape, batch and channel axes "
            "included."
        )
    return shape


def _method(method):
    return ResizeMethod.from_string(method) if isinstance(method, str) else method


def scale_and_translate(
    image: ArrayLike,
    shape: Sequence[int],
    spatial_dims: Sequence[int],
    scale: ArrayLike,
    translation: ArrayLike,
    method: str | ResizeMethod,
    antialias: bool = True,
    precision: Any = None,
) -> Array:
    """Resample ``image`` along ``spatial_dims`` by the map ``out = in * scale + translation``
    (in pixel coordinates with pixel centres at half-integers), as ``jax.image``.

    Args:
        image: the array.
        shape: the output shape (all axes).
        spatial_dims: the axes to resample.
        scale: one scale per spatial axis (may be traced, and differentiated).
        translation: one translation per spatial axis (may be traced).
        method: any method but ``'nearest'`` (see `ResizeMethod.from_string`).
        antialias: stretch the kernel when shrinking, so it averages (JAX's default).
        precision: accepted for JAX compatibility (NumPy computes at full precision).

    Examples:
        >>> import numpy as np, ftrans.image as fimage
        >>> x = np.array([0.0, 1.0, 2.0, 3.0])
        >>> fimage.scale_and_translate(x, (4,), (0,), np.array([1.0]), np.array([1.0]),
        ...                            "linear").tolist()
        [0.0, 0.0, 1.0, 2.0]
    """
    image = _inexact(image)
    shape = _check(image, shape, "scale_and_translate")
    method = _method(method)
    if method == ResizeMethod.NEAREST:
        raise ValueError(
            "scale_and_translate: 'nearest' is not supported (as in JAX); use resize(..., "
            "'nearest') or another method."
        )
    spatial_dims = [d % len(shape) for d in spatial_dims]
    scale, translation = fnp.asarray(scale), fnp.asarray(translation)
    if fnp.shape(scale) != (len(spatial_dims),) or fnp.shape(translation) != (len(spatial_dims),):
        raise ValueError(
            f"scale_and_translate: scale {fnp.shape(scale)} and translation "
            f"{fnp.shape(translation)} need one entry per spatial dim ({len(spatial_dims)})."
        )
    if method == ResizeMethod.CUBIC_PYTORCH and antialias:
        method = ResizeMethod.CUBIC
    radius, kernel = _KERNELS[method]
    edge = radius if method == ResizeMethod.CUBIC_PYTORCH else None
    for i, d in enumerate(spatial_dims):
        w = _weights(
            fnp.shape(image)[d], shape[d], scale[i], translation[i], kernel, antialias, edge
        )
        image = _contract(image, d, w)
    return image


def _resize_nearest(image, shape):
    for d, (m, n) in enumerate(zip(fnp.shape(image), shape, strict=True)):
        if m == n:
            continue
        # float32 offsets, as JAX computes them (float64 rounds some ties the other way)
        offsets = (np.arange(n, dtype=np.float32) + np.float32(0.5)) * np.float32(m) / np.float32(n)
        index = np.floor(offsets.astype(np.float32)).astype(np.int64)
        image = fnp.take(image, index, axis=d)
    return image


def resize(
    image: ArrayLike,
    shape: Sequence[int],
    method: str | ResizeMethod,
    antialias: bool = True,
    precision: Any = None,
) -> Array:
    """Resize ``image`` to ``shape`` (every axis; axes keeping their size are untouched), with
    JAX's kernels and numbers (``jax.image.resize``).

    Methods: ``'nearest'``, ``'linear'`` (``'bilinear'``...), ``'cubic'`` (Keys, a = -0.5),
    ``'cubic-pytorch'`` (a = -0.75, edge-padded without antialiasing), ``'lanczos3'``,
    ``'lanczos5'``, ``'area'``. Pixel centres sit at half-integers (TensorFlow's
    ``half_pixel_centers``). Integer images become float64.

    Args:
        image: the array (e.g. ``(H, W, C)`` or ``(N, H, W, C)``).
        shape: the output shape, one entry per axis.
        method: the resampling method.
        antialias: when shrinking, stretch the kernel so it averages (not for ``'nearest'``).
        precision: accepted for JAX compatibility (NumPy computes at full precision).

    Examples:
        >>> import numpy as np, ftrans.image as fimage
        >>> img = np.arange(16.0).reshape(4, 4)
        >>> fimage.resize(img, (2, 2), "linear", antialias=False).tolist()
        [[2.5, 4.5], [10.5, 12.5]]
        >>> fimage.resize(img, (2, 2), "nearest").tolist()
        [[5.0, 7.0], [13.0, 15.0]]
        >>> fimage.resize(img, (2, 2), "linear").round(3).tolist()  # averages wider when shrinking
        [[3.571, 5.143], [9.857, 11.429]]
    """
    image = fnp.asarray(image)
    shape = _check(image, shape, "resize")
    method = _method(method)
    if method == ResizeMethod.NEAREST:
        return _resize_nearest(image, shape)
    image = _inexact(image)
    dims = [d for d in range(len(shape)) if fnp.shape(image)[d] != shape[d]]
    if not dims:
        return image
    scale = [1.0 if shape[d] == 0 else shape[d] / fnp.shape(image)[d] for d in dims]
    return scale_and_translate(
        image, shape, dims, np.array(scale), np.zeros(len(dims)), method, antialias
    )
