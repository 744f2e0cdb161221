"""Registry specs for the Fourier transforms: the primitives ``fft``, ``ifft``, ``rfft`` and
``irfft``, and every public function of ``ftrans.numpy.fft`` against ``numpy.fft``.

``ftrans.numpy.fft`` is a module, so its specs use ``kind="numpy"`` with ``target="fft"`` and
are named ``fnp:fft.<function>[...]``; :func:`fft_functions_with_specs` reads those names back
for the completeness test in ``test_fft.py``. All transforms are linear, so every spec also
gets the transpose dot-product test (primitives) and the VJP dot test with complex cotangents.
"""

from __future__ import annotations

import numpy as np
from registry_complex import complex_uniform
from spec import F32, F64, Arg, Spec, positive, uniform

import ftrans.numpy as fnp
from ftrans.core import PRIMITIVES

SPECS: list[Spec] = []
Z = complex_uniform()
U = uniform()
BOTH = (F64, F32)


def A(shape, sampler) -> Arg:
    return Arg(tuple(shape), sampler)


def _inexact(args) -> tuple[int, ...]:
    probe = [a.sample(np.random.default_rng(0), a.shape, F64) for a in args]
    return tuple(i for i, a in enumerate(probe) if np.issubdtype(np.asarray(a).dtype, np.inexact))


def prim(name, args, reference, *, params, label, **options) -> None:
    primitive = PRIMITIVES[name]

    def fun(*arrays):
        return primitive.bind(*arrays, **params)

    fun.__name__ = name
    options.setdefault("diff_argnums", _inexact(args))
    SPECS.append(
        Spec(
            f"prim:{name}[{label}]",
            "primitive",
            name,
            fun,
            reference,
            tuple(args),
            linear_argnums=((0,),),
            **options,
        )
    )


def fn(function, args, *, label=None, **kwargs) -> None:
    """``fnp.fft.<function>(*arrays, **kwargs)`` against ``numpy.fft.<function>``."""
    options = kwargs.pop("options", {})

    def fun(*arrays):
        return getattr(fnp.fft, function)(*arrays, **kwargs)

    def reference(*arrays):
        return getattr(np.fft, function)(*arrays, **kwargs)

    if label is None:
        label = ",".join(f"{k}={v!r}" for k, v in kwargs.items())
    options.setdefault("diff_argnums", _inexact(args))
    name = f"fnp:fft.{function}" + (f"[{label}]" if label else "")
    SPECS.append(Spec(name, "numpy", "fft", fun, reference, tuple(args), **options))


def fft_functions_with_specs() -> set[str]:
    return {s.name.split("[")[0].removeprefix("fnp:fft.") for s in SPECS if s.kind == "numpy"}


# ----------------------------------------------------------------------------- primitives

prim("fft", [A((3, 8), Z)], lambda x: np.fft.fft(x), params={"axes": (1,)}, label="axes=(1,)")
prim(
    "fft",
    [A((2, 3, 4), Z)],
    lambda x: np.fft.fftn(x, axes=(0, 2)),
    params={"axes": (0, 2)},
    label="axes=(0, 2)",
)
prim("ifft", [A((3, 8), Z)], lambda x: np.fft.ifft(x), params={"axes": (1,)}, label="axes=(1,)")
prim(
    "ifft",
    [A((2, 3, 4), Z)],
    lambda x: np.fft.ifftn(x, axes=(2, 0)),
    params={"axes": (2, 0)},
    label="axes=(2, 0)",
)
for _n in (8, 7):
    prim(
        "rfft",
        [A((3, _n), U)],
        lambda x: np.fft.rfft(x),
        params={"axes": (1,)},
        label=f"n={_n}",
        dtypes=BOTH,
    )
prim(
    "rfft",
    [A((4, 6), U)],
    lambda x: np.fft.rfftn(x, axes=(1, 0)),
    params={"axes": (1, 0)},
    label="axes=(1, 0)",
)
for _n in (8, 7):
    prim(
        "irfft",
        [A((3, _n // 2 + 1), Z)],
        lambda x, n=_n: np.fft.irfft(x, n),
        params={"axes": (1,), "lengths": (_n,)},
        label=f"n={_n}",
    )
prim(
    "irfft",
    [A((4, 3), Z)],
    lambda x: np.fft.irfftn(x, s=(4, 5), axes=(0, 1)),
    params={"axes": (0, 1), "lengths": (4, 5)},
    label="axes=(0, 1),lengths=(4, 5)",
)

# ----------------------------------------------------------------------------- ftrans.numpy.fft

for _f in ("fft", "ifft"):
    fn(_f, [A((3, 8), Z)])
    fn(_f, [A((3, 8), Z)], n=5)
    fn(_f, [A((3, 8), Z)], n=11, axis=0)
    fn(_f, [A((3, 8), Z)], norm="ortho")
    fn(_f, [A((3, 8), Z)], norm="forward")
    fn(_f, [A((3, 8), U)], label="real input", options={"dtypes": BOTH})

fn("rfft", [A((3, 8), U)], options={"dtypes": BOTH})
fn("rfft", [A((3, 7), U)], label="odd")
fn("rfft", [A((3, 8), U)], n=5, axis=0)
fn("rfft", [A((3, 8), U)], n=12, norm="ortho")
fn("rfft", [A((3, 8), U)], norm="forward")
fn("irfft", [A((3, 5), Z)])
fn("irfft", [A((3, 5), Z)], n=7)
fn("irfft", [A((3, 5), Z)], n=12, axis=1, norm="ortho")
fn("irfft", [A((4, 3), Z)], n=3, axis=0, norm="forward")

for _f in ("fft2", "ifft2"):
    fn(_f, [A((2, 4, 3), Z)])
    fn(_f, [A((2, 4, 3), Z)], s=(3, 5), axes=(0, 2), norm="ortho")
for _f in ("fftn", "ifftn"):
    fn(_f, [A((2, 4, 3), Z)])
    fn(_f, [A((2, 4, 3), Z)], axes=(0, 2))
    fn(_f, [A((2, 4, 3), Z)], s=(5, 2), axes=(1, 0), norm="forward")
fn("rfft2", [A((2, 4, 6), U)], options={"dtypes": BOTH})
fn("rfft2", [A((2, 4, 6), U)], s=(3, 5), axes=(2, 1), norm="ortho")
fn("irfft2", [A((2, 4, 4), Z)])
fn("irfft2", [A((2, 4, 4), Z)], s=(5, 5), axes=(0, 1), norm="forward")
fn("rfftn", [A((2, 4, 6), U)])
fn("rfftn", [A((2, 4, 6), U)], s=(3, 4), axes=(0, 2))
fn("irfftn", [A((2, 4, 4), Z)])
fn("irfftn", [A((2, 4, 4), Z)], s=(2, 3, 7), axes=(0, 1, 2), norm="ortho")

for _f in ("fftshift", "ifftshift"):
    fn(_f, [A((3, 5), U)], options={"dtypes": BOTH})
    fn(_f, [A((4, 5), Z)], axes=1)
    fn(_f, [A((4, 5, 3), Z)], axes=(0, 2))


def _freq(function, n):
    def fun(d):
        return getattr(fnp.fft, function)(n, d)

    def reference(d):
        return getattr(np.fft, function)(n, float(d))

    spec = Spec(f"fnp:fft.{function}[n={n}]", "numpy", "fft", fun, reference, (A((), positive()),))
    SPECS.append(spec)


for _n in (8, 7):
    _freq("fftfreq", _n)
    _freq("rfftfreq", _n)

fn("hfft", [A((3, 5), Z)])
fn("hfft", [A((3, 5), Z)], n=7, norm="ortho")
fn("hfft", [A((4, 3), Z)], n=6, axis=0, norm="forward")
fn("ihfft", [A((3, 8), U)])
fn("ihfft", [A((3, 7), U)], n=9, norm="ortho")
fn("ihfft", [A((4, 3), U)], n=4, axis=0, norm="forward")
