"""``ftrans.numpy.fft``: NumPy's discrete Fourier transforms, traceable and differentiable.

Same signatures and results as `numpy.fft` (``n``/``s`` crop or zero-pad the input,
``axis``/``axes`` pick the transformed axes, ``norm`` is ``"backward"``, ``"ortho"`` or
``"forward"``). Outside every transformation each function is NumPy's own. Under
transformations the transforms are four linear primitives
([`ftrans.primitives.fft`][ftrans.primitives.fft]), so ``grad``, ``jvp``, ``vmap`` and ``jit`` all
apply; gradients follow the complex-number convention of the complex numbers guide.

Examples:
    >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
    >>> x = np.array([1.0, 2.0, 0.0, -1.0])
    >>> fnp.fft.rfft(x).round(6).tolist()
    [(2+0j), (1-3j), 0j]
    >>> power = lambda x: fnp.sum(fnp.abs(fnp.fft.rfft(x)) ** 2)
    >>> ft.grad(power)(x).round(6).tolist()
    [6.0, 10.0, 2.0, -2.0]
"""

from __future__ import annotations

import math
import operator

import numpy as np

from ftrans import core
from ftrans.core import shape_of
from ftrans.numpy._util import cast, normalize_axis, to_operand
from ftrans.primitives import elementwise as ew
from ftrans.primitives import fft as prim
from ftrans.primitives.shape import pad, slice_

__all__ = [
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]

_NORMS = ("backward", "ortho", "forward")

# ----------------------------------------------------------------------------- argument handling


def _operand(name, a, real):
    """``a`` as an array of the transform's input dtype (complex, or real for rfft)."""
    a = to_operand(a)
    if not isinstance(a, core.Tracer):
        a = np.asarray(a)
    dtype = a.dtype
    if real:
        if ew.is_complex_dtype(dtype):
            raise TypeError(
                f"ftrans.numpy.fft.{name} needs real input, got dtype {dtype.name}; use "
                f"fft/fftn for complex data (or pass fnp.real(a))."
            )
        want = dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)
    else:
        want = ew.complex_dtype(dtype) if np.issubdtype(dtype, np.inexact) else np.complex128
    return cast(a, np.dtype(want))


def _check_norm(name, norm):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise ValueError(
            f'ftrans.numpy.fft.{name}: invalid norm {norm!r}; use "backward" (the default), '
            '"ortho" or "forward".'
        )
    return norm


def _check_length(name, what, n):
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"ftrans.numpy.fft.{name}: {what} must be an integer, got {n!r}") from None
    if n < 1:
        raise ValueError(
            f"ftrans.numpy.fft.{name}: invalid number of data points ({n}) specified in {what}; "
            "it must be at least 1."
        )
    return n


def _axes_and_lengths(name, a, s, axes):
    """NumPy's rules for ``s`` and ``axes``: normalised axes and the lengths along them
    (``None`` entries of the lengths mean "keep the input's size")."""
    ndim = len(shape_of(a))
    if axes is None:  # NumPy: every axis, or the last len(s) when only s is given
        axes = tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim))
    axes = tuple(normalize_axis(ax, ndim, "axes") for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(
            f"ftrans.numpy.fft.{name}: repeated axis in axes={axes}; each axis may be "
            "transformed once (call the function twice to transform an axis twice)."
        )
    if not axes:
        raise ValueError(f"ftrans.numpy.fft.{name}: no axes to transform (axes=()).")
    if s is None:
        return axes, [None] * len(axes)
    s = list(s)
    if len(s) != len(axes):
        raise ValueError(
            f"ftrans.numpy.fft.{name}: s has {len(s)} entries but axes has {len(axes)}; "
            "give one length per transformed axis."
        )
    what = "n" if name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft") else "s"
    return axes, [None if n in (None, -1) else _check_length(name, what, n) for n in s]


def _resize(x, axes, sizes):
    """Crop or zero-pad ``x`` along ``axes`` to ``sizes`` (NumPy's ``n``/``s`` semantics)."""
    shape = shape_of(x)
    if all(shape[a] == n for a, n in zip(axes, sizes, strict=True)):
        return x
    limits = list(shape)
    for a, n in zip(axes, sizes, strict=True):
        limits[a] = min(n, shape[a])
    if tuple(limits) != shape:
        x = slice_(x, [0] * len(shape), limits)
    config = [(0, 0, 0)] * len(shape)
    for a, n in zip(axes, sizes, strict=True):
        config[a] = (0, n - limits[a], 0)
    if any(hi for _, hi, _ in config):
        x = pad(x, np.zeros((), x.dtype), padding_config=config)
    return x


def _scale(x, norm, count, inverse):
    """NumPy's normalisation on top of the primitives' "backward" one."""
    if norm == "backward":
        return x
    if norm == "ortho":
        factor = math.sqrt(count) if inverse else 1.0 / math.sqrt(count)
    else:  # "forward"
        factor = float(count) if inverse else 1.0 / count
    return ew.mul(x, x.dtype.type(factor))


# ----------------------------------------------------------------------------- complex transforms


def _complex_transform(name, a, s, axes, norm, inverse):
    norm = _check_norm(name, norm)
    x = _operand(name, a, real=False)
    axes, lengths = _axes_and_lengths(name, x, s, axes)
    shape = shape_of(x)
    sizes = [shape[ax] if n is None else n for ax, n in zip(axes, lengths, strict=True)]
    x = _resize(x, axes, sizes)
    out = (prim.ifft if inverse else prim.fft)(x, axes=axes)
    return _scale(out, norm, math.prod(sizes), inverse)


def _one_axis(n, axis):
    return None if n is None else (n,), (axis,)


def fft(a, n=None, axis=-1, norm=None):
    """One-dimensional discrete Fourier transform (``numpy.fft.fft``).

    Args:
        a: input array (real inputs are promoted to complex).
        n: length of the transformed axis: the input is cropped or zero-padded to it.
        axis: the axis to transform.
        norm: ``"backward"`` (no scaling, the default), ``"ortho"`` (``1/sqrt(n)``) or
            ``"forward"`` (``1/n``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.fft([1.0, 0.0, -1.0, 0.0]).tolist()
        [0j, (2+0j), 0j, (2+0j)]
    """
    if not core._stack:
        return np.fft.fft(a, n, axis, norm)
    s, axes = _one_axis(n, axis)
    return _complex_transform("fft", a, s, axes, norm, False)


def ifft(a, n=None, axis=-1, norm=None):
    """One-dimensional inverse discrete Fourier transform (``numpy.fft.ifft``); ``norm`` as in
    [`fft`][ftrans.numpy.fft.fft] (``"backward"`` scales this direction by ``1/n``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.ifft([0.0, 2.0, 0.0, 2.0]).real.tolist()
        [1.0, 0.0, -1.0, 0.0]
    """
    if not core._stack:
        return np.fft.ifft(a, n, axis, norm)
    s, axes = _one_axis(n, axis)
    return _complex_transform("ifft", a, s, axes, norm, True)


def fftn(a, s=None, axes=None, norm=None):
    """N-dimensional discrete Fourier transform over ``axes`` (all axes by default, or the last
    ``len(s)`` when only ``s`` is given), each cropped or zero-padded to ``s``.

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> fnp.fft.fftn(np.ones((2, 2))).real.tolist()
        [[4.0, 0.0], [0.0, 0.0]]
    """
    if not core._stack:
        return np.fft.fftn(a, s, axes, norm)
    return _complex_transform("fftn", a, s, axes, norm, False)


def ifftn(a, s=None, axes=None, norm=None):
    """N-dimensional inverse discrete Fourier transform; arguments as in
    [`fftn`][ftrans.numpy.fft.fftn]."""
    if not core._stack:
        return np.fft.ifftn(a, s, axes, norm)
    return _complex_transform("ifftn", a, s, axes, norm, True)


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """Two-dimensional discrete Fourier transform ([`fftn`][ftrans.numpy.fft.fftn] over the last two
    axes)."""
    if not core._stack:
        return np.fft.fft2(a, s, axes, norm)
    return _complex_transform("fft2", a, s, axes, norm, False)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """Two-dimensional inverse discrete Fourier transform ([`ifftn`][ftrans.numpy.fft.ifftn] over
    the last two axes)."""
    if not core._stack:
        return np.fft.ifft2(a, s, axes, norm)
    return _complex_transform("ifft2", a, s, axes, norm, True)


# ----------------------------------------------------------------------------- real transforms


def _rfft_transform(name, a, s, axes, norm):
    norm = _check_norm(name, norm)
    x = _operand(name, a, real=True)
    axes, lengths = _axes_and_lengths(name, x, s, axes)
    shape = shape_of(x)
    sizes = [shape[ax] if n is None else n for ax, n in zip(axes, lengths, strict=True)]
    x = _resize(x, axes, sizes)
    return _scale(prim.rfft(x, axes=axes), norm, math.prod(sizes), False)


def _irfft_transform(name, a, s, axes, norm):
    norm = _check_norm(name, norm)
    x = _operand(name, a, real=False)
    axes, lengths = _axes_and_lengths(name, x, s, axes)
    shape = shape_of(x)
    out_sizes = [shape[ax] if n is None else n for ax, n in zip(axes, lengths, strict=True)]
    if lengths[-1] is None:
        out_sizes[-1] = 2 * (shape[axes[-1]] - 1)
        if out_sizes[-1] < 1:
            raise ValueError(
                f"ftrans.numpy.fft.{name}: invalid number of data points ({out_sizes[-1]}): an "
                f"input of length {shape[axes[-1]]} along axis {axes[-1]} gives no output; pass "
                "the output length (n= or s=) explicitly."
            )
    in_sizes = [*out_sizes[:-1], out_sizes[-1] // 2 + 1]
    x = _resize(x, axes, in_sizes)
    out = prim.irfft(x, axes=axes, lengths=out_sizes)
    return _scale(out, norm, math.prod(out_sizes), True)


def rfft(a, n=None, axis=-1, norm=None):
    """Discrete Fourier transform of real input: the ``n // 2 + 1`` non-negative frequency bins
    (``numpy.fft.rfft``); ``n``, ``axis`` and ``norm`` as in [`fft`][ftrans.numpy.fft.fft].

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.rfft([1.0, 0.0, -1.0, 0.0]).tolist()
        [0j, (2+0j), 0j]
    """
    if not core._stack:
        return np.fft.rfft(a, n, axis, norm)
    s, axes = _one_axis(n, axis)
    return _rfft_transform("rfft", a, s, axes, norm)


def irfft(a, n=None, axis=-1, norm=None):
    """Inverse of [`rfft`][ftrans.numpy.fft.rfft]: a real signal of length ``n`` (default
    ``2 * (m - 1)`` for ``m`` input bins) from its non-negative frequency bins
    (``numpy.fft.irfft``). Like NumPy, the imaginary parts of the DC bin (and, for even ``n``, the
    Nyquist bin) are ignored.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.irfft([0.0, 2.0, 0.0]).tolist()
        [1.0, 0.0, -1.0, 0.0]
    """
    if not core._stack:
        return np.fft.irfft(a, n, axis, norm)
    s, axes = _one_axis(n, axis)
    return _irfft_transform("irfft", a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
    """N-dimensional transform of real input; the last of ``axes`` is halved like
    [`rfft`][ftrans.numpy.fft.rfft], the others are full complex transforms."""
    if not core._stack:
        return np.fft.rfftn(a, s, axes, norm)
    return _rfft_transform("rfftn", a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm=None):
    """Inverse of [`rfftn`][ftrans.numpy.fft.rfftn]; ``s`` gives the real output's lengths (the last
    defaults to ``2 * (m - 1)``)."""
    if not core._stack:
        return np.fft.irfftn(a, s, axes, norm)
    return _irfft_transform("irfftn", a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """[`rfftn`][ftrans.numpy.fft.rfftn] over the last two axes."""
    if not core._stack:
        return np.fft.rfft2(a, s, axes, norm)
    return _rfft_transform("rfft2", a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """[`irfftn`][ftrans.numpy.fft.irfftn] over the last two axes."""
    if not core._stack:
        return np.fft.irfft2(a, s, axes, norm)
    return _irfft_transform("irfft2", a, s, axes, norm)


_SWAPPED = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def hfft(a, n=None, axis=-1, norm=None):
    """Transform of a Hermitian-symmetric signal given by its first half (``numpy.fft.hfft``):
    ``irfft(conj(a), n)`` with the normalisation of a forward transform.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.hfft([1.0, 2.0, 3.0]).tolist()
        [8.0, -2.0, 0.0, -2.0]
    """
    if not core._stack:
        return np.fft.hfft(a, n, axis, norm)
    norm = _check_norm("hfft", norm)
    s, axes = _one_axis(n, axis)
    conjugated = ew.conj(_operand("hfft", a, real=False))
    return _irfft_transform("hfft", conjugated, s, axes, _SWAPPED[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """Inverse of [`hfft`][ftrans.numpy.fft.hfft]: ``conj(rfft(a, n))`` with the normalisation of an
    inverse transform (``numpy.fft.ihfft``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.ihfft([8.0, -2.0, 0.0, -2.0]).real.tolist()
        [1.0, 2.0, 3.0]
    """
    if not core._stack:
        return np.fft.ihfft(a, n, axis, norm)
    norm = _check_norm("ihfft", norm)
    s, axes = _one_axis(n, axis)
    return ew.conj(_rfft_transform("ihfft", a, s, axes, _SWAPPED[norm]))


# ----------------------------------------------------------------------------- helpers


def fftfreq(n, d=1.0):
    """Sample frequencies of [`fft`][ftrans.numpy.fft.fft] bins for ``n`` samples spaced ``d`` apart
    (``numpy.fft.fftfreq``); ``d`` may be a traced scalar.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.fftfreq(4, 0.5).tolist()
        [0.0, 0.5, -1.0, -0.5]
    """
    n = _check_length("fftfreq", "n", n)
    if not isinstance(d, core.Tracer):
        return np.fft.fftfreq(n, d)
    from ftrans.numpy._math import divide

    return divide(np.fft.fftfreq(n, 1.0), d)


def rfftfreq(n, d=1.0):
    """Sample frequencies of [`rfft`][ftrans.numpy.fft.rfft] bins (``numpy.fft.rfftfreq``).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.rfftfreq(4).tolist()
        [0.0, 0.25, 0.5]
    """
    n = _check_length("rfftfreq", "n", n)
    if not isinstance(d, core.Tracer):
        return np.fft.rfftfreq(n, d)
    from ftrans.numpy._math import divide

    return divide(np.fft.rfftfreq(n, 1.0), d)


def _shift(name, x, axes, inverse):
    from ftrans.numpy._shape import roll

    x = to_operand(x)
    ndim = len(shape_of(x))
    if axes is None:
        axes = tuple(range(ndim))
    elif isinstance(axes, int):
        axes = (axes,)
    axes = tuple(normalize_axis(a, ndim, "axes") for a in axes)
    if not axes:
        return x
    shape = shape_of(x)
    shifts = tuple((-(shape[a] // 2) if inverse else shape[a] // 2) for a in axes)
    return roll(x, shifts, axes)


def fftshift(x, axes=None):
    """Move the zero-frequency bin to the centre (``numpy.fft.fftshift``), over all axes by
    default.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.fft.fftshift(fnp.fft.fftfreq(4)).tolist()
        [-0.5, -0.25, 0.0, 0.25]
    """
    if not core._stack:
        return np.fft.fftshift(x, axes)
    return _shift("fftshift", x, axes, False)


def ifftshift(x, axes=None):
    """The inverse of [`fftshift`][ftrans.numpy.fft.fftshift] (they differ for odd lengths)."""
    if not core._stack:
        return np.fft.ifftshift(x, axes)
    return _shift("ifftshift", x, axes, True)


def __getattr__(name):
    from ftrans.numpy._absent import missing

    raise missing(__name__, name)
