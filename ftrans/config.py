"""``ft.config``: JAX's configuration object, for the options that mean something here.

ftrans keeps one registry of options (`Config.define`), so a feature that adds an option (a jit
backend, say) registers it next to its own code. Each option has a validator that either
accepts a value (and applies it) or raises an error saying what ftrans does instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ftrans.errors import FtransError


class ConfigError(FtransError, ValueError):
    """An unknown configuration option, or a value ftrans cannot honour."""


class _State:
    """Flags read on hot paths (``jit.__call__``): plain attributes, no lookups."""

    __slots__ = ("jit_disabled",)

    def __init__(self) -> None:
        self.jit_disabled = False


state = _State()


@dataclasses.dataclass
class _Option:
    name: str
    value: Any
    validate: Callable[[Any], Any]
    doc: str


class Config:
    """JAX's ``jax.config``: ``update(name, value)``, ``read(name)`` and attribute reads.

    Known options are listed by ``ft.config.options()``. An unknown name is an error that
    lists them (JAX has many options that only concern its compiler and devices).

    Examples:
        >>> import ftrans as ft
        >>> ft.config.update("jax_enable_x64", True)   # what ftrans does anyway
        >>> ft.config.jax_enable_x64, ft.config.read("jax_platform_name")
        (True, 'cpu')
        >>> ft.config.update("jax_enable_x64", False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ftrans.config.ConfigError: jax_enable_x64=False is not supported: ...float32...
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_options", {})

    def define(
        self, name: str, default: Any, validate: Callable[[Any], Any], doc: str = ""
    ) -> None:
        """Register an option: ``validate(value)`` returns the value to store (and applies it),
        or raises `ConfigError` explaining why the value cannot be used."""
        if name in self._options:
            raise ValueError(f"ftrans.config: option {name!r} is already defined.")
        self._options[name] = _Option(name, default, validate, doc)

    def options(self) -> dict[str, str]:
        """Every known option with its one-line description."""
        return {n: o.doc for n, o in sorted(self._options.items())}

    def _option(self, name: str) -> _Option:
        option = self._options.get(name)
        if option is None:
            known = ", ".join(sorted(self._options))
            raise ConfigError(
                f"ftrans.config has no option {name!r}. Known options: {known}. Options of "
                "JAX's compiler, devices and caches have no meaning for ftrans (it runs NumPy on "
                "the CPU)."
            )
        return option

    def update(self, name: str, value: Any) -> None:
        """Set an option (``jax.config.update``)."""
        option = self._option(name)
        option.value = option.validate(value)

    def read(self, name: str) -> Any:
        """The current value of an option."""
        return self._option(name).value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._option(name).value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"set configuration options with ft.config.update({name!r}, value), not by assignment."
        )

    @contextlib.contextmanager
    def override(self, name: str, value: Any) -> Iterator[None]:
        """Set an option inside a ``with`` block, restoring the old value after."""
        option = self._option(name)
        old = option.value
        self.update(name, value)
        try:
            yield
        finally:
            option.value = option.validate(old)

    def config_with_absl(self) -> None:
        """Accepted for JAX compatibility; ftrans reads no absl flags, so this does nothing."""

    def parse_flags_with_absl(self) -> None:
        """Accepted for JAX compatibility; ftrans reads no absl flags, so this does nothing."""


config = Config()


# ----------------------------------------------------------------------------- the options


def _x64(value: Any) -> bool:
    if bool(value):
        return True
    raise ConfigError(
        "jax_enable_x64=False is not supported: ftrans follows NumPy's dtypes, so float64 stays "
        "float64 and float32 stays float32 (there is no global switch to 32 bits). For float32 "
        "work, make your inputs float32 (np.asarray(x, np.float32), "
        "ft.random.normal(key, shape, dtype=np.float32)); results then stay float32."
    )


def _platform(value: Any) -> str:
    if value in (None, "", "cpu"):
        return "cpu"
    raise ConfigError(
        f"jax_platform_name={value!r} is not available: ftrans runs NumPy on the CPU, so the only "
        "platform is 'cpu'."
    )


def _platforms(value: Any) -> str:
    names = [] if value in (None, "") else [p.strip() for p in str(value).split(",")]
    if "cpu" in names or not names:
        return "cpu"
    raise ConfigError(
        f"jax_platforms={value!r} names no platform ftrans has: the only one is 'cpu'."
    )


def _disable_jit(value: Any) -> bool:
    state.jit_disabled = bool(value)
    return bool(value)


_SAVED_ERR: dict[str, dict[str, str]] = {}


def _numpy_errors(option: str, kinds: tuple[str, ...]) -> Callable[[Any], bool]:
    def validate(value: Any) -> bool:
        on = bool(value)
        if on and option not in _SAVED_ERR:
            _SAVED_ERR[option] = np.seterr(**dict.fromkeys(kinds, "raise"))
        elif not on and option in _SAVED_ERR:
            np.seterr(**_SAVED_ERR.pop(option))
        return on

    return validate


def _precision(value: Any) -> Any:
    return value  # ftrans's CPU products are full precision whatever is asked


config.define("jax_enable_x64", True, _x64, "always True: float64 unless inputs are float32")
config.define("jax_platform_name", "cpu", _platform, "always 'cpu'")
config.define("jax_platforms", "cpu", _platforms, "always 'cpu'")
config.define(
    "jax_disable_jit",
    False,
    _disable_jit,
    "run jitted functions eagerly, op by op (see ft.disable_jit)",
)
config.define(
    "jax_debug_nans",
    False,
    _numpy_errors("jax_debug_nans", ("invalid",)),
    "raise FloatingPointError where NumPy makes a NaN (np.seterr(invalid='raise'))",
)
config.define(
    "jax_debug_infs",
    False,
    _numpy_errors("jax_debug_infs", ("divide", "over")),
    "raise FloatingPointError on division by zero or overflow (np.seterr)",
)
config.define(
    "jax_default_matmul_precision",
    None,
    _precision,
    "accepted and ignored: NumPy products are computed at full precision",
)


def _jit_backend(value: Any) -> Any:
    from ftrans.compiler.native.tiering import BACKENDS, set_default_backend

    if value not in BACKENDS:
        raise ConfigError(f"jit_backend must be one of {BACKENDS}, got {value!r}")
    set_default_backend(value)
    return value


config.define(
    "jit_backend",
    "auto",
    _jit_backend,
    "the default backend of jit: 'auto' (native code where it pays, when numba is "
    "installed), 'numpy' or 'native' (numba)",
)


def _native_fast_math(value: Any) -> bool:
    from ftrans.compiler.native_rules import SETTINGS

    SETTINGS.fast_math = bool(value)
    return bool(value)


config.define(
    "native_fast_math",
    True,
    _native_fast_math,
    "native code computes exp, log, sin, cos, tanh, ... with vectorised kernels within 4 ulp "
    "of NumPy's (True) or calls the C library's exact functions (False); read when a program "
    "is compiled",
)

# ----------------------------------------------------------------------------- context managers


@contextlib.contextmanager
def disable_jit(disable: bool = True) -> Iterator[None]:
    """Inside the block, functions wrapped in `ftrans.jit` run eagerly, op by op, with concrete
    NumPy values: ``print`` and a debugger work inside them, and no compilation happens.

    ``lax.scan``, ``cond`` and ``while_loop`` still trace their bodies (as ``jit`` does not
    wrap them); only ``jit`` is bypassed.

    Examples:
        >>> import ftrans as ft
        >>> @ft.jit
        ... def f(x):
        ...     print("x is", x)  # a concrete value only when jit is disabled
        ...     return x * 2
        >>> with ft.disable_jit():
        ...     y = f(3.0)
        x is 3.0
        >>> float(y), f.cache_info().misses
        (6.0, 0)
    """
    old = state.jit_disabled
    state.jit_disabled = bool(disable)
    config._options["jax_disable_jit"].value = bool(disable)
    try:
        yield
    finally:
        state.jit_disabled = old
        config._options["jax_disable_jit"].value = old


@contextlib.contextmanager
def ensure_compile_time_eval() -> Iterator[None]:
    """Accepted for JAX compatibility; in ftrans this block changes nothing.

    In JAX, it makes operations on values that are not traced run eagerly inside ``jit``. ftrans
    already does that everywhere: an operation none of whose inputs is a tracer runs on NumPy
    at once, even while a function is being traced, so such values are concrete.

    Examples:
        >>> import ftrans as ft, ftrans.numpy as fnp
        >>> @ft.jit
        ... def f(x):
        ...     with ft.ensure_compile_time_eval():
        ...         n = fnp.arange(3).sum()   # concrete: an ordinary NumPy value
        ...     return x * int(n)
        >>> float(f(2.0))
        6.0
    """
    yield
