"""dtypes and type queries: scalar types that cast traced arrays (``fnp.float32(t)``),
finfo/iinfo, issubdtype, can_cast, promote_types, isdtype; the ``ufunc`` class and the ufunc
methods (``fnp.add.reduce``, ``.accumulate``, ``.outer``, ``.at``); NumPy's printing and I/O
helpers, re-exported."""

from __future__ import annotations

import numpy as np

from ftrans import core
from ftrans import numpy as fnp
from ftrans.core import Tracer, shape_of
from ftrans.numpy._util import normalize_axis

# ----------------------------------------------------------------------------- scalar types


class _ScalarMeta(type):
    """The metaclass of ``fnp.float32`` and friends: usable wherever NumPy takes a dtype
    (through the class's ``dtype`` attribute), ``isinstance`` checks against NumPy's scalar
    type, and calling it converts an array, a scalar or a traced value."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.dtype.type)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.dtype.type)

    def __call__(cls, x=0):
        if isinstance(x, Tracer) or (
            isinstance(x, (list, tuple)) and any(isinstance(e, Tracer) for e in _flat(x))
        ):
            return fnp.astype(fnp.asarray(x), cls.dtype)
        return cls.dtype.type(x)

    def __eq__(cls, other):
        if isinstance(other, _ScalarMeta):
            return cls.dtype == other.dtype
        return other is cls.dtype.type or (isinstance(other, np.dtype) and other == cls.dtype)

    def __hash__(cls):
        return hash(cls.dtype.type)

    def __repr__(cls):
        return f"<class 'ftrans.numpy.{cls.__name__}'>"


def _flat(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e


def _scalar_type(name, np_type):
    doc = (
        f"NumPy's ``{np.dtype(np_type).name}`` as a dtype, and a cast: ``fnp.{name}(x)`` converts "
        "arrays, scalars and traced values.\n\n    Examples:\n        >>> import ftrans as ft\n"
        "        >>> import ftrans.numpy as fnp\n"
        f"        >>> ft.jit(lambda x: fnp.{name}(x))(1).dtype\n"
        f"        dtype('{np.dtype(np_type).name}')\n"
    )
    return _ScalarMeta(
        name, (), {"dtype": np.dtype(np_type), "__doc__": doc, "__module__": "ftrans.numpy"}
    )


_SCALAR_TYPES = {
    "bool_": np.bool_,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "complex64": np.complex64,
    "complex128": np.complex128,
}
SCALAR_TYPES = {name: _scalar_type(name, t) for name, t in _SCALAR_TYPES.items()}


# ----------------------------------------------------------------------------- type queries


def _dtype_of(x):
    if isinstance(x, Tracer):
        return x.dtype
    if isinstance(x, _ScalarMeta):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    return x


def finfo(dtype):
    """Machine limits of a floating-point dtype (``numpy.finfo``; accepts traced arrays).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> float(fnp.finfo(fnp.float32).eps) == 2.0 ** -23
        True
    """
    return np.finfo(_dtype_of(dtype))


def iinfo(int_type):
    """Machine limits of an integer dtype (``numpy.iinfo``; accepts traced arrays).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> int(fnp.iinfo(fnp.int8).max)
        127
    """
    return np.iinfo(_dtype_of(int_type))


def issubdtype(arg1, arg2):
    """Whether ``arg1`` is lower than or equal to ``arg2`` in NumPy's type hierarchy.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.issubdtype(fnp.float32, fnp.floating), fnp.issubdtype("int64", fnp.inexact)
        (True, False)
    """
    return bool(np.issubdtype(_dtype_of(arg1), _dtype_of(arg2)))


def can_cast(from_, to, casting="safe"):
    """Whether a cast between dtypes can happen under ``casting`` (NumPy's rule).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.can_cast(fnp.int32, fnp.float64), fnp.can_cast(fnp.float64, fnp.int32)
        (True, False)
    """
    return bool(np.can_cast(_dtype_of(from_), _dtype_of(to), casting))


def promote_types(a, b):
    """The smallest dtype both can safely cast to (NumPy 2's promotion).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.promote_types(fnp.int32, fnp.float32)
        dtype('float64')
    """
    return np.promote_types(_dtype_of(a), _dtype_of(b))


def isdtype(dtype, kind):
    """The array API's dtype test: ``kind`` is a dtype, a kind name (``"real floating"``,
    ``"integral"``, ...) or a tuple of them.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.isdtype(fnp.float32, "real floating")
        True
    """
    kinds = tuple(_dtype_of(k) for k in kind) if isinstance(kind, tuple) else _dtype_of(kind)
    return bool(np.isdtype(np.dtype(_dtype_of(dtype)), kinds))


def broadcast_shapes(*shapes):
    """The shape that arrays of ``shapes`` broadcast to.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.broadcast_shapes((2, 1), (3,))
        (2, 3)
    """
    return np.broadcast_shapes(*shapes)


def iterable(y):
    """Whether ``y`` can be iterated over (traced arrays of one or more dimensions can).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.iterable([1, 2]), fnp.iterable(2)
        (True, False)
    """
    if isinstance(y, Tracer):
        return len(shape_of(y)) > 0
    return bool(np.iterable(y))


def einsum_path(subscripts, *operands, optimize="greedy"):
    """NumPy's contraction order for `einsum` (shapes only, so traced operands work).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> path, text = fnp.einsum_path("ij,jk->ik", fnp.ones((2, 3)), fnp.ones((3, 4)))
        >>> path
        ['einsum_path', (0, 1)]
    """
    stand_ins = [np.broadcast_to(np.zeros((), fnp.result_type(o)), fnp.shape(o)) for o in operands]
    return np.einsum_path(subscripts, *stand_ins, optimize=optimize)


def _concrete(x, name):
    if isinstance(x, Tracer):
        return x.to_concrete(f"{name} (it prints or stores values)")
    return x


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """``numpy.array_repr`` of a concrete array.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.array_repr(fnp.zeros(2))
        'array([0., 0.])'
    """
    return np.array_repr(_concrete(arr, "array_repr"), max_line_width, precision, suppress_small)


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    """``numpy.array_str`` of a concrete array.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> fnp.array_str(fnp.zeros(2))
        '[0. 0.]'
    """
    return np.array_str(_concrete(a, "array_str"), max_line_width, precision, suppress_small)


def save(file, arr, allow_pickle=True):
    """``numpy.save`` of a concrete array."""
    return np.save(file, _concrete(arr, "save"), allow_pickle=allow_pickle)


def savez(file, *args, **kwds):
    """``numpy.savez`` of concrete arrays."""
    return np.savez(
        file,
        *[_concrete(a, "savez") for a in args],
        **{k: _concrete(v, "savez") for k, v in kwds.items()},
    )


def from_dlpack(x, /, *, device=None, copy=None):
    """An array from any object with ``__dlpack__`` (``numpy.from_dlpack``)."""
    return np.from_dlpack(x, device=device, copy=copy)


load = np.load
frombuffer = np.frombuffer
fromfile = np.fromfile
fromiter = np.fromiter
fromstring = np.fromstring
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions


# ----------------------------------------------------------------------------- ufuncs


def _generic_reduce(fn, a, axis, keepdims, initial, where):
    a = fnp.asarray(a)
    if where is not None:
        raise ValueError("ufunc.reduce: where= needs a ufunc with an identity (add, multiply, ...)")
    if axis is None:
        a, axis = fnp.ravel(a), 0
    axes = axis if isinstance(axis, tuple) else (axis,)
    for ax in sorted((normalize_axis(x, len(shape_of(a))) for x in axes), reverse=True):
        n = shape_of(a)[ax]
        if n == 0 and initial is None:
            raise ValueError("zero-size array to reduction operation which has no identity")
        parts = [fnp.take(a, i, axis=ax) for i in range(n)]
        acc = initial if initial is not None else parts.pop(0)
        for p in parts:
            acc = fn(acc, p)
        a = fnp.expand_dims(acc, ax) if keepdims else fnp.asarray(acc)
    return a


class ufunc:
    """A NumPy-style universal function made from a Python function of ``nin`` arrays, with
    the methods ``reduce``, ``accumulate``, ``outer``, ``reduceat`` and ``at`` (JAX's
    ``jnp.ufunc``).

    Built-in ``ftrans.numpy`` ufuncs (``fnp.add``, ``fnp.multiply``, ``fnp.maximum``, ...) are
    plain functions carrying the same methods as attributes.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> hyp = fnp.ufunc(lambda a, b: fnp.sqrt(a * a + b * b), nin=2, nout=1)
        >>> hyp.outer(fnp.array([3.0]), fnp.array([4.0, 0.0])).tolist()
        [[5.0, 3.0]]
    """

    def __init__(
        self,
        func,
        /,
        nin,
        nout,
        *,
        name=None,
        nargs=None,
        identity=None,
        call=None,
        reduce=None,
        accumulate=None,
        at=None,
        reduceat=None,
    ):
        self._func = func
        self.nin, self.nout = nin, nout
        self.nargs = nargs if nargs is not None else nin
        self.identity = identity
        self.__name__ = name or getattr(func, "__name__", "ufunc")
        self._reduce, self._accumulate, self._at = reduce, accumulate, at

    def __call__(self, *args, **kwargs):
        return self._func(*args, **kwargs)

    def __repr__(self):
        return f"<ftrans.numpy.ufunc '{self.__name__}'>"

    def reduce(self, a, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=None):
        """Reduce ``a`` along ``axis`` by applying the ufunc repeatedly."""
        return _reduce_with(
            self._func, self._reduce, self.identity, a, axis, dtype, out, keepdims, initial, where
        )

    def accumulate(self, a, axis=0, dtype=None, out=None):
        """The running results of `reduce` along ``axis``."""
        return _accumulate_with(self._func, self._accumulate, a, axis, dtype, out)

    def outer(self, A, B, /, **kwargs):
        """The ufunc of every pair ``(A[i...], B[j...])``: shape ``A.shape + B.shape``."""
        return _outer_with(self._func, A, B, **kwargs)

    def at(self, a, indices, b=None, /, *, inplace=False):
        """``a`` with the ufunc applied at ``indices`` (a new array; repeated indices
        accumulate)."""
        return _at_with(self._func, self._at, a, indices, b, inplace)

    def reduceat(self, a, indices, axis=0, dtype=None, out=None):
        """Reductions over the slices ``a[indices[i]:indices[i + 1]]`` along ``axis``."""
        return _reduceat_with(self, a, indices, axis, dtype, out)


def _reduce_with(fn, special, identity, a, axis, dtype, out, keepdims, initial, where):
    if out is not None:
        raise ValueError("ufunc.reduce: out is not supported (ftrans arrays are immutable)")
    if special is not None:
        kw = {}
        if initial is not None:
            kw["initial"] = initial
        if where is not None:
            kw["where"] = where
        if dtype is not None:
            kw["dtype"] = dtype
        return special(a, axis=axis, keepdims=keepdims, **kw)
    if dtype is not None:
        a = fnp.asarray(a).astype(dtype)
    return _generic_reduce(fn, a, axis, keepdims, initial, where)


def _accumulate_with(fn, special, a, axis, dtype, out):
    if out is not None:
        raise ValueError("ufunc.accumulate: out is not supported (ftrans arrays are immutable)")
    if special is not None:
        return special(a, axis=axis, dtype=dtype)
    a = fnp.asarray(a) if dtype is None else fnp.asarray(a).astype(dtype)
    ax = normalize_axis(axis, len(shape_of(a)))
    parts = [fnp.take(a, i, axis=ax) for i in range(shape_of(a)[ax])]
    acc, outs = None, []
    for p in parts:
        acc = p if acc is None else fn(acc, p)
        outs.append(acc)
    return fnp.stack(outs, axis=ax) if outs else a


def _outer_with(fn, A, B, **kwargs):
    A, B = fnp.asarray(A), fnp.asarray(B)
    sa, sb = shape_of(A), shape_of(B)
    return fn(fnp.reshape(A, sa + (1,) * len(sb)), B, **kwargs)


def _at_with(fn, method, a, indices, b, inplace):
    if inplace:
        raise ValueError(
            "ufunc.at: ftrans arrays are immutable, so inplace=True is not supported; use the "
            "returned array"
        )
    ref = (a.at if isinstance(a, Tracer) else fnp.at(a))[indices]
    if method is not None:
        return getattr(ref, method)(b) if b is not None else getattr(ref, method)()
    current = ref.get()
    return ref.set(fn(current) if b is None else fn(current, b))


def _reduceat_with(uf, a, indices, axis, dtype, out):
    if out is not None:
        raise ValueError("ufunc.reduceat: out is not supported (ftrans arrays are immutable)")
    a = fnp.asarray(a)
    ax = normalize_axis(axis, len(shape_of(a)))
    idx = indices.to_concrete("ufunc.reduceat indices") if isinstance(indices, Tracer) else indices
    idx = [int(i) for i in np.asarray(idx).ravel()]
    n = shape_of(a)[ax]
    parts = []
    for k, start in enumerate(idx):
        stop = idx[k + 1] if k + 1 < len(idx) else n
        if stop <= start:
            parts.append(fnp.take(a, start, axis=ax))
        else:
            piece = fnp.take(a, np.arange(start, stop), axis=ax)
            parts.append(uf.reduce(piece, axis=ax, dtype=dtype))
    return fnp.stack(parts, axis=ax)


def frompyfunc(func, /, nin, nout, *, identity=None):
    """A [`ufunc`][ftrans.numpy.ufunc] from a Python function (JAX's: the function should use
    ``ftrans.numpy`` so that it traces).

    Examples:
        >>> import ftrans.numpy as fnp
        >>> f = fnp.frompyfunc(lambda a, b: a * b + 1, nin=2, nout=1)
        >>> f.outer(fnp.array([1.0, 2.0]), fnp.array([3.0])).tolist()
        [[4.0], [7.0]]
    """
    return ufunc(func, nin, nout, identity=identity)


def install_ufunc_methods():
    """Give the built-in binary functions of ``ftrans.numpy`` the ufunc methods."""
    from ftrans.primitives import reductions as red

    def cum(prim):
        def run(a, axis=0, dtype=None):
            a = fnp.asarray(a) if dtype is None else fnp.asarray(a).astype(dtype)
            if not core._stack:
                fn = {"cummax": np.maximum, "cummin": np.minimum}[prim.__name__]
                return fn.accumulate(a, axis=axis)
            return prim(a, axis=normalize_axis(axis, len(shape_of(a))))

        return run

    special = {
        "add": (
            fnp.sum,
            lambda a, axis=0, dtype=None: fnp.cumsum(a, axis=axis, dtype=dtype),
            "add",
            0,
        ),
        "multiply": (
            fnp.prod,
            lambda a, axis=0, dtype=None: fnp.cumprod(a, axis=axis, dtype=dtype),
            "multiply",
            1,
        ),
        "maximum": (fnp.max, cum(red.cummax), "max", None),
        "minimum": (fnp.min, cum(red.cummin), "min", None),
        "logical_and": (fnp.all, None, None, True),
        "logical_or": (fnp.any, None, None, False),
        "subtract": (None, None, "subtract", None),
        "divide": (None, None, "divide", None),
    }
    binary = [
        "add",
        "subtract",
        "multiply",
        "divide",
        "true_divide",
        "floor_divide",
        "remainder",
        "mod",
        "power",
        "maximum",
        "minimum",
        "fmax",
        "fmin",
        "arctan2",
        "hypot",
        "logaddexp",
        "logaddexp2",
        "logical_and",
        "logical_or",
        "logical_xor",
        "bitwise_and",
        "bitwise_or",
        "bitwise_xor",
        "left_shift",
        "right_shift",
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "copysign",
        "fmod",
        "heaviside",
        "nextafter",
        "gcd",
        "lcm",
        "float_power",
        "ldexp",
    ]
    for name in binary:
        fn = getattr(fnp, name)
        reduce_fn, acc_fn, at_name, identity = special.get(name, (None, None, None, None))
        if name == "true_divide":
            at_name = "divide"

        def make(fn=fn, reduce_fn=reduce_fn, acc_fn=acc_fn, at_name=at_name):
            def reduce(a, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=None):
                return _reduce_with(
                    fn, reduce_fn, None, a, axis, dtype, out, keepdims, initial, where
                )

            def accumulate(a, axis=0, dtype=None, out=None):
                return _accumulate_with(fn, acc_fn, a, axis, dtype, out)

            def outer(A, B, /, **kwargs):
                return _outer_with(fn, A, B, **kwargs)

            def at(a, indices, b=None, /, *, inplace=False):
                return _at_with(fn, at_name, a, indices, b, inplace)

            uf = ufunc(fn, 2, 1, reduce=reduce_fn)

            def reduceat(a, indices, axis=0, dtype=None, out=None):
                return _reduceat_with(uf, a, indices, axis, dtype, out)

            return reduce, accumulate, outer, at, reduceat

        fn.reduce, fn.accumulate, fn.outer, fn.at, fn.reduceat = make()
        fn.nin, fn.nout, fn.nargs, fn.identity = 2, 1, 3, identity
    for name in ("negative", "sin", "cos", "exp", "log", "sqrt", "abs", "absolute"):
        fn = getattr(fnp, name)
        fn.at = lambda a, indices, b=None, /, *, inplace=False, fn=fn: _at_with(
            fn, None, a, indices, None, inplace
        )
        fn.nin, fn.nout, fn.nargs, fn.identity = 1, 1, 2, None
