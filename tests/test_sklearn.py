"""NNClassifier inside scikit-learn: its estimator checks, model selection and pipelines.

Skipped when scikit-learn (the ``[sklearn]`` extra) is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from nndl import NNClassifier  # noqa: E402
from nndl.errors import NotFittedError  # noqa: E402


def _iris():
    x, y = load_iris(return_X_y=True)
    return x, np.array(["setosa", "versicolor", "virginica"])[y]


# Small and quick: every check fits a few times on ~100 rows.
@parametrize_with_checks([NNClassifier(hidden=(10,), epochs=10, eta=1.0, random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_it_is_a_scikit_learn_classifier():
    from sklearn.base import is_classifier

    clf = NNClassifier()
    assert is_classifier(clf) and clf.__sklearn_tags__().estimator_type == "classifier"
    with pytest.raises(SklearnNotFittedError):
        clf.predict_proba(np.ones((2, 4)))
    with pytest.raises(NotFittedError):  # nndl's own class catches it too
        clf.predict(np.ones((2, 4)))


def test_cross_val_score_in_a_pipeline_with_standard_scaler():
    x, y = _iris()
    pipe = make_pipeline(StandardScaler(), NNClassifier(hidden=(10,), epochs=30, eta=1.0,
                                                        random_state=0))
    scores = cross_val_score(pipe, x, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.9
    fitted = pipe.fit(x, y)
    assert fitted[-1].n_features_in_ == 4 and set(fitted.predict(x)) <= set(y)


def test_grid_search_picks_the_better_learning_rate():
    x, y = _iris()
    x = StandardScaler().fit_transform(x)
    search = GridSearchCV(
        NNClassifier(hidden=(10,), epochs=20, random_state=0),
        {"eta": [1e-4, 1.0], "hidden": [(5,), np.array([10])]},
        cv=3,
    ).fit(x, y)
    assert search.best_params_["eta"] == 1.0 and search.best_score_ > 0.85
    assert isinstance(search.best_estimator_.network_.sizes, list)
    assert search.score(x, y) > 0.9


def test_clone_copies_parameters_not_the_fit():
    x, y = _iris()
    clf = NNClassifier(hidden=np.array([7]), eta=1.0, epochs=5, random_state=3).fit(x, y)
    twin = clone(clf)
    assert twin.get_params()["random_state"] == 3 and twin.hidden is not clf.hidden
    np.testing.assert_array_equal(twin.hidden, [7])
    assert not hasattr(twin, "network_") and not hasattr(twin, "classes_")
    np.testing.assert_array_equal(twin.fit(x, y).predict_proba(x), clf.predict_proba(x))
    assert "hidden=array([7])" in repr(twin)
