"""Regression tests for bugs the fuzzer found beyond issue 12's list (see FINDINGS.md)."""

from __future__ import annotations

import numpy as np
import pytest

import ftrans as ft
from ftrans import lax


def test_convert_element_type_takes_new_dtype_positionally():
    # JAX's signature is convert_element_type(operand, new_dtype); ftrans required a keyword
    # (TypeError: takes 1 positional argument but 2 were given), found in a fori_loop body
    x = np.arange(3)
    assert lax.convert_element_type(x, np.float32).dtype == np.float32
    assert lax.convert_element_type(x, new_dtype=np.float32).dtype == np.float32
    assert ft.jit(lambda v: lax.convert_element_type(v, np.float32))(x).dtype == np.float32
    w = np.float32(0.5)
    out = lax.fori_loop(0, 3, lambda i, c: c + w * lax.convert_element_type(i, w.dtype), w)
    assert out.dtype == np.float32 and out == np.float32(2.0)
    g = ft.grad(lambda v: lax.convert_element_type(v, np.float32) * 2.0)(np.float32(1.0))
    assert g == 2.0


def test_convert_element_type_matches_jax():
    jax = pytest.importorskip("jax")
    x = np.array([1.5, -2.25])
    want = np.asarray(jax.lax.convert_element_type(x, np.float32))
    got = lax.convert_element_type(x, np.float32)
    assert got.dtype == want.dtype and np.array_equal(got, want)
