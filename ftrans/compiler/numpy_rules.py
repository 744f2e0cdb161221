"""What a primitive says about its NumPy lowering, registered beside the primitive.

A primitive's ``lower`` attribute tells ``ftrans.compiler.codegen`` what to write for one of
its equations. It is one of:

* ``ufunc_lowering(np.sin)``: an elementwise primitive implemented by a NumPy ufunc; the code
  generator may run it inside a fused, chunked kernel and let it write into a dead buffer.
* ``expression_lowering(rule)``: ``rule(eqn, args) -> str | None`` picks a NumPy expression
  with the equation's types in hand (ranks, dtypes, shapes), or None to call the
  implementation.
* a function ``lower(args, **params) -> str`` returning an expression, optionally with
  ``lower.emit(em, eqn, args) -> str`` writing whole statements (loops) instead;
* ``None``: the equation calls the primitive's implementation (`impl_call`).

Rules written against the emitter ``em`` use its small interface: ``em.bind(var)`` names an
output, ``em.atom(atom)`` an input, ``em.const(value, hint)`` and ``em.param(value)`` pass a
value in as a global (no user text reaches ``compile()``), ``em.globals`` holds them.

This module imports nothing from ftrans, so the primitive modules can import it (the code
generator reads the primitives' rules, never the other way; DESIGN.md "Imports run one way").
"""

from __future__ import annotations

__all__ = ["OUT_BY_KEYWORD", "expression_lowering", "impl_call", "ufunc_lowering"]

#: ufuncs whose ``out`` buffer is passed by keyword (a third positional is deprecated)
OUT_BY_KEYWORD = frozenset({"np.maximum", "np.minimum"})


def ufunc_lowering(ufunc):
    """``lower`` rule for a primitive whose implementation is the NumPy ufunc ``ufunc``."""
    name = f"np.{ufunc.__name__}"

    def lower(args, **params):
        return f"{name}({', '.join(args)})"

    lower.ufunc_name = name  # lets the fusion pass run it inside a chunked kernel
    return lower


def impl_call(em, eqn, args) -> str:
    """The expression calling a primitive's NumPy implementation (the generic lowering)."""
    prim = eqn.primitive
    fn = f"p_{prim.name}"
    if not prim.name.isidentifier() or em.globals.get(fn, prim.impl) is not prim.impl:
        fn = em.const(prim.impl, "p")  # a user primitive's name never enters the source
    em.globals[fn] = prim.impl
    kwargs = [f"{k}={em.param(v)}" for k, v in eqn.params.items()]
    return f"{fn}({', '.join(args + kwargs)})"


def expression_lowering(rule):
    """A ``lower`` rule from ``rule(eqn, args) -> str | None``: a NumPy expression chosen with
    the equation's types in hand (ranks, dtypes, shapes), or None to call the implementation."""

    def emit(em, eqn, args):
        expr = rule(eqn, args)
        if expr is None:
            expr = impl_call(em, eqn, args)
        return f"    {em.bind(eqn.outputs[0])} = {expr}"

    def lower(args, **params):
        raise TypeError("expression_lowering: code generation calls lower.emit")

    lower.emit = emit
    return lower
