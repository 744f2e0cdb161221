"""Write tests/data/optax_trajectories.npz: optax 0.2.8's trajectories for test_optim_optax.py.

Run from the repository root with optax and JAX installed:
``python tests/data/make_optax_reference.py``. Each case of ``tests/test_optim_optax.CASES``
is run with optax in float64 (x64 on) and its parameter trajectory saved under the case's
name; the script then checks ftrans against it and prints the largest relative difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for test_optim_optax
sys.path.insert(0, str(HERE.parent.parent))  # the repository, for ftrans

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import optax  # noqa: E402
import test_optim_optax as t  # noqa: E402


def main() -> None:
    out = {}
    for case in sorted(t.CASES):
        out[case] = t.run_optax(optax, case)
        mine = t.run_ftrans(case)
        scale = np.maximum(np.abs(out[case]), 1e-12)
        print(f"{case:28s} max rel diff {np.max(np.abs(mine - out[case]) / scale):.2e}")
    for case in sorted(t.LINESEARCH_CASES):
        key = f"linesearch/{case}"
        out[key] = t.run_optax_linesearch(optax, case)
        mine = t.run_ftrans_linesearch(case)
        scale = np.maximum(np.abs(out[key]), 1e-12)
        print(f"{key:28s} max rel diff {np.max(np.abs(mine - out[key]) / scale):.2e}")
    np.savez_compressed(HERE / "optax_trajectories.npz", **out)
    print(f"wrote {len(out)} trajectories (optax {optax.__version__}, jax {jax.__version__})")


if __name__ == "__main__":
    main()
