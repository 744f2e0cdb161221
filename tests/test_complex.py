"""Complex numbers: the gradient convention (against formulas, and against JAX when installed),
holomorphic=True, and the errors for complex outputs and inputs."""

from __future__ import annotations

import numpy as np
import pytest

import ftrans as ft
import ftrans.numpy as fnp

Z0 = 0.7 - 1.3j

# ----------------------------------------------------------------------------- the convention
# For real f(z), z = x + iy, ftrans's grad is df/dx - i df/dy (JAX's convention): the
# conjugate of the steepest-ascent direction.


def _by_parts(f, z, eps=1e-6):
    """df/dx - i df/dy by central differences."""
    dx = (f(z + eps) - f(z - eps)) / (2 * eps)
    dy = (f(z + 1j * eps) - f(z - 1j * eps)) / (2 * eps)
    return dx - 1j * dy


REAL_FUNCTIONS = {
    "abs2": (lambda z: fnp.real(z * fnp.conj(z)), lambda z: 2 * np.conj(z)),
    "abs": (lambda z: fnp.abs(z), lambda z: np.conj(z) / abs(z)),
    "real": (lambda z: fnp.real(z), lambda z: 1.0 + 0j),
    "imag": (lambda z: fnp.imag(z), lambda z: -1j),
    "angle": (lambda z: fnp.angle(z), lambda z: -1j / z),  # angle = Im(log z)
    "real_exp": (lambda z: fnp.real(fnp.exp(z)), lambda z: np.exp(z)),  # Re(g) -> g'(z)
    "abs_sin_sq": (
        lambda z: fnp.abs(fnp.sin(z)) ** 2,
        lambda z: 2 * np.conj(np.sin(z)) * np.cos(z),
    ),
}


@pytest.mark.parametrize("name", sorted(REAL_FUNCTIONS))
def test_grad_is_df_dx_minus_i_df_dy(name):
    f, formula = REAL_FUNCTIONS[name]
    g = ft.grad(f)(Z0)
    assert np.asarray(g).dtype == np.complex128
    np.testing.assert_allclose(g, formula(Z0), rtol=1e-10)
    np.testing.assert_allclose(g, _by_parts(lambda z: float(np.real(f(z))), Z0), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(REAL_FUNCTIONS))
def test_grad_under_jit_and_vmap(name):
    f, formula = REAL_FUNCTIONS[name]
    zs = np.array([Z0, 1.5 + 0.2j, -0.3 - 2j])
    np.testing.assert_allclose(ft.jit(ft.grad(f))(Z0), formula(Z0), rtol=1e-10)
    np.testing.assert_allclose(ft.vmap(ft.grad(f))(zs), formula(zs), rtol=1e-10)


def test_gradient_descent_with_the_conjugate_minimises():
    """Steps z - lr * conj(grad) decrease |z - c|^2: the documented way to use the gradient."""
    c = 1.0 + 2.0j

    def loss(z):
        d = z - c
        return fnp.real(d * fnp.conj(d))

    z = 0j
    for _ in range(100):
        z = z - 0.1 * np.conj(ft.grad(loss)(z))
    assert abs(z - c) < 1e-6


def test_transpose_of_multiplying_by_a_constant_has_no_conjugate():
    _, pull = ft.vjp(lambda z: 3j * z, 1.0 + 1.0j)
    (g,) = pull(1.0 + 0j)
    assert g == 3j
    _, pull = ft.vjp(fnp.conj, 1.0 + 1.0j)
    assert pull(1.0 + 2.0j)[0] == 1.0 - 2.0j


def test_vjp_with_real_and_imaginary_cotangents():
    """The cotangent of Re and Im outputs of a holomorphic map: vjp(ct) = f'(z) * ct."""
    z = np.array([0.3 + 0.4j, -1.0 + 0.5j])
    _, pull = ft.vjp(fnp.exp, z)
    ct = np.array([1.0 - 2.0j, 0.5j])
    np.testing.assert_allclose(pull(ct)[0], np.exp(z) * ct, rtol=1e-12)


def test_real_input_complex_intermediate():
    """Complex numbers inside a real function of real inputs: an ordinary real gradient."""

    def f(x):
        return fnp.abs(ft.lax.complex(x, 2.0) ** 2)

    x = 1.5
    expected = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
    np.testing.assert_allclose(ft.grad(f)(x), expected, rtol=1e-6)
    assert np.asarray(ft.grad(f)(x)).dtype == np.float64


def test_abs_has_a_finite_subgradient_at_zero():
    assert ft.grad(fnp.abs)(0j) == 0
    assert np.isfinite(ft.jvp(fnp.abs, (0j,), (1.0 + 1j,))[1])


def test_jvp_of_holomorphic_function_is_derivative_times_tangent():
    t = 0.2 - 0.9j
    _, dy = ft.jvp(lambda z: fnp.sin(z) * fnp.exp(z), (Z0,), (t,))
    derivative = np.cos(Z0) * np.exp(Z0) + np.sin(Z0) * np.exp(Z0)
    np.testing.assert_allclose(dy, derivative * t, rtol=1e-12)


# ----------------------------------------------------------------------------- holomorphic


def test_holomorphic_grad_jacfwd_jacrev_hessian():
    f = lambda z: z**3 + fnp.exp(z)
    z = np.array([0.5 + 1.0j, -1.0 + 0.25j])
    d = 3 * z**2 + np.exp(z)
    np.testing.assert_allclose(
        ft.grad(lambda w: f(w), holomorphic=True)(Z0), 3 * Z0**2 + np.exp(Z0)
    )
    np.testing.assert_allclose(ft.jacfwd(f, holomorphic=True)(z), np.diag(d), rtol=1e-12)
    np.testing.assert_allclose(ft.jacrev(f, holomorphic=True)(z), np.diag(d), rtol=1e-12)
    hess = ft.hessian(lambda w: fnp.sum(f(w)), holomorphic=True)(z)
    np.testing.assert_allclose(hess, np.diag(6 * z + np.exp(z)), rtol=1e-12)


def test_jacrev_of_real_function_of_complex_input():
    z = np.array([0.5 + 1.0j, -1.0 + 0.25j])
    jac = ft.jacrev(lambda w: fnp.abs(w) ** 2)(z)
    np.testing.assert_allclose(jac, np.diag(2 * np.conj(z)), rtol=1e-12)


# ----------------------------------------------------------------------------- errors


def test_grad_of_complex_output_names_holomorphic():
    with pytest.raises(TypeError, match=r"needs a real scalar output.*c128\[\].*holomorphic=True"):
        ft.grad(lambda z: z * z)(Z0)


def test_holomorphic_needs_complex_input_and_output():
    with pytest.raises(TypeError, match=r"argument 0 has dtype float64.*holomorphic=True needs"):
        ft.grad(lambda x: x * x, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match=r"must return a complex scalar.*f64\[\]"):
        ft.grad(lambda z: fnp.abs(z), holomorphic=True)(Z0)
    with pytest.raises(TypeError, match=r"output leaf 0 has dtype float64.*Drop holomorphic"):
        ft.jacrev(lambda z: fnp.abs(z), holomorphic=True)(np.array([Z0]))


def test_jacfwd_of_complex_input_needs_holomorphic():
    with pytest.raises(TypeError, match=r"jacfwd.*argument 0 has dtype complex128.*holomorphic"):
        ft.jacfwd(lambda z: fnp.abs(z))(np.array([Z0]))


def test_jacrev_of_complex_output_needs_holomorphic():
    with pytest.raises(TypeError, match=r"jacrev.*output leaf 0 has dtype complex128.*vjp"):
        ft.jacrev(lambda x: ft.lax.complex(x, x))(np.array([1.0]))


def test_complex_primitive_errors_name_the_dtype():
    with pytest.raises(TypeError, match=r"real primitive needs a complex operand, got f64\[2\]"):
        ft.make_jaxpr(ft.lax.real)(np.ones(2))
    with pytest.raises(TypeError, match=r"complex needs real floating-point parts.*c128"):
        ft.make_jaxpr(ft.lax.complex)(np.ones(2, complex), np.ones(2, complex))


def test_fnp_complex_helpers_on_real_and_python_values():
    def f(x):
        return fnp.real(x) + fnp.imag(x) + fnp.conj(x) + fnp.angle(x)

    x = np.array([-1.0, 2.0])
    np.testing.assert_allclose(ft.jit(f)(x), 2 * x + np.array([np.pi, 0.0]))
    np.testing.assert_allclose(ft.grad(lambda v: fnp.sum(f(v)))(x), [2.0, 2.0])
    assert fnp.iscomplexobj(1j) and not fnp.iscomplexobj(1.0)
    assert ft.jit(lambda z: fnp.real(z) * fnp.imag(2j))(3.0 + 0j) == 6.0


# ----------------------------------------------------------------------------- against JAX


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


JAX_CASES = {
    "abs2": (lambda m: lambda z: m.real(z * m.conj(z)),),
    "abs": (lambda m: lambda z: m.abs(z),),
    "angle": (lambda m: lambda z: m.angle(z),),
    "real_exp_sin": (lambda m: lambda z: m.real(m.exp(z) * m.sin(z)),),
    "imag_log": (lambda m: lambda z: m.imag(m.log(z)),),
    "abs_sqrt_sq": (lambda m: lambda z: m.abs(m.sqrt(z)) ** 2,),
    "div": (lambda m: lambda z: m.real((1 + z) / (2 - z * z)),),
}


@pytest.mark.parametrize("name", sorted(JAX_CASES))
def test_grad_matches_jax(name):
    jax = _jax()
    import jax.numpy as jnp

    (make,) = JAX_CASES[name]
    want = complex(jax.grad(make(jnp))(Z0))
    np.testing.assert_allclose(ft.grad(make(fnp))(Z0), want, rtol=1e-10)


def test_vjp_and_holomorphic_match_jax():
    jax = _jax()
    import jax.numpy as jnp

    z = np.array([0.3 + 0.4j, -1.0 + 0.5j])
    ct = np.array([1.0 - 2.0j, 0.5j])
    for m_f in (
        lambda m: lambda w: m.conj(w) * w * 2j,
        lambda m: lambda w: m.exp(m.conj(w)),
        lambda m: lambda w: m.abs(w) * (1 + 1j),
    ):
        _, pull_jax = jax.vjp(m_f(jnp), z)
        _, pull = ft.vjp(m_f(fnp), z)
        np.testing.assert_allclose(pull(ct)[0], np.asarray(pull_jax(ct)[0]), rtol=1e-12)
    want = jax.jacrev(lambda w: jnp.sin(w) * w, holomorphic=True)(z)
    got = ft.jacrev(lambda w: fnp.sin(w) * w, holomorphic=True)(z)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12)


def test_complex64_stays_complex64():
    z = np.array([1 + 2j, 3 - 1j], np.complex64)
    g = ft.jit(ft.grad(lambda w: fnp.sum(fnp.abs(w) ** 2 + fnp.angle(w))))(z)
    assert g.dtype == np.complex64
    np.testing.assert_allclose(g, 2 * np.conj(z) - 1j / z, rtol=1e-6)
    assert ft.grad(lambda x: fnp.abs(ft.lax.complex(x, x)))(np.float32(1.0)).dtype == np.float32


def test_argnums_mixing_real_and_complex_with_aux():
    def f(x, z):
        loss = fnp.abs(x * z) ** 2
        return loss, fnp.imag(z)

    (gx, gz), aux = ft.grad(f, argnums=(0, 1), has_aux=True)(2.0, 1.0 + 1.0j)
    assert np.asarray(gx).dtype == np.float64 and np.asarray(gz).dtype == np.complex128
    np.testing.assert_allclose(gx, 2 * 2.0 * abs(1 + 1j) ** 2)  # d/dx x^2 |z|^2
    np.testing.assert_allclose(gz, 2 * 4.0 * np.conj(1 + 1j))  # 2 x^2 conj(z)
    assert aux == 1.0
