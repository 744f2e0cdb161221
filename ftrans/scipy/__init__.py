"""``ftrans.scipy``: SciPy's API (as ``jax.scipy`` offers it) on ftrans primitives.

Every function here is written with ``ftrans.numpy``/``ftrans.lax`` and primitives, so it is
differentiable, batches under ``vmap`` and compiles under ``jit``. Submodules load on first use
(``import ftrans.scipy.special`` or ``ftrans.scipy.special`` after ``import ftrans``).
"""

from __future__ import annotations

import importlib

#: the submodules, as in ``jax.scipy``.
SUBMODULES = (
    "special",
    "stats",
    "linalg",
    "optimize",
    "signal",
    "integrate",
    "ndimage",
    "interpolate",
)

__all__ = list(SUBMODULES)


def __getattr__(name: str):
    if name in SUBMODULES:
        return importlib.import_module(f"ftrans.scipy.{name}")
    raise AttributeError(f"module 'ftrans.scipy' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(SUBMODULES))
