"""The scikit-learn-style NNClassifier."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network, NNClassifier
from nndl.errors import NotFittedError


def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.2, 0.2], [0.8, 0.2], [0.5, 0.8]])
    y = rng.integers(0, 3, n)
    x = centres[y] + 0.08 * rng.standard_normal((n, 2))
    return x, np.array(["cat", "dog", "emu"])[y]


def test_fit_predict_score_with_string_labels():
    x, y = _blobs()
    clf = NNClassifier(hidden=(10,), epochs=15, eta=1.0, seed=0)
    assert clf.fit(x, y) is clf
    assert clf.classes_.tolist() == ["cat", "dog", "emu"]
    assert isinstance(clf.network_, Network) and clf.network_.sizes == [2, 10, 3]
    assert clf.score(x, y) > 0.95
    assert set(clf.predict(x)) <= {"cat", "dog", "emu"}
    assert len(clf.history_) == 15 and clf.n_features_in_ == 2


@pytest.mark.parametrize(
    "options",
    [{}, {"cost": "log_likelihood", "activation": "relu", "init": "he", "eta": 0.1},
     {"cost": "quadratic", "activation": "tanh", "eta": 0.5}],
)
def test_predict_proba_rows_sum_to_one_and_agree_with_predict(options):
    x, y = _blobs()
    clf = NNClassifier(hidden=(8,), epochs=5, seed=1, **options).fit(x, y)
    proba = clf.predict_proba(x)
    assert proba.shape == (len(x), 3) and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(x))


def test_validation_data_early_stopping_and_schedule():
    x, y = _blobs(300)
    clf = NNClassifier(hidden=(8,), epochs=40, eta=1.0, early_stopping=3, schedule=2,
                       seed=0).fit(x[:240], y[:240], validation_data=(x[240:], y[240:]))
    assert clf.history_.stop_reason in ("early_stopping", "schedule", "epochs")
    assert clf.history_.best_epoch is not None
    assert "validation_accuracy" in clf.history_.keys()


def test_partial_fit_accumulates_and_keeps_optimizer_state():
    x, y = _blobs()
    clf = NNClassifier(hidden=(10,), eta=0.02, optimizer="adam", seed=0)
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        clf.partial_fit(x, y)
    for _ in range(10):
        clf.partial_fit(x, y, classes=["cat", "dog", "emu"])
    assert len(clf.history_) == 10 and clf.history_["epoch"] == list(range(10))
    assert clf._optimizer.t == 10 * 24
    assert clf.score(x, y) > 0.9
    with pytest.raises(ValueError, match=r"classes \['a', 'b'\] differ"):
        clf.partial_fit(x, y, classes=["a", "b"])


def test_errors_are_precise():
    x, y = _blobs()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        NNClassifier().predict(x)
    clf = NNClassifier(hidden=(4,), epochs=1).fit(x, y)
    with pytest.raises(ValueError, match="x has 3 features but the classifier was fitted with 2"):
        clf.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"labels not seen in training: \['yak'\]"):
        clf.fit(x, y, validation_data=(x[:2], ["cat", "yak"]))
    with pytest.raises(ValueError, match="at least 2 classes"):
        NNClassifier().fit(x, np.zeros(len(x)))
    with pytest.raises(ValueError, match="hidden must be a tuple of positive integers"):
        NNClassifier(hidden=None).fit(x, y)
    with pytest.raises(ValueError, match=r"sizes\[1\] must be a positive integer, got 0"):
        NNClassifier(hidden=(0,)).fit(x, y)
    with pytest.raises(ValueError, match="eta must be a positive finite number, got -1"):
        NNClassifier(eta=-1).fit(x, y)
    with pytest.raises(ValueError, match="unknown parameter 'alpha'"):
        NNClassifier().set_params(alpha=1)


def test_get_set_params_and_repr():
    clf = NNClassifier(hidden=(5, 4), lmbda=2.0)
    params = clf.get_params()
    assert params["hidden"] == (5, 4) and params["lmbda"] == 2.0 and "optimizer" in params
    assert clf.set_params(eta=0.1) is clf and clf.eta == 0.1
    assert repr(clf) == "NNClassifier(hidden=(5, 4), eta=0.1, lmbda=2.0)"
