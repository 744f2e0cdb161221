"""Regenerate ``collectives_jax.npz``: every case of ``collectives_cases.py`` under JAX (x64).

Run from the repository root with JAX installed:
``python tests/data/make_collectives_reference.py``.
"""

from __future__ import annotations

import pathlib
import sys
import types

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))

from collectives_cases import CASES  # noqa: E402

JAX = types.SimpleNamespace(
    lax=jax.lax,
    np=jnp,
    vmap=jax.vmap,
    grad=jax.grad,
    jvp=jax.jvp,
    vjp=jax.vjp,
    jacfwd=jax.jacfwd,
    jacrev=jax.jacrev,
    hessian=jax.hessian,
    jit=jax.jit,
)


def main() -> None:
    out = {}
    for name, fn in CASES.items():
        for i, value in enumerate(fn(JAX)):
            out[f"{name}/{i}"] = np.asarray(value)
    np.savez_compressed(HERE / "collectives_jax.npz", **out)
    print(f"wrote {len(out)} arrays from {len(CASES)} cases (jax {jax.__version__})")


if __name__ == "__main__":
    main()
