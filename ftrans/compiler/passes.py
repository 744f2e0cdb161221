"""IR passes run before code generation: constant folding, algebraic simplification of AD
leftovers, common-subexpression elimination and dead-code elimination."""

from __future__ import annotations

import numpy as np

from ftrans.core import Eqn, Jaxpr, Literal, Var, get_aval
from ftrans.interpreters.tracing import dead_code_elimination, has_effect


def optimize(jaxpr: Jaxpr, consts: list) -> tuple[Jaxpr, list]:
    """All passes, in an order where each one feeds the next."""
    jaxpr, consts = scalarize_uniform_constants(jaxpr, consts)
    jaxpr, consts = fold_constants(jaxpr, consts)
    jaxpr = simplify(jaxpr)
    jaxpr = eliminate_common_subexpressions(jaxpr)
    eqns = dead_code_elimination(jaxpr.eqns, jaxpr.outvars)
    return Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, jaxpr.outvars), consts


class _Renamer:
    """Substitutes atoms for variables that a pass removed."""

    def __init__(self):
        self.map: dict[int, object] = {}

    def __call__(self, atom):
        while type(atom) is Var and atom.id in self.map:
            atom = self.map[atom.id]
        return atom

    def rebuild(self, jaxpr, eqns):
        for eqn in eqns:
            eqn.inputs = [self(a) for a in eqn.inputs]
        return Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, [self(v) for v in jaxpr.outvars])


def _copy_eqn(eqn):
    return Eqn(eqn.primitive, list(eqn.inputs), eqn.outputs, eqn.params, eqn.source)


def is_uniform(c) -> bool:
    """A numeric array holding one repeated value (a broadcast scalar, or AD's ``-1 * ones``)."""
    if not isinstance(c, np.ndarray) or not c.size or c.dtype.kind not in "biuf":
        return False
    if not any(c.strides):
        return True
    flat = c.reshape(-1)
    return bool((flat == flat[0]).all())


def scalarize_uniform_constants(jaxpr: Jaxpr, consts: list):
    """Write a constant that holds one repeated value as a scalar literal wherever a binary
    elementwise equation broadcasts it anyway (its other operand has the full shape), so the
    program neither keeps nor streams the array; drop the constant if no use is left."""
    uniform = {
        v.id: v.aval.dtype.type(c.reshape(-1)[0])
        for v, c in zip(jaxpr.constvars, consts, strict=True)
        if is_uniform(c)
    }
    if not uniform:
        return jaxpr, consts
    still_used = set()
    eqns = []
    for eqn in map(_copy_eqn, jaxpr.eqns):
        binary = getattr(eqn.primitive.lower, "ufunc_name", None) and len(eqn.inputs) == 2
        for i, a in enumerate(eqn.inputs):
            if type(a) is not Var or a.id not in uniform:
                continue
            other = eqn.inputs[1 - i] if binary else None
            shape = eqn.outputs[0].aval.shape
            if binary and a.aval.shape == shape and other.aval.shape == shape:
                value = uniform[a.id]
                eqn.inputs[i] = Literal(value, get_aval(value))
            else:
                still_used.add(a.id)
        eqns.append(eqn)
    still_used.update(v.id for v in jaxpr.outvars if type(v) is Var and v.id in uniform)
    kept = [
        (v, c)
        for v, c in zip(jaxpr.constvars, consts, strict=True)
        if v.id not in uniform or v.id in still_used
    ]
    constvars = [v for v, _ in kept]
    return Jaxpr(constvars, jaxpr.invars, eqns, jaxpr.outvars), [c for _, c in kept]


def fold_constants(jaxpr: Jaxpr, consts: list):
    """Evaluate equations whose inputs are all literals (scalars) at compile time."""
    rename = _Renamer()
    eqns = []
    for eqn in map(_copy_eqn, jaxpr.eqns):
        inputs = [rename(a) for a in eqn.inputs]
        prim = eqn.primitive
        if (
            inputs
            and all(type(a) is Literal for a in inputs)
            and not prim.multiple_results
            and all(not v.aval.shape for v in eqn.outputs)
        ):
            value = prim.impl(*[a.val for a in inputs], **eqn.params)
            value = np.asarray(value)[()]
            rename.map[eqn.outputs[0].id] = Literal(value, get_aval(value))
            continue
        eqn.inputs = inputs
        eqns.append(eqn)
    return rename.rebuild(jaxpr, eqns), consts


def _is_literal(atom, value) -> bool:
    return type(atom) is Literal and not atom.aval.shape and atom.val == value


def _same_type(atom, var) -> bool:
    return atom.aval.shape == var.aval.shape and atom.aval.dtype == var.aval.dtype


def simplify(jaxpr: Jaxpr) -> Jaxpr:
    """Remove the leftovers of automatic differentiation: ``x*1``, ``x+0``, ``neg(neg x)``,
    ``transpose(transpose x)``, conversions to the same dtype."""
    rename = _Renamer()
    producers: dict[int, object] = {}
    uses: dict[int, int] = {}
    for eqn in jaxpr.eqns:
        for a in eqn.inputs:
            if type(a) is Var:
                uses[a.id] = uses.get(a.id, 0) + 1
    for v in jaxpr.outvars:
        if type(v) is Var:
            uses[v.id] = uses.get(v.id, 0) + 1
    eqns = []
    for eqn in map(_copy_eqn, jaxpr.eqns):
        eqn.inputs = [rename(a) for a in eqn.inputs]
        replacement = _simplified(eqn, producers)
        if replacement is not None and _same_type(replacement, eqn.outputs[0]):
            rename.map[eqn.outputs[0].id] = replacement
            continue
        swapped = _transposed_product(eqn, producers, uses)
        if swapped is not None:
            eqn = swapped
        if eqn.primitive.name == "select" and type(eqn.inputs[0]) is Var:
            # a scalar predicate broadcast to the operands' shape: select on the scalar itself
            inner = producers.get(eqn.inputs[0].id)
            if (
                inner is not None
                and inner.primitive.name == "broadcast_in_dim"
                and inner.inputs[0].aval.shape == ()
            ):
                eqn.inputs = [inner.inputs[0], *eqn.inputs[1:]]
        for v in eqn.outputs:
            producers[v.id] = eqn
        eqns.append(eqn)
    return rename.rebuild(jaxpr, eqns)


def _transposed_product(eqn, producers, uses):
    """``transpose(dot_general(a, b))`` of matrices -> ``dot_general(b, a)``: the product comes
    out contiguous in the wanted layout instead of as a strided view (reverse mode writes
    ``W``'s gradient this way)."""
    if eqn.primitive.name != "transpose" or eqn.params["permutation"] != (1, 0):
        return None
    (x,) = eqn.inputs
    inner = producers.get(x.id) if type(x) is Var else None
    if inner is None or inner.primitive.name != "dot_general" or uses.get(x.id) != 1:
        return None
    (contract_a, contract_b), (batch_a, batch_b) = inner.params["dimension_numbers"]
    a, b = inner.inputs
    if batch_a or batch_b or a.aval.ndim != 2 or b.aval.ndim != 2:
        return None
    params = {**inner.params, "dimension_numbers": ((contract_b, contract_a), ((), ()))}
    return Eqn(inner.primitive, [b, a], list(eqn.outputs), params, eqn.source)


def _simplified(eqn, producers):
    name = eqn.primitive.name
    ins = eqn.inputs
    if name in ("stop_gradient", "name"):  # differentiation is over once compiled
        return ins[0]
    if name == "mul":
        if _is_literal(ins[1], 1):
            return ins[0]
        if _is_literal(ins[0], 1):
            return ins[1]
    elif name == "add":
        if _is_literal(ins[1], 0):
            return ins[0]
        if _is_literal(ins[0], 0):
            return ins[1]
    elif name == "sub" and _is_literal(ins[1], 0):
        return ins[0]
    elif name == "div" and _is_literal(ins[1], 1):
        return ins[0]
    elif name == "neg" and type(ins[0]) is Var:
        inner = producers.get(ins[0].id)
        if inner is not None and inner.primitive.name == "neg":
            return inner.inputs[0]
    elif name == "transpose" and type(ins[0]) is Var:
        inner = producers.get(ins[0].id)
        if inner is not None and inner.primitive.name == "transpose":
            first = inner.params["permutation"]
            second = eqn.params["permutation"]
            if tuple(first[p] for p in second) == tuple(range(len(second))):
                return inner.inputs[0]
    elif name == "convert_element_type" and ins[0].aval.dtype == eqn.params["new_dtype"]:
        return ins[0]
    elif name in ("reshape", "broadcast_in_dim") and ins[0].aval.shape == eqn.outputs[0].aval.shape:
        return ins[0]
    return None


def _key(eqn):
    if has_effect(eqn):
        return None  # two prints of one value are two prints
    parts = []
    for a in eqn.inputs:
        if type(a) is Literal:
            parts.append(("lit", repr(a.val), a.aval.dtype.str))
        else:
            parts.append(("var", a.id))
    try:
        params = tuple(sorted((k, _hashable(v)) for k, v in eqn.params.items()))
    except TypeError:
        return None
    return (eqn.primitive.name, tuple(parts), params)


def _hashable(v):
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, np.ndarray):
        raise TypeError
    hash(v)
    return v if not hasattr(v, "jaxpr") else id(v)


def eliminate_common_subexpressions(jaxpr: Jaxpr) -> Jaxpr:
    """Reuse the result of an identical earlier equation (same primitive, inputs, params)."""
    rename = _Renamer()
    seen: dict = {}
    eqns = []
    for eqn in map(_copy_eqn, jaxpr.eqns):
        eqn.inputs = [rename(a) for a in eqn.inputs]
        key = _key(eqn)
        if key is not None and key in seen:
            for old, new in zip(eqn.outputs, seen[key].outputs, strict=True):
                rename.map[old.id] = new
            continue
        if key is not None:
            seen[key] = eqn
        eqns.append(eqn)
    return rename.rebuild(jaxpr, eqns)
