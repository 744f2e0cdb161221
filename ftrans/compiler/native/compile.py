"""Compiling a generated native program: numba, the on-disk cache, NumPy boundaries.

``compile_native`` turns a closed jaxpr into a callable: one numba function when every
equation has a native rule, else native segments chained by Python around the equations that
run their NumPy lowering. A program weighing more than ``SEGMENT_WEIGHT`` (numba's compile
time grows faster than a function's size) is split into native segments too. numba caches
each compiled function on disk (``cache=True``) under
``$FTRANS_CACHE_DIR`` (default ``~/.cache/ftrans/native``), keyed by the generated source.
Buffers the program only indexes are passed in by the caller (``_passed_buffers``):
temporaries kept from call to call, large outputs allocated by NumPy.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import math
import os
import re
import sys
import threading

import numpy as np

from ftrans.compiler.fusion import group_interface
from ftrans.compiler.native.codegen import LAPACK_WEIGHT, Generator, _rules_loaded, available
from ftrans.compiler.native_rules import RUN_NUMPY, NativeUnsupported
from ftrans.core import ClosedJaxpr, Jaxpr, Literal


def cache_dir() -> str:
    return os.environ.get(
        "FTRANS_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "ftrans", "native")
    )


def _flatten(lines, out):
    for line in lines:
        if isinstance(line, list):
            _flatten(line, out)
        else:
            out.append(line)
    return out


#: a call of a ``ftrans.compiler.native.vecmath`` kernel in generated code
_USES_VECMATH = re.compile(r"\bvm\.")
#: a call of ``ftrans.compiler.native.blas`` (NumPy's BLAS) in generated code
_USES_BLAS = re.compile(r"\bnb\.")


def generate_native(closed: ClosedJaxpr, threads: int = 1) -> tuple[str, list, str, list]:
    """``(module source, constant arrays, entry name, passed buffers' (shape, dtype, kind))``;
    raises NativeUnsupported."""
    return _generate(closed, threads)[:4]


def _generate(closed: ClosedJaxpr, threads: int):
    """``generate_native``'s result and the generator that wrote it."""
    _rules_loaded()
    g = Generator(threads)
    jaxpr = closed.jaxpr
    params = [f"a{k}" for k in range(len(jaxpr.invars))]
    inputs = [
        g.array(v.aval.shape, v.aval.dtype, name)
        for v, name in zip(jaxpr.invars, params, strict=True)
    ]
    try:
        outs = g.program(jaxpr, closed.consts, inputs)
    except NativeUnsupported as err:
        err.eqn_index = g.top_eqn  # which top-level equation: the program splits there
        raise
    returned = []
    for v in outs:
        if not v.shape:
            returned.append(g.name_expr(g.elem(v, ())))
        elif v.kind == "array" and v.name not in g.owned_arrays:
            returned.append(f"{v.name}.copy()")  # an input or a constant: never alias it
        else:
            returned.append(g.array_form(v))
    g.emit(f"return ({', '.join(returned)}{',' if len(returned) == 1 else ''})")
    lines, scratch = _passed_buffers(_flatten(g.lines, []))
    body = "\n".join(lines)
    args = ", ".join(
        params + [f"k{k}" for k in range(len(g.const_args))] + [name for name, _ in scratch]
    )
    flags = "cache=True, nogil=True, error_model='numpy'" + (
        ", parallel=True" if g.parallel else ""
    )
    signature = ", ".join(a.str_short() for a in jaxpr.in_avals)
    if g.const_args:  # part of the cache key: the same body may read constants of other types
        signature += "; constants " + ", ".join(f"{c.dtype}{list(c.shape)}" for c in g.const_args)
    header = "import numpy as np\nimport numba\n"
    if _USES_VECMATH.search(body):
        from ftrans.compiler.native import vecmath

        # the kernels' version is part of the source, so of numba's cache key
        header += f"from ftrans.compiler.native import vecmath as vm  # {vecmath.VERSION}\n"
    if _USES_BLAS.search(body):
        from ftrans.compiler.native import blas

        # importing it registers NumPy's BLAS with LLVM: before numba loads a cached program
        header += f"from ftrans.compiler.native import blas as nb  # {blas.VERSION}\n"
    source = (
        f"# ftrans native program ({signature})\n{header}\n\n"
        f"@numba.njit({flags})\ndef program({args}):\n{body}\n"
    )
    return source, g.const_args, "program", [spec for _, spec in scratch], g


_ALLOCATION = re.compile(r"^    (b\d+) = np\.empty\((\(.*\)), np\.(\w+)\)$")
_NAME = re.compile(r"\bb\d+\b")
#: returned buffers of at least this many bytes are allocated by NumPy (see _passed_buffers)
NUMPY_OUTPUT_MIN = 1 << 16


def _passed_buffers(lines: list[str]) -> tuple[list[str], list]:
    """``(lines, [(name, (shape, dtype, kind))])``: buffers the caller allocates and passes in.

    Only buffers allocated at the top of the program and otherwise only indexed
    (``b3[i] = ...``, ``... b3[i] ...``: never viewed, aliased or passed to a call) qualify:

    * ``"scratch"``: never returned. The caller keeps them between calls.
    * ``"output"``: returned as they are, at least ``NUMPY_OUTPUT_MIN`` bytes. The caller
      allocates them with ``np.empty`` on each call.

    numba allocates with plain ``malloc``: glibc hands large freed blocks back to the system,
    so a fresh one is a page fault per 4 KiB when first written, ~6 us each here (a program
    with two 8 MB temporaries spent 24 ms on them, its loops 0.4 ms). NumPy's allocator asks
    for huge pages.
    """
    allocated = {}
    for k, line in enumerate(lines):
        m = _ALLOCATION.match(line)
        if m:
            allocated[m.group(1)] = (k, ast.literal_eval(m.group(2)), np.dtype(m.group(3)))
    if not allocated:
        return lines, []
    returned, disqualified = set(), set()
    for k, line in enumerate(lines):
        is_return = line.startswith("    return (")
        for m in _NAME.finditer(line):
            name = m.group(0)
            if name not in allocated or allocated[name][0] == k:
                continue
            after = line[m.end() : m.end() + 1]
            if is_return and after in ",)" and line[m.start() - 1] in "( ":
                returned.add(name)
            elif after != "[" or is_return:
                disqualified.add(name)
    passed = []
    for name, (_, shape, dtype) in allocated.items():
        if name in disqualified:
            continue
        if name not in returned:
            passed.append((name, (shape, dtype, "scratch")))
        elif math.prod(shape) * dtype.itemsize >= NUMPY_OUTPUT_MIN:
            passed.append((name, (shape, dtype, "output")))
    drop = {allocated[name][0] for name, _ in passed}
    return [line for k, line in enumerate(lines) if k not in drop], passed


_lock = threading.Lock()


class NativeCompiled:
    """A program compiled by numba: called with and returning NumPy arrays like the NumPy
    backend's functions. The compiled signature is the only one: arguments of other types or
    layouts are converted (never compiled anew at call time)."""

    __slots__ = ("fn", "source", "in_avals", "out_avals", "n_out", "program", "consts", "_rank0",
                 "segment", "_numpy", "scratch", "_pool", "_scalar_in")  # fmt: skip

    def __init__(self, fn, source, in_avals, out_avals, consts, segment=None, scratch=()):
        self.fn, self.source, self.consts = fn, source, tuple(consts)
        # buffers passed in (``_passed_buffers``): scratch ones kept between calls, one set per
        # concurrent call; outputs allocated by NumPy on each call
        self.scratch, self._pool = tuple(scratch), []
        self.in_avals, self.out_avals = list(in_avals), list(out_avals)
        self.n_out = len(self.out_avals)
        self.program = None
        self._rank0 = [k for k, a in enumerate(self.out_avals) if not a.shape]
        # rank-0 parameters: numba types a 0-d array apart from a scalar, and its dispatcher
        # takes ~0.5 ms to refuse one (each rank-0 output of a native segment is one)
        self._scalar_in = [(k, a.dtype.type) for k, a in enumerate(self.in_avals) if not a.shape]
        self.segment, self._numpy = segment, None  # the ClosedJaxpr compiled, its NumPy code

    def __call__(self, *args):
        if not self.scratch:
            return self._run(args, ())
        pool = self._pool
        try:
            kept = pool.pop()  # atomic under the GIL: two threads never share a set
        except IndexError:
            kept = [np.empty(shape, dtype) if kind == "scratch" else None
                    for shape, dtype, kind in self.scratch]  # fmt: skip
        buffers = [np.empty(shape, dtype) if b is None else b
                   for b, (shape, dtype, _) in zip(kept, self.scratch, strict=True)]  # fmt: skip
        try:
            return self._run(args, buffers)
        finally:
            pool.append(kept)

    def _run(self, args, buffers):
        for k, _ in self._scalar_in:
            if type(args[k]) is np.ndarray:
                args = self._scalars(args)
                break
        try:
            try:
                outs = self.fn(*args, *self.consts, *buffers)
            except TypeError:  # not the compiled types: convert (a Python float, a strided view)
                outs = self.fn(*self._convert(args), *self.consts, *buffers)
        except np.linalg.LinAlgError as err:
            if str(err) != RUN_NUMPY or self.segment is None:
                raise
            return self._run_numpy(args)
        if self._rank0:
            outs = list(outs)
            for k in self._rank0:
                outs[k] = np.asarray(outs[k], self.out_avals[k].dtype)
            outs = tuple(outs)
        return outs

    def _scalars(self, args):
        """``args`` with each 0-d array for a rank-0 parameter as a NumPy scalar."""
        args = list(args)
        for k, scalar in self._scalar_in:
            if type(args[k]) is np.ndarray:
                args[k] = scalar(args[k])
        return args

    def _run_numpy(self, args):
        """This call through the NumPy code (a rule asked for it at run time, RUN_NUMPY)."""
        if self._numpy is None:
            from ftrans.compiler.codegen import compile_jaxpr

            self._numpy = compile_jaxpr(self.segment.jaxpr, list(self.segment.consts))
        return tuple(self._numpy(*args))

    def _convert(self, args):
        if len(args) != len(self.in_avals):
            raise TypeError(f"expected {len(self.in_avals)} arguments, got {len(args)}")
        return [
            a.dtype.type(x) if not a.shape else _writable_c(x, a.dtype)
            for a, x in zip(self.in_avals, args, strict=True)
        ]


def _writable_c(x, dtype):
    """``x`` as the compiled type: C-contiguous and writable (numba types a read-only array
    apart; a NumPy segment may hand one on: a broadcast, a constant)."""
    y = np.ascontiguousarray(x, dtype)
    return y if y.flags.writeable else y.copy()


def _load(source: str):
    key = hashlib.sha256(source.encode()).hexdigest()[:24]
    with _lock:
        directory = cache_dir()
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"ftrans_native_{key}.py")
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
            with open(tmp, "w") as f:
                f.write(source)
            os.replace(tmp, path)  # atomic: concurrent processes see a whole file
        module_name = f"ftrans_native_{key}"
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules[module_name] = module
    return module


def threads() -> int:
    from ftrans.compiler.fusion import get_num_threads

    return get_num_threads()


#: the most a native function may weigh (``Generator.weight``: control statements, a LAPACK
#: call as ``LAPACK_WEIGHT`` of them) before the program is split into native segments chained
#: from Python. numba's compile time grows faster than a function's size: programs of reduction
#: loops took 1.3 s at weight 24, 2.3 s at 50, 5.1 s at 100, 12 s at 200 and 41 s at 400 as one
#: function, 4.6 s at 400 split at 64; jit(vjp(scipy.linalg.sqrtm)) (1,061 equations, 64
#: LAPACK calls) did not finish in 36 minutes (4.5 GB) as one function and took 104 s split at
#: 240, 52 s at 120, 33 s at 60 and 28 s at 30 (beside another job; 25.5 s at 64 on a quiet
#: machine). A boundary costs ~2.5-4 us a call (the 400 program ran in 47 us in 8 segments, the
#: 200 one in 14 us whole); the bench_native programs weigh at most 36, so stay whole.
SEGMENT_WEIGHT = 64


class _TooHeavy(Exception):
    """A program of several top-level equations weighs more than ``SEGMENT_WEIGHT``:
    ``cut`` is where to split it in two of about equal weight."""

    def __init__(self, cut: int, weight: int):
        super().__init__(f"weight {weight}, split at equation {cut}")
        self.cut, self.eqn_offset = cut, 0


def _compile_segment(closed: ClosedJaxpr) -> NativeCompiled:
    source, const_args, entry, scratch, g = _generate(closed, threads())
    starts = g.top_weights
    if g.weight > SEGMENT_WEIGHT and len(starts) > 1:
        half = g.weight / 2
        cut = next((k for k, w in enumerate(starts) if w >= half), len(starts) - 1)
        raise _TooHeavy(min(max(cut, 1), len(starts) - 1), g.weight)
    jaxpr = closed.jaxpr
    fn = getattr(_load(source), entry)
    compiled = NativeCompiled(
        fn, source, jaxpr.in_avals, jaxpr.out_avals, const_args, closed, scratch
    )
    # compile now for the known argument types (never by running it: a loop could be endless)
    import numba

    types = tuple(
        numba.typeof(a.dtype.type(0) if not a.shape else np.zeros(a.shape, a.dtype))
        for a in jaxpr.in_avals
    ) + tuple(numba.typeof(c) for c in const_args)
    types += tuple(
        numba.types.Array(numba.from_dtype(dtype), len(shape), "C") for shape, dtype, _ in scratch
    )
    with _lock:  # one compile per module, even when two threads load the same program
        if types not in fn.overloads:
            try:
                fn.compile(types)
            except Exception as err:  # numba's typing errors are long: keep the gist
                message = f"numba could not compile the program: {str(err)[:400]}"
                raise NativeUnsupported(message) from None
            fn.disable_compile()  # other argument types are converted, never compiled
    return compiled


def _segment(eqns, later_uses: set):
    """A program of ``eqns`` reading what they do not define and returning what is used later."""
    inputs, outputs = group_interface(eqns, later_uses)
    return Jaxpr([], inputs, eqns, outputs)


class Segmented:
    """Native segments and NumPy-lowered equations chained from Python: the program split at
    equations the native backend does not compile."""

    __slots__ = ("steps", "in_ids", "consts", "outs", "source", "out_avals", "n_out", "program",
                 "description")  # fmt: skip

    def __init__(self, steps, in_ids, consts, outs, out_avals, description):
        self.steps, self.in_ids, self.consts, self.outs = steps, in_ids, consts, outs
        self.out_avals, self.n_out, self.program = list(out_avals), len(out_avals), None
        self.description = description
        self.source = "\n\n".join(
            (
                f"# native segment {k}\n{fn.source}"
                if native
                else f"# NumPy segment {k}\n{fn.source}"
            )
            for k, (native, fn, _, _) in enumerate(steps)
        )

    def __call__(self, *args):
        env = dict(self.consts)
        env.update(zip(self.in_ids, args, strict=True))
        for _, fn, ins, outs in self.steps:
            env.update(zip(outs, fn(*[env[i] for i in ins]), strict=True))
        return tuple(env[o] if type(o) is int else o for o in self.outs)


def compile_native(closed: ClosedJaxpr):
    """Compile ``closed`` with numba; NativeUnsupported if no part of it compiles natively.

    Top-level equations the native backend cannot compile run their NumPy lowering: the
    program splits into native segments and NumPy segments (a ``Segmented``).
    """
    if not available():
        raise NativeUnsupported("numba is not installed (pip install 'ftrans[native]')")
    from ftrans.compiler.passes import optimize

    jaxpr, consts = optimize(closed.jaxpr, list(closed.consts))
    numpy_eqns: dict[int, str] = {}  # top-level equation index -> why it is not native
    cuts: set[int] = set()  # top-level equations that begin a native segment (SEGMENT_WEIGHT)
    while True:
        runs = _runs(jaxpr, numpy_eqns, cuts)
        if len(runs) == 1 and runs[0][0]:
            try:
                return _compile_segment(ClosedJaxpr(jaxpr, consts))
            except NativeUnsupported as err:
                if getattr(err, "eqn_index", None) is None:
                    raise
                numpy_eqns[err.eqn_index] = str(err)
                continue
            except _TooHeavy as err:
                cuts.add(err.cut)
                continue
        if not any(native for native, _ in runs):
            raise NativeUnsupported("; ".join(dict.fromkeys(numpy_eqns.values())))
        try:
            return _segmented(jaxpr, consts, runs, numpy_eqns, bool(cuts))
        except NativeUnsupported as err:
            if getattr(err, "eqn_index", None) is None:
                raise
            numpy_eqns[err.eqn_offset + err.eqn_index] = str(err)
        except _TooHeavy as err:
            cuts.add(err.eqn_offset + err.cut)


def _runs(jaxpr, numpy_eqns, cuts=()):
    """Maximal runs ``(native?, [equation indices])`` of the top-level equations, native runs
    also split before each equation in ``cuts``."""
    runs = []
    for k in range(len(jaxpr.eqns)):
        native = k not in numpy_eqns
        if runs and runs[-1][0] == native and not (native and k in cuts):
            runs[-1][1].append(k)
        else:
            runs.append((native, [k]))
    return runs or [(True, [])]


def _segmented(jaxpr, consts, runs, numpy_eqns, split=False) -> Segmented:
    from ftrans.compiler.codegen import compile_jaxpr

    later: list[set] = [set() for _ in runs]  # ids used after each run
    used = {a.id for a in jaxpr.outvars if type(a) is not Literal}
    for r in range(len(runs) - 1, -1, -1):
        later[r] = set(used)
        for k in runs[r][1]:
            used.update(a.id for a in jaxpr.eqns[k].inputs if type(a) is not Literal)
    steps, parts = [], []
    for (native, idx), after in zip(runs, later, strict=True):
        program = _segment([jaxpr.eqns[k] for k in idx], after)
        if native:
            try:
                fn = _compile_segment(ClosedJaxpr(program, []))
            except _TooHeavy as err:
                err.eqn_offset = idx[0]
                raise
            except NativeUnsupported as err:
                if getattr(err, "eqn_index", None) is not None:
                    err.eqn_offset = idx[0]
                raise
            parts.append(f"native: {len(idx)} equation{'s' if len(idx) != 1 else ''}")
        else:
            fn = compile_jaxpr(program, [])
            parts.append("NumPy: " + ", ".join(numpy_eqns[k] for k in idx))
        steps.append((native, fn, [v.id for v in program.invars], [v.id for v in program.outvars]))
    const_env = {v.id: c for v, c in zip(jaxpr.constvars, consts, strict=True)}
    outs = [
        a.id if type(a) is not Literal else np.asarray(a.val, a.aval.dtype) for a in jaxpr.outvars
    ]
    if split:  # many segments: count them rather than list them
        native_runs = [idx for native, idx in runs if native]
        numpy_parts = [part for part in parts if part.startswith("NumPy: ")]
        parts = [
            f"{sum(map(len, native_runs))} equations in {len(native_runs)} native segments, "
            f"split where one function would weigh more than {SEGMENT_WEIGHT} control "
            f"statements (a LAPACK call counts {LAPACK_WEIGHT}): numba's compile time grows "
            "faster than a function's size",
            *dict.fromkeys(numpy_parts),
        ]
    description = "; ".join(parts)
    return Segmented(
        steps, [v.id for v in jaxpr.invars], const_env, outs, jaxpr.out_avals, description
    )
