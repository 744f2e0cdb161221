"""Finite differences, and the checkers that test ftrans's derivatives (and users' rules) with them.

Numerical differentiation is too slow and too inexact to train with, but it makes a good unit
test of automatic differentiation: along a random direction ``t`` from the unit ball,
``(f(x + eps t) - f(x - eps t)) / (2 eps)`` must agree with ``jvp(f, x, t)`` up to ``O(eps^2)``.
The finite differences here are plain NumPy arithmetic on eager evaluations of ``f``; the
checkers (`check_jvp`, `check_vjp`, `check_grads`) compare them with `ftrans.jvp` and
`ftrans.vjp` and raise an `AssertionError` that says what disagreed, where, and by how much.
"""

from __future__ import annotations

import dataclasses
import functools
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ftrans import api, tree

__all__ = [
    "central_difference",
    "check_grads",
    "check_jvp",
    "check_vjp",
    "forward_difference",
    "numerical_grad",
    "numerical_jacobian",
    "numerical_jvp",
]

# ----------------------------------------------------------------------------- leaves & trees


def _is_real_float(x: Any) -> bool:
    return np.issubdtype(np.asarray(x).dtype, np.floating)


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

    The error is ``O(eps)``; prefer :func:`central_difference` (``O(eps^2)``) except to show
    the difference.

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
        realised.append((hi.astype(np.float64) - lo.astype(np.float64)) / (2 * eps))
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
        (a - b) / step if _is_real_float(a) else np.zeros_like(a)
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
        if t is None or not _is_real_float(x):
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
    are not real floats are held fixed, and non-float outputs get zero tangents.

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


# ----------------------------------------------------------------------------- checkers


class _Tolerance(NamedTuple):
    eps: float
    atol: float
    rtol: float

    def __str__(self) -> str:
        return f"atol={self.atol:g}, rtol={self.rtol:g}"


class _Context(NamedTuple):
    """What a failing check says about itself: who ran it, on which function, at which order."""

    caller: str
    what: str
    order: int
    seed: int
    overrides: tuple[float | None, float | None, float | None]  # eps, atol, rtol


# (eps, atol = rtol) by the bits of the least precise float taking part. eps near the cube
# root of the machine epsilon balances truncation (eps^2) against rounding (1/eps).
_DEFAULTS = {16: (1e-1, 1e-1), 32: (1e-3, 1e-2), 64: (1e-6, 1e-5)}


def _tolerance(values: Sequence[Any], ctx: _Context) -> _Tolerance:
    bits = min([np.finfo(np.asarray(v).dtype).bits for v in values if _is_real_float(v)] + [64])
    defaults = _DEFAULTS[bits]
    eps, atol, rtol = ctx.overrides
    return _Tolerance(
        defaults[0] if eps is None else eps,
        defaults[1] if atol is None else atol,
        defaults[1] if rtol is None else rtol,
    )


def _agree(a: Any, b: Any, tol: _Tolerance, scale: float = 0.0) -> np.ndarray:
    """Elementwise ``|a - b| <= atol + rtol * max(|a|, |b|, scale)``; equal or both-NaN agree."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= tol.atol + tol.rtol * np.maximum(np.maximum(abs(a), abs(b)), scale)
    return close | (a == b) | (np.isnan(a) & np.isnan(b))


def _unit_ball(rng: np.random.Generator, leaves: Sequence[np.ndarray]) -> list:
    """A point drawn uniformly from the unit ball spanned jointly by all real float leaves."""
    sizes = [x.size if _is_real_float(x) else 0 for x in leaves]
    n = sum(sizes)
    if n == 0:
        return [None] * len(leaves)
    v = rng.standard_normal(n)
    v *= rng.uniform() ** (1.0 / n) / np.linalg.norm(v)
    out, start = [], 0
    for x, size in zip(leaves, sizes, strict=True):
        out.append(v[start : start + size].reshape(x.shape) if _is_real_float(x) else None)
        start += size
    return out


def _cast(values: Sequence[Any], like: Sequence[np.ndarray]) -> list:
    return [
        None if v is None else np.asarray(v, x.dtype) for v, x in zip(values, like, strict=True)
    ]


def _zeros_for_none(values: Sequence[Any], like: Sequence[np.ndarray]) -> list:
    """Fill the gaps (non-float output leaves) with zeros, as vjp wants one cotangent per leaf."""
    return [np.zeros_like(x) if v is None else v for v, x in zip(values, like, strict=True)]


def _only(values: Sequence[Any], k: int) -> list:
    return [v if i == k else None for i, v in enumerate(values)]


def _dot(a: Sequence[Any], b: Sequence[Any]) -> tuple[float, float]:
    """``sum <a_i, b_i>`` over leaves present and real in both, and the sum of |its terms|."""
    total = size = 0.0
    for x, y in zip(a, b, strict=True):
        if x is None or y is None or not (_is_real_float(x) and _is_real_float(y)):
            continue
        terms = np.asarray(x, np.float64) * np.asarray(y, np.float64)
        total += float(np.sum(terms))
        size += float(np.sum(np.abs(terms)))
    return total, size


def _jvp_leaves(ff: Callable, flat: _Flat, tangents: Sequence[Any]) -> list:
    _, tangent_out = api.jvp(ff, tuple(flat.leaves), tuple(_cast(tangents, flat.leaves)))
    return _flatten_out(tangent_out, f"the output tangent of {ff.__name__}").leaves


def _fmt(x: Any, indent: int = 0) -> str:
    x = np.asarray(x)
    if x.ndim == 0 and np.issubdtype(x.dtype, np.number):
        return f"{x.item():.9g}"
    text = np.array2string(x, precision=6, threshold=24, edgeitems=3, max_line_width=88)
    return text.replace("\n", "\n" + " " * indent)


def _listing(title: str, names: Sequence[str], values: Sequence[Any]) -> list[str]:
    lines = [f"  {title}:"]
    for name, v in zip(names, values, strict=True):
        if v is not None:
            lines.append(f"    {name}: {_fmt(v, len(name) + 6)}")
    return lines


_DIRECTION = "direction t (uniform in the unit ball, seed={seed})"


def _fail(ctx: _Context, mode: str, problem: str, lines: list[str], hint: str) -> AssertionError:
    head = f"{ctx.caller}: {mode} check failed at order {ctx.order} for {ctx.what}: {problem}"
    tail = textwrap.fill(hint, width=96, initial_indent="  ", subsequent_indent="  ")
    return AssertionError("\n".join([head, *lines, tail]))


def _setup(f: Callable, args: tuple, ctx: _Context) -> tuple[_Flat, Callable]:
    flat = _flatten_args(args, f"{ctx.caller}: args")
    return flat, _flat_fun(f, flat.treedef)


# ----------------------------------------------------------------------------- forward mode


def _fwd_mismatches(ff: Callable, flat: _Flat, direction: list, tol: _Tolerance) -> tuple:
    """ft.jvp against central differences along ``direction``: the disagreeing output leaves."""
    plus, minus, realised = _perturb(flat.leaves, direction, tol.eps)
    numerical = _difference(ff(*plus), ff(*minus), 2 * tol.eps, ff.__name__)
    exact = _jvp_leaves(ff, flat, realised)
    bad = []
    for name, a, b in zip(numerical.names, exact, numerical.leaves, strict=True):
        if _is_real_float(b):
            ok = _agree(a, b, tol)
            if not np.all(ok):
                bad.append((name, a, b, ok))
    return bad, realised


def _check_jvp(f: Callable, args: tuple, rng: np.random.Generator, ctx: _Context) -> None:
    flat, ff = _setup(f, args, ctx)
    direction = _unit_ball(rng, flat.leaves)
    out = _flatten_out(ff(*flat.leaves), f"the output of {ff.__name__}")
    tol = _tolerance(flat.leaves + out.leaves, ctx)
    bad, realised = _fwd_mismatches(ff, flat, direction, tol)
    if not bad:
        return
    lines = []
    for name, exact, numerical, ok in bad:
        diff = np.abs(np.asarray(exact, np.float64) - numerical)
        badness = np.where(ok, -1.0, np.nan_to_num(diff, nan=np.inf))
        worst = np.unravel_index(np.argmax(badness), diff.shape)
        lines += [
            f"  {name} (shape {numerical.shape}, {numerical.dtype}):",
            f"    ft.jvp:    {_fmt(exact, 15)}",
            f"    numerical: {_fmt(numerical, 15)}",
            f"    |difference| = {_fmt(diff[worst])}"
            + (f" at index {tuple(int(i) for i in worst)}" if diff.ndim else "")
            + f", beyond the tolerance ({tol})",
        ]
    lines += _listing(_DIRECTION.format(seed=ctx.seed), flat.names, realised)
    perturbed = [k for k, t in enumerate(direction) if t is not None]
    if len(perturbed) > 1:
        alone = [_fwd_mismatches(ff, flat, _only(direction, k), tol)[0] for k in perturbed]
        culprits = [flat.names[k] for k, bad in zip(perturbed, alone, strict=True) if bad]
        if culprits:
            lines.append(f"  attributed to {', '.join(culprits)} (wrong when only it is perturbed)")
    raise _fail(
        ctx,
        "fwd-mode",
        f"ft.jvp and central differences (eps={tol.eps:g}) disagree.",
        lines,
        "A JVP rule used by the function gives a wrong tangent, or the function is not "
        "differentiable here (a kink or a branch); another seed or point tells them apart.",
    )


def check_jvp(
    f: Callable,
    args: Sequence,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check ``ftrans.jvp(f, ...)`` against a central difference along a random direction.

    The direction ``t`` is drawn uniformly from the unit ball (jointly over every real float
    leaf of ``args``; other leaves are held fixed) with ``numpy.random.default_rng(seed)``.
    Values agree when ``|a - b| <= atol + rtol * max(|a|, |b|)``.

    Args:
        f: function of ``len(args)`` positional pytree arguments.
        args: tuple of arguments, the point to check at.
        eps: finite-difference step; default 1e-6 for float64, 1e-3 for float32.
        atol: absolute tolerance; default 1e-5 for float64, 1e-2 for float32.
        rtol: relative tolerance; same defaults.
        seed: seeds the random direction.

    Raises:
        AssertionError: the tangents disagree; the message (starting ``fwd-mode``) gives both,
            the direction, and which argument the disagreement comes from.

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> check_jvp(lambda x, y: fnp.tanh(x) @ y, (np.ones((2, 3)), np.arange(3.0)))
    """
    args = _check_args_tuple(args, "check_jvp")
    ctx = _Context("check_jvp", api.fun_name(f), 1, seed, (eps, atol, rtol))
    _check_jvp(f, args, np.random.default_rng(seed), ctx)


# ----------------------------------------------------------------------------- reverse mode


def _numerical_vjp_leaf(ff: Callable, flat: _Flat, k: int, cotangent: list, eps: float):
    """``J^T ct`` for leaf ``k``: a central difference of ``<ct, f>`` per coordinate."""
    x = flat.leaves[k]
    out = np.zeros(x.shape, np.float64)
    for j in range(x.size):
        basis = np.zeros(x.shape)
        basis.reshape(-1)[j] = 1.0
        plus, minus, _ = _perturb(flat.leaves, _only([basis] * len(flat.leaves), k), eps)
        numerical = _difference(ff(*plus), ff(*minus), 2 * eps, ff.__name__).leaves
        out.reshape(-1)[j] = _dot(cotangent, numerical)[0]
    return out


def _check_vjp(f: Callable, args: tuple, rng: np.random.Generator, ctx: _Context) -> None:
    flat, ff = _setup(f, args, ctx)
    y, pull_back = api.vjp(ff, *flat.leaves)
    out = _flatten_out(y, f"the output of {ff.__name__}")
    tol = _tolerance(flat.leaves + out.leaves, ctx)
    direction = _unit_ball(rng, flat.leaves)
    cotangent = _cast(_unit_ball(rng, out.leaves), out.leaves)
    grads = list(pull_back(out.rebuild(_zeros_for_none(cotangent, out.leaves))))

    def three_ways(t):
        """``<ct, J t>`` by ft.jvp, by ft.vjp and numerically, and the size of the terms."""
        plus, minus, t = _perturb(flat.leaves, t, tol.eps)
        by_jvp, s1 = _dot(cotangent, _jvp_leaves(ff, flat, t))
        by_vjp, s2 = _dot(grads, t)
        numerical = _difference(ff(*plus), ff(*minus), 2 * tol.eps, ff.__name__).leaves
        by_numerical, s3 = _dot(cotangent, numerical)
        return (by_jvp, by_vjp, by_numerical), max(s1, s2, s3), t

    (by_jvp, by_vjp, by_numerical), scale, realised = three_ways(direction)
    if _agree(by_jvp, by_vjp, tol, scale) and _agree(by_vjp, by_numerical, tol, scale):
        return
    # The dot-product test isolates transpose rules; only if it passes blame the JVP.
    dot_failed = not _agree(by_jvp, by_vjp, tol, scale)
    against = 0 if dot_failed else 2
    lines = [
        f"  <ct, ft.jvp(t)>    = {_fmt(by_jvp)}",
        f"  <ft.vjp(ct), t>    = {_fmt(by_vjp)}",
        f"  <ct, numerical Jt> = {_fmt(by_numerical)}",
        f"  |difference| = {_fmt(abs(by_vjp - (by_jvp, by_vjp, by_numerical)[against]))}, beyond "
        f"the tolerance ({tol})",
    ]
    for k, t in enumerate(direction):
        if t is None:
            continue
        values, leaf_scale, _ = three_ways(_only(direction, k))
        if _agree(values[1], values[against], tol, leaf_scale):
            continue
        lines.append(
            f"  {flat.names[k]} is wrong: alone it gives <ct, ft.jvp(t)> = {_fmt(values[0])}, "
            f"<ft.vjp(ct), t> = {_fmt(values[1])}, numerical {_fmt(values[2])}"
        )
        if t.size <= 24:
            approx = _numerical_vjp_leaf(ff, flat, k, cotangent, tol.eps)
            lines += [
                f"    ft.vjp(ct):       {_fmt(grads[k], 22)}",
                f"    numerical J^T ct: {_fmt(approx, 22)}",
            ]
    lines += _listing(_DIRECTION.format(seed=ctx.seed), flat.names, realised)
    lines += _listing("cotangent ct (uniform in the unit ball)", out.names, cotangent)
    if dot_failed:
        raise _fail(
            ctx,
            "dot-product",
            "ft.vjp is not the transpose of ft.jvp.",
            lines,
            "The reverse pass disagrees with the forward pass: a transpose rule of a linear "
            "primitive used by the function is likely wrong.",
        )
    raise _fail(
        ctx,
        "rev-mode",
        f"ft.vjp and central differences (eps={tol.eps:g}) disagree.",
        lines,
        "ft.vjp agrees with ft.jvp, so a JVP rule used by the function is the likely culprit "
        "(modes=('fwd',) shows the tangents), or the function is not differentiable here.",
    )


def check_vjp(
    f: Callable,
    args: Sequence,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check ``ftrans.vjp(f, ...)`` by the dot-product test and against central differences.

    With a random direction ``t`` and a random cotangent ``ct`` (each uniform in the unit ball,
    from ``numpy.random.default_rng(seed)``), ``<ct, J t>`` is computed three ways: with
    ``ftrans.jvp``, with ``ftrans.vjp`` as ``<J^T ct, t>``, and by a central difference. The
    first two must agree (else a transpose rule is wrong), and the second with the third.

    Args:
        f: function of ``len(args)`` positional pytree arguments.
        args: tuple of arguments, the point to check at.
        eps: finite-difference step; default 1e-6 for float64, 1e-3 for float32.
        atol: absolute tolerance; default 1e-5 for float64, 1e-2 for float32.
        rtol: relative tolerance; same defaults.
        seed: seeds the random direction and cotangent.

    Raises:
        AssertionError: the message names the failed test (``dot-product`` or ``rev-mode``),
            gives the numbers, the direction, the cotangent, and the argument at fault.

    Examples:
        >>> import numpy as np, ftrans.numpy as fnp
        >>> check_vjp(lambda p: fnp.exp(p['w']).sum(axis=0), ({'w': np.ones((2, 3))},))
    """
    args = _check_args_tuple(args, "check_vjp")
    ctx = _Context("check_vjp", api.fun_name(f), 1, seed, (eps, atol, rtol))
    _check_vjp(f, args, np.random.default_rng(seed), ctx)


# ----------------------------------------------------------------------------- check_grads


def _check_orders(f: Callable, args: tuple, order: int, modes: tuple, rng, ctx: _Context) -> None:
    """Check ``f``, then (below ``order``) its derivative functions, recursively."""
    flat, ff = _setup(f, args, ctx)
    if "fwd" in modes:
        _check_jvp(f, args, rng, ctx)
        if ctx.order < order:
            tangents = tuple(_cast(_unit_ball(rng, flat.leaves), flat.leaves))

            def tangent_of_f(*a):
                return api.jvp(ff, tuple(tree.leaves(a)), tangents)[1]

            tangent_of_f.__name__ = f"(x -> jvp({ctx.what}, x, t)[1])"
            sub = ctx._replace(what=tangent_of_f.__name__, order=ctx.order + 1)
            _check_orders(tangent_of_f, args, order, modes, rng, sub)
    if "rev" in modes:
        _check_vjp(f, args, rng, ctx)
        if ctx.order < order:
            out = _flatten_out(ff(*flat.leaves), f"the output of {ctx.what}")
            drawn = _cast(_unit_ball(rng, out.leaves), out.leaves)
            cotangent = out.rebuild(_zeros_for_none(drawn, out.leaves))

            def cotangent_of_f(*a):
                return flat.rebuild(list(api.vjp(ff, *tree.leaves(a))[1](cotangent)))

            cotangent_of_f.__name__ = f"(x -> vjp({ctx.what}, x)(ct))"
            sub = ctx._replace(what=cotangent_of_f.__name__, order=ctx.order + 1)
            _check_orders(cotangent_of_f, args, order, modes, rng, sub)


def check_grads(
    f: Callable,
    args: Sequence,
    order: int = 1,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check ftrans's derivatives of ``f`` at ``args`` against finite differences, to any order.

    ``"fwd"`` runs :func:`check_jvp`, ``"rev"`` runs :func:`check_vjp`. For ``order > 1`` the
    derivative functions are then checked the same way, with every mode, recursively:
    ``x -> jvp(f, x, t)[1]`` for a fixed random ``t`` and ``x -> vjp(f, x)(ct)`` for a fixed
    random ``ct``. Only real float leaves are perturbed; integer leaves are held fixed. All
    random draws come from one ``numpy.random.default_rng(seed)``, so failures reproduce.

    Args:
        f: function of ``len(args)`` positional pytree arguments, written with ``ftrans.numpy``.
        args: tuple of arguments, the point to check at.
        order: highest derivative order to check.
        modes: any of ``"fwd"`` and ``"rev"``.
        eps: finite-difference step; default 1e-6 for float64, 1e-3 for float32.
        atol: absolute tolerance; default 1e-5 for float64, 1e-2 for float32.
        rtol: relative tolerance; same defaults.
        seed: seeds every random direction and cotangent.

    Raises:
        AssertionError: the message names the mode (``fwd-mode``, ``rev-mode`` or
            ``dot-product``), the order, the function checked, the numbers that disagree, the
            direction, and the argument (with its pytree path) at fault.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> check_grads(lambda x: fnp.sin(x) * fnp.exp(x), (np.array([0.1, 0.7]),), order=2)
        >>> check_grads(lambda x: x * ft.stop_gradient(x), (3.0,))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: check_grads: fwd-mode check failed at order 1 for <lambda>: ...
    """
    args = _check_args_tuple(args, "check_grads")
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or any(m not in ("fwd", "rev") for m in modes):
        raise ValueError(f"check_grads: modes must be drawn from ('fwd', 'rev'), got {modes!r}.")
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be a positive int, got {order!r}.")
    ctx = _Context("check_grads", api.fun_name(f), 1, seed, (eps, atol, rtol))
    _check_orders(f, args, order, modes, np.random.default_rng(seed), ctx)
