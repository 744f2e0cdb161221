"""``ftrans.example_libraries.optimizers``: JAX's classic optimisers as function triples.

An optimiser is a triple ``(init_fun, update_fun, get_params)``:

* ``opt_state = init_fun(params)`` for any pytree of arrays;
* ``opt_state = update_fun(step, grads, opt_state)``: one step (``step`` counts from 0 and
  feeds the step-size schedule);
* ``params = get_params(opt_state)``.

Each optimiser is written for one array (``init(x0)``, ``update(i, g, state)``,
``get_params(state)``) and the `optimizer` decorator lifts it to pytrees, packing the
per-leaf states into an `OptimizerState`, a pytree, so whole states pass through ``jit``.
The numbers are JAX's (``jax.example_libraries.optimizers``), written with ``ftrans.numpy``.

Examples:
    >>> import numpy as np
    >>> import ftrans as ft
    >>> from ftrans.example_libraries import optimizers
    >>> init_fun, update_fun, get_params = optimizers.adam(step_size=0.1)
    >>> loss = lambda p: ((p["w"] - 2.0) ** 2).sum()
    >>> state = init_fun({"w": np.zeros(3)})
    >>> for i in range(200):
    ...     state = update_fun(i, ft.grad(loss)(get_params(state)), state)
    >>> np.round(get_params(state)["w"], 3)
    array([2., 2., 2.])
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

import ftrans.numpy as fnp
from ftrans import tree

__all__ = [
    "InitFn",
    "JoinPoint",
    "Optimizer",
    "OptimizerState",
    "ParamsFn",
    "Schedule",
    "UpdateFn",
    "adagrad",
    "adam",
    "adamax",
    "clip_grads",
    "constant",
    "exponential_decay",
    "inverse_time_decay",
    "l2_norm",
    "make_schedule",
    "momentum",
    "nesterov",
    "optimizer",
    "pack_optimizer_state",
    "piecewise_constant",
    "polynomial_decay",
    "rmsprop",
    "rmsprop_momentum",
    "sgd",
    "sm3",
    "unpack_optimizer_state",
]

Schedule = Callable[[Any], Any]
InitFn = Callable[[Any], Any]
UpdateFn = Callable[[Any, Any, Any], Any]
ParamsFn = Callable[[Any], Any]


class OptimizerState(NamedTuple):
    """The pytree state of a lifted optimiser.

    Attributes:
        packed_state: per params leaf, the flat leaves of that leaf's state.
        tree_def: the params' treedef.
        subtree_defs: per params leaf, the treedef of its state.
    """

    packed_state: Any
    tree_def: Any
    subtree_defs: Any


# only packed_state holds arrays; the treedefs ride along as static data
tree.register_pytree_node(
    OptimizerState,
    lambda s: ((s.packed_state,), (s.tree_def, tuple(s.subtree_defs))),
    lambda aux, children: OptimizerState(children[0], aux[0], aux[1]),
)


class Optimizer(NamedTuple):
    """The triple an optimiser factory returns."""

    init_fn: InitFn
    update_fn: UpdateFn
    params_fn: ParamsFn


def _structure_error(params_def: Any, other_def: Any, what: str) -> TypeError:
    return TypeError(
        f"optimizer update function was passed a {what} tree that did not match the parameter "
        f"tree structure with which it was initialized: parameter tree {params_def} and {what} "
        f"tree {other_def}."
    )


def optimizer(
    opt_maker: Callable[..., tuple[InitFn, UpdateFn, ParamsFn]],
) -> Callable[..., Optimizer]:
    """Lift an optimiser written for one array to pytrees of arrays.

    ``opt_maker(*args)`` returns ``(init, update, get_params)`` for a single array; the
    decorated factory returns an `Optimizer` whose functions take pytrees and keep an
    `OptimizerState`.

    Examples:
        >>> import numpy as np
        >>> from ftrans.example_libraries import optimizers
        >>> @optimizers.optimizer
        ... def halve():
        ...     return (lambda x0: x0), (lambda i, g, x: x / 2), (lambda x: x)
        >>> init_fun, update_fun, get_params = halve()
        >>> get_params(update_fun(0, {"a": 0.0}, init_fun({"a": np.array([8.0])})))
        {'a': array([4.])}
    """

    @functools.wraps(opt_maker)
    def tree_opt_maker(*args: Any, **kwargs: Any) -> Optimizer:
        init, update, get_params = opt_maker(*args, **kwargs)

        @functools.wraps(init)
        def tree_init(x0_tree: Any) -> OptimizerState:
            x0_flat, params_def = tree.flatten(x0_tree)
            states = [init(x0) for x0 in x0_flat]
            flats = [tree.flatten(s) for s in states]
            return OptimizerState([f for f, _ in flats], params_def, tuple(d for _, d in flats))

        @functools.wraps(update)
        def tree_update(i: Any, grad_tree: Any, opt_state: OptimizerState) -> OptimizerState:
            if not isinstance(opt_state, OptimizerState):
                raise TypeError(
                    "optimizer update function expects update_fun(step, grads, opt_state) with "
                    f"the OptimizerState from init_fun, got a {type(opt_state).__name__} as "
                    "opt_state."
                )
            states_flat, params_def, subtree_defs = opt_state
            grad_flat, grad_def = tree.flatten(grad_tree)
            if grad_def != params_def:
                raise _structure_error(params_def, grad_def, "gradient")
            states = [d.unflatten(s) for d, s in zip(subtree_defs, states_flat, strict=True)]
            new_states = [update(i, g, s) for g, s in zip(grad_flat, states, strict=True)]
            flats = [tree.flatten(s) for s in new_states]
            for old, (_, new) in zip(subtree_defs, flats, strict=True):
                if old != new:
                    raise TypeError(
                        "optimizer update function produced an output structure that did not "
                        f"match its input structure: input {old} and output {new}."
                    )
            return OptimizerState([f for f, _ in flats], params_def, subtree_defs)

        @functools.wraps(get_params)
        def tree_get_params(opt_state: OptimizerState) -> Any:
            states_flat, params_def, subtree_defs = opt_state
            states = [d.unflatten(s) for d, s in zip(subtree_defs, states_flat, strict=True)]
            return params_def.unflatten([get_params(s) for s in states])

        return Optimizer(tree_init, tree_update, tree_get_params)

    return tree_opt_maker


# ----------------------------------------------------------------------------- optimisers


@optimizer
def sgd(step_size: float | Schedule) -> tuple[InitFn, UpdateFn, ParamsFn]:
    r"""Gradient descent: $x \leftarrow x - \alpha(i) \, g$, with $\alpha$ the ``step_size``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.example_libraries import optimizers
        >>> init_fun, update_fun, get_params = optimizers.sgd(0.1)
        >>> get_params(update_fun(0, np.array([1.0]), init_fun(np.array([1.0]))))
        array([0.9])
    """
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0

    def update(i: Any, g: Any, x: Any) -> Any:
        return x - step_size(i) * g

    def get_params(x: Any) -> Any:
        return x

    return Optimizer(init, update, get_params)


@optimizer
def momentum(step_size: float | Schedule, mass: float) -> tuple[InitFn, UpdateFn, ParamsFn]:
    r"""Heavy-ball momentum with $\alpha$ the ``step_size`` and $\mu$ the ``mass``.

    $$
    v \leftarrow \mu \, v + g, \qquad x \leftarrow x - \alpha(i) \, v
    $$
    """
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, fnp.zeros_like(x0)

    def update(i: Any, g: Any, state: Any) -> Any:
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * velocity, velocity

    def get_params(state: Any) -> Any:
        return state[0]

    return init, update, get_params


@optimizer
def nesterov(step_size: float | Schedule, mass: float) -> tuple[InitFn, UpdateFn, ParamsFn]:
    r"""Nesterov momentum with $\alpha$ the ``step_size`` and $\mu$ the ``mass``.

    $$
    v \leftarrow \mu \, v + g, \qquad x \leftarrow x - \alpha(i) \, (\mu \, v + g)
    $$
    """
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, fnp.zeros_like(x0)

    def update(i: Any, g: Any, state: Any) -> Any:
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * (mass * velocity + g), velocity

    def get_params(state: Any) -> Any:
        return state[0]

    return init, update, get_params


@optimizer
def adagrad(
    step_size: float | Schedule, momentum: float = 0.9
) -> tuple[InitFn, UpdateFn, ParamsFn]:
    r"""Adagrad with momentum (JAX's variant): the momentum averages $g / \sqrt{\sum g^2}$.

    With $\alpha$ the ``step_size``, $\mu$ the ``momentum`` and $s$ the sum of the squared
    gradients so far (0 where $s = 0$):

    $$
    s \leftarrow s + g^2, \qquad m \leftarrow (1 - \mu) \, \frac{g}{\sqrt{s}} + \mu \, m,
    \qquad x \leftarrow x - \alpha(i) \, m
    $$
    """
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i: Any, g: Any, state: Any) -> Any:
        x, g_sq, m = state
        g_sq = g_sq + fnp.square(g)
        positive = g_sq > 0
        inv_sqrt = fnp.where(positive, 1.0 / fnp.sqrt(fnp.where(positive, g_sq, 1.0)), 0.0)
        m = (1.0 - momentum) * (g * inv_sqrt) + momentum * m
        return x - step_size(i) * m, g_sq, m

    def get_params(state: Any) -> Any:
        return state[0]

    return init, update, get_params


@optimizer
def rmsprop(
    step_size: float | Schedule, gamma: float = 0.9, eps: float = 1e-8
) -> tuple[InitFn, UpdateFn, ParamsFn]:
    r"""RMSProp with $\alpha$ the ``step_size`` and $\gamma$ the ``gamma``.

    $$
    a \leftarrow \gamma \, a + (1 - \gamma) \, g^2, \qquad
    x \leftarrow x - \alpha(i) \, \frac{g}{\sqrt{a + \epsilon}}
    $$
    """
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, fnp.zeros_like(x0)

    def update(i: Any, g: Any, state: Any) -> Any:
        x, avg_sq_grad = state
        avg_sq_grad = avg_sq_grad * gamma + fnp.square(g) * (1.0 - gamma)
        return x - step_size(i) * g / fnp.sqrt(avg_sq_grad + eps), avg_sq_grad

    def get_params(state: Any) -> Any:
        return state[0]

    return init, update, get_params


@optimizer
def rmsprop_momentum(
    step_size: float | Schedule, gamma: float = 0.9, eps: float = 1e-8, momentum: float = 0.9
) -> tuple[InitFn, UpdateFn, ParamsFn]:
    r"""RMSProp whose scaled steps go through a momentum buffer ($\mu$ the ``momentum``).

    $$
    a \leftarrow \gamma \, a + (1 - \gamma) \, g^2, \qquad
    m \leftarrow \mu \, m + \alpha(i) \, \frac{g}{\sqrt{a + \epsilon}}, \qquad
    x \leftarrow x - m
    $$
    """
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i: Any, g: Any, state: Any) -> Any:
        x, avg_sq_grad, mom = state
        avg_sq_grad = avg_sq_grad * gamma + fnp.square(g) * (1.0 - gamma)
        mom = momentum * mom + step_size(i) * g / fnp.sqrt(avg_sq_grad + eps)
        return x - mom, avg_sq_grad, mom

    def get_params(state: Any) -> Any:
        return state[0]

    return init, update, get_params


def _power(base: float, i: Any, like: Any) -> Any:
    """``base ** (i + 1)`` in the dtype of ``like`` (JAX computes the bias corrections so)."""
    dtype = fnp.asarray(like).dtype
    return fnp.astype(fnp.asarray(base), dtype) ** (i + 1)


@optimizer
def adam(
    step_size: float | Schedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> tuple[InitFn, UpdateFn, ParamsFn]:
    r"""Adam (Kingma & Ba, 2015), with the step count ``i`` from 0.

    With $\alpha$ the ``step_size``:

    $$
    \begin{aligned}
    m &\leftarrow (1 - b_1) \, g + b_1 m, &
    \hat m &= \frac{m}{1 - b_1^{i+1}}, \\
    v &\leftarrow (1 - b_2) \, g^2 + b_2 v, &
    \hat v &= \frac{v}{1 - b_2^{i+1}}, \\
    x &\leftarrow x - \alpha(i) \, \frac{\hat m}{\sqrt{\hat v} + \epsilon} .
    \end{aligned}
    $$

    Examples:
        >>> import numpy as np
        >>> from ftrans.example_libraries import optimizers
        >>> init_fun, update_fun, get_params = optimizers.adam(0.1)
        >>> np.round(get_params(update_fun(0, np.array([5.0]), init_fun(np.array([1.0])))), 6)
        array([0.9])
    """
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i: Any, g: Any, state: Any) -> Any:
        x, m, v = state
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * fnp.square(g) + b2 * v
        m_hat = m / (1 - _power(b1, i, m))
        v_hat = v / (1 - _power(b2, i, m))
        return x - step_size(i) * m_hat / (fnp.sqrt(v_hat) + eps), m, v

    def get_params(state: Any) -> Any:
        return state[0]

    return init, update, get_params


@optimizer
def adamax(
    step_size: float | Schedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> tuple[InitFn, UpdateFn, ParamsFn]:
    r"""Adamax: Adam with the infinity norm, $u \leftarrow \max(b_2 u, |g|)$.

    $$
    m \leftarrow (1 - b_1) \, g + b_1 m, \qquad u \leftarrow \max(b_2 u, |g|), \qquad
    x \leftarrow x - \frac{\alpha(i)}{1 - b_1^{i+1}} \, \frac{m}{u + \epsilon}
    $$
    """
    step_size = make_schedule(step_size)

    def init(x0: Any) -> Any:
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i: Any, g: Any, state: Any) -> Any:
        x, m, u = state
        m = (1 - b1) * g + b1 * m
        u = fnp.maximum(b2 * u, fnp.abs(g))
        x = x - (step_size(i) / (1 - _power(b1, i, m))) * m / (u + eps)
        return x, m, u

    def get_params(state: Any) -> Any:
        return state[0]

    return init, update, get_params


@optimizer
def sm3(step_size: float | Schedule, momentum: float = 0.9) -> tuple[InitFn, UpdateFn, ParamsFn]:
    """SM3 (Anil et al., 2019): Adagrad with one accumulator per axis, plus momentum."""
    step_size = make_schedule(step_size)

    def along(v: Any, axis: int, ndim: int) -> Any:
        shape = [1] * ndim
        shape[axis] = fnp.shape(v)[0]
        return fnp.reshape(v, tuple(shape))

    def init(x0: Any) -> Any:
        x_shape = tuple(fnp.shape(x0))
        x0 = fnp.atleast_1d(x0)
        vs = [fnp.zeros((size,), dtype=x0.dtype) for size in fnp.shape(x0)]
        return x0, fnp.zeros_like(x0), vs, x_shape

    def update(i: Any, g: Any, state: Any) -> Any:
        x, m, vs, x_shape = state
        g = fnp.reshape(g, fnp.shape(x))
        ndim = fnp.ndim(g)
        broadcast = [along(v, axis, ndim) for axis, v in enumerate(vs)]
        accum = functools.reduce(fnp.minimum, broadcast) + fnp.square(g)
        positive = accum > 0
        inv_sqrt = fnp.where(positive, 1.0 / fnp.sqrt(fnp.where(positive, accum, 1.0)), 0.0)
        m = (1.0 - momentum) * (g * inv_sqrt) + momentum * m
        x = x - step_size(i) * m
        vs = [fnp.max(accum, axis=tuple(a for a in range(ndim) if a != j)) for j in range(ndim)]
        return x, m, vs, x_shape

    def get_params(state: Any) -> Any:
        x, _, _, x_shape = state
        return fnp.reshape(x, tuple(int(s) for s in x_shape))

    return init, update, get_params


# ----------------------------------------------------------------------------- schedules


def constant(step_size: float) -> Schedule:
    """``step_size`` at every step.

    Examples:
        >>> from ftrans.example_libraries import optimizers
        >>> optimizers.constant(0.1)(50)
        0.1
    """

    def schedule(i: Any) -> Any:
        del i
        return step_size

    return schedule


def exponential_decay(step_size: float, decay_steps: int, decay_rate: float) -> Schedule:
    r"""$\alpha \, r^{i / n}$: exponential decay of the step size.

    Here $\alpha$ is the ``step_size``, $r$ the ``decay_rate`` and $n$ the ``decay_steps``.

    Examples:
        >>> from ftrans.example_libraries import optimizers
        >>> float(optimizers.exponential_decay(1.0, 2, 0.5)(4))
        0.25
    """

    def schedule(i: Any) -> Any:
        return step_size * decay_rate ** (i / decay_steps)

    return schedule


def inverse_time_decay(
    step_size: float, decay_steps: int, decay_rate: float, staircase: bool = False
) -> Schedule:
    r"""$\alpha / (1 + r \, i / n)$ (the ratio $i / n$ floored with ``staircase``).

    Here $\alpha$ is the ``step_size``, $r$ the ``decay_rate`` and $n$ the ``decay_steps``.

    Examples:
        >>> from ftrans.example_libraries import optimizers
        >>> float(optimizers.inverse_time_decay(1.0, 2, 1.0, staircase=True)(3))
        0.5
    """
    if staircase:
        return lambda i: step_size / (1 + decay_rate * fnp.floor(i / decay_steps))
    return lambda i: step_size / (1 + decay_rate * i / decay_steps)


def polynomial_decay(
    step_size: float, decay_steps: int, final_step_size: float, power: float = 1.0
) -> Schedule:
    r"""From ``step_size`` to ``final_step_size`` as $(1 - i / n)^p$.

    Here $n$ is the ``decay_steps`` and $p$ the ``power``.

    Examples:
        >>> from ftrans.example_libraries import optimizers
        >>> s = optimizers.polynomial_decay(1.0, 4, 0.0)
        >>> float(s(2)), float(s(9))
        (0.5, 0.0)
    """

    def schedule(step_num: Any) -> Any:
        step_num = fnp.minimum(step_num, decay_steps)
        return (1 - step_num / decay_steps) ** power * (
            step_size - final_step_size
        ) + final_step_size

    return schedule


def piecewise_constant(boundaries: Sequence[Any], values: Sequence[Any]) -> Schedule:
    """``values[k]`` where ``k`` is the number of ``boundaries`` that ``i`` exceeds.

    Examples:
        >>> from ftrans.example_libraries import optimizers
        >>> s = optimizers.piecewise_constant([2, 4], [1.0, 0.5, 0.1])
        >>> [float(s(i)) for i in (0, 2, 3, 5)]
        [1.0, 1.0, 0.5, 0.1]
    """
    boundaries = np.asarray(boundaries)
    values = np.asarray(values)
    if not boundaries.ndim == values.ndim == 1:
        raise ValueError("boundaries and values must be sequences")
    if not boundaries.shape[0] == values.shape[0] - 1:
        raise ValueError("boundaries length must be one shorter than values length")

    def schedule(i: Any) -> Any:
        index = fnp.sum(fnp.astype(fnp.asarray(i) > boundaries, np.int32))
        return fnp.asarray(values)[index]

    return schedule


def make_schedule(scalar_or_schedule: float | Schedule) -> Schedule:
    """A schedule as given, or `constant` of a scalar.

    Raises:
        TypeError: neither a callable nor a scalar.
    """
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if fnp.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(
        "step_size must be a scalar or a schedule (a function of the step), got "
        f"{type(scalar_or_schedule).__name__} of shape {fnp.shape(scalar_or_schedule)}."
    )


# ----------------------------------------------------------------------------- utilities


def l2_norm(tree_: Any) -> Any:
    """The L2 norm of all leaves of a pytree together.

    Examples:
        >>> import numpy as np
        >>> from ftrans.example_libraries import optimizers
        >>> float(optimizers.l2_norm({"a": np.array([3.0]), "b": np.array([4.0])}))
        5.0
    """
    leaves = tree.leaves(tree_)
    total = sum(fnp.vdot(x, x) for x in leaves)
    return fnp.sqrt(total)


def clip_grads(grad_tree: Any, max_norm: float) -> Any:
    """Scale the gradients down to global L2 norm ``max_norm`` if it is exceeded.

    Examples:
        >>> import numpy as np
        >>> from ftrans.example_libraries import optimizers
        >>> optimizers.clip_grads({"a": np.array([3.0, 4.0])}, 1.0)["a"]
        array([0.6, 0.8])
    """
    norm = l2_norm(grad_tree)
    return tree.map(lambda g: fnp.where(norm < max_norm, g, g * (max_norm / norm)), grad_tree)


class JoinPoint:
    """Marks where a params leaf's state subtree starts in a packed optimiser state."""

    def __init__(self, subtree: Any) -> None:
        self.subtree = subtree


def pack_optimizer_state(opt_state: OptimizerState) -> Any:
    """An `OptimizerState` as a pytree of plain containers (for pickling / checkpoints).

    The result has the params' structure with a `JoinPoint` holding each leaf's state.

    Examples:
        >>> import numpy as np
        >>> from ftrans.example_libraries import optimizers
        >>> init_fun, _, _ = optimizers.momentum(0.1, 0.9)
        >>> state = init_fun({"w": np.ones(2)})
        >>> packed = optimizers.pack_optimizer_state(state)
        >>> type(packed["w"]).__name__
        'JoinPoint'
        >>> restored = optimizers.unpack_optimizer_state(packed)
        >>> restored.tree_def == state.tree_def, restored.packed_state[0][1]
        (True, array([0., 0.]))
    """
    states_flat, params_def, subtree_defs = opt_state
    subtrees = [d.unflatten(s) for d, s in zip(subtree_defs, states_flat, strict=True)]
    return params_def.unflatten([JoinPoint(s) for s in subtrees])


def unpack_optimizer_state(marked_pytree: Any) -> OptimizerState:
    """The inverse of `pack_optimizer_state`."""
    joins, params_def = tree.flatten(marked_pytree, is_leaf=lambda x: isinstance(x, JoinPoint))
    if not all(isinstance(j, JoinPoint) for j in joins):
        raise TypeError(
            "unpack_optimizer_state: expected the output of pack_optimizer_state (a pytree of "
            "JoinPoint leaves)."
        )
    flats = [tree.flatten(j.subtree) for j in joins]
    return OptimizerState([f for f, _ in flats], params_def, tuple(d for _, d in flats))
