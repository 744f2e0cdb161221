"""``checkpoint`` (rematerialisation): trade compute for memory in reverse mode.

Reverse mode normally stores every intermediate the backward pass needs (the *residuals*). A
function wrapped in [`checkpoint`][ftrans.checkpoint] stores only its inputs (plus whatever its
``policy`` chooses to save) and recomputes the rest during the backward pass, one block at a time.
[`saved_residuals`][ftrans.saved_residuals] lists what a function's backward pass will hold on to.

The ``remat`` primitive holds the wrapped function's program; its partial-evaluation rule is
where the trade happens: the known (primal) part runs now and keeps only the inputs and the
policy's choices, and the staged tangent part starts by recomputing the other residuals.
Because the recomputation lives inside its own program, ``jit`` cannot merge it back into the
forward pass.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ftrans import tree
from ftrans.compiler.native_rules import native_rule
from ftrans.control_flow._common import fun_name, run, runner, trace_fun
from ftrans.core import (
    ClosedJaxpr,
    Jaxpr,
    Primitive,
    Tracer,
    Var,
    Zero,
    eval_jaxpr,
    is_undefined,
)
from ftrans.interpreters.programs import (
    avals_of,
    batch_program,
    closure_convert,
    jvp_program,
    partial_eval_program,
    trace_program,
    transpose_program,
)
from ftrans.interpreters.tracing import JaxprTracer, dead_code_elimination

# ----------------------------------------------------------------------------- policies


class checkpoint_policies:
    """Ready-made ``policy`` functions for [`checkpoint`][ftrans.checkpoint].

    A policy is called as ``policy(primitive_name, aval)`` for each intermediate the backward
    pass needs, and returns True to save it (False: recompute it).
    """

    @staticmethod
    def nothing_saveable(primitive: str, aval) -> bool:
        """Recompute everything (the default): only the inputs are kept."""
        return False

    @staticmethod
    def everything_saveable(primitive: str, aval) -> bool:
        """Save everything: no recomputation (and no memory saved)."""
        return True

    @staticmethod
    def dots_saveable(primitive: str, aval) -> bool:
        """Save the results of matrix products (``dot_general``); recompute the cheap
        elementwise work around them."""
        return primitive == "dot_general"

    @staticmethod
    def save_only(*primitives: str) -> Callable[[str, Any], bool]:
        """Save the outputs of the named primitives only."""
        names = frozenset(primitives)

        def policy(primitive: str, aval) -> bool:
            return primitive in names

        policy.__name__ = f"save_only{tuple(sorted(names))}"
        return policy

    @staticmethod
    def dots_with_no_batch_dims_saveable(primitive: str, aval, **params) -> bool:
        """Save matrix products without batch dimensions (``dot_general`` with none)."""
        if primitive != "dot_general":
            return False
        (_, (batch_a, _)) = params.get("dimension_numbers", (None, ((), ())))
        return not batch_a

    @staticmethod
    def save_only_these_names(*names: str) -> Callable[..., bool]:
        """Save only the values tagged by `checkpoint_name` with one of ``names``."""
        wanted = frozenset(names)

        def policy(primitive: str, aval, **params) -> bool:
            return primitive == "name" and params.get("name") in wanted

        policy.__name__ = f"save_only_these_names{tuple(sorted(wanted))}"
        return policy

    @staticmethod
    def save_any_names_but_these(*names: str) -> Callable[..., bool]:
        """Save every named value (`checkpoint_name`) except those in ``names``."""
        skipped = frozenset(names)

        def policy(primitive: str, aval, **params) -> bool:
            return primitive == "name" and params.get("name") not in skipped

        policy.__name__ = f"save_any_names_but_these{tuple(sorted(skipped))}"
        return policy

    @staticmethod
    def save_anything_except_these_names(*names: str) -> Callable[..., bool]:
        """Save everything except the values named (`checkpoint_name`) in ``names``."""
        skipped = frozenset(names)

        def policy(primitive: str, aval, **params) -> bool:
            return not (primitive == "name" and params.get("name") in skipped)

        policy.__name__ = f"save_anything_except_these_names{tuple(sorted(skipped))}"
        return policy

    @staticmethod
    def save_from_both_policies(first: Callable, second: Callable) -> Callable[..., bool]:
        """Save what either policy saves."""

        def policy(primitive: str, aval, **params) -> bool:
            return _saves(first, primitive, aval, params) or _saves(second, primitive, aval, params)

        policy.__name__ = f"save_from_both_policies({first.__name__}, {second.__name__})"
        return policy


checkpoint_policies.checkpoint_dots = checkpoint_policies.dots_saveable


def _takes_params(policy) -> bool:
    try:
        return any(
            p.kind is inspect.Parameter.VAR_KEYWORD
            for p in inspect.signature(policy).parameters.values()
        )
    except (TypeError, ValueError):
        return False


def _saves(policy, primitive: str, aval, params) -> bool:
    """Ask ``policy`` about one intermediate; policies with ``**params`` also see the
    equation's parameters (the name of a `checkpoint_name`, dimension numbers...)."""
    if policy is None:
        return False
    if _takes_params(policy):
        return bool(policy(primitive, aval, **params))
    return bool(policy(primitive, aval))


def checkpoint_name(x: Any, name: str) -> Any:
    """Tag ``x`` (a pytree of arrays) with ``name`` for checkpoint policies; the identity.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> def layer(w, x):
        ...     h = ft.checkpoint_name(fnp.tanh(w @ x), "hidden")
        ...     return fnp.tanh(w @ h)
        >>> policy = ft.checkpoint_policies.save_only_these_names("hidden")
        >>> block = ft.checkpoint(layer, policy=policy)
        >>> w, x = np.full((3, 3), 0.1), np.ones(3)
        >>> [r.source for r in ft.saved_residuals(block, w, x)]
        ['argument 0 (w)', 'argument 1 (x)', 'output of name']
    """
    from ftrans.primitives.elementwise import name_p

    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: name must be a str, got {type(name).__name__}")
    return tree.map(lambda leaf: name_p.bind(leaf, name=name), x)


# ----------------------------------------------------------------------------- the primitive

remat_p = Primitive("remat", multiple_results=True)


def _remat_impl(*args, jaxpr, policy, name):
    """Run the program compiled (once per program; the generated code deletes each
    intermediate after its last use, which is the point of checkpointing: a block's recomputed
    values do not all stay alive at once). A one-equation program is simply interpreted."""
    if isinstance(jaxpr, ClosedJaxpr) and len(jaxpr.eqns) > 1:
        return list(runner(jaxpr)(*args))
    return list(run(jaxpr, args))


remat_p.impl = _remat_impl
remat_p.abstract_eval = lambda *avals, jaxpr, **_: list(jaxpr.out_avals)
native_rule(remat_p)(lambda g, eqn, *values, jaxpr, **_: g.inline(jaxpr, values))


def _remat_jvp(primals, tangents, *, jaxpr, policy, name):
    nonzero = tuple(type(t) is not Zero for t in tangents)
    program, out_nonzero = jvp_program(jaxpr, nonzero)
    outs = remat_p.bind(
        *primals,
        *[t for t in tangents if type(t) is not Zero],
        jaxpr=program,
        policy=policy,
        name=name,
    )
    n = len(jaxpr.out_avals)
    it = iter(outs[n:])
    return outs[:n], [
        next(it) if nz else Zero(a) for a, nz in zip(jaxpr.out_avals, out_nonzero, strict=True)
    ]


def _remat_batch(vals, dims, *, jaxpr, policy, name):
    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    program, _ = batch_program(jaxpr, tuple(dims), avals_of(vals), size)
    outs = remat_p.bind(*vals, jaxpr=program, policy=policy, name=name)
    return outs, [0] * len(outs)


def _remat_transpose(cts, *args, jaxpr, policy, name):
    linear = tuple(is_undefined(a) for a in args)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    program = transpose_program(jaxpr, linear, ct_nonzero)
    outs = remat_p.bind(
        *[a for a in args if not is_undefined(a)],
        *[c for c in cts if type(c) is not Zero],
        jaxpr=program,
        policy=policy,
        name=name,
    )
    it = iter(outs)
    return [next(it) if lin else None for lin in linear]


def _remat_split(jaxpr: ClosedJaxpr, unknowns, policy):
    """``(forward, recompute_then_tangents, out_unknown, n_saved)`` for one remat program."""
    key = ("remat_split", unknowns, policy)
    hit = jaxpr.cache.get(key)
    if hit is not None:
        return hit
    known, unknown, out_unknown, n_res = partial_eval_program(jaxpr, unknowns)
    kj = known.jaxpr
    n_known_out = len(kj.outvars) - n_res
    residuals = kj.outvars[n_known_out:]
    producers = {v.id: e for e in kj.eqns for v in e.outputs}
    input_ids = {v.id for v in kj.invars} | {v.id for v in kj.constvars}
    saved: list[Var] = []
    saved_ids: set[int] = set()
    candidates = []  # (equation, aval asked about): what produces a residual, and named values
    for r in residuals:
        if type(r) is Var and r.id not in input_ids:
            candidates.append((producers[r.id], r.aval))
    used = {a.id for e in kj.eqns for a in e.inputs if type(a) is Var}
    candidates += [
        (e, e.outputs[0].aval)
        for e in kj.eqns
        if e.primitive.name == "name" and e.outputs[0].id in used
    ]
    for eqn, aval in candidates:
        if any(v.id in saved_ids for v in eqn.outputs):
            continue
        if _saves(policy, eqn.primitive.name, aval, eqn.params):
            for v in eqn.outputs:  # an equation is saved whole, or recomputed whole
                saved_ids.add(v.id)
                saved.append(v)
    forward_outs = kj.outvars[:n_known_out] + saved
    forward = ClosedJaxpr(
        Jaxpr(kj.constvars, kj.invars, dead_code_elimination(kj.eqns, forward_outs), forward_outs),
        known.consts,
    )
    recompute_eqns = [e for e in kj.eqns if not any(v.id in saved_ids for v in e.outputs)]
    recompute = ClosedJaxpr(
        Jaxpr(
            kj.constvars,
            kj.invars + saved,
            dead_code_elimination(recompute_eqns, residuals),
            residuals,
        ),
        known.consts,
    )
    n_known_in = len(kj.invars)

    def tangent_part(*args):
        res = eval_jaxpr(recompute.jaxpr, recompute.consts, *args[: n_known_in + len(saved)])
        return eval_jaxpr(unknown.jaxpr, unknown.consts, *res, *args[n_known_in + len(saved) :])

    unknown_in = [a for a, u in zip(jaxpr.in_avals, unknowns, strict=True) if u]
    staged = trace_program(
        tangent_part,
        [*kj.in_avals, *(v.aval for v in saved), *unknown_in],
        "checkpointed tangents",
    )
    hit = jaxpr.cache[key] = (forward, staged, out_unknown, len(saved))
    return hit


def _remat_partial_eval(trace, args, params):
    jaxpr, policy, name = params["jaxpr"], params["policy"], params["name"]
    unknowns = tuple(type(a) is JaxprTracer and a._trace is trace for a in args)
    if not any(unknowns):
        return remat_p.bind(*args, **params)
    forward, staged, out_unknown, n_saved = _remat_split(jaxpr, unknowns, policy)
    known_args = [a for a, u in zip(args, unknowns, strict=True) if not u]
    if any(isinstance(a, Tracer) for a in known_args):  # under jit/vmap: stage it
        outs = eval_jaxpr(forward.jaxpr, forward.consts, *known_args)
    else:  # eager: the compiled forward, which frees what the backward pass will recompute
        outs = list(runner(forward)(*known_args))
    n_known = len(outs) - n_saved
    tangent_outs = trace.stage(
        remat_p,
        [*known_args, *outs[n_known:], *[a for a, u in zip(args, unknowns, strict=True) if u]],
        {"jaxpr": staged, "policy": None, "name": name},
    )
    known_it, staged_it = iter(outs[:n_known]), iter(tangent_outs)
    return [next(staged_it) if u else next(known_it) for u in out_unknown]


remat_p.jvp = _remat_jvp
remat_p.batch = _remat_batch
remat_p.transpose = _remat_transpose
remat_p.partial_eval = _remat_partial_eval


# ----------------------------------------------------------------------------- user API


def _arrays(outs):
    """Concrete outputs as ``numpy.ndarray`` (0-d for scalars), as ``jit`` returns them."""
    return [o if type(o) is np.ndarray or isinstance(o, Tracer) else np.asarray(o) for o in outs]


def checkpoint(
    fun: Callable | None = None,
    *,
    policy: Callable | None = None,
    prevent_cse: bool = True,
    static_argnums: int | tuple[int, ...] = (),
):
    """Wrap ``fun`` so reverse mode recomputes its intermediates instead of storing them.

    Under ``grad``/``vjp`` the wrapped function keeps only its inputs (and the intermediates
    ``policy`` saves, see [`checkpoint_policies`][ftrans.checkpoint_policies]); the backward pass
    recomputes the rest, block by block. Values, forward mode, ``vmap`` and ``jit`` are unaffected.
    Checkpointing every ``k`` layers of a deep network cuts the memory of ``grad`` from about one
    set of activations per layer to one per block plus one block's worth, for one extra forward
    pass.

    Args:
        fun: the function (pytrees of arrays in and out). Usable as ``@checkpoint`` or
            ``@checkpoint(policy=...)``.
        policy: ``policy(primitive_name, aval) -> bool``, True to save an intermediate (a
            policy with ``**params`` also receives the equation's parameters).
        prevent_cse: accepted for JAX compatibility. Under ``jit`` the recomputation is its
            own compiled program, so common-subexpression elimination can never merge it
            back into the forward pass whatever the value.
        static_argnums: positions of arguments that are Python values (not arrays): they are
            baked into the traced program, which is traced once per value.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> block = ft.checkpoint(lambda w, x: fnp.tanh(w @ fnp.tanh(w @ x)))
        >>> w, x = np.full((3, 3), 0.1), np.ones(3)
        >>> g1 = ft.grad(lambda w: block(w, x).sum())(w)
        >>> g2 = ft.grad(lambda w: fnp.tanh(w @ fnp.tanh(w @ x)).sum())(w)
        >>> bool(np.allclose(g1, g2))
        True
    """
    if fun is None:
        return functools.partial(
            checkpoint, policy=policy, prevent_cse=prevent_cse, static_argnums=static_argnums
        )
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if static:
        return _with_static(fun, static, policy)
    if not callable(fun):
        raise TypeError(f"checkpoint needs a function, got {type(fun).__name__}")
    if policy is not None and not callable(policy):
        raise TypeError(
            "checkpoint: policy must be a function (primitive_name, aval) -> bool, e.g. "
            f"ftrans.checkpoint_policies.dots_saveable; got {policy!r}"
        )
    name = fun_name(fun)
    # like jit: traced once per input signature, so the derived programs (JVP, the split into
    # saved and recomputed parts, the transpose) are built once and reused on later calls
    cache: dict = {}

    @functools.wraps(fun)
    def wrapped(*args):
        leaves, in_tree = tree.check_leaves(args, what=f"the arguments of checkpoint({name})")
        avals = avals_of(leaves)
        key = (in_tree, tuple((a.shape, a.dtype) for a in avals))
        hit = cache.get(key)
        if hit is not None:
            program, out_tree = hit
            outs = remat_p.bind(*leaves, jaxpr=program, policy=policy, name=name)
            return tree.unflatten(out_tree, _arrays(outs))
        program, captured, out_tree = trace_fun(fun, in_tree, avals, f"checkpoint {name}", name)
        if not captured:  # a program closing over traced values is only good for this call
            cache[key] = (program, out_tree)
        outs = remat_p.bind(*captured, *leaves, jaxpr=program, policy=policy, name=name)
        return tree.unflatten(out_tree, _arrays(outs))

    wrapped.cache_clear = cache.clear

    return wrapped


def _with_static(fun, static: tuple[int, ...], policy):
    """``checkpoint`` with static arguments: one checkpointed function per static value."""
    per_value: dict = {}

    @functools.wraps(fun)
    def wrapped(*args):
        n = len(args)
        positions = {i % n if n else i for i in static}
        if any(not -n <= i < n for i in static):
            raise ValueError(
                f"checkpoint({fun_name(fun)}): static_argnums {static} out of range for "
                f"{n} arguments"
            )
        values = tuple((i, args[i]) for i in sorted(positions))
        try:
            hit = per_value.get(values)
        except TypeError:
            raise TypeError(
                f"checkpoint({fun_name(fun)}): static arguments must be hashable, got "
                f"{[type(v).__name__ for _, v in values]}; pass arrays as ordinary arguments"
            ) from None
        if hit is None:
            fixed = dict(values)

            def call(*dynamic):
                it = iter(dynamic)
                return fun(*[fixed[i] if i in fixed else next(it) for i in range(n)])

            call.__name__ = getattr(fun, "__name__", "fun")
            hit = per_value[values] = checkpoint(call, policy=policy)
        return hit(*[a for i, a in enumerate(args) if i not in positions])

    return wrapped


remat = checkpoint


class Residual(NamedTuple):
    """One array the backward pass keeps: its type, size and where it comes from."""

    shape: tuple
    dtype: Any
    nbytes: int
    source: str

    def __str__(self):
        from ftrans.core import ShapedArray

        return f"{ShapedArray(self.shape, self.dtype).str_short()} ({self.nbytes} B): {self.source}"


def saved_residuals(fun: Callable, *args) -> list[Residual]:
    """The arrays reverse mode keeps from ``fun``'s forward pass at ``args`` (their shapes,
    sizes and origins), so the effect of [`checkpoint`][ftrans.checkpoint] and its policies can be
    checked.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> f = lambda w, x: fnp.sum(fnp.tanh(w @ fnp.tanh(w @ x)))
        >>> w, x = np.ones((4, 4)), np.ones(4)
        >>> sorted(r.source for r in ft.saved_residuals(f, w, x))
        ['argument 0 (w)', 'argument 1 (x)', 'output of sub', 'output of sub', 'output of tanh']
        >>> sorted(r.source for r in ft.saved_residuals(ft.checkpoint(f), w, x))  # inputs only
        ['argument 0 (w)', 'argument 1 (x)']
    """
    import numpy as np

    from ftrans.core import is_float_dtype

    leaves, in_tree = tree.check_leaves(args, what=f"the arguments of {fun_name(fun)}")
    avals = avals_of(leaves)
    paths = [tree.keystr(p) for p, _ in tree.flatten_with_path(args)[0]]

    def flat(*xs):
        return tree.leaves(fun(*tree.unflatten(in_tree, xs)))

    program, captured = closure_convert(flat, avals, fun_name(fun))
    n_cap = len(captured)
    nonzero = tuple([False] * n_cap + [is_float_dtype(a.dtype) for a in avals])
    jvp, _ = jvp_program(program, nonzero)
    unknowns = tuple([False] * len(program.in_avals) + [True] * sum(nonzero))
    known, _, _, n_res = partial_eval_program(jvp, unknowns)
    kj = known.jaxpr
    producers = {v.id: e for e in kj.eqns for v in e.outputs}
    inputs = {v.id: i for i, v in enumerate(kj.invars)}
    names = _parameter_names(fun)
    out = []
    for r in kj.outvars[len(kj.outvars) - n_res :]:
        aval = r.aval
        if type(r) is Var and r.id in inputs:
            i = inputs[r.id] - n_cap
            if i < 0:
                label = "a value the function closes over"
            else:
                path = paths[i]  # "[k]" then the path inside argument k
                k = int(path[1 : path.index("]")])
                inner = path[path.index("]") + 1 :]
                shown = (names[k] if k < len(names) else "") + inner
                label = f"argument {k}" + (f" ({shown})" if shown else "")
        elif type(r) is Var and r.id in producers:
            label = f"output of {producers[r.id].primitive.name}"
        else:
            label = "a constant"
        nbytes = int(np.prod(aval.shape, dtype=np.int64)) * aval.dtype.itemsize
        out.append(Residual(tuple(aval.shape), aval.dtype, nbytes, label))
    return out


def _parameter_names(fun) -> list[str]:
    import inspect

    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def print_saved_residuals(fun: Callable, *args) -> None:
    """Print [`saved_residuals`][ftrans.saved_residuals] with the total size."""
    residuals = saved_residuals(fun, *args)
    for r in residuals:
        print(r)
    print(f"total: {sum(r.nbytes for r in residuals)} bytes in {len(residuals)} arrays")


__all__ = [
    "Residual",
    "checkpoint",
    "checkpoint_policies",
    "print_saved_residuals",
    "remat",
    "remat_p",
    "saved_residuals",
]
