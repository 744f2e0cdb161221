"""Loss functions: one loss per example (or per element), reduced by the caller.

Each takes predictions first and targets second, returns an array with the class / feature axis
reduced (cross-entropies) or nothing reduced (elementwise losses), and never evaluates
``log(0)`` or an overflowing ``exp``: the mean over a batch is left to the caller
(``loss(...).mean()``), so weighting and masking stay easy.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float, Integer

import ftrans.numpy as fnp
from ftrans.nn._activations import _floating, log_softmax, softplus
from ftrans.typing import Array, ArrayLike


def softmax_cross_entropy(
    logits: Float[Array, "*batch classes"], labels: Float[Array, "*batch classes"], axis: int = -1
) -> Float[Array, "*batch"]:
    """Cross-entropy ``-sum(labels * log_softmax(logits), axis)`` against a distribution.

    ``labels`` are probabilities over classes (one-hot or soft labels). Classes with label 0
    contribute nothing even when their logit is ``-inf`` (a masked class), and extreme logits
    stay finite.

    Args:
        logits: unnormalised log-probabilities, ``[..., num_classes]``.
        labels: target probabilities, same shape.
        axis: the class axis.

    Returns:
        The loss per example, ``logits.shape`` without ``axis``.

    Examples:
        >>> import numpy as np, ftrans.nn as nn
        >>> logits = np.array([[2.0, 0.0], [0.0, 1000.0]])
        >>> np.round(nn.softmax_cross_entropy(logits, np.eye(2)), 4).tolist()
        [0.1269, 0.0]
    """
    log_p = log_softmax(logits, axis=axis)
    labels = fnp.asarray(labels)
    # 0 * log p would be NaN where log p = -inf; such classes contribute nothing
    weighted = labels * fnp.where(labels != 0, log_p, 0.0)
    return -fnp.sum(weighted, axis=axis)


def softmax_cross_entropy_with_integer_labels(
    logits: Float[Array, "*batch classes"], labels: Integer[Array, "*batch"], axis: int = -1
) -> Float[Array, "*batch"]:
    """Cross-entropy ``-log_softmax(logits)[label]`` against integer class labels.

    Args:
        logits: unnormalised log-probabilities, ``[..., num_classes]``.
        labels: integer class indices, ``logits.shape`` without ``axis``.
        axis: the class axis.

    Returns:
        The loss per example, shaped like ``labels``.

    Examples:
        >>> import numpy as np, ftrans.nn as nn
        >>> logits = np.array([[2.0, 0.0], [0.0, 1000.0]])
        >>> np.round(nn.softmax_cross_entropy_with_integer_labels(logits, [0, 1]), 4).tolist()
        [0.1269, 0.0]
    """
    labels = fnp.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(
            "softmax_cross_entropy_with_integer_labels: labels must be integer class indices, "
            f"got dtype {labels.dtype}. For one-hot or probability labels use "
            "softmax_cross_entropy."
        )
    log_p = log_softmax(logits, axis=axis)
    class_axis = axis % fnp.ndim(log_p)
    expected = fnp.shape(log_p)[:class_axis] + fnp.shape(log_p)[class_axis + 1 :]
    if fnp.shape(labels) != expected:
        raise ValueError(
            "softmax_cross_entropy_with_integer_labels: labels must have the logits' shape "
            f"without the class axis, {expected}, got {fnp.shape(labels)}."
        )
    picked = fnp.take_along_axis(log_p, fnp.expand_dims(labels, axis), axis=axis)
    return -fnp.squeeze(picked, axis=axis)


def sigmoid_binary_cross_entropy(
    logits: Float[Array, "*shape"], labels: Float[Array, "*shape"]
) -> Float[Array, "*shape"]:
    """Elementwise binary cross-entropy of ``sigmoid(logits)`` against ``labels`` in [0, 1].

    Computed as ``softplus(logits) - labels * logits``, which equals
    ``-labels log sigmoid(x) - (1 - labels) log(1 - sigmoid(x))`` and stays finite for any
    finite logits.

    Examples:
        >>> import ftrans.nn as nn
        >>> loss = nn.sigmoid_binary_cross_entropy([0.0, 1000.0], [1.0, 0.0])
        >>> [round(v, 4) for v in loss.tolist()]
        [0.6931, 1000.0]
    """
    logits = _floating(logits)
    return softplus(logits) - fnp.asarray(labels) * logits


def squared_error(predictions: ArrayLike, targets: ArrayLike | None = None) -> Array:
    """Elementwise ``(predictions - targets)**2`` (``targets=None`` means zeros).

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.squared_error([1.0, 3.0], [0.0, 1.0]).tolist()
        [1.0, 4.0]
    """
    error = _floating(predictions)
    if targets is not None:
        error = error - fnp.asarray(targets)
    return error * error


def l2_loss(predictions: ArrayLike, targets: ArrayLike | None = None) -> Array:
    """Elementwise ``0.5 * (predictions - targets)**2`` (half the squared error).

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.l2_loss([1.0, 3.0], [0.0, 1.0]).tolist()
        [0.5, 2.0]
    """
    return 0.5 * squared_error(predictions, targets)


def mse(
    predictions: ArrayLike,
    targets: ArrayLike | None = None,
    axis: int | tuple[int, ...] = -1,
) -> Array:
    """Mean squared error over the feature ``axis``: one number per example.

    For predictions of shape ``(batch, features)`` this returns shape ``(batch,)``. Pass
    ``axis=()`` to keep every element (the same as [`squared_error`][ftrans.nn.squared_error]), or
    ``axis=None`` for the mean over everything.

    Examples:
        >>> import ftrans.nn as nn
        >>> nn.mse([[1.0, 3.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 0.0]]).tolist()
        [2.5, 0.0]
    """
    return fnp.mean(squared_error(predictions, targets), axis=axis)
