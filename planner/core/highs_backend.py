"""Hand a Pyomo model to HiGHS once, as arrays, and keep it for re-solves.

Why not a Pyomo solver plugin: we want (1) the model compiled to a sparse matrix in one
vectorised pass (Pyomo's standard-form compiler), (2) exactly that matrix both solved and
exported (``sovplan export`` writes what HiGHS sees), and (3) a persistent HiGHS object whose
objective and extra rows (lexicographic tie-break, epsilon constraints) change in place, with
MIP starts, time limits and a clean Ctrl-C.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import highspy
import numpy as np
import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.base.expression import ExpressionData, ScalarExpression
from pyomo.core.expr.numeric_expr import (
    DivisionExpression,
    LinearExpression,
    MonomialTermExpression,
    ProductExpression,
    SumExpression,
)
from pyomo.core.expr.relational_expr import EqualityExpression, RangedExpression
from pyomo.repn import generate_standard_repn

from planner.core import deadline, progress
from planner.core.errors import InputError, SolveError
from planner.core.face import Face, LpDuals

INF = highspy.kHighsInf
#: set when a HiGHS solve was left running past the deadline: the process must then leave
#: with ``os._exit`` (``planner.cli.main``), since C++ static destructors would abort on a
#: thread that still runs
ABANDONED: list[str] = []
#: seconds HiGHS gets to stop after a cancel at the deadline before it is abandoned
DEADLINE_GRACE = 1.5


#: HiGHS options of the cost-minimising solves with the index held by a row (the cost
#: tie-break, the Pareto ε points). Why: those solves find their optimum early (the
#: sub-MIP heuristics at the root) and spend the rest closing the bound; HiGHS's restarts
#: (re-presolving once enough integer columns are fixed at the root) threw away the cut pool
#: each time and the bound climbed back slowly. Without restarts, stage 2 alone on the
#: bundled scenarios went 4.6-7.7 s -> 3.1-5.3 s (Kenya, France, UK; EU 1.6-7.0 -> 0.9 s),
#: same optimum, same gap, two runs each back to back (issue 15, round 2). Only the search
#: changes: the result is still proven within the stated gap.
TIE_BREAK_OPTIONS: dict[str, object] = {"mip_allow_restart": False}

#: HiGHS 1.16's presolve rules "free column substitution" (bit 8 of ``presolve_rule_off``)
#: and "aggregator" (bit 12): each substitutes a column out through an equation.
PRESOLVE_SUBSTITUTION_RULES = (1 << 8) | (1 << 12)
#: HiGHS options of the solves that spend up to a cap: a binding budget (or energy-cost or
#: emissions cap) and every Pareto ε point on cost. Why: the aggregate module counts
#: n_pc[p,c,t] = Σ_k n[(k,p,c),t] (``models.constraints.add_supplier_links``) exist to be
#: branched on, and these rules substitute them out again. Under a binding budget the MIP is
#: a knapsack over near-identical options (one provider and chip in several countries);
#: branching on "modules of chip c at provider p" ends the search through them: the EU
#: scenario with a budget of 8,118 MUSD went 16.8-30.2 s (one tie-break stopped by its
#: limit) -> 4.6-6.4 s, seeds 0-2, same plan (issue 15, round 4). Elsewhere the default
#: presolve was faster (Kenya, France: 0.5-2 s slower with these rules off), so ``solve``
#: uses the options only when the LP optimum spends to a cap and the LP support does not
#: settle the first stage (``planner.core.solve.optimise``). ``tests/test_speed_formulation``
#: checks that the presolved model keeps n_pc, so a HiGHS release that renumbers its rules
#: fails loudly.
CAP_BOUND_OPTIONS: dict[str, object] = {"presolve_rule_off": PRESOLVE_SUBSTITUTION_RULES}


class LpRelaxation(NamedTuple):
    """The LP relaxation's solution and objective, and its duals (``planner.core.face``)."""

    x: np.ndarray
    objective: float
    duals: LpDuals


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
    #: status of the cost tie-break stage (None when there was none; "optimal" when it was
    #: proven within its gap, which ``planner.core.warm`` needs to reuse the plan)
    tie_break_status: str | None = None


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


# --- the hand-off: Pyomo constraints -> sparse arrays, in one pass -------------------------
@dataclass
class CompiledModel:
    """What ``compile_model`` returns (the fields HighsModel reads; same shape as Pyomo's
    LinearStandardFormCompiler output in mixed form: kind 1 = body ≤ rhs, -1 = body ≥ rhs,
    0 = body = rhs)."""

    columns: list
    #: the matrix in compressed-column form (what HiGHS takes): column starts, row indices
    #: and values, duplicates summed and zeros dropped
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    rows: list
    rhs: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.columns))

    @property
    def A(self):
        """The matrix as a scipy sparse array (for tests and inspection; scipy is imported
        only here because it costs about a second of start-up)."""
        import scipy.sparse as sp

        return sp.csc_array((self.value, self.index, self.start), shape=self.shape)


def _csr_to_csc(
    coefs: list[float], cols: list[int], indptr: list[int], n_rows: int, n_cols: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise triplets to compressed columns with numpy alone, summing repeated
    (row, column) entries and dropping zeros."""
    value = np.asarray(coefs, dtype=float)
    col = np.asarray(cols, dtype=np.int64)
    row = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(np.asarray(indptr, dtype=np.int64)))
    key = col * max(n_rows, 1) + row
    order = np.argsort(key, kind="stable")
    key, value = key[order], value[order]
    if len(key):
        unique, first = np.unique(key, return_index=True)
        value = np.add.reduceat(value, first)
        keep = value != 0.0
        unique, value = unique[keep], value[keep]
    else:
        unique = key
    col_of = unique // max(n_rows, 1)
    start = np.searchsorted(col_of, np.arange(n_cols + 1)).astype(np.int32)
    return start, (unique % max(n_rows, 1)).astype(np.int32), value


def _variable(expr) -> bool:
    return expr.__class__ not in native_numeric_types and expr.is_potentially_variable()


def _linear_terms(expr, sign: float, cols: list, coefs: list, col_of: dict, columns: list) -> float:
    """Append ``sign·expr``'s terms to ``cols``/``coefs``; return its constant.

    Fast path for what the formulation writes (numbers, variables, ``c·v`` monomials and
    ``LinearExpression`` sums of them); anything else goes through ``generate_standard_repn``.
    """
    cls = expr.__class__
    if cls in native_numeric_types:
        return sign * expr
    if cls is LinearExpression or cls is SumExpression:
        const = 0.0
        for arg in expr.args:
            const += _linear_terms(arg, sign, cols, coefs, col_of, columns)
        return const
    if cls is MonomialTermExpression:
        c, v = expr.args
        if c.__class__ not in native_numeric_types:
            c = pyo.value(c)
        if v.is_fixed():
            return sign * c * pyo.value(v)
        i = col_of.get(id(v))
        if i is None:
            i = col_of[id(v)] = len(columns)
            columns.append(v)
        cols.append(i)
        coefs.append(sign * c)
        return 0.0
    if getattr(expr, "is_variable_type", None) is not None and expr.is_variable_type():
        if expr.is_fixed():
            return sign * pyo.value(expr)
        i = col_of.get(id(expr))
        if i is None:
            i = col_of[id(expr)] = len(columns)
            columns.append(expr)
        cols.append(i)
        coefs.append(sign)
        return 0.0
    if cls is ScalarExpression or cls is ExpressionData:
        return _linear_terms(expr.expr, sign, cols, coefs, col_of, columns)
    if not expr.is_potentially_variable():
        return sign * pyo.value(expr)
    if cls is DivisionExpression and not _variable(expr.args[1]):
        return _linear_terms(
            expr.args[0], sign / pyo.value(expr.args[1]), cols, coefs, col_of, columns
        )
    if cls is ProductExpression and not _variable(expr.args[0]):
        return _linear_terms(
            expr.args[1], sign * pyo.value(expr.args[0]), cols, coefs, col_of, columns
        )
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    if repn.nonlinear_expr is not None:
        raise SolveError("internal: a non-linear expression reached the HiGHS backend")
    for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True):
        _linear_terms(v, sign * c, cols, coefs, col_of, columns)
    return sign * float(repn.constant)


def compile_model(model: pyo.ConcreteModel) -> CompiledModel:
    """Every active constraint of ``model`` as rows of a sparse matrix (one Python pass).

    Equivalent to ``LinearStandardFormCompiler().write(model, mixed_form=True)`` (a test
    checks the two matrices are equal) but reads the linear expressions the formulation
    builds directly, which is several times faster. Rows whose body has no variable are
    dropped when they hold and raise ``InfeasibleConstraintException`` when they cannot.
    """
    columns: list = []
    col_of: dict[int, int] = {}
    indptr = [0]
    cols: list[int] = []
    coefs: list[float] = []
    rows: list = []
    rhs: list[float] = []
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        expr = con.expr
        start = len(cols)
        if expr.__class__ is RangedExpression:
            lo, body, up = expr.args
            const = _linear_terms(body, 1.0, cols, coefs, col_of, columns)
            bounds = [(pyo.value(lo) - const, -1), (pyo.value(up) - const, 1)]
        else:
            lhs, rhs_expr = expr.args
            const = _linear_terms(lhs, 1.0, cols, coefs, col_of, columns)
            const += _linear_terms(rhs_expr, -1.0, cols, coefs, col_of, columns)
            kind = 0 if expr.__class__ is EqualityExpression else 1
            bounds = [(-const, kind)]
        if len(cols) == start:  # no variable left: holds or not, before solving
            ok = all(
                (b >= -1e-9 if k == 1 else b <= 1e-9 if k == -1 else abs(b) <= 1e-9)
                for b, k in bounds
            )
            if not ok:
                raise InfeasibleConstraintException(
                    f"model contains a trivially infeasible constraint '{con.name}'"
                )
            continue
        end = len(cols)
        for i, (b, k) in enumerate(bounds):
            if i:  # the lower and upper halves of a ranged constraint share the terms
                cols.extend(cols[start:end])
                coefs.extend(coefs[start:end])
            rows.append((con, k))
            rhs.append(b)
            indptr.append(len(cols))
    start, index, value = _csr_to_csc(coefs, cols, indptr, len(rows), len(columns))
    return CompiledModel(columns, start, index, value, rows, np.asarray(rhs, dtype=float))


def _names(model: pyo.ConcreteModel) -> dict[int, str]:
    """id -> name of every variable and constraint, one pass per component (``.name`` on
    each data object walks the model tree and re-formats the index every time)."""
    out: dict[int, str] = {}
    for ctype in (pyo.Var, pyo.Constraint):
        for comp in model.component_objects(ctype, descend_into=True):
            if not comp.is_indexed():
                out[id(comp)] = comp.name
                continue
            base = comp.name
            for idx, data in comp.items():
                key = idx if isinstance(idx, tuple) else (idx,)
                if all(
                    isinstance(k, int) or (isinstance(k, str) and k.isidentifier()) for k in key
                ):
                    out[id(data)] = f"{base}[{','.join(map(str, key))}]"
                else:  # quoting rules for unusual keys: ask Pyomo
                    out[id(data)] = data.name
    return out


def clear_stale_interrupts(highs: Any) -> bool:
    """Make a cancel stop only the solve it was meant for (returns False when this highspy
    has no such hook). ``HighsModel`` does this for every model it builds.

    Why: highspy interrupts HiGHS by setting the interrupt flag of the callback's input, and
    nothing clears that flag; after one cancelled solve every later solve on the same Highs
    object stopped at its first callback (EU: the next Pareto grid point returned its MIP
    start as "feasible" in 0.1 s; Kenya: a solve after a cancel "Interrupted by user" in
    0.03 s, so a deadline cancel in one stage silently cut short every later solve on the
    model: the last LP pass, a robust future's re-plans, a study's re-solves). This extra callback clears the flag whenever highspy does not ask
    to stop (its ``cancelSolve`` flag, reset by every ``startSolve``). A cancel during the
    current solve (a superseded grid point, the study's deadline) still stops it."""
    flag = "_Highs__solver_should_stop"
    if not hasattr(highs, flag):
        return False

    def clear(event: Any) -> None:
        if not getattr(highs, flag):
            event.interrupt(False)

    highs.cbSimplexInterrupt += clear
    highs.cbIpmInterrupt += clear
    highs.cbMipInterrupt += clear
    return True


class HighsModel:
    """A Pyomo model compiled to HiGHS arrays, kept alive for re-solves."""

    def __init__(
        self, model: pyo.ConcreteModel, threads: int | None = None, random_seed: int = 0
    ) -> None:
        #: name of a constraint that is infeasible before solving (e.g. a floor no option can meet)
        self.trivially_infeasible: str | None = None
        try:
            info = compile_model(model)
        except InfeasibleConstraintException as exc:
            self.trivially_infeasible = str(exc).split("'")[1] if "'" in str(exc) else str(exc)
            model.find_component(self.trivially_infeasible).deactivate()
            info = compile_model(model)
        self.model = model
        self.columns = list(info.columns)
        self.col_of = {id(v): i for i, v in enumerate(self.columns)}
        n_rows, n_cols = info.shape

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
        #: the rows' bounds as built: what a row derived from them (``models.covers``) is
        #: valid for, once a study (stress, diagnose) has moved some of them
        self.row_lower0, self.row_upper0 = row_lower.copy(), row_upper.copy()

        h = quiet_highs()
        h.HandleKeyboardInterrupt = True
        clear_stale_interrupts(h)
        if threads:
            h.setOptionValue("threads", int(threads))
        if random_seed:
            h.setOptionValue("random_seed", int(random_seed))
        lp = highspy.HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.col_cost_ = np.zeros(n_cols)
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = row_lower
        lp.row_upper_ = row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = info.start
        lp.a_matrix_.index_ = info.index
        lp.a_matrix_.value_ = info.value
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
        # Names are passed to HiGHS only when the model is written (see ``write``): building
        # them costs ~0.3 s on a 200k-nonzero model and the solve never reads them.
        self._rows = info.rows
        self._named = False
        #: first HiGHS row of each Pyomo constraint (the "_lo" half of a ranged one follows it)
        self.row_of: dict[int, int] = {}
        for i, (con, _) in enumerate(info.rows):
            self.row_of.setdefault(id(con), i)
        status = h.passModel(lp)
        if status == highspy.HighsStatus.kError:
            raise SolveError("HiGHS rejected the model (passModel failed)")
        self.h = h
        #: True when HiGHS was left running past the deadline (see ``_run``)
        self.abandoned = False
        self.cancelled = False
        self.nnz = int(len(info.value))
        self.integer = integer
        self.extra_rows: dict[str, tuple[int, float]] = {}
        #: whether the last ``lp_relaxation`` was proven infeasible (then so is the MIP)
        self.lp_infeasible = False
        self._linear_cache: dict[int, tuple[object, tuple]] = {}
        objective = next(model.component_data_objects(pyo.Objective, active=True))
        self.set_objective(objective.expr, objective.sense)

    def snapshot(self) -> tuple[object, dict[str, tuple[int, float]], int]:
        """The model as HiGHS holds it now (LP, bounds, objective, extra rows), to go back to
        with ``restore``."""
        return self.h.getLp(), dict(self.extra_rows), len(self.columns)

    def restore(self, snap: tuple[object, dict[str, tuple[int, float]], int]) -> bool:
        """Go back to ``snap`` with no solver state (no basis, no solution): a solve then
        follows the same path whatever was solved on this model before. False when that is
        not possible (columns were added since, or HiGHS was abandoned): build anew.

        Why: the robust study solves one future's model with different first stages fixed,
        in whichever worker process has it; a warm basis from an earlier solve can lead
        HiGHS to another of several equally good plans, and the report would then depend on
        how the solves were spread over the workers."""
        lp, rows, n_cols = snap
        if self.abandoned or len(self.columns) != n_cols:
            return False
        self.h.passModel(lp)
        self.extra_rows = dict(rows)
        self.cancelled = False
        return True

    # --- expressions -> coefficient arrays -----------------------------------------------
    def rows_as_built(self, rows: list[int]) -> np.ndarray:
        """Whether each of ``rows`` still has the bounds it was built with (a study may have
        moved them since); reads those rows only, not the whole LP."""
        if not rows:
            return np.zeros(0, dtype=bool)
        idx = np.asarray(rows, dtype=np.int32)
        _, _, lower, upper, _ = self.h.getRows(len(idx), idx)
        return (np.asarray(lower) == self.row_lower0[idx]) & (
            np.asarray(upper) == self.row_upper0[idx]
        )

    def linear(self, expr) -> tuple[np.ndarray, np.ndarray, float]:
        """Column indices, coefficients and constant of a linear Pyomo expression.

        Cached per expression object: the named objectives are read once, however often the
        tie-break, the Pareto layer or the results evaluate them.
        """
        hit = self._linear_cache.get(id(expr))
        if hit is not None and hit[0] is expr:
            return hit[1]
        n0 = len(self.columns)
        cols: list[int] = []
        coefs: list[float] = []
        const = _linear_terms(expr, 1.0, cols, coefs, self.col_of, self.columns)
        for v in self.columns[n0:]:
            self._add_column(v, known=True)
        idx, inv = np.unique(np.asarray(cols, dtype=np.int32), return_inverse=True)
        agg = np.bincount(inv, weights=np.asarray(coefs, dtype=float), minlength=len(idx))
        out = (idx.astype(np.int32), agg.astype(float), float(const))
        self._linear_cache[id(expr)] = (expr, out)
        return out

    def _add_column(self, v, known: bool = False) -> None:
        lb = -INF if v.lb is None else float(v.lb)
        ub = INF if v.ub is None else float(v.ub)
        self.h.addVar(lb, ub)
        if known:  # already appended to self.columns / col_of by _linear_terms
            idx = self.col_of[id(v)]
            if v.is_integer() or v.is_binary():
                self.h.changeColIntegrality(idx, highspy.HighsVarType.kInteger)
            self.integer = np.append(self.integer, v.is_integer() or v.is_binary())
            return
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
    def lp_relaxation(self, time_limit: float | None = None) -> LpRelaxation | None:
        """The LP relaxation's solution, objective and duals (integrality dropped for one run
        and restored), or None when it is not solved to optimality in time
        (``lp_infeasible`` then says whether HiGHS proved it infeasible)."""
        self.lp_infeasible = False
        if not self.integer.any() or self.trivially_infeasible is not None:
            return None
        h = self.h
        n = len(self.columns)
        idx = np.arange(n, dtype=np.int32)
        kinds = np.where(
            self.integer, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        )
        h.changeColsIntegrality(n, idx, np.full(n, highspy.HighsVarType.kContinuous))
        try:
            limit = deadline.cap(time_limit)
            h.setOptionValue("time_limit", float(limit) if limit else INF)
            if limit is not None and limit <= 0.01:
                return None
            if not self._run():
                return None
            status = h.getModelStatus()
            self.lp_infeasible = status == highspy.HighsModelStatus.kInfeasible
            if status != highspy.HighsModelStatus.kOptimal:
                return None
            sol = h.getSolution()
            x = np.asarray(sol.col_value, dtype=float)
            objective = float(h.getInfo().objective_function_value)
            m = h.getNumRow()
            _, _, _, col_lower, col_upper, _ = h.getCols(n, idx)
            _, _, row_lower, row_upper, _ = h.getRows(m, np.arange(m, dtype=np.int32))
            duals = LpDuals(
                x=x,
                objective=objective,
                maximise=h.getObjectiveSense()[1] == highspy.ObjSense.kMaximize,
                col_dual=np.asarray(sol.col_dual, dtype=float),
                row_dual=np.asarray(sol.row_dual, dtype=float),
                row_value=np.asarray(sol.row_value, dtype=float),
                col_lower=np.asarray(col_lower, dtype=float),
                col_upper=np.asarray(col_upper, dtype=float),
                row_lower=np.asarray(row_lower, dtype=float),
                row_upper=np.asarray(row_upper, dtype=float),
            )
            return LpRelaxation(x, objective, duals)
        finally:
            h.changeColsIntegrality(n, idx, kinds)

    @contextlib.contextmanager
    def held(self, face: Face | None) -> Iterator[None]:
        """Hold ``face``'s column bounds (``planner.core.face``) for the block, then put back
        the bounds the columns had."""
        if face is None:
            yield
            return
        h = self.h
        _, _, _, lower, upper, _ = h.getCols(len(face.cols), face.cols)
        try:
            h.changeColsBounds(len(face.cols), face.cols, face.col_lower, face.col_upper)
            yield
        finally:
            h.changeColsBounds(len(face.cols), face.cols, np.asarray(lower), np.asarray(upper))

    def rounded_lp_start(
        self, time_limit: float | None = None, lp: tuple[np.ndarray, float] | None = None
    ) -> np.ndarray | None:
        """A MIP start: the LP relaxation's solution with every integer column rounded up.

        Why: on these models HiGHS's root bound is usually already the optimum and most of
        the time goes into finding a first good plan. Rounding modules up keeps the counted
        compute q feasible (q ≤ f·n only gets looser), keeps n non-decreasing, and turns each
        fractionally used site, provider or chip into a used one, so the rounded point is
        often feasible (it can break the budget, grid or supply caps; HiGHS then ignores it).
        ``lp``: the relaxation already solved (``lp_relaxation``). The model is left as it was.
        """
        lp = lp if lp is not None else self.lp_relaxation(time_limit)
        if lp is None:
            return None
        x = lp[0].copy()
        x[self.integer] = np.ceil(x[self.integer] - 1e-6)
        return x

    def support_mip(
        self,
        x_lp: np.ndarray,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        start: np.ndarray | None = None,
    ) -> SolveOutcome:
        """The MIP restricted to the LP relaxation's support: every integer column the LP
        solution leaves at 0 (and whose lower bound is 0) is fixed at 0; the rest stay free.

        Why: on the bundled scenarios the sovereignty stage's LP bound is already the MIP
        optimum and HiGHS spends its time on root cuts before its own sub-MIP heuristics find
        a plan; this restriction (a few dozen free integer columns of ~1,000) reaches the LP
        bound in a fraction of a second. The restriction is a *subset* of the plans, so its
        solution is feasible for the full model; it is the full model's optimum only when its
        objective reaches the full LP bound (the caller checks that, ``optimise``). Bounds
        are restored afterwards. ``start``: a known plan inside the restriction, the MIP's
        start (the robust study passes a plan and the union of its support and the LP's).
        """
        h = self.h
        ints = np.flatnonzero(self.integer).astype(np.int32)
        lp = h.getLp()
        lower = np.asarray(lp.col_lower_, dtype=float)[ints]
        upper = np.asarray(lp.col_upper_, dtype=float)[ints]
        off = (x_lp[ints] <= 1e-9) & (lower == 0.0)
        cols = ints[off]
        try:
            h.changeColsBounds(len(cols), cols, lower[off], np.zeros(len(cols)))
            return self.solve(time_limit=time_limit, mip_gap=mip_gap, start=start)
        finally:
            h.changeColsBounds(len(cols), cols, lower[off], upper[off])

    def _run(self) -> bool:
        """Run HiGHS in its thread and wait, cancelling it when the deadline passes.

        Why not ``h.solve()``: HiGHS checks its own time limit only now and then and can
        overrun it by many seconds, and highspy's Ctrl-C handling waits for HiGHS however
        long it takes. Here the wait polls every 50 ms; at the deadline, or on Ctrl-C/SIGTERM
        (raised in this thread), HiGHS is asked to stop through its interrupt callback and
        given a second. A signal is re-raised after that second whatever HiGHS does (the
        caller is exiting); on the deadline, a HiGHS that has not stopped is abandoned and
        False returned (the model is then unusable: ``self.abandoned``).
        """
        if self.abandoned:
            return False
        h = self.h
        h.startSolve()
        cancelled = False
        try:
            while True:
                done, _ = h.wait(0.05)
                if done:
                    self.cancelled = cancelled
                    return True
                if not cancelled and deadline.expired():
                    h.cancelSolve()
                    cancelled = True
                    grace = time.monotonic() + DEADLINE_GRACE
                elif cancelled and time.monotonic() > grace:
                    self.abandoned = True
                    ABANDONED.append("deadline")
                    return False
        except BaseException:
            h.cancelSolve()
            grace = time.monotonic() + 1.0
            while time.monotonic() < grace:
                try:
                    if h.wait(0.05)[0]:
                        break
                except BaseException:  # a second Ctrl-C: stop waiting
                    break
            else:
                self.abandoned = True
                ABANDONED.append("signal")
            raise

    def fixed_integer_lp(
        self,
        x: np.ndarray,
        stages: list[tuple[object, int]],
        time_limit: float | None = None,
        hold: list[tuple[object, int]] | None = None,
    ) -> np.ndarray | None:
        """Re-optimise the continuous columns with every integer column fixed at ``x``'s
        rounded value: the modules (and sites, contracts) a MIP chose stay, and only the
        split of counted compute q (and other continuous columns) moves.

        Why: HiGHS stops at a relative gap and its integer-feasible point need not split q
        optimally for the modules it bought; this LP pass makes the reported objectives the
        best for the chosen modules. ``stages`` are (expression, sense) pairs optimised
        lexicographically, each later one with the earlier ones held at their optimum;
        ``hold`` expressions are first held at least as good as at ``x`` (so a Pareto point
        the pass moves can only improve in every objective).
        Returns the new point, or None if an LP failed (callers keep ``x``). The model is
        left as it was (bounds, integrality, objective rows relaxed).
        """
        if x is None or not self.integer.any() or len(x) != len(self.columns):
            return None
        h = self.h
        n = len(self.columns)
        idx = np.arange(n, dtype=np.int32)
        ints = np.flatnonzero(self.integer).astype(np.int32)
        lp = h.getLp()
        lower = np.asarray(lp.col_lower_, dtype=float)[ints]
        upper = np.asarray(lp.col_upper_, dtype=float)[ints]
        fixed = np.clip(np.rint(x[ints]), lower, upper)
        kinds = np.where(
            self.integer, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        )
        out: np.ndarray | None = None
        held: list[str] = []
        try:
            h.changeColsBounds(len(ints), ints, fixed, fixed)
            h.changeColsIntegrality(n, idx, np.full(n, highspy.HighsVarType.kContinuous))
            limit = deadline.cap(time_limit)
            if limit is not None and limit <= 0.01:
                return None
            h.setOptionValue("time_limit", float(limit) if limit else INF)
            at_x = x.copy()
            at_x[ints] = fixed
            for expr, sense in hold or []:
                self._hold(expr, sense, self.evaluate(expr, at_x), held)
            for k, (expr, sense) in enumerate(stages):
                self.set_objective(expr, sense)
                if not self._run():  # signals raise in _run; a deadline cancel ends here
                    return None
                if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                    return None
                out = np.asarray(h.getSolution().col_value, dtype=float)
                if k < len(stages) - 1:
                    self._hold(expr, sense, self.evaluate(expr, out), held)
        finally:
            for name in held:
                self.relax_row(name)
            h.changeColsIntegrality(n, idx, kinds)
            h.changeColsBounds(len(ints), ints, lower, upper)
        if out is not None:
            out[ints] = fixed
        return out

    def _hold(self, expr, sense, value: float, held: list[str]) -> None:
        """Hold ``expr`` at least as good as ``value`` (tolerance 1e-9, relative) in an
        extra row named after the expression (set_row keys rows by name)."""
        tol = 1e-9 * max(1.0, abs(value))
        name = f"fixed_integer_lp_{id(expr)}"
        if sense == pyo.maximize:
            self.set_row(name, expr, lower=value - tol)
        else:
            self.set_row(name, expr, upper=value + tol)
        if name not in held:
            held.append(name)

    def solve(
        self,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        start: np.ndarray | None = None,
        options: dict[str, object] | None = None,
        _again: bool = False,
    ) -> SolveOutcome:
        """Run HiGHS; map its status; never raise for infeasibility or limits.

        ``options`` are HiGHS options for this run only (restored afterwards), e.g.
        ``TIE_BREAK_OPTIONS``.
        """
        if self.trivially_infeasible is not None:
            return SolveOutcome(
                "infeasible",
                None,
                None,
                None,
                0.0,
                None,
                f"constraint {self.trivially_infeasible} cannot be met by any available option",
            )
        h = self.h
        limit = deadline.cap(time_limit)
        if limit is not None and limit <= 0.01:
            return SolveOutcome(
                "time_limit_no_solution", None, None, None, 0.0, None, "no time left to solve"
            )
        h.setOptionValue("time_limit", float(limit) if limit else INF)
        if mip_gap is not None:
            h.setOptionValue("mip_rel_gap", float(mip_gap))
        if start is not None and len(start) == len(self.columns):
            sol = highspy.HighsSolution()
            sol.col_value = list(map(float, start))
            sol.value_valid = True
            h.setSolution(sol)
        saved = {k: h.getOptionValue(k)[1] for k in options or {}}
        for k, v in (options or {}).items():
            h.setOptionValue(k, v)
        t0 = time.perf_counter()
        try:
            finished = self._run()
        except (KeyboardInterrupt, deadline.TimeLimitReached):
            raise
        except Exception as exc:  # the solver itself failed
            return SolveOutcome("error", None, None, None, time.perf_counter() - t0, None, str(exc))
        finally:
            for k, v in saved.items():
                h.setOptionValue(k, v)
        seconds = time.perf_counter() - t0
        progress.solve_finished()  # one more solve for a study's progress bar, if any
        if not finished:
            return SolveOutcome(
                "time_limit_no_solution", None, None, None, seconds, None,
                "HiGHS did not stop within a second of the deadline; its result was abandoned",
            )  # fmt: skip
        ms = h.getModelStatus()
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float) if has_solution else None
        obj = float(info.objective_function_value) if has_solution else None
        bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
        gap = float(info.mip_gap) if has_solution and math.isfinite(info.mip_gap) else None
        if x is not None and not self._objective_matches(x, obj) and not _again:
            # HiGHS 1.16 can report the optimum's objective with stale columns as its
            # solution: the MIP start's, or the previous run's (seen in a cost tie-break
            # with the max-index face held, where presolve leaves little: objective 36,
            # columns costing 38). The same model passed again (no solution, no basis) and
            # solved without a start gives both right; the first run's seconds count
            left = None if time_limit is None else max(float(time_limit) - seconds, 0.05)
            if self.restore(self.snapshot()):
                again = self.solve(time_limit=left, mip_gap=mip_gap, options=options, _again=True)
                again.seconds += seconds
                return again
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
            status = "feasible" if has_solution else "time_limit_no_solution"
        elif ms == S.kModelEmpty:
            status = "optimal"
        else:
            status = "error"
        return SolveOutcome(status, obj, bound, gap, seconds, x, h.modelStatusToString(ms))

    def _objective_matches(self, x: np.ndarray, objective: float | None) -> bool:
        """Whether ``objective`` (as HiGHS reported it) is the objective of the columns ``x``
        it returned, to 1e-7 relative (``solve``)."""
        if objective is None:
            return True
        n = len(x)
        _, _, cost, _, _, _ = self.h.getCols(n, np.arange(n, dtype=np.int32))
        value = float(np.dot(np.asarray(cost, dtype=float), x)) + self.h.getObjectiveOffset()[1]
        return abs(value - objective) <= 1e-7 * max(1.0, abs(objective))

    def pad(self, x: np.ndarray) -> np.ndarray:
        """``x`` extended to every current column: columns added after it was found (an
        objective's column no row uses) at their lower bound (0 when unbounded)."""
        n = len(self.columns)
        if len(x) >= n:
            return x
        lower = np.asarray(self.h.getLp().col_lower_, dtype=float)[len(x) : n]
        return np.concatenate([x, np.where(np.isfinite(lower), lower, 0.0)])

    def evaluate(self, expr, x: np.ndarray) -> float:
        """Value of a linear expression at ``x`` without touching the Pyomo variables."""
        cols, coefs, const = self.linear(expr)
        return float(const + coefs @ x[cols]) if len(cols) else float(const)

    def _pass_names(self) -> None:
        """Give HiGHS the Pyomo names of every column and row (for readable exports)."""
        if self._named:
            return
        name_of = _names(self.model)
        for i, v in enumerate(self.columns):
            self.h.passColName(i, name_of.get(id(v), f"x{i}"))
        for i, (con, kind) in enumerate(self._rows):
            suffix = "_lo" if kind == -1 and con.has_ub() and not con.equality else ""
            self.h.passRowName(i, name_of[id(con)] + suffix)
        for name, (row, _) in self.extra_rows.items():
            self.h.passRowName(row, name)
        self._named = True

    def write(self, path: str) -> None:
        """Write exactly the model HiGHS holds (.mps or .lp, by extension)."""
        if not (path.endswith(".mps") or path.endswith(".lp")):
            raise InputError(f"{path}: export format must be .mps or .lp")
        self._pass_names()
        status = self.h.writeModel(path)
        if status == highspy.HighsStatus.kError:
            raise SolveError(f"{path}: HiGHS could not write the model")
