"""``lax.rng_bit_generator``: JAX's bits on CPU, bit for bit (live when jax is installed, and
against the checked-in ``tests/data/lax_rng_bit_generator.json`` made by
``tests/data/make_lax_rng_reference.py``), under ``jit`` and ``vmap`` too, and its errors."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import ftrans as ft
from ftrans import lax

DATA = pathlib.Path(__file__).with_name("data") / "lax_rng_bit_generator.json"
ALGORITHMS = ["RNG_DEFAULT", "RNG_THREE_FRY", "RNG_PHILOX"]
SHAPES = [
    (),
    (1,),
    (5,),
    (8,),
    (2, 3),
    (3, 2),
    (4, 3),
    (3, 3),
    (5, 1),
    (1, 5),
    (2, 2, 2),
    (3, 5, 7),
]
DTYPES = ["uint8", "uint16", "uint32", "uint64"]
#: states including words about to wrap (the counter's carry into its high word, and Philox's
#: 128-bit carry into the key word)
KEYS = [
    [1, 2, 3, 4],
    [0, 0, 0, 0],
    [0xDEADBEEF, 0x01234567, 0xFFFFFFFE, 0x7],
    [0x9, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF],
]


def cases():
    for algorithm in ALGORITHMS:
        for dtype in DTYPES:
            for shape in SHAPES:
                for key in KEYS:
                    yield algorithm, dtype, shape, key


def _ours(algorithm, dtype, shape, key):
    new_key, bits = lax.rng_bit_generator(
        np.array(key, np.uint32), shape, np.dtype(dtype), lax.RandomAlgorithm[algorithm]
    )
    return np.asarray(new_key), np.asarray(bits)


def test_matches_the_checked_in_jax_bits():
    stored = json.loads(DATA.read_text())
    assert len(stored["cases"]) == len(list(cases()))
    for case in stored["cases"]:
        new_key, bits = _ours(case["algorithm"], case["dtype"], tuple(case["shape"]), case["key"])
        where = (case["algorithm"], case["dtype"], case["shape"], case["key"])
        assert new_key.tolist() == case["new_key"], where
        assert bits.dtype == np.dtype(case["dtype"]) and bits.shape == tuple(case["shape"]), where
        assert bits.ravel().tolist() == case["bits"], where


def test_matches_live_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    for algorithm, dtype, shape, key in list(cases())[::7]:  # the JSON has them all
        new_key, bits = _ours(algorithm, dtype, shape, key)
        j_key, j_bits = jax.lax.rng_bit_generator(
            jax.numpy.asarray(key, np.uint32), shape, dtype, jax.lax.RandomAlgorithm[algorithm]
        )
        where = (algorithm, dtype, shape, key)
        np.testing.assert_array_equal(new_key, np.asarray(j_key), err_msg=str(where))
        np.testing.assert_array_equal(bits, np.asarray(j_bits), err_msg=str(where))
        assert bits.dtype == np.asarray(j_bits).dtype


def test_uint64_state_and_chained_calls():
    key32 = np.array([5, 6, 7, 8], np.uint32)
    key64 = key32.view(np.uint64)
    for algorithm in lax.RandomAlgorithm:
        k32, b32 = lax.rng_bit_generator(key32, (6,), np.uint64, algorithm)
        k64, b64 = lax.rng_bit_generator(key64, (6,), np.uint64, algorithm)
        assert k64.dtype == np.uint64 and k64.shape == (2,)
        np.testing.assert_array_equal(k32.view(np.uint64), k64)
        np.testing.assert_array_equal(b32, b64)
        # the next call continues the stream: bits 6..11 of one call of 12
        _, again = lax.rng_bit_generator(k32, (6,), np.uint64, algorithm)
        _, twelve = lax.rng_bit_generator(key32, (12,), np.uint64, algorithm)
        np.testing.assert_array_equal(np.concatenate([b32, again]), twelve)


@pytest.mark.parametrize("algorithm", list(lax.RandomAlgorithm))
def test_jit_and_vmap_over_keys(algorithm):
    keys = np.array([[1, 2, 3, 4], [9, 8, 7, 6], [0, 0, 0xFFFFFFFF, 0xFFFFFFFF]], np.uint32)

    def f(k):
        return lax.rng_bit_generator(k, (3, 2), np.uint32, algorithm)

    eager = [f(k) for k in keys]
    jitted = [ft.jit(f)(k) for k in keys]
    batched = ft.vmap(f)(keys)
    for i, (k, bits) in enumerate(eager):
        np.testing.assert_array_equal(jitted[i][0], k)
        np.testing.assert_array_equal(jitted[i][1], bits)
        np.testing.assert_array_equal(batched[0][i], k)
        np.testing.assert_array_equal(batched[1][i], bits)


def test_errors_say_what_is_wrong():
    key = np.array([1, 2, 3, 4], np.uint32)
    with pytest.raises(TypeError, match="unsupported dtype int32; use uint8, uint16"):
        lax.rng_bit_generator(key, (3,), np.int32)
    with pytest.raises(TypeError, match=r"key must be a uint32\[4\] \(or uint64\[2\]\) state"):
        lax.rng_bit_generator(key[:2], (3,))
    with pytest.raises(TypeError, match="algorithm must be a lax.RandomAlgorithm, got 7"):
        lax.rng_bit_generator(key, (3,), algorithm=7)
    assert [a.name for a in lax.RandomAlgorithm] == ALGORITHMS
