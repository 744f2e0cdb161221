"""Finite differences: forward/central differences, numerical JVPs, gradients, Jacobians."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ftrans import api, tree

# ----------------------------------------------------------------------------- leaves & trees


def _is_real_float(x: Any) -> bool:
    return np.issubdtype(np.asarray(x).dtype, np.floating)


def _is_inexact(x: Any) -> bool:
    """Real or complex floats: what finite differences can step along (complex tangents are
    complex directions, so numerical_jvp matches ``ftrans.jvp`` on complex functions)."""
    return np.issubdtype(np.asarray(x).dtype, np.inexact)


@dataclasses.dataclass(frozen=True)
class _Flat:
    """A pytree taken apart: its leaves as arrays, and a readable name for each leaf."""

    treedef: tree.PyTreeDef
    leaves: list[np.ndarray]
    names: list[str]

    def rebuild(self, leaves: Sequence[Any]) -> Any:
        return tree.unflatten(self.treedef, list(leaves))


def _flatten_args(args: tuple, what: str, argnums: Sequence[int] | None = None) -> _Flat:
    """Flatten a tuple of argument pytrees; leaves are named like ``argument 1 ['w']``."""
    tree.check_leaves(args, what=what)
    pairs, treedef = tree.flatten_with_path(args)
    names = []
    for path, _ in pairs:
        index = path[0].idx if argnums is None else argnums[path[0].idx]
        rest = f" {tree.keystr(path[1:])}" if len(path) > 1 else ""
        names.append(f"argument {index}{rest}")
    return _Flat(treedef, [np.asarray(x) for _, x in pairs], names)


def _flatten_out(out: Any, what: str) -> _Flat:
    """Flatten an output pytree; leaves are named like ``output ['loss']`` or ``the output``."""
    tree.check_leaves(out, what=what)
    pairs, treedef = tree.flatten_with_path(out)
    names = [f"output {tree.keystr(p)}" if p else "the output" for p, _ in pairs]
    return _Flat(treedef, [np.asarray(x) for _, x in pairs], names)


def _flat_fun(f: Callable, treedef: tree.PyTreeDef) -> Callable:
    """``f`` as a function of the flat leaves of its arguments (so None nodes never meet jvp)."""

    def flat(*leaves):
        return f(*tree.unflatten(treedef, list(leaves)))

    flat.__name__ = api.fun_name(f)
    return flat


def _check_args_tuple(args: Any, caller: str, what: str = "args") -> tuple:
    if not isinstance(args, (tuple, list)):
        raise TypeError(
            f"{caller}: {what} must be a tuple of arguments, got {type(args).__name__}; "
            f"write {caller}(f, (x,)) for a function of one argument."
        )
    return tuple(args)


# ----------------------------------------------------------------------------- differences


def _as_float_array(x: Any) -> np.ndarray:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.inexact) else x.astype(np.float64)


def _single_output(caller: str) -> Callable[[_Flat], None]:
    def check(out: _Flat) -> None:
        if out.names != ["the output"]:
            raise TypeError(
                f"{caller} needs f to return one array, but it returned a pytree of structure "
                f"{out.treedef}; use numerical_jacobian or numerical_jvp for pytree outputs."
            )

    return check


def _positions(argnums: int | Sequence[int], n_args: int, name: str) -> list[int]:
    nums = [argnums] if isinstance(argnums, int) else list(argnums)
    for i in nums:
        if not -n_args <= i < n_args:
            raise ValueError(
                f"{name}: argnums={argnums!r} refers to argument {i}, but the function was "
                f"called with {n_args} positional argument(s)."
            )
    return [i % n_args for i in nums]


def _jacobian_blocks(
    f: Callable,
    args: tuple,
    kwargs: dict,
    argnums: int | Sequence[int],
    eps: float,
    name: str,
    central: bool = True,
    check_output: Callable[[_Flat], None] | None = None,
) -> tuple[_Flat, _Flat, list[list[np.ndarray]]]:
    """One finite difference per input coordinate; returns ``(out, inputs, blocks)``.

    ``blocks[o][k]`` is the Jacobian of output leaf ``o`` by input leaf ``k``, of shape
    ``out_leaf.shape + in_leaf.shape``. ``check_output(out)`` vets the unperturbed output first.
    """
    positions = _positions(argnums, len(args), name)
    flat = _flatten_args(tuple(args[i] for i in positions), f"{name}: its arguments", positions)
    for x, leaf_name in zip(flat.leaves, flat.names, strict=True):
        if not _is_real_float(x):
            raise TypeError(
                f"{name}: {leaf_name} has dtype {x.dtype}; derivatives are defined only for "
                "real floating-point inputs. Pass floats, or leave the argument out of argnums."
            )

    def call(leaves):
        full = list(args)
        for i, value in zip(positions, flat.rebuild(leaves), strict=True):
            full[i] = value
        return f(*full, **kwargs)

    fname = api.fun_name(f)
    base = call(flat.leaves)
    out = _flatten_out(base, f"the output of {fname}")
    if check_output is not None:
        check_output(out)
    blocks = [[None] * len(flat.leaves) for _ in out.leaves]
    for k, x in enumerate(flat.leaves):
        columns = [np.zeros((*y.shape, x.size), y.dtype) for y in out.leaves]
        for j in range(x.size):
            plus, minus = list(flat.leaves), list(flat.leaves)
            plus[k] = x.copy()  # a fresh copy: the caller's arrays are never written to
            plus[k].reshape(-1)[j] += eps
            if central:
                minus[k] = x.copy()
                minus[k].reshape(-1)[j] -= eps
            # Divide by the step actually taken: x + eps is rounded (noticeably in float32).
            step = float(plus[k].reshape(-1)[j]) - float(minus[k].reshape(-1)[j])
            diff = _difference(call(plus), call(minus) if central else base, step, fname)
            if diff.treedef != out.treedef:
                raise ValueError(f"{fname} changed its output structure as {flat.names[k]} moved.")
            for o, d in enumerate(diff.leaves):
                columns[o][..., j] = d
        for o, y in enumerate(out.leaves):
            blocks[o][k] = columns[o].reshape(y.shape + x.shape)
    return out, flat, blocks


def forward_difference(f: Callable, x: Any, eps: float = 1e-6) -> np.ndarray:
    """The Jacobian of ``f`` at ``x`` by forward differences ``(f(x + eps e_i) - f(x)) / eps``.

    The error is ``O(eps)``; prefer [`central_difference`][ftrans.numerical.central_difference]
    (``O(eps^2)``) except to show the difference.

    Args:
        f: maps an array (or scalar) to an array (or scalar).
        x: the point; integer inputs are promoted to float64.
        eps: the step.

    Returns:
        An array of shape ``f(x).shape + x.shape`` (0-d for a scalar-to-scalar ``f``).

    Examples:
        >>> import numpy as np
        >>> print(np.round(forward_difference(np.exp, 0.0, eps=1e-3), 6))
        1.0005
    """
    caller = "forward_difference"
    blocks = _jacobian_blocks(
        f, (_as_float_array(x),), {}, 0, eps, caller, False, _single_output(caller)
    )[2]
    return blocks[0][0]


def central_difference(f: Callable, x: Any, eps: float = 1e-6, direction: Any = None) -> np.ndarray:
    """The Jacobian (or one directional derivative) of ``f`` at ``x`` by central differences.

    Without ``direction`` each column is ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``; with
    it, the result is ``(f(x + eps d) - f(x - eps d)) / (2 eps)``, an estimate of ``J d``.
    Either way the error is ``O(eps^2)``.

    Args:
        f: maps an array (or scalar) to an array (or scalar).
        x: the point; integer inputs are promoted to float64.
        eps: the step.
        direction: optional array of ``x``'s shape.

    Returns:
        Shape ``f(x).shape + x.shape`` without ``direction``, ``f(x).shape`` with it.

    Examples:
        The seed's worked example, ``y = ln(x1) + x1 x2 - sin(x2)`` at ``(2, 5)``:

        >>> import numpy as np
        >>> f = lambda x: np.log(x[0]) + x[0] * x[1] - np.sin(x[1])
        >>> print(np.round(central_difference(f, np.array([2.0, 5.0])), 6))
        [5.5      1.716338]
        >>> print(np.round(central_difference(f, np.array([2.0, 5.0]), direction=[0.0, 2.0]), 6))
        3.432676
        >>> central_difference(lambda v: np.outer(v, v), np.ones(3)).shape
        (3, 3, 3)
    """
    caller = "central_difference"
    x = _as_float_array(x)
    if direction is None:
        return _jacobian_blocks(f, (x,), {}, 0, eps, caller, True, _single_output(caller))[2][0][0]
    d = np.asarray(direction)
    if d.shape != x.shape:
        raise ValueError(
            f"central_difference: direction has shape {d.shape} but x has shape {x.shape}; "
            "they must match."
        )
    (plus,), (minus,), _ = _perturb([x], [d], eps)
    diff = _difference(f(plus), f(minus), 2 * eps, api.fun_name(f))
    _single_output(caller)(diff)
    return diff.leaves[0]


def _perturb(leaves: list[np.ndarray], tangents: list[Any], eps: float):
    """``x + eps t`` and ``x - eps t`` leaf by leaf (new arrays, in each leaf's dtype).

    Also returns the tangent actually realised after rounding, ``(plus - minus) / (2 eps)`` in
    float64, which the checkers hand to ft so both sides differentiate along the same line.
    """
    plus, minus, realised = [], [], []
    for x, t in zip(leaves, tangents, strict=True):
        if t is None:
            plus.append(x)
            minus.append(x)
            realised.append(None)
            continue
        hi = np.asarray(x + eps * t, x.dtype)
        lo = np.asarray(x - eps * t, x.dtype)
        plus.append(hi)
        minus.append(lo)
        wide = np.complex128 if hi.dtype.kind == "c" else np.float64
        realised.append((hi.astype(wide) - lo.astype(wide)) / (2 * eps))
    return plus, minus, realised


def _difference(high: Any, low: Any, step: float, fname: str) -> _Flat:
    """``(high - low) / step`` for float output leaves; non-float leaves get zeros."""
    hi = _flatten_out(high, f"the output of {fname}")
    lo = _flatten_out(low, f"the output of {fname}")
    if hi.treedef != lo.treedef:
        raise ValueError(
            f"{fname} returned structure {hi.treedef} at one perturbed point and {lo.treedef} at "
            "the other; finite differences need the same output structure everywhere."
        )
    leaves = [
        (a - b) / step if _is_inexact(a) else np.zeros_like(a)
        for a, b in zip(hi.leaves, lo.leaves, strict=True)
    ]
    return dataclasses.replace(hi, leaves=leaves)


def _tangent_leaves(primals: _Flat, primals_tree: Any, tangents: Any, caller: str) -> list:
    """One tangent (or None) per primal leaf; None also for leaves that are not real floats."""
    flat = tree.broadcast_prefix(
        tangents, primals_tree, prefix_name="tangents", full_name="primals"
    )
    out = []
    for x, t, name in zip(primals.leaves, flat, primals.names, strict=True):
        if t is None or not _is_inexact(x):
            out.append(None)
            continue
        t = np.asarray(t)
        if t.shape != x.shape:
            raise ValueError(
                f"{caller}: the tangent for {name} has shape {t.shape} but the primal has shape "
                f"{x.shape}; each tangent must have its primal's shape."
            )
        out.append(t)
    return out


def numerical_jvp(f: Callable, primals: Sequence, tangents: Sequence, eps: float = 1e-6) -> Any:
    """The output tangent of ``f`` along ``tangents``, by one central difference.

    Computes ``(f(*(primals + eps tangents)) - f(*(primals - eps tangents))) / (2 eps)`` leaf
    by leaf, the numerical counterpart of ``ftrans.jvp(f, primals, tangents)[1]``. Leaves that
    are not floats (real or complex) are held fixed, and non-float outputs get zero tangents.

    Args:
        f: function of ``len(primals)`` positional pytree arguments, returning a pytree.
        primals: tuple of arguments.
        tangents: tuple of tangents shaped like ``primals`` (``None`` means a zero tangent).
        eps: the step.

    Returns:
        A pytree shaped like ``f``'s output.

    Examples:
        >>> import ftrans.numpy as fnp
        >>> f = lambda a, b: fnp.log(a) + a * b - fnp.sin(b)
        >>> round(float(numerical_jvp(f, (2.0, 5.0), (1.0, 0.0))), 6)
        5.5
    """
    primals = _check_args_tuple(primals, "numerical_jvp", "primals")
    tangents = _check_args_tuple(tangents, "numerical_jvp", "tangents")
    flat = _flatten_args(primals, "numerical_jvp: primals")
    t = _tangent_leaves(flat, primals, tangents, "numerical_jvp")
    plus, minus, _ = _perturb(flat.leaves, t, eps)
    fname = api.fun_name(f)
    diff = _difference(f(*flat.rebuild(plus)), f(*flat.rebuild(minus)), 2 * eps, fname)
    return diff.rebuild(diff.leaves)


# ----------------------------------------------------------------------------- grad & jacobian


def numerical_jacobian(
    f: Callable, argnums: int | Sequence[int] = 0, eps: float = 1e-6
) -> Callable:
    """A function computing the Jacobian of ``f`` by per-coordinate central differences.

    For an array input and output the Jacobian has shape ``out.shape + in.shape``. With pytrees
    the result is nested like JAX's ``jacobian``: the output's tree, holding at each output leaf
    a tree shaped like the differentiated argument (a tuple of them when ``argnums`` is a
    tuple) whose leaves have shape ``out_leaf.shape + in_leaf.shape``.

    Args:
        f: function of positional pytree arguments (keyword arguments are passed through).
        argnums: which positional argument(s) to differentiate.
        eps: the step.

    Returns:
        A function with ``f``'s signature returning the Jacobian. It costs two evaluations of
        ``f`` per input coordinate.

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> jac = numerical_jacobian(lambda x: fnp.sin(x) * 2.0)(np.zeros(2))
        >>> print(np.round(jac, 6))
        [[2. 0.]
         [0. 2.]]
        >>> jac = numerical_jacobian(lambda p: {'y': p['a'] * p['b']})({'a': 2.0, 'b': np.ones(3)})
        >>> jac['y']['a'].shape, jac['y']['b'].shape
        ((3,), (3, 3))
    """
    name = f"numerical_jacobian({api.fun_name(f)})"

    @functools.wraps(f)
    def jacobian_fn(*args, **kwargs):
        out, flat, blocks = _jacobian_blocks(f, args, kwargs, argnums, eps, name)
        per_output = [flat.rebuild(row) for row in blocks]
        if isinstance(argnums, int):
            per_output = [row[0] for row in per_output]
        return out.rebuild(per_output)

    return jacobian_fn


def numerical_grad(f: Callable, argnums: int | Sequence[int] = 0, eps: float = 1e-6) -> Callable:
    """A function computing the gradient of a scalar-valued ``f`` by central differences.

    Args:
        f: function returning a real scalar; pytree arguments allowed.
        argnums: which positional argument(s) to differentiate; an int gives one gradient, a
            tuple gives a tuple of gradients.
        eps: the step.

    Returns:
        A function with ``f``'s signature returning gradients shaped like the arguments.

    Raises:
        TypeError: (when called) ``f`` does not return a real scalar.

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> loss = lambda p: fnp.sum(p['w'] ** 2) + 3.0 * p['b']
        >>> g = numerical_grad(loss)({'w': np.array([1.0, -2.0]), 'b': 0.5})
        >>> np.round(g['w'], 6).tolist(), round(float(g['b']), 6)
        ([2.0, -4.0], 3.0)
    """
    name = f"numerical_grad({api.fun_name(f)})"

    def check_scalar(out: _Flat) -> None:
        if out.names != ["the output"]:
            got = f"a pytree of structure {out.treedef}"
        elif out.leaves[0].shape != () or not _is_real_float(out.leaves[0]):
            got = f"an array of shape {out.leaves[0].shape} and dtype {out.leaves[0].dtype}"
        else:
            return
        raise TypeError(
            f"{name} needs f to return one real floating-point scalar, but it returned {got}. "
            "Reduce it inside f (e.g. .sum()), or use numerical_jacobian or numerical_jvp."
        )

    @functools.wraps(f)
    def grad_fn(*args, **kwargs):
        _, flat, blocks = _jacobian_blocks(f, args, kwargs, argnums, eps, name, True, check_scalar)
        grads = flat.rebuild(blocks[0])
        return grads[0] if isinstance(argnums, int) else grads

    return grad_fn
