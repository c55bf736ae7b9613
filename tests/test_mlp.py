import re
import warnings

import numpy as np
import pytest
from conftest import RTOL, assert_twin, labelled_data, output_with_threads
from numpy.testing import assert_allclose, assert_array_equal

from fastnet.nn import mlp
from fastnet.nn.mlp import MLP, DivergenceError
from fastnet.random import as_seed_sequence, spawn_sequences
from fastnet.reference import nn as ref


def _twin_rngs(seed):
    """The generators of the spec: weights from child 0 of the seed, masks and shuffles
    from child 1."""
    init_seq, train_seq = spawn_sequences(as_seed_sequence(seed), 2)
    return np.random.default_rng(init_seq), np.random.default_rng(train_seq)


def _params(net):
    return [p.copy() for p in net.coefs + net.intercepts]


def _twin_forward(coefs, intercepts, X, layer):
    """Post-activations of ``layer`` by the twin's own building blocks."""
    h = X
    for k in range(layer + 1):
        a = ref.dense(h, coefs[k], intercepts[k])
        h = ref.softmax(a) if k == len(coefs) - 1 else ref.softplus(a)
    return h


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("keep_prob", [1.0, 0.7])
def test_gradients_equal_finite_differences(rng, keep_prob):
    sizes, n, seed, lr = (5, 4, 3, 3), 12, 7, 0.5
    X = rng.standard_normal((n, 5))
    y = np.arange(n) % 3
    net = MLP(sizes, keep_prob=keep_prob, seed=seed)
    before = _params(net)
    history = net.fit(X, y, epochs=1, batch_size=n, learning_rate=lr)
    # one full-batch SGD step: W_after = W_before - lr * dL/dW
    fast_grads = [(b - a) / lr for b, a in zip(before, net.coefs + net.intercepts, strict=True)]

    _, masks_rng = _twin_rngs(seed)
    masks = [masks_rng.random((n, w)) < keep_prob for w in sizes[1:-1]]
    target = ref.onehot(y, 3)

    def loss(params):
        coefs, intercepts = params[:3], params[3:]
        h = X
        for W, b, mask in zip(coefs[:-1], intercepts[:-1], masks, strict=True):
            h = ref.softplus(ref.dense(h, W, b)) * mask / keep_prob
        q = ref.softmax(ref.dense(h, coefs[-1], intercepts[-1]))
        return np.mean(ref.kl_divergence(target, q))

    assert_allclose(history.train_loss[0], loss(before), rtol=1e-12)
    eps = 1e-6
    for p, fast in zip(before, fast_grads, strict=True):
        numeric = np.empty_like(p)
        for i in np.ndindex(p.shape):
            original = p[i]
            p[i] = original + eps
            up = loss(before)
            p[i] = original - eps
            down = loss(before)
            p[i] = original
            numeric[i] = (up - down) / (2 * eps)
        assert_allclose(fast, numeric, rtol=1e-5, atol=1e-9)
    assert max(np.abs(g).max() for g in fast_grads) > 1e-3  # not a trivially zero step
    if keep_prob < 1:  # some units are dropped, so the masks matter
        assert any(not m.all() for m in masks)


# ---------------------------------------------------------------- fast == twin
@pytest.mark.no_jit
@pytest.mark.parametrize("sizes", [(6, 7, 5, 3), (6, 3)])
@pytest.mark.parametrize("keep_prob", [1.0, 0.8])
@pytest.mark.parametrize("shuffle", [False, True])
def test_training_matches_twin(rng, dtype, sizes, keep_prob, shuffle):
    X, y = labelled_data(rng, dtype=dtype)
    seed, batch_size, lr, epochs = 3, 16, 0.3, 2  # 50 rows: the last batch has 2
    net = MLP(sizes, dtype=dtype, keep_prob=keep_prob, seed=seed, shuffle=shuffle)
    coefs = [W.copy() for W in net.coefs]
    intercepts = [b.copy() for b in net.intercepts]
    history = net.fit(X, y, epochs=epochs, batch_size=batch_size, learning_rate=lr)
    _, train_rng = _twin_rngs(seed)
    expected = ref.mlp_train(coefs, intercepts, X, y, epochs, batch_size, lr,
                             keep_prob=keep_prob, shuffle=shuffle, rng=train_rng)
    if dtype == np.float64:
        rtol, atol = 1e-10, 1e-13
    else:
        # float32: the kernels compute softplus as max(a, 0) + log1p(exp(-|a|)), sums in
        # another order and the softmax in float64, the twin uses logaddexp and float32
        # throughout; these few-ulp differences pass through 8 SGD steps, each a product
        # of float32 sums (over 20 data sets: at most 3e-7 apart, a few ulps of the O(1)
        # weights), so 1e-4 relative plus 1e-6 absolute, not the 2e-5 of one kernel
        rtol, atol = 1e-4, 1e-6
    for fast, twin in zip(net.coefs + net.intercepts, coefs + intercepts, strict=True):
        assert fast.dtype == dtype
        assert_allclose(fast, twin, rtol=rtol, atol=atol)
    assert list(history.columns) == ["epoch", "train_loss", "train_accuracy"]
    assert_array_equal(history.epoch, [1, 2])
    assert_allclose(history.train_loss, [loss for loss, _ in expected], rtol=RTOL[dtype])
    assert_array_equal(history.train_accuracy, [acc for _, acc in expected])
    assert net.epochs_trained == epochs


@pytest.mark.parametrize("sizes", [(6, 7, 5, 3), (6, 3)])
def test_prediction_matches_twin_forward_pass(rng, dtype, sizes, monkeypatch):
    X, y = labelled_data(rng, dtype=dtype)
    net = MLP(sizes, dtype=dtype, seed=1)
    net.fit(X, y, epochs=2, batch_size=8, learning_rate=0.3)
    monkeypatch.setattr(mlp, "PREDICT_CHUNK_ROWS", 7)  # 50 rows: 8 chunks, the last of 1
    out = len(sizes) - 2
    for layer in range(out + 1):
        expected = _twin_forward(net.coefs, net.intercepts, X, layer)
        got = net.activations(X, layer)
        assert got.dtype == dtype and got.shape == (50, net.layer_sizes[layer + 1])
        assert_twin(got, expected, dtype)
    proba = net.predict_proba(X)
    assert_twin(proba, ref.mlp_predict_proba(net.coefs, net.intercepts, X), dtype)
    assert_array_equal(proba, net.activations(X, out))
    assert_array_equal(net.predict(X), np.argmax(proba, axis=1))
    loss, accuracy = net.evaluate(X, y)
    assert_allclose(loss, np.mean(ref.kl_divergence(ref.onehot(y, 3), proba)),
                    rtol=RTOL[np.dtype(dtype)])
    assert accuracy == np.mean(np.argmax(proba, axis=1) == y)


@pytest.mark.parametrize("bias_init, bias", [("ones", 1.0), ("zeros", 0.0)])
def test_initial_weights_match_twin(dtype, bias_init, bias):
    sizes = (6, 7, 5, 3)
    for seed in (0, 11):
        net = MLP(sizes, dtype=dtype, seed=seed, bias_init=bias_init)
        init_rng, _ = _twin_rngs(seed)
        coefs, intercepts = ref.mlp_init(sizes, init_rng, bias=bias, dtype=dtype)
        for fast, twin in zip(net.coefs + net.intercepts, coefs + intercepts, strict=True):
            assert fast.dtype == dtype
            assert_array_equal(fast, twin)
        same = MLP(sizes, dtype=dtype, seed=np.random.SeedSequence(seed), bias_init=bias_init)
        for a, b in zip(net.coefs, same.coefs, strict=True):
            assert_array_equal(a, b)
        assert [W.shape for W in net.coefs] == [(6, 7), (7, 5), (5, 3)]
        assert net.epochs_trained == 0


def test_fit_continues_from_current_state(rng):
    """Two fits of 2 and 3 epochs == one of 5: weights, and masks and shuffles
    drawn from the same carried-over generator; epochs keep counting."""
    X, y = labelled_data(rng)
    kwargs = dict(keep_prob=0.8, seed=5, shuffle=True)
    once, twice = MLP((6, 7, 3), **kwargs), MLP((6, 7, 3), **kwargs)
    whole = once.fit(X, y, epochs=5, batch_size=16, learning_rate=0.3)
    twice.fit(X, y, epochs=2, batch_size=16, learning_rate=0.3)
    rest = twice.fit(X, y, epochs=3, batch_size=16, learning_rate=0.3)
    assert_array_equal(rest.epoch, [3, 4, 5])
    assert_array_equal(rest.train_loss, whole.train_loss[2:])
    for a, b in zip(once.coefs + once.intercepts, twice.coefs + twice.intercepts, strict=True):
        assert_array_equal(a, b)
    assert twice.epochs_trained == 5


def test_batch_size_larger_than_the_data_is_clipped(rng):
    X, y = labelled_data(rng)
    nets = [MLP((6, 4, 3), seed=2) for _ in range(2)]
    nets[0].fit(X, y, epochs=2, batch_size=50, learning_rate=0.3)
    nets[1].fit(X, y, epochs=2, batch_size=1000, learning_rate=0.3)
    for a, b in zip(nets[0].coefs, nets[1].coefs, strict=True):
        assert_array_equal(a, b)


# ---------------------------------------------------------------- validation data
def test_validation_history_matches_evaluate_and_twin(rng, monkeypatch):
    X, y = labelled_data(rng)
    X_val, y_val = labelled_data(rng, n=23)
    seed, epochs = 4, 3
    net = MLP((6, 7, 5, 3), keep_prob=0.8, seed=seed, shuffle=True)
    coefs = [W.copy() for W in net.coefs]
    intercepts = [b.copy() for b in net.intercepts]
    monkeypatch.setattr(mlp, "PREDICT_CHUNK_ROWS", 5)  # chunked evaluation
    history = net.fit(X, y, epochs=epochs, batch_size=16, learning_rate=0.3,
                      X_val=X_val, y_val=y_val)
    assert list(history.columns) == ["epoch", "train_loss", "train_accuracy", "val_loss",
                                     "val_accuracy"]
    last = history.iloc[-1]
    assert (last.val_loss, last.val_accuracy) == net.evaluate(X_val, y_val)
    _, train_rng = _twin_rngs(seed)
    target = ref.onehot(y_val, 3)
    for epoch in range(epochs):
        ref.mlp_train(coefs, intercepts, X, y, 1, 16, 0.3, keep_prob=0.8, shuffle=True,
                      rng=train_rng)
        q = ref.mlp_predict_proba(coefs, intercepts, X_val)  # no dropout
        assert_twin(history.val_loss[epoch], np.mean(ref.kl_divergence(target, q)))
        assert history.val_accuracy[epoch] == np.mean(np.argmax(q, axis=1) == y_val)


# ---------------------------------------------------------------- bad input
def test_bad_input_mlp(rng):
    X, y = labelled_data(rng, n=20, m=4)
    net = MLP((4, 5, 3), seed=0)
    with pytest.raises(ValueError, match="X must contain only finite values"):
        net.fit(np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="X must contain only finite values"):
        net.fit(np.where(X > 1, np.inf, X), y)
    with pytest.raises(ValueError, match=r"y must have 20 entries \(one per row\); got 19"):
        net.fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"y must hold labels in \[0, 3\)"):
        net.fit(X, np.where(y == 2, 3, y))
    with pytest.raises(ValueError, match="y must hold labels >= 0"):
        net.fit(X, y - 1)
    for keep_prob in (0, 0.0, 1.5, -1):
        with pytest.raises(ValueError, match=r"keep_prob must be in \(0, 1\]"):
            MLP((4, 5, 3), keep_prob=keep_prob)
    with pytest.raises(TypeError, match="keep_prob must be a number"):
        MLP((4, 5, 3), keep_prob="0.5")
    for batch_size in (0, -1):
        with pytest.raises(ValueError, match="batch_size must be >= 1"):
            net.fit(X, y, batch_size=batch_size)
    for lr in (0, -0.1, np.nan):
        with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
            net.fit(X, y, learning_rate=lr)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        net.fit(X, y, epochs=0)
    assert net.epochs_trained == 0
    for method in (net.predict, net.predict_proba, lambda X: net.activations(X, 0)):
        with pytest.raises(ValueError, match="X must have 4 features"):
            method(X[:, :3])
    with pytest.raises(ValueError, match="X must have 4 features"):
        net.evaluate(X[:, :3], y)
    for layer in (2, -1):
        with pytest.raises(ValueError, match="layer must be"):
            net.activations(X, layer)
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        MLP((4, 5, 3), dtype="int32")
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        MLP((4, 5, 3), dtype="no such type")
    with pytest.raises(ValueError, match="layer_sizes needs at least the input and output"):
        MLP((4,))
    with pytest.raises(ValueError, match="layer_sizes entries must be >= 1"):
        MLP((4, 0, 3))
    with pytest.raises(TypeError, match="layer_sizes must be a sequence of ints"):
        MLP(4)
    with pytest.raises(ValueError, match="output layer needs at least 2 classes"):
        MLP((4, 5, 1))
    with pytest.raises(ValueError, match="bias_init must be 'ones' or 'zeros'"):
        MLP((4, 5, 3), bias_init="random")
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        net.fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        net.fit(X, y, y_val=y)
    with pytest.raises(ValueError, match="X_val must have 4 features"):
        net.fit(X, y, X_val=X[:, :3], y_val=y)
    with pytest.raises(ValueError, match="y_val must have 20 entries"):
        net.fit(X, y, X_val=X, y_val=y[:-1])
    assert net.epochs_trained == 0


# ---------------------------------------------------------------- divergence
# (keep_prob, shuffle, seed, what became NaN or infinite first): both checks of an epoch
@pytest.mark.parametrize("keep_prob, shuffle, seed, what", [(1.0, False, 0, "the loss"),
                                                           (0.8, True, 2, "the loss"),
                                                           (0.9, True, 2, "the weights")])
def test_divergence_restores_the_last_good_weights(keep_prob, shuffle, seed, what):
    # data centred at 100 (as in scikit-learn's check_n_features_in) and a learning rate
    # of 1: the weights blow up after a few epochs
    gen = np.random.default_rng(0)
    X = gen.normal(loc=100, size=(150, 2))
    y = gen.integers(0, 2, 150)
    sizes, kwargs = (2, 64, 64, 64, 2), dict(keep_prob=keep_prob, seed=seed, shuffle=shuffle)
    net = MLP(sizes, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way
        with pytest.raises(DivergenceError, match="try a lower learning_rate") as info:
            net.fit(X, y, epochs=40, batch_size=128, learning_rate=1.0)
    message = str(info.value)
    failed = int(re.search(r"diverged in epoch (\d+)", message).group(1))
    assert f"{what} became NaN or infinite" in message
    assert failed >= 2  # so that there are trained weights to keep
    assert net.epochs_trained == failed - 1
    assert all(np.isfinite(p).all() for p in net.coefs + net.intercepts)
    good = MLP(sizes, **kwargs)
    good.fit(X, y, epochs=failed - 1, batch_size=128, learning_rate=1.0)
    for a, b in zip(net.coefs + net.intercepts, good.coefs + good.intercepts, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1000.0), (np.float32, 100.0)])
def test_divergence_in_a_later_fit_call(rng, dtype, scale):
    X, y = labelled_data(rng, n=200, m=20)
    sizes = (20, 32, 32, 32, 3)
    net, good = MLP(sizes, dtype=dtype, seed=0), MLP(sizes, dtype=dtype, seed=0)
    net.fit(X, y, epochs=2, batch_size=16, learning_rate=0.1)
    good.fit(X, y, epochs=2, batch_size=16, learning_rate=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DivergenceError, match=r"diverged in epoch 3\b.*lower learning_rate"):
            net.fit(X * scale, y, epochs=3, batch_size=16, learning_rate=50)
    assert net.epochs_trained == 2
    for a, b in zip(net.coefs + net.intercepts, good.coefs + good.intercepts, strict=True):
        assert np.isfinite(a).all()
        assert_array_equal(a, b)


# ---------------------------------------------------------------- threads, memory
def test_identical_for_any_number_of_threads():
    code = """
        import numpy as np
        from fastnet.nn import MLP
        gen = np.random.default_rng(0)
        X = gen.standard_normal((300, 20))
        y = gen.integers(0, 4, 300)
        net = MLP((20, 32, 16, 4), keep_prob=0.8, shuffle=True, seed=9)
        history = net.fit(X, y, epochs=2, batch_size=32, learning_rate=0.2)
        print(repr(history.values.tolist()))
        print(repr([float((p * np.arange(1, p.size + 1).reshape(p.shape)).sum())
                    for p in net.coefs + net.intercepts]))
    """
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


def test_fit_memory_is_bounded_and_independent_of_epochs(rng):
    """Peak extra memory of fit: the validation forward pass, a few batch-sized buffers
    and two parameter-sized ones; never an n-row temporary (X is 31 MB, the bound 4 MB,
    of which the validation chunk is 1.6 MB), and nothing that grows per epoch."""
    import tracemalloc

    n, n_val, batch_size = 5000, 1000, 128
    sizes = (784, 64, 64, 10)
    X, y = rng.random((n, 784)), rng.integers(0, 10, n)
    X_val, y_val = rng.random((n_val, 784)), rng.integers(0, 10, n_val)
    kwargs = dict(keep_prob=0.8, shuffle=True, seed=0)  # every training buffer in use

    def fit(net, epochs, rows=n):
        net.fit(X[:rows], y[:rows], epochs=epochs, batch_size=batch_size,
                X_val=X_val[:rows], y_val=y_val[:rows])

    fit(MLP(sizes, **kwargs), 1, rows=300)  # compile outside the measurement
    peaks = []
    for epochs in (1, 4):
        net = MLP(sizes, **kwargs)  # the parameters themselves are not extra memory
        tracemalloc.start()
        fit(net, epochs)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    widths = sizes[1:]
    params = sum(8 * (a * b + b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    # snapshot of the parameters for DivergenceError + a gradient buffer of the largest W
    bound = 2 * params
    # per batch: a copied (shuffled) input batch and, per layer, pre-activations,
    # post-activations, a scratch and dropout uniforms
    bound += 8 * batch_size * (sizes[0] + 4 * sum(widths))
    bound += 8 * n  # the epoch's permutation
    # validation (one chunk of <= 4096 rows): every layer's output plus a scratch
    bound += 8 * min(n_val, mlp.PREDICT_CHUNK_ROWS) * (sum(widths) + max(widths))
    bound += 100_000  # Python objects, the history DataFrame
    assert peaks[1] < bound, (peaks, bound)
    assert abs(peaks[1] - peaks[0]) < 0.02 * peaks[0], peaks


# ---------------------------------------------------------------- float32
def test_float32_model(rng):
    X, y = labelled_data(rng)  # float64 input
    net = MLP((6, 7, 5, 3), dtype=np.float32, keep_prob=0.9, shuffle=True, seed=0)
    history = net.fit(X, y, epochs=2, batch_size=16, learning_rate=0.3,
                      X_val=X[:20], y_val=y[:20])
    assert all(p.dtype == np.float32 for p in net.coefs + net.intercepts)
    assert np.isfinite(history.values).all()
    proba = net.predict_proba(X)
    assert proba.dtype == np.float32
    expected = ref.mlp_predict_proba(net.coefs, net.intercepts, X.astype(np.float32))
    assert expected.dtype == np.float32
    assert_twin(proba, expected, np.float32)
    # same seed in float64: the same computation, to float32 precision
    twin64 = MLP((6, 7, 5, 3), keep_prob=0.9, shuffle=True, seed=0)
    twin64.fit(X, y, epochs=2, batch_size=16, learning_rate=0.3)
    assert_allclose(proba, twin64.predict_proba(X), rtol=1e-4, atol=1e-6)


def test_progress_lines(rng, capsys):
    X, y = labelled_data(rng)
    MLP((6, 4, 3), seed=0).fit(X, y, epochs=5, batch_size=16, progress=2)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[2] for line in lines] == ["2/5", "4/5", "5/5"]
