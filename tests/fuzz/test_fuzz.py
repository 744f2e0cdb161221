"""The fuzzer in CI: a fixed budget of seeded cases, and proof that each oracle can fail."""

from __future__ import annotations

import types

import numpy as np
import pytest

import ftrans
import ftrans.numpy as fnp
from ftrans.compiler.numpy_rules import ufunc_lowering
from ftrans.primitives import elementwise as ew

from . import oracles, shrink, stacks
from . import program as prog
from .runner import run

# The CI budget: CHUNKS x CHUNK seeds, all oracles but JAX (JAX's dispatch makes a case ~50x
# slower; the long mode runs it). Seeds are fixed, so a failure here reproduces with
# `python -m tests.fuzz --seed <seed> --cases 1 --shrink`.
CHUNK = 25
CHUNKS = 8


@pytest.mark.parametrize("start", range(0, CHUNK * CHUNKS, CHUNK))
def test_fuzz_budget(start):
    report = run(range(start, start + CHUNK), use_jax=False)
    if report.failures:
        case, fails = report.failures[0]
        small = shrink.shrink(case, fails[0], max_steps=150)
        pytest.fail(
            report.summary() + "\n\nfirst failure, shrunk:\n" + shrink.script(small, fails[0]),
            pytrace=False,
        )


def test_generator_is_deterministic_and_covers_every_family():
    a = oracles.make_case(123)
    b = oracles.make_case(123)
    assert oracles.case_source(a) == oracles.case_source(b)
    assert all(np.array_equal(x, y) for x, y in zip(a.args(), b.args(), strict=True))
    families, kinds = set(), set()
    for seed in range(150):
        case = oracles.make_case(seed)
        families |= case.program.families
        kinds |= {layer.kind for layer in case.layers}
    assert families >= {
        "elementwise",
        "select",
        "reduction",
        "shape",
        "indexing",
        "dot",
        "linalg",
        "complex",
        "cond",
        "scan",
        "loop",
        "custom",
    }
    assert kinds == set(stacks.ALL)


# ---------------------------------------------------------------------------------------------
# every oracle can fail: inject a wrong rule and check the fuzzer reports it


def tiny_case(lines, layers=(), shapes=((3,),), dtype="float64", dist="sym"):
    args = tuple(prog.Arg(f"x{i}", s, dtype, dist) for i, s in enumerate(shapes))
    var = prog.Var("v1", shapes[0], dtype, -1.0, 1.0)
    uses = tuple(a.name for a in args if any(a.name in line for line in lines))
    stmts = (prog.Stmt(tuple(lines), "v1", uses, "elementwise", "t", frozenset(), var),)
    return oracles.Case(prog.Program(args, stmts, ("v1",)), tuple(layers), value_seed=7)


def kinds_of(verdict):
    assert not verdict.skipped, verdict.skipped
    return {f.kind for f in verdict.failures}


GRAD = stacks.Layer("grad")
JIT = stacks.Layer("jit")
VMAP = stacks.Layer("vmap", in_axes=(0,), out_axis=0, size=2)
HESSIAN = stacks.Layer("hessian")


def test_clean_case_passes():
    for layers in [(), (GRAD,), (JIT,), (VMAP,), (HESSIAN,), (VMAP, GRAD, JIT)]:
        case = tiny_case(["v1 = fnp.sin(x0) * x0"], layers)
        assert kinds_of(oracles.judge(case, use_jax=False)) == set(), layers


def test_wrong_jvp_rule_is_caught_by_finite_differences(monkeypatch):
    right = ew.sin_p.jvp

    def wrong(primals, tangents, **params):
        y, t = right(primals, tangents, **params)
        return y, t * 1.1

    monkeypatch.setattr(ew.sin_p, "jvp", wrong)
    v = oracles.judge(tiny_case(["v1 = fnp.sin(x0)"], (GRAD,)), use_jax=False)
    assert "fd" in kinds_of(v)


def test_wrong_jvp_rule_is_caught_by_jax(monkeypatch):
    pytest.importorskip("jax")
    right = ew.sin_p.jvp

    def wrong(primals, tangents, **params):
        y, t = right(primals, tangents, **params)
        return y, t * 1.1

    monkeypatch.setattr(ew.sin_p, "jvp", wrong)
    v = oracles.judge(tiny_case(["v1 = fnp.sin(x0)"], (GRAD,)), use_jax=True, use_fd=False)
    assert "jax" in kinds_of(v)


def test_wrong_transpose_rule_is_caught_by_the_other_mode(monkeypatch):
    right = ew.mul_p.transpose

    def wrong(ct, x, y):
        return [None if c is None else c * 2.0 for c in right(ct, x, y)]

    monkeypatch.setattr(ew.mul_p, "transpose", wrong)
    v = oracles.judge(tiny_case(["v1 = fnp.sin(x0) * x0"], (GRAD,)), use_jax=False, use_fd=False)
    assert "alt" in kinds_of(v)


def test_wrong_batching_rule_is_caught_by_the_loop(monkeypatch):
    right = ew.sin_p.batch

    def wrong(args, dims, **params):
        out, dim = right(args, dims, **params)
        return out + 0.5, dim

    monkeypatch.setattr(ew.sin_p, "batch", wrong)
    v = oracles.judge(tiny_case(["v1 = fnp.sin(x0)"], (VMAP,)), use_jax=False)
    assert "alt" in kinds_of(v)


def test_wrong_lowering_is_caught_by_eager(monkeypatch):
    monkeypatch.setattr(ew.sin_p, "lower", ufunc_lowering(np.cos))
    v = oracles.judge(tiny_case(["v1 = fnp.sin(x0) * 3.0"], (JIT,)), use_jax=False)
    assert "alt" in kinds_of(v)


def test_native_rule_numba_rejects_is_caught(monkeypatch):
    pytest.importorskip("numba")
    from ftrans.compiler import native_rules

    def wrong(g, eqn, *values, **params):  # np.sin takes no second scalar in numba
        return g.elementwise(eqn, "np.sin({0}, {0})", values)

    monkeypatch.setitem(native_rules.NATIVE_RULES, "sin", wrong)
    before = ftrans.config.read("jit_backend")
    ftrans.config.update("jit_backend", "native")
    try:
        v = oracles.judge(tiny_case(["v1 = fnp.sin(x0) * 3.0"], (JIT,)), use_jax=False)
    finally:
        ftrans.config.update("jit_backend", before)
    # the program ran NumPy code with the right numbers: only this oracle sees it
    assert kinds_of(v) == {"native"}
    assert any("numba could not compile" in r for r in v.native)


def shim(**overrides):
    """The ftrans namespace with some transforms replaced (for the oracle tests below)."""
    ft = types.SimpleNamespace(
        **{k: getattr(ftrans, k) for k in dir(ftrans) if not k.startswith("__")}
    )
    for k, v in overrides.items():
        setattr(ft, k, v)
    return {"ft": ft, "fnp": fnp, "lax": ftrans.lax, "np": np}


def test_mutation_is_caught():
    def mutating_jit(f):
        def g(*a):
            for x in a:
                if isinstance(x, np.ndarray):
                    x += 1.0
            return ftrans.jit(f)(*a)

        return g

    v = oracles.judge(
        tiny_case(["v1 = fnp.sin(x0)"], (JIT,)), use_jax=False, namespace=shim(jit=mutating_jit)
    )
    assert "mutation" in kinds_of(v)


def test_float32_leaking_to_float64_and_scalar_leaves_are_caught():
    def f64_jit(f):
        return lambda *a: tuple(
            np.float64(np.sum(o)) + np.zeros(np.shape(o)) for o in ftrans.jit(f)(*a)
        )

    v = oracles.judge(
        tiny_case(["v1 = fnp.sin(x0)"], (JIT,), dtype="float32"),
        use_jax=False,
        namespace=shim(jit=f64_jit),
    )
    assert {"dtype", "alt"} <= kinds_of(v)

    def scalar_grad(f, argnums=0):
        return lambda *a: np.float64(ftrans.grad(f, argnums=argnums)(*a))

    v = oracles.judge(
        tiny_case(["v1 = fnp.sum(fnp.sin(x0))"], (GRAD,), shapes=((),)),
        use_jax=False,
        namespace=shim(grad=scalar_grad),
    )
    assert "leaf" in kinds_of(v)


def test_nan_asymmetric_hessian_and_internal_errors_are_caught():
    def nan_grad(f, argnums=0):
        return lambda *a: ftrans.grad(f, argnums=argnums)(*a) * np.nan

    v = oracles.judge(
        tiny_case(["v1 = fnp.sin(x0)"], (GRAD,)), use_jax=False, namespace=shim(grad=nan_grad)
    )
    assert "nan" in kinds_of(v)

    def skew_hessian(f, argnums=0):
        return lambda *a: ftrans.hessian(f, argnums=argnums)(*a) + np.triu(np.ones((3, 3)))

    v = oracles.judge(
        tiny_case(["v1 = fnp.sin(x0) * x0"], (HESSIAN,)),
        use_jax=False,
        namespace=shim(hessian=skew_hessian),
    )
    assert {"symmetry", "alt"} <= kinds_of(v)

    def broken_vmap(f, in_axes=0, out_axes=0):
        def g(*a):
            raise AssertionError("internal invariant")

        return g

    v = oracles.judge(
        tiny_case(["v1 = fnp.sin(x0)"], (VMAP,)), use_jax=False, namespace=shim(vmap=broken_vmap)
    )
    assert ("error", "AssertionError") in {f.signature for f in v.failures}


def test_shrinker_minimises_and_prints_a_script_that_reproduces(monkeypatch, tmp_path):
    monkeypatch.setattr(ew.sin_p, "lower", ufunc_lowering(np.cos))
    lines = ["v1 = fnp.sin(x0) * 3.0"]
    vmap2 = stacks.Layer("vmap", in_axes=(1, None), out_axis=-1, size=3)
    big = tiny_case(lines, (vmap2, JIT, stacks.Layer("jvp")), shapes=((3, 2), (2,)))
    fails = oracles.judge(big, use_jax=False).failures
    alt = [f for f in fails if f.kind == "alt"]
    assert alt
    small = shrink.shrink(big, alt[0])
    assert [layer.kind for layer in small.layers] == ["jit"]
    assert len(small.program.args) == 1 and small.program.args[0].shape == (1, 1)
    text = shrink.script(small, alt[0])
    path = tmp_path / "case.py"
    path.write_text(text)
    scope = {"__name__": "__main__"}
    exec(compile(text, str(path), "exec"), scope)  # runs standalone: prints both results
    out, ref = scope["out"], scope["ref"]
    assert not np.allclose(out[0], ref[0])
