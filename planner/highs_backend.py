"""Hand a Pyomo model to HiGHS once, as arrays, and keep it for re-solves.

Why not a Pyomo solver plugin: we want (1) the model compiled to a sparse matrix in one
vectorised pass (Pyomo's standard-form compiler), (2) exactly that matrix both solved and
exported (``sovplan export`` writes what HiGHS sees), and (3) a persistent HiGHS object whose
objective and extra rows (lexicographic tie-break, epsilon constraints) change in place, with
MIP starts, time limits and a clean Ctrl-C.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.errors import InputError, SolveError

INF = highspy.kHighsInf


@dataclass
class SolveOutcome:
    """What one HiGHS run produced."""

    status: str  # optimal | feasible | infeasible | unbounded | time_limit_no_solution | interrupted | error
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    x: np.ndarray | None
    message: str = ""
    #: relative gap of the cost tie-break stage (None when there was none)
    tie_break_gap: float | None = None


def quiet_highs() -> highspy.Highs:
    """A Highs object whose start-up banner does not reach stdout (it would corrupt --json)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


class HighsModel:
    """A Pyomo model compiled to HiGHS arrays, kept alive for re-solves."""

    def __init__(self, model: pyo.ConcreteModel, threads: int | None = None) -> None:
        t0 = time.perf_counter()
        info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
        self.compile_seconds = time.perf_counter() - t0
        self.model = model
        self.columns = list(info.columns)
        self.col_of = {id(v): i for i, v in enumerate(self.columns)}
        n_rows, n_cols = info.A.shape
        A = info.A.tocsc()

        lower = np.array(
            [(-INF if v.lb is None else float(v.lb)) for v in self.columns], dtype=float
        )
        upper = np.array(
            [(INF if v.ub is None else float(v.ub)) for v in self.columns], dtype=float
        )
        integer = np.array([v.is_integer() or v.is_binary() for v in self.columns], dtype=bool)
        kinds = np.array([kind for _, kind in info.rows], dtype=int)
        rhs = np.asarray(info.rhs, dtype=float)
        # kind: 1 -> body <= rhs; -1 -> body >= rhs; 0 -> equality
        row_lower = np.where(kinds == 1, -INF, rhs)
        row_upper = np.where(kinds == -1, INF, rhs)
        self.base_rows = n_rows

        h = quiet_highs()
        h.HandleKeyboardInterrupt = True
        if threads:
            h.setOptionValue("threads", int(threads))
        lp = highspy.HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.col_cost_ = np.zeros(n_cols)
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = row_lower
        lp.row_upper_ = row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr.astype(np.int32)
        lp.a_matrix_.index_ = A.indices.astype(np.int32)
        lp.a_matrix_.value_ = A.data.astype(float)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
        lp.col_names_ = [v.name for v in self.columns]
        lp.row_names_ = [self._unique_row_name(con, kind) for con, kind in info.rows]
        status = h.passModel(lp)
        if status == highspy.HighsStatus.kError:
            raise SolveError("HiGHS rejected the model (passModel failed)")
        self.h = h
        self.nnz = int(A.nnz)
        self.integer = integer
        self.extra_rows: dict[str, tuple[int, float]] = {}
        self.pass_seconds = time.perf_counter() - t0 - self.compile_seconds
        objective = next(model.component_data_objects(pyo.Objective, active=True))
        self.set_objective(objective.expr, objective.sense)

    @staticmethod
    def _unique_row_name(con, kind: int) -> str:
        if kind == -1 and con.has_ub() and not con.equality:
            return f"{con.name}_lo"
        return con.name

    # --- expressions -> coefficient arrays -----------------------------------------------
    def linear(self, expr) -> tuple[np.ndarray, np.ndarray, float]:
        """Column indices, coefficients and constant of a linear Pyomo expression."""
        repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None:
            raise SolveError("internal: a non-linear expression reached the HiGHS backend")
        cols, coefs = [], []
        for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            if id(v) not in self.col_of:
                self._add_column(v)
            cols.append(self.col_of[id(v)])
            coefs.append(float(c))
        return (
            np.asarray(cols, dtype=np.int32),
            np.asarray(coefs, dtype=float),
            float(repn.constant),
        )

    def _add_column(self, v) -> None:
        lb = -INF if v.lb is None else float(v.lb)
        ub = INF if v.ub is None else float(v.ub)
        self.h.addVar(lb, ub)
        idx = len(self.columns)
        if v.is_integer() or v.is_binary():
            self.h.changeColIntegrality(idx, highspy.HighsVarType.kInteger)
        self.columns.append(v)
        self.col_of[id(v)] = idx
        self.integer = np.append(self.integer, v.is_integer() or v.is_binary())

    def set_objective(self, expr, sense) -> None:
        """Replace the objective (all column costs) with ``expr``."""
        cols, coefs, const = self.linear(expr)
        cost = np.zeros(len(self.columns))
        np.add.at(cost, cols, coefs)
        self.h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
        self.h.changeObjectiveOffset(const)
        self.h.changeObjectiveSense(
            highspy.ObjSense.kMaximize if sense == pyo.maximize else highspy.ObjSense.kMinimize
        )

    def set_row(self, name: str, expr, lower: float = -INF, upper: float = INF) -> None:
        """Add (or move the bounds of) a named extra row ``lower <= expr <= upper``."""
        if name in self.extra_rows:
            row, const = self.extra_rows[name]
            self.h.changeRowBounds(row, *self._shift(lower, upper, const))
            return
        cols, coefs, const = self.linear(expr)
        self.h.addRow(*self._shift(lower, upper, const), len(cols), cols, coefs)
        self.extra_rows[name] = (self.h.getNumRow() - 1, const)

    @staticmethod
    def _shift(lower: float, upper: float, const: float) -> tuple[float, float]:
        return (lower - const if lower > -INF else -INF, upper - const if upper < INF else INF)

    def relax_row(self, name: str) -> None:
        """Make an extra row non-binding (kept so its index stays valid)."""
        if name in self.extra_rows:
            self.h.changeRowBounds(self.extra_rows[name][0], -INF, INF)

    # --- solving ----------------------------------------------------------------------------
    def solve(
        self,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        start: np.ndarray | None = None,
    ) -> SolveOutcome:
        """Run HiGHS; map its status; never raise for infeasibility or limits."""
        h = self.h
        h.setOptionValue("time_limit", float(time_limit) if time_limit else INF)
        if mip_gap is not None:
            h.setOptionValue("mip_rel_gap", float(mip_gap))
        if start is not None and len(start) == len(self.columns):
            sol = highspy.HighsSolution()
            sol.col_value = list(map(float, start))
            sol.value_valid = True
            h.setSolution(sol)
        t0 = time.perf_counter()
        try:
            h.solve()
        except KeyboardInterrupt:
            h.cancelSolve()
            raise
        except Exception as exc:  # the solver itself failed
            return SolveOutcome("error", None, None, None, time.perf_counter() - t0, None, str(exc))
        seconds = time.perf_counter() - t0
        ms = h.getModelStatus()
        if ms == highspy.HighsModelStatus.kInterrupt:
            # highspy catches Ctrl-C itself (HandleKeyboardInterrupt), stops the solve cleanly
            # and returns; re-raise so callers stop too (the CLI exits 130) instead of going
            # on to the next stage with a half-solved model.
            raise KeyboardInterrupt("HiGHS solve interrupted")
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float) if has_solution else None
        obj = float(info.objective_function_value) if has_solution else None
        bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
        gap = float(info.mip_gap) if has_solution and math.isfinite(info.mip_gap) else None
        S = highspy.HighsModelStatus
        if ms == S.kOptimal:
            status = "optimal"
            gap = gap if gap is not None else 0.0
        elif ms in (S.kInfeasible,):
            status = "infeasible"
        elif ms in (S.kUnbounded, S.kUnboundedOrInfeasible):
            status = "unbounded" if ms == S.kUnbounded else "infeasible_or_unbounded"
        elif ms in (
            S.kTimeLimit,
            S.kIterationLimit,
            S.kSolutionLimit,
            S.kInterrupt,
            S.kObjectiveBound,
            S.kObjectiveTarget,
        ):
            if has_solution:
                status = "feasible"
            elif ms == S.kInterrupt:
                status = "interrupted"
            else:
                status = "time_limit_no_solution"
        elif ms == S.kModelEmpty:
            status = "optimal"
        else:
            status = "error"
        return SolveOutcome(status, obj, bound, gap, seconds, x, h.modelStatusToString(ms))

    def values(self, x: np.ndarray) -> None:
        """Load a solution vector into the Pyomo variables (for results and checks)."""
        for v, val in zip(self.columns, x, strict=False):
            v.set_value(
                float(round(val)) if (v.is_integer() or v.is_binary()) else float(val),
                skip_validation=True,
            )

    def evaluate(self, expr, x: np.ndarray) -> float:
        """Value of a linear expression at ``x`` without touching the Pyomo variables."""
        cols, coefs, const = self.linear(expr)
        return float(const + coefs @ x[cols]) if len(cols) else float(const)

    def write(self, path: str) -> None:
        """Write exactly the model HiGHS holds (.mps or .lp, by extension)."""
        if not (path.endswith(".mps") or path.endswith(".lp")):
            raise InputError(f"{path}: export format must be .mps or .lp")
        status = self.h.writeModel(path)
        if status == highspy.HighsStatus.kError:
            raise SolveError(f"{path}: HiGHS could not write the model")
