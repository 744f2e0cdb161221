"""Matrix products in native code through NumPy's own BLAS.

numba's ``np.dot`` calls the BLAS that SciPy bundles (through ``scipy.linalg.cython_blas``).
NumPy's wheels bundle their own OpenBLAS build (``scipy-openblas64``, here a newer release than
SciPy's), and the NumPy backend's products call that one. Native code calls it too when it is
there: :func:`gemm` hands the operands' memory to its ``cblas_?gemm``
through a symbol registered with LLVM, so a program's machine code still caches on disk (a
cached program finds the symbol by name when it is loaded). Both backends then run the same
routine on the same operands. bench_native's table of W3's eight products (float32, the
784-512-512-10 MLP's shapes, one core) gave 4.76-4.85 ms this way against 5.50-5.54 ms through
numba's ``np.dot`` (NumPy's own ``@``: 4.85-4.98 ms).

Where NumPy's BLAS is not found (a NumPy built against another BLAS), :data:`AVAILABLE` is
False and generated code keeps ``np.dot``.
"""

from __future__ import annotations

import ctypes
import hashlib
import os

import numba
import numpy as np
from llvmlite import binding as llvm
from numba.core import types
from numba.extending import overload

with open(os.path.abspath(__file__), "rb") as _f:
    VERSION = hashlib.sha256(_f.read()).hexdigest()[:16]

#: NumPy's CBLAS entry points: the ILP64 OpenBLAS of its PyPI wheels (64-bit integers)
SYMBOLS = {"s": "scipy_cblas_sgemm64_", "d": "scipy_cblas_dgemm64_"}
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # CBLAS's enumerations


def _numpy_blas() -> dict[str, int] | None:
    """The addresses of NumPy's ``cblas_sgemm`` and ``cblas_dgemm``, or None."""
    try:
        from numpy._core import _multiarray_umath
    except ImportError:
        return None
    try:
        # looked up through NumPy's extension module: its BLAS is one of its dependencies
        lib = ctypes.CDLL(_multiarray_umath.__file__)
        return {c: ctypes.cast(getattr(lib, s), ctypes.c_void_p).value for c, s in SYMBOLS.items()}
    except (OSError, AttributeError):
        return None


_ADDRESSES = _numpy_blas()
#: whether native code calls NumPy's BLAS for its products (else numba's ``np.dot``)
AVAILABLE = _ADDRESSES is not None
if AVAILABLE:
    for _c, _address in _ADDRESSES.items():
        llvm.add_symbol(f"ftrans_cblas_{_c}gemm", _address)


def _external(c: str, scalar):
    i32, i64, ptr = types.int32, types.int64, types.voidptr
    signature = types.void(
        i32, i32, i32, i64, i64, i64, scalar, ptr, i64, ptr, i64, scalar, ptr, i64
    )  # order, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
    return types.ExternalFunction(f"ftrans_cblas_{c}gemm", signature)


_sgemm = _external("s", types.float32)
_dgemm = _external("d", types.float64)


@numba.njit(cache=True, nogil=True)
def _layout(x, rows, cols):
    """``(transpose flag, leading dimension)`` of a 2-D operand of shape (rows, cols) in C
    order or the transpose of C order; ``(0, 0)`` for another layout."""
    if x.flags.c_contiguous:
        return _NO_TRANS, max(cols, 1)
    if x.flags.f_contiguous:
        return _TRANS, max(rows, 1)
    return 0, 0


def _cblas_gemm(transa, transb, m, n, k, a, lda, b, ldb, out):
    """``out = a @ b`` by NumPy's ``cblas_?gemm`` of ``out``'s dtype (native code only)."""


@overload(_cblas_gemm)
def _cblas_gemm_native(transa, transb, m, n, k, a, lda, b, ldb, out):
    cblas, scalar = {types.float32: (_sgemm, np.float32), types.float64: (_dgemm, np.float64)}[
        out.dtype
    ]
    one, zero = scalar(1), scalar(0)

    def call(transa, transb, m, n, k, a, lda, b, ldb, out):
        cblas(_ROW_MAJOR, transa, transb, m, n, k, one, a.ctypes, lda, b.ctypes, ldb, zero,
              out.ctypes, n)  # fmt: skip

    return call


@numba.njit(cache=True, nogil=True, error_model="numpy")
def gemm(a, b):
    """``a @ b`` of 2-D float32 or float64 ``a`` (m, k) and ``b`` (k, n), each in C order or
    the transpose of C order (other layouts go through ``np.dot``, which copies them)."""
    m, k = a.shape
    n = b.shape[1]
    transa, lda = _layout(a, m, k)
    transb, ldb = _layout(b, k, n)
    if transa == 0 or transb == 0 or m == 0 or n == 0 or k == 0:
        return np.dot(a, b)
    out = np.empty((m, n), a.dtype)
    _cblas_gemm(transa, transb, m, n, k, a, lda, b, ldb, out)
    return out
