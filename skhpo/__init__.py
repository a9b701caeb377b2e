"""skhpo: hyperparameter searches that swap in for scikit-learn's GridSearchCV and
RandomizedSearchCV."""

from ._bayes_search import BayesSearchCV

__version__ = "0.1.0"

__all__ = ["BayesSearchCV", "__version__"]
