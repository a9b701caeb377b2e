"""
Hyperband on a boosting model
=============================

Gradient boosting with few iterations already says a lot about a configuration:
:class:`~skhpo.HyperbandSearchCV` with ``resource="max_iter"`` evaluates many
candidates with a few boosting iterations and gives the full 81 only to the best.
"""

from scipy.stats import loguniform, randint
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier

from skhpo import HyperbandSearchCV
from skhpo.plot import plot_rungs

X, y = make_classification(n_samples=2000, n_features=20, n_informative=8,
                           random_state=0)
search = HyperbandSearchCV(
    HistGradientBoostingClassifier(max_iter=81, early_stopping=False),
    {"learning_rate": loguniform(1e-2, 1), "max_leaf_nodes": randint(4, 48),
     "l2_regularization": loguniform(1e-4, 10)},
    resource="max_iter",
    min_resources=3,
    cv=3,
    random_state=0,
).fit(X, y)

for b in search.brackets_:
    print(f"bracket s={b.s}: candidates {b.n_candidates}, max_iter {b.n_resources}")
print(f"{len(search.cv_results_['params'])} evaluations; best {search.best_score_:.4f} "
      f"with {search.best_params_}")

# %%
# Each line follows one candidate up the rungs of its bracket.
ax = plot_rungs(search)
