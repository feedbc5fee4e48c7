"""What a plan keeps when a supplier cuts it off from a year: one rule for N-1 and stress.

A cut names a supplier and a year Y. From Y, per option of the plan:

- **lost at once**: capacity on the cut jurisdiction's territory, or run by a provider
  headquartered there (its services stop), or run by a cut provider;
- **installed chips keep running**: capacity whose chip depends on the cut (designer or
  foundry in the cut jurisdiction, or the cut designer) can no longer be bought new; what
  was installed before Y keeps running without vendor support, so failures are not replaced:
  after L years it keeps κ(L) = min(1, (1 − φ)^L + s) of its compute (φ the annual failure
  rate, s the spares bought with an owned module, ``economics.spares_share``);
- everything else is kept.

Periods: period t stands for the years [t, t + y_t). A period is *affected* by a cut from Y
if it ends after Y (t + y_t > Y); periods before are untouched. In an affected period the
modules *installed before the cut* are those in service in period t itself when t starts
before Y, else those in service both in t and in the last period that starts before Y (an
existing system counts when it entered service before Y); they have run L = t + y_t − Y
years without support by the end of t (the period must hold through its last year).

N-1 (the model's ``add_resilience`` and the plan's resilience table) is the cut at the start
of each period (Y = t): modules in service in t − 1 keep running in t, minus failures over
the y_t years of t. ``kept_table`` computes both; the plan's one worst case
(``worst_case``) is read from the N-1 table, and every face prints ``worst_case_sentence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Columns a plan's rows need for the cut rule (one row per option and period).
ROW_COLUMNS = ("option", "period", "modules", "compute_eflops", "existing", "since", "spares")


@dataclass(frozen=True)
class CutRule:
    """The periods, their lengths and the failure rate the rule needs."""

    periods: tuple[int, ...]
    years: dict[int, float]
    failure_rate: float

    def survival(self, years_unsupported: float, spares: float | np.ndarray) -> Any:
        """κ(L) = min(1, (1 − φ)^L + s): compute kept by installed chips after L years."""
        left = (1.0 - self.failure_rate) ** max(0.0, float(years_unsupported))
        return np.minimum(1.0, left + spares)

    def affected(self, t: int, cut_year: float) -> bool:
        """Whether period t (the years [t, t + y_t)) runs after the cut starts."""
        return t + self.years[t] > cut_year

    def unsupported_years(self, t: int, cut_year: float) -> float:
        """Years from the cut to the end of period t (0 if t ends before the cut)."""
        return max(0.0, t + self.years[t] - cut_year)

    def before(self, cut_year: float) -> int | None:
        """The last period that starts before the cut (None: the cut precedes the plan)."""
        earlier = [p for p in self.periods if p < cut_year]
        return earlier[-1] if earlier else None


def installed_before(rows: pd.DataFrame, rule: CutRule, t: int, cut_year: float) -> pd.Series:
    """Modules of each row of period t that were in service before a cut from ``cut_year``.

    ``rows`` holds every period's rows (see ``ROW_COLUMNS``); the result is indexed like the
    rows of period t.
    """
    now = rows[rows["period"] == t]
    modules = now["modules"].astype(float)
    if t < cut_year:
        return modules  # the period started before the cut: its modules were installed
    old = now["existing"].astype(bool).to_numpy()
    since = now["since"].astype(float).to_numpy()
    s = rule.before(cut_year)
    if s is None:
        earlier = pd.Series(0.0, index=now.index)
    else:
        prev = rows[rows["period"] == s].groupby("option")["modules"].sum()
        earlier = now["option"].map(prev).fillna(0.0).astype(float)
    new_kept = np.minimum(modules.to_numpy(), earlier.to_numpy())
    old_kept = np.where(since < cut_year, modules.to_numpy(), 0.0)
    return pd.Series(np.where(old, old_kept, new_kept), index=now.index)


def carried_compute(rows: pd.DataFrame, rule: CutRule, t: int, cut_year: float) -> pd.Series:
    """Per row of period t: the compute its installed chips still deliver at the end of t if
    its chip is cut from ``cut_year``: κ(L)·(compute per module)·(modules installed before)."""
    now = rows[rows["period"] == t]
    modules = now["modules"].to_numpy(float)
    per_module = np.divide(
        now["compute_eflops"].to_numpy(float),
        modules,
        out=np.zeros(len(now)),
        where=modules > 0,
    )
    n_old = installed_before(rows, rule, t, cut_year).to_numpy(float)
    kappa = rule.survival(rule.unsupported_years(t, cut_year), now["spares"].to_numpy(float))
    return pd.Series(kappa * per_module * n_old, index=now.index)


def kept_table(
    rows: pd.DataFrame,
    lost_now: pd.Series,
    chip_cut: pd.Series,
    rule: CutRule,
    target: dict[int, float],
    cut_year: float | None = None,
    cache: dict | None = None,
) -> pd.DataFrame:
    """Compute lost and kept per period after one cut.

    ``lost_now``/``chip_cut``: boolean masks over ``rows`` (a row lost at once is never also
    kept by its chips). ``cut_year`` None = N-1: the cut at the start of each period.
    Returns period, compute_eflops, lost_eflops, kept_eflops, kept_share (of the target,
    capped at 1: capacity beyond the target can absorb a loss). ``cache``: a dict shared by
    calls on the same rows (what installed chips carry does not depend on who is cut).
    """
    return pd.DataFrame(
        kept_rows(rows, lost_now, chip_cut, rule, target, cut_year, cache),
        columns=["period", "compute_eflops", "lost_eflops", "kept_eflops", "kept_share"],
    )


def kept_rows(
    rows: pd.DataFrame,
    lost_now: pd.Series | np.ndarray,
    chip_cut: pd.Series | np.ndarray,
    rule: CutRule,
    target: dict[int, float],
    cut_year: float | None = None,
    cache: dict | None = None,
) -> list[dict[str, Any]]:
    """``kept_table``'s rows as dicts (the N-1 table joins one list per jurisdiction into
    one frame: a frame per jurisdiction cost 0.1 s of the EU plan's results)."""
    cache = {} if cache is None else cache
    # masks over ``rows`` (Series indexed like them, or arrays in their order); the columns
    # and what installed chips carry are read once per rows (the N-1 table calls this once
    # per foreign jurisdiction: pandas reads per call were most of its time, issue 27)
    lost = np.asarray(lost_now, dtype=bool)
    chip_only = np.asarray(chip_cut, dtype=bool) & ~lost
    if "columns" not in cache:
        cache["columns"] = (rows["compute_eflops"].to_numpy(float), rows["period"].to_numpy())
    compute, period = cache["columns"]
    out = []
    for t in rule.periods:
        y = float(t) if cut_year is None else float(cut_year)
        sel = period == t
        have = float(compute[sel].sum())
        if not rule.affected(t, y):
            kept = have
        else:
            kept = float(compute[sel & ~lost & ~chip_only].sum())
            if (sel & chip_only).any():
                if (t, y) not in cache:
                    cache[t, y] = carried_compute(rows, rule, t, y).to_numpy(float)
                carried = cache[t, y]
                kept += float(carried[chip_only[sel]].sum())  # = the Series' sum, bit for bit
        # a difference of equal sums can come out as -1e-15: nothing kept is 0, not -0
        kept = min(have, max(0.0, kept))
        d = float(target.get(t, 0.0))
        out.append(
            {
                "period": int(t),
                "compute_eflops": have,
                "lost_eflops": have - kept,
                "kept_eflops": kept,
                "kept_share": min(1.0, kept / d) if d > 0 else 1.0,
            }
        )
    return out


def jurisdiction_masks(rows: pd.DataFrame, j: str) -> tuple[pd.Series, pd.Series]:
    """(lost at once, chip cut) for a cut of jurisdiction j: its territory and providers are
    lost at once; chips it designs or whose foundry it hosts (``j_fab``, ';'-joined), and
    providers running its technology (``j_provider_tech``), are cut like chips: nothing new,
    installed capacity keeps running minus failures."""
    lost = (rows["j_country"] == j) | (rows["j_provider"] == j)
    if "j_fab" in rows:
        fab = (";" + rows["j_fab"].fillna("").astype(str) + ";").str.contains(f";{j};", regex=False)
    else:
        fab = False
    chip = (rows["j_chip"] == j) | fab
    if "j_provider_tech" in rows:  # the provider's technology: cut like a chip (see plan_rows)
        chip = chip | (";" + rows["j_provider_tech"].fillna("").astype(str) + ";").str.contains(
            f";{j};", regex=False
        )
    return lost.fillna(False).astype(bool), pd.Series(chip, index=rows.index).astype(bool)


def involved_jurisdictions(rows: pd.DataFrame) -> set[str]:
    """Every jurisdiction a cut of which touches some row (``jurisdiction_masks`` is all
    False for any other): the rows' territory, provider and chip jurisdictions, and each of
    their foundries' (``j_fab``, ';'-joined)."""
    found = {
        j
        for col in ("j_country", "j_provider", "j_chip")
        if col in rows
        for j in rows[col].dropna()
    }
    if "j_fab" in rows:
        found |= {j for text in rows["j_fab"].fillna("").astype(str) for j in text.split(";")}
    return {str(j) for j in found if str(j)}


class _MaskReader:
    """``jurisdiction_masks`` for many jurisdictions of one plan's rows: the columns are read
    into numpy once and each foundry list split once. Why: pandas string comparisons per
    jurisdiction took 90 ms of the EU plan's 0.5 s of results (31 foreign jurisdictions)."""

    def __init__(self, rows: pd.DataFrame) -> None:
        self.index = rows.index
        self.layers = [rows[c].to_numpy(object) for c in ("j_country", "j_provider", "j_chip")]
        fab = rows["j_fab"].fillna("").astype(str) if "j_fab" in rows else None
        self.fabs = None if fab is None else [set(f.split(";")) for f in fab]

    def __call__(self, j: str) -> tuple[pd.Series, pd.Series]:
        lost, chip = self.arrays(j)
        return pd.Series(lost, index=self.index), pd.Series(chip, index=self.index)

    def arrays(self, j: str) -> tuple[np.ndarray, np.ndarray]:
        """(lost at once, chip cut) as boolean arrays in the rows' order."""
        country, provider, chip = (layer == j for layer in self.layers)
        if self.fabs is not None:
            chip = chip | np.fromiter((j in f for f in self.fabs), bool, len(self.fabs))
        return (country | provider).astype(bool), chip.astype(bool)


def existing_since(sc: Any) -> dict[str, float]:
    """Existing or committed system label (as the plan's ``existing`` column names it) -> year
    in service (a committed system is installed from its ``since`` like an existing one)."""
    return {e.label: float(e.since) for e in [*sc.existing, *sc.committed]}


def plan_rows(sc: Any, tables: Any, alloc: pd.DataFrame, ctx: Any = None) -> pd.DataFrame:
    """A plan's allocation as the rows the cut rule reads (``ROW_COLUMNS``), with each row's
    foreign jurisdiction per layer (``j_country``, ``j_provider``, ``j_chip``; ``j_fab`` the
    foundries' foreign jurisdictions, ';'-joined, when ``constraints.fab_dependency`` is on)
    and its ``designer``. The same function serves a solved ``Plan`` and a plan.json, so the
    plan's N-1 table and ``stress`` read one rule from one table.
    """
    from planner.core.eligibility import chip_fab_jurisdictions
    from planner.core.home import layer_jurisdictions, resolve_home

    ctx = ctx if ctx is not None else resolve_home(sc, tables)
    a = alloc.reset_index(drop=True).copy()
    names = (
        a["existing"].astype(object).where(a["existing"].notna(), "").astype(str)
        if "existing" in a.columns
        else pd.Series("", index=a.index)
    )
    a["existing_name"] = names
    a["option"] = list(zip(a["country"], a["provider"], a["chip"], names, strict=True))
    a["existing"] = names != ""
    from planner.core.timeline import project_since

    a["since"] = names.map({**existing_since(sc), **project_since(sc, tables)}).astype(float)
    prov = tables.providers.set_index("code")
    owned = a["provider"].map(prov["delivery"]).eq("build") & ~a["existing"]
    a["spares"] = np.where(owned, float(sc.economics.spares_share), 0.0)
    chp = tables.chips.set_index("code")
    a["designer"] = a["chip"].map(chp["designer"])
    dep = layer_jurisdictions(a["country"], a["provider"], a["chip"], tables, ctx)
    for col in ("j_country", "j_provider", "j_chip"):
        a[col] = dep[col].to_numpy()
    fabs = chip_fab_jurisdictions(tables.chips) if sc.constraints.fab_dependency else {}
    home = set(ctx.home_jurisdictions)
    a["j_fab"] = a["chip"].map(lambda c: ";".join(j for j in fabs.get(c, []) if j not in home))
    # a provider on another jurisdiction's technology (S3NS on Google's): the model reads it
    # as a dependency that stops new capacity while installed capacity keeps running
    # (``models.inputs.by_chip_dependency``), so the cut rule does too
    tech = (
        prov["technology_jurisdiction"].fillna("").astype(str)
        if "technology_jurisdiction" in prov.columns
        else pd.Series("", index=prov.index)
    )
    a["j_provider_tech"] = a["provider"].map(
        lambda p: ";".join(
            j.strip()
            for j in str(tech.get(p, "")).split(";")
            if j.strip() and j.strip() not in home
        )
    )
    return a


def cut_rule(sc: Any) -> CutRule:
    """The scenario's periods, their lengths and failure rate."""
    years = sc.period_years()
    return CutRule(
        tuple(int(p) for p in sc.periods),
        {int(p): float(v) for p, v in years.items()},
        float(sc.economics.accelerator_failure_rate_per_year),
    )


def survival_array(sc: Any, opt: pd.DataFrame) -> np.ndarray:
    """κ[a,t] for the model's N-1 rows: a cut at the start of t, failures over its y_t years;
    an owned new module has the scenario's spares, rented capacity and existing systems none."""
    rule = cut_rule(sc)
    owned = opt["owned"].to_numpy(bool) if "owned" in opt.columns else np.zeros(len(opt), bool)
    spares = np.where(owned, float(sc.economics.spares_share), 0.0)
    cols = [rule.survival(rule.years[t], spares) for t in rule.periods]
    return np.column_stack(cols) if cols else np.ones((len(opt), 0))


def resilience_table(
    sc: Any, tables: Any, alloc: pd.DataFrame, foreign: list[str], ctx: Any = None
) -> pd.DataFrame:
    """N-1: the share of each period's target kept if one foreign jurisdiction cuts the plan
    off at the start of that period (``kept_table`` with ``cut_year`` None)."""
    cols = ["period", "jurisdiction", "kept_eflops", "kept_share_of_target"]
    if alloc.empty:
        return pd.DataFrame(columns=cols)
    rows = plan_rows(sc, tables, alloc, ctx)
    rule = cut_rule(sc)
    target = {int(t): float(v) for t, v in sc.target.items()}
    out = []
    cache: dict = {}
    masks = _MaskReader(rows)
    for j in foreign:
        lost, chip = masks.arrays(j)
        out += [
            {
                "period": r["period"],
                "jurisdiction": j,
                "kept_eflops": r["kept_eflops"],
                "kept_share_of_target": r["kept_share"],
            }
            for r in kept_rows(rows, lost, chip, rule, target, cache=cache)
        ]
    if not out:
        return pd.DataFrame(columns=cols)
    return (
        pd.DataFrame(out, columns=cols)
        .sort_values(["period", "jurisdiction"], kind="stable")
        .reset_index(drop=True)
    )


# --- the one worst case -------------------------------------------------------------------


def worst_case(resilience: pd.DataFrame) -> dict[str, Any]:
    """The plan's worst single foreign cut-off, from its N-1 table (``kept_share_of_target``
    per period and jurisdiction): per period the lowest kept share and every jurisdiction
    tied for it, and overall the lowest over the periods (the earliest such period).

    This is the one object the solve header, the plan reading, ``stress``, the app and the
    JSON all print (``worst_case_sentence``). ``period`` is None when the plan depends on no
    foreign jurisdiction (every cut keeps 100%).
    """
    if resilience is None or resilience.empty:
        return {"period": None, "kept_share": 1.0, "jurisdictions": [], "per_period": []}
    per_period = []
    for t, g in resilience.groupby("period", sort=True):
        low = float(g["kept_share_of_target"].min())
        who = sorted(g.loc[g["kept_share_of_target"] <= low + 1e-9, "jurisdiction"].astype(str))
        per_period.append({"period": int(t), "kept_share": low, "jurisdictions": who})
    first = min(per_period, key=lambda r: (round(r["kept_share"], 9), r["period"]))
    return {
        "period": first["period"],
        "kept_share": first["kept_share"],
        "jurisdictions": list(first["jurisdictions"]),
        "per_period": per_period,
    }


def _names(codes: list[str]) -> str:
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " or " + codes[-1]


def worst_case_sentence(worst: dict[str, Any] | None) -> str:
    """The worst case in words, identical wherever it is printed."""
    if not worst or worst.get("period") is None:
        return "no foreign jurisdiction can cut the plan off (N-1 keeps 100% of every target)"
    return (
        f"worst N-1 cut: losing {_names(list(worst['jurisdictions']))} (cut at the start of "
        f"{worst['period']}) keeps {worst['kept_share']:.0%} of the {worst['period']} target"
    )
