"""Ask/tell optimisation strategies that know nothing of scikit-learn estimators."""

from ._base import Strategy
from ._bayes import BayesOptimizer
from ._evolution import EvolutionOptimizer

__all__ = ["Strategy", "BayesOptimizer", "EvolutionOptimizer"]
