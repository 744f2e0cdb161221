"""NumPy's own functions on traced arrays: the targets of ``Tracer.__array_ufunc__`` and
``Tracer.__array_function__``.

``np.sin(t)``, ``np.add.reduce(t)``, ``np.sum(t, axis=0)``, ``np.linalg.norm(t)`` run the
``ftrans.numpy`` function of the same name (``ftrans.numpy.linalg`` / ``.fft`` for NumPy's
submodules) with the arguments as given, so plain NumPy code differentiates unchanged. What
ftrans lacks raises a TracerArrayConversionError that names the missing function, and suggests
an ftrans spelling only when one exists.
"""

from __future__ import annotations

from ftrans import numpy as fnp
from ftrans.errors import TracerArrayConversionError, format_frame, user_frame

# NumPy ufunc names whose ftrans.numpy function is spelled differently
_UFUNC_ALIASES = {"true_divide": "divide", "conjugate": "conj"}


def _module_for(func):
    """``(ftrans module, dotted name)`` matching the NumPy module ``func`` lives in."""
    module = getattr(func, "__module__", "") or ""
    if module.startswith("numpy.linalg"):
        return fnp.linalg, "linalg."
    if module.startswith("numpy.fft"):
        return fnp.fft, "fft."
    if module == "numpy" or module.startswith("numpy._core") or module.startswith("numpy.lib"):
        return fnp, ""
    return None, ""


def _unsupported(tracer, what, hint):
    raise TracerArrayConversionError(
        f"numpy.{what} was called on a traced array {tracer.aval.str_short()} (inside "
        f"{tracer._trace.main.name}) at {format_frame(user_frame())}. {hint}"
    )


def _missing_hint(name):
    return (
        f"ftrans.numpy has no {name}, so this call cannot be traced; write it with other "
        "ftrans.numpy functions (import ftrans.numpy as fnp), or compute it outside the "
        "transformation."
    )


def array_ufunc(tracer, ufunc, method, inputs, kwargs):
    name = _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__)
    fn = getattr(fnp, name, None)
    shown = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
    if fn is None or fn is ufunc:
        _unsupported(tracer, shown, _missing_hint(ufunc.__name__))
    kwargs = dict(kwargs)
    if kwargs.pop("out", None) is not None:
        _unsupported(
            tracer,
            shown,
            "out= cannot write into a traced array (ftrans arrays are immutable); drop out= and "
            "use the returned value.",
        )
    if method == "__call__":
        dtype = kwargs.pop("dtype", None)
        if kwargs.pop("where", True) is not True:
            _unsupported(tracer, shown, "where= is not supported; use fnp.where on the result.")
        for key in ("casting", "order", "subok", "signature"):
            kwargs.pop(key, None)
        if kwargs:
            _unsupported(tracer, shown, f"unsupported keyword arguments {sorted(kwargs)}.")
        out = fn(*inputs)
        return fnp.astype(out, dtype) if dtype is not None else out
    target = getattr(fn, method, None)
    if target is None:
        _unsupported(
            tracer,
            shown,
            f"ftrans.numpy.{name} has no {method} method, so this call cannot be traced.",
        )
    return target(*inputs, **kwargs)


def array_function(tracer, func, args, kwargs):
    module, prefix = _module_for(func)
    name = func.__name__
    fn = getattr(module, name, None) if module is not None else None
    if fn is None or fn is func or not callable(fn):
        _unsupported(tracer, f"{prefix}{name}", _missing_hint(prefix + name))
    return fn(*args, **kwargs)
