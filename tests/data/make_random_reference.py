"""Regenerate ``random_jax_reference.npz``: every case of ``random_cases.py`` under JAX (x64).

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

from random_cases import CASES, SEEDS  # noqa: E402


def main() -> None:
    out = {}
    for seed in SEEDS:
        key = jax.random.PRNGKey(seed)
        for name, (fn, _) in CASES.items():
            out[f"{name}/{seed}"] = np.asarray(fn(jax.random, key))
    path = HERE / "random_jax_reference.npz"
    np.savez_compressed(path, jax_version=np.array(jax.__version__), **out)
    print(f"wrote {len(out)} arrays to {path} (jax {jax.__version__})")


if __name__ == "__main__":
    main()
