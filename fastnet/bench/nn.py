"""Cases of :mod:`fastnet.nn`: the activation and loss functions, and one epoch of MLP
training (against PyTorch and against the epoch's BLAS products alone)."""

from __future__ import annotations

import numpy as np

from ..nn import cross_entropy, kl_divergence, log_softmax, onehot, softmax, softplus, softplus_grad
from ..reference import nn as ref_nn
from .harness import Case

__all__ = ["CASES"]

# ---------------------------------------------------------------- activations
N_CLASSES = 10


def inputs_vector(size, dtype, rng):
    return ((rng.standard_normal(size) * 10).astype(dtype),)


def inputs_logits(size, dtype, rng):
    return ((rng.standard_normal((max(1, size // N_CLASSES), N_CLASSES)) * 5).astype(dtype),)


def inputs_targets_and_predictions(size, dtype, rng):
    (logits,) = inputs_logits(size, dtype, rng)
    labels = rng.integers(0, N_CLASSES, logits.shape[0])
    return ref_nn.onehot(labels, N_CLASSES, dtype), ref_nn.softmax(logits)


def inputs_labels_and_predictions(size, dtype, rng):
    (logits,) = inputs_logits(size, dtype, rng)
    return rng.integers(0, N_CLASSES, logits.shape[0]), ref_nn.softmax(logits)


def inputs_labels(size, dtype, rng):
    return rng.integers(0, N_CLASSES, max(1, size // N_CLASSES)), N_CLASSES, dtype


def peers_scipy_special(attr, **kwargs):
    """The peers of a case: ``scipy.special.<attr>`` called with ``kwargs``."""
    def peers():
        try:
            import scipy.special
        except ImportError:  # pragma: no cover - scipy is a dependency
            return {}
        func = getattr(scipy.special, attr)
        return {f"scipy.special.{attr}": lambda *args: func(*args, **kwargs)}

    return peers


#: log-probabilities near 0 have no relative precision: 4 ulps of 1 absolute
LOG_PROBABILITY_ATOL = {name: 4 * float(np.finfo(name).eps) for name in ("float64", "float32")}

ACTIVATION_CASES = [
    Case(name="softplus", fast=softplus, reference=ref_nn.softplus, make_inputs=inputs_vector),
    Case(name="softplus_grad", fast=softplus_grad, reference=ref_nn.softplus_grad,
         make_inputs=inputs_vector, peers=peers_scipy_special("expit")),
    Case(name="softmax", fast=softmax, reference=ref_nn.softmax, make_inputs=inputs_logits,
         peers=peers_scipy_special("softmax", axis=-1)),
    Case(name="log_softmax", fast=log_softmax, reference=ref_nn.log_softmax,
         make_inputs=inputs_logits, peers=peers_scipy_special("log_softmax", axis=-1),
         atol=LOG_PROBABILITY_ATOL),
    Case(name="kl_divergence", fast=kl_divergence, reference=ref_nn.kl_divergence,
         make_inputs=inputs_targets_and_predictions),
    Case(name="cross_entropy", fast=cross_entropy, reference=ref_nn.cross_entropy,
         make_inputs=inputs_labels_and_predictions),
    Case(name="onehot", fast=onehot, reference=ref_nn.onehot, make_inputs=inputs_labels),
]


# ---------------------------------------------------------------- MLP
#: The MLP study's network and SGD settings; one epoch over ``size`` rows.
MLP_SIZES, MLP_BATCH, MLP_LEARNING_RATE = (784, 200, 200, 200, 10), 128, 0.1


def inputs_mlp(size, dtype, rng):
    return rng.random((size, MLP_SIZES[0])).astype(dtype), rng.integers(0, MLP_SIZES[-1], size)


def _flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


def fast_mlp_epoch(keep_prob):
    """One epoch of :class:`fastnet.nn.MLP` from seed 0; returns the weights, flattened."""
    def fast(X, y):
        from ..nn import MLP

        net = MLP(MLP_SIZES, dtype=X.dtype, keep_prob=keep_prob, seed=0)
        net.fit(X, y, epochs=1, batch_size=MLP_BATCH, learning_rate=MLP_LEARNING_RATE)
        return _flat(net.coefs + net.intercepts)

    return fast


def twin_mlp_epoch(keep_prob):
    """The same epoch by :func:`fastnet.reference.nn.mlp_train`, from the same seeds."""
    def twin(X, y):
        from ..random import spawn_sequences

        init, train = (np.random.default_rng(s) for s in spawn_sequences(0, 2))
        coefs, intercepts = ref_nn.mlp_init(MLP_SIZES, init, dtype=X.dtype)
        ref_nn.mlp_train(coefs, intercepts, X, y, 1, MLP_BATCH, MLP_LEARNING_RATE,
                         keep_prob=keep_prob, rng=train)
        return _flat(coefs + intercepts)

    return twin


def peer_blas_floor(X, y):
    """The epoch's matrix products alone, the same gemm calls as ``MLP.fit`` makes."""
    from ..nn.products import blas_floor_epoch

    blas_floor_epoch(X, MLP_SIZES, MLP_BATCH)


def peer_torch_epoch(X, y):
    """The same epoch in PyTorch: 784-200-200-200-10 softplus MLP, softmax + cross-entropy
    (the KL of one-hot targets), SGD lr 0.1, batch 128, in X's dtype."""
    import torch

    torch.manual_seed(0)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    layers = []
    for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
        layers += [torch.nn.Linear(a, b, dtype=dtype), torch.nn.Softplus()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=MLP_LEARNING_RATE)
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y)
    for start in range(0, X.shape[0], MLP_BATCH):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs[start:start + MLP_BATCH]),
                                                 labels[start:start + MLP_BATCH])
        loss.backward()
        optimizer.step()


def baselines_mlp_epoch():
    baselines = {"BLAS floor": peer_blas_floor}
    try:
        import torch  # noqa: F401
    except ImportError:
        return baselines
    baselines["PyTorch CPU"] = peer_torch_epoch
    return baselines


#: Rounding differences of the sums pass through an epoch of SGD steps: a tolerance
#: relative to the largest weight, not to each one
MLP_RTOL = {"float64": 1e-10, "float32": 1e-3}

MLP_CASES = [
    Case(name="mlp_epoch", fast=fast_mlp_epoch(1.0), reference=twin_mlp_epoch(1.0),
         make_inputs=inputs_mlp, sizes=(1_000, 60_000), baselines=baselines_mlp_epoch,
         rtol=MLP_RTOL),
    Case(name="mlp_epoch_dropout", fast=fast_mlp_epoch(0.8), reference=twin_mlp_epoch(0.8),
         make_inputs=inputs_mlp, sizes=(1_000, 60_000), dtypes=("float64",),
         rtol={"float64": MLP_RTOL["float64"]}),
]

CASES = ACTIVATION_CASES + MLP_CASES
