"""Code generation: a jaxpr becomes the source of one Python function of NumPy calls.

Every name in the generated source is made here (``a``, ``b``, ... for variables, ``k0``... for
constants, ``p_<primitive>`` for implementations), so no user-controlled text reaches
``compile()``: constants, dtypes and non-numeric parameters are passed in as globals.
Each equation is written by its primitive's ``lower`` rule, in the forms that
``ftrans.compiler.numpy_rules`` describes (the primitives import that module, not this one).
"""

from __future__ import annotations

import itertools
import keyword

import numpy as np

from ftrans.compiler import fusion
from ftrans.compiler.numpy_rules import OUT_BY_KEYWORD, impl_call
from ftrans.compiler.passes import is_uniform, optimize
from ftrans.core import ClosedJaxpr, Jaxpr, Literal, Var
from ftrans.core import _var_names as var_names
from ftrans.interpreters.jit import compiled

_SAFE_SCALARS = (bool, int, float)


class Compiled:
    """A generated function and its source; calling it runs the program."""

    __slots__ = ("fn", "source", "n_out", "out_avals", "program")

    def __init__(self, fn, source, n_out, out_avals=None):
        self.fn = fn
        self.source = source
        self.n_out = n_out
        self.out_avals = out_avals
        self.program = None  # the ClosedJaxpr it was compiled from (set by tiering.compile_program)

    def __call__(self, *args):
        return self.fn(*args)


def _is_safe(value) -> bool:
    """Can ``repr(value)`` be written into the source (numbers, None, tuples of those)?"""
    if value is None or type(value) in _SAFE_SCALARS:
        return not (type(value) is float and not np.isfinite(value))
    if type(value) is tuple:
        return all(_is_safe(v) for v in value)
    return False


class _Emitter:
    def __init__(self, name):
        self.name = name
        self.scalar_consts: dict = {}
        self.scalar_arrays: dict = {}  # 0-d array constants for ufunc operands, deduplicated
        self.scalar_values: dict = {}  # their names -> the numbers they hold (for comments)
        self.globals: dict = {"np": np}
        self.lines: list[str] = []
        self.names: dict[int, str] = {}
        self.fresh = var_names()
        self.consts = itertools.count()

    def const(self, value, hint="k"):
        if isinstance(value, np.dtype) and value.isbuiltin and value.kind in "biufc":
            return f"np.{value.name}"  # NumPy's own dtype names, not user text
        name = f"{hint}{next(self.consts)}"
        self.globals[name] = value
        return name

    def atom(self, atom):
        if type(atom) is Literal:
            return self.literal(atom.val)
        return self.names[atom.id]

    def literal(self, val):
        """A number written into the source, typed as the IR says; anything else a global."""
        if type(val) in _SAFE_SCALARS and _is_safe(val):
            return repr(val)
        if isinstance(val, np.generic) and val.dtype.kind in "biuf":
            py = val.item()
            if _is_safe(py):
                if val.dtype in (np.float64, np.int64, np.bool_):
                    return repr(py)  # same dtype as the other (float64/int64) operand
                return f"np.{val.dtype.name}({py!r})"
        return self.const(val)

    def bind(self, var):
        name = next(self.fresh)
        while name == "np" or keyword.iskeyword(name) or keyword.issoftkeyword(name):
            name = next(self.fresh)
        self.names[var.id] = name
        return name

    def zero_d(self, value, dtype) -> str:
        """A number as a 0-d array constant of ``dtype`` (floating and complex dtypes only;
        others are written as literals). NumPy dispatches a ufunc on a 0-d array of the
        operation's own dtype faster than on a Python or NumPy scalar (no weak-scalar promotion
        to resolve), with the same result. Deduplicated; `value_comment` shows its value."""
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            return self.literal(value)
        key = (dtype.str, repr(value))
        name = self.scalar_arrays.get(key)
        if name is None:
            name = self.scalar_arrays[key] = self.const(np.asarray(value, dtype=dtype), "s")
            self.scalar_values[name] = value.item() if isinstance(value, np.generic) else value
        return name

    def value_comment(self, args) -> str:
        """``  # s0 = 2.0``: the numbers behind the 0-d constants among ``args`` (or "")."""
        notes = [f"{a} = {self.scalar_values[a]!r}" for a in args if a in self.scalar_values]
        return f"  # {', '.join(notes)}" if notes else ""

    def param(self, value):
        if _is_safe(value):
            return repr(value)
        if isinstance(value, ClosedJaxpr):
            return self.const(compiled(value), "f")
        if type(value) is tuple and value and all(isinstance(v, ClosedJaxpr) for v in value):
            # the branches of cond
            return self.const(tuple(compiled(v) for v in value), "f")
        return self.const(value, "q")


def lower_eqn(em: _Emitter, eqn, reuse=None) -> str:
    """One line of source for ``eqn``; ``reuse`` names a dead array the ufunc may write into."""
    if getattr(eqn.primitive.lower, "ufunc_name", None) is not None:
        args = [_ufunc_operand(em, a, eqn) for a in eqn.inputs]
        return _lower(em, eqn, args, reuse) + em.value_comment(args)
    return _lower(em, eqn, [em.atom(a) for a in eqn.inputs], reuse)


def _lower(em: _Emitter, eqn, args, reuse) -> str:
    prim = eqn.primitive
    if reuse is not None:
        outs = [em.bind(v) for v in eqn.outputs]
        ufunc = prim.lower.ufunc_name
        # out as a positional argument parses faster, except where NumPy deprecates it
        out = f"out={reuse}" if ufunc in OUT_BY_KEYWORD else reuse
        return f"    {outs[0]} = {ufunc}({', '.join(args)}, {out})"
    emit = getattr(prim.lower, "emit", None)
    if emit is not None:  # a primitive that lowers to statements (loops), not an expression
        return emit(em, eqn, args)
    if prim.lower is not None:
        expr = prim.lower(args, **{k: em.param(v) for k, v in eqn.params.items()})
    else:
        expr = impl_call(em, eqn, args)
    outs = [em.bind(v) for v in eqn.outputs]
    if prim.multiple_results:
        target = ", ".join(outs) + ("," if len(outs) == 1 else "")
        return f"    {target} = {expr}"
    return f"    {outs[0]} = {expr}"


def _ufunc_operand(em: _Emitter, atom, eqn) -> str:
    """A ufunc operand; a scalar literal of the same dtype as everything else in the equation
    becomes a 0-d array constant (see `_Emitter.zero_d`)."""
    if type(atom) is not Literal:
        return em.names[atom.id]
    dtype = atom.aval.dtype
    same = all(a.aval.dtype == dtype for a in eqn.inputs) and all(
        v.aval.dtype == dtype for v in eqn.outputs
    )
    return em.zero_d(atom.val, dtype) if same else em.atom(atom)


class _UsedAfter:
    """``var_id in used_after``: is the variable needed after item ``k``?"""

    def __init__(self, last_use, k):
        self.last_use = last_use
        self.k = k

    def __contains__(self, var_id):
        return self.last_use.get(var_id, -1) > self.k


def generate(jaxpr: Jaxpr, consts, name="jitted", fuse=True):
    em = _Emitter(name)
    # constants holding one repeated value (a broadcast scalar, or AD's `-1 * ones`): kernels
    # read that number instead of streaming a whole array through memory
    em.scalar_consts = {
        v.id: c.reshape(-1)[0]
        for v, c in zip(jaxpr.constvars, consts, strict=True)
        if is_uniform(c)
    }
    const_names = [em.bind(v) for v in jaxpr.constvars]
    arg_names = [em.bind(v) for v in jaxpr.invars]
    lines = [f"def {name}({', '.join(arg_names)}):"]
    # a rank-0 input may arrive as a Python scalar; lowerings call array methods on values
    used_by_method = {
        a.id
        for e in jaxpr.eqns
        if getattr(e.primitive.lower, "emit", None) is not None
        for a in e.inputs
        if type(a) is Var
    }
    for v, arg in zip(jaxpr.invars, arg_names, strict=True):
        if not v.aval.shape and v.id in used_by_method:
            lines.append(f"    {arg} = np.asarray({arg})")
    kernels: list[str] = []  # source lines of the fused kernels
    n_kernels = 0
    for cname, value in zip(const_names, consts, strict=True):
        em.globals[f"c_{cname}"] = value
        lines.append(f"    {cname} = c_{cname}")
    items = fusion.find_groups(jaxpr.eqns) if fuse else list(jaxpr.eqns)
    # the last item using each variable (outputs live to the end)
    last_use: dict[int, int] = {}
    for k, item in enumerate(items):
        for e in item if isinstance(item, list) else [item]:
            for a in e.inputs:
                if type(a) is not Literal:
                    last_use[a.id] = k
    for v in jaxpr.outvars:
        if type(v) is not Literal:
            last_use[v.id] = len(items)
    keep = {v.id for v in jaxpr.constvars} | {v.id for v in jaxpr.invars}
    owned: set[int] = set()  # fresh arrays made by ufuncs here, with no view of them alive
    reused: set[int] = set()  # variables whose buffer a later equation took over
    for k, item in enumerate(items):
        if not isinstance(item, list):
            ufunc = getattr(item.primitive.lower, "ufunc_name", None)
            reuse = None
            if ufunc is not None and len(item.outputs) == 1 and item.outputs[0].aval.shape:
                out = item.outputs[0]
                for a in item.inputs:
                    if (
                        type(a) is Var
                        and a.id in owned
                        and last_use.get(a.id) == k
                        and a.aval == out.aval
                    ):
                        reuse = em.names[a.id]  # buffer reuse by liveness: write in place
                        reused.add(a.id)
                        break
                for a in item.inputs:
                    owned.discard(a.id if type(a) is Var else None)
                lines.append(lower_eqn(em, item, reuse))
                owned.add(out.id)
            else:
                for a in item.inputs:
                    owned.discard(a.id if type(a) is Var else None)  # it may now have a view
                lines.append(lower_eqn(em, item))
        else:
            later = _UsedAfter(last_use, k)
            inputs, outputs = fusion.group_interface(item, later)
            kname = f"kernel{n_kernels}"
            n_kernels += 1
            kernels.extend(fusion.emit_kernel(em, item, inputs, outputs, kname))
            for e in item:
                for a in e.inputs:
                    owned.discard(a.id if type(a) is Var else None)
            outs = [em.bind(v) for v in outputs]
            target = ", ".join(outs) + ("," if len(outs) == 1 else "")
            lines.append(f"    {target} = {kname}({', '.join(em.atom(a) for a in inputs)})")
        # drop intermediates at their last use, so NumPy can reuse their memory
        dead = sorted(
            {
                em.names[a.id]
                for e in (item if isinstance(item, list) else [item])
                for a in e.inputs
                if type(a) is not Literal
                and last_use.get(a.id) == k
                and a.id not in keep
                and a.id not in reused
                and a.id in em.names
            }
        )
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    const_ids = {v.id for v in jaxpr.constvars}
    # an output that is a constant is copied, so callers can never modify the cached program
    # and a literal output (a zero tangent, a zero-filled residual) is made an array of its type
    outs = [
        f"np.array({em.atom(v)}, {em.const(v.aval.dtype)})"
        if type(v) is Literal
        else f"np.array({em.atom(v)})"
        if v.id in const_ids
        else em.atom(v)
        for v in jaxpr.outvars
    ]
    lines.append(f"    return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
    return "\n".join(kernels + lines) + "\n", em.globals


def compile_jaxpr(jaxpr: Jaxpr, consts, name="jitted") -> Compiled:
    """Optimise ``jaxpr`` and compile it to a Python function returning a tuple of outputs."""
    jaxpr, consts = optimize(jaxpr, list(consts))
    source, namespace = generate(jaxpr, consts, name)
    code = compile(source, f"<ftrans.jit {name}>", "exec")
    exec(code, namespace)
    return Compiled(namespace[name], source, len(jaxpr.outvars), jaxpr.out_avals)
