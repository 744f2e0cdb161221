"""Write ``tests/data/lax_reference.npz``: outputs and gradients of ``jax.lax`` functions on
fixed inputs, so ``tests/test_lax_api.py`` checks ftrans.lax against JAX's numbers without JAX.

Run from the repository root with jax installed: ``python tests/data/make_lax_reference.py``.
Each case stores its inputs (``<case>/in<i>``), the output (``<case>/out``) and, for float
cases, the gradient of ``sum(out * weights)`` wrt every input (``<case>/grad<i>``, with the
weights as ``<case>/ct``).
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax

jax.config.update("jax_enable_x64", True)
from jax import lax  # noqa: E402
from registry_lax import CONV_CASES  # noqa: E402


def cases():
    """(name, function of arrays, inputs, differentiable)"""
    rng = np.random.default_rng(20261202)
    for label, ls, rs, kwargs in CONV_CASES:
        x, w = rng.standard_normal(ls), rng.standard_normal(rs)
        yield f"conv_{label}", lambda x, w, kw=kwargs: lax.conv_general_dilated(x, w, **kw), (x, w)
    x, w = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 3))
    for pad in ("SAME", "VALID"):
        for tk in (False, True):
            yield (
                f"conv_transpose_{pad}_{tk}",
                lambda x, w, p=pad, t=tk: lax.conv_transpose(x, w, (2, 2), p, transpose_kernel=t),
                (x, w),
            )
    yield (
        "conv_transpose_pairs",
        lambda x, w: lax.conv_transpose(x, w, (2, 1), [(1, 2), (0, 1)], rhs_dilation=(1, 2)),
        (x, w),
    )
    for case in EXTRA:
        yield case(rng)


EXTRA: list = []  # more cases appended below as ftrans.lax grows


def main():
    data = {}
    for name, fun, inputs in cases():
        out = np.asarray(fun(*inputs))
        data[f"{name}/out"] = out
        for i, a in enumerate(inputs):
            data[f"{name}/in{i}"] = np.asarray(a)
        floats = [
            i for i, a in enumerate(inputs) if np.issubdtype(np.asarray(a).dtype, np.floating)
        ]
        if floats and np.issubdtype(out.dtype, np.floating):
            ct = np.random.default_rng(len(data)).standard_normal(out.shape)
            data[f"{name}/ct"] = ct
            grads = jax.grad(lambda *a: (fun(*a) * ct).sum(), argnums=tuple(floats))(*inputs)
            for i, g in zip(floats, grads, strict=True):
                data[f"{name}/grad{i}"] = np.asarray(g)
    path = pathlib.Path(__file__).with_name("lax_reference.npz")
    np.savez_compressed(path, **data)
    print(f"wrote {len(data)} arrays to {path}")


if __name__ == "__main__":
    main()
