"""``ftrans.random``: functional pseudo-random numbers from explicit keys.

There is no hidden global state. A **key** is a plain ``uint32`` array of shape ``(2,)``, made
once from a seed with :func:`key`; every sampler is a pure function of a key (and a shape and
parameters), so the same key always gives the same numbers: eagerly, under ``jit`` and per
element of ``vmap``. The random bits, and the integers and uniforms made from them, are also
identical on every machine; samplers that go through ``log``/``tan`` (``normal``, ``gumbel``...)
can differ in the last bit between NumPy builds whose math libraries round differently. To get
fresh randomness, derive new keys with :func:`split` or :func:`fold_in` instead of reusing one.

The bits come from the counter-based Threefry-2x32 hash (20 rounds) of the key and the
position of each number: the primitive ``threefry2x32``, which traces under ``jit``/``vmap``
like any other and runs as one in-place NumPy kernel. The samplers turn bits into numbers with
``ftrans.numpy`` operations.

Examples:
    >>> import ftrans as ft, ftrans.random as fr
    >>> key = fr.key(0)
    >>> init_key, noise_key = fr.split(key)
    >>> x = fr.normal(noise_key, (3,))
    >>> bool((x == fr.normal(noise_key, (3,))).all())
    True
    >>> ft.vmap(lambda k: fr.uniform(k, (4,)))(fr.split(key, 8)).shape
    (8, 4)
"""

from __future__ import annotations

from ftrans.random._distributions import (
    bernoulli,
    categorical,
    choice,
    exponential,
    gumbel,
    normal,
    permutation,
    randint,
    truncated_normal,
    uniform,
)
from ftrans.random._prng import (
    KEY_DTYPE,
    KEY_SHAPE,
    PRNGKeyError,
    bits,
    fold_in,
    key,
    split,
    threefry2x32,
)

__all__ = [
    "KEY_DTYPE",
    "KEY_SHAPE",
    "PRNGKeyError",
    "bernoulli",
    "bits",
    "categorical",
    "choice",
    "exponential",
    "fold_in",
    "gumbel",
    "key",
    "normal",
    "permutation",
    "randint",
    "split",
    "threefry2x32",
    "truncated_normal",
    "uniform",
]
