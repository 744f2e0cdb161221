"""``jit_call``: the primitive holding a traced program, with rules that transform the program.

Every transformation applied to a jitted function acts on the jaxpr inside it and produces a
new ``jit_call``, so ``grad(jit(f))``, ``vmap(jit(f))`` and ``jit(grad(f))`` all run compiled
code. Derived programs are cached on the ``ClosedJaxpr`` they come from.
"""

from __future__ import annotations

from ftrans.compiler.native_rules import native_rule
from ftrans.core import ClosedJaxpr, Primitive, Zero, get_aval, is_undefined
from ftrans.interpreters.programs import (
    batch_program,
    jvp_program,
    partial_eval_program,
    transpose_program,
)
from ftrans.interpreters.tracing import JaxprTracer

# Compiling a program is the compiler's job, a layer above the interpreters (DESIGN.md "Imports
# run one way"): ``ftrans.compiler.native.tiering`` gives its entry point to ``set_compiler``
# when it loads, which ``import ftrans`` does before any function can be jitted.
_compile_program = None


def set_compiler(compile_program) -> None:
    """Make ``compile_program(closed) -> callable`` what `compiled` runs on a new program."""
    global _compile_program
    _compile_program = compile_program


def compiled(closed: ClosedJaxpr):
    """The compiled function of a closed jaxpr (compiled once, then cached on it)."""
    fn = closed.cache.get("compiled")
    if fn is None:
        if _compile_program is None:
            raise RuntimeError(
                "ftrans.interpreters.jit: no compiler is registered; import ftrans (its "
                "ftrans.compiler.native.tiering registers one with set_compiler)"
            )
        fn = closed.cache["compiled"] = _compile_program(closed)
    return fn


jit_call_p = Primitive("jit_call", multiple_results=True)
jit_call_p.impl = lambda *args, jaxpr, name: list(compiled(jaxpr)(*args))
jit_call_p.abstract_eval = lambda *avals, jaxpr, name: list(jaxpr.out_avals)
jit_call_p.lower = lambda args, *, jaxpr, name: f"{jaxpr}({', '.join(args)})"
native_rule(jit_call_p)(lambda g, eqn, *values, jaxpr, name: g.inline(jaxpr, values))


def jit_call(*args, jaxpr: ClosedJaxpr, name: str):
    return jit_call_p.bind(*args, jaxpr=jaxpr, name=name)


# ----------------------------------------------------------------------------- JVP


def _jit_jvp(primals, tangents, *, jaxpr, name):
    nonzero = tuple(type(t) is not Zero for t in tangents)
    program, out_nonzero = jvp_program(jaxpr, nonzero)
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


def _jit_partial_eval(trace, args, params):
    """During linearize: run the known part now (compiled) and stage only the unknown part."""
    closed, name = params["jaxpr"], params["name"]
    unknowns = tuple(type(a) is JaxprTracer and a._trace is trace for a in args)
    if not any(unknowns):
        return jit_call(*args, jaxpr=closed, name=name)
    known, unknown, out_unknown, n_res = partial_eval_program(closed, unknowns)
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


def _jit_transpose(cts, *args, jaxpr, name):
    linear = tuple(is_undefined(a) for a in args)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    program = transpose_program(jaxpr, linear, ct_nonzero)
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


def _jit_batch(vals, dims, *, jaxpr, name):
    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    program, _ = batch_program(jaxpr, dims, [get_aval(v) for v in vals], size)
    outs = jit_call(*vals, jaxpr=program, name=f"vmap_{name}")
    return outs, [0] * len(outs)


jit_call_p.batch = _jit_batch
