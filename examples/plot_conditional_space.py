"""
Choosing between estimators with a conditional space
====================================================

A list of dicts declares sub-spaces searched jointly: here the pipeline's last step is
either a support-vector classifier or a random forest, each with its own parameters.
Each candidate belongs to one sub-space; ``cv_results_`` tells which.
"""

import numpy as np
from scipy.stats import loguniform, randint
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skhpo import BayesSearchCV

X, y = load_breast_cancer(return_X_y=True)
pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
space = [
    {"clf": [SVC()], "clf__C": loguniform(1e-2, 1e3), "clf__gamma": loguniform(1e-4, 1)},
    {"clf": [RandomForestClassifier(n_estimators=50, random_state=0)],
     "clf__max_depth": randint(2, 12), "scale": ["passthrough"]},
]
search = BayesSearchCV(pipe, space, n_iter=16, n_initial_points=6, cv=3,
                       random_state=0).fit(X, y)

kinds = np.array([type(p["clf"]).__name__ for p in search.cv_results_["params"]])
scores = search.cv_results_["mean_test_score"]
for kind in np.unique(kinds):
    print(f"{kind:24s} {np.sum(kinds == kind):2d} candidates, best "
          f"{scores[kinds == kind].max():.4f}")
print("best:", search.best_estimator_.named_steps["clf"])
