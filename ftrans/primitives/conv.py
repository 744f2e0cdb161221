"""``conv_general_dilated``: N-d convolution with strides, padding, dilations and groups.

The primitive works in one canonical layout: lhs ``(N, C, *spatial)``, rhs ``(O, I, *window)``,
output ``(N', O, *spatial')``. `conv_general_dilated` (the JAX-shaped function) moves the
axes named by ``dimension_numbers`` into that layout with ``transpose`` and back, so the rules
below never see a layout.

Groups: with ``feature_group_count = G`` the lhs features split as ``(G, C/G)`` and the output
features as ``(G, O/G)``; group g of the output sees group g of the input, and ``I = C/G``. With
``batch_group_count = B`` the lhs batch splits as ``(B, N/B)`` and the output features as
``(B, O/B)``; the output batch is ``N/B`` (this is what the kernel's cotangent of a grouped
convolution needs).

The implementation is im2col: one ``as_strided`` view of the padded input holds every window,
one copy puts it into a contiguous patch matrix in the order that reads the input's memory
best (the layout of the array, not of the canonical axes, decides), and one GEMM (a grouped
``matmul`` for groups) contracts it with the kernel; float32 stays float32. A stride-1
convolution with lhs dilation (the lhs cotangent of a strided one) skips the dilation's zeros:
one GEMM per window offset, added into the output phase that offset reaches ("col2im"). The
cotangents are convolutions again (the lhs one with the flipped kernel and lhs dilation equal
to the strides, the rhs one of the input with the cotangent), so every transform nests.
"""

from __future__ import annotations

import builtins
import itertools
import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ftrans.compiler.native_rules import numpy_only
from ftrans.core import Primitive, ShapedArray, Zero, get_aval, is_undefined, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives._batch import moveaxis
from ftrans.primitives.elementwise import add
from ftrans.primitives.shape import reshape, rev, transpose


def _dilate(n: int, d: int) -> int:
    return 0 if n == 0 else (n - 1) * d + 1


def _out_size(n, k, stride, lo, hi, lhs_d, rhs_d) -> int:
    span = _dilate(n, lhs_d) + lo + hi
    window = _dilate(k, rhs_d)
    return 0 if span < window else (span - window) // stride + 1


# ----------------------------------------------------------------------------- implementation

#: temporaries up to this size come from per-thread buffers reused across calls (larger ones
#: are allocated per call): at most this much stays allocated per slot and thread
SCRATCH_MAX_BYTES = 32 << 20


class _Scratch(threading.local):
    def __init__(self):
        self.buffers: dict[str, np.ndarray] = {}


_scratch_buffers = _Scratch()


def _scratch(slot: str, shape, dtype) -> np.ndarray:
    """An uninitialised C-ordered array for a temporary that dies inside the call (a padded
    input, a patch matrix, a phase buffer), carved from this thread's buffer for ``slot``.

    A fresh multi-megabyte array costs a page fault per 4 KiB page the first time it is
    written (the kernel hands out zeroed pages), which for the patch matrix takes as long as
    the copy that fills it; NumPy hands such sizes back to the system on free, so every call
    paid it again. Slots keep the temporaries of one call apart; nothing returned to the
    caller ever points into a slot.
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes == 0 or nbytes > SCRATCH_MAX_BYTES or dtype.hasobject:
        return np.empty(shape, dtype)
    buffers = _scratch_buffers.buffers
    buffer = buffers.get(slot)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = buffers[slot] = np.empty(nbytes, np.uint8)
    return buffer[:nbytes].view(dtype).reshape(shape)


def _dilate_and_pad(x, lhs_dilation, padding):
    """``x`` (N, C, *spatial) with zeros inserted between elements and at the edges; negative
    padding crops."""
    if all(d == 1 for d in lhs_dilation) and all(lo == hi == 0 for lo, hi in padding):
        return x
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
    shape = list(x.shape[:2]) + [
        _dilate(n, d) + lo + hi
        for n, d, (lo, hi) in zip(x.shape[2:], lhs_dilation, grow, strict=True)
    ]
    # in x's memory order, so a channels-last input stays channels-last
    order = sorted(range(x.ndim), key=lambda a: -abs(x.strides[a]))
    out = _scratch("pad", [shape[a] for a in order], x.dtype).transpose(np.argsort(order))
    inner = tuple(
        slice(lo, lo + _dilate(n, d), d)
        for n, d, (lo, _) in zip(x.shape[2:], lhs_dilation, grow, strict=True)
    )
    if any(d > 1 for d in lhs_dilation):
        out[...] = 0
    else:  # only the borders: the inner block is overwritten next
        for i, (lo, hi) in enumerate(grow):
            before = [slice(None)] * x.ndim
            before[2 + i] = slice(0, lo)
            after = [slice(None)] * x.ndim
            after[2 + i] = slice(shape[2 + i] - hi, None)
            out[tuple(before)] = 0
            out[tuple(after)] = 0
    out[(slice(None), slice(None), *inner)] = x
    crop = tuple(
        slice(-min(lo, 0), s - (-min(hi, 0)))
        for (lo, hi), s in zip(padding, shape[2:], strict=True)
    )
    if any(lo < 0 or hi < 0 for lo, hi in padding):
        out = out[(slice(None), slice(None), *crop)]
    return out


def _windows(x, window, strides, rhs_dilation, out_spatial):
    """A read-only view (N, C, *out_spatial, *window) of every (dilated) window of ``x``."""
    nsp = x.ndim - 2
    s = x.strides
    shape = x.shape[:2] + tuple(out_spatial) + tuple(window)
    steps = (
        s[:2]
        + tuple(s[2 + i] * strides[i] for i in range(nsp))
        + tuple(s[2 + i] * rhs_dilation[i] for i in range(nsp))
    )
    return as_strided(x, shape, steps, writeable=False)


def _conv_impl(
    lhs,
    rhs,
    *,
    window_strides,
    padding,
    lhs_dilation,
    rhs_dilation,
    feature_group_count,
    batch_group_count,
):
    lhs = np.asarray(lhs)
    rhs = np.asarray(rhs)
    nsp = lhs.ndim - 2
    window = rhs.shape[2:]
    out_spatial = [
        _out_size(n, k, s, lo, hi, ld, rd)
        for n, k, s, (lo, hi), ld, rd in zip(
            lhs.shape[2:], window, window_strides, padding, lhs_dilation, rhs_dilation, strict=True
        )
    ]
    n, c = lhs.shape[:2]
    o = rhs.shape[0]
    out_shape = (n // batch_group_count, o, *out_spatial)
    dtype = np.result_type(lhs.dtype, rhs.dtype)
    if 0 in out_shape or math.prod(window) == 0 or c == 0:
        return np.zeros(out_shape, dtype)
    g, b = feature_group_count, batch_group_count
    if (
        g == 1
        and b == 1
        and any(d > 1 for d in lhs_dilation)
        and all(s == 1 for s in window_strides)
    ):
        return _transposed_conv(lhs, rhs, padding, lhs_dilation, rhs_dilation, out_spatial)
    x = _dilate_and_pad(lhs, lhs_dilation, padding)
    win = _windows(x, window, window_strides, rhs_dilation, out_spatial)
    sp = tuple(range(2, 2 + nsp))  # output spatial axes of win
    kw = tuple(range(2 + nsp, 2 + 2 * nsp))  # window axes of win
    if g == 1 and b == 1:
        return _im2col_gemm(win, rhs)
    p = math.prod(out_spatial)
    k = math.prod(window)
    if g > 1:  # (N, G, C/G, *out, *K) -> (G, N*P, C/G*K)
        cg = c // g
        cols = win.reshape((n, g, cg, *out_spatial, *window))
        cols = cols.transpose((1, 0, *[a + 1 for a in sp], 2, *[a + 1 for a in kw]))
        cols = cols.reshape(g, n * p, cg * k)
        kern = rhs.reshape(g, o // g, cg * k).transpose(0, 2, 1)
        out = np.matmul(cols, kern).reshape((g, n, *out_spatial, o // g))
        # (G, N, *out, O/G) -> (N, G, O/G, *out)
        out = out.transpose((1, 0, 2 + nsp, *range(2, 2 + nsp)))
        return out.reshape((n, o, *out_spatial))
    nb = n // b  # (B, N/B, C, *out, *K) -> (B, N/B*P, C*K)
    cols = win.reshape((b, nb, c, *out_spatial, *window))
    cols = cols.transpose((0, 1, *[a + 1 for a in sp], 2, *[a + 1 for a in kw]))
    cols = cols.reshape(b, nb * p, c * k)
    kern = rhs.reshape(b, o // b, c * k).transpose(0, 2, 1)
    out = np.matmul(cols, kern).reshape((b, nb, *out_spatial, o // b))
    out = out.transpose((1, 0, 2 + nsp, *range(2, 2 + nsp)))
    return out.reshape((nb, o, *out_spatial))


def _copy_order(win, axes):
    """``axes`` of ``win`` in the order a copy reads memory best: outer to inner by stride,
    ties (overlapping windows) with the longer run innermost; length-1 axes first."""
    return sorted(axes, key=lambda a: (win.shape[a] > 1, -abs(win.strides[a]), win.shape[a]))


def _im2col_gemm(win, rhs):
    """Contract the windows ``win`` (N, C, *out, *K) with the kernel ``rhs`` (O, C, *K) as one
    copy of the windows into a contiguous patch matrix (im2col) and one GEMM.

    The patch matrix is (positions, C*K) or, transposed, (C*K, positions), with the axes of
    each side in the order that reads the source memory most contiguously: features
    innermost for a channels-last input, batch innermost for the kernel cotangent (whose
    "batch" is the forward pass's features). The GEMM takes either orientation without a copy
    (BLAS's transpose flag); float32 stays float32 (sgemm). The product is (positions, O) in
    the patch order; the result is a transposed view of it in the canonical layout.
    """
    nsp = win.ndim // 2 - 1
    free = _copy_order(win, [0, *range(2, 2 + nsp)])
    contracted = _copy_order(win, [1, *range(2 + nsp, 2 + 2 * nsp)])
    innermost = _copy_order(win, free[-1:] + contracted[-1:])[-1]
    rows = math.prod(win.shape[a] for a in free)
    depth = math.prod(win.shape[a] for a in contracted)
    o = rhs.shape[0]
    # kernel axis of each contracted window axis: C -> 1, window offset i -> 2 + i
    kernel_axes = [1 if a == 1 else a - nsp for a in contracted]
    kern = rhs.transpose((*kernel_axes, 0)).reshape(depth, o)
    order = (*free, *contracted) if innermost in contracted else (*contracted, *free)
    cols = _scratch("patches", [win.shape[a] for a in order], win.dtype)
    np.copyto(cols, win.transpose(order))
    if innermost in contracted:
        out = np.matmul(cols.reshape(rows, depth), kern)
    else:
        out = np.matmul(cols.reshape(depth, rows).T, kern)
    out = out.reshape((*[win.shape[a] for a in free], o))
    # (free axes in copy order..., O) -> (N, O, *out)
    return out.transpose((free.index(0), nsp + 1, *[free.index(2 + i) for i in range(nsp)]))


def _transposed_conv(lhs, rhs, padding, lhs_dilation, rhs_dilation, out_spatial):
    """A stride-1 convolution of the lhs-dilated input (what the lhs cotangent of a strided
    convolution is), without materialising the dilation's zeros ("col2im").

    Input position ``i`` under window offset ``k`` lands on output position
    ``y = lo - k * r + i * d``: every offset writes one residue class ``y mod d`` (a phase) of
    the output, at consecutive positions of that phase. So each offset's products (one GEMM
    of the input with that offset's kernel slice) go into a phase-major buffer
    (*d, N, *ceil(q / d), O) over contiguous runs: written in place by the GEMM for an offset
    that covers its whole phase, added as one slice otherwise. One copy then interleaves the
    phases into the channels-last output.
    """
    nsp = lhs.ndim - 2
    n = lhs.shape[0]
    o = rhs.shape[0]
    window = rhs.shape[2:]
    spatial = lhs.shape[2:]
    dtype = np.result_type(lhs.dtype, rhs.dtype)
    # (N * S, C) @ (C, O) for each offset
    cols = np.moveaxis(lhs, 1, -1).reshape(-1, lhs.shape[1])
    kern = rhs.transpose((*range(2, 2 + nsp), 1, 0)).reshape(-1, rhs.shape[1], o)
    per_phase = [-(-q // d) for q, d in zip(out_spatial, lhs_dilation, strict=True)]
    phases = _scratch("phases", (*lhs_dilation, n, *per_phase, o), dtype)
    everything = builtins.slice(None)
    written, partial = set(), []
    for flat, k in enumerate(itertools.product(*[range(w) for w in window])):
        phase, target, source, whole = [], [], [], True
        for m, p, d, r, kk, (lo, _) in zip(
            spatial, per_phase, lhs_dilation, rhs_dilation, k, padding, strict=True
        ):
            start = lo - kk * r
            base = start // d  # input element i lands on phase position base + i
            first, last = max(0, -base), min(m, p - base)
            if last <= first:
                break
            phase.append(start - base * d)
            target.append(builtins.slice(base + first, base + last))
            source.append(builtins.slice(first, last))
            whole &= base == 0 and m == p
        else:
            phase = tuple(phase)
            if whole and phase not in written:
                np.matmul(cols, kern[flat], out=phases[phase].reshape(-1, o))
                written.add(phase)
            else:
                partial.append((flat, phase, target, source))
    for phase in itertools.product(*[range(d) for d in lhs_dilation]):
        if phase not in written:
            phases[phase] = 0
    if partial:
        products = _scratch("products", (cols.shape[0], o), dtype)
        grid = products.reshape((n, *spatial, o))
        for flat, phase, target, source in partial:
            np.matmul(cols, kern[flat], out=products)
            phases[(*phase, everything, *target)] += grid[(everything, *source)]
    # (*d, N, *P, O) -> (N, P_1, d_1, P_2, d_2, ..., O) -> (N, *q, O) -> (N, O, *q)
    interleave = [nsp]
    for i in range(nsp):
        interleave += [nsp + 1 + i, i]
    out = phases.transpose((*interleave, 2 * nsp + 1)).copy()  # never a view of the scratch
    out = out.reshape((n, *[p * d for p, d in zip(per_phase, lhs_dilation, strict=True)], o))
    out = out[(everything, *[builtins.slice(0, q) for q in out_spatial])]
    return np.moveaxis(out, -1, 1)


# ----------------------------------------------------------------------------- shape rule


def _conv_aval(
    lhs,
    rhs,
    *,
    window_strides,
    padding,
    lhs_dilation,
    rhs_dilation,
    feature_group_count,
    batch_group_count,
):
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise ShapeError(
            f"conv_general_dilated needs lhs and rhs of one rank >= 2, got shapes {lhs.shape} "
            f"and {rhs.shape}"
        )
    if lhs.dtype != rhs.dtype:
        raise TypeError(
            f"conv_general_dilated operands must share a dtype, got {lhs.dtype} and {rhs.dtype}"
            " (convert one with lax.convert_element_type, or pass preferred_element_type)"
        )
    nsp = lhs.ndim - 2
    for name, value in (
        ("window_strides", window_strides),
        ("padding", padding),
        ("lhs_dilation", lhs_dilation),
        ("rhs_dilation", rhs_dilation),
    ):
        if len(value) != nsp:
            raise ShapeError(
                f"conv_general_dilated: {name} has {len(value)} entries but the operands have "
                f"{nsp} spatial dimensions"
            )
    for name, value in (
        ("window_strides", window_strides),
        ("lhs_dilation", lhs_dilation),
        ("rhs_dilation", rhs_dilation),
    ):
        if any(v < 1 for v in value):
            raise ValueError(f"conv_general_dilated: {name} must be positive, got {value}")
    g, b = feature_group_count, batch_group_count
    if g < 1 or b < 1 or (g > 1 and b > 1):
        raise ValueError(
            "conv_general_dilated: feature_group_count and batch_group_count must be >= 1 and "
            f"at most one of them > 1, got {g} and {b}"
        )
    n, c = lhs.shape[:2]
    o, i = rhs.shape[:2]
    if c % g or c // g != i:
        raise ShapeError(
            f"conv_general_dilated: the lhs feature size {c} must equal the kernel's input "
            f"feature size {i} times feature_group_count={g}"
        )
    if o % g or o % b:
        raise ShapeError(
            f"conv_general_dilated: the kernel's output feature size {o} must be a multiple of "
            f"feature_group_count={g} and batch_group_count={b}"
        )
    if n % b:
        raise ShapeError(
            f"conv_general_dilated: the lhs batch size {n} must be a multiple of "
            f"batch_group_count={b}"
        )
    spatial = [
        _out_size(m, k, s, lo, hi, ld, rd)
        for m, k, s, (lo, hi), ld, rd in zip(
            lhs.shape[2:],
            rhs.shape[2:],
            window_strides,
            padding,
            lhs_dilation,
            rhs_dilation,
            strict=True,
        )
    ]
    return ShapedArray((n // b, o, *spatial), lhs.dtype)


# ----------------------------------------------------------------------------- derivatives


def _conv_jvp(primals, tangents, **params):
    lhs, rhs = primals
    tl, tr = tangents
    out = conv_p.bind(lhs, rhs, **params)
    t_out = None
    if type(tl) is not Zero:
        t_out = conv_p.bind(tl, rhs, **params)
    if type(tr) is not Zero:
        term = conv_p.bind(lhs, tr, **params)
        t_out = term if t_out is None else add(t_out, term)
    return out, t_out


def _split_axis(x, axis, outer):
    shape = list(shape_of(x))
    shape[axis : axis + 1] = [outer, shape[axis] // outer]
    return reshape(x, new_sizes=shape)


def _merge_axes(x, src, dst):
    """Move axis ``src`` next to (before) axis ``dst`` of the remaining axes and merge them."""
    shape = list(shape_of(x))
    perm = [a for a in range(len(shape)) if a != src]
    perm.insert(dst, src)
    x = transpose(x, permutation=perm)
    merged = [shape[a] for a in perm]
    merged[dst : dst + 2] = [merged[dst] * merged[dst + 1]]
    return reshape(x, new_sizes=merged)


def _lhs_padding(n, k, strides, out, padding, lhs_d, rhs_d):
    pads = []
    for m, kk, s, q, (lo, _), ld, rd in zip(n, k, strides, out, padding, lhs_d, rhs_d, strict=True):
        before = _dilate(kk, rd) - lo - 1
        after = _dilate(m, ld) + _dilate(kk, rd) - 1 - _dilate(q, s) - before
        pads.append((before, after))
    return tuple(pads)


def _rhs_padding(n, k, strides, out, padding, lhs_d, rhs_d):
    pads = []
    for m, kk, s, q, (lo, _), ld, rd in zip(n, k, strides, out, padding, lhs_d, rhs_d, strict=True):
        hi = _dilate(q, s) - _dilate(m, ld) + _dilate(kk, rd) - lo - 1
        pads.append((lo, hi))
    return tuple(pads)


def _conv_transpose_rule(
    ct,
    lhs,
    rhs,
    *,
    window_strides,
    padding,
    lhs_dilation,
    rhs_dilation,
    feature_group_count,
    batch_group_count,
):
    if is_undefined(lhs) and is_undefined(rhs):
        raise TypeError("conv_general_dilated is linear in one operand at a time, not both")
    g, b = feature_group_count, batch_group_count
    lhs_shape = lhs.aval.shape if is_undefined(lhs) else shape_of(lhs)
    rhs_shape = rhs.aval.shape if is_undefined(rhs) else shape_of(rhs)
    dtype = (lhs.aval if is_undefined(lhs) else rhs.aval).dtype
    nsp = len(lhs_shape) - 2
    spatial = tuple(range(2, 2 + nsp))
    ct_shape = shape_of(ct)
    if 0 in ct_shape:
        zeros = np.zeros(lhs_shape if is_undefined(lhs) else rhs_shape, dtype)
        return [zeros, None] if is_undefined(lhs) else [None, zeros]
    args = (lhs_shape[2:], rhs_shape[2:], window_strides, ct_shape[2:], padding)
    if is_undefined(lhs):
        # Kernel (O, I, *K) becomes (groups * I, O / groups, *K), flipped in space.
        groups = max(g, b)
        kernel = rhs
        if groups > 1:
            kernel = _merge_axes(_split_axis(kernel, 0, groups), 0, 1)  # (O/G, G*I, *K)
            kernel = transpose(kernel, permutation=(1, 0, *spatial))
        else:
            kernel = transpose(kernel, permutation=(1, 0, *spatial))
        kernel = rev(kernel, dimensions=spatial)
        out = conv_p.bind(
            ct,
            kernel,
            window_strides=lhs_dilation,
            padding=_lhs_padding(*args, lhs_dilation, rhs_dilation),
            lhs_dilation=window_strides,
            rhs_dilation=rhs_dilation,
            feature_group_count=groups,
            batch_group_count=1,
        )
        if b > 1:  # (N/B, B*C, *S) -> (N, C, *S)
            out = _merge_axes(_split_axis(out, 1, b), 1, 0)
        return [out, None]
    # rhs: a convolution of lhs (features as batch) with the cotangent (as the kernel)
    swap = (1, 0, *spatial)
    out = conv_p.bind(
        transpose(lhs, permutation=swap),
        transpose(ct, permutation=swap),
        window_strides=rhs_dilation,
        padding=_rhs_padding(*args, lhs_dilation, rhs_dilation),
        lhs_dilation=lhs_dilation,
        rhs_dilation=window_strides,
        feature_group_count=b,
        batch_group_count=g,
    )
    return [None, transpose(out, permutation=swap)]


# ----------------------------------------------------------------------------- batching


def _conv_batch(vals, dims, **params):
    (lhs, rhs), (ld, rd) = vals, dims
    g, b = params["feature_group_count"], params["batch_group_count"]
    if rd is None:
        # The batch joins lhs's batch axis, inside its batch group: (B_grp, V*N/B_grp, ...).
        x = moveaxis(lhs, ld, 0)
        v, n = shape_of(x)[:2]
        x = _merge_axes(_split_axis(x, 1, b), 0, 1)  # (B_grp, V, N/B_grp, ...) merged
        x = reshape(x, new_sizes=(v * n, *shape_of(x)[2:]))
        out = conv_p.bind(x, rhs, **params)  # (V*N/B_grp, O, ...)
        return _split_axis(out, 0, v), 0
    if ld is None:
        # The batch joins the kernel's output features, inside their group: (G, V*O/G).
        groups = max(g, b)
        w = moveaxis(rhs, rd, 0)
        v, o = shape_of(w)[:2]
        w = _split_axis(w, 1, groups)  # (V, G, O/G, ...)
        w = _merge_axes(w, 0, 1)  # (G, V*O/G, ...)
        w = reshape(w, new_sizes=(v * o, *shape_of(w)[2:]))
        out = conv_p.bind(lhs, w, **params)  # (N, G*V*O/G, ...)
        out = _split_axis(_split_axis(out, 1, groups), 2, v)  # (N, G, V, O/G, ...)
        out = moveaxis(out, 2, 0)  # (V, N, G, O/G, ...)
        shape = shape_of(out)
        return reshape(out, new_sizes=(shape[0], shape[1], o, *shape[4:])), 0
    x = moveaxis(lhs, ld, 0)
    w = moveaxis(rhs, rd, 0)
    v = shape_of(x)[0]
    o = shape_of(w)[1]
    w = reshape(w, new_sizes=(v * o, *shape_of(w)[2:]))  # kernels of example j first
    if b > 1:  # examples join the batch groups: lhs batch (V*N)
        x = reshape(x, new_sizes=(v * shape_of(x)[1], *shape_of(x)[2:]))
        out = conv_p.bind(x, w, **{**params, "batch_group_count": v * b})
    else:  # examples join the feature groups: lhs features (V*C)
        x = _merge_axes(x, 0, 1)  # (N, V*C, ...)
        out = conv_p.bind(x, w, **{**params, "feature_group_count": v * g})
    return _split_axis(out, 1, v), 1  # (N', V, O, ...)


conv_p = Primitive("conv_general_dilated", linear=True)
numpy_only("convolution: NumPy's BLAS-backed kernel", conv_p)
conv_p.impl = _conv_impl
conv_p.abstract_eval = _conv_aval
conv_p.jvp = _conv_jvp
conv_p.transpose = _conv_transpose_rule
conv_p.batch = _conv_batch
# No ``lower`` rule: jit's generated code calls the implementation, which is already one
# strided view and one BLAS call; the compiler has nothing to fuse into it.


def conv_canonical(
    lhs,
    rhs,
    *,
    window_strides,
    padding,
    lhs_dilation=None,
    rhs_dilation=None,
    feature_group_count=1,
    batch_group_count=1,
):
    """The primitive on canonical layouts: lhs (N, C, ...), rhs (O, I, ...), out (N, O, ...)."""
    nsp = len(shape_of(lhs)) - 2
    params = dict(
        window_strides=tuple(int(s) for s in window_strides),
        padding=tuple((int(lo), int(hi)) for lo, hi in padding),
        lhs_dilation=(1,) * nsp if lhs_dilation is None else tuple(int(d) for d in lhs_dilation),
        rhs_dilation=(1,) * nsp if rhs_dilation is None else tuple(int(d) for d in rhs_dilation),
        feature_group_count=int(feature_group_count),
        batch_group_count=int(batch_group_count),
    )
    _conv_aval(get_aval(lhs), get_aval(rhs), **params)  # eager calls skip abstract eval
    return conv_p.bind(lhs, rhs, **params)
