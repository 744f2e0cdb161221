"""``ftrans.optim.losses``: optax's loss functions, written on ``ftrans.numpy``.

Each loss returns one value per example (or per element) and leaves the reduction over the
batch to the caller (``loss(...).mean()``), as in optax. They are differentiable to any order
and run under ``jit`` and ``vmap``. The most used are also at the top of ``ftrans.optim``
(``optim.softmax_cross_entropy``, ``optim.l2_loss``, ...).

Where optax takes ``where=`` (a boolean mask of the elements to include), so do these.

Examples:
    >>> import numpy as np
    >>> from ftrans.optim import losses
    >>> logits = np.array([[2.0, 0.0, -1.0]])
    >>> np.round(losses.softmax_cross_entropy_with_integer_labels(logits, np.array([0])), 4)
    array([0.1698])
    >>> np.round(losses.huber_loss(np.array([0.5, 3.0])), 3)
    array([0.125, 2.5  ])
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

import ftrans.lax as lax
import ftrans.numpy as fnp
from ftrans.nn import log_sigmoid, log_softmax, one_hot

__all__ = [
    "convex_kl_divergence",
    "cosine_distance",
    "cosine_similarity",
    "ctc_loss",
    "ctc_loss_with_forward_probs",
    "generalized_kl_divergence",
    "hinge_loss",
    "huber_loss",
    "kl_divergence",
    "kl_divergence_with_log_targets",
    "l2_loss",
    "log_cosh",
    "multiclass_hinge_loss",
    "multiclass_perceptron_loss",
    "perceptron_loss",
    "poly_loss_cross_entropy",
    "safe_softmax_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "sigmoid_focal_loss",
    "smooth_labels",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_integer_labels",
    "sparsemax_loss",
    "squared_error",
]


# ----------------------------------------------------------------------------- checks


def _floating(name: str, argument: str, x: Any) -> Any:
    x = fnp.asarray(x)
    if not np.issubdtype(x.dtype, np.floating) and not np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(
            f"ftrans.optim.losses.{name}: {argument} must be a floating array, got dtype "
            f"{x.dtype}; convert it first, e.g. {argument}.astype(float)."
        )
    return x


def _same_shape(name: str, a: Any, b: Any, names: tuple[str, str]) -> None:
    if fnp.shape(a) != fnp.shape(b):
        raise ValueError(
            f"ftrans.optim.losses.{name}: {names[0]} has shape {fnp.shape(a)} but {names[1]} has "
            f"shape {fnp.shape(b)}; they must be equal."
        )


def _errors(name: str, predictions: Any, targets: Any) -> Any:
    predictions = _floating(name, "predictions", predictions)
    return predictions if targets is None else predictions - fnp.asarray(targets)


def _masked_sum(x: Any, axis: Any, where: Any, keepdims: bool = False) -> Any:
    if where is not None:
        x = fnp.where(fnp.broadcast_to(fnp.asarray(where), fnp.shape(x)), x, 0.0)
    return fnp.sum(x, axis=axis, keepdims=keepdims)


def _log_softmax(x: Any, axis: Any, where: Any) -> Any:
    """``log_softmax`` over ``axis`` counting only the entries where ``where`` (else ``-inf``)."""
    x = fnp.asarray(x)
    if where is None:
        peak = fnp.max(x, axis=axis, keepdims=True)
    else:
        where = fnp.broadcast_to(fnp.asarray(where), fnp.shape(x))
        peak = fnp.max(fnp.where(where, x, -np.inf), axis=axis, keepdims=True)
        peak = fnp.where(fnp.isfinite(peak), peak, 0.0)
    shifted = x - lax.stop_gradient(peak)
    total = _masked_sum(fnp.exp(shifted), axis, where, keepdims=True)
    out = shifted - fnp.log(total)
    return out if where is None else fnp.where(where, out, -np.inf)


def _expand_where(where: Any, logits: Any, axis: Any) -> Any:
    if where is None:
        return None
    where = fnp.asarray(where)
    if fnp.ndim(where) != fnp.ndim(logits):
        where = fnp.expand_dims(where, axis)
    return where


# ----------------------------------------------------------------------------- regression


def squared_error(predictions: Any, targets: Any | None = None) -> Any:
    """Elementwise ``(predictions - targets)**2`` (``targets=None``: zeros).

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> losses.squared_error(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
        array([1., 4.])
    """
    if targets is not None:
        _same_shape("squared_error", predictions, targets, ("predictions", "targets"))
    return _errors("squared_error", predictions, targets) ** 2


def l2_loss(predictions: Any, targets: Any | None = None) -> Any:
    """Elementwise ``0.5 * (predictions - targets)**2``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> losses.l2_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
        array([0.5, 2. ])
    """
    return 0.5 * squared_error(predictions, targets)


def huber_loss(predictions: Any, targets: Any | None = None, *, delta: float = 1.0) -> Any:
    """Elementwise Huber loss: quadratic for ``|e| <= delta``, linear beyond.

    ``0.5 * min(|e|, delta)**2 + delta * (|e| - min(|e|, delta))`` with
    ``e = predictions - targets``; its gradient is the L2 loss's clipped to
    ``[-delta, delta]``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> losses.huber_loss(np.array([0.5, -3.0]), delta=1.0)
        array([0.125, 2.5  ])
    """
    abs_errors = fnp.abs(_errors("huber_loss", predictions, targets))
    quadratic = fnp.minimum(abs_errors, delta)
    return 0.5 * quadratic**2 + delta * (abs_errors - quadratic)


def log_cosh(predictions: Any, targets: Any | None = None) -> Any:
    """Elementwise ``log(cosh(predictions - targets))``, computed without overflow.

    About ``e**2 / 2`` near zero and ``|e| - log 2`` far from it.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> np.round(losses.log_cosh(np.array([0.0, 1.0, 1000.0])), 4).tolist()
        [0.0, 0.4338, 999.3069]
    """
    errors = _errors("log_cosh", predictions, targets)
    return fnp.logaddexp(errors, -errors) - fnp.astype(np.log(2.0), errors.dtype)


def cosine_similarity(
    predictions: Any,
    targets: Any,
    *,
    epsilon: float = 0.0,
    axis: int | tuple[int, ...] | None = -1,
    where: Any = None,
) -> Any:
    """The cosine of the angle between ``predictions`` and ``targets`` along ``axis``.

    Each squared norm is clipped below at ``epsilon`` before its square root.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> a = np.array([[1.0, 0.0], [1.0, 1.0]])
        >>> np.round(losses.cosine_similarity(a, np.array([[1.0, 0.0], [1.0, 0.0]])), 4)
        array([1.    , 0.7071])
    """
    a = _floating("cosine_similarity", "predictions", predictions)
    b = _floating("cosine_similarity", "targets", targets)
    a_norm = fnp.sqrt(fnp.maximum(_masked_sum(a * a, axis, where, keepdims=True), epsilon))
    b_norm = fnp.sqrt(fnp.maximum(_masked_sum(b * b, axis, where, keepdims=True), epsilon))
    return _masked_sum((a / a_norm) * (b / b_norm), axis, where)


def cosine_distance(
    predictions: Any,
    targets: Any,
    *,
    epsilon: float = 0.0,
    axis: int | tuple[int, ...] | None = -1,
    where: Any = None,
) -> Any:
    """``1 - cosine_similarity(predictions, targets)``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> float(losses.cosine_distance(np.array([1.0, 0.0]), np.array([0.0, 2.0])))
        1.0
    """
    return 1.0 - cosine_similarity(predictions, targets, epsilon=epsilon, axis=axis, where=where)


# ----------------------------------------------------------------------------- classification


def sigmoid_binary_cross_entropy(logits: Any, labels: Any) -> Any:
    """Elementwise ``-y log sigmoid(x) - (1 - y) log(1 - sigmoid(x))`` for labels ``y`` in [0, 1].

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> np.round(losses.sigmoid_binary_cross_entropy(np.array([0.0, 2.0]), np.array([1, 0])), 4)
        array([0.6931, 2.1269])
    """
    logits = _floating("sigmoid_binary_cross_entropy", "logits", logits)
    labels = fnp.astype(fnp.asarray(labels), logits.dtype)
    return -labels * log_sigmoid(logits) - (1.0 - labels) * log_sigmoid(-logits)


def sigmoid_focal_loss(
    logits: Any, labels: Any, *, alpha: float | None = None, gamma: float = 2.0
) -> Any:
    """Focal loss (Lin et al., 2017): the binary cross-entropy times ``(1 - p_t)**gamma``.

    ``p_t`` is the predicted probability of the true label; ``alpha`` (if given) weighs the
    positives by ``alpha`` and the negatives by ``1 - alpha``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> loss = losses.sigmoid_focal_loss(np.array([0.0, 3.0]), np.array([1.0, 1.0]))
        >>> np.round(loss, 5).tolist()
        [0.17329, 0.00011]
    """
    logits = _floating("sigmoid_focal_loss", "logits", logits)
    labels = fnp.astype(fnp.asarray(labels), logits.dtype)
    cross_entropy = sigmoid_binary_cross_entropy(logits, labels)
    log_p, log_q = log_sigmoid(logits), log_sigmoid(-logits)
    # log(1 - p_t) = log((1 - y) p + y (1 - p)), as a weighted log-sum-exp of log p and log q
    peak = lax.stop_gradient(fnp.maximum(log_p, log_q))
    mixed = (1 - labels) * fnp.exp(log_p - peak) + labels * fnp.exp(log_q - peak)
    log_one_minus_p_t = fnp.log(mixed) + peak
    loss = cross_entropy * fnp.exp(gamma * log_one_minus_p_t)
    if alpha is None:
        return loss
    return (alpha * labels + (1.0 - alpha) * (1.0 - labels)) * loss


def hinge_loss(predictor_outputs: Any, targets: Any) -> Any:
    """Elementwise ``max(0, 1 - outputs * targets)`` for targets in ``{-1, 1}``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> losses.hinge_loss(np.array([0.5, 2.0, -1.0]), np.array([1.0, 1.0, 1.0]))
        array([0.5, 0. , 2. ])
    """
    return fnp.maximum(0, 1 - fnp.asarray(predictor_outputs) * fnp.asarray(targets))


def perceptron_loss(predictor_outputs: Any, targets: Any) -> Any:
    """Elementwise ``max(0, -outputs * targets)`` for targets in ``{-1, 1}``."""
    _same_shape("perceptron_loss", predictor_outputs, targets, ("predictor_outputs", "targets"))
    return fnp.maximum(0, -fnp.asarray(predictor_outputs) * fnp.asarray(targets))


def multiclass_hinge_loss(scores: Any, labels: Any) -> Any:
    """``max_k(scores_k + 1 - [k == label]) - scores_label`` per example."""
    scores = fnp.asarray(scores)
    hot = one_hot(labels, fnp.shape(scores)[-1], dtype=scores.dtype)
    return fnp.max(scores + 1.0 - hot, axis=-1) - fnp.sum(scores * hot, axis=-1)


def multiclass_perceptron_loss(scores: Any, labels: Any) -> Any:
    """``max_k scores_k - scores_label`` per example."""
    scores = fnp.asarray(scores)
    hot = one_hot(labels, fnp.shape(scores)[-1], dtype=scores.dtype)
    return fnp.max(scores, axis=-1) - fnp.sum(scores * hot, axis=-1)


def sparsemax_loss(logits: Any, labels: Any) -> Any:
    """Binary sparsemax loss: ``sparse_plus(-x if label else x)`` elementwise.

    ``sparse_plus(x)`` is 0 for ``x <= -1``, ``(x + 1)**2 / 4`` for ``|x| < 1`` and ``x``
    beyond.
    """
    x = fnp.asarray(logits)
    z = fnp.where(fnp.asarray(labels) != 0, -x, x)
    inside = (z + 1) ** 2 / 4
    return fnp.where(z <= -1, 0.0 * z, fnp.where(z >= 1, z, inside))


def softmax_cross_entropy(
    logits: Any, labels: Any, axis: int | tuple[int, ...] | None = -1, where: Any = None
) -> Any:
    """Cross-entropy ``-sum(labels * log_softmax(logits))`` over ``axis``.

    ``labels`` are probabilities (one-hot or soft). Entries with ``where`` False are left
    out of both the softmax and the sum; classes with label 0 contribute nothing even when
    their logit is ``-inf``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> logits = np.array([[2.0, 0.0], [0.0, 0.0]])
        >>> np.round(losses.softmax_cross_entropy(logits, np.array([[1.0, 0.0], [0.5, 0.5]])), 4)
        array([0.1269, 0.6931])
    """
    logits = _floating("softmax_cross_entropy", "logits", logits)
    where = _expand_where(where, logits, axis)
    log_probs = _log_softmax(logits, axis, where)
    labels = fnp.asarray(labels)
    terms = labels * fnp.where(labels != 0, log_probs, 0.0)
    return -_masked_sum(terms, axis, where)


def safe_softmax_cross_entropy(logits: Any, labels: Any) -> Any:
    """`softmax_cross_entropy` over the last axis that stays finite when a logit is ``-inf``.

    A class with label 0 contributes 0 (and no NaN gradient) however small its logit.
    """
    return softmax_cross_entropy(logits, labels, axis=-1)


def softmax_cross_entropy_with_integer_labels(
    logits: Any, labels: Any, axis: int | tuple[int, ...] = -1, where: Any = None
) -> Any:
    """Cross-entropy ``logsumexp(logits) - logits[label]`` against integer class labels.

    Args:
        logits: unnormalised log-probabilities, ``[..., num_classes]`` (or the class axes
            given by ``axis``).
        labels: integer class indices, ``logits.shape`` without the class axis.
        axis: the class axis, or a tuple of axes whose flattened product indexes the class.
        where: which classes to include in the normaliser.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> logits = np.array([[2.0, 0.0], [0.0, 1000.0]])
        >>> np.round(losses.softmax_cross_entropy_with_integer_labels(logits, np.array([0, 1])), 4)
        array([0.1269, 0.    ])
    """
    name = "softmax_cross_entropy_with_integer_labels"
    logits = _floating(name, "logits", logits)
    labels = fnp.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(
            f"ftrans.optim.losses.{name}: labels must be integer class indices, got dtype "
            f"{labels.dtype}. For one-hot or probability labels use softmax_cross_entropy."
        )
    where = _expand_where(where, logits, axis)
    ndim = fnp.ndim(logits)
    if isinstance(axis, tuple):
        class_axes = tuple(operator.index(a) % ndim for a in axis)
        batch_axes = tuple(a for a in range(ndim) if a not in class_axes)
        order = batch_axes + class_axes
        logits = fnp.transpose(logits, order)
        logits = fnp.reshape(logits, fnp.shape(logits)[: len(batch_axes)] + (-1,))
        if where is not None:
            where = fnp.transpose(fnp.broadcast_to(where, fnp.shape(where)), order)
            where = fnp.reshape(where, fnp.shape(where)[: len(batch_axes)] + (-1,))
        axis = len(batch_axes)
    elif isinstance(axis, (int, np.integer)):
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"ftrans.optim.losses.{name}: axis {axis} is out of bounds for logits of "
                f"rank {ndim}."
            )
        axis = int(axis) % ndim
    else:
        raise TypeError(
            f"ftrans.optim.losses.{name}: axis must be an int or a tuple of ints, got a "
            f"{type(axis).__name__}."
        )
    expected = fnp.shape(logits)[:axis] + fnp.shape(logits)[axis + 1 :]
    if fnp.shape(labels) != expected:
        raise ValueError(
            f"ftrans.optim.losses.{name}: labels must have the logits' shape without the class "
            f"axis, {expected}, got {fnp.shape(labels)}."
        )
    picked = fnp.take_along_axis(logits, fnp.expand_dims(labels, axis), axis=axis)
    label_logits = fnp.squeeze(picked, axis=axis)
    masked = logits if where is None else fnp.where(where, logits, -np.inf)
    peak = lax.stop_gradient(fnp.max(masked, axis=axis, keepdims=True))
    if where is not None:
        peak = fnp.where(fnp.isfinite(peak), peak, 0.0)
    total = _masked_sum(fnp.exp(logits - peak), axis, where, keepdims=True)
    log_normalizers = fnp.squeeze(fnp.log(total) + peak, axis=axis)
    out = log_normalizers - label_logits
    if where is not None:
        out = fnp.where(fnp.any(where, axis=axis), out, 0.0)
    return out


def poly_loss_cross_entropy(
    logits: Any,
    labels: Any,
    *,
    epsilon: float = 2.0,
    axis: int | tuple[int, ...] | None = -1,
    where: Any = None,
) -> Any:
    """PolyLoss (Leng et al., 2022): cross-entropy plus ``epsilon * (1 - p_t)``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> logits, labels = np.array([[2.0, 0.0]]), np.array([[1.0, 0.0]])
        >>> np.round(losses.poly_loss_cross_entropy(logits, labels), 4)
        array([0.3653])
    """
    logits = _floating("poly_loss_cross_entropy", "logits", logits)
    labels = _floating("poly_loss_cross_entropy", "labels", labels)
    w = _expand_where(where, logits, axis)
    p = fnp.exp(_log_softmax(logits, axis, w))
    one_minus_pt = _masked_sum(labels * (1 - p), axis, w)
    return softmax_cross_entropy(logits, labels, axis=axis, where=where) + epsilon * one_minus_pt


def kl_divergence(
    log_predictions: Any, targets: Any, axis: int | tuple[int, ...] | None = -1, where: Any = None
) -> Any:
    """``sum(targets * (log(targets) - log_predictions))``: KL(targets || predictions).

    ``0 * log 0`` counts as 0.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> p = np.array([0.5, 0.5])
        >>> round(float(losses.kl_divergence(np.log(np.array([0.25, 0.75])), p)), 6)
        0.143841
    """
    log_predictions = _floating("kl_divergence", "log_predictions", log_predictions)
    targets = _floating("kl_divergence", "targets", targets)
    safe = fnp.where(targets == 0, 1.0, targets)
    loss = targets * (fnp.where(targets == 0, 0.0, fnp.log(safe)) - log_predictions)
    return _masked_sum(loss, axis, where)


def kl_divergence_with_log_targets(
    log_predictions: Any,
    log_targets: Any,
    axis: int | tuple[int, ...] | None = -1,
    where: Any = None,
) -> Any:
    """KL divergence with the targets given as log-probabilities."""
    log_predictions = _floating(
        "kl_divergence_with_log_targets", "log_predictions", log_predictions
    )
    log_targets = _floating("kl_divergence_with_log_targets", "log_targets", log_targets)
    return _masked_sum(fnp.exp(log_targets) * (log_targets - log_predictions), axis, where)


def generalized_kl_divergence(
    log_predictions: Any, targets: Any, axis: int | tuple[int, ...] | None = -1, where: Any = None
) -> Any:
    """KL divergence plus ``sum(exp(log_predictions) - targets)``: convex for unnormalised inputs.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> ones = np.array([1.0, 1.0])
        >>> float(losses.generalized_kl_divergence(np.log(ones), ones))
        0.0
    """
    kl = kl_divergence(log_predictions, targets, axis=axis, where=where)
    mass = _masked_sum(fnp.exp(fnp.asarray(log_predictions)) - fnp.asarray(targets), axis, where)
    return kl + mass


def convex_kl_divergence(
    log_predictions: Any, targets: Any, axis: int | tuple[int, ...] | None = -1, where: Any = None
) -> Any:
    """Optax's older name of `generalized_kl_divergence`."""
    return generalized_kl_divergence(log_predictions, targets, axis=axis, where=where)


def smooth_labels(labels: Any, alpha: float) -> Any:
    """Label smoothing: ``(1 - alpha) * labels + alpha / num_classes``.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> losses.smooth_labels(np.array([[0.0, 1.0]]), alpha=0.2)
        array([[0.1, 0.9]])
    """
    labels = _floating("smooth_labels", "labels", labels)
    return (1.0 - alpha) * labels + alpha / fnp.shape(labels)[-1]


# ----------------------------------------------------------------------------- CTC


def ctc_loss_with_forward_probs(
    logits: Any,
    logit_paddings: Any,
    labels: Any,
    label_paddings: Any,
    *,
    blank_id: int = 0,
    log_epsilon: float = -1e5,
) -> tuple[Any, Any, Any]:
    """Connectionist temporal classification loss and its forward variables (Graves et al., 2006).

    Args:
        logits: ``[batch, time, classes]`` unnormalised log-probabilities.
        logit_paddings: ``[batch, time]``, 1.0 on padded frames.
        labels: ``[batch, max_label_length]`` integer label sequences.
        label_paddings: ``[batch, max_label_length]``, 1.0 on padded labels.
        blank_id: the class used as the blank.
        log_epsilon: the log-probability standing for "impossible".

    Returns:
        ``(per_sequence_loss [batch], logalpha_phi [time, batch, N + 1],
        logalpha_emit [time, batch, N])``: the negative log-likelihood per sequence, and the
        forward log-probabilities of being in a blank / a label state.
    """
    logits = fnp.asarray(logits)
    labels, label_paddings = fnp.asarray(labels), fnp.asarray(label_paddings)
    logit_paddings = fnp.asarray(logit_paddings)
    if fnp.ndim(logits) != 3 or fnp.ndim(labels) != 2:
        raise ValueError(
            "ftrans.optim.losses.ctc_loss: logits must be [batch, time, classes] and labels "
            f"[batch, max_label_length], got shapes {fnp.shape(logits)} and {fnp.shape(labels)}."
        )
    _same_shape("ctc_loss", labels, label_paddings, ("labels", "label_paddings"))
    _same_shape("ctc_loss", logits[..., 0], logit_paddings, ("logits[..., 0]", "logit_paddings"))
    batch, _, num_classes = fnp.shape(logits)
    if fnp.shape(labels)[0] != batch:
        raise ValueError(
            f"ftrans.optim.losses.ctc_loss: labels have batch size {fnp.shape(labels)[0]}, the "
            f"logits {batch}."
        )
    max_label = fnp.shape(labels)[1]
    dtype = logits.dtype
    logprobs = log_softmax(logits, axis=-1)
    label_lengths = max_label - fnp.astype(fnp.sum(label_paddings, axis=1), np.int32)
    repeat = fnp.astype(labels[:, :-1] == labels[:, 1:], dtype)
    repeat = fnp.concatenate([repeat, fnp.zeros((batch, 1), dtype)], axis=1)
    logprobs_phi = fnp.transpose(logprobs[:, :, blank_id : blank_id + 1], (1, 0, 2))
    hot = one_hot(labels, num_classes, dtype=dtype)
    logprobs_emit = fnp.transpose(fnp.einsum("btk,bnk->btn", logprobs, hot), (1, 0, 2))
    phi0 = fnp.concatenate(
        [fnp.zeros((batch, 1), dtype), fnp.full((batch, max_label), log_epsilon, dtype)], axis=1
    )
    emit0 = fnp.full((batch, max_label), log_epsilon, dtype)

    def add_to_phi(phi: Any, score: Any) -> Any:
        return fnp.concatenate([phi[:, :1], fnp.logaddexp(phi[:, 1:], score)], axis=-1)

    def step(carry: Any, x: Any) -> Any:
        prev_phi, prev_emit = carry
        logprob_emit, logprob_phi, pad = x
        phi = add_to_phi(prev_phi, prev_emit + log_epsilon * repeat)
        next_emit = fnp.logaddexp(phi[:, :-1] + logprob_emit, prev_emit + logprob_emit)
        next_phi = add_to_phi(
            phi + logprob_phi, prev_emit + logprob_phi + log_epsilon * (1 - repeat)
        )
        pad = fnp.reshape(pad, (batch, 1))
        next_emit = pad * prev_emit + (1.0 - pad) * next_emit
        next_phi = pad * prev_phi + (1.0 - pad) * next_phi
        return (next_phi, next_emit), (next_phi, next_emit)

    xs = (logprobs_emit, logprobs_phi, fnp.astype(fnp.transpose(logit_paddings), dtype))
    _, (logalpha_phi, logalpha_emit) = lax.scan(step, (phi0, emit0), xs)
    last_phi = add_to_phi(logalpha_phi[-1], logalpha_emit[-1])
    logalpha_phi = fnp.concatenate([logalpha_phi[:-1], last_phi[None]], axis=0)
    pick = one_hot(label_lengths, max_label + 1, dtype=dtype)
    per_sequence = -fnp.sum(last_phi * pick, axis=-1)
    return per_sequence, logalpha_phi, logalpha_emit


def ctc_loss(
    logits: Any,
    logit_paddings: Any,
    labels: Any,
    label_paddings: Any,
    *,
    blank_id: int = 0,
    log_epsilon: float = -1e5,
) -> Any:
    """The CTC loss per sequence; see `ctc_loss_with_forward_probs` for the arguments.

    Examples:
        >>> import numpy as np
        >>> from ftrans.optim import losses
        >>> logits = np.zeros((1, 3, 3))  # uniform over {blank, a, b} for 3 frames
        >>> labels = np.array([[1, 2]])
        >>> loss = losses.ctc_loss(logits, np.zeros((1, 3)), labels, np.zeros((1, 2)))
        >>> np.round(loss, 4)  # -log(5 alignments / 27)
        array([1.6864])
    """
    loss, _, _ = ctc_loss_with_forward_probs(
        logits, logit_paddings, labels, label_paddings, blank_id=blank_id, log_epsilon=log_epsilon
    )
    return loss
