"""ft.debug.print / ft.debug.callback under every transform, in program order."""

from __future__ import annotations

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp
from ftrans import lax


def lines(capsys):
    return capsys.readouterr().out.splitlines()


def f(x):
    ft.debug.print("a {}", x)
    y = fnp.sin(x)
    ft.debug.print("b {y}", y=y)
    return y * 2


def test_eager_and_jit_print_values_in_order(capsys):
    f(0.0)
    assert lines(capsys) == ["a 0.0", "b 0.0"]
    g = ft.jit(f)
    g(0.0)
    g(np.array([0.0, 0.0]))
    g(np.array([0.0, 0.0]))  # cached: the compiled code prints on every run
    assert lines(capsys) == ["a 0.0", "b 0.0"] + ["a [0. 0.]", "b [0. 0.]"] * 2
    assert "p_debug_callback" in g.lower(0.0).as_text()


def test_unused_values_and_duplicates_are_kept(capsys):
    @ft.jit
    def h(x):
        ft.debug.print("x={}", x)
        ft.debug.print("x={}", x)  # identical: not merged by CSE
        inner = ft.jit(lambda v: (ft.debug.print("inner {}", v), v * 3)[1])
        inner(x)  # result unused: the nested program still runs, for its print
        return x

    h(1.0)
    assert lines(capsys) == ["x=1.0", "x=1.0", "inner 1.0"]


def test_vmap_prints_per_example(capsys):
    ft.vmap(f)(np.array([0.0, 0.0, 0.0]))  # each print runs for every example, then the next
    assert lines(capsys) == ["a 0.0"] * 3 + ["b 0.0"] * 3
    ft.jit(ft.vmap(lambda x, y: ft.debug.print("{} {}", x, y), in_axes=(0, None)))(
        np.array([1.0, 2.0]), 5.0
    )
    assert lines(capsys) == ["1.0 5.0", "2.0 5.0"]


def test_grad_prints_primals(capsys):
    assert float(ft.grad(f)(0.0)) == 2.0
    assert lines(capsys) == ["a 0.0", "b 0.0"]
    assert float(ft.jit(ft.grad(f))(0.0)) == 2.0
    assert lines(capsys) == ["a 0.0", "b 0.0"]
    ft.jvp(f, (0.0,), (1.0,))
    assert lines(capsys) == ["a 0.0", "b 0.0"]
    ft.hessian(lambda x: f(x) * x)(0.0)
    assert lines(capsys) == ["a 0.0", "b 0.0"]


def test_scan_prints_every_step(capsys):
    def step(c, x):
        ft.debug.print("c={} x={}", c, x)
        return c + x, c

    xs = np.array([1.0, 2.0, 3.0])
    lax.scan(step, 0.0, xs)
    expected = ["c=0.0 x=1.0", "c=1.0 x=2.0", "c=3.0 x=3.0"]
    assert lines(capsys) == expected
    ft.jit(lambda c: lax.scan(step, c, xs)[0])(0.0)
    assert lines(capsys) == expected
    ft.vmap(lambda c: lax.scan(step, c, xs)[0])(np.array([0.0]))
    assert lines(capsys) == expected


def test_grad_of_scan_prints_every_step(capsys):
    def step(c, x):
        ft.debug.print("c={} x={}", c, x)
        return c + x, c

    xs = np.array([1.0, 2.0, 3.0])
    expected = ["c=0.0 x=1.0", "c=1.0 x=2.0", "c=3.0 x=3.0"]
    ft.grad(lambda c: lax.scan(step, c, xs)[0])(0.0)
    assert lines(capsys) == expected
    ft.jit(ft.grad(lambda c: lax.scan(step, c, xs)[0] * c))(0.0)
    assert lines(capsys) == expected


def test_cond_and_while_loop(capsys):
    def g(x):
        return lax.cond(
            x > 0,
            lambda v: (ft.debug.print("pos {}", v), v)[1],
            lambda v: (ft.debug.print("neg {}", v), -v)[1],
            x,
        )

    jg = ft.jit(g)
    jg(1.0)
    jg(-2.0)
    assert lines(capsys) == ["pos 1.0", "neg -2.0"]

    def body(c):
        ft.debug.print("i={}", c)
        return c + 1

    ft.jit(lambda n: lax.while_loop(lambda c: c < n, body, 0))(3)
    assert lines(capsys) == ["i=0", "i=1", "i=2"]


def test_debug_callback_receives_numpy_pytrees():
    got = []
    ft.jit(lambda x: ft.debug.callback(lambda d, *, k: got.append((d, k)), {"a": x}, k=x + 1))(
        np.array([1.0])
    )
    ((d, k),) = got
    assert isinstance(d["a"], np.ndarray) and d["a"].tolist() == [1.0] and k.tolist() == [2.0]


def test_print_errors():
    with pytest.raises(TypeError, match="format string"):
        ft.debug.print(np.ones(2))


def test_checkpoint_reruns_the_print_like_jax(capsys):
    # rematerialisation re-runs the forward pass, prints included (JAX's remat does the same)
    ft.grad(ft.checkpoint(f))(0.0)
    assert lines(capsys) == ["a 0.0", "b 0.0"] * 2
