r"""``ftrans.numpy.linalg``: NumPy's linear algebra, traceable and differentiable.

Outside transformations every function is ``numpy.linalg`` itself (after the same argument
checks). Inside ``grad``/``jvp``/``vmap``/``jit`` each decomposition is one primitive of
[`ftrans.primitives.linalg`][ftrans.primitives.linalg] (LAPACK through NumPy), and the rest is
composed from them. Real (float32/float64) and complex (complex64/complex128) matrices, batched over
leading dimensions ``(..., n, n)`` like NumPy; derivatives of complex inputs follow ftrans's
gradient convention ($\partial f / \partial x - i \, \partial f / \partial y$, as in JAX).
"""

from __future__ import annotations

from numpy.linalg import LinAlgError

from ftrans.numpy.linalg._array_api import (
    cond,
    cross,
    diagonal,
    matmul,
    matrix_rank,
    matrix_transpose,
    outer,
    tensordot,
    trace,
    vecdot,
)
from ftrans.numpy.linalg._decompositions import (
    EighResult,
    QRResult,
    SVDResult,
    cholesky,
    eigh,
    eigvalsh,
    qr,
    svd,
    svdvals,
)
from ftrans.numpy.linalg._eig import eig, eigvals
from ftrans.numpy.linalg._norm import matrix_norm, norm, vector_norm
from ftrans.numpy.linalg._solve import (
    SlogdetResult,
    det,
    inv,
    lstsq,
    matrix_power,
    multi_dot,
    pinv,
    slogdet,
    solve,
    tensorinv,
    tensorsolve,
)

__all__ = [
    "EighResult",
    "LinAlgError",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
]


def __getattr__(name):
    from ftrans.numpy._absent import missing

    raise missing(__name__, name)
