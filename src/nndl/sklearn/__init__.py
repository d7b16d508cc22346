"""The scikit-learn estimator NNClassifier (the sklearn extra)."""
