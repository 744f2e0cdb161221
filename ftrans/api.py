"""The public transformations: make_jaxpr, jvp, linearize, vjp, grad, value_and_grad."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.core import (
    ClosedJaxpr,
    ShapedArray,
    Tracer,
    Zero,
    get_aval,
    is_float_dtype,
)
from ftrans.errors import FtransError
from ftrans.interpreters.jvp import jvp_flat
from ftrans.interpreters.partial_eval import linearize_flat
from ftrans.interpreters.tracing import trace_to_jaxpr
from ftrans.interpreters.transpose import backward_pass

#: dtype of the cotangent of an integer or bool input (it has no meaningful derivative).
float0 = np.dtype([("float0", np.void, 0)])


def fun_name(fun) -> str:
    name = getattr(fun, "__name__", None)
    if name is None and isinstance(fun, functools.partial):
        return fun_name(fun.func)
    return name or type(fun).__name__


class ShapeDtypeStruct:
    """A stand-in argument with only a shape and dtype, for tracing without data."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    def __repr__(self):
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"


def _is_leaf_value(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic, Tracer, ShapeDtypeStruct, ShapedArray)) or type(
        x
    ) in (float, int, bool, complex)


def _to_array(x):
    """Python and NumPy scalars become 0-d arrays; arrays and tracers pass through untouched."""
    if isinstance(x, (np.ndarray, Tracer, ShapeDtypeStruct, ShapedArray)):
        return x
    return np.asarray(x)


def check_arguments(label: str, args, kwargs=None, fun=None):
    """Flatten ``(args, kwargs)``; a non-array leaf is reported per argument, by its name."""
    try:
        return tree.check_leaves(
            args if kwargs is None else (args, kwargs), what=label, is_valid=_is_leaf_value
        )
    except TypeError:
        pass
    names = _parameter_names(fun, len(args))
    for i, a in enumerate(args):
        tree.check_leaves(a, what=f"{label}: argument {names[i]}", is_valid=_is_leaf_value)
    for k, a in (kwargs or {}).items():
        tree.check_leaves(a, what=f"{label}: argument {k!r}", is_valid=_is_leaf_value)
    raise AssertionError("unreachable: some leaf failed the check above")


def _parameter_names(fun, n):
    import inspect

    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(n):
        if i < len(params) and params[i].kind in (
            params[i].POSITIONAL_ONLY,
            params[i].POSITIONAL_OR_KEYWORD,
        ):
            names.append(f"{i} ({params[i].name!r})")
        else:
            names.append(str(i))
    return names


def flatten_args(args, what: str, fun=None):
    """Flatten a pytree of arguments, checking every leaf is an array (error names the path)."""
    leaves, treedef = check_arguments(what, args, fun=fun)
    return [_to_array(x) for x in leaves], treedef


def _to_output(x):
    return x if isinstance(x, Tracer) else np.asarray(x)


def _flat_fun(fun, in_tree, out_store: dict, name: str, has_aux: bool = False):
    """Wrap ``fun`` (pytrees in and out) as a function of flat leaves returning flat leaves."""

    def flat(*leaves):
        args = tree.unflatten(in_tree, list(leaves))
        out = fun(*args)
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(
                    f"{name} was given has_aux=True, so {fun_name(fun)} must return a pair "
                    f"(output, aux); it returned {type(out).__name__}."
                )
            out, aux = out
            aux_leaves, aux_tree = tree.flatten(aux)
            out_store["aux_tree"] = aux_tree
        out_leaves, out_tree = tree.check_leaves(
            out, what=f"the output of {fun_name(fun)} (inside {name})", is_valid=_is_leaf_value
        )
        out_store["out_tree"] = out_tree
        out_store["n_out"] = len(out_leaves)
        if has_aux:
            return list(out_leaves) + list(aux_leaves)
        return list(out_leaves)

    return flat


# ----------------------------------------------------------------------------- make_jaxpr


def make_jaxpr(fun: Callable, static_argnums: int | Sequence[int] = (), return_shape: bool = False):
    """Trace ``fun`` into its typed IR, one equation a line.

    Args:
        fun: a function of arrays (pytrees allowed) written with ``ftrans.numpy``.
        static_argnums: positions of arguments that are ordinary Python values, not traced.
        return_shape: also return the output's pytree of
            [`ShapeDtypeStruct`][ftrans.ShapeDtypeStruct].

    Returns:
        A function with ``fun``'s signature returning a `ftrans.core.ClosedJaxpr`.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> print(ft.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(1.0))
        { lambda ; a:f64[]. let
            b:f64[] = sin a
            c:f64[] = mul b 2.0
          in (c,) }
    """
    static = _as_tuple(static_argnums)
    name = f"make_jaxpr({fun_name(fun)})"

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        dynamic = [a for i, a in enumerate(args) if i not in static]

        def rebuild(dynamic_args, kw):
            it = iter(dynamic_args)
            full = [args[i] if i in static else next(it) for i in range(len(args))]
            return fun(*full, **kw)

        leaves, in_tree = check_arguments(name, tuple(dynamic), kwargs, fun)
        leaves = [_to_array(x) for x in leaves]
        avals = [
            ShapedArray(x.shape, x.dtype) if isinstance(x, ShapeDtypeStruct) else get_aval(x)
            for x in leaves
        ]
        store: dict = {}
        flat = _flat_fun(lambda d, kw: rebuild(d, kw), in_tree, store, name)
        jaxpr, consts = trace_to_jaxpr(flat, avals, name)
        closed = ClosedJaxpr(jaxpr, consts)
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype) for a in jaxpr.out_avals]
            return closed, tree.unflatten(store["out_tree"], shapes)
        return closed

    return wrapped


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, int):
        return (x,)
    return tuple(x)


# ----------------------------------------------------------------------------- forward mode


def _none_is_leaf(x):
    return x is None


def _match_tangents(primals, tangents, name):
    """Tangent leaves lined up with the primal leaves; a None tangent means zero."""
    p_all, p_tree = tree.flatten(primals, is_leaf=_none_is_leaf)
    t_all, t_tree = tree.flatten(tangents, is_leaf=_none_is_leaf)
    if t_tree != p_tree:
        raise ValueError(
            f"{name}: tangents have structure {t_tree} but primals have structure {p_tree}; "
            "give one tangent per primal leaf (None for a zero tangent)."
        )
    return [t for p, t in zip(p_all, t_all, strict=True) if p is not None]


def _check_tangents(primal_leaves, tangent_leaves, name):
    checked = []
    for i, (p, t) in enumerate(zip(primal_leaves, tangent_leaves, strict=True)):
        pa = get_aval(p)
        if t is None or type(t) is Zero:
            checked.append(Zero(pa))
            continue
        ta = get_aval(t)
        if ta.shape != pa.shape:
            raise ValueError(
                f"{name}: tangent leaf {i} has shape {ta.shape} but its primal has shape "
                f"{pa.shape}; each tangent must have exactly its primal's shape."
            )
        if not is_float_dtype(pa.dtype):
            checked.append(Zero(pa))  # integer inputs carry no tangent
            continue
        if ta.dtype != pa.dtype:
            if type(t) in (float, int) or (
                isinstance(t, np.ndarray) and not is_float_dtype(ta.dtype)
            ):
                t = np.asarray(t, dtype=pa.dtype)
            else:
                raise TypeError(
                    f"{name}: tangent leaf {i} has dtype {ta.dtype} but its primal has dtype "
                    f"{pa.dtype}; cast the tangent, e.g. t.astype({pa.dtype.name!r})."
                )
        checked.append(_to_array(t))
    return checked


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """Forward mode: evaluate ``fun`` and its directional derivative along ``tangents``.

    Args:
        fun: function of ``len(primals)`` positional pytree arguments.
        primals: tuple of arguments.
        tangents: tuple of tangents, with the same pytree structure, shapes and dtypes.
        has_aux: ``fun`` returns ``(output, aux)``; aux is returned undifferentiated.

    Returns:
        ``(primals_out, tangents_out)`` (and ``aux`` when ``has_aux``).

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> y, dy = ft.jvp(lambda a, b: fnp.log(a) + a * b - fnp.sin(b), (2.0, 5.0), (1.0, 0.0))
        >>> print(round(float(y), 3), float(dy))
        11.652 5.5
    """
    name = f"jvp({fun_name(fun)})"
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"{name}: primals and tangents must be tuples of arguments, got "
            f"{type(primals).__name__} and {type(tangents).__name__}; write jvp(f, (x,), (t,))."
        )
    p_leaves, p_tree = flatten_args(tuple(primals), f"{name}: primals")
    t_leaves = _match_tangents(tuple(primals), tuple(tangents), name)
    t_leaves = _check_tangents(p_leaves, t_leaves, name)
    store: dict = {}
    flat = _flat_fun(lambda *a: fun(*a), p_tree, store, name, has_aux)
    outs_p, outs_t = jvp_flat(flat, p_leaves, t_leaves, name)
    n = store["n_out"]
    out_tree = store["out_tree"]
    primals_out = tree.unflatten(out_tree, [_to_output(x) for x in outs_p[:n]])
    tangents_out = tree.unflatten(
        out_tree, [_to_output(t.instantiate() if type(t) is Zero else t) for t in outs_t[:n]]
    )
    if has_aux:
        aux = tree.unflatten(store["aux_tree"], [_to_output(x) for x in outs_p[n:]])
        return primals_out, tangents_out, aux
    return primals_out, tangents_out


# ----------------------------------------------------------------------------- linearize / vjp


def _linearize(fun, primals, name, has_aux):
    p_leaves, p_tree = flatten_args(tuple(primals), name, fun)
    store: dict = {}
    flat = _flat_fun(lambda *a: fun(*a), p_tree, store, name, has_aux)
    out_primals, linear = linearize_flat(flat, p_leaves, name, store_key=store)
    return p_leaves, p_tree, store, out_primals, linear


def linearize(fun: Callable, *primals, has_aux: bool = False):
    """Evaluate ``fun`` at ``primals`` and return its linear approximation there.

    Returns:
        ``(primals_out, f_jvp)`` where ``f_jvp(*tangents)`` evaluates the JVP at the saved
        point without re-running ``fun`` (a staged linear jaxpr); plus ``aux`` with has_aux.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> y, f_jvp = ft.linearize(fnp.sin, 0.0)
        >>> float(f_jvp(2.0))
        2.0
    """
    name = f"linearize({fun_name(fun)})"
    p_leaves, _, store, out_primals, linear = _linearize(fun, primals, name, has_aux)
    n = store["n_out"]
    out_tree = store["out_tree"]

    def f_jvp(*tangents):
        t_leaves = _match_tangents(tuple(primals), tuple(tangents), name)
        t_leaves = [instantiate_or(t) for t in _check_tangents(p_leaves, t_leaves, name)]
        outs = linear(*t_leaves)
        return tree.unflatten(out_tree, [_to_output(instantiate_or(t)) for t in outs])

    primals_out = tree.unflatten(out_tree, [_to_output(x) for x in out_primals[:n]])
    if has_aux:
        return (
            primals_out,
            f_jvp,
            tree.unflatten(store["aux_tree"], [_to_output(x) for x in out_primals[n:]]),
        )
    return primals_out, f_jvp


def instantiate_or(t):
    return t.instantiate() if type(t) is Zero else t


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """Reverse mode: evaluate ``fun`` and return a function pulling cotangents back to inputs.

    Implemented as [`linearize`][ftrans.linearize] (JVP + partial evaluation) followed by
    transposition of the linear jaxpr, so only JVP rules exist for nonlinear primitives.

    Returns:
        ``(primals_out, vjp_fn)`` (plus ``aux`` with has_aux); ``vjp_fn(cotangent)`` returns a
        tuple with one cotangent per primal (zeros of dtype ``float0`` for integer inputs).

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> y, f_vjp = ft.vjp(lambda a, b: fnp.log(a) + a * b - fnp.sin(b), 2.0, 5.0)
        >>> [round(float(g), 4) for g in f_vjp(1.0)]
        [5.5, 1.7163]
    """
    return _vjp(fun, primals, has_aux, f"vjp({fun_name(fun)})")


def _vjp(fun, primals, has_aux, name):
    _, p_tree, store, out_primals, linear = _linearize(fun, primals, name, has_aux)
    n = store["n_out"]
    out_tree = store["out_tree"]
    out_avals = linear.out_avals

    def vjp_fn(cotangent):
        ct_leaves, ct_tree = tree.flatten(cotangent)
        if ct_tree != out_tree:
            raise ValueError(
                f"{name}: the cotangent has structure {ct_tree} but {fun_name(fun)} returned "
                f"structure {out_tree}; pass one cotangent per output leaf."
            )
        cts = []
        for i, (ct, aval) in enumerate(zip(ct_leaves, out_avals, strict=True)):
            ca = get_aval(ct)
            if ca.shape != aval.shape:
                raise ValueError(
                    f"{name}: cotangent leaf {i} has shape {ca.shape} but the output has shape "
                    f"{aval.shape}."
                )
            if not is_float_dtype(aval.dtype):
                ct = np.zeros(aval.shape, aval.dtype)  # integer outputs carry no cotangent
            elif type(ct) in (float, int) or (
                ca.dtype != aval.dtype and not isinstance(ct, Tracer)
            ):
                ct = np.asarray(ct, dtype=aval.dtype)
            cts.append(ct)
        return _pull_back(linear, cts, p_tree)

    primals_out = tree.unflatten(out_tree, [_to_output(x) for x in out_primals[:n]])
    if has_aux:
        aux = tree.unflatten(store["aux_tree"], [_to_output(x) for x in out_primals[n:]])
        return primals_out, vjp_fn, aux
    return primals_out, vjp_fn


def _pull_back(linear, cts, p_tree):
    live_cts = [ct for ct, zero in zip(cts, linear.out_zero, strict=True) if not zero]
    results = backward_pass(
        linear.jaxpr, linear.consts, [True] * len(linear.jaxpr.invars), live_cts, all_linear=True
    )
    it = iter(results)
    grads = []
    for aval, diff in zip(linear.in_avals, linear.in_differentiable, strict=True):
        if diff:
            g = next(it)
            grads.append(_to_output(g.instantiate() if type(g) is Zero else g))
        else:
            grads.append(np.zeros(aval.shape, float0))
    return tuple(tree.unflatten(p_tree, grads))


# ----------------------------------------------------------------------------- grad


def value_and_grad(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable:
    """Like [`grad`][ftrans.grad], but the returned function gives ``(value, gradient)``.

    With ``has_aux=True`` it gives ``((value, aux), gradient)``.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> value, g = ft.value_and_grad(lambda x: (x ** 2).sum())(fnp.array([1.0, 2.0]))
        >>> float(value), g.tolist()
        (5.0, [2.0, 4.0])
    """
    name = f"grad({fun_name(fun)})"
    single = isinstance(argnums, int)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        partial, primals = differentiable_args(
            fun, args, kwargs, argnums, name, complex_inputs="require" if holomorphic else "allow"
        )
        out = _vjp(partial, primals, has_aux, name)
        if has_aux:
            value, vjp_fn, aux = out
        else:
            value, vjp_fn = out
        _check_scalar_output(value, name, holomorphic)
        grads = vjp_fn(np.ones((), get_aval(value).dtype))
        g = grads[0] if single else grads
        return ((value, aux), g) if has_aux else (value, g)

    return wrapped


def grad(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable:
    r"""Reverse-mode gradient of a scalar-valued function.

    For a real-valued ``fun`` of a complex $z = x + iy$ the gradient is JAX's
    $\partial f / \partial x - i \, \partial f / \partial y$ (the conjugate of the
    steepest-ascent direction), so gradient descent steps
    $z - \eta \, \overline{\nabla f(z)}$ with $\nabla f$ = ``grad(f)`` and $\eta$ the learning
    rate; see the complex numbers guide.

    Args:
        fun: function returning a real scalar (a 0-d float array); pytree arguments allowed.
        argnums: which positional argument(s) to differentiate; an int gives one gradient, a
            tuple gives a tuple of gradients.
        has_aux: ``fun`` returns ``(loss, aux)``; the new function returns ``(grad, aux)``.
        holomorphic: ``fun`` is a holomorphic function of complex inputs with a complex scalar
            output; the result is its complex derivative ``f'(z)``.

    Returns:
        A function with ``fun``'s signature returning gradients shaped like the arguments.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> def f(x1, x2):
        ...     return fnp.log(x1) + x1 * x2 - fnp.sin(x2)
        >>> [round(float(g), 4) for g in ft.grad(f, argnums=(0, 1))(2.0, 5.0)]
        [5.5, 1.7163]
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        out, g = vg(*args, **kwargs)
        return (g, out[1]) if has_aux else g

    return wrapped


def differentiable_args(fun, args, kwargs, argnums, name, complex_inputs="allow"):
    """Validate ``argnums`` against a call and split it: ``(partial, primals)`` where
    ``partial(*primals)`` calls ``fun`` with the other arguments held fixed.

    ``complex_inputs`` is ``"allow"`` (real or complex floats), ``"forbid"`` (real floats; the
    error points to ``holomorphic=True``) or ``"require"`` (complex only, for holomorphic=True).
    """
    nums = _as_tuple(argnums)
    for i in nums:
        if not -len(args) <= i < len(args):
            raise ValueError(
                f"{name}: argnums={argnums!r} refers to argument {i}, but the function was "
                f"called with {len(args)} positional argument(s)."
            )
    positions = [i % len(args) for i in nums]
    for i in positions:
        tree.check_leaves(args[i], what=f"{name}: argument {i}", is_valid=_is_leaf_value)
        _check_differentiable(args[i], i, name, complex_inputs)

    def partial(*diff_args):
        full = list(args)
        for i, a in zip(positions, diff_args, strict=True):
            full[i] = a
        return fun(*full, **kwargs)

    partial.__name__ = fun_name(fun)
    return partial, tuple(args[i] for i in positions)


def _check_differentiable(arg, index, name, complex_inputs="allow"):
    for path, leaf in tree.leaves_with_path(arg):
        if not _is_leaf_value(leaf):
            continue  # check_leaves reports it with its path
        dtype = leaf.dtype if hasattr(leaf, "dtype") else get_aval(leaf).dtype
        where = f" at {tree.keystr(path)}" if path else ""
        is_complex = np.issubdtype(dtype, np.complexfloating)
        if complex_inputs == "require" and not is_complex:
            raise TypeError(
                f"{name}: argument {index}{where} has dtype {np.dtype(dtype).name}, but "
                "holomorphic=True needs complex inputs. Pass complex values (e.g. "
                "x.astype(complex)), or drop holomorphic=True for a real function."
            )
        if is_complex and complex_inputs == "forbid":
            raise TypeError(
                f"{name}: argument {index}{where} has dtype {np.dtype(dtype).name}; this "
                "transformation needs real inputs unless the function is holomorphic. Pass "
                "holomorphic=True for a holomorphic function, or split z into real and "
                "imaginary parts (fnp.real(z), fnp.imag(z)) and differentiate with respect to "
                "those."
            )
        if not (np.issubdtype(dtype, np.floating) or is_complex):
            raise TypeError(
                f"{name}: argument {index}{where} has dtype {np.dtype(dtype).name}; gradients "
                "are defined only for floating-point (real or complex) inputs. Pass floats (e.g. "
                "x.astype(float) or 2.0 instead of 2), or leave the argument out of argnums."
            )


def _check_scalar_output(value, name, holomorphic=False):
    if not _is_leaf_value(value):
        raise TypeError(
            f"{name} needs the function to return one scalar, but it returned a "
            f"{type(value).__name__}. Return the loss alone (use has_aux=True to return "
            "(loss, aux)), or use ft.vjp for non-scalar outputs."
        )
    aval = get_aval(value)
    if aval.shape == () and holomorphic and not np.issubdtype(aval.dtype, np.complexfloating):
        raise TypeError(
            f"{name} was given holomorphic=True, so the function must return a complex scalar, "
            f"but it returned {aval.str_short()}. Drop holomorphic=True for a real-valued "
            "function."
        )
    if aval.shape == () and not holomorphic and np.issubdtype(aval.dtype, np.complexfloating):
        raise TypeError(
            f"{name} needs a real scalar output, but the function returned {aval.str_short()}. "
            "For a holomorphic function pass holomorphic=True (grad(f, holomorphic=True)) to "
            "get f'(z); otherwise differentiate a real quantity such as fnp.abs(y) ** 2 or "
            "fnp.real(y), or use ft.vjp(f, z) for a vector-Jacobian product."
        )
    if aval.shape != () or not np.issubdtype(aval.dtype, np.inexact):
        raise TypeError(
            f"{name} needs a real scalar output, but the function returned "
            f"{aval.str_short()} (shape {aval.shape}). Reduce it inside the function (e.g. "
            "loss.sum() or loss.mean()), use ft.vjp(f, x) for vector-Jacobian products, or "
            "ft.jacrev(f) for the full Jacobian."
        )


# ----------------------------------------------------------------------------- stop_gradient


def stop_gradient(x: Any) -> Any:
    """The value of ``x`` (any pytree) with a zero derivative in every transformation.

    Examples:
        >>> import ftrans as ft
        >>> float(ft.grad(lambda x: x * ft.stop_gradient(x))(3.0))
        3.0
    """
    from ftrans.primitives.elementwise import stop_gradient as stop

    def leaf(v):
        if isinstance(v, Tracer) or (hasattr(v, "dtype") and is_float_dtype(v.dtype)):
            return stop(v)
        return v

    return tree.map(leaf, x)


__all__ = [
    "FtransError",
    "ShapeDtypeStruct",
    "float0",
    "grad",
    "jvp",
    "linearize",
    "make_jaxpr",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]
