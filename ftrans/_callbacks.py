"""Calling back into Python from traced code: ``debug_callback`` (for its effect, e.g. printing)
and ``pure_callback`` (a pure function computed by NumPy/SciPy outside ftrans).

Both primitives carry every rule here. ``debug_callback`` returns nothing, so it is marked
effectful (`ftrans.core.EFFECTFUL`): dead-code elimination keeps it (and any
``jit``/``scan``/``cond`` holding it) and common-subexpression elimination never merges two.
``pure_callback`` is pure: an unused result may be dropped, as in JAX.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.compiler.numpy_rules import impl_call
from ftrans.core import EFFECTFUL, Primitive, ShapedArray
from ftrans.errors import FtransError
from ftrans.primitives._batch import batch_size, to_front


class CallbackError(FtransError, TypeError):
    """A callback returned the wrong structure/shape/dtype, or was used where it cannot be."""


class _Flat:
    """The user's callback as a function of flat leaves (a param: hashed by identity)."""

    __slots__ = ("fn", "in_tree")

    def __init__(self, fn: Callable[..., Any], in_tree: Any):
        self.fn, self.in_tree = fn, in_tree

    def __call__(self, leaves: list[Any]) -> Any:
        args, kwargs = tree.unflatten(self.in_tree, leaves)
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return getattr(self.fn, "__name__", "callback")


def _statement_lowering(em, eqn, args):
    """Lower as a call of the implementation (the callback runs in the generated code)."""
    expr = impl_call(em, eqn, args)
    outs = [em.bind(v) for v in eqn.outputs]
    if not outs:
        return f"    {expr}"
    return f"    {', '.join(outs)}, = {expr}"


def _lowering():
    def lower(args, **params):
        raise TypeError("callbacks lower through lower.emit")

    lower.emit = _statement_lowering
    return lower


def _example(vals, dims, i):
    return [v if d is None else to_front(v, d, None)[i] for v, d in zip(vals, dims, strict=True)]


# ----------------------------------------------------------------------------- debug_callback

debug_callback_p = Primitive("debug_callback", multiple_results=True)
EFFECTFUL.add(debug_callback_p)


def _debug_impl(*args, callback):
    callback([np.asarray(a) for a in args])
    return []


def _debug_jvp(primals, tangents, *, callback):
    debug_callback_p.bind(*primals, callback=callback)  # seen on primal values, like JAX
    return [], []


def _debug_batch(vals, dims, *, callback):
    # One call per example, in order (as JAX's debug callbacks under vmap).
    for i in range(batch_size(vals, dims)):
        debug_callback_p.bind(*_example(vals, dims, i), callback=callback)
    return [], []


debug_callback_p.impl = _debug_impl
debug_callback_p.abstract_eval = lambda *avals, callback: []
debug_callback_p.jvp = _debug_jvp
debug_callback_p.batch = _debug_batch
debug_callback_p.lower = _lowering()


def debug_callback(callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Bind ``debug_callback`` so ``callback(*args, **kwargs)`` runs on concrete values."""
    leaves, in_tree = tree.flatten((args, kwargs))
    debug_callback_p.bind(*leaves, callback=_Flat(callback, in_tree))


# ----------------------------------------------------------------------------- pure_callback

pure_callback_p = Primitive("pure_callback", multiple_results=True)

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all")


def _check_result(out: Any, callback: _Flat, result_avals, out_tree) -> list[np.ndarray]:
    leaves, got_tree = tree.flatten(out)
    name = repr(callback)
    if got_tree != out_tree:
        raise CallbackError(
            f"pure_callback({name}) returned a value of structure {got_tree}, but "
            f"result_shape_dtypes has structure {out_tree}; return exactly that structure."
        )
    arrays = []
    for i, (x, aval) in enumerate(zip(leaves, result_avals, strict=True)):
        x = np.asarray(x)
        if x.shape != aval.shape:
            raise CallbackError(
                f"pure_callback({name}): result leaf {i} has shape {x.shape}, but "
                f"result_shape_dtypes says {aval.shape}."
            )
        if x.dtype != aval.dtype:
            # JAX is strict here too: the declared dtype is what the traced program relies on
            raise CallbackError(
                f"pure_callback({name}): result leaf {i} has dtype {x.dtype}, but "
                f"result_shape_dtypes says {aval.dtype}; convert it in the callback "
                f"(np.asarray(result, np.{aval.dtype.name}))."
            )
        arrays.append(x)
    return arrays


def _pure_impl(*args, callback, result_avals, out_tree, vmap_method):
    out = callback([np.asarray(a) for a in args])
    return _check_result(out, callback, result_avals, out_tree)


def _pure_jvp(primals, tangents, **params):
    raise CallbackError(
        f"pure_callback({params['callback']!r}) has no derivative: ftrans cannot look inside a "
        "Python callback. Wrap the call in ft.custom_jvp (or ft.custom_vjp) and give its "
        "derivative there, e.g. with another pure_callback."
    )


def _pure_batch(vals, dims, *, callback, result_avals, out_tree, vmap_method):
    import ftrans.numpy as fnp

    size = batch_size(vals, dims)
    params = {"callback": callback, "out_tree": out_tree, "vmap_method": vmap_method}
    if vmap_method is None:
        raise NotImplementedError(
            f"pure_callback({callback!r}) under vmap needs vmap_method=: 'sequential' (one call "
            "per example), 'expand_dims' (one call; unbatched inputs get a leading axis of size "
            "1) or 'broadcast_all' (one call; every input gets the full batch axis)."
        )
    if vmap_method in ("sequential", "sequential_unrolled"):
        outs = [
            pure_callback_p.bind(*_example(vals, dims, i), result_avals=result_avals, **params)
            for i in range(size)
        ]
        if not result_avals:
            return [], []
        stacked = [fnp.stack([o[k] for o in outs]) for k in range(len(result_avals))]
        return stacked, [0] * len(stacked)
    front = []
    for v, d in zip(vals, dims, strict=True):
        if d is not None:
            front.append(to_front(v, d, size))
        elif vmap_method == "expand_dims":
            front.append(fnp.expand_dims(v, 0))
        else:
            front.append(to_front(v, None, size))
    avals = tuple(ShapedArray((size, *a.shape), a.dtype) for a in result_avals)
    outs = pure_callback_p.bind(*front, result_avals=avals, **params)
    return list(outs), [0] * len(outs)


pure_callback_p.impl = _pure_impl
pure_callback_p.abstract_eval = lambda *avals, result_avals, **params: list(result_avals)
pure_callback_p.jvp = _pure_jvp
pure_callback_p.batch = _pure_batch
pure_callback_p.lower = _lowering()


def pure_callback(
    callback: Callable[..., Any],
    result_shape_dtypes: Any,
    *args: Any,
    sharding: Any = None,
    vmap_method: str | None = None,
    **kwargs: Any,
) -> Any:
    """Call a pure Python function on concrete NumPy values from inside any transform.

    ``callback(*args, **kwargs)`` receives NumPy arrays and must return a pytree matching
    ``result_shape_dtypes`` (leaves with ``.shape`` and ``.dtype``, e.g. `ShapeDtypeStruct`),
    with exactly those shapes and dtypes. Under ``jit`` the generated code calls it; being pure,
    it is skipped when its result is unused. It has no derivative: wrap it in `custom_jvp`.

    Args:
        callback: the Python function.
        result_shape_dtypes: the result's structure, shapes and dtypes.
        *args: arguments (pytrees of arrays) passed to ``callback``.
        sharding: accepted for JAX compatibility (one CPU device), ignored.
        vmap_method: what ``vmap`` does: ``'sequential'`` (or ``'sequential_unrolled'``) calls
            ``callback`` once per example and stacks the results; ``'expand_dims'`` calls it
            once with batched inputs' batch axis first and a size-1 leading axis added to
            unbatched ones; ``'broadcast_all'`` does the same with unbatched inputs repeated
            to the batch size. With ``None`` (the default) ``vmap`` raises an error, as JAX 0.10.
        **kwargs: keyword arguments passed to ``callback``.

    Returns:
        A pytree of arrays of the structure of ``result_shape_dtypes``.

    Examples:
        >>> import numpy as np, scipy.special, ftrans as ft
        >>> def bessel_j0(x):
        ...     out = ft.ShapeDtypeStruct(x.shape, x.dtype)
        ...     return ft.pure_callback(scipy.special.j0, out, x, vmap_method="expand_dims")
        >>> ft.jit(bessel_j0)(np.array([0.0, 1.0])).round(4).tolist()
        [1.0, 0.7652]
        >>> ft.vmap(bessel_j0)(np.array([0.0, 2.0])).round(4).tolist()
        [1.0, 0.2239]
    """
    if vmap_method not in (None, *VMAP_METHODS):
        raise ValueError(
            f"pure_callback: vmap_method={vmap_method!r} is not one of {(None, *VMAP_METHODS)}."
        )
    leaves, in_tree = tree.flatten((args, kwargs))
    shapes, out_tree = tree.flatten(result_shape_dtypes)
    result_avals = []
    for i, s in enumerate(shapes):
        if not (hasattr(s, "shape") and hasattr(s, "dtype")):
            raise CallbackError(
                f"pure_callback: leaf {i} of result_shape_dtypes is a {type(s).__name__}, which "
                "has no shape and dtype; use ft.ShapeDtypeStruct(shape, dtype)."
            )
        result_avals.append(ShapedArray(tuple(s.shape), np.dtype(s.dtype)))
    outs = pure_callback_p.bind(
        *leaves,
        callback=_Flat(callback, in_tree),
        result_avals=tuple(result_avals),
        out_tree=out_tree,
        vmap_method=vmap_method,
    )
    return tree.unflatten(out_tree, list(outs))
