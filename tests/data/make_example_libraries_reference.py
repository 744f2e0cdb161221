"""Write tests/data/example_libraries_reference.npz for tests/test_example_libraries.py.

Run from the repository root with JAX installed:
``python tests/data/make_example_libraries_reference.py``. Stores, from
``jax.example_libraries`` in float64: every optimiser case's parameter trajectory
(``opt/<case>``), and for the stax test network its output shape, JAX's initial parameters
(``stax/param<i>``, in pytree-leaf order), its outputs and the gradients of the test loss.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for test_example_libraries
sys.path.insert(0, str(HERE.parent.parent))  # the repository, for ftrans

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import test_example_libraries as t  # noqa: E402
from jax.example_libraries import optimizers, stax  # noqa: E402


def main() -> None:
    out = {}
    for case in sorted(t.OPTIMIZERS):
        out[f"opt/{case}"] = t.run_optimizer(
            optimizers, case, to_array=lambda v: jnp.asarray(v, jnp.float64)
        )
        mine = t.run_optimizer(t.optimizers, case)
        print(f"{case:24s} max abs diff {np.max(np.abs(mine - out[f'opt/{case}'])):.2e}")
    init_fun, apply_fun = t.network(stax)
    out_shape, params = init_fun(jax.random.PRNGKey(0), t.INPUT_SHAPE)
    leaves = jax.tree.leaves(params)
    out["stax/out_shape"] = np.array(out_shape)
    out["stax/n_leaves"] = np.array(len(leaves))
    for i, leaf in enumerate(leaves):
        out[f"stax/param{i}"] = np.asarray(leaf)
    x = jnp.asarray(t.INPUTS)
    key = jax.random.PRNGKey(1)  # Dropout wants a key even in test mode
    out["stax/out"] = np.asarray(apply_fun(params, x, rng=key))
    weights = jnp.arange(21.0).reshape(7, 3)
    grads = jax.grad(lambda p: jnp.sum(apply_fun(p, x, rng=key) * weights))(params)
    for i, g in enumerate(jax.tree.leaves(grads)):
        out[f"stax/grad{i}"] = np.asarray(g)
    np.savez_compressed(HERE / "example_libraries_reference.npz", **out)
    print(f"wrote {len(out)} arrays (jax {jax.__version__})")


if __name__ == "__main__":
    main()
