"""Write ``jax_numpy_names.json``: the public callables of jax.numpy, jax.numpy.linalg and
jax.numpy.fft (dtypes, exceptions, modules and deprecated names left out), which
``tests/test_numpy_coverage.py`` checks ftrans against when JAX is not installed.

Run from the repository root with JAX installed: ``python tests/data/make_jax_numpy_names.py``.
"""

from __future__ import annotations

import json
import pathlib
import types

import numpy as np

MODULES = {"ftrans.numpy": "", "ftrans.numpy.linalg": "linalg", "ftrans.numpy.fft": "fft"}


def is_dtype(obj) -> bool:
    """NumPy scalar types, JAX's scalar types (classes with a ``dtype``) and dtype objects."""
    if isinstance(obj, np.dtype):
        return True
    if isinstance(obj, type):
        return issubclass(obj, np.generic) or isinstance(getattr(obj, "dtype", None), np.dtype)
    return False


def public_callables(module) -> list[str]:
    deprecated = set(getattr(module, "_deprecations", {}))
    names = []
    for name in dir(module):
        if name.startswith("_") or name in deprecated:
            continue
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType) or not callable(obj) or is_dtype(obj):
            continue
        if isinstance(obj, type) and issubclass(obj, BaseException):
            continue
        names.append(name)
    return sorted(names)


def jax_names() -> dict:
    import jax
    import jax.numpy as jnp

    out = {"jax_version": jax.__version__}
    for ours, sub in MODULES.items():
        out[ours] = public_callables(getattr(jnp, sub) if sub else jnp)
    return out


if __name__ == "__main__":
    path = pathlib.Path(__file__).with_name("jax_numpy_names.json")
    path.write_text(json.dumps(jax_names(), indent=1) + "\n")
    print(f"wrote {path}")
