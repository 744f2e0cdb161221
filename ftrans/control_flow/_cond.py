"""``cond`` and ``switch``: the ``cond`` primitive, holding one program per branch.

Only the selected branch runs, eagerly and under ``jit``. Under ``vmap`` with a batched index
each example may pick a different branch, so every branch runs on the whole batch and the
results are chosen lane by lane with ``select`` (which never mixes values of the branch not
taken, so a NaN there does not leak into the result).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.compiler.native_rules import native_rule
from ftrans.control_flow._common import (
    BranchMismatchError,
    describe,
    differences,
    flatten_operands,
    fun_name,
    run,
    trace_fun,
)
from ftrans.core import (
    Primitive,
    Zero,
    eval_jaxpr,
    get_aval,
    is_undefined,
)
from ftrans.interpreters.programs import (
    avals_of,
    batch_program,
    jvp_program,
    partial_eval_program,
    trace_program,
    transpose_program,
    zeros_like_aval,
)
from ftrans.interpreters.tracing import JaxprTracer

cond_p = Primitive("cond", multiple_results=True)


def _cond_impl(index, *ops, branches):
    k = min(max(int(index), 0), len(branches) - 1)
    return [np.asarray(o) for o in run(branches[k], ops)]


cond_p.impl = _cond_impl
cond_p.abstract_eval = lambda index, *ops, branches: list(branches[0].out_avals)
# under jit: index the tuple of compiled branches and call the chosen one
cond_p.lower = lambda args, *, branches: f"{branches}[{args[0]}]({', '.join(args[1:])})"
# natively: if/elif/else around the inlined branches
native_rule(cond_p)(lambda g, eqn, *values, **_: g.cond(eqn, values))


# ----------------------------------------------------------------------------- JVP


def _cond_jvp(primals, tangents, *, branches):
    index, ops = primals[0], primals[1:]
    nonzero = tuple(type(t) is not Zero for t in tangents[1:])
    union = tuple(
        any(col) for col in zip(*(jvp_program(b, nonzero)[1] for b in branches), strict=True)
    )
    programs = tuple(jvp_program(b, nonzero, instantiate=union)[0] for b in branches)
    outs = cond_p.bind(
        index, *ops, *[t for t in tangents[1:] if type(t) is not Zero], branches=programs
    )
    n = len(branches[0].out_avals)
    it = iter(outs[n:])
    out_t = [
        next(it) if nz else Zero(a) for a, nz in zip(branches[0].out_avals, union, strict=True)
    ]
    return outs[:n], out_t


cond_p.jvp = _cond_jvp


# ----------------------------------------------------------------------------- partial eval


def _joined_split(branches, unknowns):
    """Known/unknown programs of every branch, with one shared residual list.

    Branch ``k``'s known program writes its residuals into its own slots and zeros into the
    others'; its unknown program reads only its own slots.
    """
    key = ("cond_partial_eval", unknowns, tuple(id(b) for b in branches))
    hit = branches[0].cache.get(key)
    if hit is not None and hit[0] == tuple(id(b) for b in branches):
        return hit[1]
    splits = [partial_eval_program(b, unknowns) for b in branches]
    union = tuple(any(col) for col in zip(*(s[2] for s in splits), strict=True))
    splits = [partial_eval_program(b, unknowns, instantiate=union) for b in branches]
    res_avals = [list(k.out_avals[len(k.out_avals) - n :]) for k, _, _, n in splits]
    all_res = [a for r in res_avals for a in r]
    known_in = [a for a, u in zip(branches[0].in_avals, unknowns, strict=True) if not u]
    unknown_in = [a for a, u in zip(branches[0].in_avals, unknowns, strict=True) if u]
    known_progs, unknown_progs = [], []
    offset = 0
    for (known, unknown, _, n_res), avals in zip(splits, res_avals, strict=True):
        start = offset
        offset += len(avals)

        def known_fun(*args, known=known, n_res=n_res, start=start):
            outs = eval_jaxpr(known.jaxpr, known.consts, *args)
            n_known = len(outs) - n_res
            padded = [zeros_like_aval(a) for a in all_res]
            padded[start : start + n_res] = outs[n_known:]
            return outs[:n_known] + padded

        def unknown_fun(*args, unknown=unknown, n_res=n_res, start=start):
            res = list(args[start : start + n_res])
            return eval_jaxpr(unknown.jaxpr, unknown.consts, *res, *args[len(all_res) :])

        known_progs.append(trace_program(known_fun, known_in, "cond branch (known part)"))
        unknown_progs.append(trace_program(unknown_fun, all_res + unknown_in, "cond branch"))
    result = (tuple(known_progs), tuple(unknown_progs), union, len(all_res))
    branches[0].cache[key] = (tuple(id(b) for b in branches), result)
    return result


def _cond_partial_eval(trace, args, params):
    branches = params["branches"]
    unknown = [type(a) is JaxprTracer and a._trace is trace for a in args]
    if not any(unknown):
        return cond_p.bind(*args, **params)
    if unknown[0]:  # an index that depends on the unknowns: nothing can run early
        return trace.stage(cond_p, args, params)
    index, ops = args[0], args[1:]
    ops_unknown = tuple(unknown[1:])
    known_progs, unknown_progs, out_unknown, n_res = _joined_split(branches, ops_unknown)
    known_outs = cond_p.bind(
        index, *[o for o, u in zip(ops, ops_unknown, strict=True) if not u], branches=known_progs
    )
    n_known = len(known_outs) - n_res
    staged = trace.stage(
        cond_p,
        [index, *known_outs[n_known:], *[o for o, u in zip(ops, ops_unknown, strict=True) if u]],
        {"branches": unknown_progs},
    )
    known_it, staged_it = iter(known_outs[:n_known]), iter(staged)
    return [next(staged_it) if u else next(known_it) for u in out_unknown]


cond_p.partial_eval = _cond_partial_eval


# ----------------------------------------------------------------------------- transpose


def _cond_transpose(cts, index, *ops, branches):
    if is_undefined(index):
        raise TypeError("cond: the branch index cannot be a linear input")
    linear = tuple(is_undefined(o) for o in ops)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    programs = tuple(transpose_program(b, linear, ct_nonzero) for b in branches)
    outs = cond_p.bind(
        index,
        *[o for o in ops if not is_undefined(o)],
        *[c for c in cts if type(c) is not Zero],
        branches=programs,
    )
    it = iter(outs)
    return [None] + [next(it) if lin else None for lin in linear]


cond_p.transpose = _cond_transpose


# ----------------------------------------------------------------------------- batching


def _cond_batch(vals, dims, *, branches):
    from ftrans.primitives._batch import moveaxis
    from ftrans.primitives.elementwise import eq, select
    from ftrans.primitives.shape import broadcast_in_dim

    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    index, idim = vals[0], dims[0]
    ops, op_dims = vals[1:], tuple(dims[1:])
    avals = avals_of(ops)
    if idim is None:
        batched = [batch_program(b, op_dims, avals, size, force=False)[1] for b in branches]
        union = tuple(any(col) for col in zip(*batched, strict=True))
        programs = tuple(batch_program(b, op_dims, avals, size, force=union)[0] for b in branches)
        outs = cond_p.bind(index, *ops, branches=programs)
        return outs, [0 if u else None for u in union]
    # each example picks its own branch: run them all, choose lane by lane
    index = moveaxis(index, idim, 0)
    picks = [eq(index, np.asarray(k, index.dtype)) for k in range(len(branches))]
    results = []
    for k, b in enumerate(branches):
        masked, masked_dims = _mask_derivatives(ops, op_dims, picks[k], size)
        program = batch_program(b, tuple(masked_dims), avals_of(masked), size, force=True)[0]
        results.append(eval_jaxpr(program.jaxpr, program.consts, *masked))
    outs = []
    for parts in zip(*results, strict=True):
        shape = get_aval(parts[0]).shape
        value = parts[-1]
        for k in range(len(parts) - 2, -1, -1):
            pick = broadcast_in_dim(picks[k], shape=shape, broadcast_dimensions=(0,))
            value = select(pick, parts[k], value)
        outs.append(value)
    return outs, [0] * len(outs)


def _mask_derivatives(ops, op_dims, pick, size):
    """Float operands of one branch as ``select(pick, x, stop_gradient(x))``, batched on axis 0.

    The values are unchanged; derivatives reach ``x`` only in the lanes that take the branch.
    Every branch runs on every lane, and a lane that does not take it may compute inf or NaN
    there (its inputs can be anything, e.g. the zero-filled residuals of another branch); the
    output ``select`` drops those values, but a derivative taken through it would still multiply
    a zero cotangent by that inf. The ``select`` on the inputs drops them in the derivative too
    (its transpose picks by lane, never multiplies), so no NaN of an untaken lane reaches a
    gradient: the ``where`` trap, closed inside ftrans."""
    from ftrans.core import is_float_dtype
    from ftrans.primitives._batch import moveaxis
    from ftrans.primitives.elementwise import select, stop_gradient
    from ftrans.primitives.shape import broadcast_in_dim

    masked, dims = [], []
    for x, d in zip(ops, op_dims, strict=True):
        aval = get_aval(x)
        if not is_float_dtype(aval.dtype):
            masked.append(x)
            dims.append(d)
            continue
        if d is None:
            x = broadcast_in_dim(
                x, shape=(size, *aval.shape), broadcast_dimensions=tuple(range(1, aval.ndim + 1))
            )
        elif d != 0:
            x = moveaxis(x, d, 0)
        p = broadcast_in_dim(pick, shape=get_aval(x).shape, broadcast_dimensions=(0,))
        masked.append(select(p, x, stop_gradient(x)))
        dims.append(0)
    return masked, dims


cond_p.batch = _cond_batch


# ----------------------------------------------------------------------------- user API


def _trace_branches(branches, operands, names, what):
    leaves, in_tree = flatten_operands(operands, f"the operands of {what}")
    avals = avals_of(leaves)
    traced = [
        trace_fun(b, in_tree, avals, f"{what} {n}", f"{n} of {what}")
        for b, n in zip(branches, names, strict=True)
    ]
    first_prog, _, first_tree = traced[0]
    for (prog, _, out_tree), name in zip(traced[1:], names[1:], strict=True):
        if out_tree != first_tree or [(a.shape, a.dtype) for a in prog.out_avals] != [
            (a.shape, a.dtype) for a in first_prog.out_avals
        ]:
            diff = "; ".join(
                differences(first_tree, first_prog.out_avals, out_tree, prog.out_avals)
            )
            raise BranchMismatchError(
                f"{what}: {names[0]} returns {describe(first_tree, first_prog.out_avals)} but "
                f"{name} returns {describe(out_tree, prog.out_avals)} ({diff}). Every branch "
                "must return the same pytree structure, shapes and dtypes: cast with .astype(...) "
                "or broadcast inside the branches."
            )
    # every branch takes all captured values (each uses its own) and then the operands
    captured = [c for _, cap, _ in traced for c in cap]
    counts = [len(cap) for _, cap, _ in traced]
    programs = []
    offset = 0
    cap_avals = avals_of(captured)
    for (prog, _, _), count in zip(traced, counts, strict=True):
        if len(captured) == count:
            programs.append(prog)
        else:

            def widened(*args, prog=prog, start=offset, count=count):
                mine = args[start : start + count]
                return eval_jaxpr(prog.jaxpr, prog.consts, *mine, *args[len(captured) :])

            programs.append(trace_program(widened, cap_avals + avals, f"{what} branch"))
        offset += count
    return tuple(programs), captured + leaves, first_tree


def _index_of(value, n: int, what: str):
    """The branch index as an int32 scalar, clamped to ``[0, n)``."""
    import ftrans.numpy as fnp
    from ftrans.core import Tracer

    if isinstance(value, Tracer):
        if value.shape != ():
            raise TypeError(
                f"{what} needs a scalar index/predicate, got {value.aval.str_short()}. To choose "
                "elementwise, use ftrans.numpy.where(cond, a, b); to branch per example, use "
                "ftrans.vmap over the cond."
            )
        return fnp.clip(fnp.asarray(value).astype(np.int32), 0, n - 1)
    arr = np.asarray(value)
    if arr.shape != ():
        raise TypeError(
            f"{what} needs a scalar index/predicate, got an array of shape {arr.shape}. To "
            "choose elementwise, use ftrans.numpy.where(cond, a, b)."
        )
    if arr.dtype.kind not in "biu":
        raise TypeError(
            f"{what} needs a bool or integer index/predicate, got dtype {arr.dtype}; compare "
            "first (e.g. x > 0) or cast with .astype(int)."
        )
    return np.int32(min(max(int(arr), 0), n - 1))


def switch(index: Any, branches: Sequence[Callable], *operands):
    """Apply ``branches[index](*operands)``; ``index`` is clamped to the valid range.

    A primitive holding one program per branch: only the selected branch runs (eagerly and
    under ``jit``); under ``vmap`` with a batched index every branch runs and the results are
    chosen per example. Every branch must return the same pytree structure, shapes and dtypes.

    Examples:
        >>> import ftrans as ft
        >>> fns = [lambda x: x + 1.0, lambda x: x * 10.0]
        >>> pick = ft.jit(lambda i: ft.lax.switch(i, fns, 2.0))
        >>> float(ft.lax.switch(1, fns, 2.0)), float(pick(0)), float(pick(7))
        (20.0, 3.0, 20.0)
    """
    branches = list(branches)
    if not branches:
        raise ValueError("switch needs at least one branch, got an empty sequence")
    for k, b in enumerate(branches):
        if not callable(b):
            raise TypeError(f"switch: branches[{k}] is a {type(b).__name__}, not a function")
    idx = _index_of(index, len(branches), "switch")
    names = [f"branches[{k}] ({fun_name(b)})" for k, b in enumerate(branches)]
    programs, args, out_tree = _trace_branches(branches, operands, names, "switch")
    outs = cond_p.bind(idx, *args, branches=programs)
    return tree.unflatten(out_tree, outs)


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, in every transformation.

    ``pred`` is a scalar bool (or integer, nonzero meaning true). Both functions are traced to
    programs once; only the chosen one runs. Under ``vmap`` with a batched ``pred`` both run and
    the results are selected per example.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> f = lambda x: ft.lax.cond(x > 0, lambda v: v * 2.0, lambda v: -v, x)
        >>> float(f(3.0)), float(ft.jit(f)(-3.0)), ft.vmap(f)(np.array([1.0, -1.0])).tolist()
        (6.0, 3.0, [2.0, 1.0])
        >>> float(ft.grad(f)(3.0)), float(ft.grad(ft.jit(f))(-3.0))
        (2.0, -1.0)
    """
    if not callable(true_fun) or not callable(false_fun):
        bad = "true_fun" if not callable(true_fun) else "false_fun"
        raise TypeError(
            f"cond: {bad} must be a function; the signature is cond(pred, true_fun, false_fun, "
            "*operands)"
        )
    idx = _index_of(pred, 2, "cond")
    names = [f"false_fun ({fun_name(false_fun)})", f"true_fun ({fun_name(true_fun)})"]
    programs, args, out_tree = _trace_branches([false_fun, true_fun], operands, names, "cond")
    outs = cond_p.bind(idx, *args, branches=programs)
    return tree.unflatten(out_tree, outs)


__all__ = ["cond", "cond_p", "switch"]
