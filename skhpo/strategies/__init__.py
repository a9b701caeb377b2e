"""Ask/tell optimisation strategies that know nothing of scikit-learn estimators."""

from ._base import Batch, Strategy
from ._bayes import BayesOptimizer
from ._evolution import EvolutionOptimizer
from ._hyperband import Bracket, HyperbandOptimizer, Rung, hyperband_brackets

__all__ = [
    "Batch",
    "Strategy",
    "BayesOptimizer",
    "EvolutionOptimizer",
    "Bracket",
    "HyperbandOptimizer",
    "Rung",
    "hyperband_brackets",
]
