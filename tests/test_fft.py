"""ftrans.numpy.fft beyond the registry: every public function has a spec, errors name what was
wrong and the fix, Hermitian weighting of rfft/irfft gradients, batching with the batch axis
anywhere, the jit lowering, and gradients against JAX when it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from registry_fft import fft_functions_with_specs

import ftrans as ft
import ftrans.numpy as fnp
from ftrans.numpy import fft as fnp_fft

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 8))
Z = X + 1j * RNG.standard_normal((3, 8))


def public_fft_functions() -> list[str]:
    return sorted(fnp_fft.__all__)


def test_all_matches_numpy_fft():
    assert set(public_fft_functions()) <= set(dir(np.fft))
    module_functions = {
        n for n in dir(fnp_fft) if not n.startswith("_") and callable(getattr(fnp_fft, n))
    }
    assert module_functions >= set(fnp_fft.__all__)


@pytest.mark.parametrize("name", public_fft_functions())
def test_fft_function_has_spec(name):
    assert name in fft_functions_with_specs(), (
        f"ftrans.numpy.fft.{name} has no spec in tests/registry_fft.py"
    )


def test_reachable_as_fnp_fft():
    assert fnp.fft is fnp_fft
    np.testing.assert_allclose(fnp.fft.fft(Z), np.fft.fft(Z))


# ----------------------------------------------------------------------------- errors


def traced(f, *args):
    """Run ``f`` under a transformation (eager calls are NumPy's own, with NumPy's errors)."""
    return ft.jit(f)(*args)


def test_invalid_norm():
    with pytest.raises(ValueError, match=r"fft.fft: invalid norm 'unitary'.*\"ortho\""):
        traced(lambda z: fnp.fft.fft(z, norm="unitary"), Z)


def test_invalid_length():
    with pytest.raises(ValueError, match=r"fft.rfft: invalid number of data points \(0\).*n"):
        traced(lambda x: fnp.fft.rfft(x, n=0), X)
    with pytest.raises(ValueError, match=r"fft.fftn: invalid number of data points \(-3\)"):
        traced(lambda z: fnp.fft.fftn(z, s=(-3, 2), axes=(0, 1)), Z)
    with pytest.raises(TypeError, match=r"fft.fft: n must be an integer, got 2.5"):
        traced(lambda z: fnp.fft.fft(z, n=2.5), Z)


def test_rfft_of_complex_input():
    with pytest.raises(TypeError, match=r"fft.rfft needs real input, got dtype complex128.*fft"):
        traced(fnp.fft.rfft, Z)


def test_s_and_axes_disagree():
    with pytest.raises(ValueError, match=r"fft.fftn: s has 1 entries but axes has 2"):
        traced(lambda z: fnp.fft.fftn(z, s=(4,), axes=(0, 1)), Z)


def test_repeated_and_out_of_range_axes():
    with pytest.raises(ValueError, match=r"fft.fft2: repeated axis in axes=\(1, 1\)"):
        traced(lambda z: fnp.fft.fft2(z, axes=(1, -1)), Z)
    with pytest.raises(np.exceptions.AxisError, match=r"axes 2 is out of bounds.*dimension 2"):
        traced(lambda z: fnp.fft.fft(z, axis=2), Z)


def test_irfft_of_a_single_bin_needs_n():
    with pytest.raises(ValueError, match=r"fft.irfft: invalid number of data points \(0\).*n="):
        traced(fnp.fft.irfft, Z[:, :1])
    np.testing.assert_allclose(
        traced(lambda z: fnp.fft.irfft(z, n=1), Z[:, :1]), np.fft.irfft(Z[:, :1], n=1)
    )


def test_primitive_errors():
    from ftrans.primitives import fft as prim

    with pytest.raises(TypeError, match=r"the rfft primitive needs a real floating-point operand"):
        ft.make_jaxpr(lambda z: prim.rfft(z, axes=(1,)))(Z)
    with pytest.raises(ft.errors.ShapeError, match=r"irfft with lengths \(8,\).*sizes \(5,\)"):
        ft.make_jaxpr(lambda z: prim.irfft(z, axes=(1,), lengths=(8,)))(Z)


# ----------------------------------------------------------------------------- derivatives


def test_rfft_gradient_weights_the_mirrored_bins():
    """sum |rfft x|^2 counts DC and Nyquist once and the other bins once (not twice), so its
    gradient is not Parseval's 2n x: it is 2 Re(F^T R^T conj(rfft(x)))."""
    x = X[0]
    n = x.size

    def power(v):
        return fnp.sum(fnp.abs(fnp.fft.rfft(v)) ** 2)

    spectrum = np.zeros(n, complex)
    spectrum[: n // 2 + 1] = np.conj(np.fft.rfft(x))
    expected = 2 * np.real(np.fft.fft(spectrum))
    np.testing.assert_allclose(ft.grad(power)(x), expected, rtol=1e-12)

    # the round trip irfft(rfft(x)) = x has the identity as Jacobian
    np.testing.assert_allclose(
        ft.jacrev(lambda v: fnp.fft.irfft(fnp.fft.rfft(v), n))(x), np.eye(n), atol=1e-12
    )
    np.testing.assert_allclose(
        ft.jacfwd(lambda v: fnp.fft.irfft(fnp.fft.rfft(v, 7), 7))(x[:7]), np.eye(7), atol=1e-12
    )


def test_vmap_with_the_batch_axis_in_the_middle():
    batch = RNG.standard_normal((4, 5, 6))

    def f(a):  # a: (4, 6) per example
        return fnp.fft.irfft2(fnp.fft.rfft2(a) * 2.0, s=a.shape)

    got = ft.vmap(f, in_axes=1, out_axes=1)(batch)
    want = np.stack([2.0 * batch[:, i, :] for i in range(5)], axis=1)
    np.testing.assert_allclose(got, want, atol=1e-12)
    got = ft.vmap(lambda z: fnp.fft.fftn(z, axes=(0, 1)), in_axes=2)(batch + 0j)
    np.testing.assert_allclose(got, np.moveaxis(np.fft.fftn(batch, axes=(0, 1)), 2, 0))


def test_jit_lowers_to_numpy_fft():
    text = ft.jit(lambda x: fnp.fft.irfft(fnp.fft.rfft(x) * 2.0, 8)).lower(X).as_text()
    assert "np.fft.rfftn(" in text and "np.fft.irfftn(" in text


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


CASES = {
    "abs_rfft": lambda m: lambda x: m.sum(m.abs(m.fft.rfft(x, 6)) ** 3),
    "irfft_of_rfft": lambda m: lambda x: m.sum(m.sin(m.fft.irfft(m.fft.rfft(x) * 1j, 9))),
    "fft2_ortho": lambda m: lambda x: m.real(m.sum(m.fft.fft2(x * x, norm="ortho") ** 2)),
    "rfftn_forward": lambda m: lambda x: m.sum(m.imag(m.fft.rfftn(x, norm="forward")) ** 2),
    "ifft_shift": lambda m: lambda x: m.sum(m.abs(m.fft.fftshift(m.fft.ifft(x, 11))) ** 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_matches_jax(name):
    jax = _jax()
    import jax.numpy as jnp

    x = RNG.standard_normal((3, 8))
    want = np.asarray(jax.grad(CASES[name](jnp))(x))
    np.testing.assert_allclose(ft.grad(CASES[name](fnp))(x), want, rtol=1e-10, atol=1e-12)


def test_complex_input_grad_matches_jax():
    jax = _jax()
    import jax.numpy as jnp

    def make(m):
        return lambda z: m.sum(m.abs(m.fft.fft(z * m.conj(z[::-1]), norm="ortho")))

    want = np.asarray(jax.grad(make(jnp))(Z[0]))
    np.testing.assert_allclose(ft.grad(make(fnp))(Z[0]), want, rtol=1e-10)
