"""Why is a scenario infeasible, and what is the smallest change that fixes it?

``diagnose(scenario) -> Diagnosis`` answers in three steps, all on the one persistent HiGHS
model that ``planner.core.prepare.prepare`` builds (no rebuild per experiment):

1. **Screens** (before any solve): bounds that need no optimisation, e.g. a period's target
   above what every candidate country's grid power could host, or a budget below what the
   cheapest option would cost for the target. Each is a valid lower bound, so a screen that
   fires proves infeasibility; its message is direct.
2. **One limit at a time.** Every enforced soft limit (budget, energy-cost and emissions
   caps, the average electricity price, the share limits, the home floor, minimum provider
   and chip-designer counts, N-1 resilience and the target itself) is turned into a variable
   θ: each row of the limit's family ``body ⋚ θ0·c_r`` becomes ``body − c_r·θ ⋚ 0`` (one new
   HiGHS column with an entry in each row), the other limits stay in force, and θ is
   optimised towards its current value. If the model stays infeasible the limit alone is not
   the culprit; otherwise θ* is the tightest value that works (exact up to the MIP gap; the
   average electricity price, whose limit multiplies a variable sum, uses Dinkelbach's
   method instead).
3. **Jointly (elastic model).** All limit variables at once, each with a penalty per unit of
   relative relaxation (target cuts cost ten times more than policy limits), minimise the
   weighted total. The solution says which limits conflict together and by how much; the
   suggested values are measured on it.

Every suggestion is then **verified**: the scenario is rebuilt with the suggested value and
re-solved; ``verified`` is True only if HiGHS finds a feasible plan.

Choice documented in README: a screen does not raise ``InputError`` (the scenario is valid,
just impossible); ``planner.core.solve`` returns a plan with status ``infeasible``, skips the main
solve, and attaches the diagnosis (``plan.diagnosis``), so the CLI prints the paragraph and
exits 1.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py

from planner.core import deadline as clock
from planner.core.data import Tables
from planner.core.errors import InputError
from planner.core.prepare import Prepared, prepare
from planner.core.scenario import Scenario, apply_overrides, scenario_from_mapping
from planner.core.screens import money as _money
from planner.core.screens import screen

if TYPE_CHECKING:  # pragma: no cover
    from planner.core.highs_backend import SolveOutcome

INF = highspy.kHighsInf
FEASIBLE = ("optimal", "feasible")
#: Penalty per unit of relative target cut in the elastic model (policy limits cost 1).
TARGET_PENALTY = 10.0
#: The budget row of the diagnostic model (added by hand; see ``_laboratory``).
BUDGET_ROW = "diagnose_budget"


# --- results ------------------------------------------------------------------------------


@dataclass
class Relaxation:
    """One suggested change: ``limit`` (a scenario field) from ``current`` to ``suggested``."""

    limit: str
    current: Any
    suggested: Any
    verified: bool
    kind: str  # "single": restores feasibility alone | "combined": part of the elastic fix
    change: str  # the change in words, e.g. "raise budget from 3 to 4 MUSD (short by 1 MUSD)"


@dataclass
class Diagnosis:
    """What makes a scenario infeasible and the smallest verified relaxations."""

    feasible: bool
    summary: str
    relaxations: list[Relaxation] = field(default_factory=list)
    screens: list[str] = field(default_factory=list)
    not_alone: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "summary": self.summary,
            "relaxations": [asdict(r) for r in self.relaxations],
            "screens": list(self.screens),
            "not_alone": list(self.not_alone),
            "seconds": self.seconds,
        }


# --- formatting and rounding --------------------------------------------------------------


def _round_sig(v: float, up: bool, digits: int = 4) -> float:
    """Round to ``digits`` significant digits, up or down (loosening direction)."""
    if v == 0 or not math.isfinite(v):
        return v
    unit = 10 ** (math.floor(math.log10(abs(v))) - digits + 1)
    q = v / unit
    q = math.ceil(q - 1e-9) if up else math.floor(q + 1e-9)
    return float(round(q * unit, 12))


def _round_share(v: float, up: bool) -> float:
    q = v * 1000
    q = math.ceil(q - 1e-6) if up else math.floor(q + 1e-6)
    return min(1.0, max(0.0, q / 1000))


# --- the limits ---------------------------------------------------------------------------


@dataclass
class _Limit:
    """A soft limit: scenario field, current value, its rows, direction and units."""

    field: str  # dotted scenario key
    label: str
    current: Any
    families: list[str]  # Pyomo constraint components holding its rows
    loosen: str  # "up": relax by raising (caps, max shares) | "down": by lowering
    unit: str  # "money" | "share" | "count" | "kt" | "usd_mwh" | "target"
    per_target: bool  # row bound is θ·D_t (else θ·1)
    upper: float = INF  # bound on θ when loosening up


def _limits(prep: Prepared, budget: float | None) -> list[_Limit]:
    inp, m = prep.inputs, prep.model
    out: list[_Limit] = []

    def add(field_, label, value, fam, loosen, unit, per_target, upper=INF):
        if value is not None and (hasattr(m, fam) or fam in prep.highs.extra_rows):
            out.append(_Limit(field_, label, value, [fam], loosen, unit, per_target, upper))

    add("budget", "budget", budget, BUDGET_ROW, "up", "money", False)
    add(
        "energy_cost_cap",
        "energy cost cap",
        inp.energy_cost_cap,
        "energy_cost_cap",
        "up",
        "money",
        False,
    )
    add("emissions_cap_kt", "emissions cap", inp.emissions_cap, "emissions_cap", "up", "kt", False)
    add(
        "max_avg_electricity_price_usd_per_mwh",
        "average electricity price cap",
        inp.max_avg_electricity_price,
        "avg_electricity_price",
        "up",
        "usd_mwh",
        False,
    )
    if inp.share_basis == "installed":
        # Σ_g f·n ≤ θ·X_t: θ multiplies a variable, so these are relaxed by their own rule
        # (``_installed_cap``, ``_Installed``), not by a θ column in the row bound
        for name, fam in INSTALLED_FAMILIES:
            add(
                f"limits.{name}", name, getattr(inp, name), fam, "up", "installed_share", False, 1.0
            )
    else:
        for name, fam in (
            ("max_share_provider", "share_provider"),
            ("max_share_chip_designer", "share_designer"),
            ("max_share_foreign_jurisdiction", "share_foreign"),
        ):
            add(f"limits.{name}", name, getattr(inp, name), fam, "up", "share", True, 1.0)
    add(
        "limits.min_home_share",
        "min_home_share",
        inp.min_home_share,
        "home_floor",
        "down",
        "share",
        True,
    )
    if inp.min_providers:
        add(
            "limits.min_providers",
            "min_providers",
            inp.min_providers,
            "min_providers",
            "down",
            "count",
            False,
        )
    if inp.min_chip_designers:
        add(
            "limits.min_chip_designers",
            "min_chip_designers",
            inp.min_chip_designers,
            "min_chip_designers",
            "down",
            "count",
            False,
        )
    add("limits.resilience", "resilience", inp.resilience, "n_minus_1", "down", "share", True)
    out.append(_Limit("target", "target", 1.0, ["target_met"], "down", "target", True))
    return out


#: share caps on installed capacity (``models.constraints.add_installed_shares``)
INSTALLED_FAMILIES = (
    ("max_share_provider", "installed_share_provider"),
    ("max_share_chip_designer", "installed_share_designer"),
    ("max_share_foreign_jurisdiction", "installed_share_foreign"),
    ("max_share_country", "installed_share_country"),
)


# --- the laboratory: experiments on the live HiGHS model -----------------------------------


class _Lab:
    """Parametric and elastic experiments on a prepared model; every change is undone."""

    def __init__(self, prep: Prepared, deadline: float, mip_gap: float) -> None:
        self.prep = prep
        self.hm = prep.highs
        self.h = prep.highs.h
        self.deadline = deadline
        self.mip_gap = mip_gap
        self.ncols0 = self.h.getNumCol()
        #: periods whose target the existing systems meet on their own: a target cut there
        #: changes nothing, so the target experiments leave those periods as asked
        self.met = met_by_existing(prep)
        lp = self.h.getLp()
        self.lower0 = np.asarray(lp.row_lower_, dtype=float)
        self.upper0 = np.asarray(lp.row_upper_, dtype=float)
        self.notes: list[str] = []

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def _rows(self, family: str) -> list[tuple[int, Any]]:
        if family in self.hm.extra_rows:
            return [(self.hm.extra_rows[family][0], None)]
        comp = getattr(self.prep.model, family, None)
        rows = []
        if comp is None:
            return rows
        for idx, con in comp.items():
            row = self.hm.row_of.get(id(con))
            if row is not None:
                rows.append((int(row), idx))
        return rows

    def _period(self, idx: Any) -> int | None:
        t = idx[-1] if isinstance(idx, tuple) else idx
        return t if t in self.prep.inputs.target else None

    def entries(
        self, lim: _Limit, scale_target: float = 1.0, target_scaled: bool = False
    ) -> list[tuple[int, float, str]]:
        """(row, c_r, sense) with the row reading ``body ⋚ θ·c_r``; ``target_scaled``: the
        rows a target cut scales, so none of a period the existing systems already meet."""
        out = []
        if lim.unit == "installed_share":
            # an elastic column z (EFLOP/s): Σ_g f·n − θ·X_t − z ≤ 0 in every row
            return [(row, 1.0, "<=") for fam in lim.families for row, _ in self._rows(fam)]
        for fam in lim.families:
            for row, idx in self._rows(fam):
                if target_scaled and self._period(idx) in self.met:
                    continue
                lo, up = self.lower0[row], self.upper0[row]
                sense = "=" if lo == up else ("<=" if lo <= -INF else ">=")
                bound = up if sense == "<=" else lo
                t = self._period(idx)
                semantic = (
                    self.prep.inputs.target[t] if lim.per_target and t is not None else 1.0
                ) * scale_target
                cur = float(lim.current)
                c = bound / cur if cur != 0 else semantic
                if cur != 0 and not math.isclose(c, semantic, rel_tol=1e-6, abs_tol=1e-9):
                    self.notes.append(
                        f"{fam}: row bound is not {lim.label} x target; scaled as found"
                    )
                out.append((row, c, sense))
        return out

    def with_columns(
        self,
        columns: list[tuple[list[tuple[int, float, str]], float, float, float]],
        relax: list[int] = (),
        time_limit: float | None = None,
    ) -> SolveOutcome | None:
        """Add one column per (entries, lower, upper, cost); solve min Σ cost·θ; undo.

        ``relax`` rows are made free for the experiment. Returns None without time left.
        """
        left = self.remaining() if time_limit is None else min(time_limit, self.remaining())
        if left <= 0.05:
            return None
        h = self.h
        touched: set[int] = set(relax)
        try:
            for row in relax:
                h.changeRowBounds(row, -INF, INF)
            for entries, lo, up, cost in columns:
                rows = np.array([r for r, _, _ in entries], dtype=np.int32)
                vals = np.array([-c for _, c, _ in entries], dtype=float)
                h.addCol(float(cost), float(lo), float(up), len(rows), rows, vals)
                for r, _, sense in entries:
                    touched.add(r)
                    h.changeRowBounds(
                        r,
                        0.0 if sense in ("=", ">=") else -INF,
                        0.0 if sense in ("=", "<=") else INF,
                    )
            n = h.getNumCol()
            costs = np.zeros(n)
            costs[self.ncols0 :] = [c for _, _, _, c in columns]
            h.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
            h.changeObjectiveOffset(0.0)
            h.changeObjectiveSense(highspy.ObjSense.kMinimize)
            return self.hm.solve(time_limit=left, mip_gap=self.mip_gap)
        finally:
            extra = h.getNumCol() - self.ncols0
            if extra:
                h.deleteCols(extra, np.arange(self.ncols0, self.ncols0 + extra, dtype=np.int32))
            for row in touched:
                h.changeRowBounds(row, self.lower0[row], self.upper0[row])

    def restore_objective(self) -> None:
        m = self.prep.model
        self.hm.set_objective(m.sovereignty.expr, pyo.maximize)

    def value(self, expr, x: np.ndarray) -> float:
        return self.hm.evaluate(expr, x[: len(self.hm.columns)])


class _Installed:
    """The rows of one installed-share family on the live model: each reads
    N_{g,t} − θ·X_t ≤ 0 (or its negation), N the group's installed capacity. Measures the
    largest share N/X a solution has, and moves θ (the coefficient of X_t) in place."""

    def __init__(self, lab: _Lab, lim: _Limit) -> None:
        self.h = lab.h
        m = lab.prep.model
        self.rows: list[tuple[int, int, float, np.ndarray, np.ndarray]] = []
        for fam in lim.families:
            for row, idx in lab._rows(fam):
                t = lab._period(idx)
                col = lab.hm.col_of[id(m.X[t])]
                _, _, cols, vals = self.h.getRowsEntries(1, np.array([row], dtype=np.int32))
                coef = float(vals[list(cols).index(col)])
                self.rows.append((row, col, coef, np.asarray(cols), np.asarray(vals, float)))

    def largest_share(self, x: np.ndarray) -> float:
        """max over rows of N_{g,t}/X_t at ``x`` (0 where nothing is installed)."""
        out = 0.0
        for _, col, coef, cols, vals in self.rows:
            x_t = float(x[col])
            if x_t <= 1e-9:
                continue
            activity = float(vals @ x[cols])
            # row = sign·(N − |coef|·X): N = sign·activity + |coef|·X
            sign = 1.0 if coef < 0 else -1.0
            n = sign * activity + abs(coef) * x_t
            out = max(out, n / x_t)
        return out

    def set_cap(self, theta: float) -> None:
        for row, col, coef, _, _ in self.rows:
            self.h.changeCoeff(row, col, -theta if coef < 0 else theta)

    def restore(self) -> None:
        for row, col, coef, _, _ in self.rows:
            self.h.changeCoeff(row, col, coef)


def _installed_cap(
    lab: _Lab, lim: _Limit, time_limit: float | None = None
) -> tuple[str, float | None]:
    """The least installed-share cap θ* with which the model is feasible (other limits in
    force), by Dinkelbach's method for a largest ratio: at θ_k minimise z subject to
    N_{g,t} − θ_k·X_t ≤ z for every row (z free); z* ≤ 0 iff θ_k is achievable, and the
    solution's largest share N/X is the next θ (achievable, ≥ θ*; the sequence falls to θ*).
    Why not a θ column as for the counted caps: θ multiplies the variable X_t."""
    rows = _Installed(lab, lim)
    entries = lab.entries(lim)
    if not entries:
        return "alone_not_enough", None
    scale = max(1.0, max(lab.prep.inputs.target.values()))
    theta, best = float(lim.current), None
    share = time_limit / 4 if time_limit is not None else None
    try:
        for _ in range(8):
            rows.set_cap(theta)
            out = lab.with_columns([(entries, -INF, INF, 1.0)], time_limit=share)
            if out is None:
                break
            if out.status in ("infeasible", "infeasible_or_unbounded"):
                return "alone_not_enough", None
            if out.status not in FEASIBLE or out.x is None:
                break
            z = float(out.x[lab.ncols0])
            ratio = rows.largest_share(out.x)
            if z <= 1e-7 * scale:
                best = ratio if best is None else min(best, ratio)
            if abs(z) <= 1e-7 * scale or (best is not None and ratio >= theta - 1e-9):
                break
            theta = ratio
    finally:
        rows.restore()
    if best is None:
        return "unknown", None
    return "ok", max(best, float(lim.current))


def held_in_service(prep: Prepared) -> list[str]:
    """Under installed caps: the systems the plan cannot drop in a period (committed, not
    retirable, or contracted projects: n fixed at 1) whose group holds more than the cap's
    share of that period's target, so the cap needs more installed than the target
    (X_t ≥ F_{g,t}/θ): one sentence per systems and period, naming each cap they exceed and
    the capacity it then asks for."""
    inp = prep.inputs
    if inp.share_basis != "installed":
        return []
    opt = inp.options
    f = opt["compute"].to_numpy(float)
    names = (
        opt["existing_name"].fillna("").astype(str).to_numpy()
        if "existing_name" in opt.columns
        else np.array([""] * len(opt))
    )
    groups = {
        "max_share_provider": ("provider", inp.by_provider),
        "max_share_chip_designer": ("designer", inp.by_designer),
        "max_share_foreign_jurisdiction": ("", inp.by_dependency),
        "max_share_country": ("country", inp.by_country),
    }
    found: dict[tuple[tuple[str, ...], int], dict[str, Any]] = {}
    for name, (what, by) in groups.items():
        cap = getattr(inp, name)
        if cap is None or cap <= 0:
            continue
        for key, idx in by.items():
            for t in inp.periods:
                held = [a for a in idx if inp.fixed_modules.get((a, t), 0.0) >= 1.0]
                amount = float(sum(f[a] for a in held))
                if not held or amount <= cap * inp.target[t] * (1 + 1e-9):
                    continue
                systems = tuple(sorted({names[a] or f"option {a}" for a in held}))
                entry = found.setdefault((systems, t), {"amount": amount, "caps": {}, "floor": 0.0})
                entry["amount"] = max(entry["amount"], amount)
                entry["caps"].setdefault((name, cap), []).append(f"{what} {key}".strip())
                entry["floor"] = max(entry["floor"], amount / cap)
    out = []
    for (systems, t), e in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        need = inp.target[t]
        caps = "; ".join(
            f"{name} {cap:g} ({', '.join(keys)})" for (name, cap), keys in e["caps"].items()
        )
        out.append(
            f"{', '.join(systems)} ({e['amount']:,.4g} EFLOP/s in {t}, in service and not the "
            f"plan's to drop) {'hold' if len(systems) > 1 else 'holds'} more than the cap's share of the {t} target of "
            f"{need:,.4g} under {caps}: the caps need at least {e['floor']:,.4g} EFLOP/s "
            f"installed in {t}, {e['floor'] - need:,.4g} beyond the target"
        )
    return out


# --- per-limit and joint experiments -------------------------------------------------------


def _single(
    lab: _Lab, lim: _Limit, all_limits: list[_Limit], time_limit: float | None = None
) -> tuple[str, float | None]:
    """('ok', θ*) | ('alone_not_enough', None) | ('unknown', None): out of time |
    ('failed', None): the solver failed. ``time_limit``: this experiment's part."""
    if lim.field == "max_avg_electricity_price_usd_per_mwh":
        return _avg_price(lab, lim)
    if lim.unit == "installed_share":
        return _installed_cap(lab, lim, time_limit)
    if lim.field == "target":
        # λ scales the target and every row whose bound is proportional to it, in the
        # periods the existing systems do not already meet
        entries = lab.entries(lim, target_scaled=True)
        if not entries:
            return "alone_not_enough", None
        for other in all_limits:
            if other.per_target and other.field != "target":
                for row, c, sense in lab.entries(other, target_scaled=True):
                    entries.append((row, c * float(other.current), sense))
        columns = [(entries, 0.0, 1.0, -1.0)]
    elif lim.loosen == "up":
        columns = [(lab.entries(lim), float(lim.current), lim.upper, 1.0)]
    else:
        columns = [
            (lab.entries(lim), -INF if lim.unit == "count" else 0.0, float(lim.current), -1.0)
        ]
    out = lab.with_columns(columns, time_limit=time_limit)
    if out is None:
        return "unknown", None
    if out.status in FEASIBLE and out.x is not None:
        return "ok", float(out.x[lab.ncols0])
    if out.status in ("infeasible", "infeasible_or_unbounded"):
        return "alone_not_enough", None
    if out.status in ("time_limit_no_solution", "interrupted"):
        return "unknown", None
    return "failed", None


def _avg_price(lab: _Lab, lim: _Limit) -> tuple[str, float | None]:
    """Dinkelbach: the least energy-weighted average price any feasible plan reaches."""
    m, inp = lab.prep.model, lab.prep.inputs
    rows = [r for r, _ in lab._rows("avg_electricity_price")]
    gwh = inp.options["energy_gwh"].to_numpy(float)
    served = inp.service_years  # years in service, as the model's energy cost counts them
    weight = pyo.quicksum(
        inp.discount[t] * float(served[a, i]) * float(gwh[a]) * m.n[a, t]
        for i, t in enumerate(inp.periods)
        for a in inp.options.index
    )
    hm = lab.hm
    price = float(lim.current)
    x_best = None
    for _ in range(8):
        if lab.remaining() <= 0.05:
            break
        for r in rows:
            lab.h.changeRowBounds(r, -INF, INF)
        try:
            hm.set_objective(m.energy_cost.expr - price / 1000.0 * weight, pyo.minimize)
            out = hm.solve(time_limit=lab.remaining(), mip_gap=lab.mip_gap)
        finally:
            for r in rows:
                lab.h.changeRowBounds(r, lab.lower0[r], lab.upper0[r])
        if out.x is None:
            return ("alone_not_enough", None) if out.status == "infeasible" else ("unknown", None)
        w = hm.evaluate(weight, out.x)
        if w <= 0:
            return "ok", 0.0
        new = hm.evaluate(m.energy_cost.expr, out.x) * 1000.0 / w
        x_best = out.x
        if new >= price - 1e-9 * max(1.0, price):
            price = new
            break
        price = new
    return ("ok", price) if x_best is not None else ("unknown", None)


def _round(lim: _Limit, v: float) -> Any:
    up = lim.loosen == "up"
    if lim.unit in ("share", "installed_share"):
        return _round_share(v, up)
    if lim.unit == "count":
        return int(math.floor(v + 1e-6))
    if lim.unit == "target":
        return v
    return _round_sig(v, up)


def met_by_existing(prep: Prepared) -> set[int]:
    """Periods whose target the existing systems that may serve then deliver on their own
    (in service in that period; a retirable one counts, as keeping it meets the target: a
    target cut there is never the advice, whatever else is short)."""
    inp = prep.inputs
    if not inp.existing:
        return set()
    f = inp.options["compute"].to_numpy(float)
    out = set()
    for t, d in inp.target.items():
        have = sum(f[a] * inp.fixed_modules.get((a, t), 1.0) for a in inp.existing)
        if have >= d * (1 - 1e-9):
            out.add(t)
    return out


def _target_value(prep: Prepared, lam: float, met: set[int] = frozenset()) -> dict[int, float]:
    """The target cut by λ, except in the ``met`` periods (kept as asked)."""
    return {
        t: d if t in met else _round_sig(lam * d, up=False) for t, d in prep.inputs.target.items()
    }


def _describe(lim: _Limit, current: Any, suggested: Any, single: bool = False) -> str:
    if lim.unit == "target":
        parts = ", ".join(
            f"{t}: {current[t]:,.4g} → {suggested[t]:,.4g}"
            for t in current
            if not math.isclose(current[t], suggested[t])
        )
        total0, total1 = sum(current.values()), sum(suggested.values())
        pct = 100 * total1 / total0 if total0 else 0
        return f"lower the target to {pct:.0f}% of what is asked ({parts} EFLOP/s)"
    if lim.unit == "money":
        least = (
            ": the least a plan meeting every other limit costs (a cost-minimising solve)"
            if lim.field == "budget" and single
            else ""
        )
        return (
            f"raise {lim.field} from {_money(current)} to {_money(suggested)} "
            f"(short by {_money(suggested - current)}){least}"
        )
    if lim.unit == "kt":
        return f"raise {lim.field} from {current:,.4g} to {suggested:,.4g} kt CO2e"
    if lim.unit == "usd_mwh":
        return f"raise {lim.field} from {current:,.4g} to {suggested:,.4g} USD/MWh"
    verb = "raise" if lim.loosen == "up" else "lower"
    name = lim.field.split(".")[-1]
    if lim.unit == "installed_share":
        return f"{verb} {name} from {current:g} to {suggested:g} (of installed capacity)"
    if lim.unit == "count":
        return f"{verb} {name} from {current} to {suggested}"
    return f"{verb} {name} from {current:g} to {suggested:g}"


def _joint(lab: _Lab, limits: list[_Limit]) -> dict[str, Any] | None:
    """The elastic model: every limit a variable, penalised per unit of relative loosening."""
    columns = []
    used = []
    eflops = max(1.0, max(lab.prep.inputs.target.values()))
    for lim in limits:
        cur = float(lim.current)
        entries = lab.entries(lim)
        if not entries:
            continue
        if lim.unit == "installed_share":
            # excess installed capacity z ≥ 0 (EFLOP/s), priced per largest target; the
            # suggested cap is the largest share measured on the solution
            columns.append((entries, 0.0, INF, 1.0 / eflops))
        elif lim.field == "target":
            entries = lab.entries(lim, target_scaled=True)
            if not entries:
                continue  # before ``used``: its column index must match ``columns``
            columns.append((entries, 0.0, 1.0, -TARGET_PENALTY))
        elif lim.loosen == "up":
            scale = 1.0 if lim.unit == "share" else max(abs(cur), 1e-6)
            columns.append((entries, cur, lim.upper, 1.0 / scale))
        else:
            scale = 1.0 if lim.unit == "share" else max(abs(cur), 1.0)
            columns.append((entries, 0.0 if lim.unit != "count" else -INF, cur, -1.0 / scale))
        used.append(lim)
    out = lab.with_columns(columns)
    if out is None or out.x is None:
        return None
    values = {}
    for i, lim in enumerate(used):
        if lim.unit == "installed_share":
            values[lim.field] = max(float(lim.current), _Installed(lab, lim).largest_share(out.x))
        else:
            values[lim.field] = float(out.x[lab.ncols0 + i])
    return values


def _laboratory(prep: Prepared) -> Prepared:
    """The model experiments run on.

    A budget also bounds each option's module count (``planner.core.inputs``), so relaxing the
    budget row alone would still be held by those bounds. With a budget, the model is rebuilt
    without it (bounds from grid power and the target only) and the budget added as one row.
    Share caps also strengthen the counted links (σ_g, ``models.constraints``): with a share
    limit the model is rebuilt with plain links, so relaxing a share row relaxes the limit.
    """
    budget = prep.inputs.budget
    inp = prep.inputs
    shares = (
        inp.max_share_provider,
        inp.max_share_chip_designer,
        inp.max_share_foreign_jurisdiction,
        inp.max_share_country,
    )
    if budget is None and all(v is None for v in shares):
        return prep
    sc = prep.scenario.model_copy(deep=True)
    if budget is not None:
        sc.constraints.budget = False
    lab = prepare(sc, tables=prep.tables, link_share_caps=False)
    if budget is not None:
        lab.highs.set_row(BUDGET_ROW, lab.model.total_cost.expr, upper=float(budget))
    return lab


def _with_value(sc: Scenario, changes: dict[str, Any]) -> Scenario:
    raw = sc.model_dump(mode="python")
    return scenario_from_mapping(apply_overrides(raw, changes), source=f"<{sc.name} relaxed>")


def _check(
    base: Scenario, changes: dict[str, Any], tables: Tables, time_limit: float, build_s: float
) -> bool:
    """Rebuild the scenario with ``changes`` and look for any feasible plan (zero objective).

    Skipped (False, "not verified") when less time is left than a rebuild took before."""
    if time_limit <= 0.05 or time_limit < build_s:
        return False
    try:
        with clock.scope(time_limit):
            prep = prepare(_with_value(base, changes), tables=tables)
    except (InputError, clock.TimeLimitReached):
        return False
    h = prep.highs.h
    n = h.getNumCol()
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
    h.changeObjectiveOffset(0.0)
    if screen(prep):
        return False
    out = prep.highs.solve(time_limit=time_limit, mip_gap=1.0)
    return out.status in FEASIBLE


# --- entry points -------------------------------------------------------------------------


def diagnose(
    scenario: Scenario | str,
    tables: Tables | None = None,
    time_limit: float | None = None,
    verify: bool = True,
) -> Diagnosis:
    """Explain why ``scenario`` is infeasible (or say that it is feasible)."""
    prep = prepare(scenario, tables=tables)
    return diagnose_prepared(prep, time_limit=time_limit, verify=verify)


def diagnose_prepared(
    prep: Prepared,
    time_limit: float | None = None,
    verify: bool = True,
    screens: list[str] | None = None,
) -> Diagnosis:
    """``diagnose`` on an already prepared model (what
    ``planner.studies.solving.solve_and_diagnose`` hands over)."""
    t0 = time.perf_counter()
    sc = prep.scenario
    limit = float(clock.cap(time_limit if time_limit is not None else sc.solver.time_limit))
    screens = screen(prep) if screens is None else screens
    budget = prep.inputs.budget
    build_s = sum(prep.timings.values())
    try:
        if limit < build_s and budget is not None:
            raise clock.TimeLimitReached("no time left to rebuild the model without the budget")
        with clock.scope(limit):
            prep = _laboratory(prep)
    except clock.TimeLimitReached:
        return Diagnosis(
            False,
            _summary(sc, screens, [], [], [], ran_out=limit),
            screens=list(screens),
            seconds=time.perf_counter() - t0,
        )
    lab = _Lab(prep, t0 + limit, sc.solver.mip_gap)
    limits = _limits(prep, budget)
    try:
        if not screens:
            base = lab.with_columns([], time_limit=limit / 4)
            if base is not None and base.status in FEASIBLE:
                return Diagnosis(
                    True,
                    f"{sc.name} is feasible: a plan meets every limit, nothing needs relaxing.",
                    seconds=time.perf_counter() - t0,
                )
        singles: list[tuple[_Limit, Any]] = []
        not_alone: list[str] = []
        unknown: list[str] = []
        failed: list[str] = []
        for lim in limits:
            state, theta = _single(lab, lim, limits)
            if state == "ok" and lim.unit == "target" and (theta or 0.0) <= 1e-9:
                not_alone.append(lim.field)  # nothing at all can be delivered
            elif state == "ok" and theta is not None:
                if lim.unit == "target":
                    singles.append((lim, _target_value(prep, theta, lab.met)))
                else:
                    singles.append((lim, _round(lim, theta)))
            elif state == "alone_not_enough":
                not_alone.append(lim.field)
            elif state == "failed":
                failed.append(lim.field)
            else:
                unknown.append(lim.field)
        joint = _joint(lab, limits)
    finally:
        lab.restore_objective()

    tables = prep.tables
    relaxations: list[Relaxation] = []
    target0 = dict(prep.inputs.target)

    def current_of(lim: _Limit) -> Any:
        return target0 if lim.field == "target" else lim.current

    def budget_left() -> float:
        return max(0.0, lab.remaining())

    for lim, value in singles:
        cur = current_of(lim)
        if value == cur:
            continue
        ok = (
            _check(sc, {lim.field: value}, tables, min(budget_left(), limit / 2), build_s)
            if verify
            else False
        )
        relaxations.append(
            Relaxation(lim.field, cur, value, ok, "single", _describe(lim, cur, value, single=True))
        )

    if any(lim.unit == "installed_share" for lim in limits) and verify:
        # the caps on counted compute instead: what the scenario asked before choosing a basis
        switch = {"limits.share_basis": "counted"}
        if _check(sc, switch, tables, min(budget_left(), limit / 2), build_s):
            relaxations.append(
                Relaxation(
                    "limits.share_basis",
                    "installed",
                    "counted",
                    True,
                    "single",
                    "set limits.share_basis from installed to counted (the caps then bound "
                    "counted compute only: capacity above them runs, uncounted)",
                )
            )

    combined: list[Relaxation] = []
    if joint is not None:
        changes: dict[str, Any] = {}
        by_field = {lim.field: lim for lim in limits}
        lam = joint.get("target", 1.0)
        for fld, theta in joint.items():
            lim = by_field[fld]
            if lim.field == "target":
                if theta < 1 - 1e-6:
                    changes[fld] = _target_value(prep, theta, lab.met)
                continue
            if lim.per_target and lam < 1 - 1e-6:
                # shares were held against the full target; restate them against the cut one
                scaled = theta / max(lam, 1e-9)
                if lim.loosen == "up":
                    theta = min(lim.upper, max(float(lim.current), scaled))
                else:
                    theta = min(float(lim.current), scaled)
            value = _round(lim, theta)
            if value != lim.current:
                changes[fld] = value
        multi = len(changes) > 1 or not relaxations
        if changes and multi:
            ok = (
                _check(sc, changes, tables, min(budget_left(), limit / 2), build_s)
                if verify
                else False
            )
            for fld, value in changes.items():
                lim = by_field[fld]
                cur = current_of(lim)
                combined.append(
                    Relaxation(fld, cur, value, ok, "combined", _describe(lim, cur, value))
                )
    relaxations.extend(combined)
    skipped = verify and budget_left() < build_s and any(not r.verified for r in relaxations)
    out_of_time = bool(unknown) or lab.remaining() <= 0.05 or skipped
    summary = _summary(
        sc, screens, relaxations, not_alone, unknown, ran_out=limit if out_of_time else None,
        failed=failed, held=held_in_service(prep),
    )  # fmt: skip
    return Diagnosis(
        False,
        summary,
        relaxations,
        list(screens),
        not_alone,
        seconds=time.perf_counter() - t0,
    )


def _summary(
    sc: Scenario,
    screens: list[str],
    relaxations: list[Relaxation],
    not_alone: list[str],
    unknown: list[str],
    ran_out: float | None = None,
    failed: list[str] = (),
    held: list[str] = (),
) -> str:
    parts = [f"Scenario '{sc.name}' is infeasible: no plan meets every limit at once."]
    if screens:
        parts.append("Before solving: " + "; ".join(screens) + ".")
    if held:
        parts.append(
            "The share caps are on installed capacity (limits.share_basis: installed), and "
            + "; ".join(held)
            + "."
        )
    singles = [r for r in relaxations if r.kind == "single"]
    combined = [r for r in relaxations if r.kind == "combined"]

    def tag(r: Relaxation) -> str:
        return "" if r.verified else " [not verified]"

    if singles:
        parts.append(
            "Any one of these changes restores feasibility (each checked by re-solving): "
            + "; or ".join(r.change + tag(r) for r in singles)
            + "."
        )
    if combined:
        verified = combined[0].verified
        lead = "No single change is enough; together" if not singles else "Alternatively, together"
        parts.append(
            f"{lead}, the smallest combined relaxation the elastic model finds is: "
            + "; ".join(r.change for r in combined)
            + (" (checked by re-solving)." if verified else " (not verified by re-solving).")
        )
    if not singles and not combined:
        parts.append(
            "No relaxation of the soft limits was found within the time limit; the hard "
            "constraints (grid power, supply caps, export controls, build-out) may conflict."
        )
    if not_alone:
        parts.append("Relaxing any of " + ", ".join(not_alone) + " alone does not help.")
    if unknown:
        parts.append("Not examined (time limit): " + ", ".join(unknown) + ".")
    if failed:
        parts.append("Not examined (the solver failed): " + ", ".join(failed) + ".")
    if ran_out is not None:
        parts.append(
            f"The diagnosis had {max(ran_out, 0.0):.3g} s (what the time limit left after "
            "solving), not enough for every experiment; give a larger --time-limit for a "
            "complete, verified answer."
        )
    return " ".join(parts)


def attach(plan: Any, prep: Prepared, screens: list[str], time_limit: float | None) -> None:
    """Give an infeasible plan its diagnosis (``plan.diagnosis`` dict); others are left alone."""
    if plan.status not in ("infeasible", "infeasible_or_unbounded"):
        return
    diag = diagnose_prepared(prep, time_limit=time_limit, screens=screens)
    if diag.feasible:
        return
    if plan.status == "infeasible_or_unbounded":
        plan.status = "infeasible"
    plan.message = (
        "Shown infeasible before solving, by a bound that needs no solve (below)."
        if screens
        else "HiGHS proved that no plan meets every limit."
    )
    plan.diagnosis = diag.to_dict()
