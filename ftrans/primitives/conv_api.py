"""The JAX-shaped convolution functions on top of the canonical ``conv_general_dilated``
primitive: dimension numbers (strings like ``('NHWC', 'HWIO', 'NHWC')`` or
[`ConvDimensionNumbers`][ftrans.lax.ConvDimensionNumbers]), padding strings, ``conv``,
``conv_with_general_padding`` and ``conv_transpose``, and the shape helpers."""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from ftrans.core import get_aval, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives.conv import _dilate, _out_size, conv_canonical
from ftrans.primitives.elementwise import convert_element_type
from ftrans.primitives.shape import rev, transpose


class ConvDimensionNumbers(NamedTuple):
    """Where the batch/feature/spatial axes of a convolution's operands live.

    ``lhs_spec = (batch, feature, *spatial)``, ``rhs_spec = (out_feature, in_feature,
    *spatial)``, ``out_spec = (batch, feature, *spatial)``: axis numbers, as in JAX.

    Example:
        >>> from ftrans import lax
        >>> lax.conv_dimension_numbers((1, 5, 5, 3), (3, 3, 3, 8), ("NHWC", "HWIO", "NHWC"))
        ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """

    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


def conv_general_permutations(dimension_numbers):
    """The axis permutations ``(lhs, rhs, out)`` that a string spec like
    ``('NCHW', 'OIHW', 'NCHW')`` names (spatial axes ordered as in the rhs spec)."""
    rhs_spec = dimension_numbers[1]
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (spec, (a, b)) in enumerate(zip(dimension_numbers, pairs, strict=True)):
        if spec.count(a) != 1 or spec.count(b) != 1:
            raise TypeError(
                f"convolution dimension_numbers[{i}] = {spec!r} must contain {a!r} and {b!r} "
                "exactly once (lhs and out: 'N' and 'C'; rhs: 'O' and 'I')"
            )
        if len(set(spec)) != len(spec):
            raise TypeError(f"convolution dimension_numbers[{i}] = {spec!r} repeats a character")
    spatial = [set(s) - set(p) for s, p in zip(dimension_numbers, pairs, strict=True)]
    if not spatial[0] == spatial[1] == spatial[2]:
        raise TypeError(
            f"convolution dimension_numbers {tuple(dimension_numbers)} must name the same "
            "spatial dimensions in all three specs"
        )

    def perm(spec, pair):
        rest = [i for i, ch in enumerate(spec) if ch not in pair]
        if spec is not rhs_spec:
            rest.sort(key=lambda i: rhs_spec.index(spec[i]))
        return (spec.index(pair[0]), spec.index(pair[1]), *rest)

    return tuple(perm(s, p) for s, p in zip(dimension_numbers, pairs, strict=True))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """``dimension_numbers`` (None, three strings, or
    [`ConvDimensionNumbers`][ftrans.lax.ConvDimensionNumbers]) as a
    [`ConvDimensionNumbers`][ftrans.lax.ConvDimensionNumbers] of axis numbers.

    Example:
        >>> from ftrans import lax
        >>> lax.conv_dimension_numbers((2, 3, 8), (4, 3, 2), None)
        ConvDimensionNumbers(lhs_spec=(0, 1, 2), rhs_spec=(0, 1, 2), out_spec=(0, 1, 2))
    """
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    if len(lhs_shape) != len(rhs_shape):
        raise TypeError(
            f"convolution needs lhs and rhs of one rank, got shapes {tuple(lhs_shape)} and "
            f"{tuple(rhs_shape)}"
        )
    if dimension_numbers is None:
        iota = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(iota, iota, iota)
    if not isinstance(dimension_numbers, (list, tuple)) or len(dimension_numbers) != 3:
        raise TypeError(
            "convolution dimension_numbers must be None, a ConvDimensionNumbers, or three "
            f"strings like ('NCHW', 'OIHW', 'NCHW'); got {dimension_numbers!r}"
        )
    if not all(isinstance(s, str) for s in dimension_numbers):
        if all(isinstance(s, (tuple, list)) for s in dimension_numbers):
            return ConvDimensionNumbers(*(tuple(int(a) for a in s) for s in dimension_numbers))
        raise TypeError(
            f"convolution dimension_numbers must be strings, got {tuple(dimension_numbers)!r}"
        )
    for i, spec in enumerate(dimension_numbers):
        if len(spec) != len(lhs_shape):
            raise TypeError(
                f"convolution dimension_numbers[{i}] = {spec!r} has {len(spec)} characters but "
                f"the operands have rank {len(lhs_shape)} (shapes {tuple(lhs_shape)} and "
                f"{tuple(rhs_shape)})"
            )
    return ConvDimensionNumbers(*conv_general_permutations(tuple(dimension_numbers)))


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """``'SAME'``, ``'SAME_LOWER'`` or ``'VALID'`` as ``(low, high)`` pairs per spatial axis.

    ``'SAME'`` pads so the output has ``ceil(n / stride)`` entries, the odd element at the end;
    ``'SAME_LOWER'`` puts it at the start.

    Example:
        >>> from ftrans import lax
        >>> lax.padtype_to_pads((5, 6), (3, 2), (1, 2), "SAME")
        [(1, 1), (0, 0)]
    """
    if not isinstance(padding, str):
        raise TypeError(f"padding must be 'SAME', 'SAME_LOWER' or 'VALID', got {padding!r}")
    mode = padding.upper()
    if mode == "VALID":
        return [(0, 0)] * len(in_shape)
    if mode not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"padding must be 'SAME', 'SAME_LOWER' or 'VALID', got {padding!r}")
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides, strict=True):
        total = max(0, (-(-n // s) - 1) * s + k - n)
        small, large = total // 2, total - total // 2
        pads.append((small, large) if mode == "SAME" else (large, small))
    return pads


def per_axis_ints(value, n: int, what: str, axes: str, default: int = 1) -> tuple[int, ...]:
    """``value`` (strides, dilations) as ``n`` positive ints, one per axis: None is ``default``
    on each, one int that int on each. In errors ``what`` names the argument and ``axes`` says
    what the ``n`` axes are (``"the convolution has 2 spatial dimensions"``)."""
    if value is None:
        return (default,) * n
    if isinstance(value, int):
        value = (value,) * n
    value = tuple(operator.index(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{what} has {len(value)} entries but {axes}")
    if any(v < 1 for v in value):
        raise ValueError(f"{what} must be positive, got {value}")
    return value


def explicit_padding(padding, in_shape, window, strides, dilation, what: str, axes: str):
    """``padding`` (a padding string or ``(low, high)`` pairs) as ``(low, high)`` pairs, one per
    axis of ``in_shape``; a string pads for the ``window`` dilated by ``dilation``. ``what``
    and ``axes`` word the errors as in `per_axis_ints`."""
    if isinstance(padding, str):
        effective = [_dilate(k, d) for k, d in zip(window, dilation, strict=True)]
        return tuple(padtype_to_pads(in_shape, effective, strides, padding))
    try:
        pads = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{what} must be 'SAME', 'SAME_LOWER', 'VALID' or a sequence of (low, high) integer "
            f"pairs, got {padding!r}"
        ) from err
    if len(pads) != len(in_shape):
        raise ValueError(f"{what} has {len(pads)} (low, high) pairs but {axes}")
    return pads


def _spatial(value, nsp, name):
    return per_axis_ints(value, nsp, name, f"the convolution has {nsp} spatial dimensions")


def _resolve_padding(padding, lhs_spatial, window, strides, rhs_dilation):
    axes = f"the convolution has {len(lhs_spatial)} spatial dimensions"
    return explicit_padding(padding, lhs_spatial, window, strides, rhs_dilation, "padding", axes)


def conv_general_dilated(
    lhs,
    rhs,
    window_strides,
    padding,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    feature_group_count: int = 1,
    batch_group_count: int = 1,
    precision=None,
    preferred_element_type=None,
    out_sharding=None,
):
    """General N-d convolution (cross-correlation, as in deep learning), as in JAX.

    Args:
        lhs: the input, rank ``n + 2``.
        rhs: the kernel, rank ``n + 2``.
        window_strides: ``n`` strides.
        padding: ``'SAME'``, ``'SAME_LOWER'``, ``'VALID'`` or ``n`` ``(low, high)`` pairs
            (negative entries crop).
        lhs_dilation: ``n`` input dilations (transposed convolution), default 1.
        rhs_dilation: ``n`` kernel dilations (atrous convolution), default 1.
        dimension_numbers: None (``NC...``, ``OI...``, ``NC...``), three strings such as
            ``('NHWC', 'HWIO', 'NHWC')``, or a
            [`ConvDimensionNumbers`][ftrans.lax.ConvDimensionNumbers].
        feature_group_count: split the input features into this many groups (depthwise when
            equal to the number of features).
        batch_group_count: split the input batch into this many groups (used by gradients).
        precision: accepted for JAX compatibility; NumPy computes in the operands' dtype.
        preferred_element_type: if given, the operands are converted to it first.
        out_sharding: accepted for JAX compatibility (must be None).

    Returns:
        The output laid out as ``dimension_numbers``' out spec.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> w = np.ones((1, 1, 2, 2))
        >>> lax.conv_general_dilated(x, w, (2, 2), "VALID")[0, 0]
        array([[10., 18.],
               [42., 50.]])
    """
    del precision  # NumPy has one precision per dtype
    if out_sharding is not None:
        raise ValueError("conv_general_dilated: out_sharding is not supported (ftrans is CPU only)")
    lhs_shape, rhs_shape = shape_of(lhs), shape_of(rhs)
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    ndim = len(lhs_shape)
    for name, spec in zip(("lhs_spec", "rhs_spec", "out_spec"), dn, strict=True):
        if sorted(spec) != list(range(ndim)):
            raise ValueError(
                f"conv_general_dilated: dimension_numbers.{name} = {tuple(spec)} is not a "
                f"permutation of the {ndim} axes of shapes {lhs_shape} and {rhs_shape}"
            )
    nsp = ndim - 2
    if preferred_element_type is not None:
        dtype = np.dtype(preferred_element_type)
        if get_aval(lhs).dtype != dtype:
            lhs = convert_element_type(lhs, new_dtype=dtype)
        if get_aval(rhs).dtype != dtype:
            rhs = convert_element_type(rhs, new_dtype=dtype)
    strides = _spatial(window_strides, nsp, "window_strides")
    lhs_d = _spatial(lhs_dilation, nsp, "lhs_dilation")
    rhs_d = _spatial(rhs_dilation, nsp, "rhs_dilation")
    lhs_spatial = [lhs_shape[a] for a in dn.lhs_spec[2:]]
    window = [rhs_shape[a] for a in dn.rhs_spec[2:]]
    if isinstance(padding, str) and any(d != 1 for d in lhs_d):
        raise ValueError(
            "conv_general_dilated: string padding with lhs_dilation is ambiguous; give explicit "
            "(low, high) pairs, or use lax.conv_transpose"
        )
    pads = _resolve_padding(padding, lhs_spatial, window, strides, rhs_d)
    x = transpose(lhs, permutation=dn.lhs_spec)
    w = transpose(rhs, permutation=dn.rhs_spec)
    out = conv_canonical(
        x,
        w,
        window_strides=strides,
        padding=pads,
        lhs_dilation=lhs_d,
        rhs_dilation=rhs_d,
        feature_group_count=feature_group_count,
        batch_group_count=batch_group_count,
    )
    return transpose(out, permutation=tuple(np.argsort(dn.out_spec)))


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """Convolution in the ``NC...``/``OI...`` layout with ``'SAME'``/``'VALID'`` padding.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), (1,), "SAME")
        array([[[2., 3., 3., 3., 2.]]])
    """
    return conv_general_dilated(
        lhs,
        rhs,
        window_strides,
        padding,
        precision=precision,
        preferred_element_type=preferred_element_type,
    )


def conv_with_general_padding(
    lhs,
    rhs,
    window_strides,
    padding,
    lhs_dilation,
    rhs_dilation,
    precision=None,
    preferred_element_type=None,
):
    """Convolution in the ``NC...``/``OI...`` layout with explicit padding and dilations.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.conv_with_general_padding(np.ones((1, 1, 3)), np.ones((1, 1, 2)), (1,),
        ...                               [(1, 0)], None, None)
        array([[[1., 2., 2.]]])
    """
    return conv_general_dilated(
        lhs,
        rhs,
        window_strides,
        padding,
        lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation,
        precision=precision,
        preferred_element_type=preferred_element_type,
    )


def _conv_transpose_padding(k, s, padding):
    """(before, after) padding of the dilated input of a transposed convolution, for one axis
    with effective kernel size ``k`` and stride ``s``, from the forward padding."""
    if padding == "SAME":
        total = k + s - 2
        before = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        before = k - 1
    else:
        lo, hi = padding
        before, total = k - lo - 1, (k - lo - 1) + (k - hi - 1)
    return before, total - before


_TRANSPOSE_DEFAULTS = {
    2: ("NC", "IO", "NC"),
    3: ("NHC", "HIO", "NHC"),
    4: ("NHWC", "HWIO", "NHWC"),
    5: ("NHWDC", "HWDIO", "NHWDC"),
}


def conv_transpose(
    lhs,
    rhs,
    strides,
    padding,
    rhs_dilation=None,
    dimension_numbers=None,
    transpose_kernel: bool = False,
    precision=None,
    preferred_element_type=None,
    use_consistent_padding: bool = False,
):
    """Transposed ("fractionally strided") convolution, as in JAX: the input is dilated by
    ``strides`` and convolved with stride 1.

    Defaults to the TensorFlow layouts (``NHWC``, ``HWIO``). With ``transpose_kernel=True``
    the kernel is flipped in space and its feature axes swapped, which makes the result the
    gradient of ``conv_general_dilated`` with the same arguments (Keras' Conv2DTranspose).
    ``padding`` strings (and, with ``use_consistent_padding=True``, pairs too) are read as the
    padding of the forward convolution; otherwise pairs pad the dilated input directly.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> x = np.ones((1, 2, 2, 1))
        >>> w = np.ones((2, 2, 1, 1))
        >>> lax.conv_transpose(x, w, (2, 2), "VALID")[0, :, :, 0]
        array([[1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.]])
    """
    lhs_shape, rhs_shape = shape_of(lhs), shape_of(rhs)
    ndim = len(lhs_shape)
    if ndim != len(rhs_shape) or ndim < 2:
        raise ShapeError(
            f"conv_transpose needs lhs and rhs of one rank >= 2, got {lhs_shape} and {rhs_shape}"
        )
    if dimension_numbers is None:
        if ndim not in _TRANSPOSE_DEFAULTS:
            raise ValueError(
                f"conv_transpose has no default dimension_numbers for rank {ndim}; pass them"
            )
        dimension_numbers = _TRANSPOSE_DEFAULTS[ndim]
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    nsp = ndim - 2
    window = [rhs_shape[a] for a in dn.rhs_spec[2:]]
    strides = _spatial(strides, nsp, "strides")
    rhs_d = _spatial(rhs_dilation, nsp, "rhs_dilation")
    if use_consistent_padding or (isinstance(padding, str) and padding in ("SAME", "VALID")):
        effective = [_dilate(k, d) for k, d in zip(window, rhs_d, strict=True)]
        per_axis = [padding] * nsp if isinstance(padding, str) else [tuple(p) for p in padding]
        pads = tuple(
            _conv_transpose_padding(k, s, p)
            for k, s, p in zip(effective, strides, per_axis, strict=True)
        )
    else:
        pads = padding
    if transpose_kernel:
        rhs = rev(rhs, dimensions=tuple(dn.rhs_spec[2:]))
        perm = list(range(ndim))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = perm[dn.rhs_spec[1]], perm[dn.rhs_spec[0]]
        rhs = transpose(rhs, permutation=perm)
    return conv_general_dilated(
        lhs,
        rhs,
        (1,) * nsp,
        pads,
        lhs_dilation=strides,
        rhs_dilation=rhs_d,
        dimension_numbers=dn,
        precision=precision,
        preferred_element_type=preferred_element_type,
    )


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count: int = 1):
    """Output shape of a convolution in the canonical ``NC...``/``OI...`` layout.

    Example:
        >>> from ftrans import lax
        >>> lax.conv_shape_tuple((2, 3, 9, 9), (8, 3, 3, 3), (2, 2), "SAME")
        (2, 8, 5, 5)
    """
    nsp = len(lhs_shape) - 2
    strides = _spatial(strides, nsp, "strides")
    pads = _resolve_padding(pads, lhs_shape[2:], rhs_shape[2:], strides, (1,) * nsp)
    spatial = tuple(
        _out_size(n, k, s, lo, hi, 1, 1)
        for n, k, s, (lo, hi) in zip(lhs_shape[2:], rhs_shape[2:], strides, pads, strict=True)
    )
    return (lhs_shape[0] // batch_group_count, rhs_shape[0], *spatial)


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """Output shape of [`conv_general_dilated`][ftrans.lax.conv_general_dilated] (no dilation) for
    these operand shapes.

    Example:
        >>> from ftrans import lax
        >>> lax.conv_general_shape_tuple((2, 9, 9, 3), (3, 3, 3, 8), (1, 1), "VALID",
        ...                              ("NHWC", "HWIO", "NHWC"))
        (2, 7, 7, 8)
    """
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    lhs_c = tuple(lhs_shape[a] for a in dn.lhs_spec)
    rhs_c = tuple(rhs_shape[a] for a in dn.rhs_spec)
    out_c = conv_shape_tuple(lhs_c, rhs_c, window_strides, padding)
    return tuple(out_c[int(i)] for i in np.argsort(dn.out_spec))


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """Output shape of [`conv_transpose`][ftrans.lax.conv_transpose] for these operand shapes.

    Example:
        >>> from ftrans import lax
        >>> lax.conv_transpose_shape_tuple((1, 4, 4, 2), (3, 3, 2, 5), (2, 2), "SAME",
        ...                                ("NHWC", "HWIO", "NHWC"))
        (1, 8, 8, 5)
    """
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    nsp = len(lhs_shape) - 2
    strides = _spatial(window_strides, nsp, "window_strides")
    window = [rhs_shape[a] for a in dn.rhs_spec[2:]]
    if isinstance(padding, str):
        pads = [_conv_transpose_padding(k, s, padding) for k, s in zip(window, strides)]
    else:
        pads = [tuple(p) for p in padding]
    spatial = [
        _out_size(lhs_shape[a], k, 1, lo, hi, s, 1)
        for a, k, s, (lo, hi) in zip(dn.lhs_spec[2:], window, strides, pads, strict=True)
    ]
    out_c = (lhs_shape[dn.lhs_spec[0]], rhs_shape[dn.rhs_spec[0]], *spatial)
    return tuple(out_c[int(i)] for i in np.argsort(dn.out_spec))


def conv_general_dilated_patches(
    lhs,
    filter_shape,
    window_strides,
    padding,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    precision=None,
    preferred_element_type=None,
):
    """Every receptive field of a convolution with a ``filter_shape`` kernel, as features: the
    output has ``C * prod(filter_shape)`` features (input feature major), as in JAX. It is a
    depthwise convolution with a one-hot kernel, so it differentiates and batches as one.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> lax.conv_general_dilated_patches(np.arange(4.0).reshape(1, 1, 4), (2,), (1,),
        ...                                  "VALID")[0]
        array([[0., 1., 2.],
               [1., 2., 3.]])
    """
    lhs_shape = shape_of(lhs)
    ndim = len(lhs_shape)
    if dimension_numbers is None:
        dn = conv_dimension_numbers(lhs_shape, lhs_shape, None)
    else:
        dn = conv_dimension_numbers(lhs_shape, lhs_shape, dimension_numbers)
    c = lhs_shape[dn.lhs_spec[1]]
    filter_shape = tuple(int(k) for k in filter_shape)
    if len(filter_shape) != ndim - 2:
        raise ValueError(
            f"conv_general_dilated_patches: filter_shape {filter_shape} needs {ndim - 2} entries"
        )
    size = int(np.prod(filter_shape))
    dtype = np.dtype(preferred_element_type) if preferred_element_type else get_aval(lhs).dtype
    one_hot = np.eye(size, dtype=dtype).reshape((size, 1, *filter_shape))
    kernel = np.ascontiguousarray(np.tile(one_hot, (c, 1) + (1,) * (ndim - 2)))  # (C*S, 1, ...)
    canonical = tuple(range(ndim))
    x = transpose(lhs, permutation=dn.lhs_spec)
    if preferred_element_type is not None and get_aval(x).dtype != dtype:
        x = convert_element_type(x, new_dtype=dtype)
    out = conv_general_dilated(
        x,
        kernel,
        window_strides,
        padding,
        lhs_dilation,
        rhs_dilation,
        ConvDimensionNumbers(canonical, canonical, canonical),
        feature_group_count=c,
        precision=precision,
    )
    return transpose(out, permutation=tuple(np.argsort(dn.out_spec)))


def conv_general_dilated_local(
    lhs,
    rhs,
    window_strides,
    padding,
    filter_shape,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    precision=None,
):
    """A locally connected ("unshared") convolution, as in JAX: a separate kernel at every
    output position. ``rhs``'s spatial axes index output positions and its input-feature axis
    holds ``C * prod(filter_shape)`` entries (input feature major). Built from
    `conv_general_dilated_patches` and one ``dot_general`` batched over positions.

    Example:
        >>> import numpy as np
        >>> from ftrans import lax
        >>> x = np.arange(4.0).reshape(1, 1, 4)
        >>> w = np.array([[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]])  # (O=1, I=2, 3 positions)
        >>> lax.conv_general_dilated_local(x, w, (1,), "VALID", (2,))
        array([[[0., 2., 5.]]])
    """
    from ftrans.primitives.dot import dot_general

    patches = conv_general_dilated_patches(
        lhs,
        filter_shape,
        window_strides,
        padding,
        lhs_dilation,
        rhs_dilation,
        dimension_numbers,
        precision,
    )
    ndim = len(shape_of(lhs))
    _, rhs_spec, out_spec = conv_dimension_numbers(
        shape_of(lhs), (1, 1, *filter_shape), dimension_numbers
    )
    lhs_batch = list(out_spec[2:])
    rhs_batch = [rhs_spec[2:][i] for i in sorted(range(len(lhs_batch)), key=lambda k: lhs_batch[k])]
    lhs_batch = sorted(lhs_batch)
    numbers = (((out_spec[1],), (rhs_spec[1],)), (tuple(lhs_batch), tuple(rhs_batch)))
    out = dot_general(patches, rhs, dimension_numbers=numbers)  # (*positions, N, O)
    source = [*lhs_batch, out_spec[0], out_spec[1]]  # the out axis each result axis becomes
    return transpose(out, permutation=tuple(source.index(a) for a in range(ndim)))
