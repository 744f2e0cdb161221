"""Transformations of whole programs: the building blocks of primitives that hold sub-programs.

``jit_call``, ``cond``, ``scan``, ``while``, ``remat`` and the custom-derivative primitives all
carry `ClosedJaxpr` parameters. Their rules do not interpret those programs
themselves: they ask for a *derived program* (its JVP, its known/unknown split, its transpose,
its batched form), bind a new equation holding it, and let the ordinary interpreters do the
rest. Every derived program is traced once and cached on the program it came from.
"""

from __future__ import annotations

import numpy as np

from ftrans.core import (
    ClosedJaxpr,
    Jaxpr,
    ShapedArray,
    Tracer,
    Zero,
    eval_jaxpr,
    get_aval,
    is_float_dtype,
    new_main,
)
from ftrans.interpreters.batching import BatchAxis, BatchTrace, BatchTracer, current_axis_name
from ftrans.interpreters.jvp import jvp_flat
from ftrans.interpreters.tracing import JaxprBuilder, JaxprTrace, JaxprTracer, trace_to_jaxpr
from ftrans.interpreters.transpose import backward_pass
from ftrans.primitives._batch import moveaxis, to_front


def trace_program(fun, avals, name) -> ClosedJaxpr:
    """Trace ``fun`` (flat lists in and out) at ``avals``; its constants must be concrete."""
    jaxpr, consts = trace_to_jaxpr(fun, list(avals), name, record_source=False)
    if any(isinstance(c, Tracer) for c in consts):
        raise AssertionError(f"{name}: derived program captured a traced value")
    return ClosedJaxpr(jaxpr, consts)


def closure_convert(fun, avals, name, *, record_source=True):
    """Trace a user's ``fun`` at ``avals`` into ``(program, captured)``.

    Values of enclosing transformations that ``fun`` closes over (tracers) cannot live in a
    program's constants; they become leading inputs of the program instead, and ``captured``
    lists them, to be passed in front of the real arguments.
    """
    jaxpr, consts = trace_to_jaxpr(fun, list(avals), name, record_source=record_source)
    return lift_traced_consts(jaxpr, consts)


def lift_traced_consts(jaxpr: Jaxpr, consts) -> tuple[ClosedJaxpr, list]:
    """``(program, captured)``: the constants that are tracers become leading inputs."""
    lifted = [isinstance(c, Tracer) for c in consts]
    if not any(lifted):
        return ClosedJaxpr(jaxpr, consts), []
    keep_vars = [v for v, lift in zip(jaxpr.constvars, lifted, strict=True) if not lift]
    keep = [c for c, lift in zip(consts, lifted, strict=True) if not lift]
    moved_vars = [v for v, lift in zip(jaxpr.constvars, lifted, strict=True) if lift]
    captured = [c for c, lift in zip(consts, lifted, strict=True) if lift]
    program = Jaxpr(keep_vars, moved_vars + jaxpr.invars, jaxpr.eqns, jaxpr.outvars)
    return ClosedJaxpr(program, keep), captured


def per_output(flag, n: int) -> tuple[bool, ...]:
    """A flag given once for all ``n`` outputs (a bool) or one per output, as a tuple."""
    return (bool(flag),) * n if isinstance(flag, bool) else tuple(bool(f) for f in flag)


def zeros_like_aval(aval: ShapedArray):
    return np.zeros(aval.shape, aval.dtype)


def _cached(closed: ClosedJaxpr, key, build):
    hit = closed.cache.get(key)
    if hit is None:
        hit = closed.cache[key] = build()
    return hit


# ----------------------------------------------------------------------------- JVP


def jvp_program(closed: ClosedJaxpr, nonzero, instantiate=False):
    """``(program, out_nonzero)``: ``program`` maps (primals, tangents of the ``nonzero``
    inputs) to (primal outputs, tangents of the ``out_nonzero`` outputs).

    ``instantiate`` (a bool, or one per output) forces an output's tangent to be present, as
    zeros when it is symbolically zero (integer outputs never get a tangent).
    """
    nonzero = tuple(bool(n) for n in nonzero)
    n_out = len(closed.out_avals)
    inst = per_output(instantiate, n_out)

    def build():
        in_avals = closed.in_avals
        n = len(in_avals)
        out_nonzero: list[bool] = []

        def fun(*args):
            primals = list(args[:n])
            it = iter(args[n:])
            tangents = [
                next(it) if nz else Zero(a) for a, nz in zip(in_avals, nonzero, strict=True)
            ]
            outs, t_out = jvp_flat(
                lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs),
                primals,
                tangents,
                "jvp of a sub-program",
            )
            t_out = [
                zeros_like_aval(t.aval)
                if type(t) is Zero and i and is_float_dtype(t.aval.dtype)
                else t
                for t, i in zip(t_out, inst, strict=True)
            ]
            out_nonzero[:] = [type(t) is not Zero for t in t_out]
            return list(outs) + [t for t in t_out if type(t) is not Zero]

        tangent_avals = [a for a, nz in zip(in_avals, nonzero, strict=True) if nz]
        program = trace_program(fun, list(in_avals) + tangent_avals, "jvp")
        return program, tuple(out_nonzero)

    return _cached(closed, ("jvp", nonzero, inst), build)


# ----------------------------------------------------------------------------- partial eval


def partial_eval_program(closed: ClosedJaxpr, unknowns, instantiate=False):
    """Split ``closed`` into the work computable from its known inputs and the rest.

    Returns ``(known, unknown, out_unknown, n_res)``: ``known`` maps the known inputs to the
    known outputs followed by ``n_res`` residuals; ``unknown`` maps the residuals followed by the
    unknown inputs to the unknown outputs. ``instantiate`` forces outputs to be unknown.

    The split is done by tracing, not by sorting equations: the program is evaluated with known
    inputs staged into one jaxpr and unknown inputs into another (nested) one, so equations that
    hold sub-programs split themselves through their own ``partial_eval`` rules.
    """
    unknowns = tuple(bool(u) for u in unknowns)
    n_out = len(closed.out_avals)
    inst = per_output(instantiate, n_out)

    def build():
        in_avals = closed.in_avals
        known_builder = JaxprBuilder(record_source=False)
        with new_main(JaxprTrace, "partial evaluation (known)", known_builder) as kmain:
            ktrace = kmain.trace
            known_ins = [
                ktrace.new_arg(a) for a, u in zip(in_avals, unknowns, strict=True) if not u
            ]
            unknown_builder = JaxprBuilder(record_source=False, partial_eval=True)
            with new_main(JaxprTrace, "partial evaluation", unknown_builder) as umain:
                utrace = umain.trace
                unknown_ins = [
                    utrace.new_arg(a) for a, u in zip(in_avals, unknowns, strict=True) if u
                ]
                kit, uit = iter(known_ins), iter(unknown_ins)
                args = [next(uit) if u else next(kit) for u in unknowns]
                outs = eval_jaxpr(closed.jaxpr, closed.consts, *args)
                out_unknown = [
                    (type(o) is JaxprTracer and o._trace is utrace) or i
                    for o, i in zip(outs, inst, strict=True)
                ]
                ujaxpr, uconsts = unknown_builder.build(
                    utrace, unknown_ins, [o for o, u in zip(outs, out_unknown, strict=True) if u]
                )
            residual_vars, residuals, const_vars, consts = [], [], [], []
            for v, c in zip(ujaxpr.constvars, uconsts, strict=True):
                if type(c) is JaxprTracer and c._trace is ktrace:
                    residual_vars.append(v)
                    residuals.append(c)
                else:
                    const_vars.append(v)
                    consts.append(c)
            known_outs = [o for o, u in zip(outs, out_unknown, strict=True) if not u]
            kjaxpr, kconsts = known_builder.build(ktrace, known_ins, known_outs + residuals)
        unknown = ClosedJaxpr(
            Jaxpr(const_vars, residual_vars + ujaxpr.invars, ujaxpr.eqns, ujaxpr.outvars), consts
        )
        return ClosedJaxpr(kjaxpr, kconsts), unknown, tuple(out_unknown), len(residuals)

    return _cached(closed, ("partial_eval", unknowns, inst), build)


# ----------------------------------------------------------------------------- transpose


def transpose_program(closed: ClosedJaxpr, linear, ct_nonzero):
    """The program (non-linear inputs, nonzero output cotangents) -> cotangents of the linear
    inputs (zeros where nothing flows)."""
    linear = tuple(bool(x) for x in linear)
    ct_nonzero = tuple(bool(x) for x in ct_nonzero)

    def build():
        in_avals, out_avals = closed.in_avals, closed.out_avals
        residual_avals = [a for a, lin in zip(in_avals, linear, strict=True) if not lin]
        ct_avals = [a for a, nz in zip(out_avals, ct_nonzero, strict=True) if nz]
        n_res = len(residual_avals)

        def fun(*args):
            res, cts = iter(args[:n_res]), iter(args[n_res:])
            flags = [True if lin else next(res) for lin in linear]
            cts_out = [
                next(cts) if nz else Zero(a) for a, nz in zip(out_avals, ct_nonzero, strict=True)
            ]
            results = backward_pass(closed.jaxpr, closed.consts, flags, cts_out)
            return [
                zeros_like_aval(a) if type(r) is Zero else r
                for r, a, lin in zip(results, in_avals, linear, strict=True)
                if lin
            ]

        return trace_program(fun, residual_avals + ct_avals, "transpose")

    return _cached(closed, ("transpose", linear, ct_nonzero), build)


# ----------------------------------------------------------------------------- batching


def batch_program(closed: ClosedJaxpr, dims, avals, size, force=True):
    """``(program, out_batched)``: ``closed`` mapped over inputs batched along ``dims``.

    ``avals`` are the (batched) input types. Batched outputs come out with the batch dimension
    first; ``force`` (a bool, or one per output) makes an unbatched output batched by
    broadcasting; other unbatched outputs stay as they are.
    """

    dims = tuple(dims)
    n_out = len(closed.out_avals)
    forced = per_output(force, n_out)
    axis = BatchAxis(size, current_axis_name())
    key = ("batch", dims, tuple((a.shape, a.dtype) for a in avals), forced, axis.name)

    def build():
        out_batched: list[bool] = []

        def fun(*args):
            with new_main(BatchTrace, "vmap of a sub-program", axis) as main:
                trace = main.trace
                ins = [
                    a if d is None else BatchTracer(trace, a, d)
                    for a, d in zip(args, dims, strict=True)
                ]
                outs = eval_jaxpr(closed.jaxpr, closed.consts, *ins)
                pairs = [trace.unpack(o) for o in outs]
            out_batched[:] = [d is not None or f for (_, d), f in zip(pairs, forced, strict=True)]
            return [
                moveaxis(v, d, 0) if d is not None else (to_front(v, None, size) if f else v)
                for (v, d), f in zip(pairs, forced, strict=True)
            ]

        program = trace_program(fun, list(avals), "vmap")
        return program, tuple(out_batched)

    return _cached(closed, key, build)


def batched_call(fun, vals, dims, size):
    """Run the Python callable ``fun`` (flat lists) on batched ``vals`` right now, under a
    batching trace; outputs come back batched along axis 0 (broadcast when unbatched)."""

    with new_main(BatchTrace, "vmap", BatchAxis(size, current_axis_name())) as main:
        trace = main.trace
        ins = [
            v if d is None else BatchTracer(trace, v, d) for v, d in zip(vals, dims, strict=True)
        ]
        outs = fun(*ins)
        pairs = [trace.unpack(o) for o in outs]
    return [moveaxis(v, d, 0) if d is not None else to_front(v, None, size) for v, d in pairs]


def avals_of(values):
    """The abstract values (shape and dtype) of a list of arrays or tracers."""
    return [get_aval(v) for v in values]
