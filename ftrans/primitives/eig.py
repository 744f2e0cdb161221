"""``eig`` and ``eigvals``: eigenvalues (and right eigenvectors) of a general square matrix, as
complex arrays whatever the input dtype (the output dtype cannot depend on the values).

Derivatives follow JAX: eigenvalues differentiate, ``dw = diag(V⁻¹ dA V)`` (to first order: the
rule needs the eigenvectors, whose own derivative is not defined uniquely); asking for the
derivative of the eigenvectors is an error that says so.
"""

from __future__ import annotations

import numpy as np

from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Zero, get_aval
from ftrans.errors import ShapeError, UnsupportedError
from ftrans.primitives import elementwise as ew
from ftrans.primitives.linalg import batch_in_front, diag_part, mm, solve


def _complex(dtype):
    return np.result_type(dtype, np.complex64)


def _eig_impl(a):
    w, v = np.linalg.eig(a)
    c = _complex(a.dtype)
    return [w.astype(c, copy=False), v.astype(c, copy=False)]


def _eig_aval(a):
    if len(a.shape) < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"eig: expected a stack of square matrices (..., n, n), got {a.shape}")
    if not np.issubdtype(a.dtype, np.inexact):
        raise TypeError(f"eig: expected a floating-point or complex matrix, got {a.dtype}")
    c = _complex(a.dtype)
    return [ShapedArray(a.shape[:-1], c), ShapedArray(a.shape, c)]


def _eigenvalue_tangent(a, t):
    """``diag(V⁻¹ dA V)`` for the eigenvectors V of ``a``."""
    _, v = eig(a)
    dtype = get_aval(v).dtype
    if get_aval(t).dtype != dtype:
        t = ew.convert_element_type(t, new_dtype=dtype)
    return diag_part(solve(v, mm(t, v)))


def _eig_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    out = eig(a)
    if type(t) is Zero:
        return out, [Zero.like(o) for o in out]
    raise UnsupportedError(
        "eig: the eigenvectors of a non-symmetric matrix have no unique derivative (each is "
        "defined up to a complex scale), so ftrans, like JAX, does not differentiate eig. "
        "Differentiate ftrans.numpy.linalg.eigvals for the eigenvalues, or use eigh for "
        "symmetric/Hermitian matrices."
    )


eig_p = Primitive("eig", multiple_results=True)
numpy_only("LAPACK through NumPy (complex results; the native backend is real-only)", eig_p)
eig_p.impl = _eig_impl
eig_p.abstract_eval = _eig_aval
eig_p.jvp = _eig_jvp
eig_p.batch = batch_in_front(eig_p)


def eig(a):
    return eig_p.bind(a)


def _eigvals_impl(a):
    # eig's own eigenvalues, so that the order matches the eigenvectors the JVP uses
    return _eig_impl(a)[0]


def _eigvals_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    w = eigvals(a)
    if type(t) is Zero:
        return w, Zero.like(w)
    return w, _eigenvalue_tangent(a, t)


eigvals_p = Primitive("eigvals")
numpy_only("LAPACK through NumPy (complex results; the native backend is real-only)", eigvals_p)
eigvals_p.impl = _eigvals_impl
eigvals_p.abstract_eval = lambda a: _eig_aval(a)[0]
eigvals_p.jvp = _eigvals_jvp
eigvals_p.batch = batch_in_front(eigvals_p)
eigvals = eigvals_p.bind
