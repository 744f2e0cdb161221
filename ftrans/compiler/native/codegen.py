"""The native generator: a jaxpr walked once into the source of one numba function.

See ``ftrans.compiler.native`` for the three forms a value takes (scalars, array, lazy) and
how fused chains, reductions, products and loops are emitted. The rules for each primitive
live beside the primitive (``ftrans.compiler.native_rules``) and are written against the
``Generator`` here.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import itertools
import math
import os
import re
import sys

import numpy as np

from ftrans.compiler.native_rules import NATIVE_RULES, NUMPY_ONLY, NativeUnsupported
from ftrans.core import ClosedJaxpr, Jaxpr, Literal

#: arrays of at most this many elements live as one scalar variable per element
SMALL = 8
#: reductions and contractions of at most this many terms are unrolled
UNROLL = 8
#: a lazy expression with more operations than this is computed (keeps expressions short)
MAX_COST = 24
#: float ``dot_general`` with M*N*K at least this calls BLAS (``gemm``); smaller ones are loops
BLAS_MIN = 32 * 32 * 32
#: a transcendental with a vectorised kernel (``vecmath``) uses it on arrays of at least this
#: many elements, NumPy's (libm's) function below: the kernels are inlined at every use, which
#: costs numba ~1-1.5 s of compile time per program (measured: sin+sum on 16 elements 0.20 s
#: with libm, 1.73 s with the kernel), and vectorising a few elements gains nothing
VECTOR_MATH_MIN = 256
#: ... or, float64 only, on rows of at least this many elements inside loops that run them
#: VECTOR_MATH_MIN times in all. Measured per element, a 16-element row 1000 times:
#: tanh 10.0 -> 2.65 ns, sin 8.9 -> 5.1, exp 5.5 -> 2.1; at 8 or 12 elements LLVM does not
#: vectorise the kernel and sin takes 21-26 ns against libm's 8.5; float32 sin lost at 16
#: and 32 (libm's sinf 2.1-2.4 ns, the kernel 4.9-6.6)
VECTOR_MATH_ROW = 16
#: loop nests of at least this many elements run with prange when threads > 1
PARALLEL_MIN = 1 << 18

_DTYPES = {"float64", "float32", "int64", "int32", "int16", "int8", "uint64", "uint32",
           "uint16", "uint8", "bool"}  # fmt: skip
_WRAPPED = {"int32", "int16", "int8", "uint32", "uint16", "uint8"}  # numba widens these
_ATOM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def available() -> bool:
    """Is numba importable (the ``native`` extra)?"""
    return importlib.util.find_spec("numba") is not None


#: glibc ``mallopt`` settings while native code runs (see ``keep_freed_memory``): arrays
#: below this many bytes come from the heap, ...
MMAP_THRESHOLD = 32 << 20
#: ... and freed memory at the top of the heap goes back to the OS past this many bytes
TRIM_THRESHOLD = 256 << 20
_malloc = {"tuned": None}


def keep_freed_memory() -> bool:
    """Let glibc's malloc keep the memory a compiled program frees, for the next call (once
    per process; ``FTRANS_KEEP_FREED_MEMORY=0`` turns it off; True when it took effect).

    A compiled program allocates and frees the same large buffers on every call. glibc's
    default hands freed memory at the top of the heap back to the OS past twice the largest
    freed block, so each call faults it in again, page by page: 1,600 minor faults per call
    of bench_jit's MLP Adam step (8 MB of new parameters and moments), 1-2 us each under a
    hypervisor, half the step's time (JAX's allocator keeps its memory: ~20 faults a call).
    Fixed thresholds keep up to ``TRIM_THRESHOLD`` bytes (arrays from ``MMAP_THRESHOLD`` on
    are mapped and unmapped as before). Other C libraries are left alone."""
    if _malloc["tuned"] is None:
        _malloc["tuned"] = False
        if os.environ.get("FTRANS_KEEP_FREED_MEMORY", "1") != "0" and sys.platform == "linux":
            try:
                libc = ctypes.CDLL(None)
                gnu = libc.gnu_get_libc_version  # glibc only (musl has no mallopt options)
            except (OSError, AttributeError):
                return False
            del gnu
            m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
            _malloc["tuned"] = bool(
                libc.mallopt(m_mmap_threshold, MMAP_THRESHOLD)
                and libc.mallopt(m_trim_threshold, TRIM_THRESHOLD)
            )
    return _malloc["tuned"]


def _rules_loaded():
    # A primitive's native rule registers when its module loads, and a program can hold the
    # primitive only after that, so this only makes sure of the primitives package (a layer
    # below). Modules above the compiler (control_flow's cond, while and scan; random; remat)
    # register their rules the same way and are not imported from here (DESIGN.md "Imports run
    # one way").
    import ftrans.primitives  # noqa: F401


# ----------------------------------------------------------------------------- index arithmetic


def ix_add(i, c):
    if isinstance(c, int) and c == 0:
        return i
    if isinstance(i, int) and isinstance(c, int):
        return i + c
    return f"({i} + {c})"


def ix_mul(i, c):
    if c == 1:
        return i
    if isinstance(i, int):
        return i * c
    return f"({i} * {c})"


def ix_flat(idx, shape):
    """The C-order flat index of ``idx`` in ``shape`` (an int when every part is)."""
    total = 0
    stride = 1
    for i, n in zip(reversed(idx), reversed(shape), strict=True):
        total = ix_add(total, ix_mul(i, stride)) if total != 0 else ix_mul(i, stride)
        stride *= n
    return total


def ix_unflat(f, shape):
    if isinstance(f, int):
        return tuple(int(k) for k in np.unravel_index(f, shape)) if shape else ()
    out = []
    stride = math.prod(shape)
    for d, n in enumerate(shape):
        stride //= n
        part = f if stride == 1 else f"(({f}) // {stride})"
        out.append(part if d == 0 else (f"({part} % {n})" if n != 1 else 0))
    return tuple(out)


def _static(idx) -> bool:
    return all(isinstance(i, int) for i in idx)


# ----------------------------------------------------------------------------- values


class Val:
    """A value in generated code: ``scalars`` (per-element names), ``array`` or ``lazy``."""

    __slots__ = ("shape", "dtype", "kind", "names", "name", "fn", "cost", "arrays")

    def __init__(self, shape, dtype, kind, *, names=None, name=None, fn=None, cost=0):
        self.shape, self.dtype, self.kind = tuple(shape), np.dtype(dtype), kind
        self.names, self.name, self.fn, self.cost = names, name, fn, cost
        self.arrays = []  # (scope, position, name) of this value's array form

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Stored(Val):
    """A large value read more than once, stored in a buffer whose loop is written late:
    fused into the first loop nest that reads it at that nest's own index (one pass then
    writes several outputs, as Adam's moments and parameters), else written in a slot left
    where it was defined, the first time something reads it another way (``Generator.read``).

    Only top-level values are stored so (not in loops or branches): their inputs never change
    once written, so the value may also be recomputed from its expression where its buffer
    is not written yet."""

    __slots__ = ("g", "buf", "seq", "slot", "written", "nest", "scalar")

    def __init__(self, g, v: Val, buf: str, seq: int, slot):
        super().__init__(v.shape, v.dtype, "array", fn=v.fn)
        self.g, self.buf, self.seq, self.slot = g, buf, seq, slot
        self.written = None  # position of the loop that writes the buffer, once written
        self.nest = self.scalar = None  # the nest it was fused into, the scalar holding it

    @property
    def name(self) -> str:  # the buffer, for code that reads the array as a whole
        return self.g.stored_name(self)

    @name.setter
    def name(self, value) -> None:  # Val.__init__ sets it; the buffer is the name
        pass


def _literal(value, dtype) -> str:
    dtype = np.dtype(dtype)
    value = np.asarray(value, dtype).item()
    if dtype == np.bool_:
        return repr(bool(value))
    if dtype.kind == "f" and not np.isfinite(value):
        special = "np.nan" if np.isnan(value) else "np.inf" if value > 0 else "-np.inf"
        return f"np.{dtype.name}({special})"
    return f"np.{dtype.name}({value!r})"


def wrap(dtype, expr: str) -> str:
    """``expr`` typed as ``dtype`` (numba computes small integers as int64)."""
    return f"np.{dtype.name}({expr})" if dtype.name in _WRAPPED else expr


# ----------------------------------------------------------------------------- generator

#: generated lines numba's compile time grows with: control statements (each opens blocks of
#: its control-flow graph) and LAPACK calls (numba inlines each np.linalg implementation)
_WEIGHTY = re.compile(r"(for|while|if|elif|try|except)\b|.*\bnp\.linalg\.(?!LinAlgError)\w+\(")
#: a LAPACK call weighs as much as this many control statements (measured: a solve and a
#: slogdet added ~9 s to the compile of a 100-loop program that took 5 s)
LAPACK_WEIGHT = 25


class Generator:
    """Writes one numba function for a program; the native rules call its methods."""

    def __init__(self, threads: int = 1):
        self.lines: list = []  # str or a nested list (a placeholder filled later)
        self.depth = 1
        self.count = itertools.count()
        self.const_args: list[np.ndarray] = []
        self.scope: tuple = ()
        self.scopes = itertools.count()
        self.pre: list = []  # placeholders before the loop nest being written
        self.hoist: list = []  # placeholders before the outermost loop (allocations)
        self.loop_bufs: list[set] = []  # buffers allocated inside each enclosing loop body
        self.trips = 1  # how often the code being written runs per call (enclosing loops)
        self.threads = threads
        self.parallel = False
        self.in_nest = 0
        self.owned_arrays: set[str] = set()  # arrays made here (not inputs or constants)
        self.nesting = 0  # depth of inlined programs; 0 is the program itself
        self.top_eqn = None  # index of the top-level equation being written
        self.weight = 0  # control statements and LAPACK calls written so far (``emit``)
        self.top_weights: list[int] = []  # ``weight`` when each top-level equation began
        keep_freed_memory()  # native code is about to run: its buffers come back each call
        self.nests: list = []  # the loop nests being written: (token, shape, idx, position)
        self.open_nests: set = set()
        self.stored_count = itertools.count()
        self.position = 0.5  # where code goes: a stored value's slot k, or after slot k (k+0.5)

    # -- writing
    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)
        if _WEIGHTY.match(line):  # what numba's compile time grows with (``weight``)
            self.weight += LAPACK_WEIGHT if "np.linalg." in line else 1

    def placeholder(self):
        slot: list = []
        self.lines.append(slot)
        return slot, self.depth

    def fresh(self, prefix="s") -> str:
        return f"{prefix}{next(self.count)}"

    @contextlib.contextmanager
    def block(self):
        """An indented block with its own scope (a branch, a loop body)."""
        self.depth += 1
        saved = self.scope
        self.scope = (*saved, next(self.scopes))
        try:
            yield
        finally:
            self.depth -= 1
            self.scope = saved

    @contextlib.contextmanager
    def loop(self, header: str, trips: int | None):
        """A statement-level loop running its body ``trips`` times (None: not known before
        it runs): its buffers are allocated once before the outermost one."""
        if not self.hoist:
            self.hoist.append(self.placeholder())
        self.emit(header)
        self.loop_bufs.append(set())
        saved = self.trips
        self.trips *= VECTOR_MATH_MIN if trips is None else trips  # unknown: count it as many
        try:
            with self.block():
                yield
        finally:
            self.trips = saved
        self.loop_bufs.pop()
        if not self.loop_bufs:
            self.hoist.pop()

    def alloc(self, shape, dtype) -> str:
        name = self.fresh("b")
        line = f"{name} = np.empty({tuple(shape)!r}, np.{np.dtype(dtype).name})"
        if self.hoist and self.loop_bufs:
            slot, depth = self.hoist[0]
            slot.append("    " * depth + line)
            self.loop_bufs[-1].add(name)
        elif self.in_nest:  # asked for inside a loop nest: allocate before the nest
            slot, depth = self.pre[-1]
            slot.append("    " * depth + line)
        else:
            self.emit(line)
        self.owned_arrays.add(name)
        return name

    def name_expr(self, expr: str, prefix="s") -> str:
        if _ATOM.match(expr):
            return expr
        name = self.fresh(prefix)
        self.emit(f"{name} = {expr}")
        return name

    # -- values
    def scalars(self, shape, dtype, names) -> Val:
        return Val(shape, dtype, "scalars", names=list(names))

    def array(self, shape, dtype, name) -> Val:
        if not shape:
            return self.scalars((), dtype, [name])
        return Val(shape, dtype, "array", name=name)

    def lazy(self, shape, dtype, fn, cost) -> Val:
        v = Val(shape, dtype, "lazy", fn=fn, cost=cost)
        return self.concrete(v) if cost > MAX_COST else v

    def literal(self, value, dtype) -> Val:
        return self.scalars((), dtype, [_literal(value, dtype)])

    def elem(self, v: Val, idx) -> str:
        """The scalar expression of ``v`` at ``idx`` (ints or index expressions)."""
        if v.kind == "lazy":
            return v.fn(tuple(idx))
        if type(v) is Stored:
            return self.read(v, tuple(idx))
        if not v.shape:
            return v.names[0] if v.kind == "scalars" else v.name
        if v.kind == "scalars":
            if _static(idx):
                return v.names[ix_flat(idx, v.shape)]
            return f"{self.array_form(v)}[{', '.join(map(str, idx))}]"
        return f"{v.name}[{', '.join(map(str, idx))}]"

    def array_form(self, v: Val) -> str:
        """A numba array holding ``v`` (scalars are written into a buffer once per scope)."""
        if v.kind == "array":
            return v.name
        if v.kind == "lazy":
            c = self.concrete(v)
            return self.array_form(c)
        for scope, position, name in v.arrays:
            # written in an enclosing scope, and above here (a stored value's loop goes into a
            # slot above the code being written: see ``Stored``)
            if self.scope[: len(scope)] == scope and position <= self.position:
                return name
        name = self.alloc(v.shape, v.dtype)
        lines = [
            f"{name}[{', '.join(map(str, i))}] = {e}"
            for i, e in zip(np.ndindex(*v.shape), v.names, strict=True)
        ]
        if self.pre:
            slot, depth = self.pre[-1]
            slot.extend("    " * depth + line for line in lines)
        else:
            for line in lines:
                self.emit(line)
        v.arrays.append((self.scope, self.position, name))
        return name

    def concrete(self, v: Val) -> Val:
        """``v`` as scalars (small) or an array: lazy values are computed here."""
        if v.kind != "lazy":
            return v
        return self.produce(v.shape, v.dtype, v.fn)

    def produce(self, shape, dtype, body) -> Val:
        """Compute ``body(idx) -> expression`` at every index (``body`` may emit statements):
        unrolled into scalars for small shapes, else one loop nest writing a buffer."""
        shape = tuple(shape)
        if math.prod(shape) <= SMALL:
            names = [self.name_expr(body(idx)) for idx in np.ndindex(*shape)]
            return self.scalars(shape, dtype, names)
        buf = self.alloc(shape, dtype)
        self.write_nest(shape, lambda idx: f"{buf}[{', '.join(idx)}]", body)
        return Val(shape, dtype, "array", name=buf)

    def write_nest(self, shape, target, body, *, parallel=True) -> None:
        """``target(idx) = body(idx)`` over ``shape`` as one loop nest (its outer loop a
        ``prange`` for large nests when threads > 1 and ``parallel``)."""
        size = math.prod(shape)
        parallel = (
            parallel
            and self.threads > 1
            and size >= PARALLEL_MIN
            and not self.loop_bufs
            and not self.in_nest
        )
        self.pre.append(self.placeholder())
        idx = [self.fresh("i") for _ in shape]
        opened = 0
        for k, (i, n) in enumerate(zip(idx, shape, strict=True)):
            rng = "numba.prange" if parallel and k == 0 else "range"
            self.emit(f"for {i} in {rng}({n}):")
            self.depth += 1
            opened += 1
        if parallel:
            self.parallel = True
        token = self._open_nest(shape, idx)
        self.in_nest += 1
        try:
            expr = body(tuple(idx))
            self.emit(f"{target(tuple(idx))} = {expr}")
        finally:
            self.in_nest -= 1
            self.depth -= opened
            self.pre.pop()
            self._close_nest(token)

    def write_into(self, buf: str, lead, v: Val) -> None:
        """``buf[lead..., :] = v`` (``lead``: leading index expressions)."""
        lead = list(map(str, lead))
        if v.size <= SMALL:
            for idx in np.ndindex(*v.shape):
                self.emit(f"{buf}[{', '.join([*lead, *map(str, idx)])}] = {self.elem(v, idx)}")
            return
        self.write_nest(
            v.shape, lambda idx: f"{buf}[{', '.join([*lead, *idx])}]", lambda i: self.elem(v, i)
        )

    def computed(self, v: Val) -> Val:
        """``v`` with any arithmetic done: read many times (in a loop, a broadcast) it costs
        one load, not its whole expression (views of stored values stay views)."""
        if v.kind == "lazy" and v.cost > 0:
            return self.concrete(v)
        return v

    BLAS_MIN = BLAS_MIN
    ix_add = staticmethod(ix_add)
    ix_mul = staticmethod(ix_mul)

    def gemm(self, a: str, b: str) -> str:
        """The expression of the matrix product of 2-D float arrays ``a`` and ``b`` (C order
        or transposed C order: ``laid_out``'s): NumPy's own BLAS where it is found, the one
        the NumPy backend's products call (``ftrans.compiler.native.blas``), else numba's
        ``np.dot``."""
        from ftrans.compiler.native import blas

        if blas.AVAILABLE:
            return f"nb.gemm({a}, {b})"
        return f"np.dot({a}, {b})"

    def owned(self, expr: str) -> str:
        """Name a freshly allocated array expression (safe to return, to overwrite)."""
        name = self.fresh("b")
        self.emit(f"{name} = {expr}")
        self.owned_arrays.add(name)
        return name

    def reshaped(self, v: Val, shape) -> Val:
        shape = tuple(shape)
        if v.kind == "array" and shape:
            name = self.fresh("v")
            self.emit(f"{name} = {v.name}.reshape({shape!r})")
            if v.name in self.owned_arrays:
                self.owned_arrays.add(name)
            return Val(shape, v.dtype, "array", name=name)
        return self.view(v, shape, lambda idx: ix_unflat(ix_flat(idx, shape), v.shape))

    def laid_out(self, v: Val, order, shape2) -> str:
        """A contiguous array of ``v`` with its axes in ``order``, reshaped to ``shape2``: C
        order, or the transpose of a stored matrix as an F-ordered view (``gemm`` passes
        BLAS a transpose flag; copying it first cost as much as a third of the product)."""
        if (
            v.kind == "array"
            and len(v.shape) == 2
            and list(order) == [1, 0]
            and tuple(shape2) == v.shape[::-1]
        ):
            name = self.fresh("v")
            self.emit(f"{name} = {v.name}.T")
            return name
        if v.kind == "array" and list(order) == sorted(order):
            base = v.name
        else:
            inverse = np.argsort(order)
            permuted = tuple(v.shape[d] for d in order)
            t = self.view(v, permuted, lambda idx: tuple(idx[k] for k in inverse))
            base = self.array_form(self.concrete(t))
        name = self.fresh("v")
        self.emit(f"{name} = {base}.reshape({tuple(shape2)!r})")
        return name

    # -- stored values (see ``Stored``)
    def _top_level(self) -> bool:
        return not self.in_nest and not self.loop_bufs and self.scope == ()

    def store(self, v: Val) -> Val:
        """``v`` (lazy, read more than once) computed once: a ``Stored`` value when large and
        at the top level, else computed here."""
        if v.size <= SMALL or not self._top_level():
            return self.concrete(v)
        buf = self.alloc(v.shape, v.dtype)
        seq = next(self.stored_count)
        slot = self.placeholder()
        self.position = seq + 0.5
        return Stored(self, v, buf, seq, slot)

    def _open_nest(self, shape, idx):
        token = object()
        fusing = self._top_level()  # an outermost nest at the top level runs every index once
        self.nests.append((token, tuple(shape), tuple(idx), self.position if fusing else None))
        self.open_nests.add(token)
        return token

    def _close_nest(self, token):
        self.nests.pop()
        self.open_nests.discard(token)

    def read(self, v: Stored, idx) -> str:
        """``v`` at ``idx``: fused into the nest being written when it reads ``v`` at its own
        index; else from its buffer when written before this point; else recomputed."""
        here = self.nests[-1] if self.nests else None
        if v.written is None and here is not None and here[3] is not None:
            token, shape, nest_idx, position = here
            if shape == v.shape and idx == nest_idx and position == self.position:
                t = self.fresh("t")
                self.emit(f"{t} = {v.fn(idx)}")
                self.emit(f"{v.buf}[{', '.join(idx)}] = {t}")
                v.written, v.nest, v.scalar = position, token, t
                return t
        if v.written is None:
            self._write_stored(v)
        if v.nest in self.open_nests:  # its buffer is being written in an enclosing nest
            if here is not None and here[0] is v.nest and idx == here[2]:
                return v.scalar
            return v.fn(idx)
        if v.written <= self.position:
            return f"{v.buf}[{', '.join(map(str, idx))}]"
        return v.fn(idx)  # written further down: its inputs are all here already

    def stored_name(self, v: Stored) -> str:
        if v.written is None:
            self._write_stored(v)
        if v.nest in self.open_nests or v.written > self.position:
            raise NativeUnsupported("a stored value read as a whole before it is written")
        return v.buf

    def _write_stored(self, v: Stored) -> None:
        """Write ``v``'s loop into the slot left where it was defined."""
        saved = (self.lines, self.depth, self.in_nest, self.pre, self.hoist, self.loop_bufs,
                 self.scope, self.nests, self.position)  # fmt: skip
        slot, depth = v.slot
        self.lines, self.depth, self.in_nest, self.pre, self.hoist = slot, depth, 0, [], []
        self.loop_bufs, self.scope, self.nests, self.position = [], (), [], v.seq
        v.written = v.seq  # reads of it from here on (its own loop aside) see the buffer
        try:
            self.write_nest(v.shape, lambda idx: f"{v.buf}[{', '.join(idx)}]", v.fn)
        finally:
            (self.lines, self.depth, self.in_nest, self.pre, self.hoist, self.loop_bufs,
             self.scope, self.nests, self.position) = saved  # fmt: skip

    def reduction(self, eqn, x: Val, axes, combine: str, identity) -> Val:
        """``x`` reduced over ``axes`` with ``combine`` (``"({0} + {1})"``): unrolled when
        short, else a loop accumulating in a scalar (the operand's expression fused in)."""
        axes = sorted(set(axes))
        dtype = eqn.outputs[0].aval.dtype
        keep = [d for d in range(len(x.shape)) if d not in axes]
        out_shape = tuple(x.shape[d] for d in keep)
        red = [x.shape[d] for d in axes]
        size = math.prod(red)

        def full(out_idx, r_idx):
            idx = [None] * len(x.shape)
            for d, i in zip(keep, out_idx, strict=True):
                idx[d] = i
            for d, i in zip(axes, r_idx, strict=True):
                idx[d] = i
            return tuple(idx)

        if size > UNROLL and math.prod(out_shape) > SMALL and keep and keep[-1] == len(x.shape) - 1:
            return self._reduce_rows(x, keep, out_shape, dtype, combine, identity)

        def body(out_idx):
            if size == 0:
                return _literal(identity(dtype), dtype)
            if size <= UNROLL:
                terms = [self.elem(x, full(out_idx, r)) for r in np.ndindex(*red)]
                expr = terms[0]
                for t in terms[1:]:
                    expr = wrap(dtype, combine.format(expr, t))
                return expr
            acc = self.fresh("acc")
            if len(red) == 1:
                self.emit(f"{acc} = {self.elem(x, full(out_idx, (0,)))}")
                r = self.fresh("r")
                term = self.elem(x, full(out_idx, (r,)))
                self.emit(f"for {r} in range(1, {red[0]}):")
                self.emit(f"    {acc} = {wrap(dtype, combine.format(acc, term))}")
                return acc
            self.emit(f"{acc} = {_literal(identity(dtype), dtype)}")
            rs = [self.fresh("r") for _ in red]
            term = self.elem(x, full(out_idx, tuple(rs)))
            for k, (r, n) in enumerate(zip(rs, red, strict=True)):
                self.emit("    " * k + f"for {r} in range({n}):")
            self.emit("    " * len(rs) + f"{acc} = {wrap(dtype, combine.format(acc, term))}")
            return acc

        return self.produce(out_shape, dtype, body)

    def _reduce_rows(self, x: Val, keep, out_shape, dtype, combine: str, identity) -> Val:
        """A reduction keeping the last axis (a sum over a batch of rows): one pass over ``x``
        in its own order, each element combined into its output element, so the innermost
        loop runs along contiguous memory (a vector loop) and ``x``'s expression is fused in
        (a ``Stored`` ``x`` is written in the same pass). Each output element meets its terms
        in the order a scalar loop over the reduced axes would."""
        buf = self.alloc(out_shape, dtype)
        start = identity(dtype)
        if dtype.kind == "f" and start == 0 and combine == "({0} + {1})":
            start = -0.0  # -0.0 + t is t, also for t = -0.0
        self.write_nest(
            out_shape, lambda idx: f"{buf}[{', '.join(idx)}]", lambda idx: _literal(start, dtype)
        )

        def target(idx):
            return f"{buf}[{', '.join(idx[d] for d in keep)}]"

        def body(idx):
            return wrap(dtype, combine.format(target(idx), self.elem(x, idx)))

        self.write_nest(x.shape, target, body, parallel=False)  # rows meet in one output
        return Val(out_shape, dtype, "array", name=buf)

    def contraction(self, shape, dtype, contracted, operands) -> Val:
        """``out[idx] = sum over c of a * b`` with ``operands(idx, c) -> (a, b)``: a lazy
        value when the sum is unrolled (an outer product, a short contraction: it fuses into
        its consumers like an elementwise operation), else loops writing scalars or a buffer."""
        size = math.prod(contracted)

        def unrolled(idx):
            if size == 0:
                return _literal(0, dtype)
            expr = None
            for c in np.ndindex(*contracted):
                a, b = operands(idx, c)
                term = wrap(dtype, f"({a} * {b})")
                expr = term if expr is None else wrap(dtype, f"({expr} + {term})")
            return expr

        if size <= UNROLL:
            return self.lazy(shape, dtype, unrolled, 2 * max(size, 1))

        def body(idx):
            acc = self.fresh("acc")
            self.emit(f"{acc} = {_literal(0, dtype)}")
            cs = [self.fresh("r") for _ in contracted]
            a, b = operands(idx, tuple(cs))
            for k, (c, n) in enumerate(zip(cs, contracted, strict=True)):
                self.emit("    " * k + f"for {c} in range({n}):")
            self.emit("    " * len(cs) + f"{acc} = {wrap(dtype, f'({acc} + {a} * {b})')}")
            return acc

        return self.produce(shape, dtype, body)

    def copy(self, v: Val) -> Val:
        """A private buffer holding ``v`` (to be written in place)."""
        buf = self.alloc(v.shape, v.dtype)
        self.write_into(buf, (), v)
        return Val(v.shape, v.dtype, "array", name=buf)

    def wrapped_index(self, expr: str, n: int) -> str:
        """A (possibly negative) index into a dimension of size ``n``: negative counts from
        the end; out of range wraps (memory stays safe; NumPy would raise)."""
        return f"(({expr}) % {n})" if n > 0 else "0"

    def write_at(self, x: Val, updates: Val, index_of, combine=None) -> Val:
        """A copy of ``x`` with ``out[index_of(idx)] = updates[idx]`` (or ``combine(old,
        new)``), in C order over ``updates`` so a repeated index keeps the last write."""
        out = self.copy(x)

        def target(idx):
            return f"{out.name}[{', '.join(map(str, index_of(idx)))}]"

        def body(idx):
            new = self.elem(updates, idx)
            return new if combine is None else wrap(x.dtype, combine.format(target(idx), new))

        self.write_nest(updates.shape, target, body, parallel=False)
        return out

    def cumulative(self, x: Val, axis: int, reverse: bool, combine: str) -> Val:
        """Running ``combine`` along ``axis`` (in reverse when asked)."""
        shape, dtype = x.shape, x.dtype
        n = shape[axis]
        outer = shape[:axis] + shape[axis + 1 :]

        def at(o, k):
            return (*o[:axis], k, *o[axis:])

        if x.size <= SMALL:
            names = [None] * x.size
            for o in np.ndindex(*outer):
                acc = None
                for k in range(n - 1, -1, -1) if reverse else range(n):
                    e = self.elem(x, at(o, k))
                    acc = self.name_expr(e if acc is None else wrap(dtype, combine.format(acc, e)))
                    names[ix_flat(at(o, k), shape)] = acc
            return self.scalars(shape, dtype, names)
        x = self.computed(x)
        buf = self.alloc(shape, dtype)
        os_ = [self.fresh("i") for _ in outer]
        k, acc = self.fresh("r"), self.fresh("acc")
        first = 0 if not reverse else n - 1
        steps = f"range({n - 2}, -1, -1)" if reverse else f"range(1, {n})"
        start = self.elem(x, at(os_, first))
        term = self.elem(x, at(os_, k))
        pad = ""
        for o, m in zip(os_, outer, strict=True):
            self.emit(pad + f"for {o} in range({m}):")
            pad += "    "
        self.emit(pad + f"{acc} = {start}")
        self.emit(pad + f"{buf}[{', '.join(map(str, at(os_, first)))}] = {acc}")
        self.emit(pad + f"for {k} in {steps}:")
        self.emit(pad + f"    {acc} = {wrap(dtype, combine.format(acc, term))}")
        self.emit(pad + f"    {buf}[{', '.join(map(str, at(os_, k)))}] = {acc}")
        self.owned_arrays.add(buf)
        return Val(shape, dtype, "array", name=buf)

    # -- building blocks for rules
    def view(self, v: Val, shape, index_map, dtype=None) -> Val:
        """A lazy value reading ``v`` at ``index_map(idx)``: reshapes, slices, transposes."""
        return Val(
            shape,
            v.dtype if dtype is None else dtype,
            "lazy",
            fn=lambda idx: self.elem(v, index_map(idx)),
            cost=v.cost if v.kind == "lazy" else 0,
        )

    def broadcast_map(self, in_shape, out_shape):
        """out index -> in index under NumPy's broadcasting (right-aligned, size-1 dims)."""
        lead = len(out_shape) - len(in_shape)
        dims = [(lead + d, n == 1 and out_shape[lead + d] != 1) for d, n in enumerate(in_shape)]
        return lambda idx: tuple(0 if one else idx[o] for o, one in dims)

    def elementwise(self, eqn, template, values) -> Val:
        out = eqn.outputs[0].aval
        shape, dtype = tuple(out.shape), out.dtype
        maps = [self.broadcast_map(v.shape, shape) for v in values]
        in_dtype = values[0].dtype if values else dtype
        exact = getattr(template, "exact", None)
        if exact is not None:
            if not self._vector_math_pays(shape, in_dtype):
                template = exact  # a small array: libm's function, no inlined kernel to compile
            elif math.prod(shape) < VECTOR_MATH_MIN:
                # a row inside a loop: its argument computed first, so the kernel's loop reads
                # contiguous memory and vectorises (fused with a strided read, as in
                # tanh(w @ h + u @ x) of an RNN step, it ran scalar: 44.6 µs against 14.9)
                values = [self.computed(v) for v in values]
        cost = 1 + sum(v.cost for v in values)
        if callable(template):

            def fn(idx):
                args = [self.elem(v, m(idx)) for v, m in zip(values, maps, strict=True)]
                return wrap(dtype, template(args, in_dtype))

        else:

            def fn(idx):
                args = [self.elem(v, m(idx)) for v, m in zip(values, maps, strict=True)]
                return wrap(dtype, template.format(*args))

        return self.lazy(shape, dtype, fn, cost)

    def _vector_math_pays(self, shape, dtype) -> bool:
        """Whether a transcendental on an array of ``shape`` uses its vectorised kernel (see
        VECTOR_MATH_MIN and VECTOR_MATH_ROW)."""
        size = math.prod(shape)
        if size >= VECTOR_MATH_MIN:
            return True
        return (
            np.dtype(dtype) == np.float64
            and bool(shape)
            and shape[-1] >= VECTOR_MATH_ROW
            and size * self.trips >= VECTOR_MATH_MIN
        )

    def inline(self, closed, values) -> list[Val]:
        """The outputs of the sub-program ``closed`` applied to ``values``, written in place."""
        if not isinstance(closed, ClosedJaxpr):
            raise NativeUnsupported("a sub-program that is not a traced program")
        return self.program(closed.jaxpr, closed.consts, values)

    def const(self, c) -> Val:
        c = np.asarray(c)
        if c.dtype.name not in _DTYPES:
            raise NativeUnsupported(f"a constant of dtype {c.dtype}")
        if c.ndim == 0:
            return self.literal(c, c.dtype)
        name = f"k{len(self.const_args)}"
        self.const_args.append(np.array(c, order="C", copy=True))
        return Val(c.shape, c.dtype, "array", name=name)

    def program(self, jaxpr: Jaxpr, consts, values) -> list[Val]:
        self.nesting += 1
        try:
            return self._program(jaxpr, consts, values)
        finally:
            self.nesting -= 1

    def _program(self, jaxpr: Jaxpr, consts, values) -> list[Val]:
        top = self.nesting == 1
        uses: dict[int, int] = {}
        for eqn in jaxpr.eqns:
            for a in eqn.inputs:
                if type(a) is not Literal:
                    uses[a.id] = uses.get(a.id, 0) + 1
        for a in jaxpr.outvars:
            if type(a) is not Literal:
                uses[a.id] = uses.get(a.id, 0) + 2  # an output is computed
        env: dict[int, Val] = {}

        def bind(var, val):
            if val.kind == "lazy" and val.cost > 0 and uses.get(var.id, 0) > 1:
                val = self.store(val)
            env[var.id] = val

        for var, c in zip(jaxpr.constvars, consts, strict=True):
            bind(var, self.const(c))
        for var, val in zip(jaxpr.invars, values, strict=True):
            bind(var, val)

        def read(a):
            if type(a) is Literal:
                return self.literal(a.val, a.aval.dtype)
            return env[a.id]

        for k, eqn in enumerate(jaxpr.eqns):
            if top:
                self.top_eqn = k
                self.top_weights.append(self.weight)
            name = eqn.primitive.name
            rule = NATIVE_RULES.get(name)
            ins = [read(a) for a in eqn.inputs]
            for a in [*eqn.inputs, *eqn.outputs]:
                if a is not None and a.aval.dtype.name not in _DTYPES:
                    raise NativeUnsupported(f"{name} on {a.aval.dtype} values")
            if rule is None:
                reason = NUMPY_ONLY.get(name, "no native rule")
                raise NativeUnsupported(f"no native rule for {name} ({reason})")
            outs = rule(self, eqn, *ins, **eqn.params)
            if not eqn.primitive.multiple_results:
                outs = [outs]
            for var, val in zip(eqn.outputs, outs, strict=True):
                bind(var, val)
        return [read(a) for a in jaxpr.outvars]

    # -- loops and branches (the control-flow primitives' rules call these)
    def carry(self, init: Val) -> Val:
        """A loop-carried variable initialised to ``init``: scalars or a private buffer."""
        init = self.concrete(init)
        if init.size <= SMALL:
            names = []
            for idx in np.ndindex(*init.shape):
                name = self.fresh("c")
                self.emit(f"{name} = {self.elem(init, idx)}")
                names.append(name)
            return self.scalars(init.shape, init.dtype, names)
        buf = self.alloc(init.shape, init.dtype)
        self.write_into(buf, (), init)
        return Val(init.shape, init.dtype, "array", name=buf)

    def update(self, carries: list[Val], new: list[Val]) -> None:
        """End of a loop body: ``carries = new`` (all new values read before any is written)."""
        own = self.loop_bufs[-1] if self.loop_bufs else set()
        staged = []
        for c, v in zip(carries, new, strict=True):
            if c.kind == "scalars":
                v = self.concrete(v)
                temps = []
                for idx in np.ndindex(*c.shape):
                    t = self.fresh("t")
                    self.emit(f"{t} = {self.elem(v, idx)}")
                    temps.append(t)
                staged.append((c, temps))
            else:
                v = self.concrete(v)
                if v.kind == "array" and v.name == c.name:
                    continue
                if v.kind != "array" or v.name not in own:
                    buf = self.alloc(v.shape, v.dtype)
                    self.write_into(buf, (), v)
                    v = Val(v.shape, v.dtype, "array", name=buf)
                staged.append((c, v))
        for c, v in staged:
            if c.kind == "scalars":
                for name, t in zip(c.names, v, strict=True):
                    self.emit(f"{name} = {t}")
            else:
                self.write_into(c.name, (), v)

    def scan(self, eqn, values) -> list[Val]:
        p = eqn.params
        n_c, n_k, length = p["num_consts"], p["num_carry"], p["length"]
        consts = [self.computed(v) for v in values[:n_c]]
        xs = [self.computed(v) for v in values[n_c + n_k :]]
        xs = [self.array(x.shape, x.dtype, self.array_form(x)) for x in xs]
        carries = [self.carry(v) for v in values[n_c : n_c + n_k]]
        ys = []
        for var in eqn.outputs[n_k:]:
            ys.append(
                self.array(
                    var.aval.shape, var.aval.dtype, self.alloc(var.aval.shape, var.aval.dtype)
                )
            )
        i = self.fresh("i")
        steps = f"range({length} - 1, -1, -1)" if p["reverse"] else f"range({length})"
        with self.loop(f"for {i} in {steps}:", length):
            slices = [self.view(x, x.shape[1:], lambda idx, i=i: (i, *idx)) for x in xs]
            outs = self.inline(p["jaxpr"], [*consts, *carries, *slices])
            for y, v in zip(ys, outs[n_k:], strict=True):
                self.write_into(y.name, (i,), v)
            self.update(carries, outs[:n_k])
        return [*carries, *ys]

    def while_loop(self, eqn, values) -> list[Val]:
        p = eqn.params
        n_cc, n_bc = p["cond_nconsts"], p["body_nconsts"]
        cc = [self.computed(v) for v in values[:n_cc]]
        bc = [self.computed(v) for v in values[n_cc : n_cc + n_bc]]
        carries = [self.carry(v) for v in values[n_cc + n_bc :]]
        header = (
            "while True:"
            if p["max_steps"] is None
            else (f"for {self.fresh('n')} in range({p['max_steps']}):")
        )
        with self.loop(header, p["max_steps"]):
            (pred,) = self.inline(p["cond_jaxpr"], [*cc, *carries])
            self.emit(f"if not {self.elem(pred, ())}:")
            self.emit("    break")
            outs = self.inline(p["body_jaxpr"], [*bc, *carries])
            self.update(carries, outs)
        return carries

    def cond(self, eqn, values) -> list[Val]:
        branches = eqn.params["branches"]
        index = self.name_expr(self.elem(values[0], ()))
        ops = values[1:]
        results = []
        for var in eqn.outputs:
            a = var.aval
            if a.size <= SMALL:
                results.append(
                    self.scalars(a.shape, a.dtype, [self.fresh("r") for _ in range(a.size)])
                )
            else:
                results.append(Val(a.shape, a.dtype, "array", name=self.fresh("r")))
        for k, branch in enumerate(branches):
            if len(branches) == 1:
                self.emit("if True:")
            elif k == 0:
                self.emit(f"if {index} <= 0:")
            elif k == len(branches) - 1:
                self.emit("else:")
            else:
                self.emit(f"elif {index} <= {k}:")
            with self.block():
                outs = self.inline(branch, ops)
                for r, v in zip(results, outs, strict=True):
                    if r.kind == "scalars":
                        v = self.concrete(v)
                        for name, idx in zip(r.names, np.ndindex(*r.shape), strict=True):
                            self.emit(f"{name} = {self.elem(v, idx)}")
                    else:
                        self.emit(f"{r.name} = {self.array_form(v)}")
        return results
