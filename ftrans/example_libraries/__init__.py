"""``ftrans.example_libraries``: JAX's ``jax.example_libraries`` (``optimizers`` and ``stax``).

Much published research code uses these small libraries; with ``jax.example_libraries``
renamed to ``ftrans.example_libraries`` it runs on ftrans with the same numbers.
"""

from __future__ import annotations

from ftrans.example_libraries import optimizers, stax

__all__ = ["optimizers", "stax"]
