"""``jit_call``: the primitive holding a traced program, with rules that transform the program.

Every transformation applied to a jitted function acts on the jaxpr inside it and produces a
new ``jit_call``, so ``grad(jit(f))``, ``vmap(jit(f))`` and ``jit(grad(f))`` all run compiled
code. Derived programs are cached on the ``ClosedJaxpr`` they come from.
"""

from __future__ import annotations

import numpy as np

from ftrans.core import (
    ClosedJaxpr,
    Primitive,
    Zero,
    get_aval,
    is_undefined,
    new_main,
)
from ftrans.interpreters.tracing import JaxprTracer, trace_to_jaxpr


def compiled(closed: ClosedJaxpr):
    """The compiled function of a closed jaxpr (compiled once, then cached on it)."""
    fn = closed.cache.get("compiled")
    if fn is None:
        from ftrans.compiler.codegen import compile_jaxpr

        fn = closed.cache["compiled"] = compile_jaxpr(closed.jaxpr, closed.consts)
    return fn


def _eval(closed):
    from ftrans.core import eval_jaxpr

    return lambda *args: eval_jaxpr(closed.jaxpr, closed.consts, *args)


def _trace(fun, avals, name):
    jaxpr, consts = trace_to_jaxpr(fun, avals, name, record_source=False)
    return ClosedJaxpr(jaxpr, consts)


jit_call_p = Primitive("jit_call", multiple_results=True)
jit_call_p.impl = lambda *args, jaxpr, name: list(compiled(jaxpr)(*args))
jit_call_p.abstract_eval = lambda *avals, jaxpr, name: list(jaxpr.out_avals)
jit_call_p.lower = lambda args, *, jaxpr, name: f"{jaxpr}({', '.join(args)})"


def jit_call(*args, jaxpr: ClosedJaxpr, name: str):
    return jit_call_p.bind(*args, jaxpr=jaxpr, name=name)


# ----------------------------------------------------------------------------- JVP


def _jvp_program(closed, nonzero):
    """The program (primals, nonzero tangents) -> (primal outs, nonzero tangent outs)."""
    key = ("jvp", nonzero)
    hit = closed.cache.get(key)
    if hit is not None:
        return hit
    from ftrans.interpreters.jvp import jvp_flat

    in_avals = closed.in_avals
    n = len(in_avals)
    out_nonzero: list[bool] = []

    def fun(*args):
        primals = list(args[:n])
        it = iter(args[n:])
        tangents = [next(it) if nz else Zero(a) for a, nz in zip(in_avals, nonzero, strict=True)]
        outs, tangents_out = jvp_flat(_eval(closed), primals, tangents, "jvp of jit")
        out_nonzero[:] = [type(t) is not Zero for t in tangents_out]
        return list(outs) + [t for t in tangents_out if type(t) is not Zero]

    tangent_avals = [a for a, nz in zip(in_avals, nonzero, strict=True) if nz]
    program = _trace(fun, list(in_avals) + tangent_avals, "jvp of jit")
    closed.cache[key] = (program, tuple(out_nonzero))
    return closed.cache[key]


def _jit_jvp(primals, tangents, *, jaxpr, name):
    nonzero = tuple(type(t) is not Zero for t in tangents)
    program, out_nonzero = _jvp_program(jaxpr, nonzero)
    outs = jit_call(
        *primals, *[t for t in tangents if type(t) is not Zero], jaxpr=program, name=f"jvp_{name}"
    )
    n = len(jaxpr.out_avals)
    it = iter(outs[n:])
    tangents_out = [
        next(it) if nz else Zero(a) for a, nz in zip(jaxpr.out_avals, out_nonzero, strict=True)
    ]
    return outs[:n], tangents_out


jit_call_p.jvp = _jit_jvp


# ----------------------------------------------------------------------------- partial eval


def _split_program(closed, unknowns):
    key = ("partial_eval", unknowns)
    hit = closed.cache.get(key)
    if hit is None:
        from ftrans.interpreters.partial_eval import partial_eval_jaxpr

        (known, consts), unknown, out_unknown, n_res = partial_eval_jaxpr(
            closed.jaxpr, closed.consts, list(unknowns)
        )
        hit = closed.cache[key] = (
            ClosedJaxpr(known, consts),
            ClosedJaxpr(unknown, []),
            tuple(out_unknown),
            n_res,
        )
    return hit


def _jit_partial_eval(trace, args, params):
    """During linearize: run the known part now (compiled) and stage only the unknown part."""
    closed, name = params["jaxpr"], params["name"]
    unknowns = tuple(type(a) is JaxprTracer and a._trace is trace for a in args)
    if not any(unknowns):
        return jit_call(*args, jaxpr=closed, name=name)
    known, unknown, out_unknown, n_res = _split_program(closed, unknowns)
    known_outs = jit_call(
        *[a for a, u in zip(args, unknowns, strict=True) if not u], jaxpr=known, name=name
    )
    n_known = len(known_outs) - n_res
    residuals = known_outs[n_known:]
    unknown_ins = [a for a, u in zip(args, unknowns, strict=True) if u]
    staged = trace.stage(
        jit_call_p, [*residuals, *unknown_ins], {"jaxpr": unknown, "name": f"{name}_linear"}
    )
    known_it, staged_it = iter(known_outs[:n_known]), iter(staged)
    return [next(staged_it) if u else next(known_it) for u in out_unknown]


jit_call_p.partial_eval = _jit_partial_eval


# ----------------------------------------------------------------------------- transpose


def _transpose_program(closed, linear, ct_nonzero):
    key = ("transpose", linear, ct_nonzero)
    hit = closed.cache.get(key)
    if hit is not None:
        return hit
    from ftrans.interpreters.transpose import backward_pass

    in_avals = closed.in_avals
    out_avals = closed.out_avals
    residual_avals = [a for a, lin in zip(in_avals, linear, strict=True) if not lin]
    ct_avals = [a for a, nz in zip(out_avals, ct_nonzero, strict=True) if nz]
    n_res = len(residual_avals)

    def fun(*args):
        residuals = iter(args[:n_res])
        cts = iter(args[n_res:])
        flags = [True if lin else next(residuals) for lin in linear]
        cts_out = [
            next(cts) if nz else Zero(a) for a, nz in zip(out_avals, ct_nonzero, strict=True)
        ]
        results = backward_pass(closed.jaxpr, closed.consts, flags, cts_out)
        return [
            (np.zeros(a.shape, a.dtype) if type(r) is Zero else r)
            for r, a, lin in zip(results, in_avals, linear, strict=True)
            if lin
        ]

    program = _trace(fun, residual_avals + ct_avals, "transpose of jit")
    closed.cache[key] = program
    return program


def _jit_transpose(cts, *args, jaxpr, name):
    linear = tuple(is_undefined(a) for a in args)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    program = _transpose_program(jaxpr, linear, ct_nonzero)
    outs = jit_call(
        *[a for a in args if not is_undefined(a)],
        *[c for c in cts if type(c) is not Zero],
        jaxpr=program,
        name=f"transpose_{name}",
    )
    it = iter(outs)
    return [next(it) if lin else None for lin in linear]


jit_call_p.transpose = _jit_transpose


# ----------------------------------------------------------------------------- batching


def _batched_program(closed, dims, avals):
    key = ("batch", dims, tuple((a.shape, a.dtype) for a in avals))
    hit = closed.cache.get(key)
    if hit is not None:
        return hit
    from ftrans.interpreters.batching import BatchTrace, BatchTracer
    from ftrans.primitives._batch import moveaxis, to_front

    size = next(a.shape[d] for a, d in zip(avals, dims, strict=True) if d is not None)

    def fun(*args):
        with new_main(BatchTrace, "vmap of jit", size) as main:
            trace = main.trace
            ins = [
                a if d is None else BatchTracer(trace, a, d)
                for a, d in zip(args, dims, strict=True)
            ]
            outs = _eval(closed)(*ins)
            pairs = [trace.unpack(o) for o in outs]
        return [moveaxis(v, d, 0) if d is not None else to_front(v, None, size) for v, d in pairs]

    program = _trace(fun, list(avals), "vmap of jit")
    closed.cache[key] = program
    return program


def _jit_batch(vals, dims, *, jaxpr, name):
    avals = [get_aval(v) for v in vals]
    program = _batched_program(jaxpr, tuple(dims), avals)
    outs = jit_call(*vals, jaxpr=program, name=f"vmap_{name}")
    return outs, [0] * len(outs)


jit_call_p.batch = _jit_batch
