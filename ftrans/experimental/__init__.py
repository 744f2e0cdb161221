"""``ftrans.experimental``: JAX's ``jax.experimental`` names that ftrans has.

``ftrans.experimental.ode.odeint`` is JAX's adaptive ODE solver with adjoint gradients.
"""

from __future__ import annotations

from ftrans.experimental import ode

__all__ = ["ode"]
