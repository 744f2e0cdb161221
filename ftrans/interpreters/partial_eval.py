"""Linearize: JVP + partial evaluation.

The primal inputs are *known* (concrete, or tracers of outer transformations) and the tangent
inputs *unknown*. Known work runs immediately on NumPy; only equations that touch an unknown
tangent are staged into a linear jaxpr. Because every JVP rule is linear in its tangents, that
jaxpr is linear, and `ftrans.interpreters.transpose` can run it backwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from ftrans.core import (
    Jaxpr,
    Literal,
    ShapedArray,
    Zero,
    eval_jaxpr,
    get_aval,
    is_float_dtype,
    new_main,
)
from ftrans.interpreters.jvp import JVPTrace, JVPTracer
from ftrans.interpreters.tracing import JaxprBuilder, JaxprTrace, dead_code_elimination


@dataclass
class LinearFunction:
    """The linear map ``tangents -> output tangents`` of a linearized function.

    ``out_zero[i]`` is True when output ``i`` does not depend on the inputs at all (a symbolic
    zero); such outputs are not in ``jaxpr.outvars``.
    """

    jaxpr: object
    consts: list
    in_avals: list[ShapedArray]
    in_differentiable: list[bool]
    out_avals: list[ShapedArray]
    out_zero: list[bool]

    def __call__(self, *tangents):
        ins = [t for t, d in zip(tangents, self.in_differentiable, strict=True) if d]
        nonzero = iter(eval_jaxpr(self.jaxpr, self.consts, *ins))
        return [
            Zero(aval) if zero else next(nonzero)
            for aval, zero in zip(self.out_avals, self.out_zero, strict=True)
        ]


def linearize_flat(fun, primals, name, store_key=None):
    """Evaluate ``fun`` at flat ``primals`` and linearize it: ``(out_primals, LinearFunction)``.

    When ``store_key`` is a dict in which ``fun`` records ``"n_out"``, outputs past the first
    ``n_out`` are auxiliary: returned as primals only, never linearized.
    """
    builder = JaxprBuilder(record_source=False, partial_eval=True)
    in_avals = [get_aval(p) for p in primals]
    differentiable = [is_float_dtype(a.dtype) for a in in_avals]
    with new_main(JaxprTrace, name, builder) as pe_main:
        pe = pe_main.trace
        tangent_ins = [pe.new_arg(a) for a, d in zip(in_avals, differentiable, strict=True) if d]
        it = iter(tangent_ins)
        with new_main(JVPTrace, name) as jvp_main:
            jvp = jvp_main.trace
            ins = [
                JVPTracer(jvp, p, next(it)) if d else p
                for p, d in zip(primals, differentiable, strict=True)
            ]
            outs = fun(*ins)
            n_out = len(outs) if store_key is None else store_key.get("n_out", len(outs))
            pairs = [jvp.unpack(o) for o in outs]
        out_primals = [p for p, _ in pairs]
        out_tangents = [t for _, t in pairs[:n_out]]
        out_zero = [type(t) is Zero for t in out_tangents]
        jaxpr, consts = builder.build(
            pe, tangent_ins, [t for t in out_tangents if type(t) is not Zero], dce=True
        )
    out_avals = [get_aval(p) for p in out_primals[:n_out]]
    return out_primals, LinearFunction(jaxpr, consts, in_avals, differentiable, out_avals, out_zero)


def partial_eval_jaxpr(jaxpr, consts, unknowns):
    """Split a closed jaxpr into the part computable from known inputs and the rest.

    Returns ``(known, unknown, out_unknown, n_residuals)``: ``known`` is a ``(Jaxpr, consts)``
    taking the known inputs and returning the known outputs followed by the residuals;
    ``unknown`` is a ``Jaxpr`` (no consts) taking the residuals followed by the unknown inputs
    and returning the unknown outputs.
    """
    unknown_ids = {v.id for v, u in zip(jaxpr.invars, unknowns, strict=True) if u}
    known_eqns, unknown_eqns = [], []
    for eqn in jaxpr.eqns:
        if any(type(a) is not Literal and a.id in unknown_ids for a in eqn.inputs):
            unknown_eqns.append(eqn)
            unknown_ids.update(v.id for v in eqn.outputs)
        else:
            known_eqns.append(eqn)
    out_unknown = [type(v) is not Literal and v.id in unknown_ids for v in jaxpr.outvars]
    residuals, seen = [], set()
    for eqn in unknown_eqns:
        for a in eqn.inputs:
            if type(a) is not Literal and a.id not in unknown_ids and a.id not in seen:
                seen.add(a.id)
                residuals.append(a)
    known_outs = [v for v, u in zip(jaxpr.outvars, out_unknown, strict=True) if not u]
    known_invars = [v for v, u in zip(jaxpr.invars, unknowns, strict=True) if not u]
    known_eqns = dead_code_elimination(known_eqns, known_outs + residuals)
    known = Jaxpr(jaxpr.constvars, known_invars, known_eqns, known_outs + residuals)
    unknown_invars = [v for v, u in zip(jaxpr.invars, unknowns, strict=True) if u]
    unknown_outs = [v for v, u in zip(jaxpr.outvars, out_unknown, strict=True) if u]
    unknown = Jaxpr([], residuals + unknown_invars, unknown_eqns, unknown_outs)
    return (known, consts), unknown, out_unknown, len(residuals)
