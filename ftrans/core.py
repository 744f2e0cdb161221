"""Core of ftrans: abstract values, the IR, primitives, the trace stack, bind and eval_jaxpr.

This module knows no primitive. Interpreters live in `ftrans.interpreters`, primitives with
all their rules in `ftrans.primitives`.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ftrans.errors import (
    _PACKAGE_DIR,
    ConcretizationError,
    TracerArrayConversionError,
    TracerLeakError,
    format_frame,
    user_frame,
)

# ----------------------------------------------------------------------------- abstract values

_DTYPE_SHORT = {
    np.dtype(np.float64): "f64",
    np.dtype(np.float32): "f32",
    np.dtype(np.float16): "f16",
    np.dtype(np.int64): "i64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int16): "i16",
    np.dtype(np.int8): "i8",
    np.dtype(np.uint64): "u64",
    np.dtype(np.uint32): "u32",
    np.dtype(np.uint16): "u16",
    np.dtype(np.uint8): "u8",
    np.dtype(np.bool_): "bool",
    np.dtype(np.complex128): "c128",
    np.dtype(np.complex64): "c64",
}


class ShapedArray:
    """What tracing knows about an array: its shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def update(self, shape=None, dtype=None) -> ShapedArray:
        return ShapedArray(
            self.shape if shape is None else shape, self.dtype if dtype is None else dtype
        )

    def str_short(self) -> str:
        name = _DTYPE_SHORT.get(self.dtype, self.dtype.name)
        return f"{name}[{','.join(str(d) for d in self.shape)}]"

    def __eq__(self, other):
        return (
            type(other) is ShapedArray and self.shape == other.shape and self.dtype == other.dtype
        )

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return f"ShapedArray({self.str_short()})"


_PY_SCALAR_DTYPES = {
    float: np.dtype(np.float64),
    int: np.dtype(np.int64),
    bool: np.dtype(np.bool_),
    complex: np.dtype(np.complex128),
}


def get_aval(x) -> ShapedArray:
    """The abstract value of a tracer, NumPy array, NumPy scalar or Python scalar."""
    if isinstance(x, (np.ndarray, np.generic)):
        aval = object.__new__(ShapedArray)
        aval.shape = x.shape
        aval.dtype = x.dtype
        return aval
    if isinstance(x, Tracer):
        return x.aval
    dtype = _PY_SCALAR_DTYPES.get(type(x))
    if dtype is not None:
        aval = object.__new__(ShapedArray)
        aval.shape = ()
        aval.dtype = dtype
        return aval
    raise TypeError(
        f"Expected an array, a NumPy scalar or a Python scalar, got a value of type "
        f"{type(x).__name__}: {x!r:.80}"
    )


def shape_of(x) -> tuple:
    """The shape of a tracer, array, NumPy scalar or Python scalar (without NumPy dispatch)."""
    return x.shape if isinstance(x, (Tracer, np.ndarray, np.generic)) else ()


def is_float_dtype(dtype) -> bool:
    return np.issubdtype(dtype, np.inexact)


def is_array_like(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic, Tracer)) or type(x) in _PY_SCALAR_DTYPES


# ----------------------------------------------------------------------------- symbolic zeros


class Zero:
    """A symbolic zero tangent or cotangent: costs nothing until someone asks for an array.

    ``Zero.like(x)`` defers computing x's aval until a rule asks for it (most never do).
    """

    __slots__ = ("_aval", "_like")

    def __init__(self, aval: ShapedArray):
        self._aval = aval
        self._like = None

    @staticmethod
    def like(x) -> Zero:
        z = object.__new__(Zero)
        z._aval = None
        z._like = x
        return z

    @property
    def aval(self) -> ShapedArray:
        if self._aval is None:
            self._aval = get_aval(self._like)
            self._like = None
        return self._aval

    def instantiate(self):
        aval = self.aval
        return np.zeros(aval.shape, aval.dtype)

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


def instantiate(t):
    """Turn a symbolic zero into a real zeros array; pass anything else through."""
    return t.instantiate() if type(t) is Zero else t


class UndefinedPrimal:
    """Marks the linear input of an equation during transposition."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x) -> bool:
    return type(x) is UndefinedPrimal


# ----------------------------------------------------------------------------- the IR

_var_ids = itertools.count()


class Var:
    """A typed SSA variable of a jaxpr."""

    __slots__ = ("aval", "id")

    def __init__(self, aval: ShapedArray):
        self.aval = aval
        self.id = next(_var_ids)

    def __repr__(self):
        return f"Var({self.id}:{self.aval.str_short()})"


class Literal:
    """A scalar constant written inline in a jaxpr."""

    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray):
        self.val = val
        self.aval = aval

    def __repr__(self):
        return f"Literal({self.val!r})"


class Eqn:
    """One equation: ``outputs = primitive[params] inputs``; ``source`` is the user's line."""

    __slots__ = ("primitive", "inputs", "outputs", "params", "source")

    def __init__(self, primitive, inputs, outputs, params, source=None):
        self.primitive = primitive
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.source = source


class Jaxpr:
    """A flat typed program: ``constvars`` and ``invars`` in, ``outvars`` out."""

    __slots__ = ("constvars", "invars", "eqns", "outvars")

    def __init__(self, constvars, invars, eqns, outvars):
        self.constvars = list(constvars)
        self.invars = list(invars)
        self.eqns = list(eqns)
        self.outvars = list(outvars)

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]

    def __str__(self):
        return pretty_print(self)

    __repr__ = __str__


class ClosedJaxpr:
    """A jaxpr together with the values of its constvars (what ``make_jaxpr`` returns)."""

    __slots__ = ("jaxpr", "consts", "cache")

    def __init__(self, jaxpr: Jaxpr, consts):
        self.jaxpr = jaxpr
        self.consts = list(consts)
        self.cache: dict = {}  # derived programs (compiled code, JVP, transpose, batched)

    @property
    def in_avals(self):
        return self.jaxpr.in_avals

    @property
    def out_avals(self):
        return self.jaxpr.out_avals

    @property
    def eqns(self):
        return self.jaxpr.eqns

    def __call__(self, *args):
        return eval_jaxpr(self.jaxpr, self.consts, *args)

    def __str__(self):
        return pretty_print(self.jaxpr)

    __repr__ = __str__


def _var_names():
    letters = "abcdefghijklmnopqrstuvwxyz"
    for n in itertools.count(1):
        for combo in itertools.product(letters, repeat=n):
            yield "".join(combo)


def _format_param(value) -> str:
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, (Jaxpr, ClosedJaxpr)):
        inner = pretty_print(value.jaxpr if isinstance(value, ClosedJaxpr) else value)
        return "\n      ".join(inner.splitlines())
    if type(value) is tuple and value and all(isinstance(v, (Jaxpr, ClosedJaxpr)) for v in value):
        return "(\n      " + ",\n      ".join(_format_param(v) for v in value) + "\n    )"
    return repr(value)


def pretty_print(jaxpr: Jaxpr) -> str:
    """Render a jaxpr one equation a line, each variable with its type."""
    names: dict[int, str] = {}
    fresh = _var_names()

    def name(atom, typed=False):
        if isinstance(atom, Literal):
            val = atom.val
            return repr(val.item() if isinstance(val, (np.ndarray, np.generic)) else val)
        if atom.id not in names:
            names[atom.id] = next(fresh)
        return f"{names[atom.id]}:{atom.aval.str_short()}" if typed else names[atom.id]

    consts = " ".join(name(v, True) for v in jaxpr.constvars)
    args = " ".join(name(v, True) for v in jaxpr.invars)
    lines = [f"{{ lambda {consts}; {args}. let"]
    for eqn in jaxpr.eqns:
        outs = " ".join(name(v, True) for v in eqn.outputs)
        params = ""
        if eqn.params:
            params = "[" + ", ".join(f"{k}={_format_param(v)}" for k, v in eqn.params.items()) + "]"
        ins = " ".join(name(a) for a in eqn.inputs)
        lines.append(f"    {outs} = {eqn.primitive.name}{params} {ins}".rstrip())
    outs = ", ".join(name(v) for v in jaxpr.outvars)
    lines.append(f"  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- primitives


class Primitive:
    """An operation of the IR; every rule it has is an attribute set where it is made.

    Rules (all optional until a transform needs them; the registry test checks them):

    * ``impl(*arrays, **params)``: the NumPy implementation.
    * ``abstract_eval(*avals, **params)``: output aval(s) from input avals.
    * ``jvp(primals, tangents, **params) -> (primal_out, tangent_out)``; tangents may be
      `Zero`.
    * ``transpose(cotangent, *args, **params) -> list`` of cotangents, one per argument, for
      linear primitives; linear inputs arrive as `UndefinedPrimal`.
    * ``batch(args, dims, **params) -> (out, out_dim)``.
    * ``lower(names, **params) -> str``: NumPy source for ``jit``'s code generator (when
      absent, the generated code calls ``impl``).
    * ``partial_eval(trace, args, params)``: how to split known from unknown work during
      ``linearize`` (only primitives holding sub-programs, like ``jit_call``, need one).
    """

    __slots__ = (
        "name",
        "multiple_results",
        "linear",
        "impl",
        "abstract_eval",
        "jvp",
        "transpose",
        "batch",
        "lower",
        "partial_eval",
        "__weakref__",
    )

    def __init__(self, name: str, *, multiple_results: bool = False, linear: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        self.linear = linear
        self.impl: Callable | None = None
        self.abstract_eval: Callable | None = None
        self.jvp: Callable | None = None
        self.transpose: Callable | None = None
        self.batch: Callable | None = None
        self.lower: Callable | None = None
        self.partial_eval: Callable | None = None
        PRIMITIVES[name] = self

    def bind(self, *args, **params):
        """Apply the primitive: evaluate it, or hand it to the innermost active transform."""
        trace = None
        level = 0
        for a in args:
            if isinstance(a, Tracer):
                t = a._trace
                if t.level > level:
                    trace = t
                    level = t.level
        if trace is None:
            return self.impl(*args, **params)
        if not trace.main.active:
            raise leak_error(trace.main)
        return trace.process_primitive(self, args, params)

    def __repr__(self):
        return self.name


PRIMITIVES: dict[str, Primitive] = {}

# Primitives run for what they do, not what they return (ftrans.debug.print, debug.callback, a
# collective over processes): dead-code elimination keeps them, and so every equation holding
# one in a sub-program, and common-subexpression elimination never merges two of them. Empty
# unless such a primitive was made, so ordinary programs never pay for the check. (Here, below
# the primitives that add to it, and read by ``ftrans.interpreters.tracing.has_effect``.)
EFFECTFUL: set = set()


# ----------------------------------------------------------------------------- traces


class MainTrace:
    """One active transformation on the trace stack."""

    __slots__ = ("level", "trace", "active", "name", "_origin", "payload")

    def __init__(self, level, trace_type, name, payload, origin=None):
        self.level = level
        self.active = True
        self.name = name
        # The frame of the `with new_main(...)` statement; resolved to the user's line when a
        # message needs it, or when the transformation ends (see new_main).
        self._origin = origin
        self.payload = payload
        self.trace = trace_type(self)

    @property
    def origin(self):
        """``(file, line, function)`` of the user's call that started this transformation."""
        frame = self._origin
        if isinstance(frame, tuple) or frame is None:
            return frame
        while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            frame = frame.f_back
        info = (
            None
            if frame is None
            else (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        )
        self._origin = info
        return info

    def __repr__(self):
        return f"MainTrace({self.name}, level={self.level})"


_stack: list[MainTrace] = []


class new_main:
    """Push a transformation on the trace stack for the duration of a ``with`` block.

    The main is marked inactive when the block ends, normally or by an exception, so any tracer
    of it that escapes is recognised as leaked. (A class rather than a generator-based context
    manager: every transformed call enters one, so its cost counts.)
    """

    __slots__ = ("_args", "_main")

    def __init__(self, trace_type, name: str, payload=None):
        self._args = (trace_type, name, payload)

    def __enter__(self) -> MainTrace:
        main = self._main = MainTrace(len(_stack) + 1, *self._args, sys._getframe(1))
        _stack.append(main)
        return main

    def __exit__(self, *exc_info) -> None:
        main = self._main
        _stack.remove(main)
        main.active = False
        # Keep only (file, line, function): a frame would keep the caller's locals (arrays
        # included) alive through the cycle frame -> main -> frame, until the garbage collector
        # ran. Dropping main.trace breaks the cycle main <-> trace, so the payload (a jaxpr
        # builder and its constants) is freed as soon as the last tracer is.
        main._origin = main.origin
        main.trace = None


def transforms_active() -> bool:
    return bool(_stack)


def leak_error(main: MainTrace) -> TracerLeakError:
    return TracerLeakError(
        f"A traced value created inside {main.name}, called at {format_frame(main.origin)}, was "
        f"used after {main.name} had finished (seen at {format_frame(user_frame())}). Tracers "
        "only mean something while their transformation runs. Return the value from the "
        "transformed function instead of storing it in a global, a closure or a list outside it."
    )


class Trace:
    """The behaviour of one transformation; ``process_primitive`` sees the raw arguments."""

    __slots__ = ("main", "level")

    def __init__(self, main: MainTrace):
        self.main = main
        self.level = main.level

    def process_primitive(self, primitive: Primitive, args, params):
        raise NotImplementedError

    def check_lift(self, x):
        """Validate a value of a lower level (a constant or an outer tracer) before lifting it."""
        if isinstance(x, Tracer):
            t = x._trace
            if t is not self and (t.level >= self.level or not t.main.active):
                raise leak_error(t.main)

    def __repr__(self):
        return f"{type(self).__name__}(level={self.level})"


_fnp: Any = None  # ftrans.numpy, set when it is imported (tracer operators delegate to it)


class Tracer:
    """A value being traced by a transformation; behaves like an array inside ``ftrans.numpy``."""

    __slots__ = ("_trace",)
    __array_priority__ = 1000
    __ftrans_array__ = True

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    # --- array attributes
    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def size(self):
        return self.aval.size

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of a 0-d array")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.aval.shape[0]))

    # --- concreteness
    def to_concrete(self, why: str):
        """The concrete value behind this tracer, or a ConcretizationError explaining why not."""
        where = user_frame()
        raise ConcretizationError(
            f"{why} needs a concrete value, but got a traced array {self.aval.str_short()} "
            f"inside {self._trace.main.name} at {format_frame(where)}. Under this transformation "
            "values are abstract (only shape and dtype are known). Fixes: choose between values "
            "with ftrans.numpy.where(cond, a, b); branch with ftrans.lax.cond(pred, true_fn, "
            "false_fn, *operands); or, under jit, mark the argument static with static_argnums / "
            "static_argnames."
        )

    def __bool__(self):
        return bool(self.to_concrete("bool() (an if, while, and/or on an array)"))

    def __int__(self):
        return int(self.to_concrete("int()"))

    def __float__(self):
        return float(self.to_concrete("float()"))

    def __complex__(self):
        return complex(self.to_concrete("complex()"))

    def __index__(self):
        return int(self.to_concrete("using an array as an index (__index__)"))

    def item(self):
        return self.to_concrete(".item()").item()

    def tolist(self):
        return np.asarray(self.to_concrete(".tolist()")).tolist()

    __hash__ = None  # arrays are not hashable; ids are used where identity matters

    # --- escaping into raw NumPy
    def __array__(self, dtype=None, copy=None):
        self._check_alive()
        raise TracerArrayConversionError(
            f"A traced array {self.aval.str_short()} (inside {self._trace.main.name}) was "
            f"converted to a NumPy array at {format_frame(user_frame())}: raw NumPy cannot see "
            "through tracers, so the result would lose the transformation (a wrong or missing "
            "derivative). Use ftrans.numpy (import ftrans.numpy as fnp) instead of numpy inside "
            "transformed functions, e.g. fnp.asarray / fnp.sin instead of np.asarray / np.sin; "
            "to index a NumPy array with a traced index, write fnp.take(array, index)."
        )

    def _check_alive(self):
        if not self._trace.main.active:
            raise leak_error(self._trace.main)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # NumPy's ufuncs on a tracer (np.sin(t), np.add.reduce(t), array * t) run ftrans.numpy's
        self._check_alive()
        return _fnp._dispatch.array_ufunc(self, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        # NumPy's array functions on a tracer (np.sum(t), np.dot(t, w)) run ftrans.numpy's
        self._check_alive()
        return _fnp._dispatch.array_function(self, func, args, kwargs)

    # --- operators (delegate to ftrans.numpy so promotion and broadcasting follow NumPy)
    def __neg__(self):
        return _fnp.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _fnp.abs(self)

    def __invert__(self):
        return _fnp.invert(self)

    def __add__(self, other):
        return _fnp.add(self, other)

    def __radd__(self, other):
        return _fnp.add(other, self)

    def __sub__(self, other):
        return _fnp.subtract(self, other)

    def __rsub__(self, other):
        return _fnp.subtract(other, self)

    def __mul__(self, other):
        return _fnp.multiply(self, other)

    def __rmul__(self, other):
        return _fnp.multiply(other, self)

    def __truediv__(self, other):
        return _fnp.divide(self, other)

    def __rtruediv__(self, other):
        return _fnp.divide(other, self)

    def __floordiv__(self, other):
        return _fnp.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _fnp.floor_divide(other, self)

    def __mod__(self, other):
        return _fnp.remainder(self, other)

    def __rmod__(self, other):
        return _fnp.remainder(other, self)

    def __pow__(self, other):
        return _fnp.power(self, other)

    def __rpow__(self, other):
        return _fnp.power(other, self)

    def __matmul__(self, other):
        return _fnp.matmul(self, other)

    def __rmatmul__(self, other):
        return _fnp.matmul(other, self)

    def __and__(self, other):
        return _fnp.bitwise_and(self, other)

    def __rand__(self, other):
        return _fnp.bitwise_and(other, self)

    def __or__(self, other):
        return _fnp.bitwise_or(self, other)

    def __ror__(self, other):
        return _fnp.bitwise_or(other, self)

    def __xor__(self, other):
        return _fnp.bitwise_xor(self, other)

    def __lshift__(self, other):
        return _fnp.left_shift(self, other)

    def __rlshift__(self, other):
        return _fnp.left_shift(other, self)

    def __rshift__(self, other):
        return _fnp.right_shift(self, other)

    def __rrshift__(self, other):
        return _fnp.right_shift(other, self)

    def __rxor__(self, other):
        return _fnp.bitwise_xor(other, self)

    def __eq__(self, other):
        return _fnp.equal(self, other)

    def __ne__(self, other):
        return _fnp.not_equal(self, other)

    def __lt__(self, other):
        return _fnp.less(self, other)

    def __le__(self, other):
        return _fnp.less_equal(self, other)

    def __gt__(self, other):
        return _fnp.greater(self, other)

    def __ge__(self, other):
        return _fnp.greater_equal(self, other)

    def __getitem__(self, index):
        return _fnp.getitem(self, index)

    def __setitem__(self, index, value):
        raise TypeError(
            "ftrans arrays are immutable inside transformations: instead of x[idx] = y, write "
            "x = x.at[idx].set(y), which returns an updated copy."
        )

    @property
    def at(self):
        return _fnp.IndexUpdateHelper(self)

    # --- array methods
    @property
    def T(self):
        return _fnp.transpose(self)

    @property
    def mT(self):
        return _fnp.swapaxes(self, -1, -2)

    @property
    def real(self):
        return _fnp.real(self)

    @property
    def imag(self):
        return _fnp.imag(self)

    def conj(self):
        return _fnp.conj(self)

    def conjugate(self):
        return _fnp.conj(self)

    def sum(self, axis=None, dtype=None, keepdims=False):
        return _fnp.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return _fnp.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return _fnp.var(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return _fnp.std(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False):
        return _fnp.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _fnp.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _fnp.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _fnp.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _fnp.argmin(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _fnp.any(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return _fnp.all(self, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None, dtype=None):
        return _fnp.cumsum(self, axis=axis, dtype=dtype)

    def cumprod(self, axis=None, dtype=None):
        return _fnp.cumprod(self, axis=axis, dtype=dtype)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _fnp.reshape(self, shape, order=order)

    def ravel(self, order="C"):
        return _fnp.ravel(self, order=order)

    def flatten(self, order="C"):
        return _fnp.ravel(self, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return _fnp.transpose(self, axes or None)

    def swapaxes(self, axis1, axis2):
        return _fnp.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return _fnp.squeeze(self, axis=axis)

    def astype(self, dtype):
        return _fnp.astype(self, dtype)

    def dot(self, other):
        return _fnp.dot(self, other)

    def clip(self, min=None, max=None):  # noqa: A002  (NumPy's argument names)
        return _fnp.clip(self, min, max)

    def round(self, decimals=0):
        return _fnp.round(self, decimals=decimals)

    def sort(self, axis=-1):
        return _fnp.sort(self, axis=axis)

    def argsort(self, axis=-1):
        return _fnp.argsort(self, axis=axis)

    def trace(self, offset=0, axis1=0, axis2=1):
        return _fnp.trace(self, offset=offset, axis1=axis1, axis2=axis2)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _fnp.diagonal(self, offset=offset, axis1=axis1, axis2=axis2)

    def copy(self):
        return self

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>with<{type(self._trace).__name__}>"


# ----------------------------------------------------------------------------- interpreters


def eval_jaxpr(jaxpr: Jaxpr, consts, *args):
    """Evaluate a jaxpr by binding each equation, so evaluation can itself be traced."""
    env: dict[int, Any] = {}
    for v, x in zip(jaxpr.constvars, consts, strict=True):
        env[v.id] = x
    for v, x in zip(jaxpr.invars, args, strict=True):
        env[v.id] = x

    def read(atom):
        return atom.val if type(atom) is Literal else env[atom.id]

    for eqn in jaxpr.eqns:
        out = eqn.primitive.bind(*[read(a) for a in eqn.inputs], **eqn.params)
        if eqn.primitive.multiple_results:
            for v, x in zip(eqn.outputs, out, strict=True):
                env[v.id] = x
        else:
            env[eqn.outputs[0].id] = out
    return [read(v) for v in jaxpr.outvars]
