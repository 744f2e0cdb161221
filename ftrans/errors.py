"""Exception classes of ftrans and the helper that finds the user's line for messages."""

from __future__ import annotations

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class FtransError(Exception):
    """Base class of every error ftrans raises on purpose."""


class ConcretizationError(FtransError, TypeError):
    """A traced value was used where a concrete Python value is needed (``if``, ``int()``...)."""


class TracerLeakError(FtransError):
    """A tracer escaped the transformation that created it and was used afterwards."""


class TracerArrayConversionError(FtransError, TypeError):
    """A tracer was passed to raw NumPy, which cannot see through it."""


class ShapeError(FtransError, ValueError):
    """Array shapes do not fit an operation."""


class UnsupportedError(FtransError, NotImplementedError):
    """A transformation asked a primitive for a rule it does not have."""


def user_frame():
    """Return ``(filename, lineno, function)`` of the innermost frame outside ftrans, or None."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return filename, frame.f_lineno, frame.f_code.co_name
        frame = frame.f_back
    return None


def format_frame(info) -> str:
    """Render a `user_frame` triple as ``file:line (in function)``."""
    if info is None:
        return "<unknown location>"
    filename, lineno, function = info
    return f"{filename}:{lineno} (in {function})"
