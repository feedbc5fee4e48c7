"""Linear sums over options built straight from coefficient arrays.

Pyomo's operator overloading (``c * m.n[a, t]`` summed with ``quicksum``) costs a variable
lookup and an expression node per term; the formulation's sums run over thousands of options,
so the families build each sum as one ``LinearExpression`` from a coefficient array and the
variables fetched once per (option, period). The maths is unchanged: only how the Python
objects are made.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression


def lin(coefs: Sequence[float] | np.ndarray | float, variables: Sequence) -> LinearExpression | int:
    """Σ_i coefs[i]·variables[i] (a scalar coefficient applies to all); 0 when empty."""
    if len(variables) == 0:
        return 0
    c = np.broadcast_to(np.asarray(coefs, dtype=float), (len(variables),))
    return LinearExpression(constant=0, linear_coefs=c.tolist(), linear_vars=list(variables))


class OptionVars:
    """The (option, period) variables of a model as object arrays, for fancy indexing.

    ``n[:, i]`` are the module variables of every option in the period at position ``i``;
    ``group`` arrays of option ids (which are positions, 0..n-1) select rows.
    """

    def __init__(self, m: pyo.ConcreteModel) -> None:
        self.periods = list(m.T)
        self.pos = {t: i for i, t in enumerate(self.periods)}
        shape = (len(m.A), len(self.periods))
        self.n = self._matrix(m.n, shape)
        self.q = self._matrix(m.q, shape)
        self.build = self._matrix(m.build, shape) if hasattr(m, "build") else None

    def _matrix(self, var, shape: tuple[int, int]) -> np.ndarray:
        out = np.empty(shape, dtype=object)
        pos = self.pos
        for (a, t), v in var.items():
            out[a, pos[t]] = v
        return out

    def added(self, group: Sequence[int], t, coefs: np.ndarray | float = 1.0):
        """Σ_{a∈group} coefs_a·added[a,t] with added = n[t] − n[t−1] (or build[a,t])."""
        i = self.pos[t]
        g = np.asarray(group, dtype=np.int64)
        c = np.broadcast_to(np.asarray(coefs, dtype=float), (len(g),))
        if self.build is not None:
            return lin(c, self.build[g, i])
        if i == 0:
            return lin(c, self.n[g, 0])
        return lin(np.concatenate([c, -c]), np.concatenate([self.n[g, i], self.n[g, i - 1]]))


def option_vars(m: pyo.ConcreteModel) -> OptionVars:
    """The model's OptionVars, made once per model (the families share them)."""
    cached = m.__dict__.get("_option_vars")
    if cached is None:
        cached = OptionVars(m)
        m.__dict__["_option_vars"] = cached
    return cached
