"""Registry specs for the ``ftrans.lax`` functions built on their own primitives:
convolutions, windowed reductions, dynamic slicing, sorting and scans.

Specs call the public ``ftrans.lax`` function (which binds the primitive named in ``target``);
their references are written independently of the implementations: a direct loop over output
positions and window offsets for convolutions and windowed reductions, plain NumPy indexing for
slices. :func:`conv_reference` and :func:`reduce_window_reference` are shared with
``test_lax_api.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
from spec import F32, F64, Arg, Spec, Tol, uniform

from ftrans import lax

SPECS: list[Spec] = []
BOTH = (F64, F32)
U = uniform()


def A(shape, sampler=U) -> Arg:
    return Arg(tuple(shape), sampler)


def spec(target, label, fun, reference, args, **options) -> None:
    fun.__name__ = f"{target}[{label}]"
    SPECS.append(
        Spec(f"lax:{target}[{label}]", "primitive", target, fun, reference, tuple(args), **options)
    )


# ----------------------------------------------------------------------------- references


def _dilate_pad(x, dilation, padding, value=0.0):
    """``x`` (..., *spatial over the last len(dilation) axes) dilated and padded (negative
    padding crops), by plain indexing."""
    nsp = len(dilation)
    lead = x.shape[: x.ndim - nsp]
    sp = x.shape[x.ndim - nsp :]
    big = [(n - 1) * d + 1 if n else 0 for n, d in zip(sp, dilation, strict=True)]
    grown = [b + max(lo, 0) + max(hi, 0) for b, (lo, hi) in zip(big, padding, strict=True)]
    out = np.full(lead + tuple(grown), value, dtype=x.dtype)
    index = tuple(slice(None) for _ in lead) + tuple(
        slice(max(lo, 0), max(lo, 0) + b, d)
        for b, d, (lo, _) in zip(big, dilation, padding, strict=True)
    )
    out[index] = x
    crop = tuple(slice(None) for _ in lead) + tuple(
        slice(max(-lo, 0), g - max(-hi, 0)) for g, (lo, hi) in zip(grown, padding, strict=True)
    )
    return out[crop]


def conv_reference(
    lhs, rhs, strides, padding, lhs_dilation=None, rhs_dilation=None, groups=1, batch_groups=1
):
    """Canonical-layout convolution (lhs N C ..., rhs O I ...) by a loop over output positions,
    window offsets and output features."""
    nsp = lhs.ndim - 2
    lhs_dilation = lhs_dilation or (1,) * nsp
    rhs_dilation = rhs_dilation or (1,) * nsp
    x = _dilate_pad(lhs, lhs_dilation, padding)
    n, _ = x.shape[:2]
    o, i = rhs.shape[:2]
    window = rhs.shape[2:]
    spans = [(k - 1) * d + 1 for k, d in zip(window, rhs_dilation, strict=True)]
    out_sp = [
        max(0, (m - s) // st + 1) if m >= s else 0
        for m, s, st in zip(x.shape[2:], spans, strides, strict=True)
    ]
    nb = n // batch_groups
    out = np.zeros((nb, o, *out_sp), np.result_type(lhs, rhs))
    for q in itertools.product(*[range(m) for m in out_sp]):
        for k in itertools.product(*[range(w) for w in window]):
            pos = tuple(
                qq * st + kk * d for qq, st, kk, d in zip(q, strides, k, rhs_dilation, strict=True)
            )
            patch = x[(slice(None), slice(None), *pos)]  # (N, C)
            for f in range(o):
                g = f // (o // groups)
                bg = f // (o // batch_groups)
                rows = patch[bg * nb : (bg + 1) * nb, g * i : (g + 1) * i]
                out[(slice(None), f, *q)] += rows @ rhs[(f, slice(None), *k)]
    return out


def conv_general_reference(
    lhs,
    rhs,
    strides,
    padding,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    feature_group_count=1,
    batch_group_count=1,
):
    """``conv_general_dilated`` through :func:`conv_reference`: the layout permutations are
    computed here by hand from the strings."""
    if dimension_numbers is None:
        lp = rp = op = tuple(range(lhs.ndim))
    else:
        ls, rs, os_ = dimension_numbers
        order = [c for c in rs if c not in "OI"]
        lp = (ls.index("N"), ls.index("C"), *[ls.index(c) for c in order])
        rp = (rs.index("O"), rs.index("I"), *[rs.index(c) for c in order])
        op = (os_.index("N"), os_.index("C"), *[os_.index(c) for c in order])
    x, w = np.transpose(lhs, lp), np.transpose(rhs, rp)
    nsp = lhs.ndim - 2
    if isinstance(padding, str):
        pads = []
        rd = rhs_dilation or (1,) * nsp
        for m, k, s, d in zip(x.shape[2:], w.shape[2:], strides, rd, strict=True):
            total = max(0, (-(-m // s) - 1) * s + (k - 1) * d + 1 - m)
            small, large = total // 2, total - total // 2
            if padding == "VALID":
                pads.append((0, 0))
            elif padding == "SAME":
                pads.append((small, large))
            else:  # SAME_LOWER: the odd element in front
                pads.append((large, small))
        padding = pads
    y = conv_reference(
        x, w, strides, padding, lhs_dilation, rhs_dilation, feature_group_count, batch_group_count
    )
    return np.transpose(y, np.argsort(op))


# ----------------------------------------------------------------------------- convolutions

CONV_CASES = [  # label, lhs shape, rhs shape, keyword arguments of conv_general_dilated
    ("nchw_valid", (2, 2, 5, 4), (3, 2, 2, 2), dict(window_strides=(1, 1), padding="VALID")),
    (
        "nhwc_same_strided",
        (2, 5, 4, 2),
        (3, 2, 2, 3),
        dict(window_strides=(2, 1), padding="SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")),
    ),
    (
        "1d_dilated_grouped",
        (2, 4, 6),
        (4, 2, 2),
        dict(
            window_strides=(2,),
            padding=((1, -1),),
            lhs_dilation=(2,),
            rhs_dilation=(2,),
            feature_group_count=2,
        ),
    ),
    (
        "batch_groups",
        (4, 2, 5),
        (4, 2, 3),
        dict(window_strides=(1,), padding=((1, 1),), batch_group_count=2),
    ),
    (
        "depthwise_chwn",
        (3, 4, 4, 2),
        (2, 2, 1, 3),
        dict(
            window_strides=(1, 2),
            padding="SAME_LOWER",
            dimension_numbers=("CHWN", "HWIO", "NHWC"),
            feature_group_count=3,
        ),
    ),
    (
        "3d",
        (1, 2, 3, 4, 3),
        (2, 2, 2, 2, 2),
        dict(window_strides=(1, 2, 1), padding="SAME"),
    ),
]


def _conv_case(label, ls, rs, kwargs):
    def fun(x, w):
        return lax.conv_general_dilated(x, w, **kwargs)

    def reference(x, w):
        kw = dict(kwargs)
        return conv_general_reference(x, w, kw.pop("window_strides"), kw.pop("padding"), **kw)

    spec(
        "conv_general_dilated",
        label,
        fun,
        reference,
        [A(ls), A(rs)],
        # the transpose test wants the one equation: canonical layouts only
        linear_argnums=((0,), (1,)) if "dimension_numbers" not in kwargs else (),
        dtypes=BOTH if label == "nhwc_same_strided" else (F64,),
        value_tol={F64: Tol(1e-7, 1e-9), F32: Tol(1e-4, 1e-5)},
    )


for _case in CONV_CASES:
    _conv_case(*_case)


def _conv_transpose_fun(x, w):
    return lax.conv_transpose(x, w, (2,), "SAME", dimension_numbers=("NCH", "OIH", "NCH"))


def _conv_transpose_reference(x, w):
    # fractionally strided: dilate the input by the strides, then a stride-1 convolution with
    # the padding JAX derives for 'SAME' (kernel 3, stride 2: (2, 1))
    return conv_reference(x, w, (1,), [(2, 1)], lhs_dilation=(2,))


spec(
    "conv_general_dilated",
    "conv_transpose",
    _conv_transpose_fun,
    _conv_transpose_reference,
    [A((2, 2, 4)), A((3, 2, 3))],
    linear_argnums=((0,), (1,)),
)
