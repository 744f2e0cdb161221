"""Writes ``lax_rng_bit_generator.json``: ``jax.lax.rng_bit_generator`` on CPU for every case
of ``tests/test_lax_rng.py``. Run from the repository root with jax installed:
``PYTHONPATH=.:tests python tests/data/make_lax_rng_reference.py``."""

from __future__ import annotations

import json
import pathlib

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from test_lax_rng import cases  # noqa: E402


def main():
    out = []
    for algorithm, dtype, shape, key in cases():
        new_key, bits = jax.lax.rng_bit_generator(
            jax.numpy.asarray(key, np.uint32), shape, dtype, jax.lax.RandomAlgorithm[algorithm]
        )
        out.append(
            {
                "algorithm": algorithm,
                "dtype": dtype,
                "shape": list(shape),
                "key": key,
                "new_key": np.asarray(new_key).tolist(),
                "bits": np.asarray(bits).ravel().tolist(),
            }
        )
    path = pathlib.Path(__file__).with_name("lax_rng_bit_generator.json")
    doc = {"jax_version": jax.__version__, "backend": jax.default_backend(), "cases": out}
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
