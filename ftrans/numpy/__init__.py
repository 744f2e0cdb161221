"""``ftrans.numpy``: the NumPy API, traceable and differentiable, built on ftrans primitives.

Outside any transformation every function is a thin pass-through to NumPy, so eager code runs
at NumPy speed and returns plain ``numpy.ndarray``s. Inside ``grad``/``jvp``/``vmap``/``jit`` the
same calls bind primitives with NumPy 2's dtype promotion (Python scalars are weak) and
broadcasting rules.
"""

from __future__ import annotations

import numpy as _np

# dtypes and constants, re-exported from NumPy so `fnp.float32`, `fnp.pi` read naturally
from numpy import (
    bool_,
    complex64,
    complex128,
    dtype,
    e,
    float16,
    float32,
    float64,
    inf,
    int8,
    int16,
    int32,
    int64,
    nan,
    ndarray,
    newaxis,
    pi,
    uint8,
    uint32,
    uint64,
)

from ftrans import core as _core
from ftrans.numpy._creation import (
    arange,
    array,
    asarray,
    copy,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    identity,
    linspace,
    meshgrid,
    ones,
    ones_like,
    tri,
    zeros,
    zeros_like,
)
from ftrans.numpy._indexing import IndexUpdateHelper, IndexUpdateRef, at, getitem
from ftrans.numpy._linalg import (
    diagonal,
    dot,
    einsum,
    inner,
    matmul,
    outer,
    tensordot,
    trace,
    vdot,
)
from ftrans.numpy._math import (
    abs,
    absolute,
    acos,
    acosh,
    add,
    angle,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    around,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    cbrt,
    ceil,
    clip,
    conj,
    conjugate,
    cos,
    cosh,
    deg2rad,
    degrees,
    divide,
    equal,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    imag,
    invert,
    iscomplexobj,
    isfinite,
    isinf,
    isnan,
    left_shift,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    positive,
    pow,
    power,
    rad2deg,
    radians,
    real,
    reciprocal,
    remainder,
    right_shift,
    rint,
    round,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    true_divide,
    trunc,
    where,
)
from ftrans.numpy._reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    cumprod,
    cumsum,
    max,
    mean,
    min,
    prod,
    sort,
    std,
    sum,
    take,
    take_along_axis,
    var,
)
from ftrans.numpy._shape import (
    array_split,
    atleast_1d,
    atleast_2d,
    broadcast_arrays,
    broadcast_to,
    concatenate,
    expand_dims,
    flip,
    fliplr,
    flipud,
    hstack,
    moveaxis,
    permute_dims,
    ravel,
    repeat,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    vstack,
)

bool = bool_


def astype(x, dtype, /, *, copy=True):  # noqa: F811  (NumPy's argument names)
    """``x`` converted to ``dtype`` (traceable ``x.astype(dtype)``)."""
    if not _core._stack:
        return _np.asarray(x).astype(dtype, copy=copy)
    from ftrans.numpy._util import cast, to_operand

    x = to_operand(x)
    if type(x) in (float, int, complex) or isinstance(x, _np.generic):
        x = _np.asarray(x)
    return cast(x, _np.dtype(dtype))


def ndim(a):
    return len(_core.shape_of(a)) if isinstance(a, _core.Tracer) else _np.ndim(a)


def shape(a):
    return _core.shape_of(a) if isinstance(a, _core.Tracer) else _np.shape(a)


def size(a, axis=None):
    s = shape(a)
    return int(_np.prod(s, dtype=_np.int64)) if axis is None else s[axis]


def result_type(*arrays_and_dtypes):
    return _np.result_type(
        *[a.dtype if isinstance(a, _core.Tracer) else a for a in arrays_and_dtypes]
    )


def isscalar(x):
    return _np.isscalar(x)


import sys as _sys  # noqa: E402

_core._fnp = _sys.modules[__name__]  # tracer operators and methods delegate here

# the submodules, like numpy.fft and numpy.linalg
from ftrans.numpy import (  # noqa: E402
    fft,
    linalg,
)
