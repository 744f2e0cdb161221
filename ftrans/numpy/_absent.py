"""jax.numpy names that ftrans deliberately does not have, each with the reason and what to use
instead; the modules' ``__getattr__`` turn a lookup of one into an AttributeError that says so.
The coverage test (tests/test_numpy_coverage.py) allows exactly these names to be missing."""

from __future__ import annotations

_LOW_FLOAT = (
    "NumPy has no {name} dtype, and ftrans computes with NumPy; use float16 or float32 "
    "(and cast with fnp.float16(x) / fnp.float32(x))"
)
_LOW_INT = (
    "NumPy has no {name} dtype (sub-byte integers), and ftrans computes with NumPy; use "
    "int8/uint8 and mask the bits you need"
)
_EIG = (
    "ftrans has no primitive for the eigendecomposition of a general (non-Hermitian) matrix "
    "yet, so {name} has no derivative or jit rule; use ftrans.numpy.linalg.eigh (or eigvalsh) "
    "for symmetric/Hermitian matrices, or numpy.linalg.{name} outside transformations"
)

ABSENT: dict[str, dict[str, str]] = {
    "ftrans.numpy": {
        **{
            n: _LOW_FLOAT
            for n in (
                "bfloat16",
                "float4_e2m1fn",
                "float6_e2m3fn",
                "float6_e3m2fn",
                "float8_e3m4",
                "float8_e4m3",
                "float8_e4m3b11fnuz",
                "float8_e4m3fn",
                "float8_e4m3fnuz",
                "float8_e5m2",
                "float8_e5m2fnuz",
                "float8_e8m0fnu",
            )
        },
        **{n: _LOW_INT for n in ("int1", "int2", "int4", "uint1", "uint2", "uint4")},
    },
    "ftrans.numpy.linalg": {"eig": _EIG, "eigvals": _EIG},
    "ftrans.numpy.fft": {},
}


def missing(module: str, name: str) -> AttributeError:
    """The AttributeError for ``module.name``: the reason when the absence is deliberate."""
    reason = ABSENT.get(module, {}).get(name)
    if reason is None:
        return AttributeError(f"module {module!r} has no attribute {name!r}")
    return AttributeError(
        f"module {module!r} has no attribute {name!r} (jax.numpy has it): "
        + reason.format(name=name)
    )
