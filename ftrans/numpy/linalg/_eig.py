"""``eig`` and ``eigvals`` for general square matrices (complex results, JAX's derivatives)."""

from __future__ import annotations

import numpy as np

from ftrans.numpy.linalg._common import float_operands, matrix, tracing
from ftrans.primitives import eig as P


def _complex(x):
    return x.astype(np.result_type(x.dtype, np.complex64), copy=False)


def eig(a):
    """Eigenvalues and right eigenvectors (unit-norm columns) of a general square ``a``.

    Both are complex arrays for every input dtype (as in JAX; NumPy returns real arrays when
    the eigenvalues happen to be real, a value-dependent dtype a transformation cannot
    follow). Each eigenvector is defined only up to a complex scale, so, like JAX, ``eig`` is
    not differentiable: differentiate `eigvals`, or use [`eigh`][ftrans.numpy.linalg.eigh] for
    symmetric or Hermitian matrices.

    Examples:
        >>> import numpy as np
        >>> import ftrans.numpy as fnp
        >>> w, v = fnp.linalg.eig(np.array([[2.0, 0.0], [0.0, 3.0]]))
        >>> w.tolist()
        [(2+0j), (3+0j)]
    """
    a = matrix("eig", "a", a, square=True)
    if not tracing():
        w, v = np.linalg.eig(a)
        return _complex(w), _complex(v)
    (a,) = float_operands("eig", a)
    w, v = P.eig(a)
    return w, v


def eigvals(a):
    """Eigenvalues (complex) of a general square ``a``; differentiable to first order, with
    ``dw = diag(V⁻¹ dA V)`` (JAX's rule; undefined where eigenvalues repeat).

    Examples:
        >>> import numpy as np
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> a = np.array([[0.0, 1.0], [-2.0, -3.0]])
        >>> sorted(fnp.linalg.eigvals(a).real.tolist())
        [-2.0, -1.0]
        >>> ft.grad(lambda m: fnp.real(fnp.sum(fnp.linalg.eigvals(m))))(a).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    a = matrix("eigvals", "a", a, square=True)
    if not tracing():
        return _complex(np.linalg.eig(a)[0])
    (a,) = float_operands("eigvals", a)
    return P.eigvals(a)
