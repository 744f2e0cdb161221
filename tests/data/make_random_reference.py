"""Regenerate ``random_jax_reference.npz``: every case of ``random_cases.py`` under JAX (x64),
and the ``CASES_X32`` cases in JAX's default 32-bit mode.

Run from the repository root with JAX installed: ``python tests/data/make_random_reference.py``.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))

from random_cases import CASES, CASES_X32, SEEDS  # noqa: E402


def main() -> None:
    out = {}
    for seed in SEEDS:
        key = jax.random.PRNGKey(seed)
        for name, (fn, _) in CASES.items():
            out[f"{name}/{seed}"] = np.asarray(fn(jax.random, key))
    alphas = np.array([0.3, 1.0, 2.5, 7.0])
    for seed in SEEDS:
        key = jax.random.PRNGKey(seed)
        for name, sampler in (("gamma", jax.random.gamma), ("loggamma", jax.random.loggamma)):
            grad = jax.grad(lambda a, s=sampler, k=key: s(k, a).sum())(alphas)
            out[f"grad/{name}/{seed}"] = np.asarray(grad)
    jax.config.update("jax_enable_x64", False)  # JAX's default 32-bit mode
    for seed in SEEDS[:2]:
        key = jax.random.PRNGKey(seed)
        for name, (fn, _, _) in CASES_X32.items():
            out[f"x32/{name}/{seed}"] = np.asarray(fn(jax.random, key))
    jax.config.update("jax_enable_x64", True)
    path = HERE / "random_jax_reference.npz"
    np.savez_compressed(path, jax_version=np.array(jax.__version__), **out)
    print(f"wrote {len(out)} arrays to {path} (jax {jax.__version__})")


if __name__ == "__main__":
    main()
