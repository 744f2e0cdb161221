"""``ft.debug``: look at values from inside transformed code (``jax.debug``).

``debug.print`` and ``debug.callback`` work eagerly and under ``jit``, ``vmap``, ``grad``,
``scan``/``cond``/``while_loop``, in any nesting. They bind one primitive, ``debug_callback``,
which is never removed as dead code nor merged with another, so every call runs, in program
order. Under ``vmap`` the callback runs once per example (as JAX does), under ``grad``/``jvp``
it sees the primal values, and inside ``jit`` the generated code calls it on every run.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

from ftrans._callbacks import debug_callback


def callback(
    callback: Callable[..., Any],
    *args: Any,
    ordered: bool = False,
    partitioned: bool = False,
    **kwargs: Any,
) -> None:
    """Call ``callback(*args, **kwargs)`` on concrete NumPy values, for its effect.

    Args:
        callback: a Python function; its return value is ignored.
        *args: pytrees of arrays (traced or not) to pass to it.
        ordered: accepted for JAX compatibility; ftrans always runs callbacks in program order.
        partitioned: accepted for JAX compatibility (one device); ignored.
        **kwargs: more pytrees of arrays, passed as keyword arguments.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> seen = []
        >>> @ft.jit
        ... def f(x):
        ...     ft.debug.callback(lambda v: seen.append(v.tolist()), x * 2)
        ...     return x + 1
        >>> _ = f(np.array([1.0, 2.0])); _ = f(np.array([3.0, 4.0]))
        >>> seen
        [[2.0, 4.0], [6.0, 8.0]]
    """
    debug_callback(callback, *args, **kwargs)


def _format_and_print(fmt: str, *args: Any, **kwargs: Any) -> None:
    builtins.print(fmt.format(*args, **kwargs), flush=True)


def print(fmt: str, *args: Any, ordered: bool = False, **kwargs: Any) -> None:  # noqa: A001
    """Print ``fmt.format(*args, **kwargs)`` with the arguments' concrete values.

    Unlike Python's ``print``, this shows values, not tracers, inside ``jit``, ``vmap`` and
    ``grad``, every time the compiled function runs.

    Args:
        fmt: a `str.format` template, e.g. ``"x={x}, y={}"``.
        *args: values (pytrees of arrays) for the positional fields.
        ordered: accepted for JAX compatibility; ftrans always prints in program order.
        **kwargs: values for the named fields.

    Examples:
        >>> import numpy as np, ftrans as ft
        >>> @ft.jit
        ... def f(x):
        ...     ft.debug.print("x={x}, sum={}", x.sum(), x=x)
        ...     return x * 2
        >>> _ = f(np.array([1.0, 2.0]))
        x=[1. 2.], sum=3.0
        >>> _ = ft.vmap(f)(np.array([[1.0], [2.0]]))  # once per example, as in JAX
        x=[1.], sum=1.0
        x=[2.], sum=2.0
    """
    if not isinstance(fmt, str):
        raise TypeError(
            f"ft.debug.print: the first argument must be a format string, got "
            f"{type(fmt).__name__}; write ft.debug.print('{{}}', x)."
        )
    debug_callback(functools.partial(_format_and_print, fmt), *args, **kwargs)


__all__ = ["callback", "print"]
