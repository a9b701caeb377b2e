"""
The ask/tell optimiser on a plain function
==========================================

The optimisers behind the searches know nothing of scikit-learn: ask for candidates,
evaluate them however you like, tell the scores (greater is better). Here
:class:`~skhpo.strategies.BayesOptimizer` maximises the negated Branin function against
random sampling.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

from skhpo.space import Real
from skhpo.strategies import BayesOptimizer


def neg_branin(p):
    x, y = p["x"], p["y"]
    return -((y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2
             + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10)


space = {"x": Real(-5.0, 10.0), "y": Real(0.0, 15.0)}
opt = BayesOptimizer(space, n_initial_points=8, random_state=0)
for _ in range(30):
    [params] = opt.ask()
    opt.tell([params], [neg_branin(params)])
print("best:", opt.best_params_, f"value {-opt.best_score_:.4f} (optimum 0.3979)")

rng = np.random.RandomState(0)
random_scores = [neg_branin({"x": rng.uniform(-5, 10), "y": rng.uniform(0, 15)})
                 for _ in range(30)]

fig, ax = plt.subplots()
ax.plot(-np.maximum.accumulate(opt.scores_), label="BayesOptimizer")
ax.plot(-np.maximum.accumulate(random_scores), label="random")
ax.set_yscale("log")
ax.set_xlabel("evaluations")
ax.set_ylabel("best Branin value so far")
ax.legend()
