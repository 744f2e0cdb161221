"""``dot_general``: batched tensor contraction, the one bilinear primitive behind dot/matmul/einsum.

``dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))``; the output holds
the batch dimensions, then lhs's free dimensions, then rhs's free dimensions (each in order).
"""

from __future__ import annotations

import math

import numpy as np

from ftrans.compiler.native_rules import native_rule
from ftrans.compiler.numpy_rules import expression_lowering
from ftrans.core import Primitive, ShapedArray, Tracer, Zero, is_undefined, shape_of
from ftrans.errors import ShapeError
from ftrans.primitives._batch import moveaxis, physical_axis
from ftrans.primitives.elementwise import add
from ftrans.primitives.shape import transpose


def _free(ndim, contract, batch):
    return [d for d in range(ndim) if d not in contract and d not in batch]


def _dot_general_impl(lhs, rhs, *, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    if type(lhs) is not np.ndarray:
        lhs = np.asarray(lhs)
    if type(rhs) is not np.ndarray:
        rhs = np.asarray(rhs)
    if not lb:
        if lc == (lhs.ndim - 1,) and (
            (rc == (0,) and rhs.ndim <= 2) or (rc == (1,) and rhs.ndim == 2)
        ):
            # x @ W and x @ W.T (a transpose rule's product): straight to BLAS. np.dot is BLAS
            # only for operands of rank <= 2, so a batch of rows is flattened into one matrix.
            w = rhs if rc == (0,) else rhs.T
            if lhs.ndim <= 2:
                return np.asarray(np.dot(lhs, w))
            rows = lhs.reshape(-1, lhs.shape[-1])
            return np.dot(rows, w).reshape(lhs.shape[:-1] + w.shape[1:])
        return np.asarray(np.tensordot(lhs, rhs, axes=(lc, rc)))
    lf = _free(lhs.ndim, lc, lb)
    rf = _free(rhs.ndim, rc, rb)
    batch_shape = [lhs.shape[d] for d in lb]
    lf_shape = [lhs.shape[d] for d in lf]
    rf_shape = [rhs.shape[d] for d in rf]
    b = math.prod(batch_shape)
    m = math.prod(lf_shape)
    n = math.prod(rf_shape)
    k = math.prod([lhs.shape[d] for d in lc])
    a = np.transpose(lhs, list(lb) + lf + list(lc)).reshape(b, m, k)
    c = np.transpose(rhs, list(rb) + list(rc) + rf).reshape(b, k, n)
    # A contraction of size 1 is a batch of outer products: einsum's loop beats b tiny GEMMs
    # (and a broadcast multiply) here.
    out = np.einsum("bmk,bkn->bmn", a, c) if k == 1 else np.matmul(a, c)
    return out.reshape(batch_shape + lf_shape + rf_shape)


def _dot_general_aval(lhs, rhs, *, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general operands must share a dtype, got {lhs.dtype} and {rhs.dtype}")
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise ShapeError(f"dot_general dimension numbers {dimension_numbers} are unbalanced")
    for a, b in list(zip(lc, rc)) + list(zip(lb, rb)):
        if lhs.shape[a] != rhs.shape[b]:
            raise ShapeError(
                f"dot_general cannot pair axis {a} of {lhs.shape} with axis {b} of {rhs.shape}"
            )
    shape = (
        [lhs.shape[d] for d in lb]
        + [lhs.shape[d] for d in _free(lhs.ndim, lc, lb)]
        + [rhs.shape[d] for d in _free(rhs.ndim, rc, rb)]
    )
    return ShapedArray(shape, lhs.dtype)


def _transpose_operand(ct, other, other_ndim, operand_ndim, dims, swap):
    """Cotangent of one operand: contract ``ct`` with the other operand, then reorder axes."""
    (lc, rc), (lb, rb) = dims
    if swap:  # the unknown operand is rhs: exchange roles
        lc, rc, lb, rb = rc, lc, rb, lb
    nb = len(lb)
    n_operand_free = len(_free(operand_ndim, lc, lb))
    other_free = _free(other_ndim, rc, rb)
    ct_other_free = list(range(nb + n_operand_free, nb + n_operand_free + len(other_free)))
    if swap:
        # For rhs, ct is laid out (batch, lhs free, rhs free): the "other" (lhs) free dims come
        # first and the operand's own free dims last.
        n_other_free = len(other_free)
        ct_other_free = list(range(nb, nb + n_other_free))
    numbers = ((tuple(ct_other_free), tuple(other_free)), (tuple(range(nb)), tuple(rb)))
    result = dot_general(ct, other, dimension_numbers=numbers)
    # result axes: batch, operand free (in order), operand contracting ordered by other's dims
    ordered_contract = [lc[i] for i in np.argsort(rc)]
    source = list(lb) + _free(operand_ndim, lc, lb) + ordered_contract
    return transpose(result, permutation=tuple(np.argsort(source)))


def _dot_general_transpose(ct, lhs, rhs, *, dimension_numbers):
    if is_undefined(lhs) and is_undefined(rhs):
        raise TypeError("dot_general is linear in one operand at a time, not both")
    if is_undefined(lhs):
        ndim = len(lhs.aval.shape)
        return [_transpose_operand(ct, rhs, _ndim(rhs), ndim, dimension_numbers, False), None]
    ndim = len(rhs.aval.shape)
    return [None, _transpose_operand(ct, lhs, _ndim(lhs), ndim, dimension_numbers, True)]


def _ndim(x):
    return len(shape_of(x))


def _dot_general_jvp(primals, tangents, *, dimension_numbers):
    lhs, rhs = primals
    tl, tr = tangents
    out = dot_general(lhs, rhs, dimension_numbers=dimension_numbers)
    t_out = None
    if type(tl) is not Zero:
        t_out = dot_general(tl, rhs, dimension_numbers=dimension_numbers)
    if type(tr) is not Zero:
        term = dot_general(lhs, tr, dimension_numbers=dimension_numbers)
        t_out = term if t_out is None else add(t_out, term)
    return out, t_out


dot_general_p = Primitive("dot_general", linear=True)
dot_general_p.impl = _dot_general_impl
dot_general_p.abstract_eval = _dot_general_aval
dot_general_p.jvp = _dot_general_jvp
dot_general_p.transpose = _dot_general_transpose


def _dot_general_batch(vals, dims, *, dimension_numbers):
    (lhs, rhs), (ld, rd) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if rd is None and not lb:
        # The common `x @ W` with x batched: the batch axis is one more free axis of lhs, so the
        # product is one plain matmul over the whole batch (no batch dims, no data movement).
        if ld == 0:  # lhs's contracting axes all shift by one; the batch stays in front
            numbers = ((tuple([a + 1 for a in lc]), rc), ((), ()))
            out_dim = 0
        else:
            numbers = ((tuple([a + (a >= ld) for a in lc]), rc), ((), ()))
            out_dim = ld - sum([a < ld for a in lc])
        if isinstance(lhs, Tracer) or isinstance(rhs, Tracer):
            return dot_general_p.bind(lhs, rhs, dimension_numbers=numbers), out_dim
        return _dot_general_impl(lhs, rhs, dimension_numbers=numbers), out_dim
    if ld is not None and rd is not None:  # both batched: one more batch dimension
        lhs, rhs = moveaxis(lhs, ld, 0), moveaxis(rhs, rd, 0)
        shift = lambda axes: tuple(a + 1 for a in axes)
        numbers = ((shift(lc), shift(rc)), ((0, *shift(lb)), (0, *shift(rb))))
        return dot_general(lhs, rhs, dimension_numbers=numbers), 0
    if ld is not None:  # the batch axis is one more free axis of lhs: no data movement
        lc2 = tuple(physical_axis(a, ld) for a in lc)
        lb2 = tuple(physical_axis(a, ld) for a in lb)
        out = dot_general(lhs, rhs, dimension_numbers=((lc2, rc), (lb2, rb)))
        free = _free(_ndim(lhs), lc2, lb2)
        return out, len(lb) + free.index(ld)
    rc2 = tuple(physical_axis(a, rd) for a in rc)
    rb2 = tuple(physical_axis(a, rd) for a in rb)
    out = dot_general(lhs, rhs, dimension_numbers=((lc, rc2), (lb, rb2)))
    n_lhs_free = _ndim(lhs) - len(lc) - len(lb)
    free = _free(_ndim(rhs), rc2, rb2)
    return out, len(lb) + n_lhs_free + free.index(rd)


dot_general_p.batch = _dot_general_batch


def dot_general(lhs, rhs, *, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    numbers = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    return dot_general_p.bind(lhs, rhs, dimension_numbers=numbers)


# ----------------------------------------------------------------------------- lowering


def _lower_dot(eqn, args):
    """Matrix and vector products become one ``np.dot`` on (transposed views of) the operands:
    BLAS directly, without the implementation's dispatch. A batch of rows times a matrix is one
    2-D product. Anything else calls the implementation (tensordot / matmul / einsum)."""
    (lc, rc), (lb, _) = eqn.params["dimension_numbers"]
    lhs, rhs = eqn.inputs
    nl, nr = lhs.aval.ndim, rhs.aval.ndim
    if lb or len(lc) != 1 or nr > 2:
        return None
    b = args[1] if nr == 1 or rc == (0,) else f"{args[1]}.T"
    if nl <= 2:
        a = args[0] if nl == 1 or lc == (1,) else f"{args[0]}.T"
        return f"np.dot({a}, {b})"
    if lc == (nl - 1,):
        rows = f"{args[0]}.reshape(-1, {lhs.aval.shape[-1]})"
        return f"np.dot({rows}, {b}).reshape({tuple(eqn.outputs[0].aval.shape)!r})"
    return None


def _install_lowering():
    dot_general_p.lower = expression_lowering(_lower_dot)


_install_lowering()


# ----------------------------------------------------------------------------- native lowering


def native_product(eqn) -> tuple[int, int, int, bool]:
    """``(m, n, k, gemm)`` of a ``dot_general`` equation: the sizes of the matrix product it
    is (batch dimensions aside) and whether the native rule can hand it to BLAS as one GEMM
    (float, no batch dimensions) once ``m * n * k`` reaches the generator's ``BLAS_MIN``;
    otherwise it is loops (unrolled and fused into its consumers when ``k`` is short)."""
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = (a.aval for a in eqn.inputs)
    out = eqn.outputs[0].aval
    m = math.prod(lhs.shape[d] for d in _free(lhs.ndim, lc, lb))
    n = math.prod(rhs.shape[d] for d in _free(rhs.ndim, rc, rb))
    k = math.prod(lhs.shape[d] for d in lc)
    gemm = not lb and out.dtype.name in ("float32", "float64") and lhs.dtype == rhs.dtype
    return m, n, k, gemm


@native_rule(dot_general_p)
def _dot_general_native(g, eqn, lhs, rhs, *, dimension_numbers, **_):
    """Loops accumulating in a scalar for small products; BLAS on 2-D contiguous operands
    for large float ones (NumPy's own BLAS, ``ftrans.compiler.native.blas``, where it is
    found; else numba's ``np.dot``)."""
    (lc, rc), (lb, rb) = dimension_numbers
    out = eqn.outputs[0].aval
    lf, rf = _free(len(lhs.shape), lc, lb), _free(len(rhs.shape), rc, rb)
    m, n, k, gemm = native_product(eqn)
    contracted = [lhs.shape[d] for d in lc]
    if gemm and m * n * k >= g.BLAS_MIN:
        a = g.laid_out(lhs, [*lf, *lc], (m, k))
        b = g.laid_out(rhs, [*rc, *rf], (k, n))
        return g.reshaped(g.array((m, n), out.dtype, g.owned(g.gemm(a, b))), out.shape)
    lhs, rhs = g.computed(lhs), g.computed(rhs)
    nb = len(lb)

    def operands(out_idx, c_idx):
        a, b = [None] * len(lhs.shape), [None] * len(rhs.shape)
        for i, (da, db) in enumerate(zip(lb, rb, strict=True)):
            a[da] = b[db] = out_idx[i]
        for i, d in enumerate(lf):
            a[d] = out_idx[nb + i]
        for i, d in enumerate(rf):
            b[d] = out_idx[nb + len(lf) + i]
        for i, (da, db) in enumerate(zip(lc, rc, strict=True)):
            a[da] = b[db] = c_idx[i]
        return g.elem(lhs, tuple(a)), g.elem(rhs, tuple(b))

    return g.contraction(out.shape, out.dtype, contracted, operands)
