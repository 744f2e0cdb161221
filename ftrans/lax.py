"""``ftrans.lax``: the primitives as functions, for code that wants exact control.

Unlike ``ftrans.numpy`` these do no dtype promotion and no broadcasting (a rank-0 operand of a
binary elementwise op is the only exception): operands must already agree.
"""

from __future__ import annotations

import enum
import typing

from ftrans.control_flow import (
    BranchMismatchError,
    CarryMismatchError,
    WhileLoopReverseError,
    cond,
    fori_loop,
    scan,
    switch,
    while_loop,
)
from ftrans.lax_accuracy import (
    AccuracyMode,
    Tolerance,
    cbrt,
    cos,
    exp,
    exp2,
    expm1,
    log,
    log1p,
    logistic,
    rsqrt,
    sin,
    sqrt,
    tan,
    tanh,
)
from ftrans.lax_indexing import (
    GatherDimensionNumbers,
    GatherScatterMode,
    ScatterDimensionNumbers,
    gather,
    scatter,
    scatter_add,
    scatter_apply,
    scatter_max,
    scatter_min,
    scatter_mul,
    scatter_sub,
)
from ftrans.lax_misc import (
    FftType,
    Token,
    after_all,
    composite,
    create_token,
    dce_sink,
    dtype,
    empty,
    fft,
    optimization_barrier,
    platform_dependent,
    stage,
    with_sharding_constraint,
)
from ftrans.lax_ragged import RaggedDotDimensionNumbers, ragged_dot, ragged_dot_general
from ftrans.lax_rng import RandomAlgorithm, rng_bit_generator
from ftrans.lax_solvers import custom_linear_solve, custom_root
from ftrans.lax_windowed import (
    associative_scan,
    cumlogsumexp,
    reduce,
    reduce_window,
    reduce_window_max,
    reduce_window_min,
    reduce_window_shape_tuple,
    reduce_window_sum,
)
from ftrans.lax_wrappers import (
    RoundingMethod,
    argmax,
    argmin,
    batch_matmul,
    bitcast_convert_type,
    bitwise_not,
    broadcast,
    broadcast_in_dim,
    broadcast_like,
    broadcast_shapes,
    broadcast_to_rank,
    broadcasted_iota,
    clamp,
    clz,
    collapse,
    concatenate,
    convert_element_type,
    cummax,
    cummin,
    cumprod,
    cumsum,
    dot,
    dynamic_index_in_dim,
    dynamic_slice_in_dim,
    dynamic_update_index_in_dim,
    dynamic_update_slice_in_dim,
    expand_dims,
    full,
    full_like,
    index_in_dim,
    index_take,
    integer_pow,
    iota,
    pad,
    population_count,
    reciprocal,
    reduce_and,
    reduce_max,
    reduce_min,
    reduce_or,
    reduce_prod,
    reduce_sum,
    reduce_xor,
    reshape,
    rev,
    round,
    select_n,
    shift_right_arithmetic,
    shift_right_logical,
    slice,
    slice_in_dim,
    split,
    square,
    squeeze,
    stack,
    tie_in,
    tile,
    transpose,
    unstack,
)
from ftrans.primitives.bits import mulhi, nextafter, reduce_precision
from ftrans.primitives.collectives import (
    all_gather,
    all_to_all,
    axis_index,
    axis_size,
    pbroadcast,
    pcast,
    pmax,
    pmean,
    pmin,
    ppermute,
    pshuffle,
    psum,
    psum_scatter,
    pswapaxes,
)
from ftrans.primitives.conv_api import (
    ConvDimensionNumbers,
    conv,
    conv_dimension_numbers,
    conv_general_dilated,
    conv_general_dilated_local,
    conv_general_dilated_patches,
    conv_general_permutations,
    conv_general_shape_tuple,
    conv_shape_tuple,
    conv_transpose,
    conv_transpose_shape_tuple,
    conv_with_general_padding,
    padtype_to_pads,
)
from ftrans.primitives.dot import dot_general
from ftrans.primitives.dynamic import dynamic_slice, dynamic_update_slice
from ftrans.primitives.elementwise import (
    abs_ as abs,
)
from ftrans.primitives.elementwise import (
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    ceil,
    conj,
    cosh,
    div,
    eq,
    floor,
    floor_divide,
    ge,
    gt,
    imag,
    is_finite,
    le,
    log2,
    log10,
    logaddexp,
    logical_not,
    lt,
    mul,
    ne,
    neg,
    pow_,
    real,
    rem,
    select,
    shift_left,
    shift_right,
    sign,
    sinh,
    sub,
    trunc,
)
from ftrans.primitives.elementwise import (
    complex_ as complex,
)
from ftrans.primitives.elementwise import (
    max_ as max,
)
from ftrans.primitives.elementwise import (
    min_ as min,
)
from ftrans.primitives.elementwise import stop_gradient as _stop_gradient_leaf
from ftrans.primitives.indexing import take_along_axis
from ftrans.primitives.reductions import argsort
from ftrans.primitives.shape import slice_
from ftrans.primitives.sorting import approx_max_k, approx_min_k, sort, sort_key_val, top_k

pow = pow_

from ftrans import lax_linalg as linalg  # noqa: E402  (ftrans.lax.linalg)
from ftrans.primitives.special import (  # noqa: E402
    bessel_i0e,
    bessel_i1e,
    betainc,
    digamma,
    erf,
    erf_inv,
    erfc,
    igamma,
    igamma_grad_a,
    igammac,
    lgamma,
    polygamma,
    random_gamma_grad,
    regularized_incomplete_beta,
    zeta,
)


class DotAlgorithmPreset(enum.Enum):
    """Named dot-product algorithms (JAX's enum), accepted as ``precision=`` and ignored like
    [`Precision`][ftrans.lax.Precision]: NumPy computes in the operands' dtype."""

    DEFAULT = enum.auto()
    ANY_F8_ANY_F8_F32 = enum.auto()
    ANY_F8_ANY_F8_F32_FAST_ACCUM = enum.auto()
    ANY_F8_ANY_F8_ANY = enum.auto()
    ANY_F8_ANY_F8_ANY_FAST_ACCUM = enum.auto()
    F16_F16_F16 = enum.auto()
    F16_F16_F32 = enum.auto()
    BF16_BF16_BF16 = enum.auto()
    BF16_BF16_F32 = enum.auto()
    BF16_BF16_F32_X3 = enum.auto()
    BF16_BF16_F32_X6 = enum.auto()
    BF16_BF16_F32_X9 = enum.auto()
    TF32_TF32_F32 = enum.auto()
    TF32_TF32_F32_X3 = enum.auto()
    F32_F32_F32 = enum.auto()
    F64_F64_F64 = enum.auto()


class DotAlgorithm(typing.NamedTuple):
    """An explicit dot-product algorithm (JAX's fields), accepted as ``precision=`` and
    ignored."""

    lhs_precision_type: typing.Any
    rhs_precision_type: typing.Any
    accumulation_type: typing.Any
    lhs_component_count: int = 1
    rhs_component_count: int = 1
    num_primitive_operations: int = 1
    allow_imprecise_accumulation: bool = False


class Precision(enum.Enum):
    """Matrix-product precision, as in JAX. Accepted for compatibility: NumPy computes every
    product in the operands' own dtype, so all three values behave the same."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    def __str__(self) -> str:
        return self.name


def stop_gradient(x):
    """``x`` (an array or a pytree of arrays) with its derivative cut: a constant to every
    transformation, as ``jax.lax.stop_gradient``.

    Example:
        >>> import ftrans
        >>> from ftrans import lax
        >>> ftrans.grad(lambda x: x * lax.stop_gradient(x))(3.0)
        array(3.)
    """
    from ftrans import tree

    return tree.map(_stop_gradient_leaf, x)


def map(f, xs, *, batch_size=None):
    """``stack([f(x) for x in xs])`` over the leading axis of the pytree ``xs``, as a ``scan``
    (one compiled body, sequential), as ``jax.lax.map``. With ``batch_size``, ``f`` is
    ``vmap``-ed over chunks of that many elements, the chunks looped over.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.map(lambda x: x * 2, np.arange(5.0), batch_size=2)
        array([0., 2., 4., 6., 8.])
    """
    from ftrans import tree
    from ftrans.mapping import vmap

    leaves = tree.leaves(xs)
    if not leaves:
        raise ValueError("lax.map needs at least one array in xs")
    n = leaves[0].shape[0] if leaves[0].shape else None
    if n is None or any(len(x.shape) == 0 or x.shape[0] != n for x in leaves):
        raise ValueError(
            "lax.map: every array in xs needs the same leading axis length, got shapes "
            f"{[tuple(x.shape) for x in leaves]}"
        )
    if batch_size is None or batch_size >= n:
        if batch_size is not None and n:
            return vmap(f)(xs)
        _, ys = scan(lambda carry, x: (carry, f(x)), None, xs)
        return ys
    if batch_size < 1:
        raise ValueError(f"lax.map: batch_size must be positive, got {batch_size}")
    chunks, rest = divmod(n, batch_size)
    head = tree.map(
        lambda x: reshape(
            slice_in_dim(x, 0, chunks * batch_size), (chunks, batch_size, *x.shape[1:])
        ),
        xs,
    )
    _, ys = scan(lambda carry, x: (carry, vmap(f)(x)), None, head)
    ys = tree.map(lambda y: reshape(y, (chunks * batch_size, *y.shape[2:])), ys)
    if rest:
        tail = vmap(f)(tree.map(lambda x: slice_in_dim(x, chunks * batch_size, n), xs))
        ys = tree.map(lambda a, b: concatenate([a, b], 0), ys, tail)
    return ys


PrecisionLike = Precision | str | DotAlgorithm | DotAlgorithmPreset | tuple | None
DotDimensionNumbers = tuple[
    tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]
]
ConvGeneralDilatedDimensionNumbers = tuple[str, str, str] | ConvDimensionNumbers | None


_POINT_TO_POINT = (
    "one-sided send/receive between named-axis members (shard_map's psend/precv) has no vmap "
    "meaning; use ppermute (every member sends and receives in one collective), or "
    "ftrans.distributed's process axis with ppermute"
)
_RAGGED = (
    "ragged_all_to_all (variable-size chunks with offsets) is not implemented; pad the chunks "
    "to one size and use all_to_all(..., tiled=True)"
)

#: jax.lax names ftrans.lax deliberately lacks, and why (tests/test_lax_coverage.py checks
#: every other public jax.lax callable exists).
UNSUPPORTED: dict[str, str] = {
    "psend": _POINT_TO_POINT,
    "precv": _POINT_TO_POINT,
    "ragged_all_to_all": _RAGGED,
    "rng_uniform": "stateful and discouraged in JAX itself; use ftrans.random.uniform with a key",
    "scaled_dot": "block-scaled (MX) low-precision formats do not exist in NumPy; use lax.dot "
    "(or lax.dot_general) on the dequantized operands",
    "shape_as_value": "shapes are plain Python ints in ftrans (no symbolic dimensions); use the "
    "shape itself, e.g. np.array(x.shape)",
}


def __getattr__(name: str):
    if name in UNSUPPORTED:
        raise AttributeError(f"ftrans.lax.{name} is not available: {UNSUPPORTED[name]}")
    raise AttributeError(f"module 'ftrans.lax' has no attribute {name!r}")
