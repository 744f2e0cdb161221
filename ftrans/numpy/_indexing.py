"""NumPy indexing on traced arrays (temporary: basic indexing only; replaced by the full version)."""

from __future__ import annotations

from ftrans.primitives import shape as sh


def getitem(x, index):
    if not isinstance(index, tuple):
        index = (index,)
    shape = x.shape
    starts, limits, strides, drop = [], [], [], []
    for d, (n, idx) in enumerate(zip(shape, index + (slice(None),) * (len(shape) - len(index)))):
        if isinstance(idx, int):
            i = idx % n
            starts.append(i)
            limits.append(i + 1)
            strides.append(1)
            drop.append(d)
        else:
            s, e, st = idx.indices(n)
            starts.append(s)
            limits.append(e)
            strides.append(st)
    out = sh.slice_(x, starts, limits, strides)
    return sh.squeeze(out, dimensions=tuple(drop)) if drop else out


class IndexUpdateHelper:
    def __init__(self, x):
        self.x = x
