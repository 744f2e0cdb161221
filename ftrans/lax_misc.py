"""The small remaining ``jax.lax`` names: ``fft`` with ``FftType``, ``empty``, ``dtype``, and
the compiler/sharding hints that mean nothing on one CPU and so return their input
(``optimization_barrier``, ``with_sharding_constraint``, ``composite``, tokens)."""

from __future__ import annotations

import enum
import operator

import numpy as np

from ftrans import tree
from ftrans.core import Tracer, get_aval


class FftType(enum.IntEnum):
    """Which transform `fft` computes (JAX's enum)."""

    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


def fft(x, fft_type, fft_lengths):
    """The FFT of the last ``len(fft_lengths)`` axes, as ``jax.lax.fft``.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.fft(np.array([1.0, 0.0, 0.0, 0.0]), "RFFT", (4,))
        array([1.+0.j, 1.+0.j, 1.+0.j])
    """
    from ftrans.numpy import fft as fnp_fft

    kind = FftType[fft_type.upper()] if isinstance(fft_type, str) else FftType(fft_type)
    lengths = tuple(operator.index(n) for n in fft_lengths)
    ndim = len(get_aval(x).shape)
    axes = tuple(range(ndim - len(lengths), ndim))
    fn = {
        FftType.FFT: fnp_fft.fftn,
        FftType.IFFT: fnp_fft.ifftn,
        FftType.RFFT: fnp_fft.rfftn,
        FftType.IRFFT: fnp_fft.irfftn,
    }[kind]
    return fn(x, s=lengths, axes=axes)


def empty(shape, dtype, *, out_sharding=None):
    """An array of ``shape`` and ``dtype`` (zeros: NumPy has no cheaper safe choice)."""
    del out_sharding
    return np.zeros(shape, dtype)


def dtype(x):
    """The dtype of an array, scalar or dtype-like."""
    if isinstance(x, (Tracer, np.ndarray, np.generic)):
        return get_aval(x).dtype
    if isinstance(x, (bool, int, float, complex)):
        return np.asarray(x).dtype
    return np.dtype(x)


def optimization_barrier(operand, /):
    """Returns ``operand`` (there is no cross-operation scheduling to prevent here)."""
    return operand


def with_sharding_constraint(x, shardings):
    """Returns ``x``: ftrans runs on one CPU, so every value has the one trivial sharding."""
    del shardings
    return x


def composite(decomposition, name, version=0):
    """Marks ``decomposition`` as a named composite; ftrans runs the decomposition itself."""
    del name, version
    return decomposition


def platform_dependent(*args, default=None, **per_platform):
    """Calls the ``cpu`` branch (ftrans's only platform), else ``default``."""
    branch = per_platform.get("cpu", default)
    if branch is None:
        raise ValueError(
            "platform_dependent: no 'cpu' branch and no default (ftrans runs on the CPU)"
        )
    return branch(*args)


def dce_sink(val, *, prevent_mlir_dce=False):
    """Does nothing (it exists in JAX to keep a value alive through dead-code elimination)."""
    del val, prevent_mlir_dce


class Token:
    """An ordering token: ftrans runs effects in program order, so tokens carry nothing."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Token()"


def create_token(_=None):
    """A new `Token`."""
    return Token()


def after_all(*operands):
    """A `Token` ordered after ``operands`` (a no-op here)."""
    del operands
    return Token()


def stage(x, /):
    """Returns ``x`` (values are staged into a trace when an ftrans operation uses them)."""
    return tree.map(lambda v: v, x)
