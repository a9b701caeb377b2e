"""
Swap GridSearchCV for BayesSearchCV in a pipeline
=================================================

A grid over ``C`` and ``gamma`` of an RBF support-vector classifier, in a pipeline
with a scaler, against :class:`~skhpo.BayesSearchCV` with fewer candidates. The change
is one line: the class name (and a distribution instead of a grid of values).
"""

from scipy.stats import loguniform
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skhpo import BayesSearchCV
from skhpo.plot import plot_convergence

X, y = load_breast_cancer(return_X_y=True)
model = make_pipeline(StandardScaler(), SVC())
cv = StratifiedKFold(5, shuffle=True, random_state=0)

grid = GridSearchCV(
    model,
    {"svc__C": [1e-2, 1e-1, 1, 10, 100, 1000], "svc__gamma": [1e-4, 1e-3, 1e-2, 1e-1, 1, 10]},
    cv=cv,
).fit(X, y)

bayes = BayesSearchCV(
    model,
    {"svc__C": loguniform(1e-2, 1e3), "svc__gamma": loguniform(1e-4, 1e1)},
    n_iter=15,
    cv=cv,
    random_state=0,
).fit(X, y)

print(f"GridSearchCV:  {len(grid.cv_results_['params'])} candidates, "
      f"best {grid.best_score_:.4f} with {grid.best_params_}")
print(f"BayesSearchCV: {len(bayes.cv_results_['params'])} candidates, "
      f"best {bayes.best_score_:.4f} with {bayes.best_params_}")

# %%
# The best score found so far, candidate after candidate (the grid's order is the
# grid's, so its curve depends on where the best cell happens to be).
ax = plot_convergence(grid, bayes)
