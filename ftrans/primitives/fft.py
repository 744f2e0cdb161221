"""Discrete Fourier transforms: ``fft``, ``ifft``, ``rfft`` and ``irfft`` over given axes.

Each is linear, so its JVP is the transform of the tangent and only a transpose rule is needed
for reverse mode. Transposes use the bilinear pairing ``<a, b> = Re(sum(a * b))`` of the
complex numbers guide: the DFT matrix is symmetric, so ``fft`` transposes to ``fft`` and
``ifft`` to ``ifft`` (no conjugate); ``rfft`` and ``irfft`` transpose through the Hermitian
half-spectrum, where the bins that stand for two conjugate bins of the full spectrum (all but
DC and, for even lengths, Nyquist) count twice.

The primitives take data already cropped or zero-padded to the transform lengths (``n``/``s``)
and compute NumPy's default ("backward") normalisation; [`ftrans.numpy.fft`][ftrans.numpy.fft] does
the rest. For ``rfft``/``irfft`` the last entry of ``axes`` is the halved axis; ``irfft`` needs
``lengths``, the real output's lengths along ``axes``.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray
from ftrans.errors import ShapeError
from ftrans.primitives.elementwise import (
    complex_dtype,
    conj,
    is_complex_dtype,
    mul,
    real_dtype,
)


def _check_axes(name, x, axes):
    if not axes or len(set(axes)) != len(axes) or any(not 0 <= a < x.ndim for a in axes):
        raise ShapeError(
            f"{name} needs distinct axes in range for an operand of shape {x.shape}, got {axes}"
        )


def _fft_aval(name, want_complex):
    def aval(x, *, axes):
        _check_axes(name, x, axes)
        if is_complex_dtype(x.dtype) != want_complex:
            kind = "complex" if want_complex else "real floating-point"
            raise TypeError(f"the {name} primitive needs a {kind} operand, got {x.str_short()}")
        out_dtype = x.dtype if want_complex else complex_dtype(x.dtype)
        if name != "rfft":
            return ShapedArray(x.shape, out_dtype)
        shape = list(x.shape)
        shape[axes[-1]] = shape[axes[-1]] // 2 + 1
        return ShapedArray(shape, out_dtype)

    return aval


def _irfft_aval(x, *, axes, lengths):
    _check_axes("irfft", x, axes)
    if not is_complex_dtype(x.dtype):
        raise TypeError(f"the irfft primitive needs a complex operand, got {x.str_short()}")
    sizes = [x.shape[a] for a in axes]
    want = [*lengths[:-1], lengths[-1] // 2 + 1]
    if len(lengths) != len(axes) or sizes != want:
        raise ShapeError(
            f"irfft with lengths {lengths} over axes {axes} needs sizes {tuple(want)} there, got "
            f"shape {x.shape}"
        )
    shape = list(x.shape)
    for a, n in zip(axes, lengths, strict=True):
        shape[a] = n
    return ShapedArray(shape, real_dtype(x.dtype))


def _axes_batch(primitive):
    """The batch axis is never transformed: renumber ``axes`` around it."""

    def rule(vals, dims, *, axes, **params):
        (x,), (d,) = vals, dims
        moved = tuple(a + (a >= d) for a in axes)
        return primitive.bind(x, axes=moved, **params), d

    return rule


def _make(name, impl, abstract_eval, lower):
    p = Primitive(name, linear=True)
    p.impl = impl
    p.abstract_eval = abstract_eval
    p.jvp = lambda primals, tangents, **params: (
        p.bind(primals[0], **params),
        p.bind(tangents[0], **params),
    )
    p.batch = _axes_batch(p)
    p.lower = lower
    return p


fft_p = _make(
    "fft",
    lambda x, *, axes: np.fft.fftn(x, axes=axes),
    _fft_aval("fft", True),
    lambda args, *, axes: f"np.fft.fftn({args[0]}, axes={axes})",
)
numpy_only("FFT: NumPy calls pocketfft already", fft_p)
ifft_p = _make(
    "ifft",
    lambda x, *, axes: np.fft.ifftn(x, axes=axes),
    _fft_aval("ifft", True),
    lambda args, *, axes: f"np.fft.ifftn({args[0]}, axes={axes})",
)
numpy_only("FFT: NumPy calls pocketfft already", ifft_p)
rfft_p = _make(
    "rfft",
    lambda x, *, axes: np.fft.rfftn(x, axes=axes),
    _fft_aval("rfft", False),
    lambda args, *, axes: f"np.fft.rfftn({args[0]}, axes={axes})",
)
numpy_only("FFT: NumPy calls pocketfft already", rfft_p)
irfft_p = _make(
    "irfft",
    lambda x, *, axes, lengths: np.fft.irfftn(x, s=lengths, axes=axes),
    _irfft_aval,
    lambda args, *, axes, lengths: f"np.fft.irfftn({args[0]}, s={lengths}, axes={axes})",
)
numpy_only("FFT: NumPy calls pocketfft already", irfft_p)


def fft(x, *, axes):
    return fft_p.bind(x, axes=tuple(axes))


def ifft(x, *, axes):
    return ifft_p.bind(x, axes=tuple(axes))


def rfft(x, *, axes):
    return rfft_p.bind(x, axes=tuple(axes))


def irfft(x, *, axes, lengths):
    return irfft_p.bind(x, axes=tuple(axes), lengths=tuple(lengths))


# The DFT matrix F is symmetric (F^T = F), and so is its inverse: under the bilinear pairing the
# transpose of a full transform is the same transform.
fft_p.transpose = lambda ct, x, *, axes: [fft(ct, axes=axes)]
ifft_p.transpose = lambda ct, x, *, axes: [ifft(ct, axes=axes)]


def _bin_weights(n, rank, axis, dtype):
    """m_k along ``axis`` (1 elsewhere): how many bins of the full length-n spectrum the half-
    spectrum bin k stands for (2, but 1 for DC and, when n is even, Nyquist)."""
    half = n // 2 + 1
    weights = np.full(half, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    shape = [1] * rank
    shape[axis] = half
    return weights.reshape(shape).astype(dtype)


def _rfft_transpose(ct, x, *, axes):
    # rfft = the first n//2+1 rows of F applied to a real t, so its transpose is
    # Re(F (ct zero-filled to length n)) = N * irfft(conj(ct) / m): one real inverse transform
    # instead of a full complex one.
    lengths = tuple(x.aval.shape[a] for a in axes)
    m = _bin_weights(lengths[-1], len(x.aval.shape), axes[-1], ct.dtype)
    scale = float(np.prod(lengths)) / m
    return [irfft(mul(conj(ct), scale), axes=axes, lengths=lengths)]


def _irfft_transpose(ct, x, *, axes, lengths):
    # irfft(c)_j = Re(sum_k m_k c_k w^(jk)) / N over the half-spectrum, so its transpose is
    # m * conj(rfft(ct)) / N.
    m = _bin_weights(lengths[-1], len(x.aval.shape), axes[-1], x.aval.dtype)
    return [mul(conj(rfft(ct, axes=axes)), m / float(np.prod(lengths)))]


rfft_p.transpose = _rfft_transpose
irfft_p.transpose = _irfft_transpose
