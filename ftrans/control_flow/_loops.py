"""Loops: the ``scan`` and ``while`` primitives and ``fori_loop`` built on them.

``scan`` carries a state through a fixed number of steps, slicing its inputs along axis 0 and
stacking its outputs; it has the full set of rules, so ``grad`` of a scan is a reverse scan.
``while`` runs until a predicate fails; forward mode and batching work on it directly, and
reverse mode works when the loop has a bound (``max_steps``): it is then rewritten as a scan of
``max_steps`` guarded steps, which records what the backward pass needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.compiler.native_rules import native_rule
from ftrans.control_flow._common import (
    CarryMismatchError,
    WhileLoopReverseError,
    call_site,
    describe,
    differences,
    flatten_operands,
    fun_name,
    run,
    runner,
    trace_fun,
)
from ftrans.control_flow._cond import cond_p
from ftrans.core import (
    ClosedJaxpr,
    Primitive,
    ShapedArray,
    Tracer,
    Var,
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

# ============================================================================= scan

scan_p = Primitive("scan", multiple_results=True)


def _split3(seq, a, b):
    return list(seq[:a]), list(seq[a : a + b]), list(seq[a + b :])


def _unrolled(program: ClosedJaxpr, k: int, num_consts: int, num_carry: int):
    """``k`` steps of a scan body as one program: (consts, carry, k slices of each x) ->
    (carry, k values of each y), compiled once."""
    key = ("unrolled", k, num_consts, num_carry)
    hit = program.cache.get(key)
    if hit is None:
        avals = program.in_avals
        n_x = len(avals) - num_consts - num_carry

        def fun(*args):
            consts = list(args[:num_consts])
            carry = list(args[num_consts : num_consts + num_carry])
            slices = args[num_consts + num_carry :]
            ys = []
            for j in range(k):
                outs = eval_jaxpr(
                    program.jaxpr, program.consts, *consts, *carry, *slices[j * n_x : (j + 1) * n_x]
                )
                carry = outs[:num_carry]
                ys.extend(outs[num_carry:])
            return [*carry, *ys]

        x_avals = avals[num_consts + num_carry :]
        block = trace_program(
            fun, list(avals[: num_consts + num_carry]) + list(x_avals) * k, "unrolled scan body"
        )
        hit = program.cache[key] = runner(block)
    return hit


def _scan_impl(*args, jaxpr, num_consts, num_carry, length, reverse, unroll):
    consts, carry, xs = _split3(args, num_consts, num_carry)
    program = jaxpr if isinstance(jaxpr, ClosedJaxpr) else jaxpr.program
    # interpret short loops of small bodies; compiling (about a millisecond) pays off only when
    # the body runs often enough, or when the compiled body already exists
    eager = (
        isinstance(jaxpr, ClosedJaxpr)
        and "compiled" not in jaxpr.cache
        and length * max(len(jaxpr.eqns), 1) < 2048
    )
    body = None if eager else runner(jaxpr)
    y_avals = jaxpr.out_avals[num_carry:]
    n_y = len(y_avals)
    ys = [np.empty((length, *a.shape), a.dtype) for a in y_avals]
    order = list(range(length - 1, -1, -1) if reverse else range(length))
    start = 0
    if unroll > 1 and length >= unroll and program is not None and not eager:
        block = _unrolled(program, unroll, num_consts, num_carry)
        while start + unroll <= length:
            idx = order[start : start + unroll]
            outs = block(*consts, *carry, *[x[i] for i in idx for x in xs])
            carry = list(outs[:num_carry])
            for j, i in enumerate(idx):
                for buf, y in zip(
                    ys, outs[num_carry + j * n_y : num_carry + (j + 1) * n_y], strict=True
                ):
                    buf[i] = y
            start += unroll
    for i in order[start:]:
        ins = [*consts, *carry, *[x[i] for x in xs]]
        outs = body(*ins) if body is not None else run(jaxpr, ins)
        carry = list(outs[:num_carry])
        for buf, y in zip(ys, outs[num_carry:], strict=True):
            buf[i] = y
    return [*(np.asarray(c) for c in carry), *ys]


def _scan_aval(*avals, jaxpr, num_consts, num_carry, length, reverse, unroll):
    outs = jaxpr.out_avals
    return [
        *outs[:num_carry],
        *(ShapedArray((length, *a.shape), a.dtype) for a in outs[num_carry:]),
    ]


scan_p.impl = _scan_impl


def _statements(emit):
    """A ``lower`` rule that writes statements (a loop) into the generated code."""

    def lower(args, **params):
        raise TypeError("statement lowering: use lower.emit")

    lower.emit = emit
    return lower


def _emit_scan(em, eqn, args):
    """``jit``'s code for a scan: a ``for`` loop in the generated function, calling the body
    compiled once (``unroll`` steps per call when asked)."""
    from ftrans.interpreters.jit import compiled

    p = eqn.params
    n_c, n_k, length, unroll = p["num_consts"], p["num_carry"], p["length"], p["unroll"]
    consts, carry, xs = _split3(args, n_c, n_k)
    outs = [em.bind(v) for v in eqn.outputs]
    carry_out, ys = outs[:n_k], outs[n_k:]
    lines = [f"    # scan: {length} steps{' in reverse' if p['reverse'] else ''}"]
    for y, v in zip(ys, eqn.outputs[n_k:], strict=True):
        lines.append(f"    {y} = np.empty({tuple(v.aval.shape)!r}, {em.const(v.aval.dtype)})")
    for out, init, v in zip(carry_out, carry, eqn.inputs[n_c : n_c + n_k], strict=True):
        # a literal initial carry becomes an array (what the loop returns if it never runs)
        lines.append(f"    {out} = {init}" if type(v) is Var else f"    {out} = np.asarray({init})")
    order = f"range({length - 1}, -1, -1)" if p["reverse"] else f"range({length})"
    step = -1 if p["reverse"] else 1
    tmp = [f"_y{j}" for j in range(len(ys))]
    targets = ", ".join(carry_out + tmp) + ("," if len(carry_out + tmp) == 1 else "")
    done = 0
    if unroll > 1 and length >= unroll:
        block = em.const(_unrolled(p["jaxpr"], unroll, n_c, n_k), "f")
        n_blocks = length // unroll
        done = n_blocks * unroll
        first = f"({length - 1} - _b * {unroll})" if p["reverse"] else f"(_b * {unroll})"
        btmp = [f"_y{j}_{u}" for u in range(unroll) for j in range(len(ys))]
        btargets = ", ".join(carry_out + btmp) + ("," if len(carry_out + btmp) == 1 else "")
        slices = [f"{x}[_i + {u * step}]" for u in range(unroll) for x in xs]
        lines.append(f"    for _b in range({n_blocks}):")
        lines.append(f"        _i = {first}")
        lines.append(f"        {btargets} = {block}({', '.join(consts + carry_out + slices)})")
        for u in range(unroll):
            for j, y in enumerate(ys):
                lines.append(f"        {y}[_i + {u * step}] = _y{j}_{u}")
        order = (
            f"range({length - 1 - done}, -1, -1)" if p["reverse"] else f"range({done}, {length})"
        )
    if done < length:
        body = em.const(compiled(p["jaxpr"]), "f")
        call = ", ".join(consts + carry_out + [f"{x}[_i]" for x in xs])
        lines.append(f"    for _i in {order}:")
        lines.append(f"        {targets} = {body}({call})")
        for y, t in zip(ys, tmp, strict=True):
            lines.append(f"        {y}[_i] = {t}")
    return "\n".join(lines)


scan_p.lower = _statements(_emit_scan)
# natively: a loop whose body is inlined, carries in scalars or preallocated buffers
native_rule(scan_p)(lambda g, eqn, *values, **_: g.scan(eqn, values))
scan_p.abstract_eval = _scan_aval


def _reordered(program, in_order, out_order, name):
    """``program`` with its inputs taken in ``in_order`` (a permutation: new position ->
    original index) and outputs given in ``out_order``."""
    avals = program.in_avals
    n = len(avals)
    inverse = [0] * n
    for new, old in enumerate(in_order):
        inverse[old] = new

    def fun(*args):
        outs = eval_jaxpr(program.jaxpr, program.consts, *[args[inverse[i]] for i in range(n)])
        return [outs[j] for j in out_order]

    return trace_program(fun, [avals[i] for i in in_order], name)


# ----------------------------------------------------------------------------- scan JVP


def _scan_jvp(primals, tangents, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
    n_c, n_k = num_consts, num_carry
    n_y = len(jaxpr.out_avals) - n_k
    nz = [type(t) is not Zero for t in tangents]
    c_nz, k_nz, x_nz = _split3(nz, n_c, n_k)
    while True:
        _, out_nz = jvp_program(jaxpr, c_nz + k_nz + x_nz, instantiate=k_nz + [False] * n_y)
        new = [a or b for a, b in zip(k_nz, out_nz[:n_k], strict=True)]
        if new == k_nz:
            break
        k_nz = new
    program, out_nz = jvp_program(jaxpr, c_nz + k_nz + x_nz, instantiate=k_nz + [False] * n_y)
    y_nz = list(out_nz[n_k:])
    key = ("scan_jvp", tuple(c_nz), tuple(k_nz), tuple(x_nz))
    body = jaxpr.cache.get(key)
    if body is None:
        n_in = len(nz)
        # program inputs: consts, carry, xs, then tangents of the nonzero ones in that order
        t_pos = {}
        for i, flag in enumerate(c_nz + k_nz + x_nz):
            if flag:
                t_pos[i] = n_in + len(t_pos)
        c_idx = list(range(n_c))
        k_idx = list(range(n_c, n_c + n_k))
        x_idx = list(range(n_c + n_k, n_in))
        in_order = (
            c_idx
            + [t_pos[i] for i in c_idx if i in t_pos]
            + k_idx
            + [t_pos[i] for i in k_idx if i in t_pos]
            + x_idx
            + [t_pos[i] for i in x_idx if i in t_pos]
        )
        n_kt = sum(k_nz)
        out_order = (
            list(range(n_k))
            + list(range(n_k + n_y, n_k + n_y + n_kt))
            + list(range(n_k, n_k + n_y))
            + list(range(n_k + n_y + n_kt, n_k + n_y + n_kt + sum(y_nz)))
        )
        body = jaxpr.cache[key] = _reordered(program, in_order, out_order, "jvp of scan")
    c, k, x = _split3(primals, n_c, n_k)
    ct, kt, xt = _split3(tangents, n_c, n_k)
    avals_k = jaxpr.in_avals[n_c : n_c + n_k]
    kt = [
        (zeros_like_aval(a) if type(t) is Zero else t)
        for t, a, f in zip(kt, avals_k, k_nz, strict=True)
        if f
    ]
    ct = [t for t in ct if type(t) is not Zero]
    xt = [t for t in xt if type(t) is not Zero]
    outs = scan_p.bind(
        *c,
        *ct,
        *k,
        *kt,
        *x,
        *xt,
        jaxpr=body,
        num_consts=n_c + len(ct),
        num_carry=n_k + len(kt),
        length=length,
        reverse=reverse,
        unroll=unroll,
    )
    carry, carry_t = outs[:n_k], outs[n_k : n_k + len(kt)]
    ys, ys_t = outs[n_k + len(kt) : n_k + len(kt) + n_y], outs[n_k + len(kt) + n_y :]
    out_avals = _scan_aval(
        jaxpr=jaxpr, num_consts=n_c, num_carry=n_k, length=length, reverse=reverse, unroll=unroll
    )
    kt_it, yt_it = iter(carry_t), iter(ys_t)
    tangents_out = [
        next(kt_it) if f else Zero(a) for f, a in zip(k_nz, out_avals[:n_k], strict=True)
    ]
    tangents_out += [
        next(yt_it) if f else Zero(a) for f, a in zip(y_nz, out_avals[n_k:], strict=True)
    ]
    return carry + ys, tangents_out


scan_p.jvp = _scan_jvp


# ----------------------------------------------------------------------------- scan partial eval


def _invariant_residuals(known: ClosedJaxpr, n_consts: int, n_out: int):
    """Which residual outputs of a scan body's known part depend only on its constants."""
    from ftrans.core import Var

    varying = {v.id for v in known.jaxpr.invars[n_consts:]}
    for eqn in known.jaxpr.eqns:
        if any(type(a) is Var and a.id in varying for a in eqn.inputs):
            varying.update(v.id for v in eqn.outputs)
    outs = known.jaxpr.outvars[n_out:]
    return [not (type(v) is Var and v.id in varying) for v in outs]


def _scan_split(jaxpr, unknowns, num_consts, num_carry):
    """Known body, hoisted-residual program, reordered unknown body; cached on ``jaxpr``."""
    from ftrans.core import Jaxpr
    from ftrans.interpreters.tracing import dead_code_elimination

    key = ("scan_partial_eval", unknowns)
    hit = jaxpr.cache.get(key)
    if hit is not None:
        return hit
    n_c, n_k = num_consts, num_carry
    n_y = len(jaxpr.out_avals) - n_k
    c_u, k_u, x_u = _split3(list(unknowns), n_c, n_k)
    while True:
        _, _, out_u, _ = partial_eval_program(
            jaxpr, c_u + k_u + x_u, instantiate=k_u + [False] * n_y
        )
        new = [a or b for a, b in zip(k_u, out_u[:n_k], strict=True)]
        if new == k_u:
            break
        k_u = new
    known, unknown, out_u, n_res = partial_eval_program(
        jaxpr, c_u + k_u + x_u, instantiate=k_u + [False] * n_y
    )
    n_kc = n_c - sum(c_u)
    n_known_out = len(known.out_avals) - n_res
    invariant = _invariant_residuals(known, n_kc, n_known_out)
    kj = known.jaxpr
    res_vars = kj.outvars[n_known_out:]
    inv_vars = [v for v, i in zip(res_vars, invariant, strict=True) if i]
    var_vars = [v for v, i in zip(res_vars, invariant, strict=True) if not i]
    # constants-only residuals are computed once, before the loop
    hoist = ClosedJaxpr(
        Jaxpr(
            kj.constvars,
            kj.invars[:n_kc],
            dead_code_elimination(kj.eqns, inv_vars, keep_effects=False),
            inv_vars,
        ),
        known.consts,
    )
    body_outs = kj.outvars[:n_known_out] + var_vars
    known_body = ClosedJaxpr(
        Jaxpr(kj.constvars, kj.invars, dead_code_elimination(kj.eqns, body_outs), body_outs),
        known.consts,
    )
    # unknown body: (invariant res, unknown consts, unknown carry, varying res, unknown xs)
    n_uc, n_uk, n_ux = sum(c_u), sum(k_u), sum(x_u)
    inv_idx = [i for i, f in enumerate(invariant) if f]
    var_idx = [i for i, f in enumerate(invariant) if not f]
    base = n_res
    in_order = (
        inv_idx
        + list(range(base, base + n_uc))
        + list(range(base + n_uc, base + n_uc + n_uk))
        + var_idx
        + list(range(base + n_uc + n_uk, base + n_uc + n_uk + n_ux))
    )
    unknown_body = _reordered(unknown, in_order, list(range(len(unknown.out_avals))), "scan")
    result = (
        tuple(c_u),
        tuple(k_u),
        tuple(x_u),
        tuple(out_u),
        hoist,
        known_body,
        unknown_body,
        len(inv_vars),
        len(var_vars),
    )
    jaxpr.cache[key] = result
    return result


def _scan_partial_eval(trace, args, params):
    jaxpr, n_c, n_k = params["jaxpr"], params["num_consts"], params["num_carry"]
    unknown = tuple(type(a) is JaxprTracer and a._trace is trace for a in args)
    if not any(unknown):
        return scan_p.bind(*args, **params)
    c_u, k_u, x_u, out_u, hoist, known_body, unknown_body, n_inv, n_var = _scan_split(
        jaxpr, unknown, n_c, n_k
    )
    c, k, x = _split3(args, n_c, n_k)
    known_c = [a for a, u in zip(c, c_u, strict=True) if not u]
    known_k = [a for a, u in zip(k, k_u, strict=True) if not u]
    known_x = [a for a, u in zip(x, x_u, strict=True) if not u]
    invariant = eval_jaxpr(hoist.jaxpr, hoist.consts, *known_c)
    known_outs = scan_p.bind(
        *known_c,
        *known_k,
        *known_x,
        **{**params, "jaxpr": known_body, "num_consts": len(known_c), "num_carry": len(known_k)},
    )
    n_ky = len(known_outs) - len(known_k) - n_var
    known_carry = known_outs[: len(known_k)]
    known_ys = known_outs[len(known_k) : len(known_k) + n_ky]
    stacked = known_outs[len(known_k) + n_ky :]
    unknown_c = [a for a, u in zip(c, c_u, strict=True) if u]
    unknown_k = [a for a, u in zip(k, k_u, strict=True) if u]
    unknown_x = [a for a, u in zip(x, x_u, strict=True) if u]
    staged = trace.stage(
        scan_p,
        [*invariant, *unknown_c, *unknown_k, *stacked, *unknown_x],
        {
            **params,
            "jaxpr": unknown_body,
            "num_consts": n_inv + len(unknown_c),
            "num_carry": len(unknown_k),
        },
    )
    n_uk = len(unknown_k)
    staged_carry, staged_ys = iter(staged[:n_uk]), iter(staged[n_uk:])
    known_carry, known_ys = iter(known_carry), iter(known_ys)
    outs = [next(staged_carry) if u else next(known_carry) for u in k_u]
    outs += [next(staged_ys) if u else next(known_ys) for u in out_u[n_k:]]
    return outs


scan_p.partial_eval = _scan_partial_eval


# ----------------------------------------------------------------------------- scan transpose


def _scan_transpose(cts, *args, jaxpr, num_consts, num_carry, length, reverse, unroll):
    from ftrans.primitives.elementwise import add_any

    n_c, n_k = num_consts, num_carry
    undefined = tuple(is_undefined(a) for a in args)
    c_lin, k_lin, x_lin = _split3(undefined, n_c, n_k)
    # the carry is linear in the body even where its initial value is a known constant (a zero
    # tangent made concrete); the cotangent of such an input is simply not returned
    lin = (*c_lin, *(True,) * n_k, *x_lin)
    ct_k = [
        zeros_like_aval(a) if type(c) is Zero else c
        for c, a in zip(cts[:n_k], jaxpr.out_avals[:n_k], strict=True)
    ]
    ct_y = list(cts[n_k:])
    y_nz = tuple(type(c) is not Zero for c in ct_y)
    c, _, x = _split3(args, n_c, n_k)
    res_c = [a for a, f in zip(c, c_lin, strict=True) if not f]
    res_x = [a for a, f in zip(x, x_lin, strict=True) if not f]
    lin_c_avals = [a for a, f in zip(jaxpr.in_avals[:n_c], c_lin, strict=True) if f]
    key = ("scan_transpose", lin, y_nz)
    body = jaxpr.cache.get(key)
    if body is None:
        trans = transpose_program(jaxpr, lin, (True,) * n_k + y_nz)
        n_rc, n_lc, n_rx = len(res_c), len(lin_c_avals), len(res_x)
        x_avals = jaxpr.in_avals[n_c + n_k :]
        res_x_avals = [a for a, f in zip(x_avals, x_lin, strict=True) if not f]
        y_avals = [a for a, f in zip(jaxpr.out_avals[n_k:], y_nz, strict=True) if f]
        k_avals = jaxpr.out_avals[:n_k]

        def step(*a):
            rc = a[:n_rc]
            acc = a[n_rc : n_rc + n_lc]
            ck = a[n_rc + n_lc : n_rc + n_lc + n_k]
            rx = a[n_rc + n_lc + n_k : n_rc + n_lc + n_k + n_rx]
            cy = a[n_rc + n_lc + n_k + n_rx :]
            outs = eval_jaxpr(trans.jaxpr, trans.consts, *rc, *rx, *ck, *cy)
            ct_c, ct_kin, ct_x = outs[:n_lc], outs[n_lc : n_lc + n_k], outs[n_lc + n_k :]
            return [*(add_any(s, t) for s, t in zip(acc, ct_c, strict=True)), *ct_kin, *ct_x]

        avals = [*avals_of(res_c), *lin_c_avals, *k_avals, *res_x_avals, *y_avals]
        body = jaxpr.cache[key] = trace_program(step, avals, "transpose of scan")
    outs = scan_p.bind(
        *res_c,
        *[zeros_like_aval(a) for a in lin_c_avals],
        *ct_k,
        *res_x,
        *[cy for cy in ct_y if type(cy) is not Zero],
        jaxpr=body,
        num_consts=len(res_c),
        num_carry=len(lin_c_avals) + n_k,
        length=length,
        reverse=not reverse,
        unroll=unroll,
    )
    n_lc = len(lin_c_avals)
    ct_c, ct_k0, ct_x = iter(outs[:n_lc]), outs[n_lc : n_lc + n_k], iter(outs[n_lc + n_k :])
    return (
        [next(ct_c) if f else None for f in c_lin]
        + [ct if f else None for ct, f in zip(ct_k0, k_lin, strict=True)]
        + [next(ct_x) if f else None for f in x_lin]
    )


scan_p.transpose = _scan_transpose


# ----------------------------------------------------------------------------- scan batching


def _carry_to_front(carry, dims, batched, size):
    """Carries that will be batched, with the batch dimension first (broadcast if needed)."""
    from ftrans.primitives._batch import moveaxis, to_front

    return [
        (moveaxis(v, d, 0) if d is not None else to_front(v, None, size)) if b else v
        for v, d, b in zip(carry, dims, batched, strict=True)
    ]


def _scan_batch(vals, dims, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
    from ftrans.primitives._batch import moveaxis

    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    n_c, n_k = num_consts, num_carry
    n_y = len(jaxpr.out_avals) - n_k
    c, k, x = _split3(vals, n_c, n_k)
    c_d, k_d, x_d = _split3(dims, n_c, n_k)
    k_b = [d is not None for d in k_d]
    x = [v if d is None else moveaxis(v, d, 1) for v, d in zip(x, x_d, strict=True)]
    x_avals = [
        get_aval(v).update(shape=get_aval(v).shape[1:]) for v in x
    ]  # what the body sees: batch first for batched xs

    def body_in(k_b):
        k_avals = [
            ShapedArray((size, *a.shape), a.dtype) if b else a
            for a, b in zip(jaxpr.in_avals[n_c : n_c + n_k], k_b, strict=True)
        ]
        dims_in = (
            list(c_d) + [0 if b else None for b in k_b] + [None if d is None else 0 for d in x_d]
        )
        return tuple(dims_in), avals_of(c) + k_avals + x_avals

    while True:
        d_in, a_in = body_in(k_b)
        _, out_b = batch_program(jaxpr, d_in, a_in, size, force=k_b + [False] * n_y)
        new = [a or b for a, b in zip(k_b, out_b[:n_k], strict=True)]
        if new == k_b:
            break
        k_b = new
    d_in, a_in = body_in(k_b)
    program, out_b = batch_program(jaxpr, d_in, a_in, size, force=k_b + [False] * n_y)
    k = _carry_to_front(k, k_d, k_b, size)
    outs = scan_p.bind(
        *c,
        *k,
        *x,
        jaxpr=program,
        num_consts=n_c,
        num_carry=n_k,
        length=length,
        reverse=reverse,
        unroll=unroll,
    )
    out_dims = [0 if b else None for b in k_b] + [1 if b else None for b in out_b[n_k:]]
    return outs, out_dims


scan_p.batch = _scan_batch


# ----------------------------------------------------------------------------- scan API


# Python scalars are weakly typed (as in JAX): an initial carry of 0 whose step returns a
# float becomes 0.0, instead of a CarryMismatchError. Arrays' dtypes are never changed.
_WEAK_SCALARS = (int, float, complex)


class _PromoteWeakCarry(Exception):
    """Raised while tracing a loop body: these weak initial carries take the body's dtypes."""

    def __init__(self, dtypes: dict):
        self.dtypes = dtypes


def _weak_mask(leaves) -> list[bool]:
    return [type(x) in _WEAK_SCALARS for x in leaves]


def _promote_weak(leaves, weak, dtypes):
    """``(leaves, weak)`` with the weak carries in ``dtypes`` converted (and no longer weak)."""
    leaves = [np.asarray(x, dtypes[i]) if i in dtypes else x for i, x in enumerate(leaves)]
    return leaves, [w and i not in dtypes for i, w in enumerate(weak)]


def _promotions() -> int:
    from ftrans.numpy._util import PROMOTIONS

    return PROMOTIONS[0]


def _float32_narrowing(original, leaves, promoted: bool) -> dict:
    """Carries that started as Python scalars (weak) and are float64 now, to retry as float32:
    those of a body that promoted float32 values to float64 while traced (the carry, traced as
    float64, met float32 data). JAX's weak carry would have become float32 there."""
    if not promoted:
        return {}
    return {
        i: np.dtype(np.float32)
        for i, (x0, x) in enumerate(zip(original, leaves, strict=True))
        if type(x0) in _WEAK_SCALARS and np.result_type(x) == np.float64
    }


def _trace_loop_body(trace, leaves):
    """``(trace(leaves, weak), leaves)`` for a loop body whose initial carry is ``leaves``,
    with Python scalars as JAX's weak types: a weak carry the body returns in another dtype is
    retraced in that dtype, and one that became float64 while the body promoted float32 data is
    retried as float32 (kept if the body then returns float32 for it)."""
    weak, original = _weak_mask(leaves), list(leaves)
    while True:
        try:
            before = _promotions()
            result = trace(leaves, weak)
            promoted = _promotions() > before
            break
        except _PromoteWeakCarry as promote:  # trace again with the body's carry dtypes
            leaves, weak = _promote_weak(leaves, weak, promote.dtypes)
    narrow = _float32_narrowing(original, leaves, promoted)
    if narrow:
        narrowed = _promote_weak(leaves, weak, narrow)[0]
        try:
            return trace(narrowed, [False] * len(leaves)), narrowed
        except CarryMismatchError:
            pass  # the body does not keep float32: the float64 trace stands
    return result, leaves


def _check_carry(what, in_tree, in_avals, out_tree, out_avals, weak=None):
    if weak and any(weak) and in_tree == out_tree:
        dtypes = {
            i: b.dtype
            for i, (w, a, b) in enumerate(zip(weak, in_avals, out_avals, strict=True))
            if w and a.shape == b.shape and a.dtype != b.dtype
        }
        rest_equal = all(
            (a.shape, a.dtype) == (b.shape, b.dtype)
            for i, (a, b) in enumerate(zip(in_avals, out_avals, strict=True))
            if i not in dtypes
        )
        if dtypes and rest_equal:
            raise _PromoteWeakCarry(dtypes)
    if in_tree != out_tree or [(a.shape, a.dtype) for a in in_avals] != [
        (a.shape, a.dtype) for a in out_avals
    ]:
        diff = "; ".join(differences(in_tree, in_avals, out_tree, out_avals))
        raise CarryMismatchError(
            f"{what}: the carry goes in as {describe(in_tree, in_avals)} but comes out as "
            f"{describe(out_tree, out_avals)} (changed: {diff}). The carry must keep its pytree "
            "structure, shapes and dtypes from step to step: cast with .astype(...) (e.g. start "
            "from 0.0 rather than 0 for a float accumulator) or pad to a fixed shape."
        )


def scan(
    f: Callable,
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; return ``(carry, ys)``.

    The same as this Python loop, but one primitive that every transformation understands
    (``grad`` of it is a reverse scan; ``vmap`` maps the carry; ``jit`` compiles the body once)::

        def scan(f, init, xs, length=None):
            carry, ys = init, []
            for x in xs:                      # or range(length) when xs is None
                carry, y = f(carry, x)
                ys.append(y)
            return carry, stack(ys)

    Args:
        f: ``(carry, x) -> (carry, y)``; ``carry`` keeps its pytree structure, shapes and
            dtypes, ``y`` may be any pytree of arrays (or None).
        init: the initial carry (a pytree of arrays).
        xs: a pytree of arrays sliced along axis 0, or None (then give ``length``).
        length: the number of steps; must agree with ``xs`` when both are given.
        reverse: run from the last slice to the first (``ys`` stay in ``xs``'s order).
        unroll: steps per iteration of the generated loop (``True``: all of them); only speed.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> cumsum = lambda xs: ft.lax.scan(lambda c, x: (c + x, c + x), 0.0, xs)
        >>> total, partial = cumsum(np.arange(1.0, 5.0))
        >>> float(total), partial.tolist()
        (10.0, [1.0, 3.0, 6.0, 10.0])
        >>> ft.grad(lambda xs: cumsum(xs)[1].sum())(np.arange(1.0, 5.0)).tolist()
        [4.0, 3.0, 2.0, 1.0]
    """
    if not callable(f):
        raise TypeError(
            f"scan: f must be a function (carry, x) -> (carry, y), got {type(f).__name__}"
        )
    what = f"scan of {fun_name(f)} at {call_site()}"
    init_leaves, init_tree = flatten_operands(init, f"the init carry of {what}")
    x_leaves, _ = flatten_operands(xs, f"xs of {what}")
    lengths = []
    for path, leaf in tree.flatten_with_path(xs)[0]:
        shape = get_aval(leaf).shape
        if not shape:
            raise ValueError(
                f"{what}: xs{tree.keystr(path)} is a scalar; scan slices every leaf of xs along "
                "axis 0, so each needs at least one dimension (use length= for a loop without xs)."
            )
        lengths.append((tree.keystr(path), shape[0]))
    sizes = {n for _, n in lengths}
    if length is not None:
        if not isinstance(length, (int, np.integer)) or isinstance(length, bool) or length < 0:
            raise TypeError(f"{what}: length must be a non-negative int, got {length!r}")
        sizes.add(int(length))
    if not sizes:
        raise ValueError(f"{what}: xs is None (or empty), so pass length= to say how many steps.")
    if len(sizes) > 1:
        listed = ", ".join(f"xs{p or ''} has {n}" for p, n in lengths)
        extra = f", length={length}" if length is not None else ""
        raise ValueError(
            f"{what}: the leading axes of xs disagree ({listed}{extra}); every leaf of xs is "
            "sliced along axis 0, so they must all have the same length."
        )
    n = sizes.pop()
    if unroll is True:
        unroll = max(n, 1)
    elif unroll is False:
        unroll = 1
    if not isinstance(unroll, (int, np.integer)) or unroll < 1:
        raise ValueError(f"{what}: unroll must be a positive int or a bool, got {unroll!r}")
    carry_avals = avals_of(init_leaves)
    x_avals = [a.update(shape=a.shape[1:]) for a in avals_of(x_leaves)]
    out_trees = []

    def body(carry, x):
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(
                f"{what}: f must return a pair (new_carry, y), got {type(out).__name__}"
                + (f" of length {len(out)}" if isinstance(out, tuple) else "")
            )
        new_leaves, new_tree = tree.check_leaves(out[0], what=f"the new carry of {what}")
        _check_carry(what, init_tree, carry_avals, new_tree, avals_of(new_leaves), weak)
        y_leaves, y_tree = tree.check_leaves(out[1], what=f"the y output of {what}")
        out_trees.append(y_tree)
        return tree.unflatten(new_tree, new_leaves), tree.unflatten(y_tree, y_leaves)

    in_tree = tree.structure((init, xs))
    weak = _weak_mask(init_leaves)

    def trace_body(leaves, weak_mask):
        nonlocal carry_avals, weak
        carry_avals, weak = avals_of(leaves), weak_mask
        out_trees.clear()
        program, captured, _ = trace_fun(
            lambda carry, x: body(carry, x), in_tree, carry_avals + x_avals, "scan body", what
        )
        return program, captured, out_trees[0]

    (program, captured, y_tree), init_leaves = _trace_loop_body(trace_body, init_leaves)
    outs = scan_p.bind(
        *captured,
        *init_leaves,
        *x_leaves,
        jaxpr=program,
        num_consts=len(captured),
        num_carry=len(init_leaves),
        length=n,
        reverse=bool(reverse),
        unroll=int(unroll),
    )
    k = len(init_leaves)
    return tree.unflatten(init_tree, outs[:k]), tree.unflatten(y_tree, outs[k:])


# ============================================================================= while

while_p = Primitive("while", multiple_results=True)


def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, max_steps, name):
    cc, bc, carry = _split3(args, cond_nconsts, body_nconsts)

    def interpreted(program):
        return lambda *a: run(program, a)

    # the first steps run interpreted: a loop that ends quickly never pays for compiling; one
    # that keeps going switches to the compiled cond and body (compiled once per program)
    if not isinstance(body_jaxpr, ClosedJaxpr) or "compiled" in body_jaxpr.cache:
        cond_fn, body_fn, switch_at = runner(cond_jaxpr), runner(body_jaxpr), -1
    else:
        cond_fn, body_fn, switch_at = interpreted(cond_jaxpr), interpreted(body_jaxpr), 16
    steps = 0
    while (max_steps is None or steps < max_steps) and bool(cond_fn(*cc, *carry)[0]):
        carry = list(body_fn(*bc, *carry))
        steps += 1
        if steps == switch_at:
            cond_fn, body_fn = runner(cond_jaxpr), runner(body_jaxpr)
    return [np.asarray(c) for c in carry]


while_p.impl = _while_impl


def _emit_while(em, eqn, args):
    """``jit``'s code for a while loop: a ``while`` statement around the compiled functions."""
    from ftrans.interpreters.jit import compiled

    p = eqn.params
    cc, bc, carry = _split3(args, p["cond_nconsts"], p["body_nconsts"])
    outs = [em.bind(v) for v in eqn.outputs]
    cond = em.const(compiled(p["cond_jaxpr"]), "f")
    body = em.const(compiled(p["body_jaxpr"]), "f")
    targets = ", ".join(outs) + ("," if len(outs) == 1 else "")
    lines = ["    # while loop" + (f" (at most {p['max_steps']} steps)" if p["max_steps"] else "")]
    n_consts = p["cond_nconsts"] + p["body_nconsts"]
    for out, init, v in zip(outs, carry, eqn.inputs[n_consts:], strict=True):
        lines.append(f"    {out} = {init}" if type(v) is Var else f"    {out} = np.asarray({init})")
    test = f"{cond}({', '.join(cc + outs)})[0]"
    if p["max_steps"] is None:
        lines.append(f"    while {test}:")
    else:
        lines.append(f"    for _n in range({p['max_steps']}):")
        lines.append(f"        if not {test}:")
        lines.append("            break")
    lines.append(f"        {targets} = {body}({', '.join(bc + outs)})")
    return "\n".join(lines)


while_p.lower = _statements(_emit_while)
native_rule(while_p)(lambda g, eqn, *values, **_: g.while_loop(eqn, values))
while_p.abstract_eval = lambda *avals, body_jaxpr, **_: list(body_jaxpr.out_avals)


def _while_jvp(
    primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, max_steps, name
):
    n_cc, n_bc = cond_nconsts, body_nconsts
    n_k = len(body_jaxpr.out_avals)
    nz = [type(t) is not Zero for t in tangents]
    _, bc_nz, k_nz = _split3(nz, n_cc, n_bc)
    while True:
        _, out_nz = jvp_program(body_jaxpr, bc_nz + k_nz, instantiate=k_nz)
        new = [a or b for a, b in zip(k_nz, out_nz, strict=True)]
        if new == k_nz:
            break
        k_nz = new
    program, _ = jvp_program(body_jaxpr, bc_nz + k_nz, instantiate=k_nz)
    key = ("while_jvp", tuple(bc_nz), tuple(k_nz), id(cond_jaxpr))
    hit = body_jaxpr.cache.get(key)
    if hit is None:
        n_in = n_bc + n_k
        t_pos, count = {}, 0
        for i, f in enumerate(bc_nz + k_nz):
            if f:
                t_pos[i] = n_in + count
                count += 1
        bc_idx, k_idx = list(range(n_bc)), list(range(n_bc, n_in))
        in_order = (
            bc_idx
            + [t_pos[i] for i in bc_idx if i in t_pos]
            + k_idx
            + [t_pos[i] for i in k_idx if i in t_pos]
        )
        body = _reordered(program, in_order, list(range(len(program.out_avals))), "jvp of while")
        k_avals = body_jaxpr.out_avals
        kt_avals = [a for a, f in zip(k_avals, k_nz, strict=True) if f]
        cc_avals = cond_jaxpr.in_avals[:n_cc]

        def cond_fun(*a):
            return eval_jaxpr(cond_jaxpr.jaxpr, cond_jaxpr.consts, *a[: n_cc + n_k])

        cond = trace_program(cond_fun, [*cc_avals, *k_avals, *kt_avals], "jvp of while cond")
        hit = body_jaxpr.cache[key] = (cond, body)
    cond, body = hit
    cc, bc, k = _split3(primals, n_cc, n_bc)
    _, bct, kt = _split3(tangents, n_cc, n_bc)
    bct = [t for t in bct if type(t) is not Zero]
    kt = [
        zeros_like_aval(a) if type(t) is Zero else t
        for t, a, f in zip(kt, body_jaxpr.out_avals, k_nz, strict=True)
        if f
    ]
    outs = while_p.bind(
        *cc,
        *bc,
        *bct,
        *k,
        *kt,
        cond_jaxpr=cond,
        body_jaxpr=body,
        cond_nconsts=n_cc,
        body_nconsts=n_bc + len(bct),
        max_steps=max_steps,
        name=name,
    )
    it = iter(outs[n_k:])
    return outs[:n_k], [
        next(it) if f else Zero(a) for f, a in zip(k_nz, body_jaxpr.out_avals, strict=True)
    ]


while_p.jvp = _while_jvp


def _while_batch(
    vals, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, max_steps, name
):
    from ftrans.primitives.elementwise import select
    from ftrans.primitives.reductions import reduce_or
    from ftrans.primitives.shape import broadcast_in_dim

    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    n_cc, n_bc = cond_nconsts, body_nconsts
    cc, bc, k = _split3(vals, n_cc, n_bc)
    cc_d, bc_d, k_d = _split3(dims, n_cc, n_bc)
    k_b = [d is not None for d in k_d]
    k_avals0 = body_jaxpr.out_avals

    def k_in(k_b):
        return (
            [0 if b else None for b in k_b],
            [
                ShapedArray((size, *a.shape), a.dtype) if b else a
                for a, b in zip(k_avals0, k_b, strict=True)
            ],
        )

    while True:
        kd, ka = k_in(k_b)
        _, pred_b = batch_program(
            cond_jaxpr, tuple(cc_d) + tuple(kd), avals_of(cc) + ka, size, force=False
        )
        if pred_b[0]:
            new = [True] * len(k_b)  # lanes finish at different steps, so every carry differs
        else:
            _, out_b = batch_program(
                body_jaxpr, tuple(bc_d) + tuple(kd), avals_of(bc) + ka, size, force=k_b
            )
            new = [a or b for a, b in zip(k_b, out_b, strict=True)]
        if new == k_b:
            break
        k_b = new
    kd, ka = k_in(k_b)
    cond_b, pred_b = batch_program(
        cond_jaxpr, tuple(cc_d) + tuple(kd), avals_of(cc) + ka, size, force=False
    )
    body_b, _ = batch_program(
        body_jaxpr, tuple(bc_d) + tuple(kd), avals_of(bc) + ka, size, force=k_b
    )
    k = _carry_to_front(k, k_d, k_b, size)
    out_dims = [0 if b else None for b in k_b]
    if not pred_b[0]:
        outs = while_p.bind(
            *cc,
            *bc,
            *k,
            cond_jaxpr=cond_b,
            body_jaxpr=body_b,
            cond_nconsts=n_cc,
            body_nconsts=n_bc,
            max_steps=max_steps,
            name=name,
        )
        return outs, out_dims
    # a batched predicate: loop while any lane is running; finished lanes keep their carry
    cc_avals, bc_avals = avals_of(cc), avals_of(bc)

    def any_cond(*a):
        (pred,) = eval_jaxpr(cond_b.jaxpr, cond_b.consts, *a)
        return [reduce_or(pred, axes=(0,))]

    def guarded_body(*a):
        c_, b_, kk = a[:n_cc], a[n_cc : n_cc + n_bc], a[n_cc + n_bc :]
        (pred,) = eval_jaxpr(cond_b.jaxpr, cond_b.consts, *c_, *kk)
        new = eval_jaxpr(body_b.jaxpr, body_b.consts, *b_, *kk)
        out = []
        for nv, old in zip(new, kk, strict=True):
            shape = get_aval(old).shape
            mask = broadcast_in_dim(pred, shape=shape, broadcast_dimensions=(0,))
            out.append(select(mask, nv, old))
        return out

    k_avals = avals_of(k)
    cond2 = trace_program(any_cond, cc_avals + k_avals, "vmap of while cond")
    body2 = trace_program(guarded_body, cc_avals + bc_avals + k_avals, "vmap of while body")
    outs = while_p.bind(
        *cc,
        *cc,
        *bc,
        *k,
        cond_jaxpr=cond2,
        body_jaxpr=body2,
        cond_nconsts=n_cc,
        body_nconsts=n_cc + n_bc,
        max_steps=max_steps,
        name=name,
    )
    return outs, out_dims


while_p.batch = _while_batch


def _bounded_scan_program(cond_jaxpr, body_jaxpr, n_cc, n_bc):
    """The scan body ``(cc, bc, active, carry) -> (active', carry')`` of a bounded while."""
    key = ("while_as_scan", id(cond_jaxpr), n_cc, n_bc)
    hit = body_jaxpr.cache.get(key)
    if hit is not None:
        return hit
    from ftrans.primitives.elementwise import bitwise_and, convert_element_type

    k_avals = body_jaxpr.out_avals
    bc_avals = body_jaxpr.in_avals[:n_bc]

    def identity(*a):
        return list(a[n_bc:])

    keep = trace_program(identity, [*bc_avals, *k_avals], "while (finished)")

    def step(*a):
        cc, bc, active, k = a[:n_cc], a[n_cc : n_cc + n_bc], a[n_cc + n_bc], a[n_cc + n_bc + 1 :]
        (pred,) = eval_jaxpr(cond_jaxpr.jaxpr, cond_jaxpr.consts, *cc, *k)
        go = bitwise_and(active, pred)
        new = cond_p.bind(
            convert_element_type(go, new_dtype=np.int32), *bc, *k, branches=(keep, body_jaxpr)
        )
        return [go, *new]

    avals = [*cond_jaxpr.in_avals[:n_cc], *bc_avals, ShapedArray((), np.dtype(bool)), *k_avals]
    program = body_jaxpr.cache[key] = trace_program(step, avals, "bounded while")
    return program


def _while_partial_eval(trace, args, params):
    n_cc, n_bc = params["cond_nconsts"], params["body_nconsts"]
    unknown = [type(a) is JaxprTracer and a._trace is trace for a in args]
    if not any(unknown[n_cc:]):
        if any(unknown):
            return trace.stage(while_p, args, params)
        return while_p.bind(*args, **params)
    max_steps = params["max_steps"]
    if max_steps is None:
        return _while_partial_eval_unbounded(trace, args, params, unknown)
    program = _bounded_scan_program(params["cond_jaxpr"], params["body_jaxpr"], n_cc, n_bc)
    outs = scan_p.bind(
        *args[: n_cc + n_bc],
        np.bool_(True),
        *args[n_cc + n_bc :],
        jaxpr=program,
        num_consts=n_cc + n_bc,
        num_carry=1 + len(args) - n_cc - n_bc,
        length=max_steps,
        reverse=False,
        unroll=1,
    )
    return outs[1:]


while_p.partial_eval = _while_partial_eval


def _while_partial_eval_unbounded(trace, args, params, unknown):
    """An unbounded loop keeps no record of its steps, so the whole loop (primal and tangent
    carries) is staged into the linear program: linearize works (the loop reruns forwards when
    the linear map is applied), and so does grad when no cotangent reaches the loop (a result
    that is dead, under stop_gradient, compared or floored); only transposing it fails. The
    carries that do not depend on the unknowns (the primals) also run now, in a loop of their
    own, so they are known values (linearize's primal outputs are concrete)."""
    n_cc, n_bc = params["cond_nconsts"], params["body_nconsts"]
    cond, body = params["cond_jaxpr"], params["body_jaxpr"]
    cc_u, bc_u, k_u = _split3(unknown, n_cc, n_bc)
    staged = trace.stage(while_p, args, params)
    while True:  # a carry is unknown if its step output is
        out_u = partial_eval_program(body, tuple(bc_u + k_u))[2]
        new = [a or b for a, b in zip(k_u, out_u, strict=True)]
        if new == k_u:
            break
        k_u = new
    if all(k_u) or partial_eval_program(cond, tuple(cc_u + k_u))[2][0]:
        return staged
    known_cond = partial_eval_program(cond, tuple(cc_u + k_u))[0]
    known_body = partial_eval_program(body, tuple(bc_u + k_u))[0]
    n_known = k_u.count(False)

    def first(program, n):
        def fun(*a):
            return eval_jaxpr(program.jaxpr, program.consts, *a)[:n]

        return trace_program(fun, program.in_avals, "while (known carries)")

    cc, bc, k = _split3(args, n_cc, n_bc)
    known_cc = [a for a, u in zip(cc, cc_u, strict=True) if not u]
    known_bc = [a for a, u in zip(bc, bc_u, strict=True) if not u]
    known_k = [a for a, u in zip(k, k_u, strict=True) if not u]
    known_outs = iter(
        while_p.bind(
            *known_cc,
            *known_bc,
            *known_k,
            cond_jaxpr=first(known_cond, 1),
            body_jaxpr=first(known_body, n_known),
            cond_nconsts=len(known_cc),
            body_nconsts=len(known_bc),
            max_steps=None,
            name=params["name"],
        )
    )
    return [s if u else next(known_outs) for s, u in zip(staged, k_u, strict=True)]


def _while_transpose(cts, *args, name, **_):
    """Reached only when a cotangent flows into an unbounded loop: it kept no record."""
    raise WhileLoopReverseError(
        f"Reverse-mode differentiation (grad, vjp, jacrev) of the while_loop {name} needs a "
        "bound on its number of steps: an unbounded loop does not know how much to record "
        "for the backward pass. Pass max_steps=N to ftrans.lax.while_loop (the loop then "
        "stops after at most N steps, also in the forward pass), or use fori_loop / scan "
        "with a fixed trip count. Forward mode (jvp, jacfwd, linearize) works without a bound."
    )


while_p.transpose = _while_transpose


def while_loop(
    cond_fun: Callable, body_fun: Callable, init_val: Any, *, max_steps: int | None = None
):
    """Repeat ``val = body_fun(val)`` while ``cond_fun(val)`` is true; return the final ``val``.

    Works under ``jit`` (a generated Python loop around the compiled body), ``vmap`` (with a
    batched predicate the loop runs until every example is done; finished examples keep their
    value) and forward mode. Reverse mode needs ``max_steps``: an upper bound on the number of
    iterations, after which the loop stops even if ``cond_fun`` is still true. The bounded loop
    records one step per iteration for the backward pass (beyond what JAX offers).

    Examples:
        >>> import ftrans as ft
        >>> def newton_sqrt(a):
        ...     step = lambda x: 0.5 * (x + a / x)
        ...     return ft.lax.while_loop(lambda x: abs(step(x) - x) > 1e-12, step, a,
        ...                              max_steps=50)
        >>> round(float(newton_sqrt(2.0)), 12), round(float(ft.grad(newton_sqrt)(4.0)), 6)
        (1.414213562373, 0.25)
    """
    for arg, label in ((cond_fun, "cond_fun"), (body_fun, "body_fun")):
        if not callable(arg):
            raise TypeError(f"while_loop: {label} must be a function, got {type(arg).__name__}")
    if max_steps is not None and (
        not isinstance(max_steps, (int, np.integer)) or isinstance(max_steps, bool) or max_steps < 0
    ):
        raise TypeError(
            f"while_loop: max_steps must be a non-negative int or None, got {max_steps!r}"
        )
    name = f"{fun_name(body_fun)} at {call_site()}"
    what = f"while_loop {name}"
    leaves, in_tree = flatten_operands(init_val, f"init_val of {what}")
    avals = avals_of(leaves)

    def cond_flat(val):
        pred = cond_fun(val)
        aval = get_aval(pred if isinstance(pred, Tracer) else np.asarray(pred))
        if aval.shape != () or aval.dtype != np.bool_:
            raise TypeError(
                f"{what}: cond_fun ({fun_name(cond_fun)}) must return a scalar bool, got "
                f"{aval.str_short()}; reduce with .any()/.all() or compare (x > 0)."
            )
        return pred

    def body_flat(val):
        new = body_fun(val)
        new_leaves, new_tree = tree.check_leaves(new, what=f"the output of body_fun of {what}")
        _check_carry(what, in_tree, avals, new_tree, avals_of(new_leaves), weak)
        return new

    weak = _weak_mask(leaves)

    def trace_body(carry_leaves, weak_mask):
        nonlocal avals, weak
        avals, weak = avals_of(carry_leaves), weak_mask
        return trace_fun(body_flat, tree.structure((init_val,)), avals, "while body", what)[:2]

    (body_prog, body_cap), leaves = _trace_loop_body(trace_body, leaves)
    avals = avals_of(leaves)
    cond_prog, cond_cap, _ = trace_fun(
        cond_flat, tree.structure((init_val,)), avals, "while cond", what
    )
    outs = while_p.bind(
        *cond_cap,
        *body_cap,
        *leaves,
        cond_jaxpr=cond_prog,
        body_jaxpr=body_prog,
        cond_nconsts=len(cond_cap),
        body_nconsts=len(body_cap),
        max_steps=None if max_steps is None else int(max_steps),
        name=name,
    )
    return tree.unflatten(in_tree, outs)


def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any, *, unroll: int = 1):
    """``for i in range(lower, upper): val = body_fun(i, val)``, in every transformation.

    With Python-int (concrete) bounds this is a ``scan`` (so reverse mode works); with traced
    bounds a ``while_loop`` (forward mode and batching only).

    Examples:
        >>> import ftrans as ft
        >>> power = lambda x: ft.lax.fori_loop(0, 5, lambda i, v: v * x, 1.0)
        >>> float(power(2.0)), float(ft.grad(power)(2.0))
        (32.0, 80.0)
    """
    if not callable(body_fun):
        raise TypeError(
            f"fori_loop: body_fun must be a function (i, val) -> val, got {type(body_fun).__name__}"
        )
    concrete = not isinstance(lower, Tracer) and not isinstance(upper, Tracer)
    if concrete:
        lo, hi = np.asarray(lower), np.asarray(upper)
        if lo.shape or hi.shape or lo.dtype.kind not in "iu" or hi.dtype.kind not in "iu":
            raise TypeError(
                f"fori_loop: lower and upper must be integer scalars, got {lower!r} and {upper!r}"
            )
        dtype = np.result_type(lo, hi)
        start = dtype.type(lo)

        def step(carry, _):
            i, val = carry
            return (i + dtype.type(1), body_fun(i, val)), None

        (_, out), _ = scan(
            step, (start, init_val), None, length=max(int(hi) - int(lo), 0), unroll=unroll
        )
        return out
    import ftrans.numpy as fnp

    lo, hi = fnp.asarray(lower), fnp.asarray(upper)

    def body(carry):
        i, up, val = carry
        return i + 1, up, body_fun(i, val)

    _, _, out = while_loop(lambda c: c[0] < c[1], body, (lo, hi.astype(lo.dtype), init_val))
    return out
