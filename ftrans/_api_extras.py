"""JAX's smaller top-level transformations: ``eval_shape``, ``linear_transpose``,
``closure_convert``, ``named_call`` and ``named_scope``."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.api import ShapeDtypeStruct, _flat_fun, _to_output, fun_name, make_jaxpr
from ftrans.core import ShapedArray, Tracer, Zero, eval_jaxpr, get_aval, is_float_dtype
from ftrans.interpreters.tracing import trace_to_jaxpr
from ftrans.interpreters.transpose import backward_pass


def _as_struct(x: Any) -> Any:
    """A leaf as something make_jaxpr traces: arrays stay, shape/dtype objects become structs."""
    if isinstance(x, (np.ndarray, np.generic, Tracer, ShapeDtypeStruct, float, int, bool, complex)):
        return x
    if hasattr(x, "shape") and hasattr(x, "dtype"):  # a jax.ShapeDtypeStruct, a jax.Array, ...
        return ShapeDtypeStruct(x.shape, x.dtype)
    return x


def eval_shape(fun: Callable, *args: Any, **kwargs: Any) -> Any:
    """The shapes and dtypes ``fun(*args, **kwargs)`` would return, found by tracing (no
    arithmetic is done).

    Arguments may be arrays or anything with ``.shape`` and ``.dtype``, such as
    `ShapeDtypeStruct`.

    Returns:
        A pytree of `ShapeDtypeStruct` of the output's structure.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> x = ft.ShapeDtypeStruct((1000, 3), np.float32)
        >>> ft.eval_shape(lambda a, w: {'y': fnp.tanh(a @ w)}, x, np.ones((3, 2), np.float32))
        {'y': ShapeDtypeStruct(shape=(1000, 2), dtype=float32)}
    """
    args = tree.map(_as_struct, args)
    kwargs = tree.map(_as_struct, kwargs)
    _, shapes = make_jaxpr(fun, return_shape=True)(*args, **kwargs)
    return shapes


def linear_transpose(fun: Callable, *primals: Any, reduce_axes: tuple = ()) -> Callable:
    """The transpose of a linear function, found by transposing its traced program.

    Args:
        fun: a function linear in all its arguments.
        *primals: arguments (arrays or `ShapeDtypeStruct`) giving the input shapes and dtypes;
            their values are not used.
        reduce_axes: accepted for JAX compatibility (must be empty).

    Returns:
        ``fun_t(cotangent)`` returning a tuple with one cotangent per argument of ``fun``.
        A nonlinear ``fun`` raises an error naming the primitive with no transpose rule.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> f_t = ft.linear_transpose(lambda x: A @ x, np.zeros(2))
        >>> f_t(np.array([1.0, 0.0, 1.0]))[0].tolist()
        [6.0, 8.0]
    """
    if reduce_axes:
        raise ValueError("linear_transpose: reduce_axes is not supported (and deprecated in JAX).")
    name = f"linear_transpose({fun_name(fun)})"
    leaves, in_tree = tree.flatten(tree.map(_as_struct, primals))
    in_avals = [
        ShapedArray(x.shape, x.dtype) if isinstance(x, ShapeDtypeStruct) else get_aval(x)
        for x in leaves
    ]
    for i, aval in enumerate(in_avals):
        if not is_float_dtype(aval.dtype):
            raise TypeError(
                f"{name}: input leaf {i} has dtype {aval.dtype}; a linear map transposes only "
                "floating-point (or complex) inputs."
            )
    store: dict = {}
    flat = _flat_fun(fun, in_tree, store, name)
    jaxpr, consts = trace_to_jaxpr(flat, in_avals, name)
    out_tree = store["out_tree"]
    out_avals = jaxpr.out_avals

    def transposed(cotangent: Any) -> tuple:
        cts, ct_tree = tree.flatten(cotangent)
        if ct_tree != out_tree:
            raise ValueError(
                f"{name}: the cotangent has structure {ct_tree}, but the function returns "
                f"{out_tree}."
            )
        cts = [
            np.asarray(c, dtype=a.dtype) if not isinstance(c, Tracer) else c
            for c, a in zip(cts, out_avals, strict=True)
        ]
        for i, (c, a) in enumerate(zip(cts, out_avals, strict=True)):
            if tuple(get_aval(c).shape) != tuple(a.shape):
                raise ValueError(
                    f"{name}: cotangent leaf {i} has shape {get_aval(c).shape}, but the "
                    f"output has shape {a.shape}."
                )
        results = backward_pass(jaxpr, consts, [True] * len(in_avals), cts)
        grads = [
            _to_output(np.zeros(a.shape, a.dtype) if type(g) is Zero else g)
            for g, a in zip(results, in_avals, strict=True)
        ]
        return tuple(tree.unflatten(in_tree, grads))

    return transposed


def closure_convert(fun: Callable, *example_args: Any) -> tuple[Callable, list]:
    """Hoist the values ``fun`` closes over into explicit arguments (``jax.closure_convert``).

    Returns ``(converted, consts)`` with ``converted(*args, *consts) == fun(*args)``. Useful in
    a `custom_vjp` whose function closes over tracers (the consts can then be differentiated
    as ordinary arguments). Only closed-over *arrays* that reach the traced program (those of
    floating dtype that are tracers of enclosing transformations, and constants) are hoisted.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> w = np.array([1.0, 2.0])
        >>> f, consts = ft.closure_convert(lambda x: x * w, np.zeros(2))
        >>> f(np.array([3.0, 4.0]), *consts).tolist()
        [3.0, 8.0]
    """
    name = f"closure_convert({fun_name(fun)})"
    leaves, in_tree = tree.flatten(tree.map(_as_struct, example_args))
    in_avals = [
        ShapedArray(x.shape, x.dtype) if isinstance(x, ShapeDtypeStruct) else get_aval(x)
        for x in leaves
    ]
    store: dict = {}
    flat = _flat_fun(fun, in_tree, store, name)
    jaxpr, consts = trace_to_jaxpr(flat, in_avals, name)
    n = len(leaves)
    # Hoist what a differentiating caller may care about: tracers and floating arrays.
    hoist_idx = [
        i
        for i, c in enumerate(consts)
        if isinstance(c, Tracer) or is_float_dtype(get_aval(c).dtype)
    ]
    hoisted = [consts[i] for i in hoist_idx]
    out_tree = store["out_tree"]

    def converted(*args: Any) -> Any:
        call_args, extra = args[: len(args) - len(hoisted)], args[len(args) - len(hoisted) :]
        flat_args, tree_args = tree.flatten(call_args)
        if tree_args != in_tree or len(flat_args) != n:
            raise ValueError(
                f"{name}: expected arguments of structure {in_tree} followed by "
                f"{len(hoisted)} closed-over value(s)."
            )
        full = list(consts)
        for i, value in zip(hoist_idx, extra, strict=True):
            full[i] = value
        outs = eval_jaxpr(jaxpr, full, *flat_args)
        return tree.unflatten(out_tree, [_to_output(o) for o in outs])

    return converted, hoisted


def named_call(fun: Callable, *, name: str | None = None) -> Callable:
    """``fun`` under another name (in error messages, ``jit`` explanations and tracebacks).

    JAX uses the name to label the compiled program's profile; ftrans has no such profile, so
    the name only changes ``__name__``/``__qualname__``.

    Examples:
        >>> import ftrans as ft
        >>> ft.named_call(lambda x: x + 1, name="step").__name__
        'step'
    """

    @functools.wraps(fun)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)

    if name is not None:
        wrapped.__name__ = wrapped.__qualname__ = name
    return wrapped


@contextlib.contextmanager
def named_scope(name: str) -> Iterator[None]:
    """Accepted for JAX compatibility: a ``with`` block naming the operations inside it for
    profilers. ftrans has no profiler that reads the names, so the block changes nothing.

    Examples:
        >>> import ftrans as ft
        >>> with ft.named_scope("layer1"):
        ...     y = 2.0 * 3.0
    """
    if not isinstance(name, str):
        raise TypeError(f"named_scope: the name must be a str, got {type(name).__name__}.")
    yield
