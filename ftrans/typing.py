"""``ftrans.Array``: the type that NumPy arrays, NumPy scalars and tracers all satisfy.

Use it with jaxtyping so shape annotations are checked at trace time inside every transform::

    from jaxtyping import Float, jaxtyped
    from beartype import beartype

    @jaxtyped(typechecker=beartype)
    def layer(w: Float[ft.Array, "out inp"], x: Float[ft.Array, "inp"]) -> Float[ft.Array, "out"]:
        return w @ x
"""

from __future__ import annotations

import abc

import numpy as np

from ftrans.core import Tracer


class Array(abc.ABC):
    """Abstract array type: ``isinstance(x, Array)`` holds for ndarrays, NumPy scalars, tracers."""


Array.register(np.ndarray)
Array.register(np.generic)
Array.register(Tracer)

ArrayLike = Array | float | int | bool | complex
