"""The optimiser protocol (`GradientTransformation`), `chain`, `apply_updates`, shared checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import ftrans.numpy as fnp
from ftrans import tree
from ftrans.errors import FtransError

PyTree = Any
Params = Any
Updates = Any
OptState = Any
Schedule = Callable[[Any], Any]
ScalarOrSchedule = float | Schedule

_INT32_MAX = int(np.iinfo(np.int32).max)


class HyperparameterError(FtransError, ValueError):
    """An optimiser or schedule was built with a hyper-parameter outside its meaningful range."""


class UpdateStructureError(FtransError, ValueError):
    """``update`` got updates whose pytree (or leaf shapes) differ from the state's or params'."""


# tracebacks name the public path, ftrans.optim.HyperparameterError, not the private module
HyperparameterError.__module__ = UpdateStructureError.__module__ = "ftrans.optim"


class GradientTransformation(NamedTuple):
    """An optimiser, or one step of one: a pair of pure functions.

    * ``init(params) -> state`` builds the state (a pytree of arrays, usually a NamedTuple).
    * ``update(updates, state, params=None) -> (updates, state)`` turns incoming updates
      (gradients, at the head of a chain) into outgoing ones and returns the next state.
      ``params`` is only needed by transforms that look at the parameters
      (`add_decayed_weights`, and optimisers built with it such as `adamw`).

    The returned updates are what to *add* to the parameters (see `apply_updates`), so an
    optimiser's update is ``-learning_rate * direction``.

    Both functions are pure and written with ``ftrans.numpy``, so they run under ``jit`` and
    ``vmap`` and can be differentiated through.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.sgd(learning_rate=0.1)
        >>> params = {"w": np.array([1.0, 2.0])}
        >>> state = opt.init(params)
        >>> updates, state = opt.update({"w": np.array([1.0, -1.0])}, state)
        >>> optim.apply_updates(params, updates)
        {'w': array([0.9, 2.1])}
    """

    init: Callable[[Params], OptState]
    update: Callable[..., tuple[Updates, OptState]]


class GradientTransformationExtraArgs(GradientTransformation):
    """A `GradientTransformation` whose ``update`` also takes keyword arguments.

    ``update(updates, state, params=None, **extra_args)``: the extra arguments (e.g.
    ``value=loss`` for `scale_by_polyak`, or ``value``/``grad``/``value_fn`` for the line
    searches of `lbfgs`) are handed on by `chain` and the wrappers to every inner transform
    that is itself a `GradientTransformationExtraArgs`; plain transforms never see them.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.polyak_sgd(max_learning_rate=1.0)
        >>> isinstance(opt, optim.GradientTransformationExtraArgs)
        True
        >>> params = np.array([2.0])  # f(x) = x**2 with f_min = 0: one step lands at 0
        >>> updates, _ = opt.update(2 * params, opt.init(params), params, value=4.0)
        >>> params + updates
        array([1.])
    """


def with_extra_args_support(tx: GradientTransformation) -> GradientTransformationExtraArgs:
    """Wrap ``tx`` so that its ``update`` accepts (and ignores) keyword arguments.

    A `GradientTransformationExtraArgs` is returned unchanged.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> t = optim.with_extra_args_support(optim.scale(2.0))
        >>> t.update(np.ones(1), t.init(np.ones(1)), None, value=3.0)[0]
        array([2.])
    """
    if isinstance(tx, GradientTransformationExtraArgs):
        return tx
    if not isinstance(tx, GradientTransformation):
        raise TypeError(
            "ftrans.optim.with_extra_args_support: expected a GradientTransformation, got a "
            f"{type(tx).__name__}."
        )

    def update(updates: Updates, state: OptState, params: Params = None, **extra_args: Any):
        del extra_args
        return tx.update(updates, state, params)

    return GradientTransformationExtraArgs(tx.init, update)


class EmptyState(NamedTuple):
    """The state of a transform that keeps none (`scale`, `clip`, ...)."""


def init_empty_state(params: Params) -> EmptyState:
    """The ``init`` of a stateless transform: returns `EmptyState` whatever the params.

    Examples:
        >>> from ftrans import optim
        >>> optim.init_empty_state({"w": 1.0})
        EmptyState()
    """
    del params
    return EmptyState()


def identity() -> GradientTransformation:
    """The transform that returns the updates unchanged.

    Examples:
        >>> from ftrans import optim
        >>> optim.identity().update(1.5, optim.EmptyState())
        (1.5, EmptyState())
    """

    def init(params: Params) -> EmptyState:
        del params
        return EmptyState()

    def update(updates: Updates, state: EmptyState, params: Params = None):
        del params
        return updates, state

    return GradientTransformation(init, update)


def chain(*transforms: GradientTransformation) -> GradientTransformationExtraArgs:
    """Compose transforms left to right: each one's output updates feed the next.

    The state is a tuple holding each transform's state, in order. Keyword arguments given
    to ``update`` (``value=``, ``grad=``, ``value_fn=``, ...) reach every transform of the chain
    that takes them (`GradientTransformationExtraArgs`).

    Args:
        *transforms: the `GradientTransformation`s to apply, first to last.

    Returns:
        A `GradientTransformation` whose ``update`` runs ``transforms`` in sequence.

    Raises:
        TypeError: an argument is not a `GradientTransformation` (e.g. a schedule or a
            function that builds one, such as ``optim.adam`` without arguments).

    Examples:
        Clip, then take an SGD step: the order matters, the clip sees raw gradients.

        >>> import numpy as np
        >>> from ftrans import optim
        >>> opt = optim.chain(optim.clip(1.0), optim.sgd(0.1))
        >>> state = opt.init(np.zeros(2))
        >>> updates, state = opt.update(np.array([3.0, -0.5]), state)
        >>> updates
        array([-0.1 ,  0.05])
    """
    for i, t in enumerate(transforms):
        if not isinstance(t, GradientTransformation):
            hint = (
                " It looks like an optimiser factory that was not called; write e.g. "
                "optim.adam(1e-3), not optim.adam."
                if callable(t)
                else ""
            )
            raise TypeError(
                f"ftrans.optim.chain: argument {i} is a {type(t).__name__}, not a "
                f"GradientTransformation.{hint}"
            )
    transforms = tuple(with_extra_args_support(t) for t in transforms)

    def init(params: Params) -> tuple[OptState, ...]:
        return tuple(t.init(params) for t in transforms)

    def update(
        updates: Updates, state: tuple[OptState, ...], params: Params = None, **extra_args: Any
    ):
        if not isinstance(state, tuple) or len(state) != len(transforms):
            got = f"a tuple of {len(state)}" if isinstance(state, tuple) else type(state).__name__
            raise TypeError(
                f"ftrans.optim.chain: update expected the state made by this chain's init (a "
                f"tuple of {len(transforms)} states, one per transform), got {got}. Pass the "
                "state returned by the same optimiser's init or previous update."
            )
        new_state = []
        for t, s in zip(transforms, state, strict=True):
            updates, s = t.update(updates, s, params, **extra_args)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformationExtraArgs(init, update)


def apply_updates(params: Params, updates: Updates) -> Params:
    """Add ``updates`` to ``params`` leaf by leaf, keeping each parameter's dtype.

    A float32 parameter stays float32 even when its update is float64 (the sum is cast back),
    so mixed-precision states cannot silently promote the model.

    Args:
        params: the current parameters (any pytree of arrays).
        updates: the updates from an optimiser, with the same pytree structure.

    Returns:
        The new parameters, with ``params``' structure and dtypes.

    Raises:
        UpdateStructureError: the two pytrees (or a pair of leaf shapes) differ.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> new = optim.apply_updates(np.ones(2, np.float32), np.array([0.5, -0.25]))
        >>> new, new.dtype
        (array([1.5 , 0.75], dtype=float32), dtype('float32'))
    """
    check_same_structure(
        "apply_updates",
        updates,
        params,
        reference_name="the params",
        fix="Call apply_updates(params, updates) with the updates returned for these params.",
    )
    return tree.map(_add_keep_dtype, params, updates)


def _add_keep_dtype(p: Any, u: Any) -> Any:
    return fnp.astype(fnp.asarray(p + u), fnp.asarray(p).dtype)


# ----------------------------------------------------------------------------- shared helpers


def safe_increment(count: Any) -> Any:
    """``count + 1`` for an int32 step counter, saturating at the largest int32 instead of wrapping.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> int(optim.safe_increment(np.int32(4))), int(optim.safe_increment(np.int32(2**31 - 1)))
        (5, 2147483647)
    """
    return fnp.minimum(count, _INT32_MAX - 1) + 1


def zero_count() -> Any:
    """A fresh step counter: an int32 array of shape ``()``."""
    return fnp.zeros((), fnp.int32)


def global_norm(updates: Updates) -> Any:
    r"""The L2 norm of all leaves of a pytree taken together: $\sqrt{\sum_i \lVert x_i \rVert^2}$.

    Here $x_i$ are the leaves and $\lVert x_i \rVert^2$ the sum of the squares of a leaf.

    Examples:
        >>> import numpy as np
        >>> from ftrans import optim
        >>> float(optim.global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])}))
        5.0
    """
    squares = [fnp.sum(fnp.square(x)) for x in tree.leaves(updates)]
    if not squares:
        return fnp.asarray(0.0)
    total = squares[0]
    for s in squares[1:]:
        total = total + s
    return fnp.sqrt(total)


def check_same_structure(
    where: str,
    updates: Updates,
    reference: PyTree,
    *,
    reference_name: str = "the state (from init(params))",
    fix: str = (
        "Pass gradients with respect to the same params that init was called with (call init "
        "again if the model changed)."
    ),
) -> None:
    """Raise `UpdateStructureError` unless ``updates`` and ``reference`` have one structure.

    Compares treedefs, then leaf shapes; on a mismatch the message lists the key paths found
    on only one side, both treedefs, and ``fix``.
    """
    u_pairs, u_def = tree.flatten_with_path(updates)
    r_pairs, r_def = tree.flatten_with_path(reference)
    if u_def == r_def:
        for (path, u), (_, r) in zip(u_pairs, r_pairs, strict=True):
            u_shape, r_shape = tuple(fnp.shape(u)), tuple(fnp.shape(r))
            if u_shape != r_shape:
                raise UpdateStructureError(
                    f"ftrans.optim.{where}: the updates' leaf at {_where(path)} has shape "
                    f"{u_shape} but {reference_name} hold shape {r_shape} there. {fix}"
                )
        return
    u_paths = [tree.keystr(p) for p, _ in u_pairs]
    r_paths = [tree.keystr(p) for p, _ in r_pairs]
    u_set, r_set = set(u_paths), set(r_paths)
    missing = [p for p in r_paths if p not in u_set]
    extra = [p for p in u_paths if p not in r_set]
    lines = [
        f"ftrans.optim.{where}: the updates do not have the pytree structure of {reference_name}."
    ]
    if missing:
        lines.append(f"  in {reference_name} but not in the updates: {_short(missing)}")
    if extra:
        lines.append(f"  in the updates but not in {reference_name}: {_short(extra)}")
    if not missing and not extra:
        lines.append("  the leaf paths agree but the containers differ (e.g. list vs tuple)")
    lines.append(f"  updates: {u_def!r}")
    lines.append(f"  {reference_name}: {r_def!r}")
    lines.append(fix)
    raise UpdateStructureError("\n".join(lines))


def _where(path: tuple[Any, ...]) -> str:
    return tree.keystr(path) if path else "the root"


def _short(paths: list[str], limit: int = 8) -> str:
    shown = ", ".join(p if p else "<root>" for p in paths[:limit])
    return shown + (f", ... ({len(paths) - limit} more)" if len(paths) > limit else "")


def check_state(where: str, state: Any, expected: type | tuple[type, ...]) -> None:
    """Raise TypeError unless ``state`` is the NamedTuple this transform's ``init`` makes."""
    if not isinstance(state, expected):
        names = (
            " or ".join(t.__name__ for t in expected)
            if isinstance(expected, tuple)
            else expected.__name__
        )
        raise TypeError(
            f"ftrans.optim.{where}: update expected a {names} as its state, got a "
            f"{type(state).__name__}. Pass the state returned by this transform's init (or by "
            "its previous update); the argument order is update(updates, state, params)."
        )


def _is_concrete(x: Any) -> bool:
    return isinstance(x, (int, float, np.number, np.ndarray)) and not isinstance(x, bool)


def check_range(
    where: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> None:
    """Raise `HyperparameterError` if a concrete ``value`` is NaN or outside the interval.

    Traced values (e.g. a learning rate under ``vmap``) cannot be checked and are let through.
    """
    if value is None or not _is_concrete(value):
        return
    v = np.asarray(value)
    if v.dtype.kind not in "biuf":
        return
    bad = bool(np.any(np.isnan(v))) if v.dtype.kind == "f" else False
    if low is not None:
        bad |= bool(np.any(v <= low)) if low_open else bool(np.any(v < low))
    if high is not None:
        bad |= bool(np.any(v >= high)) if high_open else bool(np.any(v > high))
    if not bad:
        return
    lo = "(-inf" if low is None else ("(" if low_open else "[") + _bound(low)
    hi = "inf)" if high is None else _bound(high) + (")" if high_open else "]")
    raise HyperparameterError(
        f"ftrans.optim.{where}: {name} must be in {lo}, {hi}, got {_num(value)}.{hint}"
    )


def _num(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return np.array2string(x)
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    return str(x)


def _bound(x: float) -> str:
    return f"{x:g}"


def check_learning_rate(where: str, learning_rate: Any, name: str = "learning_rate") -> None:
    """Check a learning rate: a non-negative number or a schedule (a callable of the step)."""
    if learning_rate is None or callable(learning_rate):
        return
    if isinstance(learning_rate, (str, bytes, list, dict, tuple)):
        raise TypeError(
            f"ftrans.optim.{where}: {name} must be a number or a schedule (a function of the "
            f"step count, e.g. optim.cosine_decay_schedule(...)), got a "
            f"{type(learning_rate).__name__}."
        )
    check_range(
        where,
        name,
        learning_rate,
        low=0.0,
        hint=(
            " The update already points downhill (it is -learning_rate * direction); to "
            "maximise, negate the objective."
            if name == "learning_rate"
            else ""
        ),
    )


def check_decay_rate(where: str, name: str, value: Any) -> None:
    """An exponential-moving-average rate such as ``b1`` must lie in ``[0, 1)``."""
    check_range(where, name, value, low=0.0, high=1.0, high_open=True)


# ----------------------------------------------------------------------------- leafwise math


def leaf_dtype(x: Any) -> Any:
    """The dtype of an array, tracer or Python scalar."""
    return x.dtype if hasattr(x, "dtype") else fnp.asarray(x).dtype


def times(scalar: Any, g: Any) -> Any:
    """``scalar * g`` with the scalar cast to ``g``'s dtype, so float32 updates stay float32."""
    return fnp.astype(fnp.asarray(scalar), leaf_dtype(g)) * g


def cast(x: Any, dtype: Any) -> Any:
    return x if dtype is None else fnp.astype(x, dtype)


def canonical_dtype(dtype: Any) -> Any:
    return None if dtype is None else np.dtype(dtype)


def zeros_like_tree(params: Params, dtype: Any = None) -> Any:
    return tree.map(lambda p: fnp.zeros_like(p, dtype=dtype), params)


def full_like_tree(params: Params, value: float) -> Any:
    return tree.map(lambda p: fnp.full_like(p, value), params)


def ema(g: Any, moment: Any, decay: float) -> Any:
    return (1 - decay) * g + decay * moment


def bias_corrected(moment: Any, decay: float, count: Any) -> Any:
    """``moment / (1 - decay ** count)``, the factor in float64, divided in the leaf's dtype."""
    return tree.map(lambda m: m / fnp.astype(1 - decay**count, leaf_dtype(m)), moment)
