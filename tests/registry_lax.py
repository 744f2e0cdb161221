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
from spec import F32, F64, Arg, Sampler, Spec, Tol, distinct, ints, uniform

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


# ----------------------------------------------------------------------------- dynamic slicing


def _clamp_start(s, n, k):
    s = int(s)
    s = s + n if s < 0 else s
    return min(max(s, 0), n - k)


def _dynamic_slice_reference(x, i, j):
    a, b = _clamp_start(i, x.shape[0], 2), _clamp_start(j, x.shape[1], 3)
    return x[a : a + 2, b : b + 3]


def _dynamic_update_reference(x, u, i, j):
    a, b = _clamp_start(i, x.shape[0], 2), _clamp_start(j, x.shape[1], 3)
    out = x.copy()
    out[a : a + 2, b : b + 3] = u
    return out


STARTS = ints(-6, 8)

spec(
    "dynamic_slice",
    "2d",
    lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 3)),
    _dynamic_slice_reference,
    [A((4, 5)), A((), STARTS), A((), STARTS)],
    linear_argnums=((0,),),
    dtypes=BOTH,
)
spec(
    "dynamic_slice",
    "in_dim_keepdims_false",
    lambda x, i: lax.dynamic_index_in_dim(x, i, axis=1, keepdims=False),
    lambda x, i: x[:, _clamp_start(i, x.shape[1], 1)],
    [A((3, 4)), A((), STARTS)],
)
spec(
    "dynamic_update_slice",
    "2d",
    lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)),
    _dynamic_update_reference,
    [A((4, 5)), A((2, 3)), A((), STARTS), A((), STARTS)],
    linear_argnums=((0, 1),),
    dtypes=BOTH,
)


def _update_index_reference(x, u, i):
    out = x.copy()
    out[_clamp_start(i, x.shape[0], 1)] = u
    return out


spec(
    "dynamic_update_slice",
    "index_in_dim",
    lambda x, u, i: lax.dynamic_update_index_in_dim(x, u, i, 0),
    _update_index_reference,
    [A((4, 3)), A((3,)), A((), STARTS)],
)

# ----------------------------------------------------------------------------- sorting


def _lex_reference(k1, k2, v):
    order = np.lexsort((k2, k1), axis=-1)
    return [np.take_along_axis(a, order, -1) for a in (k1, k2, v)]


spec(
    "lexsort",
    "two_keys",
    lambda k1, k2, v: list(lax.sort((k1, k2, v), num_keys=2)),
    _lex_reference,
    [A((3, 6), ints(0, 3)), A((3, 6), ints(0, 3)), A((3, 6))],
)
spec(
    "argsort",
    "lax.sort_axis0",
    lambda x: lax.sort(x, dimension=0),
    lambda x: np.sort(x, axis=0),
    [A((5, 3), distinct())],
    order=1,
)
spec(
    "argsort",
    "lax.top_k",
    lambda x: lax.top_k(x, 3)[0],
    lambda x: -np.sort(-x, axis=-1)[..., :3],
    [A((2, 6), distinct())],
    order=1,
)

# ----------------------------------------------------------------------------- bits

spec(
    "population_count",
    "int32",
    lambda x: lax.population_count(x),
    lambda x: np.bitwise_count(x.view(np.uint32)).astype(np.int32),
    [A((7,), ints(-1000, 1000, np.int32))],
    order=0,
)
spec(
    "clz",
    "int32",
    lambda x: lax.clz(x),
    lambda x: np.array([32 - int(v).bit_length() for v in x.view(np.uint32)], np.int32),
    [A((7,), ints(-1000, 1000, np.int32))],
    order=0,
)
spec(
    "bitcast_convert_type",
    "f64_to_i64",
    lambda x: lax.bitcast_convert_type(x, np.int64),
    lambda x: x.view(np.int64),
    [A((5,))],
    order=0,
)
spec(
    "nextafter",
    "f64",
    lambda x, y: lax.nextafter(x, y),
    np.nextafter,
    [A((5,)), A((5,))],
    order=0,
)


# ----------------------------------------------------------------------------- windows and scans


def reduce_window_reference(x, init, op, window, strides, padding, base=None, wdil=None):
    """Every window by a loop over output positions (padding filled with ``init``)."""
    n = x.ndim
    base = base or (1,) * n
    wdil = wdil or (1,) * n
    padded = _dilate_pad(x, base, padding, value=init)
    spans = [(w - 1) * d + 1 for w, d in zip(window, wdil, strict=True)]
    out_shape = [(m - s) // st + 1 for m, s, st in zip(padded.shape, spans, strides, strict=True)]
    out = np.empty(out_shape, x.dtype)
    for q in itertools.product(*[range(m) for m in out_shape]):
        index = tuple(
            builtin_slice(qq * st, qq * st + s, d)
            for qq, st, s, d in zip(q, strides, spans, wdil, strict=True)
        )
        out[q] = op.reduce(padded[index], axis=None, initial=init)
    return out


builtin_slice = slice

spec(
    "gather",
    "lax.reduce_window_sum",
    lambda x: lax.reduce_window_sum(x, (2, 3), (1, 2), ((1, 0), (1, 2))),
    lambda x: reduce_window_reference(x, 0.0, np.add, (2, 3), (1, 2), ((1, 0), (1, 2))),
    [A((4, 5))],
    dtypes=BOTH,
)
spec(
    "gather",
    "lax.reduce_window_max_dilated",
    lambda x: lax.reduce_window(
        x, -np.inf, lax.max, (2, 2), (1, 1), "SAME", base_dilation=(1, 2), window_dilation=(2, 1)
    ),
    lambda x: reduce_window_reference(
        x, -np.inf, np.maximum, (2, 2), (1, 1), ((1, 1), (0, 1)), (1, 2), (2, 1)
    ),
    [A((4, 3), distinct())],
    order=1,
)
spec(
    "gather",
    "lax.reduce_window_min_pool",
    lambda x: lax.reduce_window_min(x, (1, 2, 2), (1, 2, 2), "VALID"),
    lambda x: reduce_window_reference(x, np.inf, np.minimum, (1, 2, 2), (1, 2, 2), [(0, 0)] * 3),
    [A((2, 4, 4), distinct())],
    order=1,
)
spec(
    "gather",
    "lax.reduce_window_user_monoid",
    lambda x: lax.reduce_window(x, 1.0, lambda a, b: a * b, (3,), (2,), "VALID"),
    lambda x: reduce_window_reference(x, 1.0, np.multiply, (3,), (2,), [(0, 0)]),
    [A((7,))],
)


def _pair_op(a, b):
    # affine maps x -> s x + t composed: (s1, t1) then (s2, t2); associative, not commutative
    return (a[0] * b[0], a[1] * b[0] + b[1])


def _affine_reference(s, t, reverse=False):
    if reverse:
        s, t = s[::-1], t[::-1]
    out_s, out_t = np.empty_like(s), np.empty_like(t)
    acc_s, acc_t = np.ones(s.shape[1:]), np.zeros(t.shape[1:])
    for i in range(len(s)):
        acc_s, acc_t = (
            (acc_s * s[i], acc_t * s[i] + t[i])
            if not reverse
            else (s[i] * acc_s, t[i] * acc_s + acc_t)
        )
        out_s[i], out_t[i] = acc_s, acc_t
    return [out_s[::-1], out_t[::-1]] if reverse else [out_s, out_t]


spec(
    "concatenate",
    "lax.associative_scan_affine",
    lambda s, t: list(lax.associative_scan(_pair_op, (s, t))),
    _affine_reference,
    [A((7, 2), uniform(0.5, 1.2)), A((7, 2))],
)
spec(
    "concatenate",
    "lax.associative_scan_reverse_axis1",
    lambda x: lax.associative_scan(lax.add, x, reverse=True, axis=1),
    lambda x: np.flip(np.cumsum(np.flip(x, 1), axis=1), 1),
    [A((2, 6))],
)
spec(
    "logaddexp",
    "lax.cumlogsumexp",
    lambda x: lax.cumlogsumexp(x, axis=0),
    lambda x: np.logaddexp.accumulate(x, axis=0),
    [A((5, 2))],
)
spec(
    "logaddexp",
    "lax.cumlogsumexp_reverse",
    lambda x: lax.cumlogsumexp(x, axis=1, reverse=True),
    lambda x: np.flip(np.logaddexp.accumulate(np.flip(x, 1), axis=1), 1),
    [A((2, 4))],
)
spec(
    "reduce_sum",
    "lax.reduce_add",
    lambda x: lax.reduce(x, 0.0, lax.add, (0, 2)),
    lambda x: x.sum(axis=(0, 2)),
    [A((2, 3, 4))],
)
spec(
    "mul",
    "lax.reduce_user_monoid",
    lambda x: lax.reduce(x, 0.0, lambda a, b: a + b * b, (1,)),
    lambda x: (x * x).sum(axis=1),
    [A((3, 4))],
)
spec(
    "scan",
    "lax.map_batch_size",
    lambda x: lax.map(lambda v: lax.sin(v) * v, x, batch_size=2),
    lambda x: np.sin(x) * x,
    [A((5, 3))],
)
spec(
    "max",
    "lax.clamp",
    lambda x: lax.clamp(-0.5, x, 0.7),
    lambda x: np.clip(x, -0.5, 0.7),
    [A((6,), distinct(0.25))],
    order=1,
)
spec(
    "sqrt",
    "lax.rsqrt",
    lambda x: lax.rsqrt(x),
    lambda x: 1 / np.sqrt(x),
    [A((5,), uniform(0.5, 2.0))],
    dtypes=BOTH,
)
spec(
    "select",
    "lax.select_n",
    lambda w, a, b, c: lax.select_n(w, a, b, c),
    lambda w, a, b, c: np.choose(w, [a, b, c]),
    [A((5,), ints(0, 3)), A((5,)), A((5,)), A((5,))],
)
spec(
    "dot_general",
    "lax.batch_matmul",
    lambda a, b: lax.batch_matmul(a, b),
    np.matmul,
    [A((2, 3, 4)), A((2, 4, 2))],
)


def _pad_reference(x):
    # interior 1 on axis 0 (3 -> 5 rows), then low 1 / high -1 on axis 0, low -1 / high 2 on 1
    rows = np.zeros((2 * x.shape[0] - 1, x.shape[1]))
    rows[::2] = x
    rows = np.concatenate([np.zeros((1, x.shape[1])), rows[:-1]], axis=0)
    return np.concatenate([rows[:, 1:], np.zeros((rows.shape[0], 2))], axis=1)


spec(
    "pad",
    "lax.pad_negative_interior",
    lambda x: lax.pad(x, 0.0, [(1, -1, 1), (-1, 2, 0)]),
    _pad_reference,
    [A((3, 4))],
)


def _mulhi_reference(x, y):
    return np.array(
        [(int(a) * int(b)) >> 32 for a, b in zip(x.tolist(), y.tolist(), strict=True)], np.int32
    )


spec(
    "mulhi",
    "int32",
    lambda x, y: lax.mulhi(x, y),
    _mulhi_reference,
    [A((6,), ints(-(2**31), 2**31 - 1, np.int32)), A((6,), ints(-(2**31), 2**31 - 1, np.int32))],
    order=0,
)
spec(
    "conv_general_dilated",
    "lax.conv_general_dilated_patches",
    lambda x: lax.conv_general_dilated_patches(
        x, (2, 2), (1, 1), "SAME", dimension_numbers=("NHWC", "OIHW", "NHWC")
    ),
    lambda x: (
        np.concatenate(
            [
                np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))[
                    :, i : i + x.shape[1], j : j + x.shape[2]
                ]
                for i in range(2)
                for j in range(2)
            ],
            axis=-1,
        )
        .reshape(*x.shape[:3], 4, x.shape[3])
        .swapaxes(3, 4)
        .reshape(*x.shape[:3], -1)
    ),
    [A((1, 3, 3, 2))],
)


def _round_mantissa(x, bits=40):
    # x rounded to `bits` mantissa bits, ties to even, by frexp (independent of the bit tricks)
    m, e = np.frexp(x)
    return np.ldexp(np.round(m * 2.0 ** (bits + 1)) / 2.0 ** (bits + 1), e)


spec(
    "reduce_precision",
    "float64_to_40_bits",
    lambda x: lax.reduce_precision(x, 11, 40),
    _round_mantissa,
    [A((6,))],
    linear_argnums=((0,),),
)


# ----------------------------------------------------------------------------- gather, scatter


def _window_positions(plan_sizes):
    return itertools.product(*[range(k) for k in plan_sizes])


def general_gather_reference(x, idx, dn, slice_sizes, mode="clip", fill_value=None):
    """XLA's gather by loops, read from the operation's definition: for every batch position
    the start vector (index vector entries, batching positions, zeros), the in-bounds check,
    then every element of the window placed at ``offset_dims``."""
    offset_dims, collapsed, index_map, obatch, ibatch = (tuple(f) for f in dn)
    batch_shape = idx.shape[:-1]
    dropped = set(collapsed) | set(obatch)
    window_dims = [d for d in range(x.ndim) if d not in dropped]
    out_rank = len(batch_shape) + len(window_dims)
    out_shape = [0] * out_rank
    batch_axes = [a for a in range(out_rank) if a not in offset_dims]
    for a, n in zip(batch_axes, batch_shape, strict=True):
        out_shape[a] = n
    for a, d in zip(offset_dims, window_dims, strict=True):
        out_shape[a] = slice_sizes[d]
    if fill_value is None:
        fill_value = np.nan
    out = np.empty(out_shape, x.dtype)
    for b in itertools.product(*[range(n) for n in batch_shape]):
        start = [0] * x.ndim
        for k, d in enumerate(index_map):
            start[d] = int(idx[b + (k,)])
        for od, bd in zip(obatch, ibatch, strict=True):
            start[od] = b[bd]
        bad = any(not 0 <= start[d] <= x.shape[d] - slice_sizes[d] for d in index_map)
        if mode == "clip":
            start = [min(max(s, 0), n - k) for s, n, k in zip(start, x.shape, slice_sizes)]
        for w in _window_positions([slice_sizes[d] for d in window_dims]):
            full = list(start)
            for d, o in zip(window_dims, w, strict=True):
                full[d] += o
            where = [0] * out_rank
            for a, i in zip(batch_axes, b, strict=True):
                where[a] = i
            for a, o in zip(offset_dims, w, strict=True):
                where[a] = o
            out[tuple(where)] = fill_value if bad and mode == "fill" else x[tuple(full)]
    return out


def general_scatter_reference(x, idx, updates, dn, combine, mode="drop"):
    """XLA's scatter by loops: every update element, in order, combined into the operand at
    its window's start plus its window position; a window partly out of bounds is skipped
    (``"drop"``) or moved in bounds (``"clip"``)."""
    window_axes, inserted, index_map, obatch, ibatch = (tuple(f) for f in dn)
    out = np.array(x, copy=True)
    dropped = set(inserted) | set(obatch)
    window_dims = [d for d in range(x.ndim) if d not in dropped]
    sizes = [1] * x.ndim
    for d, a in zip(window_dims, window_axes, strict=True):
        sizes[d] = updates.shape[a]
    batch_axes = [a for a in range(updates.ndim) if a not in window_axes]
    for b in itertools.product(*[range(updates.shape[a]) for a in batch_axes]):
        start = [0] * x.ndim
        for k, d in enumerate(index_map):
            start[d] = int(idx[b + (k,)])
        for od, bd in zip(obatch, ibatch, strict=True):
            start[od] = b[bd]
        if mode == "clip":
            start = [min(max(s, 0), n - k) for s, n, k in zip(start, x.shape, sizes)]
        elif any(not 0 <= start[d] <= x.shape[d] - sizes[d] for d in index_map):
            continue
        for w in _window_positions([sizes[d] for d in window_dims]):
            full = list(start)
            for d, o in zip(window_dims, w, strict=True):
                full[d] += o
            where = [0] * updates.ndim
            for a, i in zip(batch_axes, b, strict=True):
                where[a] = i
            for a, o in zip(window_axes, w, strict=True):
                where[a] = o
            out[tuple(full)] = combine(out[tuple(full)], updates[tuple(where)])
    return out


#: (label, operand shape, index shape, index range, dimension numbers, slice sizes, mode)
GATHER_CASES = [
    ("rows", (5, 3), (4, 1), (-2, 7), lax.GatherDimensionNumbers((1,), (0,), (0,)), (1, 3), "clip"),
    (
        "windows_fill",
        (3, 4, 5),
        (2, 3, 2),
        (-2, 6),
        lax.GatherDimensionNumbers((0, 3), (1,), (1, 2)),
        (2, 1, 3),
        "fill",
    ),
    (
        "batching",
        (3, 4, 5),
        (6, 3, 1),
        (0, 4),
        lax.GatherDimensionNumbers((2,), (1,), (1,), (0,), (1,)),
        (1, 1, 5),
        "clip",
    ),
    (
        "points_uncollapsed",
        (4, 6),
        (3, 2),
        (-1, 6),
        lax.GatherDimensionNumbers((1, 2), (), (1, 0)),
        (2, 1),
        "promise_in_bounds",
    ),
]

for _label, _xs, _is, _range, _dn, _sizes, _mode in GATHER_CASES:
    _ref_mode = "clip" if _mode == "promise_in_bounds" else _mode
    spec(
        "gather",
        f"lax.gather_{_label}",
        lambda x, i, dn=_dn, s=_sizes, m=_mode: lax.gather(x, i, dn, s, mode=m, fill_value=0.5),
        lambda x, i, dn=_dn, s=_sizes, m=_ref_mode: general_gather_reference(x, i, dn, s, m, 0.5),
        [A(_xs), A(_is, ints(*_range))],
        dtypes=BOTH if _label == "rows" else (F64,),
    )

SCATTER_DN = lax.ScatterDimensionNumbers((1,), (0,), (0, 1))
SCATTER_BATCHING_DN = lax.ScatterDimensionNumbers((1,), (1,), (1,), (0,), (0,))


def _unique_pairs(rng, shape, dtype):
    # distinct (row, column) starts, one of them out of bounds (dropped)
    pairs = np.array([[0, 0], [4, 4], [2, 1], [1, 3], [3, 0], [-1, 2]])
    return pairs[rng.permutation(len(pairs))]


_COMBINE = {
    "scatter": lambda a, b: b,
    "scatter_add": lambda a, b: a + b,
    "scatter_sub": lambda a, b: a - b,
    "scatter_mul": lambda a, b: a * b,
    "scatter_min": min,
    "scatter_max": max,
}
_SCATTER_TARGET = {"scatter_sub": "scatter_add"}

for _op, _combine in _COMBINE.items():
    for _mode in ("drop", "clip") if _op in ("scatter_add", "scatter") else ("drop",):
        spec(
            _SCATTER_TARGET.get(_op, _op),
            f"lax.{_op}_{_mode}",
            lambda x, i, u, op=_op, m=_mode: getattr(lax, op)(x, i, u, SCATTER_DN, mode=m),
            lambda x, i, u, c=_combine, m=_mode: general_scatter_reference(
                x, i, u, SCATTER_DN, c, m
            ),
            [
                A((5, 6), distinct() if _op in ("scatter_min", "scatter_max") else U),
                A((6, 2), _unique_pairs if _mode == "drop" else ints(-1, 7)),
                A((6, 2), distinct() if _op in ("scatter_min", "scatter_max") else U),
            ],
            order=1 if _op in ("scatter_min", "scatter_max", "scatter") else 2,
        )

spec(
    "scatter_add",
    "lax.scatter_add_batching",
    lambda x, i, u: lax.scatter_add(x, i, u, SCATTER_BATCHING_DN),
    lambda x, i, u: general_scatter_reference(x, i, u, SCATTER_BATCHING_DN, lambda a, b: a + b),
    [A((3, 4, 5)), A((3, 1), ints(-1, 5)), A((3, 5))],
)
spec(
    "scatter_add",
    "lax.scatter_apply",
    lambda x: lax.scatter_apply(
        x,
        np.array([[1], [1], [3], [7]]),
        lambda v: v * v,
        lax.ScatterDimensionNumbers((), (0,), (0,)),
        update_shape=(4,),
    ),
    lambda x: np.concatenate([x[:1], x[1:2] ** 4, x[2:3], x[3:4] ** 2, x[4:]]),
    [A((5,))],
)


# ----------------------------------------------------------------------------- custom_linear_solve


def _solve_by_columns(matvec, b):
    """The solve that custom_linear_solve is given: the matrix built from matvec's columns."""
    import ftrans.numpy as fnp

    n = b.shape[0]
    return fnp.linalg.solve(fnp.stack([matvec(e) for e in np.eye(n)], axis=1), b)


# a fixed, well-conditioned matrix: the program stays one custom_linear_solve equation (the
# transpose test needs that); derivatives in the matrix are checked in tests/test_lax_parity.py
_M = np.array([[4.0, 1.0, -0.5], [0.3, 3.5, 0.8], [-0.2, 0.6, 5.0]])
_S = _M + _M.T

spec(
    "custom_linear_solve",
    "general",
    lambda b: lax.custom_linear_solve(lambda x: _M @ x, b, _solve_by_columns, _solve_by_columns),
    lambda b: np.linalg.solve(_M, b),
    [A((3,))],
    linear_argnums=((0,),),
)
spec(
    "custom_linear_solve",
    "symmetric",
    lambda b: lax.custom_linear_solve(lambda x: _S @ x, b, _solve_by_columns, symmetric=True),
    lambda b: np.linalg.solve(_S, b),
    [A((3,))],
    linear_argnums=((0,),),
)


# ----------------------------------------------------------------------------- ragged_dot_general


def group_sizes(total: int) -> Sampler:
    """Sizes of consecutive groups (the last axis) covering ``total`` or ``total - 1`` elements
    (then the last element is in no group), drawn per row of the leading axes."""

    def sample(rng, shape, _dtype):
        rows = int(np.prod(shape[:-1], dtype=np.int64))
        g = shape[-1]
        drawn = [rng.multinomial(total - rng.integers(0, 2), [1 / g] * g) for _ in range(rows)]
        return np.asarray(drawn, np.int32).reshape(shape)

    return sample


def _bounds(sizes):
    ends = np.cumsum(sizes)
    return list(zip(ends - sizes, ends, strict=True))


def _ragged_rows_reference(lhs, rhs, sizes):
    """lhs (m, k), rhs (g, k, n): row r times rhs[its group], zeros past the last group."""
    out = np.zeros((lhs.shape[0], rhs.shape[2]), np.result_type(lhs, rhs))
    for i, (s, e) in enumerate(_bounds(sizes)):
        out[s:e] = lhs[s:e] @ rhs[i]
    return out


def _ragged_contracting_reference(lhs, rhs, sizes):
    """lhs (m, k), rhs (k, n): one product per group of k."""
    return np.stack([lhs[:, s:e] @ rhs[s:e] for s, e in _bounds(sizes)])


def ragged_spec(label, fun, reference, args):
    fun.__name__ = f"ragged_dot_general[{label}]"
    SPECS.append(
        Spec(
            f"lax:ragged_dot_general[{label}]",
            "library",
            "ftrans.lax.ragged_dot_general",
            fun,
            reference,
            tuple(args),
            covers=("primitive:dot_general", "primitive:select"),
            dtypes=BOTH,
            linear_argnums=((0,), (1,)),
        )
    )


def _ragged_dn(contract, batch, ragged, group):
    return lax.RaggedDotDimensionNumbers((contract, batch), [ragged], group)


# mode 1: a free lhs axis is ragged; the rhs has a group axis
ragged_spec(
    "rows (lax.ragged_dot)",
    lambda x, w, gs: lax.ragged_dot(x, w, gs),
    _ragged_rows_reference,
    [A((5, 3)), A((3, 3, 4)), Arg((3,), group_sizes(5))],
)
_RDN_ROWS_BATCHED = _ragged_dn(([2], [2]), ([0], [1]), 1, [0])  # [b,m,k] [g,b,k,n] [b,g]
ragged_spec(
    "rows, batch axis, per-batch sizes",
    lambda x, w, gs: lax.ragged_dot_general(x, w, gs, _RDN_ROWS_BATCHED),
    lambda x, w, gs: np.stack(
        [_ragged_rows_reference(x[b], w[:, b], gs[b]) for b in range(x.shape[0])]
    ),
    [A((2, 5, 3)), A((3, 2, 3, 4)), Arg((2, 3), group_sizes(5))],
)
_RDN_COLUMNS = _ragged_dn(([0], [0]), ([], []), 1, [2])  # [k,m] [k,n,g] [g]: other layouts
ragged_spec(
    "free axis last, group axis last",
    lambda x, w, gs: lax.ragged_dot_general(x, w, gs, _RDN_COLUMNS),
    lambda x, w, gs: _ragged_rows_reference(x.T, np.moveaxis(w, 2, 0), gs),
    [A((3, 5)), A((3, 4, 2)), Arg((2,), group_sizes(5))],
)
# mode 2: a contracting axis is ragged; one result per group
_RDN_CONTRACT = _ragged_dn(([2], [1]), ([0], [0]), 2, [])  # [b,m,k] [b,k,n] [b,g]
ragged_spec(
    "contracting, batch axis, per-batch sizes",
    lambda x, w, gs: lax.ragged_dot_general(x, w, gs, _RDN_CONTRACT),
    lambda x, w, gs: np.stack(
        [_ragged_contracting_reference(x[b], w[b], gs[b]) for b in range(x.shape[0])], axis=1
    ),
    [A((2, 4, 6)), A((2, 6, 3)), Arg((2, 3), group_sizes(6))],
)
_RDN_CONTRACT_2 = _ragged_dn(([1, 2], [0, 1]), ([], []), 2, [])  # [m,j,k] [j,k,n] [j,g]
ragged_spec(
    "contracting, two contracting axes, sizes per outer axis",
    lambda x, w, gs: lax.ragged_dot_general(x, w, gs, _RDN_CONTRACT_2),
    lambda x, w, gs: sum(
        _ragged_contracting_reference(x[:, j], w[j], gs[j]) for j in range(x.shape[1])
    ),
    [A((4, 3, 6)), A((3, 6, 2)), Arg((3, 2), group_sizes(6))],
)
# mode 3: a batch axis is ragged; the groups partition the batch (a dot_general)
_RDN_BATCH = _ragged_dn(([2], [1]), ([0], [0]), 0, [])  # [b,m,k] [b,k,n] [g]
ragged_spec(
    "batch",
    lambda x, w, gs: lax.ragged_dot_general(x, w, gs, _RDN_BATCH),
    lambda x, w, gs: np.einsum("bmk,bkn->bmn", x, w),
    [A((5, 2, 3)), A((5, 3, 4)), Arg((3,), group_sizes(5))],
)


# ----------------------------------------------------------------------------- rng_bit_generator


def _u32_words(rng, shape, _dtype):
    return rng.integers(0, 2**32, shape, dtype=np.uint64).astype(np.uint32)


def _threefry_reference(key, n):
    """Threefry (ftrans.random's known-answer-tested cipher) on counters s1 + i, the two words
    of each block consecutive (a 1-D output of even length)."""
    from ftrans.random import threefry2x32

    counter = int(key[2]) | int(key[3]) << 32
    c = [(counter + i) % 2**64 for i in range(n // 2)]
    lo = np.array([v & 0xFFFFFFFF for v in c], np.uint32)
    hi = np.array([v >> 32 for v in c], np.uint32)
    a, b = threefry2x32(key[0], key[1], lo, hi)
    return np.stack([np.asarray(a), np.asarray(b)], 1).ravel()


def _philox_reference(key, n):
    """Philox-4x32-10 in Python integers on the 128-bit counters (s1 + i) + 2**64 s0."""
    m = 0xFFFFFFFF
    s0, s1 = int(key[0]) | int(key[1]) << 32, int(key[2]) | int(key[3]) << 32
    out = []
    for i in range(-(-n // 4)):
        c = (s1 + i + (s0 << 64)) % 2**128
        x = [(c >> (32 * j)) & m for j in range(4)]
        k0, k1 = s0 & m, s0 >> 32
        for _ in range(10):
            p0, p1 = 0xD2511F53 * x[0], 0xCD9E8D57 * x[2]
            x = [(p1 >> 32) ^ x[1] ^ k0, p1 & m, (p0 >> 32) ^ x[3] ^ k1, p0 & m]
            k0, k1 = (k0 + 0x9E3779B9) & m, (k1 + 0xBB67AE85) & m
        out += x
    return np.array(out[:n], np.uint32)


for _alg, _ref in (("RNG_THREE_FRY", _threefry_reference), ("RNG_PHILOX", _philox_reference)):
    SPECS.append(
        Spec(
            f"lax:rng_bit_generator[{_alg}]",
            "library",
            "ftrans.lax.rng_bit_generator",
            lambda key, a=_alg: lax.rng_bit_generator(key, (8,), np.uint32, lax.RandomAlgorithm[a])[
                1
            ],
            lambda key, r=_ref: r(key, 8),
            (Arg((4,), _u32_words),),
            covers=("primitive:threefry2x32",) if _alg == "RNG_THREE_FRY" else ("primitive:mul",),
            order=0,
        )
    )
