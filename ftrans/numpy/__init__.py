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

# the rest of jax.numpy (these modules call the functions above through this package)
from ftrans.numpy._dtypes import SCALAR_TYPES as _SCALAR_TYPES  # noqa: E402
from ftrans.numpy._dtypes import (  # noqa: E402
    array_repr,
    array_str,
    broadcast_shapes,
    can_cast,
    einsum_path,
    finfo,
    from_dlpack,
    frombuffer,
    fromfile,
    fromiter,
    frompyfunc,
    fromstring,
    get_printoptions,
    iinfo,
    isdtype,
    issubdtype,
    iterable,
    load,
    printoptions,
    promote_types,
    save,
    savez,
    set_printoptions,
    ufunc,
)
from ftrans.numpy._dtypes import install_ufunc_methods as _install_ufunc_methods  # noqa: E402
from ftrans.numpy._index_tricks import (  # noqa: E402
    apply_along_axis,
    apply_over_axes,
    c_,
    choose,
    fromfunction,
    geomspace,
    index_exp,
    indices,
    ix_,
    logspace,
    mgrid,
    ogrid,
    packbits,
    piecewise,
    place,
    put,
    put_along_axis,
    r_,
    ravel_multi_index,
    s_,
    select,
    unpackbits,
    unravel_index,
    vectorize,
)
from ftrans.numpy._manipulation import (  # noqa: E402
    append,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block,
    column_stack,
    concat,
    cross,
    delete,
    diag,
    diag_indices,
    diag_indices_from,
    diagflat,
    diff,
    dsplit,
    dstack,
    ediff1d,
    fill_diagonal,
    gradient,
    hsplit,
    insert,
    kron,
    mask_indices,
    matrix_transpose,
    matvec,
    pad,
    resize,
    rollaxis,
    rot90,
    trapezoid,
    tril,
    tril_indices,
    tril_indices_from,
    trim_zeros,
    triu,
    triu_indices,
    triu_indices_from,
    unstack,
    unwrap,
    vecdot,
    vecmat,
    vsplit,
)
from ftrans.numpy._math_extra import (  # noqa: E402
    allclose,
    array_equal,
    array_equiv,
    bitwise_count,
    bitwise_invert,
    bitwise_left_shift,
    bitwise_right_shift,
    copysign,
    divmod,
    fabs,
    float_power,
    fmax,
    fmin,
    fmod,
    frexp,
    gcd,
    heaviside,
    hypot,
    i0,
    isclose,
    iscomplex,
    isneginf,
    isposinf,
    isreal,
    isrealobj,
    lcm,
    ldexp,
    modf,
    nan_to_num,
    nextafter,
    signbit,
    sinc,
    sort_complex,
    spacing,
)
from ftrans.numpy._polynomial import (  # noqa: E402
    bartlett,
    blackman,
    convolve,
    correlate,
    hamming,
    hanning,
    kaiser,
    poly,
    polyadd,
    polyder,
    polydiv,
    polyfit,
    polyint,
    polymul,
    polysub,
    polyval,
    roots,
    vander,
)
from ftrans.numpy._set_ops import (  # noqa: E402
    argwhere,
    compress,
    extract,
    flatnonzero,
    intersect1d,
    isin,
    nonzero,
    setdiff1d,
    setxor1d,
    union1d,
    unique,
    unique_all,
    unique_counts,
    unique_inverse,
    unique_values,
)
from ftrans.numpy._sorting import (  # noqa: E402
    argpartition,
    digitize,
    lexsort,
    partition,
    searchsorted,
)
from ftrans.numpy._statistics import (  # noqa: E402
    average,
    bincount,
    corrcoef,
    count_nonzero,
    cov,
    cumulative_prod,
    cumulative_sum,
    histogram,
    histogram2d,
    histogram_bin_edges,
    histogramdd,
    interp,
    median,
    nanargmax,
    nanargmin,
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmedian,
    nanmin,
    nanpercentile,
    nanprod,
    nanquantile,
    nanstd,
    nansum,
    nanvar,
    percentile,
    ptp,
    quantile,
)

globals().update(_SCALAR_TYPES)  # fnp.float32 & co: dtypes that also cast (fnp.float32(t))
bool = bool_
# NumPy's other names for them, and the abstract scalar types (for issubdtype)
cdouble = complex_ = complex128  # (the casting types set just above)
csingle = complex64
double = float_ = float64
single = float32
int_ = int64
uint = uint64
from numpy import (  # noqa: E402
    character,
    complexfloating,
    euler_gamma,
    flexible,
    floating,
    generic,
    inexact,
    integer,
    number,
    object_,
    signedinteger,
    unsignedinteger,
)
from numpy.exceptions import ComplexWarning  # noqa: E402

_install_ufunc_methods()


def __getattr__(name):
    from ftrans.numpy._absent import missing

    raise missing(__name__, name)


# the submodules, like numpy.fft and numpy.linalg
from ftrans.numpy import (  # noqa: E402
    _dispatch,
    fft,
    linalg,
)
