"""``ftrans.lax``: the primitives as functions, for code that wants exact control.

Unlike ``ftrans.numpy`` these do no dtype promotion and no broadcasting (a rank-0 operand of a
binary elementwise op is the only exception): operands must already agree.
"""

from __future__ import annotations

import enum

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
from ftrans.primitives.conv_api import (
    ConvDimensionNumbers,
    conv,
    conv_dimension_numbers,
    conv_general_dilated,
    conv_general_permutations,
    conv_general_shape_tuple,
    conv_shape_tuple,
    conv_transpose,
    conv_transpose_shape_tuple,
    conv_with_general_padding,
    padtype_to_pads,
)
from ftrans.primitives.dot import dot_general
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
    cbrt,
    ceil,
    conj,
    convert_element_type,
    cos,
    cosh,
    div,
    eq,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    ge,
    gt,
    imag,
    integer_pow,
    is_finite,
    le,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logical_not,
    logistic,
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
    sin,
    sinh,
    sqrt,
    stop_gradient,
    sub,
    tan,
    tanh,
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
from ftrans.primitives.elementwise import (
    round_ as round,
)
from ftrans.primitives.indexing import (
    gather,
    scatter,
    scatter_add,
    scatter_max,
    scatter_min,
    scatter_mul,
    take_along_axis,
)
from ftrans.primitives.reductions import (
    argmax,
    argmin,
    argsort,
    cummax,
    cummin,
    cumprod,
    cumsum,
    reduce_and,
    reduce_max,
    reduce_min,
    reduce_or,
    reduce_prod,
    reduce_sum,
)
from ftrans.primitives.shape import (
    broadcast_in_dim,
    concatenate,
    pad,
    reshape,
    rev,
    slice_,
    squeeze,
    transpose,
)

pow = pow_

from ftrans import lax_linalg as linalg  # noqa: E402  (ftrans.lax.linalg)


class Precision(enum.Enum):
    """Matrix-product precision, as in JAX. Accepted for compatibility: NumPy computes every
    product in the operands' own dtype, so all three values behave the same."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    def __str__(self) -> str:
        return self.name
