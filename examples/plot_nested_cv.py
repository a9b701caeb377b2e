"""
Nested cross-validation
=======================

A search is an estimator: ``cross_val_score`` fits a fresh search on each outer
training fold and scores its refitted best model on the outer test fold, an unbiased
estimate of how well the whole tuning procedure generalises.
"""

import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhpo import BayesSearchCV

X, y = load_wine(return_X_y=True)
search = BayesSearchCV(
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    {"logisticregression__C": loguniform(1e-4, 1e2)},
    n_iter=8,
    cv=3,
    random_state=0,
)
outer = cross_val_score(search, X, y, cv=5)
print(f"nested CV accuracy: {np.mean(outer):.3f} +/- {np.std(outer):.3f}")
print("outer folds:", np.round(outer, 3))
