"""Write ``issue12_linalg_jax.json``: JAX's values and gradients of the complex linear-algebra
cases of ``tests/test_issue12_linalg.py`` (the cases and their inputs are imported from there).

Run from the repository root with JAX installed:
``python tests/data/make_issue12_linalg_reference.py``. JAX runs in float64
(``jax_enable_x64``); gradients follow JAX's convention ``df/dx - i df/dy``. Imports happen in
``main`` so that collecting this file (pytest's ``--doctest-modules``) needs neither JAX nor time.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    import jax
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    spec = importlib.util.spec_from_file_location("cases", HERE.parent / "test_issue12_linalg.py")
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    out = {"_about": f"written by {Path(__file__).name} with jax {jax.__version__}"}
    for name in sorted(cases.CASES):
        f, _ = cases.CASES[name]
        a = cases.case_input(name)
        value, grad = jax.value_and_grad(lambda x, f=f: f(jnp, x))(a)
        grad = np.asarray(grad)
        out[name] = {
            "a_re": a.real.tolist(),
            "a_im": a.imag.tolist(),
            "value": float(value),
            "grad_re": grad.real.tolist(),
            "grad_im": grad.imag.tolist(),
        }
    (HERE / "issue12_linalg_jax.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
