"""Products and contractions: dot, matmul, inner, outer, tensordot, einsum, trace, diagonal."""

from __future__ import annotations

import numpy as np

from ftrans import core
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError, format_frame, user_frame
from ftrans.numpy._util import broadcast_to_shape, cast, normalize_axis, to_operand
from ftrans.primitives import reductions as red
from ftrans.primitives import shape as sh
from ftrans.primitives.dot import dot_general


def _arr(a):
    a = to_operand(a)
    return np.asarray(a) if type(a) in (float, int, bool, complex) else a


def _promote(a, b):
    a, b = _arr(a), _arr(b)
    if a.dtype == b.dtype:  # the common case; np.result_type costs a microsecond per product
        return a, b
    dtype = np.result_type(a.dtype, b.dtype)
    return cast(a, dtype), cast(b, dtype)


def _shape_error(name, a, b, detail):
    return ShapeError(
        f"{name}: shapes {shape_of(a)} and {shape_of(b)} are not aligned: {detail} "
        f"(at {format_frame(user_frame())})."
    )


def matmul(a, b, *, precision=None, preferred_element_type=None):
    """Matrix product with NumPy's rules (1-D operands promoted, leading dims broadcast).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> (fnp.ones((2, 3)) @ fnp.ones(3)).tolist()
        [3.0, 3.0]

    ``precision`` (JAX's keyword) is accepted and ignored: NumPy computes at the operands'
    precision. ``preferred_element_type`` sets the result's dtype.
    """
    out = _matmul(a, b)
    if preferred_element_type is None:
        return out
    from ftrans.numpy._util import cast

    if not core._stack:
        return np.asarray(out).astype(preferred_element_type)
    return cast(out, np.dtype(preferred_element_type))


def _matmul(x1, x2, /):
    """The matmul without the JAX keywords."""
    if not core._stack:
        return np.matmul(x1, x2)
    a, b = _promote(x1, x2)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        raise ValueError(
            "matmul: input operand does not have enough dimensions (use * for scalars)"
        )
    if len(sa) <= 2 and len(sb) <= 2 and (len(sa) == 1 or len(sb) == 1):
        # vector @ matrix, matrix @ vector, vector @ vector: one contraction, no reshapes
        ca, cb = len(sa) - 1, 0 if len(sb) == 1 else len(sb) - 2
        if sa[ca] != sb[cb]:
            raise _shape_error(
                "matmul",
                a,
                b,
                f"{sa[ca]} (dim {ca} of the first) != {sb[cb]} (dim {cb} of the second)",
            )
        return dot_general(a, b, dimension_numbers=(((ca,), (cb,)), ((), ())))
    a2 = sh.reshape(a, new_sizes=(1,) + sa) if len(sa) == 1 else a
    b2 = sh.reshape(b, new_sizes=sb + (1,)) if len(sb) == 1 else b
    sa2, sb2 = shape_of(a2), shape_of(b2)
    if sa2[-1] != sb2[-2]:
        raise _shape_error(
            "matmul",
            a,
            b,
            f"{sa2[-1]} (dim {len(sa) - 1} of the first) != {sb2[-2]} "
            f"(dim {max(len(sb) - 2, 0)} of the second)",
        )
    batch = np.broadcast_shapes(sa2[:-2], sb2[:-2])
    a3 = broadcast_to_shape(a2, batch + sa2[-2:])
    b3 = broadcast_to_shape(b2, batch + sb2[-2:])
    nb = len(batch)
    out = dot_general(
        a3, b3, dimension_numbers=(((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb))))
    )
    if len(sa) == 1 and len(sb) == 1:
        return sh.reshape(out, new_sizes=())
    if len(sa) == 1:
        return sh.reshape(out, new_sizes=batch + (sb2[-1],))
    if len(sb) == 1:
        return sh.reshape(out, new_sizes=batch + (sa2[-2],))
    return out


def dot(a, b, *, precision=None, preferred_element_type=None):
    """``numpy.dot``: sum product over the last axis of ``a`` and the second-to-last of ``b``.

    ``precision`` (JAX's keyword) is accepted and ignored: NumPy computes at the operands'
    precision. ``preferred_element_type`` sets the result's dtype.
    """
    out = _dot(a, b)
    if preferred_element_type is None:
        return out
    from ftrans.numpy._util import cast

    if not core._stack:
        return np.asarray(out).astype(preferred_element_type)
    return cast(out, np.dtype(preferred_element_type))


def _dot(a, b):
    """The dot without the JAX keywords."""
    if not core._stack:
        return np.dot(a, b)
    a, b = _promote(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        from ftrans.numpy._math import multiply

        return multiply(a, b)
    ca = len(sa) - 1
    cb = 0 if len(sb) == 1 else len(sb) - 2
    if sa[ca] != sb[cb]:
        raise _shape_error("dot", a, b, f"{sa[ca]} (dim {ca}) != {sb[cb]} (dim {cb})")
    return dot_general(a, b, dimension_numbers=(((ca,), (cb,)), ((), ())))


def vdot(a, b, *, precision=None, preferred_element_type=None):
    """Dot product of the flattened arrays, conjugating ``a`` when it is complex (NumPy's rule).

    ``precision`` (JAX's keyword) is accepted and ignored: NumPy computes at the operands'
    precision. ``preferred_element_type`` sets the result's dtype.
    """
    out = _vdot(a, b)
    if preferred_element_type is None:
        return out
    from ftrans.numpy._util import cast

    if not core._stack:
        return np.asarray(out).astype(preferred_element_type)
    return cast(out, np.dtype(preferred_element_type))


def _vdot(a, b):
    """The vdot without the JAX keywords."""
    if not core._stack:
        return np.vdot(a, b)
    from ftrans.numpy._math import conj
    from ftrans.numpy._shape import ravel

    return dot(ravel(conj(a)), ravel(b))


def inner(a, b, *, precision=None, preferred_element_type=None):
    """Sum product over the last axes.

    ``precision`` (JAX's keyword) is accepted and ignored: NumPy computes at the operands'
    precision. ``preferred_element_type`` sets the result's dtype.
    """
    out = _inner(a, b)
    if preferred_element_type is None:
        return out
    from ftrans.numpy._util import cast

    if not core._stack:
        return np.asarray(out).astype(preferred_element_type)
    return cast(out, np.dtype(preferred_element_type))


def _inner(a, b):
    """The inner without the JAX keywords."""
    if not core._stack:
        return np.inner(a, b)
    a, b = _promote(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        from ftrans.numpy._math import multiply

        return multiply(a, b)
    if sa[-1] != sb[-1]:
        raise _shape_error("inner", a, b, f"last dimensions {sa[-1]} != {sb[-1]}")
    return dot_general(a, b, dimension_numbers=(((len(sa) - 1,), (len(sb) - 1,)), ((), ())))


def outer(a, b):
    """Outer product of the flattened arrays."""
    if not core._stack:
        return np.outer(a, b)
    from ftrans.numpy._shape import ravel

    a, b = _promote(a, b)
    return dot_general(ravel(a), ravel(b), dimension_numbers=(((), ()), ((), ())))


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    """Contract ``axes`` of ``a`` with ``axes`` of ``b`` (an int n means the last/first n).

    ``precision`` (JAX's keyword) is accepted and ignored: NumPy computes at the operands'
    precision. ``preferred_element_type`` sets the result's dtype.
    """
    out = _tensordot(a, b, axes)
    if preferred_element_type is None:
        return out
    from ftrans.numpy._util import cast

    if not core._stack:
        return np.asarray(out).astype(preferred_element_type)
    return cast(out, np.dtype(preferred_element_type))


def _tensordot(a, b, axes=2):
    """The tensordot without the JAX keywords."""
    if not core._stack:
        return np.tensordot(a, b, axes)
    a, b = _promote(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        axes_a = tuple(range(len(sa) - n, len(sa)))
        axes_b = tuple(range(n))
    else:
        axes_a, axes_b = axes
        axes_a = (axes_a,) if isinstance(axes_a, int) else tuple(axes_a)
        axes_b = (axes_b,) if isinstance(axes_b, int) else tuple(axes_b)
    axes_a = tuple(normalize_axis(x, len(sa)) for x in axes_a)
    axes_b = tuple(normalize_axis(x, len(sb)) for x in axes_b)
    if len(axes_a) != len(axes_b) or any(sa[i] != sb[j] for i, j in zip(axes_a, axes_b)):
        raise _shape_error("tensordot", a, b, f"axes {axes_a} and {axes_b} do not match")
    return dot_general(a, b, dimension_numbers=((axes_a, axes_b), ((), ())))


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal over ``axis1``/``axis2``, moved to the last axis (NumPy's layout)."""
    if not core._stack:
        return np.diagonal(a, offset, axis1, axis2)
    from ftrans.numpy._shape import moveaxis
    from ftrans.primitives.indexing import gather

    a = _arr(a)
    shape = shape_of(a)
    ax1, ax2 = normalize_axis(axis1, len(shape)), normalize_axis(axis2, len(shape))
    if ax1 == ax2:
        raise ValueError("axis1 and axis2 cannot be the same")
    n1, n2 = shape[ax1], shape[ax2]
    rows = np.arange(max(0, -offset), max(0, min(n1, n2 - offset)))
    cols = rows + offset
    out = gather(a, rows, cols, axes=(ax1, ax2))  # diag axis first, then the others in order
    return moveaxis(out, 0, -1)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    """Sum along a diagonal."""
    if not core._stack:
        return np.trace(a, offset, axis1, axis2, dtype)
    from ftrans.numpy._reductions import sum as _sum

    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


# ----------------------------------------------------------------------------- einsum


def _sublist_subscripts(args):
    """NumPy's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``(string, operands)``.

    Integers become letters and ``Ellipsis`` becomes ``...``."""
    import string

    out = args[-1] if len(args) % 2 == 1 else None
    pairs = args[:-1] if out is not None else args
    operands, lists = list(pairs[0::2]), list(pairs[1::2])
    if not operands or len(lists) != len(operands):
        raise ValueError(
            "einsum: the sublist form takes operand, sublist pairs and an optional output "
            "sublist: einsum(a, [0, 1], b, [1, 2], [0, 2])"
        )

    def letters(sub):
        chars = []
        for k in sub:
            if k is Ellipsis:
                chars.append("...")
            elif isinstance(k, (int, np.integer)) and 0 <= int(k) < 52:
                chars.append(string.ascii_letters[int(k)])
            else:
                raise ValueError(
                    f"einsum: sublist entries must be integers in [0, 52) or Ellipsis, got {k!r}"
                )
        return "".join(chars)

    spec = ",".join(letters(sub) for sub in lists)
    if out is not None:
        spec += "->" + letters(out)
    return spec, operands


def _parse_subscripts(subscripts, operands):
    """``(input specs, output spec)`` with every ``...`` replaced by letters of its own.

    The dimensions an ellipsis covers are right-aligned across operands and broadcast like
    NumPy's: a size-1 dimension against a larger one is squeezed out of its operand (which
    ``_broadcast_ellipsis`` does), so every letter has one size."""
    import string

    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        inputs, output = subscripts.split("->")
    else:
        inputs, output = subscripts, None
    inputs = inputs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(
            f"einsum: {len(inputs)} operand subscripts in {subscripts!r} but "
            f"{len(operands)} operands"
        )
    used = set(subscripts) - set(",->.")
    free = [c for c in string.ascii_letters if c not in used]
    n_ellipsis = 0
    for spec, op in zip(inputs, operands, strict=True):
        if "..." in spec:
            n_ellipsis = max(n_ellipsis, len(shape_of(op)) - (len(spec) - 3))
    ell = "".join(free[:n_ellipsis])
    expanded = []
    for spec, op in zip(inputs, operands, strict=True):
        rank = len(shape_of(op))
        if "..." in spec:
            k = rank - (len(spec) - 3)
            if k < 0:
                raise ShapeError(
                    f"einsum: subscripts {spec!r} have more letters than the operand of shape "
                    f"{shape_of(op)} has dimensions"
                )
            spec = spec.replace("...", ell[n_ellipsis - k :] if k else "")
        if "." in spec:
            raise ValueError(f"einsum: {spec!r}: an ellipsis is written as three dots '...'")
        if len(spec) != rank:
            raise ShapeError(
                f"einsum: subscripts {spec!r} have {len(spec)} letters but the operand has shape "
                f"{shape_of(op)}"
            )
        expanded.append(spec)
    if output is None:
        counts = {}
        for c in "".join(expanded):
            counts[c] = counts.get(c, 0) + 1
        output = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        if output.count("...") > 1 or ("." in output.replace("...", "")):
            raise ValueError(f"einsum: output subscripts {output!r} have a malformed ellipsis")
        output = output.replace("...", ell)
    return expanded, output


def _broadcast_ellipsis(ops, specs):
    """Squeeze size-1 dimensions whose letter has a larger size in another operand."""
    sizes = {}
    for op, spec in zip(ops, specs, strict=True):
        for c, n in zip(spec, shape_of(op), strict=True):
            if n != 1:
                sizes.setdefault(c, n)
    out_ops, out_specs = [], []
    for op, spec in zip(ops, specs, strict=True):
        shape = shape_of(op)
        drop = [
            i for i, (c, n) in enumerate(zip(spec, shape, strict=True)) if n == 1 and c in sizes
        ]
        if drop:
            op = sh.reshape(op, new_sizes=tuple(n for i, n in enumerate(shape) if i not in drop))
            spec = "".join(c for i, c in enumerate(spec) if i not in drop)
        out_ops.append(op)
        out_specs.append(spec)
    return out_ops, out_specs


def _take_diagonals(op, spec):
    """Collapse repeated letters in one operand's subscripts (e.g. 'ii' -> 'i')."""
    while len(set(spec)) != len(spec):
        for i, c in enumerate(spec):
            j = spec.find(c, i + 1)
            if j >= 0:
                break
        op = diagonal(op, 0, i, j)  # diagonal goes last
        spec = "".join(ch for k, ch in enumerate(spec) if k not in (i, j)) + c
    return op, spec


def _sum_unique(op, spec, keep):
    """Sum out letters that appear nowhere else."""
    axes = tuple(i for i, c in enumerate(spec) if c not in keep)
    if not axes:
        return op, spec
    return red.reduce_sum(op, axes=axes), "".join(c for c in spec if c in keep)


def _contract_pair(a, sa, b, sb, keep):
    batch = [c for c in sa if c in sb and c in keep]
    contract = [c for c in sa if c in sb and c not in keep]
    dims = (
        (tuple(sa.index(c) for c in contract), tuple(sb.index(c) for c in contract)),
        (tuple(sa.index(c) for c in batch), tuple(sb.index(c) for c in batch)),
    )
    out = dot_general(a, b, dimension_numbers=dims)
    spec = (
        "".join(batch)
        + "".join(c for c in sa if c not in sb)
        + "".join(c for c in sb if c not in sa)
    )
    return out, spec


def einsum(
    subscripts, *operands, out=None, optimize=True, precision=None, preferred_element_type=None
):
    """Einstein summation, lowered to ``dot_general``, reductions and transposes.

    Takes NumPy's two forms: a subscripts string (with ``...`` for leading dimensions, which
    broadcast) or operand, sublist pairs (``einsum(a, [0, 1], b, [1, 2], [0, 2])``).
    Contraction order comes from ``numpy.einsum_path`` (greedy), so three or more operands are
    contracted in a cheap order. ``precision`` is accepted for JAX compatibility and has no
    effect (CPU float64/float32 products are computed at full precision);
    ``preferred_element_type`` sets the result dtype.

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> fnp.einsum("ij,jk->ik", fnp.ones((2, 3)), fnp.ones((3, 4))).shape
        (2, 4)
        >>> fnp.einsum("...i,...i->...", np.ones((5, 2, 3)), np.ones(3)).shape
        (5, 2)
        >>> fnp.einsum(np.ones((2, 3)), [0, 1], np.ones((3, 4)), [1, 2], [0, 2]).shape
        (2, 4)
    """
    if out is not None:
        raise TypeError(
            "einsum: out= is not supported (ftrans arrays are values, never written in place); "
            "use the returned array"
        )
    if not isinstance(subscripts, str):
        subscripts, operands = _sublist_subscripts((subscripts, *operands))
    if not core._stack and not any(isinstance(o, Tracer) for o in operands):
        result = np.einsum(subscripts, *operands, optimize=optimize)
        return result if preferred_element_type is None else result.astype(preferred_element_type)
    ops = [_arr(o) for o in operands]
    dtype = np.result_type(*[o.dtype for o in ops])
    from ftrans.numpy._util import cast

    ops = [cast(o, dtype) for o in ops]
    inputs, output = _parse_subscripts(subscripts, ops)
    ops, inputs = _broadcast_ellipsis(ops, inputs)
    result = _einsum_specs(ops, inputs, output, dtype, optimize)
    if preferred_element_type is not None:
        result = cast(result, np.dtype(preferred_element_type))
    return result


def _einsum_specs(ops, inputs, output, dtype, optimize):
    specs = []
    for i, (op, spec) in enumerate(zip(ops, inputs, strict=True)):
        op, spec = _take_diagonals(op, spec)
        ops[i] = op
        specs.append(spec)
    sizes = {}
    for op, spec in zip(ops, specs, strict=True):
        for c, n in zip(spec, shape_of(op), strict=True):
            if sizes.setdefault(c, n) != n:
                raise ShapeError(f"einsum: letter {c!r} has sizes {sizes[c]} and {n}")
    if len(ops) > 2 and optimize:
        path = np.einsum_path(
            ",".join(specs) + "->" + output,
            *[np.broadcast_to(np.zeros((), dtype), shape_of(o)) for o in ops],
            optimize="greedy",
        )[0][1:]
    else:
        path = [(0, 1)] * (len(ops) - 1)
    ops, specs = list(ops), list(specs)
    for pair in path:
        i, j = sorted(pair)
        b, sb = ops.pop(j), specs.pop(j)
        a, sa = ops.pop(i), specs.pop(i)
        keep = set(output).union(*specs) if specs else set(output)
        a, sa = _sum_unique(a, sa, keep | set(sb))
        b, sb = _sum_unique(b, sb, keep | set(sa))
        out, so = _contract_pair(a, sa, b, sb, keep)
        ops.append(out)
        specs.append(so)
    (op,), (spec,) = ops, specs
    op, spec = _sum_unique(op, spec, set(output))
    if set(output) - set(spec):
        raise ValueError(f"einsum: output letters {sorted(set(output) - set(spec))} not in inputs")
    perm = tuple(spec.index(c) for c in output)
    return sh.transpose(op, permutation=perm) if perm != tuple(range(len(perm))) else op
