"""``custom_linear_solve`` and ``custom_root``: solvers differentiated implicitly, as in JAX.

The derivative of a solution never goes through the solver's iterations. For ``A x = b`` with
``A`` given by ``matvec`` (closing over parameters), ``dx = A^{-1} (db - dA x)`` is one more
solve, and the reverse mode solves the transposed system (``transpose_solve``, or ``solve``
again when ``symmetric``). For a root ``f(x*, θ) = 0``, the implicit function theorem gives
``dx* = -(∂f/∂x)^{-1} (∂f/∂θ dθ)``, solved by the user's ``tangent_solve``.

``custom_linear_solve`` is the primitive ``custom_linear_solve`` (all its rules below: impl,
abstract eval, JVP, transpose in ``b``, batching; ``jit`` calls the impl). Its params hold the
closure-converted functions (``_System``), their closed-over values are explicit operands.
``custom_root`` is a ``custom_jvp`` function whose tangent is ``tangent_solve``'s solution, so
its reverse mode needs a ``tangent_solve`` that is linear and transposable (a
``custom_linear_solve`` inside it, or a direct solve), as in JAX.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import numpy as np

from ftrans import tree
from ftrans.core import Primitive, Tracer, Zero, get_aval, is_undefined
from ftrans.errors import UnsupportedError
from ftrans.primitives.elementwise import neg, stop_gradient, sub, zeros_like_aval


class _System(typing.NamedTuple):
    """The four functions of one linear system, each ``fn(vector_tree, *consts)``, and how
    the primitive's flat operands split among them."""

    matvec: Callable
    vecmat: Callable | None
    solve: Callable
    transpose_solve: Callable | None
    lengths: tuple[int, int, int, int]  # consts of matvec, vecmat, solve, transpose_solve
    b_tree: Any
    out_avals: tuple  # solution leaves, then aux leaves
    out_avals_t: tuple  # the same for transpose_solve
    has_aux: bool

    @property
    def n_aux(self) -> int:
        return len(self.out_avals) - self.b_tree.num_leaves

    def split(self, args):
        parts, start = [], 0
        for n in self.lengths:
            parts.append(list(args[start : start + n]))
            start += n
        return parts, list(args[start:])

    def transposed(self) -> _System:
        if self.transpose_solve is None:
            raise UnsupportedError(
                "custom_linear_solve: reverse mode (grad, vjp) solves the transposed system, "
                "which needs transpose_solve=... (or symmetric=True when matvec is symmetric)"
            )
        lm, lv, ls, lt = self.lengths
        return self._replace(
            matvec=self.vecmat,
            vecmat=self.matvec,
            solve=self.transpose_solve,
            transpose_solve=self.solve,
            lengths=(lv, lm, lt, ls),
            out_avals=self.out_avals_t,
            out_avals_t=self.out_avals,
        )

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


def _reorder_transposed(args, system):
    """Operands of ``system`` rearranged for ``system.transposed()``."""
    (cm, cv, cs, ct), b = system.split(args)
    return [*cv, *cm, *ct, *cs, *b]


def _solve_flat(system, args):
    (_, _, cs, _), b = system.split(args)
    out = system.solve(tree.unflatten(system.b_tree, b), *cs)
    if system.has_aux:
        x, aux = out
        return [*tree.leaves(x), *tree.leaves(aux)]
    return tree.leaves(out)


linear_solve_p = Primitive("custom_linear_solve", multiple_results=True, linear=True)
linear_solve_p.impl = lambda *args, system: [np.asarray(o) for o in _solve_flat(system, args)]
linear_solve_p.abstract_eval = lambda *avals, system: list(system.out_avals)


def _matvec_flat(system, consts, x_leaves):
    return tree.leaves(system.matvec(tree.unflatten(system.b_tree, x_leaves), *consts))


def _linear_solve_jvp(primals, tangents, *, system):
    from ftrans.api import jvp

    out = linear_solve_p.bind(*primals, system=system)
    n_x = len(out) - system.n_aux
    x = out[:n_x]
    (cm, _, _, _), _ = system.split(primals)
    (tm, _, _, _), tb = system.split(tangents)
    rhs = [
        zeros_like_aval(a) if type(t) is Zero else t
        for t, a in zip(tb, system.out_avals[:n_x], strict=True)
    ]
    if any(type(t) is not Zero for t in tm):
        tm = [zeros_like_aval(get_aval(c)) if type(t) is Zero else t for c, t in zip(cm, tm)]
        _, dA_x = jvp(lambda *c: _matvec_flat(system, c, x), cm, tm)
        rhs = [sub(r, d) for r, d in zip(rhs, dA_x, strict=True)]
    elif all(type(t) is Zero for t in tb):
        return out, [Zero.like(o) for o in out]
    consts = list(primals[: len(primals) - len(tb)])
    t_out = linear_solve_p.bind(*consts, *rhs, system=system)
    return out, [*t_out[:n_x], *[Zero.like(a) for a in out[n_x:]]]


def _linear_solve_transpose(cts, *args, system):
    n_b = len(args) - sum(system.lengths)
    if any(is_undefined(a) for a in args[: len(args) - n_b]):
        raise UnsupportedError(
            "custom_linear_solve is linear in b only; its matvec/solve values cannot be "
            "linear inputs"
        )
    n_x = len(system.out_avals) - system.n_aux
    cts = [
        zeros_like_aval(a) if type(c) is Zero else c
        for c, a in zip(cts[:n_x], system.out_avals[:n_x], strict=True)
    ]
    flipped = system.transposed()
    consts = _reorder_transposed([*args[: len(args) - n_b], *cts], system)[: sum(system.lengths)]
    cts_b = linear_solve_p.bind(*consts, *cts, system=flipped)[:n_x]
    return [None] * sum(system.lengths) + [
        c if is_undefined(a) else None for c, a in zip(cts_b, args[len(args) - n_b :], strict=True)
    ]


def _batched(fn, const_dims, b_tree, has_aux):
    """``fn(vec, *consts)`` vmapped, as a function of the flat list of vector leaves (all
    batched at axis 0) and the consts (batched at ``const_dims``, None: not batched)."""
    from ftrans.mapping import vmap

    if fn is None:
        return None

    def per_example(leaves, *consts):
        out = fn(tree.unflatten(b_tree, list(leaves)), *consts)
        if has_aux:
            x, aux = out
            return tree.leaves(x), aux
        return tree.leaves(out)

    def batched(leaves, *consts):
        return vmap(per_example, in_axes=(0, *const_dims))(list(leaves), *consts)

    return batched


def _linear_solve_batch(vals, dims, *, system):
    from ftrans.core import ShapedArray
    from ftrans.primitives._batch import batch_size, to_front

    size = batch_size(vals, dims)
    n_c = sum(system.lengths)
    b = [to_front(x, d, size) for x, d in zip(vals[n_c:], dims[n_c:], strict=True)]
    parts, start = [], 0
    for n in system.lengths:
        parts.append(tuple(dims[start : start + n]))
        start += n
    mv, vm, sv, tsv = (
        _batched(f, p, system.b_tree, aux)
        for f, p, aux in zip(
            (system.matvec, system.vecmat, system.solve, system.transpose_solve),
            parts,
            (False, False, system.has_aux, system.has_aux),
            strict=True,
        )
    )

    def grown(avals):
        return tuple(ShapedArray((size, *a.shape), a.dtype) for a in avals)

    new = system._replace(
        matvec=mv,
        vecmat=vm,
        solve=sv,
        transpose_solve=tsv,
        b_tree=tree.structure([0] * len(b)),
        out_avals=grown(system.out_avals),
        out_avals_t=grown(system.out_avals_t),
    )
    out = linear_solve_p.bind(*vals[:n_c], *b, system=new)
    return out, [0] * len(out)


linear_solve_p.jvp = _linear_solve_jvp
linear_solve_p.transpose = _linear_solve_transpose
linear_solve_p.batch = _linear_solve_batch


def _converted(fn, example):
    from ftrans._api_extras import closure_convert

    converted, consts = closure_convert(fn, example)
    return (lambda vec, *c: converted(vec, *c)), consts


def custom_linear_solve(
    matvec: Callable,
    b: Any,
    solve: Callable,
    transpose_solve: Callable | None = None,
    symmetric: bool = False,
    has_aux: bool = False,
):
    """The solution ``x`` of ``matvec(x) == b`` found by ``solve(matvec, b)``, differentiated
    implicitly (as ``jax.lax.custom_linear_solve``): derivatives solve the system again
    (forward: ``solve``; reverse: ``transpose_solve``, or ``solve`` when ``symmetric``) instead
    of differentiating the solver's steps. ``matvec`` is a linear function of the pytree ``b``'s
    structure and may close over arrays being differentiated; with ``has_aux``, the solvers
    return ``(x, aux)`` and so does this.

    Example:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> from ftrans import lax
        >>> def solve_spd(a, b):
        ...     mv = lambda x: a @ x
        ...     direct = lambda matvec, r: fnp.linalg.solve(a, r)
        ...     return lax.custom_linear_solve(mv, b, direct, symmetric=True)
        >>> a, b = np.array([[4.0, 1.0], [1.0, 3.0]]), np.array([1.0, 2.0])
        >>> solve_spd(a, b).round(4)
        array([0.0909, 0.6364])
        >>> g = ft.grad(lambda a: fnp.sum(solve_spd(a, b)))(a)
        >>> bool(np.allclose(g, ft.grad(lambda a: fnp.sum(fnp.linalg.solve(a, b)))(a)))
        True
    """
    from ftrans._api_extras import linear_transpose

    b_leaves, b_tree = tree.flatten(b)
    b_leaves = [x if isinstance(x, Tracer | np.ndarray) else np.asarray(x) for x in b_leaves]
    b = tree.unflatten(b_tree, b_leaves)
    mv, c_mv = _converted(matvec, b)

    def vecmat(y):
        (out,) = linear_transpose(matvec, b)(y)
        return out

    vm, c_vm = _converted(vecmat, b)
    sv, c_sv = _converted(lambda r: solve(matvec, r), b)
    if symmetric:
        tsv, c_tsv = sv, c_sv
    elif transpose_solve is not None:
        tsv, c_tsv = _converted(lambda r: transpose_solve(vecmat, r), b)
    else:
        tsv, c_tsv = None, []
    x_avals, aux_tree, aux_avals = _solution_avals("solve", lambda r: solve(matvec, r), b, has_aux)
    t_avals = x_avals + aux_avals
    if tsv is not None and not symmetric:
        tx, _, taux = _solution_avals(
            "transpose_solve", lambda r: transpose_solve(vecmat, r), b, has_aux
        )
        t_avals = tx + taux
    system = _System(
        mv,
        vm,
        sv,
        tsv,
        (len(c_mv), len(c_vm), len(c_sv), len(c_tsv)),
        b_tree,
        x_avals + aux_avals,
        t_avals,
        has_aux,
    )
    out = linear_solve_p.bind(*c_mv, *c_vm, *c_sv, *c_tsv, *b_leaves, system=system)
    n_x = len(x_avals)
    x = tree.unflatten(b_tree, out[:n_x])
    if has_aux:
        return x, tree.unflatten(aux_tree, [stop_gradient(a) for a in out[n_x:]])
    return x


def _solution_avals(name, fn, b, has_aux):
    """The avals of ``fn(b)``'s solution leaves (which must have ``b``'s structure), its aux
    tree and aux leaves' avals."""
    from ftrans._api_extras import eval_shape
    from ftrans.core import ShapedArray

    shapes = eval_shape(fn, b)
    if has_aux:
        if not (isinstance(shapes, tuple) and len(shapes) == 2):
            raise ValueError(
                f"custom_linear_solve: with has_aux=True, {name} must return (x, aux), got "
                f"{tree.structure(shapes)}"
            )
        x_shapes, aux_shapes = shapes
    else:
        x_shapes, aux_shapes = shapes, ()
    b_tree = tree.structure(b)
    if tree.structure(x_shapes) != b_tree:
        raise ValueError(
            f"custom_linear_solve: {name}(matvec, b) returned a pytree of structure "
            f"{tree.structure(x_shapes)}, not b's {b_tree}"
        )
    as_aval = lambda s: ShapedArray(tuple(s.shape), np.dtype(s.dtype))
    return (
        tuple(as_aval(s) for s in tree.leaves(x_shapes)),
        tree.structure(aux_shapes),
        tuple(as_aval(s) for s in tree.leaves(aux_shapes)),
    )


def custom_root(
    f: Callable,
    initial_guess: Any,
    solve: Callable,
    tangent_solve: Callable,
    has_aux: bool = False,
):
    """A root ``x`` of ``f`` (``f(x) == 0``) found by ``solve(f, initial_guess)``, differentiated
    implicitly (as ``jax.lax.custom_root``): the derivative with respect to what ``f`` closes
    over is ``-tangent_solve(g, ∂f/∂θ dθ)`` with ``g`` the linearisation of ``f`` in ``x`` at
    the root, never a derivative of the solver's iterations. ``tangent_solve(g, y)`` solves
    ``g(v) == y``; for reverse mode it must be linear in ``y`` and transposable (e.g.
    ``lambda g, y: y / g(1.0)`` for a scalar, or a ``custom_linear_solve``). The guess gets no
    derivative. With ``has_aux``, ``solve`` returns ``(x, aux)`` and so does this.

    Example:
        >>> import numpy as np, ftrans as ft
        >>> from ftrans import lax
        >>> def newton(f, x):
        ...     for _ in range(30):
        ...         x = x - f(x) / ft.grad(f)(x)
        ...     return x
        >>> def cube_root(a):
        ...     return lax.custom_root(lambda x: x ** 3 - a, 1.0, newton,
        ...                            lambda g, y: y / g(1.0))
        >>> round(float(cube_root(8.0)), 6), round(float(ft.grad(cube_root)(8.0)), 6)  # 1/12
        (2.0, 0.083333)
    """
    from ftrans._api_extras import closure_convert
    from ftrans.api import jvp
    from ftrans.custom_derivatives import custom_jvp

    guess_leaves, guess_tree = tree.flatten(initial_guess)
    guess = tree.unflatten(
        guess_tree,
        [stop_gradient(x if isinstance(x, Tracer) else np.asarray(x)) for x in guess_leaves],
    )
    f_c, consts = closure_convert(f, guess)

    @custom_jvp
    def root(guess, *c):
        return solve(lambda x: f_c(x, *c), guess)

    @root.defjvp
    def _root_jvp(primals, tangents):
        guess, *c = primals
        _, *dc = tangents
        out = root(guess, *c)
        x, aux = out if has_aux else (out, None)
        if not c:  # f closes over nothing differentiable
            return out, tree.map(lambda a: zeros_like_aval(get_aval(a)), out)
        _, rhs = jvp(lambda *cc: f_c(x, *cc), tuple(c), tuple(dc))

        def linearized(v):
            return jvp(lambda xx: f_c(xx, *c), (x,), (v,))[1]

        dx = tree.map(neg, tangent_solve(linearized, rhs))
        if has_aux:
            return out, (dx, tree.map(lambda a: zeros_like_aval(get_aval(a)), aux))
        return out, dx

    return root(guess, *consts)


# The native backend does not inline the user's solve programs yet.
from ftrans.compiler.native_rules import numpy_only  # noqa: E402

numpy_only("holds the user's solve programs (not inlined natively yet)", linear_solve_p)
