"""Custom derivative rules: ``custom_jvp`` and ``custom_vjp``.

``custom_jvp`` replaces a function's JVP; reverse mode then comes, as everywhere in ftrans, from
transposing that JVP (so the rule must be linear in the tangents). ``custom_vjp`` supplies a
forward pass that saves residuals and a backward pass mapping output cotangents to input
cotangents; ``grad`` calls the backward pass directly. Going beyond JAX, forward mode over a
``custom_vjp`` function also works: the backward pass is linear in its cotangents, so ftrans
transposes it (the transpose of a VJP is the JVP).

Both are primitives holding the traced function, so they work under ``jit`` and ``vmap`` and
appear in ``make_jaxpr`` output.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import numpy as np

from ftrans import core, tree
from ftrans.compiler.native_rules import native_rule, numpy_only
from ftrans.control_flow._common import fun_name, run
from ftrans.core import Primitive, Tracer, Zero, get_aval, is_undefined
from ftrans.errors import ConcretizationError, FtransError, UnsupportedError
from ftrans.interpreters.programs import (
    avals_of,
    batch_program,
    batched_call,
    closure_convert,
    zeros_like_aval,
)


class CustomRuleError(FtransError, TypeError):
    """A custom JVP/VJP rule returned values of the wrong structure, shape or dtype."""


# ----------------------------------------------------------------------------- arguments


class _Signature:
    """Splits a call's arguments into dynamic (differentiated) and static ones."""

    def __init__(self, fun, static_argnums, static_argnames, what):
        self.fun = fun
        self.what = what
        try:
            self.sig = inspect.signature(fun)
        except (TypeError, ValueError):
            self.sig = None
        names = list(static_argnames)
        if static_argnums:
            if self.sig is None:
                raise TypeError(f"{what}: cannot read the signature to resolve static_argnums")
            params = list(self.sig.parameters)
            for i in static_argnums:
                if not -len(params) <= i < len(params):
                    raise ValueError(
                        f"{what}: static_argnums entry {i} is out of range for {len(params)} "
                        f"parameters {params}"
                    )
                names.append(params[i])
        if names and self.sig is not None:
            unknown = [n for n in names if n not in self.sig.parameters]
            if unknown:
                raise ValueError(
                    f"{what}: static_argnames {unknown} are not parameters of "
                    f"{fun_name(fun)}{self.sig}"
                )
        self.static = tuple(names)

    def split(self, args, kwargs):
        """``(dynamic values in order, static values by name)``."""
        if not self.static and not kwargs:
            return list(args), {}
        bound = self.sig.bind(*args, **kwargs)
        bound.apply_defaults()
        dynamic, static = [], {}
        for name, value in bound.arguments.items():
            kind = self.sig.parameters[name].kind
            if name in self.static:
                static[name] = value
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                dynamic.extend(value)
            elif kind is inspect.Parameter.VAR_KEYWORD:
                if value:
                    raise TypeError(
                        f"{self.what}: **kwargs arguments ({sorted(value)}) must be static; "
                        "list them in static_argnames"
                    )
            else:
                dynamic.append(value)
        return dynamic, static

    def call(self, fun, dynamic, static):
        """Call ``fun`` (f itself, or fwd) with the dynamic values and static ones by name."""
        if not static:
            return fun(*dynamic)
        it = iter(dynamic)
        args, kwargs = [], {}
        positional = True
        for name, p in self.sig.parameters.items():
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                args.extend(it)
                positional = False
                continue
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                continue
            value = static[name] if name in static else next(it)
            if p.kind is inspect.Parameter.POSITIONAL_ONLY or (
                positional and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            ):
                args.append(value)
            else:
                kwargs[name] = value
        return fun(*args, **kwargs)


def _check_tree(what, got_tree, got_avals, want_tree, want_avals, fix):
    if got_tree != want_tree:
        raise CustomRuleError(
            f"{what} returned a pytree of structure {got_tree}, but {want_tree} was expected. {fix}"
        )
    for (path, _), g, w in zip(
        tree.flatten_with_path(tree.unflatten(want_tree, list(want_avals)))[0],
        got_avals,
        want_avals,
        strict=True,
    ):
        if g.shape != w.shape or (g.dtype != w.dtype and w.dtype.kind in "fc"):
            raise CustomRuleError(
                f"{what} returned {g.str_short()} at {tree.keystr(path) or 'the top level'}, "
                f"but {w.str_short()} was expected. {fix}"
            )


def _closed_over_error(name, kind):
    return CustomRuleError(
        f"{name} (a {kind} function) closes over a value that is being differentiated; its rule "
        "only gives derivatives with respect to its arguments, so that derivative would be "
        "silently lost. Pass the value as an explicit argument instead."
    )


class _CustomFunction:
    """What ``custom_jvp`` and ``custom_vjp`` share: the wrapped function, its static
    arguments, method binding, and tracing a call into a program."""

    kind = "custom"

    def __init__(self, fun: Callable, nondiff_argnums=(), *, static_argnums=(), static_argnames=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.name = fun_name(fun)
        nondiff = tuple(sorted(int(i) for i in nondiff_argnums))
        self.signature = _Signature(
            fun,
            tuple(static_argnums) + nondiff,
            tuple(static_argnames),
            f"{self.kind} {self.name}",
        )
        # JAX's nondiff_argnums: static too, but handed to the rules positionally, first
        params = list(self.signature.sig.parameters) if self.signature.sig is not None else []
        self.nondiff = tuple(params[i] for i in nondiff)

    def _rule_args(self, static):
        """``(leading positional args, keyword args)`` for a rule: nondiff values, the rest."""
        lead = [static[n] for n in self.nondiff]
        return lead, {k: v for k, v in static.items() if k not in self.nondiff}

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def _trace(self, args, kwargs):
        """``(dynamic, static, leaves, in_tree, program, captured, out_tree)`` of one call."""
        sig = self.signature
        dynamic, static = sig.split(args, kwargs)
        leaves, in_tree = tree.check_leaves(
            tuple(dynamic), what=f"the arguments of {self.kind} function {self.name}"
        )
        out_trees = []

        def flat_fun(*xs):
            out = sig.call(self.fun, list(tree.unflatten(in_tree, xs)), static)
            out_leaves, out_tree = tree.check_leaves(out, what=f"the output of {self.name}")
            out_trees.append(out_tree)
            return out_leaves

        leaves = [_as_array(x) for x in leaves]
        try:
            program, captured = closure_convert(
                flat_fun, avals_of(leaves), f"{self.kind} {self.name}"
            )
        except ConcretizationError as err:
            # Python control flow on an argument: fine when every argument is concrete below
            # the transformations in play (eager grad/jvp), as in JAX; under jit/vmap re-raise
            concrete = _concrete_values(leaves)
            if concrete is None:
                raise
            out_trees.clear()
            out_avals = avals_of(flat_fun(*concrete))
            program, captured = _ConcreteProgram(flat_fun, out_avals, err), []
        return dynamic, static, leaves, in_tree, program, captured, out_trees[0]


def _only_python_scalars(dynamic, captured) -> bool:
    """Python-scalar arguments and nothing traced closed over: there is nothing to
    differentiate, so the function runs as itself and its Python-scalar results stay weakly
    typed, as in JAX (``x32 * f(0.95)`` stays float32 under every transformation)."""
    leaves = tree.leaves(dynamic)
    return not captured and bool(leaves) and all(type(x) in (float, int, complex) for x in leaves)


def _as_array(x):
    """Python scalars become 0-d arrays (the interpreters' implementations expect dtypes)."""
    return np.asarray(x) if type(x) in (float, int, bool, complex) else x


def _concrete_values(leaves):
    """The concrete values behind ``leaves`` (JVP tracers of eager grad/jvp), or None."""
    values = []
    for x in leaves:
        if isinstance(x, Tracer):
            try:
                x = x.to_concrete("a custom rule's Python control flow")
            except ConcretizationError:
                return None
        values.append(x)
    return values


class _ConcreteProgram:
    """Stands in for the traced program of a custom function whose Python code branches on an
    argument's value. Only possible when the arguments are concrete (eager ``grad``/``jvp``):
    the rules run on concrete primals and the implementation calls the Python function. A
    transformation that needs the program itself (``jit``, ``vmap``) gets the original
    ConcretizationError, which names the user's line."""

    def __init__(self, flat_fun, out_avals, error):
        self.flat_fun, self.out_avals, self.error = flat_fun, out_avals, error

    def __call__(self, *args):
        return self.flat_fun(*args)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise self.error


# ============================================================================= custom_jvp

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)
custom_jvp_call_p.impl = lambda *args, fun, jvp, num_consts, name: list(run(fun, args))
custom_jvp_call_p.abstract_eval = lambda *avals, fun, **_: list(fun.out_avals)
native_rule(custom_jvp_call_p)(lambda g, eqn, *values, fun, **_: g.inline(fun, values))


def _custom_jvp_jvp(primals, tangents, *, fun, jvp, num_consts, name):
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise _closed_over_error(name, "custom_jvp")
    args = primals[num_consts:]
    t_in = [
        zeros_like_aval(get_aval(p)) if type(t) is Zero else t
        for p, t in zip(args, tangents[num_consts:], strict=True)
    ]
    return jvp(list(args), t_in)


def _custom_jvp_batch(vals, dims, *, fun, jvp, num_consts, name):
    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    program, _ = batch_program(fun, tuple(dims), avals_of(vals), size)
    arg_dims = list(dims[num_consts:])
    n_out = len(fun.out_avals)

    def batched_jvp(primals, tangents):
        outs = batched_call(
            lambda *a: [
                x for part in jvp(list(a[: len(primals)]), list(a[len(primals) :])) for x in part
            ],
            list(primals) + list(tangents),
            arg_dims + arg_dims,
            size,
        )
        return outs[:n_out], outs[n_out:]

    outs = custom_jvp_call_p.bind(
        *vals, fun=program, jvp=batched_jvp, num_consts=num_consts, name=name
    )
    return outs, [0] * len(outs)


custom_jvp_call_p.jvp = _custom_jvp_jvp
custom_jvp_call_p.batch = _custom_jvp_batch


class custom_jvp(_CustomFunction):
    """A function with its own JVP rule; reverse mode comes from transposing that rule.

    Decorate the function, then its rule with ``@f.defjvp``. The rule receives
    ``(primals, tangents)`` (tuples with one entry per non-static argument) and returns
    ``(primal_out, tangent_out)``; the tangent output must be linear in ``tangents`` (write it
    with ftrans operations). Static (non-array) arguments are named in ``static_argnames``
    (or ``static_argnums``) and reach the rule as keyword arguments.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> @ft.custom_jvp
        ... def log1pexp(x):
        ...     return fnp.log1p(fnp.exp(x))
        >>> @log1pexp.defjvp
        ... def _(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return log1pexp(x), t * ft.nn.sigmoid(x)
        >>> with np.errstate(over="ignore"):  # exp(1000) overflows to inf
        ...     print(float(ft.grad(log1pexp)(1000.0)))  # the naive derivative is inf/inf = nan
        1.0
    """

    kind = "custom_jvp"

    def __init__(self, fun: Callable, nondiff_argnums=(), *, static_argnums=(), static_argnames=()):
        super().__init__(
            fun, nondiff_argnums, static_argnums=static_argnums, static_argnames=static_argnames
        )
        self.jvp_rule: Callable | None = None

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        """Set the JVP rule ``jvp(*nondiff, primals, tangents, **static) -> (out, t_out)``.

        ``symbolic_zeros`` is accepted for JAX compatibility; zero tangents always reach the
        rule as zero arrays."""
        if not callable(jvp):
            raise TypeError(f"custom_jvp {self.name}: defjvp needs a function, got {jvp!r}")
        self.jvp_rule = jvp
        return jvp

    def defjvps(self, *jvps: Callable | None) -> None:
        """Set the JVP rule one argument at a time, as JAX's ``defjvps``.

        ``jvps[i](g, primal_out, *primals)`` is the output tangent due to argument ``i``'s
        tangent ``g`` (``None``: that argument has no derivative); the contributions are
        summed. Nondiff arguments come first in ``primals``, as in JAX.

        Examples:
            >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
            >>> @ft.custom_jvp
            ... def f(x, y):
            ...     return fnp.sin(x) * y
            >>> f.defjvps(lambda g, ans, x, y: fnp.cos(x) * g * y,
            ...           lambda g, ans, x, y: fnp.sin(x) * g)
            >>> [round(float(d), 6) for d in ft.grad(f, argnums=(0, 1))(0.5, 2.0)]
            [1.755165, 0.479426]
        """
        n_diff = len(self.signature.sig.parameters) - len(self.signature.static)
        if self.signature.sig is not None and len(jvps) != n_diff:
            raise TypeError(
                f"custom_jvp {self.name}: defjvps needs one rule (or None) per differentiable "
                f"argument ({n_diff}), got {len(jvps)}"
            )
        sig = self.signature

        def rule(*args, **static):
            lead = list(args[: len(self.nondiff)])
            primals, tangents = args[len(self.nondiff) :]
            full = {**static, **dict(zip(self.nondiff, lead, strict=True))}
            out = sig.call(self.fun, list(primals), full)
            total = None
            for jvp, p, t in zip(jvps, primals, tangents, strict=True):
                if jvp is None:
                    continue
                del p
                term = jvp(t, out, *lead, *primals)
                total = term if total is None else tree.map(lambda a, b: a + b, total, term)
            if total is None:
                total = tree.map(lambda o: zeros_like_aval(get_aval(o)), out)
            return out, total

        self.jvp_rule = rule

    def __call__(self, *args, **kwargs):
        if self.jvp_rule is None:
            raise TypeError(
                f"custom_jvp function {self.name} has no JVP rule: define one with "
                f"@{self.name}.defjvp before calling it."
            )
        if not core._stack:  # no transformation: the rule is not needed (as in JAX)
            return self.fun(*args, **kwargs)
        dynamic, static, leaves, in_tree, program, captured, out_tree = self._trace(args, kwargs)
        if _only_python_scalars(dynamic, captured):
            return self.fun(*args, **kwargs)
        rule, name = self.jvp_rule, self.name

        def flat_jvp(primals, tangents):
            p_args = tree.unflatten(in_tree, primals)
            t_args = tree.unflatten(in_tree, tangents)
            lead, kw = self._rule_args(static)
            result = rule(*lead, tuple(p_args), tuple(t_args), **kw)
            if not (isinstance(result, tuple) and len(result) == 2):
                raise CustomRuleError(
                    f"the JVP rule of {name} must return a pair (primal_out, tangent_out), got "
                    f"{type(result).__name__}"
                )
            out, t_out = result
            fix = f"Make the JVP rule of {name} return outputs shaped like {name}'s own."
            o_leaves, o_tree = tree.check_leaves(
                out, what=f"the primal output of {name}'s JVP rule"
            )
            _check_tree(
                f"the JVP rule of {name} (primal output)",
                o_tree,
                avals_of(o_leaves),
                out_tree,
                program.out_avals,
                fix,
            )
            t_leaves, t_tree = tree.check_leaves(
                t_out, what=f"the tangent output of {name}'s JVP rule"
            )
            _check_tree(
                f"the JVP rule of {name} (tangent output)",
                t_tree,
                avals_of(t_leaves),
                out_tree,
                program.out_avals,
                fix,
            )
            return list(o_leaves), list(t_leaves)

        outs = custom_jvp_call_p.bind(
            *captured, *leaves, fun=program, jvp=flat_jvp, num_consts=len(captured), name=name
        )
        return tree.unflatten(out_tree, outs)


# ============================================================================= custom_vjp

custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)
custom_vjp_call_p.impl = lambda *args, fun, fwd, bwd, num_consts, name: list(run(fun, args))
custom_vjp_call_p.abstract_eval = lambda *avals, fun, **_: list(fun.out_avals)
native_rule(custom_vjp_call_p)(lambda g, eqn, *values, fun, **_: g.inline(fun, values))

# The tangent map of a custom_vjp function: linear in the tangents, with the residuals of the
# forward pass as non-linear inputs. Its transpose is the user's backward pass.
custom_vjp_lin_p = Primitive("custom_vjp_lin", multiple_results=True, linear=True)
numpy_only("the user's backward pass, traced when it runs", custom_vjp_lin_p)


def _apply_transposed_bwd(res, tangents, bwd, out_avals, name):
    """``J t`` from the backward pass ``ct -> J^T ct``: trace it, then transpose it."""
    from ftrans.interpreters.transpose import backward_pass

    program, captured = closure_convert(
        lambda *cts: bwd(list(res), list(cts)),
        list(out_avals),
        "custom_vjp backward",
        record_source=False,
    )
    try:
        results = backward_pass(
            program.jaxpr,
            program.consts,
            [*captured, *(True,) * len(out_avals)],
            list(tangents),
        )
    except UnsupportedError as err:
        raise CustomRuleError(
            f"Forward mode (jvp, jacfwd) of the custom_vjp function {name} runs its bwd rule "
            "transposed, which needs bwd to be linear in the cotangent g; here it is not "
            f"({err}). Define {name} with ftrans.custom_jvp to give it a forward-mode rule, or "
            "differentiate it in reverse mode only (grad, vjp, jacrev)."
        ) from None
    return [
        zeros_like_aval(a) if type(r) is Zero else r
        for r, a in zip(results[len(captured) :], out_avals, strict=True)
    ]


def _lin_impl(*args, bwd, n_res, out_avals, name):
    return _apply_transposed_bwd(args[:n_res], args[n_res:], bwd, out_avals, name)


def _lin_jvp(primals, tangents, *, bwd, n_res, out_avals, name):
    from ftrans.interpreters.jvp import jvp_flat

    return jvp_flat(
        lambda *a: _apply_transposed_bwd(a[:n_res], a[n_res:], bwd, out_avals, name),
        list(primals),
        list(tangents),
        f"jvp of custom_vjp {name}",
    )


def _lin_transpose(cts, *args, bwd, n_res, out_avals, name):
    if any(is_undefined(a) for a in args[:n_res]):
        raise TypeError(f"custom_vjp {name}: residuals cannot be linear inputs")
    cts = [
        zeros_like_aval(a) if type(c) is Zero else c for c, a in zip(cts, out_avals, strict=True)
    ]
    cts_in = bwd(list(args[:n_res]), cts)
    return [None] * n_res + [
        c if is_undefined(a) else None for c, a in zip(cts_in, args[n_res:], strict=True)
    ]


def _lin_batch(vals, dims, *, bwd, n_res, out_avals, name):
    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    outs = batched_call(
        lambda *a: _apply_transposed_bwd(a[:n_res], a[n_res:], bwd, out_avals, name),
        list(vals),
        list(dims),
        size,
    )
    return outs, [0] * len(outs)


custom_vjp_lin_p.impl = _lin_impl
custom_vjp_lin_p.abstract_eval = lambda *avals, out_avals, **_: list(out_avals)
custom_vjp_lin_p.jvp = _lin_jvp
custom_vjp_lin_p.transpose = _lin_transpose
custom_vjp_lin_p.batch = _lin_batch


def _custom_vjp_jvp(primals, tangents, *, fun, fwd, bwd, num_consts, name):
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise _closed_over_error(name, "custom_vjp")
    args = primals[num_consts:]
    outs, res = fwd(list(args))
    t_in = [
        zeros_like_aval(get_aval(p)) if type(t) is Zero else t
        for p, t in zip(args, tangents[num_consts:], strict=True)
    ]
    t_out = custom_vjp_lin_p.bind(
        *res, *t_in, bwd=bwd, n_res=len(res), out_avals=tuple(fun.out_avals), name=name
    )
    return outs, t_out


def _custom_vjp_batch(vals, dims, *, fun, fwd, bwd, num_consts, name):
    from ftrans.primitives._batch import moveaxis
    from ftrans.primitives.reductions import reduce_sum

    size = next(v.shape[d] for v, d in zip(vals, dims, strict=True) if d is not None)
    program, _ = batch_program(fun, tuple(dims), avals_of(vals), size)
    arg_dims = list(dims[num_consts:])
    n_out = len(fun.out_avals)

    def batched_fwd(primals):
        parts = batched_call(
            lambda *a: [*(lambda o, r: [*o, *r])(*fwd(list(a)))], list(primals), arg_dims, size
        )
        return parts[:n_out], parts[n_out:]

    def batched_bwd(res, cts):
        cts_in = batched_call(
            lambda *a: bwd(list(a[: len(res)]), list(a[len(res) :])),
            list(res) + list(cts),
            [0] * (len(res) + len(cts)),
            size,
        )
        # back to each argument's own layout; an unbatched argument was shared by the whole
        # batch, so its cotangent is the sum over the batch
        return [
            reduce_sum(c, axes=(0,)) if d is None else moveaxis(c, 0, d)
            for c, d in zip(cts_in, arg_dims, strict=True)
        ]

    outs = custom_vjp_call_p.bind(
        *vals, fun=program, fwd=batched_fwd, bwd=batched_bwd, num_consts=num_consts, name=name
    )
    return outs, [0] * len(outs)


custom_vjp_call_p.jvp = _custom_vjp_jvp
custom_vjp_call_p.batch = _custom_vjp_batch


class custom_vjp(_CustomFunction):
    """A function with its own forward and backward passes for reverse mode.

    ``f.defvjp(fwd, bwd)``: ``fwd`` takes the same arguments as ``f`` and returns
    ``(output, residuals)`` (residuals: any pytree of arrays); ``bwd(residuals, g)`` returns a
    tuple with one cotangent per non-static argument (None for an argument it does not
    differentiate, or for a leaf inside one). Static arguments, named in ``static_argnames``,
    reach ``bwd`` as keyword arguments. Forward mode (``jvp``, ``jacfwd``) works too: ftrans
    transposes ``bwd``, which is linear in ``g``.

    Examples:
        >>> import numpy as np, ftrans as ft, ftrans.numpy as fnp
        >>> @ft.custom_vjp
        ... def clip_gradient(x):
        ...     return x
        >>> def fwd(x):
        ...     return x, None
        >>> def bwd(_, g):
        ...     return (fnp.clip(g, -1.0, 1.0),)
        >>> clip_gradient.defvjp(fwd, bwd)
        >>> ft.grad(lambda x: fnp.sum(3.0 * clip_gradient(x)))(np.array([1.0, 2.0])).tolist()
        [1.0, 1.0]
    """

    kind = "custom_vjp"

    def __init__(self, fun: Callable, nondiff_argnums=(), *, static_argnums=(), static_argnames=()):
        super().__init__(
            fun, nondiff_argnums, static_argnums=static_argnums, static_argnames=static_argnames
        )
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False) -> None:
        """Set the forward pass ``fwd(*args) -> (out, residuals)`` and the backward pass
        ``bwd(residuals, g, **static) -> tuple of cotangents``."""
        for rule, label in ((fwd, "fwd"), (bwd, "bwd")):
            if not callable(rule):
                raise TypeError(f"custom_vjp {self.name}: defvjp needs a function for {label}")
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise TypeError(
                f"custom_vjp function {self.name} has no rules: call "
                f"{self.name}.defvjp(fwd, bwd) before calling it."
            )
        if not core._stack:  # no transformation: the rules are not needed (as in JAX)
            return self.fun(*args, **kwargs)
        dynamic, static, leaves, in_tree, program, captured, out_tree = self._trace(args, kwargs)
        if _only_python_scalars(dynamic, captured):
            return self.fun(*args, **kwargs)
        sig = self.signature
        fwd_rule, bwd_rule, name = self.fwd, self.bwd, self.name
        res_trees = []

        def flat_fwd(primals):
            result = sig.call(fwd_rule, list(tree.unflatten(in_tree, primals)), static)
            if not (isinstance(result, tuple) and len(result) == 2):
                raise CustomRuleError(
                    f"the fwd rule of {name} must return a pair (output, residuals), got "
                    f"{type(result).__name__}"
                )
            out, res = result
            o_leaves, o_tree = tree.check_leaves(out, what=f"the output of {name}'s fwd rule")
            _check_tree(
                f"the fwd rule of {name}",
                o_tree,
                avals_of(o_leaves),
                out_tree,
                program.out_avals,
                f"Make fwd return ({name}'s output, residuals).",
            )
            r_leaves, r_tree = tree.check_leaves(res, what=f"the residuals of {name}'s fwd rule")
            res_trees[:] = [r_tree]
            return list(o_leaves), list(r_leaves)

        def flat_bwd(res, cts):
            g = tree.unflatten(out_tree, cts)
            lead, kw = self._rule_args(static)
            result = bwd_rule(*lead, tree.unflatten(res_trees[0], res), g, **kw)
            n_args = len(dynamic)
            if not isinstance(result, (tuple, list)) or len(result) != n_args:
                got = (
                    f"a {type(result).__name__} of length {len(result)}"
                    if isinstance(result, (tuple, list))
                    else f"a {type(result).__name__}"
                )
                raise CustomRuleError(
                    f"the bwd rule of {name} must return a tuple with one cotangent per "
                    f"non-static argument ({n_args}), got {got}. Use None for an argument "
                    "that needs no cotangent; wrap a single one as (ct,)."
                )
            flat = []
            for k, (arg, ct) in enumerate(zip(dynamic, result, strict=True)):
                arg_leaves, arg_tree = tree.flatten(arg)
                if ct is None:
                    flat += [zeros_like_aval(get_aval(x)) for x in arg_leaves]
                    continue
                ct_leaves, ct_tree = tree.flatten(ct, is_leaf=lambda x: x is None)
                if ct_tree != arg_tree:
                    raise CustomRuleError(
                        f"the bwd rule of {name} returned a cotangent of structure {ct_tree} "
                        f"for argument {k}, whose structure is {arg_tree}. Return cotangents "
                        "shaped like the arguments (None for parts without one)."
                    )
                for x, c in zip(arg_leaves, ct_leaves, strict=True):
                    aval = get_aval(x)
                    if c is None:
                        flat.append(zeros_like_aval(aval))
                        continue
                    caval = get_aval(c)
                    if caval.shape != aval.shape:
                        raise CustomRuleError(
                            f"the bwd rule of {name} returned a cotangent of shape "
                            f"{caval.shape} for argument {k}, whose shape is {aval.shape}. "
                            "Sum over broadcast dimensions so it matches the argument."
                        )
                    flat.append(c)
            return flat

        outs = custom_vjp_call_p.bind(
            *captured,
            *leaves,
            fun=program,
            fwd=flat_fwd,
            bwd=flat_bwd,
            num_consts=len(captured),
            name=name,
        )
        return tree.unflatten(out_tree, outs)


__all__ = ["CustomRuleError", "custom_jvp", "custom_vjp"]
