"""Write ``tests/data/lax_parity_reference.npz``: JAX's outputs (and gradients of
``sum(out * ct)``) for the cases of ``tests/lax_parity_cases.py``, so ``tests/test_lax_parity.py``
checks ftrans.lax against JAX's numbers without JAX.

Run from the repository root with jax installed: ``python tests/data/make_lax_parity_reference.py``.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402
from lax_parity_cases import cases  # noqa: E402

SEED = 20261202


def main():
    rng = np.random.default_rng(SEED)
    data = {}
    for name, (make, inputs, argnums) in cases(rng).items():
        fun = make(lax, jnp, jax.grad)
        out = np.asarray(jax.tree_util.tree_leaves(fun(*inputs))[0])
        for i, x in enumerate(inputs):
            data[f"{name}/in{i}"] = np.asarray(x)
        data[f"{name}/out"] = out
        if argnums:
            ct = rng.standard_normal(out.shape)
            data[f"{name}/ct"] = ct
            grads = jax.grad(lambda *a: jnp.sum(fun(*a) * ct), argnums=argnums)(*inputs)
            for i, g in zip(argnums, grads, strict=True):
                data[f"{name}/grad{i}"] = np.asarray(g)
    path = pathlib.Path(__file__).with_name("lax_parity_reference.npz")
    np.savez(path, **data)
    print(f"wrote {len(data)} arrays to {path}")


if __name__ == "__main__":
    main()
