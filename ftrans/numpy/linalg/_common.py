"""Argument checks shared by ``ftrans.numpy.linalg``: shapes, dtypes, and NumPy's errors with the
matrix shape added. Every check runs eagerly too, so a user sees the same message with or without
a transformation."""

from __future__ import annotations

import numpy as np

from ftrans import core
from ftrans.core import Tracer, shape_of
from ftrans.errors import ShapeError, format_frame, user_frame
from ftrans.numpy._util import cast, check_leaked, to_operand
from ftrans.primitives.linalg import linalg_error

LinAlgError = np.linalg.LinAlgError


def tracing() -> bool:
    return bool(core._stack)


def where() -> str:
    return format_frame(user_frame())


def operand(x):
    """Lists become arrays; scalars become 0-d arrays; a leaked tracer is reported."""
    x = to_operand(x)
    if type(x) in (float, int, bool, complex):
        x = np.asarray(x)
    if not tracing():
        check_leaked(x)
    return x


def matrix(fname: str, argname: str, x, *, square: bool = False, fix: str = ""):
    """``x`` as an operand, checked to be a (stack of) matrix, square if asked."""
    x = operand(x)
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(
            f"{fname}: {argname} must be a matrix or a stack of matrices (..., m, n), got shape "
            f"{shape} (at {where()}). For a single row write {argname}[None, :], for a column "
            f"{argname}[:, None]."
        )
    if square and shape[-1] != shape[-2]:
        raise ShapeError(
            f"{fname}: {argname} must be square in its last two dimensions (..., n, n), got "
            f"shape {shape} (at {where()})." + (f" {fix}" if fix else "")
        )
    return x


def float_operands(fname: str, *xs):
    """Under a transformation: the operands cast to one floating dtype, real or complex (ints ->
    float64), as numpy.linalg computes. float16 is refused with a message."""
    dtypes = [x.dtype for x in xs]
    for d in dtypes:
        if d == np.float16:
            raise TypeError(
                f"{fname}: float16 is not supported by LAPACK (at {where()}); cast to float32."
            )
    dtype = np.result_type(*dtypes, np.float32) if dtypes else np.dtype(np.float64)
    if any(not np.issubdtype(d, np.inexact) for d in dtypes):
        dtype = np.result_type(dtype, np.float64)
    return [cast(x, dtype) for x in xs]


def call_numpy(fname: str, fn, shape, *args, **kwargs):
    """``fn(*args)`` on NumPy, with LinAlgError messages naming the function and shape."""
    try:
        return fn(*args, **kwargs)
    except LinAlgError as err:
        raise linalg_error(fname, shape, err, where()) from None


def concrete_or_none(x):
    """The concrete value behind ``x`` if there is one (eager derivatives), else None."""
    if not isinstance(x, Tracer):
        return x
    try:
        return x.to_concrete("")
    except Exception:
        return None
