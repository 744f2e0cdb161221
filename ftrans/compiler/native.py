"""The native backend: a jaxpr becomes one numba-compiled function (``jit(f, backend="native")``).

The generated source is array-level NumPy that numba compiles to machine code: elementwise
operations, reductions, products, shape operations, and the loops and branches of ``scan``,
``while`` and ``cond`` (and nested ``jit``/``checkpoint``/custom-rule programs) as native loops
and calls around native bodies. What it pays for is the interpreter: a loop of 500 steps over a
state of two numbers costs microseconds, not 500 rounds of NumPy dispatch. Rank-0 values are
plain scalars inside (no array allocation). A program with a primitive that has no native rule
here is not compiled natively at all: ``compile_native`` raises `NativeUnsupported` and
``jit`` runs the NumPy backend's code for it (``explain_backend`` says why).

Compiled functions are cached on disk by numba (``cache=True``) under
``$FTRANS_CACHE_DIR`` (default ``~/.cache/ftrans/native``), keyed by the generated source, so a
program compiles once per machine, not once per process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading

import numpy as np

from ftrans.core import ClosedJaxpr, Jaxpr, Literal
from ftrans.core import _var_names as var_names

__all__ = ["NATIVE_RULES", "NativeUnsupported", "available", "compile_native", "native_rule"]


class NativeUnsupported(Exception):
    """The program holds something the native backend cannot compile (the NumPy code runs)."""


def available() -> bool:
    """Is numba importable (the ``native`` extra)?"""
    return importlib.util.find_spec("numba") is not None


# ----------------------------------------------------------------------------- rules

#: primitive name -> ``rule(g, eqn, args) -> list of source lines`` (``g``: the generator).
NATIVE_RULES: dict = {}


def native_rule(*names):
    def register(rule):
        for n in names:
            NATIVE_RULES[n] = rule
        return rule

    return register


_UNARY = {
    "sin": "np.sin({0})",
    "cos": "np.cos({0})",
    "tan": "np.tan({0})",
    "asin": "np.arcsin({0})",
    "acos": "np.arccos({0})",
    "atan": "np.arctan({0})",
    "sinh": "np.sinh({0})",
    "cosh": "np.cosh({0})",
    "tanh": "np.tanh({0})",
    "asinh": "np.arcsinh({0})",
    "acosh": "np.arccosh({0})",
    "atanh": "np.arctanh({0})",
    "exp": "np.exp({0})",
    "exp2": "np.exp2({0})",
    "expm1": "np.expm1({0})",
    "log": "np.log({0})",
    "log1p": "np.log1p({0})",
    "log2": "np.log2({0})",
    "log10": "np.log10({0})",
    "sqrt": "np.sqrt({0})",
    "cbrt": "np.cbrt({0})",
    "abs": "np.abs({0})",
    "neg": "(-{0})",
    "sign": "np.sign({0})",
    "floor": "np.floor({0})",
    "ceil": "np.ceil({0})",
    "trunc": "np.trunc({0})",
    "round": "np.round({0})",
    "is_finite": "np.isfinite({0})",
    "not": "np.logical_not({0})",
    "stop_gradient": "{0}",
    "name": "{0}",
}
_BINARY = {
    "add": "({0} + {1})",
    "sub": "({0} - {1})",
    "mul": "({0} * {1})",
    "max": "np.maximum({0}, {1})",
    "min": "np.minimum({0}, {1})",
    "pow": "np.power({0}, {1})",
    "atan2": "np.arctan2({0}, {1})",
    "lt": "({0} < {1})",
    "le": "({0} <= {1})",
    "gt": "({0} > {1})",
    "ge": "({0} >= {1})",
    "eq": "({0} == {1})",
    "ne": "({0} != {1})",
    "and": "({0} & {1})",
    "or": "({0} | {1})",
    "xor": "({0} ^ {1})",
    "logaddexp": "np.logaddexp({0}, {1})",
}


def _expression(template):
    def rule(g, eqn, args):
        return [f"{g.out(eqn)} = {template.format(*args)}"]

    return rule


for _name, _template in {**_UNARY, **_BINARY}.items():
    NATIVE_RULES[_name] = _expression(_template)


@native_rule("div")
def _div(g, eqn, args):
    if eqn.outputs[0].aval.dtype.kind not in "fc":
        raise NativeUnsupported("integer division")
    return [f"{g.out(eqn)} = {args[0]} / {args[1]}"]


@native_rule("logistic")
def _logistic(g, eqn, args):
    return [f"{g.out(eqn)} = 1.0 / (1.0 + np.exp(-{args[0]}))"]


@native_rule("integer_pow")
def _integer_pow(g, eqn, args):
    y = eqn.params["y"]
    (x,) = args
    expr = f"{x} * {x}" if y == 2 else f"{x} ** {y}"
    return [f"{g.out(eqn)} = {expr}"]


@native_rule("select")
def _select(g, eqn, args):
    p, a, b = args
    if not eqn.outputs[0].aval.shape:
        return [f"{g.out(eqn)} = {a} if {p} else {b}"]
    return [f"{g.out(eqn)} = np.where({p}, {a}, {b})"]


@native_rule("convert_element_type")
def _convert(g, eqn, args):
    dtype = np.dtype(eqn.params["new_dtype"])
    if dtype.kind not in "biuf":
        raise NativeUnsupported(f"conversion to {dtype}")
    (x,) = args
    if not eqn.outputs[0].aval.shape:
        return [f"{g.out(eqn)} = np.{dtype.name}({x})"]
    return [f"{g.out(eqn)} = {x}.astype(np.{dtype.name})"]


def _contiguous(expr):
    return f"np.ascontiguousarray({expr})"


@native_rule("broadcast_in_dim")
def _broadcast(g, eqn, args):
    (x,) = args
    shape = tuple(eqn.params["shape"])
    dims = eqn.params["broadcast_dimensions"]
    in_shape = eqn.inputs[0].aval.shape
    dtype = eqn.outputs[0].aval.dtype
    if not in_shape:
        return [f"{g.out(eqn)} = np.full({shape!r}, {x}, np.{dtype.name})"]
    expanded = tuple(in_shape[dims.index(d)] if d in dims else 1 for d in range(len(shape)))
    return [
        f"{g.out(eqn)} = "
        + _contiguous(f"np.broadcast_to({_contiguous(x)}.reshape({expanded!r}), {shape!r})")
    ]


def _reshape_to(g, eqn, x):
    out_shape = tuple(eqn.outputs[0].aval.shape)
    in_shape = eqn.inputs[0].aval.shape
    if not out_shape:
        return [f"{g.out(eqn)} = {x}.reshape(-1)[0]" if in_shape else f"{g.out(eqn)} = {x}"]
    if not in_shape:
        dtype = eqn.outputs[0].aval.dtype
        return [f"{g.out(eqn)} = np.full({out_shape!r}, {x}, np.{dtype.name})"]
    return [f"{g.out(eqn)} = {_contiguous(x)}.reshape({out_shape!r})"]


@native_rule("reshape", "squeeze")
def _reshape(g, eqn, args):
    return _reshape_to(g, eqn, args[0])


@native_rule("transpose")
def _transpose(g, eqn, args):
    perm = tuple(eqn.params["permutation"])
    return [f"{g.out(eqn)} = {_contiguous(f'np.transpose({args[0]}, {perm!r})')}"]


@native_rule("rev")
def _rev(g, eqn, args):
    ndim = len(eqn.inputs[0].aval.shape)
    index = ", ".join("::-1" if d in eqn.params["dimensions"] else ":" for d in range(ndim))
    return [f"{g.out(eqn)} = {_contiguous(f'{args[0]}[{index}]')}"]


@native_rule("slice")
def _slice(g, eqn, args):
    p = eqn.params
    strides = p["strides"] or (1,) * len(p["start_indices"])
    index = ", ".join(
        f"{a}:{b}:{s}" for a, b, s in zip(p["start_indices"], p["limit_indices"], strides)
    )
    return [f"{g.out(eqn)} = {_contiguous(f'{args[0]}[{index}]')}"]


@native_rule("pad")
def _pad(g, eqn, args):
    x, value = args
    config = eqn.params["padding_config"]
    if any(lo < 0 or hi < 0 or interior for lo, hi, interior in config):
        raise NativeUnsupported("pad with negative or interior padding")
    out_aval = eqn.outputs[0].aval
    if not eqn.inputs[0].aval.shape:
        return [f"{g.out(eqn)} = {x}"]
    index = ", ".join(f"{lo}:{lo + n}" for (lo, _, _), n in zip(config, eqn.inputs[0].aval.shape))
    out = g.out(eqn)
    return [
        f"{out} = np.full({tuple(out_aval.shape)!r}, {value}, np.{out_aval.dtype.name})",
        f"{out}[{index}] = {x}",
    ]


@native_rule("concatenate")
def _concatenate(g, eqn, args):
    if any(not a.aval.shape for a in eqn.inputs):
        raise NativeUnsupported("concatenate of scalars")
    return [f"{g.out(eqn)} = np.concatenate(({', '.join(args)},), axis={eqn.params['dimension']})"]


@native_rule("reduce_sum", "reduce_max", "reduce_min", "reduce_prod")
def _reduce(g, eqn, args):
    fn = {"reduce_sum": "np.sum", "reduce_max": "np.max", "reduce_min": "np.min"}.get(
        eqn.primitive.name, "np.prod"
    )
    (x,) = args
    ndim = len(eqn.inputs[0].aval.shape)
    axes = tuple(sorted(eqn.params["axes"]))
    if not ndim or not axes:
        return [f"{g.out(eqn)} = {x}"]
    if len(axes) == ndim:
        return [f"{g.out(eqn)} = {fn}({x})"]
    if fn != "np.sum":  # numba's max/min/prod take no axis
        raise NativeUnsupported(f"{eqn.primitive.name} over some axes")
    lines, current = [], x
    for k, axis in enumerate(reversed(axes)):
        name = g.out(eqn) if k == len(axes) - 1 else g.temp()
        lines.append(f"{name} = np.sum({current}, axis={axis})")
        current = name
    return lines


@native_rule("dot_general")
def _dot(g, eqn, args):
    ((ca, cb), (ba, bb)) = eqn.params["dimension_numbers"]
    a, b = eqn.inputs
    ra, rb = len(a.aval.shape), len(b.aval.shape)
    if ba or bb or a.aval.dtype.kind not in "fc" or a.aval.dtype != b.aval.dtype:
        raise NativeUnsupported("dot_general with batch dimensions or non-float operands")
    x, y = args
    if not ra or not rb:
        return [f"{g.out(eqn)} = {x} * {y}"]
    if len(ca) != 1 or ra > 2 or rb > 2:
        raise NativeUnsupported("dot_general beyond one contraction of matrices and vectors")
    # bring the contracted axis last in a and first in b: then it is np.dot
    if ra == 2 and ca[0] == 0:
        x = f"np.ascontiguousarray({x}.T)"
    if rb == 2 and cb[0] == 1:
        y = f"np.ascontiguousarray({y}.T)"
    return [f"{g.out(eqn)} = np.dot({_contiguous(x)}, {_contiguous(y)})"]


def _call_program(g, program, args, eqn):
    fn = g.subprogram(program)
    outs = [g.bind(v) for v in eqn.outputs]
    target = ", ".join(outs) + ("," if len(outs) == 1 else "")
    return [f"{target} = {fn}({', '.join(args)})"]


@native_rule("jit_call", "remat")
def _jit_call(g, eqn, args):
    return _call_program(g, eqn.params["jaxpr"], args, eqn)


@native_rule("custom_jvp_call", "custom_vjp_call", "custom_vmap_call")
def _custom_call(g, eqn, args):
    program = eqn.params["fun"]
    if not isinstance(program, ClosedJaxpr):
        raise NativeUnsupported("a custom rule whose function branches on values in Python")
    return _call_program(g, program, args, eqn)


@native_rule("cond")
def _cond(g, eqn, args):
    branches = eqn.params["branches"]
    outs = [g.bind(v) for v in eqn.outputs]
    target = ", ".join(outs) + ("," if len(outs) == 1 else "")
    index, ops = args[0], args[1:]
    fns = [g.subprogram(b) for b in branches]
    lines = []
    for k, fn in enumerate(fns):
        keyword = "if" if k == 0 else ("else" if k == len(fns) - 1 else "elif")
        test = "" if keyword == "else" else f" {index} <= {k}"
        lines.append(f"{keyword}{test}:")
        lines.append(f"    {target} = {fn}({', '.join(ops)})")
    return lines


@native_rule("scan")
def _scan(g, eqn, args):
    p = eqn.params
    n_c, n_k, length = p["num_consts"], p["num_carry"], p["length"]
    body = g.subprogram(p["jaxpr"])
    consts, carry, xs = args[:n_c], args[n_c : n_c + n_k], args[n_c + n_k :]
    outs = [g.bind(v) for v in eqn.outputs]
    carry_out, ys = outs[:n_k], outs[n_k:]
    lines = [f"{c} = {init}" for c, init in zip(carry_out, carry, strict=True)]
    y_avals = [v.aval for v in eqn.outputs[n_k:]]
    for y, aval in zip(ys, y_avals, strict=True):
        lines.append(f"{y} = np.empty({tuple(aval.shape)!r}, np.{aval.dtype.name})")
    steps = f"range({length} - 1, -1, -1)" if p["reverse"] else f"range({length})"
    y_tmp = [g.temp() for _ in ys]
    targets = ", ".join(carry_out + y_tmp) + ("," if len(carry_out + y_tmp) == 1 else "")
    lines.append(f"for _i in {steps}:")
    lines.append(
        f"    {targets} = {body}({', '.join([*consts, *carry_out, *[x + '[_i]' for x in xs]])})"
    )
    lines += [f"    {y}[_i] = {t}" for y, t in zip(ys, y_tmp, strict=True)]
    return lines


@native_rule("while")
def _while(g, eqn, args):
    p = eqn.params
    n_cc, n_bc = p["cond_nconsts"], p["body_nconsts"]
    cond = g.subprogram(p["cond_jaxpr"])
    body = g.subprogram(p["body_jaxpr"])
    cc, bc, carry = args[:n_cc], args[n_cc : n_cc + n_bc], args[n_cc + n_bc :]
    outs = [g.bind(v) for v in eqn.outputs]
    target = ", ".join(outs) + ("," if len(outs) == 1 else "")
    lines = [f"{o} = {c}" for o, c in zip(outs, carry, strict=True)]
    test = f"{cond}({', '.join([*cc, *outs])})[0]"
    if p["max_steps"] is None:
        lines.append(f"while {test}:")
    else:
        lines.append(f"for _n in range({p['max_steps']}):")
        lines.append(f"    if not {test}:")
        lines.append("        break")
    lines.append(f"    {target} = {body}({', '.join([*bc, *outs])})")
    return lines


@native_rule("reduce_and", "reduce_or")
def _reduce_bool(g, eqn, args):
    fn = "np.all" if eqn.primitive.name == "reduce_and" else "np.any"
    ndim = len(eqn.inputs[0].aval.shape)
    if not ndim:
        return [f"{g.out(eqn)} = {args[0]}"]
    if len(eqn.params["axes"]) != ndim:
        raise NativeUnsupported(f"{eqn.primitive.name} over some axes")
    return [f"{g.out(eqn)} = {fn}({args[0]})"]


@native_rule("signbit")
def _signbit(g, eqn, args):
    return [f"{g.out(eqn)} = np.signbit({args[0]})"]


@native_rule("floor_divide")
def _floor_divide(g, eqn, args):
    return [f"{g.out(eqn)} = np.floor_divide({args[0]}, {args[1]})"]


@native_rule("cumsum", "cumprod")
def _cumulative(g, eqn, args):
    shape = eqn.inputs[0].aval.shape
    if len(shape) != 1 or eqn.params.get("reverse"):
        raise NativeUnsupported(f"{eqn.primitive.name} of a non-vector or in reverse")
    fn = "np.cumsum" if eqn.primitive.name == "cumsum" else "np.cumprod"
    return [f"{g.out(eqn)} = {fn}({args[0]})"]


#: primitives with no native rule: a program holding one runs the NumPy backend's code (by
#: family, so the registry test can tell a deliberate choice from a forgotten rule).
NUMPY_ONLY: dict[str, str] = {
    **dict.fromkeys(
        (
            "cholesky",
            "eigh",
            "eigvalsh",
            "lu",
            "lu_pivots_to_permutation",
            "pinv",
            "qr",
            "slogdet",
            "solve",
            "svd",
            "triangular_solve",
        ),
        "LAPACK: NumPy calls it already",
    ),
    **dict.fromkeys(("fft", "ifft", "rfft", "irfft"), "FFT: NumPy calls pocketfft already"),
    **dict.fromkeys(
        (
            "bessel_i0e",
            "bessel_i1e",
            "digamma",
            "erf",
            "erf_inv",
            "erfc",
            "erfcx",
            "expi",
            "expn",
            "igamma",
            "igamma_grad_a",
            "igammac",
            "lgamma",
            "log_ndtr",
            "ndtr",
            "ndtri",
            "polygamma",
            "regularized_incomplete_beta",
            "spence",
            "zeta",
            "zeta_grad_s",
            "xlog1py",
            "xlogx",
            "xlogy",
        ),
        "special functions: their NumPy kernels are not written for numba yet",
    ),
    **dict.fromkeys(
        (
            "random_fma",
            "random_gamma",
            "random_nextafter",
            "random_unit",
            "threefry2x32",
            "threefry_normal",
            "mulhi",
        ),
        "random bits: in-place NumPy kernels",
    ),
    **dict.fromkeys(
        (
            "gather",
            "scatter",
            "scatter_add",
            "scatter_max",
            "scatter_min",
            "scatter_mul",
            "dynamic_slice",
            "dynamic_update_slice",
            "argsort",
            "lexsort",
            "argmax",
            "argmin",
            "cummax",
            "cummin",
            "conv_general_dilated",
        ),
        "indexing, sorting and convolution: not yet lowered to index arithmetic",
    ),
    **dict.fromkeys(
        ("complex", "conj", "real", "imag"), "complex numbers: the native backend is real-only"
    ),
    **dict.fromkeys(
        (
            "bitcast_convert_type",
            "bitwise_count",
            "clz",
            "population_count",
            "shift_left",
            "shift_right",
            "gcd",
            "lcm",
            "nextafter",
            "rem",
            "fmod",
        ),
        "integer and bit operations: not yet written",
    ),
    "custom_vjp_lin": "only in linear programs (the backward pass runs NumPy code)",
    "eig": "LAPACK: NumPy calls it already",
    "eigvals": "LAPACK: NumPy calls it already",
    "reduce_precision": "integer and bit operations: not yet written",
}


# ----------------------------------------------------------------------------- generator


class _Generator:
    """Writes one module of numba functions: the program and the sub-programs it calls."""

    def __init__(self):
        self.functions: list[str] = []  # source of each function, callees first
        self.globals: dict = {}
        self.by_program: dict[int, str] = {}
        self.count = 0

    def function(self, closed: ClosedJaxpr) -> str:
        """The name of ``closed``'s native function, generating it (once) if needed."""
        hit = self.by_program.get(id(closed))
        if hit is not None:
            return hit
        name = f"f{self.count}"
        self.count += 1
        self.by_program[id(closed)] = name
        _Function(self, name, closed.jaxpr, closed.consts).emit()
        return name


class _Function:
    def __init__(self, gen: _Generator, name: str, jaxpr: Jaxpr, consts):
        self.gen, self.name, self.jaxpr, self.consts = gen, name, jaxpr, consts
        self.names: dict[int, str] = {}
        self.fresh = var_names()
        self.temps = 0

    # helpers for the rules
    def bind(self, var) -> str:
        name = self.names.get(var.id)
        if name is None:
            name = self.names[var.id] = f"v_{next(self.fresh)}"
        return name

    def out(self, eqn) -> str:
        return self.bind(eqn.outputs[0])

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def subprogram(self, closed: ClosedJaxpr) -> str:
        if not isinstance(closed, ClosedJaxpr):
            raise NativeUnsupported("a sub-program that is not a traced program")
        return self.gen.function(closed)

    def atom(self, atom) -> str:
        if type(atom) is Literal:
            dtype = atom.aval.dtype
            value = np.asarray(atom.val, dtype).item()
            if dtype.kind not in "biuf" or (dtype.kind == "f" and not np.isfinite(value)):
                if dtype.kind == "f":
                    special = "np.nan" if np.isnan(value) else "np.inf" if value > 0 else "-np.inf"
                    return f"np.{dtype.name}({special})"
                raise NativeUnsupported(f"a literal of dtype {dtype}")
            if dtype == np.bool_:
                return repr(bool(value))
            return f"np.{dtype.name}({value!r})"
        return self.names[atom.id]

    def emit(self):
        jaxpr = self.jaxpr
        lines = []
        for v, c in zip(jaxpr.constvars, self.consts, strict=True):
            c = np.asarray(c)
            if c.dtype.kind not in "biuf":
                raise NativeUnsupported(f"a constant of dtype {c.dtype}")
            gname = f"c{len(self.gen.globals)}"
            self.gen.globals[gname] = c[()] if c.ndim == 0 else np.ascontiguousarray(c)
            lines.append(f"{self.bind(v)} = {gname}")
        params = [self.bind(v) for v in jaxpr.invars]
        for eqn in jaxpr.eqns:
            rule = NATIVE_RULES.get(eqn.primitive.name)
            if rule is None:
                raise NativeUnsupported(f"no native rule for {eqn.primitive.name}")
            if any(
                a.aval.dtype.kind not in "biuf"
                for a in [*eqn.inputs, *eqn.outputs]
                if a is not None
            ):
                raise NativeUnsupported(f"{eqn.primitive.name} on complex or other dtypes")
            lines += rule(self, eqn, [self.atom(a) for a in eqn.inputs])
        outs = [self.atom(v) for v in jaxpr.outvars]
        lines.append(f"return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
        body = "\n".join("    " + line for line in lines)
        self.gen.functions.append(
            f"@numba.njit(cache=True, nogil=True)\ndef {self.name}({', '.join(params)}):\n{body}\n"
        )


# ----------------------------------------------------------------------------- compiling


def cache_dir() -> str:
    return os.environ.get(
        "FTRANS_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "ftrans", "native")
    )


_lock = threading.Lock()


class NativeCompiled:
    """A program compiled by numba: called with and returning NumPy arrays like the NumPy
    backend's functions (rank-0 values cross as scalars)."""

    __slots__ = ("fn", "source", "in_avals", "out_avals", "n_out", "program")

    def __init__(self, fn, source, in_avals, out_avals):
        self.fn, self.source = fn, source
        self.in_avals, self.out_avals = list(in_avals), list(out_avals)
        self.n_out = len(self.out_avals)
        self.program = None

    def __call__(self, *args):
        ins = [
            a.dtype.type(x) if not a.shape else np.ascontiguousarray(x, a.dtype)
            for a, x in zip(self.in_avals, args, strict=True)
        ]
        outs = self.fn(*ins)
        return tuple(np.asarray(o, a.dtype) for o, a in zip(outs, self.out_avals, strict=True))


def generate_native(closed: ClosedJaxpr) -> tuple[str, dict, str]:
    """``(module source, globals, entry function name)``; raises NativeUnsupported."""
    gen = _Generator()
    entry = gen.function(closed)
    header = "import numpy as np\nimport numba\n\n"
    consts = "".join(f"{k} = _consts[{k!r}]\n" for k in gen.globals)
    return header + consts + "\n\n" + "\n\n".join(gen.functions), gen.globals, entry


def compile_native(closed: ClosedJaxpr) -> NativeCompiled:
    """Compile ``closed`` (already optimised) with numba; NativeUnsupported if it cannot."""
    if not available():
        raise NativeUnsupported("numba is not installed (pip install 'ftrans[native]')")
    from ftrans.compiler.passes import optimize

    jaxpr, consts = optimize(closed.jaxpr, list(closed.consts))
    closed = ClosedJaxpr(jaxpr, consts)
    source, consts_by_name, entry = generate_native(closed)
    key = hashlib.sha256(
        (
            source
            + repr([(k, v.dtype.str, v.shape, v.tobytes()) for k, v in _arrays(consts_by_name)])
        ).encode()
    ).hexdigest()[:24]
    with _lock:
        directory = cache_dir()
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"ftrans_native_{key}.py")
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(source)
            os.replace(tmp, path)  # atomic: concurrent processes see a whole file
        module_name = f"ftrans_native_{key}"
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            module._consts = consts_by_name  # read by the module's first lines
            spec.loader.exec_module(module)
            sys.modules[module_name] = module
    fn = getattr(module, entry)
    compiled = NativeCompiled(fn, source, closed.jaxpr.in_avals, closed.jaxpr.out_avals)
    # compile now for the known argument types (never by running it: a loop could be endless)
    import numba

    types = tuple(
        numba.typeof(a.dtype.type(0) if not a.shape else np.zeros(a.shape, a.dtype))
        for a in closed.jaxpr.in_avals
    )
    try:
        fn.compile(types)
    except Exception as err:  # numba's typing errors are long: keep the gist
        raise NativeUnsupported(f"numba could not compile the program: {str(err)[:400]}") from None
    return compiled


def _arrays(globals_):
    for k, v in globals_.items():
        yield k, np.asarray(v)
