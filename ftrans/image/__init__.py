"""``ftrans.image``: image resampling with JAX's kernels (``jax.image``).

`resize` and `scale_and_translate` build, for each resized axis, a matrix of kernel weights
(output pixel centres against input pixels) and contract the image with it. When shrinking
with ``antialias=True`` the kernel is stretched by the shrink factor, so it averages (low-pass
filters) instead of skipping pixels. Everything is written with ``ftrans.numpy``: results are
differentiable in the image (and in ``scale``/``translation``), batch under ``vmap`` and compile
under ``jit``.

Examples:
    >>> import numpy as np, ftrans.image as fimage
    >>> fimage.resize(np.array([0.0, 1.0]), (4,), "linear").tolist()
    [0.0, 0.25, 0.75, 1.0]
"""

from __future__ import annotations

from ftrans.image._resize import ResizeMethod, resize, scale_and_translate

__all__ = ["ResizeMethod", "resize", "scale_and_translate"]
