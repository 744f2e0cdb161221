"""Write tests/data/image_resize_ref.npz: jax.image.resize / scale_and_translate outputs for
test_image.py (run: python tests/data/make_image_resize_ref.py; needs jax)."""

from __future__ import annotations

import pathlib

import numpy as np

METHODS = ["nearest", "linear", "cubic", "lanczos3", "lanczos5", "area", "cubic-pytorch"]
SHAPES = [(2, 13, 5, 3), (2, 3, 17, 3), (2, 4, 4, 3)]
SCALE, TRANSLATION = np.array([1.3, 0.6]), np.array([0.4, -1.2])


def image() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((2, 7, 9, 3))


def cases():
    for method in METHODS:
        for antialias in (True, False):
            for shape in SHAPES:
                yield (
                    f"resize/{method}/{antialias}/{'x'.join(map(str, shape))}",
                    ("resize", method, antialias, shape),
                )
    for method in ["linear", "cubic", "lanczos3", "lanczos5", "area"]:
        for antialias in (True, False):
            yield (
                f"scale_and_translate/{method}/{antialias}",
                ("scale_and_translate", method, antialias, (2, 8, 6, 3)),
            )


def run(module, x, case):
    kind, method, antialias, shape = case
    if kind == "resize":
        return module.resize(x, shape, method, antialias=antialias)
    return module.scale_and_translate(
        x, shape, (1, 2), SCALE, TRANSLATION, method, antialias=antialias
    )


if __name__ == "__main__":
    import jax

    jax.config.update("jax_enable_x64", True)
    x = image()
    out = {name: np.asarray(run(jax.image, x, case)) for name, case in cases()}
    path = pathlib.Path(__file__).with_name("image_resize_ref.npz")
    np.savez_compressed(path, **out)
    print("wrote", path, len(out), "arrays")
