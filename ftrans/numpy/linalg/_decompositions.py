"""Decompositions: cholesky, eigh, eigvalsh, svd, svdvals, qr (each one primitive)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ftrans.errors import UnsupportedError
from ftrans.numpy.linalg._common import (
    call_numpy,
    float_operands,
    matrix,
    tracing,
    where,
)
from ftrans.primitives import linalg as P


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


class QRResult(NamedTuple):
    Q: object
    R: object


def _sym(a):
    """``(a + aᴴ) / 2`` on NumPy (equal to ``a`` when ``a`` is symmetric, or Hermitian)."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.inexact):
        a = a.astype(np.float64)
    return (a + np.conj(np.swapaxes(a, -1, -2))) * a.dtype.type(0.5)


def _check_uplo(fname, uplo):
    if uplo not in ("L", "U"):
        raise ValueError(f"{fname}: UPLO must be 'L' or 'U', got {uplo!r} (at {where()}).")


def cholesky(a, /, *, upper=False):
    """The Cholesky factor of a symmetric (Hermitian) positive-definite ``a``: lower ``L`` with
    ``a = L Lᴴ`` (``upper=True``: ``Lᴴ``), like ``numpy.linalg.cholesky``.

    ftrans factors the Hermitian part ``(a + aᴴ) / 2`` (NumPy reads the lower triangle; the two
    agree for Hermitian ``a``), so gradients are Hermitian. Real and complex matrices are
    differentiable. A matrix that is not positive definite raises ``numpy.linalg.LinAlgError``
    with its shape.

    Examples:
        >>> import numpy as np
        >>> import ftrans.numpy as fnp
        >>> fnp.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]])).tolist()
        [[2.0, 0.0], [1.0, 2.0]]
    """
    a = matrix("cholesky", "a", a, square=True)
    if not tracing():
        return call_numpy("cholesky", np.linalg.cholesky, a.shape, _sym(a), upper=upper)
    (a,) = float_operands("cholesky", a)
    low = P.cholesky(P.symmetrize(a))
    return P.mH(low) if upper else low


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending, real) and eigenvectors (columns) of a symmetric or complex
    Hermitian ``a``, like ``numpy.linalg.eigh``.

    Like [`cholesky`][ftrans.numpy.linalg.cholesky], ftrans uses the Hermitian part ``(a + aᴴ) / 2``
    (``UPLO`` is accepted for NumPy compatibility and changes nothing for Hermitian ``a``).
    Eigenvector derivatives divide by eigenvalue gaps: they are undefined (infinite or NaN) for
    repeated eigenvalues, while eigenvalue derivatives are fine; use
    [`eigvalsh`][ftrans.numpy.linalg.eigvalsh] when only eigenvalues matter. Each eigenvector is
    defined up to a sign (a phase, when complex): differentiate functions that do not depend on it,
    such as ``v diag(f(w)) vᴴ`` or ``abs(v) ** 2``.

    Examples:
        >>> import numpy as np
        >>> import ftrans.numpy as fnp
        >>> w, v = fnp.linalg.eigh(np.array([[2.0, 0.0], [0.0, 1.0]]))
        >>> w.tolist()
        [1.0, 2.0]
    """
    _check_uplo("eigh", UPLO)
    a = matrix("eigh", "a", a, square=True)
    if not tracing():
        return call_numpy("eigh", np.linalg.eigh, a.shape, _sym(a))
    (a,) = float_operands("eigh", a)
    w, v = P.eigh(P.symmetrize(a))
    return EighResult(w, v)


def eigvalsh(a, UPLO="L"):
    """Eigenvalues (ascending, real) of a symmetric or Hermitian ``a``, like
    ``numpy.linalg.eigvalsh``; their derivatives stay finite for repeated eigenvalues."""
    _check_uplo("eigvalsh", UPLO)
    a = matrix("eigvalsh", "a", a, square=True)
    if not tracing():
        return call_numpy("eigvalsh", np.linalg.eigvalsh, a.shape, _sym(a))
    (a,) = float_operands("eigvalsh", a)
    return P.eigvalsh(P.symmetrize(a))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition ``a = U diag(S) Vh``, like ``numpy.linalg.svd``.

    Derivatives, real or complex ``a``: singular values always; ``U`` and ``Vh`` need distinct
    (and, for non-square or complex ``a``, nonzero) singular values and ``full_matrices=False``
    unless ``a`` is square (the extra columns of a full ``U`` or rows of ``Vh`` are not unique).
    Singular vectors are defined up to a sign (a phase, when complex) shared by ``U[:, j]`` and
    ``Vh[j]``: differentiate functions that do not depend on it. ``hermitian=True`` is
    NumPy-only.

    Examples:
        >>> import numpy as np
        >>> import ftrans.numpy as fnp
        >>> fnp.linalg.svd(np.diag([3.0, 4.0]), compute_uv=False).tolist()
        [4.0, 3.0]
    """
    a = matrix("svd", "a", a)
    if not tracing():
        return call_numpy(
            "svd", np.linalg.svd, a.shape, a, full_matrices, compute_uv, hermitian=hermitian
        )
    if hermitian:
        raise UnsupportedError(
            f"svd(hermitian=True) is not traceable (at {where()}); use hermitian=False (the same "
            "singular values) or eigh for a symmetric matrix."
        )
    (a,) = float_operands("svd", a)
    out = P.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return SVDResult(*out) if compute_uv else out[0]


def svdvals(x, /):
    """Singular values in descending order, like ``numpy.linalg.svdvals``."""
    x = matrix("svdvals", "x", x)
    if not tracing():
        return call_numpy("svdvals", np.linalg.svdvals, x.shape, x)
    (x,) = float_operands("svdvals", x)
    return P.svd(x, compute_uv=False)[0]


def qr(a, mode="reduced"):
    """QR decomposition, like ``numpy.linalg.qr``: ``mode`` is ``'reduced'``, ``'complete'`` or
    ``'r'`` (``'raw'`` is NumPy-only). Differentiable for every shape except the complete ``Q``
    of a tall matrix (its extra columns are not unique).

    Examples:
        >>> import numpy as np
        >>> import ftrans.numpy as fnp
        >>> q, r = fnp.linalg.qr(np.eye(2))
        >>> np.allclose(q @ r, np.eye(2))
        True
    """
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(
            f"qr: unrecognized mode {mode!r} (at {where()}); use 'reduced', 'complete' or 'r'."
        )
    a = matrix("qr", "a", a)
    if not tracing():
        return call_numpy("qr", np.linalg.qr, a.shape, a, mode)
    if mode == "raw":
        raise UnsupportedError(
            f"qr(mode='raw') returns LAPACK's Householder data and is not traceable (at "
            f"{where()}); use mode='reduced'."
        )
    (a,) = float_operands("qr", a)
    q, r = P.qr(a, complete=mode == "complete")
    return r if mode == "r" else QRResult(q, r)
