"""skhpo: hyperparameter searches that swap in for scikit-learn's GridSearchCV and
RandomizedSearchCV."""

from ._bayes_search import BayesSearchCV
from ._evolution_search import EvolutionSearchCV
from ._hyperband_search import HyperbandSearchCV
from ._journal import CheckpointMismatchError

__version__ = "0.1.0"

__all__ = [
    "BayesSearchCV",
    "CheckpointMismatchError",
    "EvolutionSearchCV",
    "HyperbandSearchCV",
    "__version__",
]
