"""Shared helpers of ``ftrans.scipy.stats``: argument promotion and standardisation."""

from __future__ import annotations

import numpy as np

import ftrans.numpy as fnp
from ftrans.scipy.special import _promote


def promote(name, *args):
    """The arguments as arrays of one floating dtype (ints and bools become float64)."""
    return _promote(name, *args)


def standardize(x, loc, scale):
    return (x - loc) / scale


def is_integer(k):
    return fnp.floor(k) == k


NEG_INF = -np.inf
LOG_2PI = float(np.log(2 * np.pi))
