"""ftrans: composable function transformations (grad, jvp, vjp, vmap, jit) for NumPy.

Examples:
    >>> import ftrans as ft
    >>> import ftrans.numpy as fnp
    >>> def f(x1, x2):
    ...     return fnp.log(x1) + x1 * x2 - fnp.sin(x2)
    >>> [round(float(g), 3) for g in ft.grad(f, argnums=(0, 1))(2.0, 5.0)]
    [5.5, 1.716]
"""

from __future__ import annotations

from ftrans import core as _core
from ftrans import custom_batching, explain, lax, nn, numerical, optim, random, tree
from ftrans import numpy as _numpy
from ftrans import primitives as _primitives
from ftrans._api_extras import (
    closure_convert,
    eval_shape,
    linear_transpose,
    named_call,
    named_scope,
)
from ftrans.api import (
    ShapeDtypeStruct,
    float0,
    grad,
    jvp,
    linearize,
    make_jaxpr,
    stop_gradient,
    value_and_grad,
    vjp,
)
from ftrans.compiler.fusion import get_num_threads, set_num_threads
from ftrans.config import config, disable_jit, ensure_compile_time_eval
from ftrans.core import ClosedJaxpr, Jaxpr, ShapedArray
from ftrans.custom_derivatives import CustomRuleError, custom_jvp, custom_vjp
from ftrans.devices import (
    Device,
    block_until_ready,
    default_backend,
    device_count,
    device_get,
    device_put,
    devices,
    local_device_count,
    local_devices,
    process_count,
    process_index,
)
from ftrans.errors import (
    ConcretizationError,
    FtransError,
    ShapeError,
    TracerArrayConversionError,
    TracerLeakError,
    UnsupportedError,
)
from ftrans.jacobians import hessian, jacfwd, jacrev
from ftrans.jitting import StaticArgumentError, jit
from ftrans.mapping import BatchAxisError, vmap
from ftrans.remat import (
    checkpoint,
    checkpoint_name,
    checkpoint_policies,
    print_saved_residuals,
    remat,
    saved_residuals,
)
from ftrans.typing import Array

__version__ = "0.1.0"

__all__ = [
    "Array",
    "BatchAxisError",
    "ClosedJaxpr",
    "ConcretizationError",
    "CustomRuleError",
    "Device",
    "FtransError",
    "Jaxpr",
    "ShapeDtypeStruct",
    "ShapeError",
    "ShapedArray",
    "StaticArgumentError",
    "TracerArrayConversionError",
    "TracerLeakError",
    "UnsupportedError",
    "block_until_ready",
    "checkpoint",
    "checkpoint_name",
    "checkpoint_policies",
    "closure_convert",
    "config",
    "custom_batching",
    "custom_jvp",
    "custom_vjp",
    "default_backend",
    "device_count",
    "device_get",
    "device_put",
    "devices",
    "disable_jit",
    "ensure_compile_time_eval",
    "eval_shape",
    "explain",
    "float0",
    "get_num_threads",
    "grad",
    "hessian",
    "jacfwd",
    "jacrev",
    "jit",
    "lax",
    "jvp",
    "linear_transpose",
    "linearize",
    "local_device_count",
    "local_devices",
    "make_jaxpr",
    "named_call",
    "named_scope",
    "nn",
    "numerical",
    "print_saved_residuals",
    "process_count",
    "process_index",
    "random",
    "remat",
    "saved_residuals",
    "set_num_threads",
    "stop_gradient",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]

# Subpackages that load on first use, so ``import ftrans`` stays light (and needs only NumPy).
_LAZY_SUBMODULES = (
    "image",
    "scipy",
    "tree_util",
    "example_libraries",
    "experimental",
    "debug",
    "test_util",
    "distributed",
)
# Names defined in lazily loaded modules (their primitives are made on first use).
_LAZY_NAMES = {"pure_callback": "ftrans._callbacks"}


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"ftrans.{name}")
    if name in _LAZY_NAMES:
        import importlib

        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'ftrans' has no attribute {name!r}")


# Every primitive ftrans itself defines (jit_call included): the registry test covers these.
_primitives.BUILTIN = frozenset(_core.PRIMITIVES)
