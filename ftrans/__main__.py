"""A short tour: ``python -m ftrans`` differentiates the seed's example every way ftrans can."""

from __future__ import annotations

import numpy as np

import ftrans as ft
import ftrans.numpy as fnp


def f(x1, x2):
    """The seed's worked example: y = ln(x1) + x1*x2 - sin(x2)."""
    return fnp.log(x1) + x1 * x2 - fnp.sin(x2)


def main() -> None:
    x1, x2 = 2.0, 5.0
    print("f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (x1, x2) = (2, 5)\n")
    print("1. The traced IR (ft.make_jaxpr):")
    print(ft.make_jaxpr(f)(x1, x2))

    y = f(x1, x2)
    print(f"\n2. Value: y = {y:.3f}")

    _, dy_dx1 = ft.jvp(f, (x1, x2), (1.0, 0.0))
    _, dy_dx2 = ft.jvp(f, (x1, x2), (0.0, 1.0))
    print("\n3. Forward mode (ft.jvp), one pass per input:")
    print(f"   dy/dx1 = {dy_dx1:.3f}   (tangent (1, 0))")
    print(f"   dy/dx2 = {dy_dx2:.3f}   (tangent (0, 1))")

    g1, g2 = ft.grad(f, argnums=(0, 1))(x1, x2)
    print("\n4. Reverse mode (ft.grad = linearize + transpose), one pass for both:")
    print(
        f"   (dy/dx1, dy/dx2) = ({g1:.3f}, {g2:.3f})"
        f"   [exact: (5.5, 2 - cos 5 = {2 - np.cos(5):.3f})]"
    )

    numeric = ft.numerical.central_difference(
        lambda v: np.log(v[0]) + v[0] * v[1] - np.sin(v[1]), np.array([x1, x2])
    )
    print("\n5. Central differences (ft.numerical), the unit test of AD:")
    print(f"   ({numeric[0]:.6f}, {numeric[1]:.6f})")
    ft.numerical.check_grads(f, (x1, x2), order=2, modes=("fwd", "rev"))
    print("   ft.numerical.check_grads(f, (2.0, 5.0), order=2): passed")

    print("\n6. The IR of the gradient itself (reverse mode, traced):")
    print(ft.make_jaxpr(ft.grad(f, argnums=(0, 1)))(x1, x2))


if __name__ == "__main__":
    main()
