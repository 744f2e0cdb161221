"""``ftrans.lax.linalg``: the linear-algebra primitives as functions, plus SciPy-style
``solve_triangular``.

Like the rest of ``ftrans.lax`` these do no dtype promotion: operands are real float32/float64
stacks of matrices with equal leading dimensions. ``ftrans.numpy.linalg`` is the NumPy-style
layer on top.
"""

from __future__ import annotations

import numpy as np

from ftrans.core import shape_of
from ftrans.errors import ShapeError, format_frame, user_frame
from ftrans.numpy._util import broadcast_to_shape, cast, to_operand
from ftrans.primitives.linalg import (
    cholesky,
    eigh,
    eigvalsh,
    inverse,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    triangular_solve,
)
from ftrans.primitives.shape import reshape

__all__ = [
    "cholesky",
    "eigh",
    "eigvalsh",
    "inverse",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "triangular_solve",
]

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    """Solve ``a x = b`` (``trans=1``/``'T'``: ``aᵀ x = b``) for a triangular ``a``, with the
    arguments of ``scipy.linalg.solve_triangular``: only the ``lower`` (default: upper)
    triangle of ``a`` is read, and ``unit_diagonal=True`` takes its diagonal to be ones.

    ``a`` is (..., n, n); ``b`` is (n,) or (..., n, k), batch dimensions broadcast. Linear in
    ``b``; differentiable in both. LAPACK-free in the sense that NumPy has no ``trsm``: blocks of
    48 rows are solved by ``numpy.linalg.solve`` and the rest is matrix products, O(n² k).

    Examples:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.linalg.solve_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([2.0, 3.0]),
        ...                             lower=True).tolist()
        [1.0, 2.0]
    """
    if trans not in _TRANS:
        raise ValueError(
            f"solve_triangular: trans must be 0/'N', 1/'T' or 2/'C', got {trans!r} (at "
            f"{format_frame(user_frame())})."
        )
    a, b = to_operand(a), to_operand(b)
    a = np.asarray(a) if type(a) in (float, int, bool) else a
    b = np.asarray(b) if type(b) in (float, int, bool) else b
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) < 2 or sa[-1] != sa[-2]:
        raise ShapeError(
            f"solve_triangular: a must be square in its last two dimensions (..., n, n), got "
            f"shape {sa} (at {format_frame(user_frame())})."
        )
    n = sa[-1]
    vector = len(sb) == 1
    if not sb or sb[0 if vector else -2] != n:
        raise ShapeError(
            f"solve_triangular: b {sb} does not fit a {sa}: b must be ({n},) or (..., {n}, k) "
            f"(at {format_frame(user_frame())})."
        )
    dtype = np.result_type(a.dtype, b.dtype, np.float32)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"solve_triangular: expected real matrices, got {a.dtype} and {b.dtype}")
    a, b = cast(a, dtype), cast(b, dtype)
    if vector:
        b = reshape(b, new_sizes=(n, 1))
    lead = np.broadcast_shapes(sa[:-2], shape_of(b)[:-2])
    a = broadcast_to_shape(a, lead + (n, n))
    b = broadcast_to_shape(b, lead + shape_of(b)[-2:])
    x = triangular_solve(a, b, lower=lower, transpose_a=_TRANS[trans], unit_diagonal=unit_diagonal)
    return reshape(x, new_sizes=shape_of(x)[:-1]) if vector else x
