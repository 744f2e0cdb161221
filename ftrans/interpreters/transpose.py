"""Transposition: run a linear jaxpr backwards, accumulating cotangents (node_to_grad)."""

from __future__ import annotations

from ftrans.core import Literal, UndefinedPrimal, Zero
from ftrans.errors import UnsupportedError
from ftrans.primitives.elementwise import add_any


def _add_cotangents(a, b):
    return add_any(a, b)


def backward_pass(jaxpr, consts, linear_in, cotangents_out, *, all_linear=False):
    """Transpose ``jaxpr`` with respect to the invars flagged in ``linear_in``.

    ``cotangents_out`` has one entry per outvar (`Zero` allowed). Non-linear invars take
    their values from ``linear_in`` itself (pass the value instead of True). Equations that do
    not depend on a linear input are evaluated forwards first, so any jaxpr whose outputs are
    linear in the flagged inputs can be transposed. Returns one cotangent per invar
    (`Zero` where nothing flowed, None for non-linear inputs).

    ``all_linear=True`` promises that every equation has a linear input (true of the jaxprs
    ``linearize`` builds), which skips the forward scan.
    """
    primal_env = {}
    for v, c in zip(jaxpr.constvars, consts, strict=True):
        primal_env[v.id] = c
    linear_ids = set()
    for v, flag in zip(jaxpr.invars, linear_in, strict=True):
        if flag is True:
            linear_ids.add(v.id)
        else:
            primal_env[v.id] = flag

    def read_primal(atom):
        return atom.val if type(atom) is Literal else primal_env[atom.id]

    linear_eqns = []
    if all_linear:
        linear_eqns = jaxpr.eqns
        linear_ids.update(v.id for eqn in jaxpr.eqns for v in eqn.outputs)
    for eqn in () if all_linear else jaxpr.eqns:
        if any(type(a) is not Literal and a.id in linear_ids for a in eqn.inputs):
            linear_eqns.append(eqn)
            linear_ids.update(v.id for v in eqn.outputs)
        else:
            out = eqn.primitive.bind(*[read_primal(a) for a in eqn.inputs], **eqn.params)
            outs = out if eqn.primitive.multiple_results else [out]
            for v, x in zip(eqn.outputs, outs, strict=True):
                primal_env[v.id] = x

    ct_env = {}

    def write(var, ct):
        if type(ct) is Zero or ct is None:
            return
        old = ct_env.get(var.id)
        ct_env[var.id] = ct if old is None else _add_cotangents(old, ct)

    for v, ct in zip(jaxpr.outvars, cotangents_out, strict=True):
        if type(v) is not Literal and v.id in linear_ids:
            write(v, ct)

    for eqn in reversed(linear_eqns):
        prim = eqn.primitive
        if prim.multiple_results:
            cts = [ct_env.pop(v.id, None) for v in eqn.outputs]
            if all(c is None for c in cts):
                continue
            ct = [Zero(v.aval) if c is None else c for v, c in zip(eqn.outputs, cts, strict=True)]
        else:
            ct = ct_env.pop(eqn.outputs[0].id, None)
            if ct is None:
                continue
        args = [
            UndefinedPrimal(a.aval)
            if type(a) is not Literal and a.id in linear_ids
            else read_primal(a)
            for a in eqn.inputs
        ]
        rule = prim.transpose
        if rule is None:
            raise UnsupportedError(
                f"Primitive {prim.name} is not linear (no transpose rule) but was applied to a "
                "linear value; its JVP rule must express tangents with linear primitives only."
            )
        cts_in = rule(ct, *args, **eqn.params)
        for a, c in zip(eqn.inputs, cts_in, strict=True):
            if type(a) is not Literal and a.id in linear_ids:
                write(a, c)

    result = []
    for v, flag in zip(jaxpr.invars, linear_in, strict=True):
        if flag is True:
            ct = ct_env.get(v.id)
            result.append(Zero(v.aval) if ct is None else ct)
        else:
            result.append(None)
    return result
