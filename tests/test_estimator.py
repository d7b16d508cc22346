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
    clf = NNClassifier(hidden=(10,), epochs=15, eta=1.0, random_state=0)
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
    clf = NNClassifier(hidden=(8,), epochs=5, random_state=1, **options).fit(x, y)
    proba = clf.predict_proba(x)
    assert proba.shape == (len(x), 3) and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(x))


def test_validation_data_early_stopping_and_schedule():
    x, y = _blobs(300)
    clf = NNClassifier(hidden=(8,), epochs=40, eta=1.0, early_stopping=3, schedule=2,
                       random_state=0).fit(x[:240], y[:240], validation_data=(x[240:], y[240:]))
    assert clf.history_.stop_reason in ("early_stopping", "schedule", "epochs")
    assert clf.history_.best_epoch is not None
    assert "validation_accuracy" in clf.history_.keys()


def test_partial_fit_accumulates_and_keeps_optimizer_state():
    x, y = _blobs()
    clf = NNClassifier(hidden=(10,), eta=0.02, optimizer="adam", random_state=0)
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        clf.partial_fit(x, y)
    for _ in range(10):
        clf.partial_fit(x, y, classes=["cat", "dog", "emu"])
    assert len(clf.history_) == 10 and clf.history_["epoch"] == list(range(10))
    assert clf.optimizer_.t == 10 * 24
    assert clf.score(x, y) > 0.9
    with pytest.raises(ValueError, match=r"classes \['a', 'b'\] differ"):
        clf.partial_fit(x, y, classes=["a", "b"])


def test_errors_are_precise():
    x, y = _blobs()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        NNClassifier().predict(x)
    clf = NNClassifier(hidden=(4,), epochs=1).fit(x, y)
    with pytest.raises(ValueError, match="X has 3 features, but NNClassifier is expecting 2"):
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
    with pytest.raises(ValueError, match="Invalid parameter 'alpha' for estimator NNClassifier"):
        NNClassifier().set_params(alpha=1)


def test_get_set_params_and_repr():
    clf = NNClassifier(hidden=(5, 4), lmbda=2.0)
    params = clf.get_params()
    assert params["hidden"] == (5, 4) and params["lmbda"] == 2.0 and "optimizer" in params
    assert clf.set_params(eta=0.1) is clf and clf.eta == 0.1
    assert repr(clf) == "NNClassifier(eta=0.1, hidden=(5, 4), lmbda=2.0)"


def test_hidden_may_be_a_numpy_array_and_repr_shows_it():
    x, y = _blobs()
    clf = NNClassifier(hidden=np.array([10, 5]), epochs=2, random_state=0)
    assert repr(clf) == "NNClassifier(epochs=2, hidden=array([10,  5]), random_state=0)"
    assert clf.fit(x, y).network_.sizes == [2, 10, 5, 3]


def test_before_fit_every_prediction_raises_not_fitted():
    x, _ = _blobs()
    for method in ("predict", "predict_proba", "score"):
        args = (x, np.zeros(len(x))) if method == "score" else (x,)
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(NNClassifier(), method)(*args)


def test_continuous_targets_are_refused_but_integral_floats_are_labels():
    x, _ = _blobs()
    with pytest.raises(ValueError, match="Unknown label type"):
        NNClassifier(epochs=1).fit(x, np.linspace(0, 1, len(x)))
    clf = NNClassifier(hidden=(4,), epochs=1, random_state=0).fit(x, np.arange(len(x)) % 2 * 1.0)
    assert clf.classes_.tolist() == [0.0, 1.0]


def test_random_state_makes_fit_repeatable():
    x, y = _blobs()
    a = NNClassifier(hidden=(6,), epochs=3, random_state=5).fit(x, y).predict_proba(x)
    b = NNClassifier(hidden=(6,), epochs=3, random_state=5).fit(x, y).predict_proba(x)
    c = NNClassifier(hidden=(6,), epochs=3, random_state=6).fit(x, y).predict_proba(x)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        NNClassifier(random_state="x").fit(x, y)


STANDALONE = """
import sys
sys.modules["sklearn"] = None  # as if scikit-learn were not installed
import numpy as np
from nndl import NNClassifier
from nndl.errors import NotFittedError
assert [c.__name__ for c in NNClassifier.__mro__[1:3]] == [
    "StandaloneClassifier", "StandaloneEstimator"]
rng = np.random.default_rng(0)
x = rng.random((200, 2))
y = np.where(x[:, 0] > x[:, 1], "above", "below")
clf = NNClassifier(hidden=np.array([8]), epochs=20, eta=1.0, random_state=0)
print(repr(clf))
try:
    clf.predict_proba(x)
except NotFittedError as exc:
    print("not fitted:", exc)
print("score", clf.fit(x, y).score(x, y) > 0.9, sorted(clf.get_params())[:3])
for bad in (lambda: clf.predict(x[:, :1]), lambda: clf.fit(x, x[:, 0]),
            lambda: clf.set_params(alpha=1)):
    try:
        bad()
    except ValueError as exc:
        print("error:", exc)
"""


def test_works_standalone_without_scikit_learn():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", STANDALONE], capture_output=True, text=True,
                         check=True, timeout=120).stdout.splitlines()
    assert out[0] == "NNClassifier(epochs=20, eta=1.0, hidden=array([8]), random_state=0)"
    assert out[1].startswith("not fitted: This NNClassifier instance is not fitted yet")
    assert out[2] == "score True ['activation', 'cost', 'dropout']"
    assert out[3] == "error: X has 1 features, but NNClassifier is expecting 2 features as input."
    assert out[4].startswith("error: Unknown label type: continuous")
    assert out[5].startswith("error: Invalid parameter 'alpha' for estimator NNClassifier")
