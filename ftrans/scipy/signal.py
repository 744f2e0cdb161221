"""``ftrans.scipy.signal``: N-dimensional convolution and correlation, like ``jax.scipy.signal``.

Two ways to compute the full convolution, both differentiable in both inputs, batched under
``vmap`` and compiled under ``jit``:

- ``direct``: one gather of the (zero-padded) first input into windows, one ``tensordot`` with
  the flipped kernel; exact sums, memory ``prod(output) · prod(kernel)``.
- ``fft``: real FFTs padded to the full size, a product, an inverse FFT (O(N log N), rounding
  of order ``eps · max|x| · sum|k|``).

``method='auto'`` takes ``direct`` unless its window array would pass 2²² elements. Integer
inputs are computed in float64, as JAX does (SciPy keeps integers). The output region of
``mode='same'`` (centred on the full output, the size of ``in1``) and ``'valid'`` follows SciPy.
"""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError, UnsupportedError, format_frame, user_frame

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "fftconvolve"]

_MODES = ("full", "same", "valid")
_DIRECT_LIMIT = 2**22  # window elements above which method='auto' switches to the FFT


def _at() -> str:
    return format_frame(user_frame())


def _operands(fname, in1, in2):
    in1 = in1 if isinstance(in1, (Tracer, np.ndarray)) else np.asarray(in1)
    in2 = in2 if isinstance(in2, (Tracer, np.ndarray)) else np.asarray(in2)
    if in1.ndim != in2.ndim:
        raise ShapeError(
            f"{fname}: in1 and in2 must have the same number of dimensions, got shapes "
            f"{shape_of(in1)} and {shape_of(in2)} (at {_at()})."
        )
    if 0 in shape_of(in1) or 0 in shape_of(in2):
        raise ShapeError(
            f"{fname}: empty inputs are not supported, got shapes {shape_of(in1)} and "
            f"{shape_of(in2)} (at {_at()})."
        )
    dtype = np.result_type(in1.dtype, in2.dtype)
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.dtype(np.float64)
    return fnp.asarray(in1, dtype=dtype), fnp.asarray(in2, dtype=dtype)


def _check_mode(fname, mode, s1, s2):
    if mode not in _MODES:
        raise ValueError(f"{fname}: mode must be one of {list(_MODES)}, got {mode!r} (at {_at()}).")
    if mode == "valid" and not (
        all(a >= b for a, b in zip(s1, s2, strict=True))
        or all(a <= b for a, b in zip(s1, s2, strict=True))
    ):
        raise ShapeError(
            f"{fname}: for mode='valid' one input must be at least as large as the other in "
            f"every dimension, got shapes {s1} and {s2} (at {_at()})."
        )


def _output_region(mode, s1, s2):
    """``(start, shape)`` of the requested output inside the full convolution."""
    full = tuple(a + b - 1 for a, b in zip(s1, s2, strict=True))
    if mode == "full":
        shape = full
    elif mode == "same":
        shape = tuple(s1)
    else:
        shape = tuple(abs(a - b) + 1 for a, b in zip(s1, s2, strict=True))
    start = tuple((f - o) // 2 for f, o in zip(full, shape, strict=True))
    return start, shape


def _zero_pad(x, widths):
    """``x`` with ``widths[d]`` zeros on both sides of axis ``d``."""
    for axis, w in enumerate(widths):
        if w:
            shape = list(shape_of(x))
            shape[axis] = w
            zeros = fnp.zeros(tuple(shape), x.dtype)
            x = fnp.concatenate([zeros, x, zeros], axis=axis)
    return x


def _direct(in1, in2, start, shape):
    """The convolution at output positions ``start + n``, ``0 <= n < shape``."""
    s2 = shape_of(in2)
    padded = _zero_pad(in1, [k - 1 for k in s2])
    ps = shape_of(padded)
    # out[n] = sum_k padded[n + (K - 1) - k] in2[k]: one gather of windows, one contraction
    nd = len(s2)
    out_grid = np.meshgrid(
        *[np.arange(o) + s for o, s in zip(shape, start, strict=True)], indexing="ij"
    )
    ker_grid = np.meshgrid(*[np.arange(k) for k in s2], indexing="ij")
    coords = [
        out_grid[d].reshape(shape + (1,) * nd) + (s2[d] - 1) - ker_grid[d].reshape((1,) * nd + s2)
        for d in range(nd)
    ]
    index = np.ravel_multi_index(coords, ps)
    windows = fnp.take(fnp.reshape(padded, (-1,)), index)
    return fnp.tensordot(windows, in2, axes=nd)


def _fft(in1, in2, start, shape, axes=None):
    """The convolution by FFTs over ``axes`` (all by default), sliced to the region."""
    s1, s2 = shape_of(in1), shape_of(in2)
    nd = len(s1)
    axes = tuple(range(nd)) if axes is None else axes
    full = [s1[a] + s2[a] - 1 for a in axes]
    complex_in = np.issubdtype(in1.dtype, np.complexfloating)
    forward = fnp.fft.fftn if complex_in else fnp.fft.rfftn
    spectrum = forward(in1, s=full, axes=axes) * forward(in2, s=full, axes=axes)
    if complex_in:
        out = fnp.fft.ifftn(spectrum, s=full, axes=axes)
    else:
        out = fnp.asarray(fnp.fft.irfftn(spectrum, s=full, axes=axes), dtype=in1.dtype)
    index = [slice(None)] * nd
    for i, a in enumerate(axes):
        index[a] = slice(start[i], start[i] + shape[i])
    return out[tuple(index)]


def convolve(in1, in2, mode: str = "full", method: str = "auto", precision=None):
    """The N-dimensional convolution of ``in1`` and ``in2`` (same number of dimensions), like
    ``scipy.signal.convolve``.

    Args:
        in1, in2: arrays of equal rank.
        mode: ``'full'`` (every overlap), ``'same'`` (the size of ``in1``, centred) or
            ``'valid'`` (no zero padding; one input must be at least as large as the other in
            every dimension).
        method: ``'direct'``, ``'fft'`` or ``'auto'`` (see the module docstring).
        precision: accepted for JAX compatibility (float64 on CPU is exact enough).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import signal
        >>> signal.convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5])).tolist()
        [0.0, 1.0, 2.5, 4.0, 1.5]
    """
    in1, in2 = _operands("convolve", in1, in2)
    s1, s2 = shape_of(in1), shape_of(in2)
    _check_mode("convolve", mode, s1, s2)
    if method not in ("auto", "direct", "fft"):
        raise ValueError(
            f"convolve: method must be 'auto', 'direct' or 'fft', got {method!r} (at {_at()})."
        )
    start, shape = _output_region(mode, s1, s2)
    if method == "auto":
        size = int(np.prod(shape)) * int(np.prod(s2))
        method = "direct" if size <= _DIRECT_LIMIT else "fft"
    if method == "fft":
        return _fft(in1, in2, start, shape)
    return _direct(in1, in2, start, shape)


def _flip_conj(x):
    x = fnp.flip(x)
    return fnp.conj(x) if np.issubdtype(x.dtype, np.complexfloating) else x


def correlate(in1, in2, mode: str = "full", method: str = "auto", precision=None):
    """The N-dimensional cross-correlation of ``in1`` and ``in2``, like
    ``scipy.signal.correlate``: ``convolve(in1, flip(conj(in2)), mode, method)``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import signal
        >>> signal.correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5])).tolist()
        [0.5, 2.0, 3.5, 3.0, 0.0]
    """
    in1, in2 = _operands("correlate", in1, in2)
    return convolve(in1, _flip_conj(in2), mode=mode, method=method)


def fftconvolve(in1, in2, mode: str = "full", axes=None):
    """Convolution by FFT, like ``scipy.signal.fftconvolve``; with ``axes``, only over those
    axes (the others must be equal or 1 and broadcast).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import signal
        >>> np.round(signal.fftconvolve(np.array([1.0, 2.0]), np.array([1.0, 1.0])), 12).tolist()
        [1.0, 3.0, 2.0]
    """
    in1, in2 = _operands("fftconvolve", in1, in2)
    nd = in1.ndim
    if axes is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(sorted({int(a) % nd for a in np.atleast_1d(axes)}))
    s1, s2 = shape_of(in1), shape_of(in2)
    others = [d for d in range(nd) if d not in axes]
    for d in others:
        if s1[d] != s2[d] and 1 not in (s1[d], s2[d]):
            raise ShapeError(
                f"fftconvolve: axis {d} is not convolved, so in1 {s1} and in2 {s2} must agree "
                f"there (or be 1) (at {_at()})."
            )
    if others:
        lead = [max(s1[d], s2[d]) if d in others else None for d in range(nd)]
        in1 = fnp.broadcast_to(in1, tuple(lead[d] or s1[d] for d in range(nd)))
        in2 = fnp.broadcast_to(in2, tuple(lead[d] or s2[d] for d in range(nd)))
    a1 = tuple(s1[a] for a in axes)
    a2 = tuple(s2[a] for a in axes)
    _check_mode("fftconvolve", mode, a1, a2)
    start, shape = _output_region(mode, a1, a2)
    return _fft(in1, in2, start, shape, axes=axes)


def _check_2d(fname, in1, in2, boundary, fillvalue):
    if boundary != "fill" or fillvalue != 0:
        raise UnsupportedError(
            f"{fname}: only boundary='fill' with fillvalue=0 is supported, got "
            f"boundary={boundary!r}, fillvalue={fillvalue!r} (at {_at()}); pad the input "
            "yourself for other boundaries."
        )
    s1 = shape_of(in1) if isinstance(in1, Tracer) else np.shape(in1)
    s2 = shape_of(in2) if isinstance(in2, Tracer) else np.shape(in2)
    if len(s1) != 2 or len(s2) != 2:
        raise ShapeError(
            f"{fname}: in1 and in2 must be 2-D, got shapes {tuple(s1)} and {tuple(s2)} "
            f"(at {_at()})."
        )


def convolve2d(in1, in2, mode: str = "full", boundary: str = "fill", fillvalue=0, precision=None):
    """2-D convolution, like ``scipy.signal.convolve2d`` with ``boundary='fill'``,
    ``fillvalue=0`` (the only boundary supported, as in JAX).

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import signal
        >>> signal.convolve2d(np.eye(2), np.ones((1, 2))).tolist()
        [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
    """
    _check_2d("convolve2d", in1, in2, boundary, fillvalue)
    return convolve(in1, in2, mode=mode, method="direct")


def correlate2d(in1, in2, mode: str = "full", boundary: str = "fill", fillvalue=0, precision=None):
    """2-D cross-correlation, like ``scipy.signal.correlate2d`` with ``boundary='fill'``,
    ``fillvalue=0``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.scipy import signal
        >>> signal.correlate2d(np.eye(2), np.array([[1.0, 2.0]]), mode="valid").tolist()
        [[1.0], [2.0]]
    """
    _check_2d("correlate2d", in1, in2, boundary, fillvalue)
    if mode == "same":  # SciPy centres this one on the flipped problem (differs for even sizes)
        in1, in2 = _operands("correlate2d", in1, in2)
        flipped = convolve(fnp.flip(in1), fnp.conj(in2), mode="same", method="direct")
        return fnp.flip(flipped)
    return correlate(in1, in2, mode=mode, method="direct")
