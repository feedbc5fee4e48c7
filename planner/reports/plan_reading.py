"""A plan in words: a short plain-language reading generated from the Plan alone.

``read_plan(plan) -> str`` is a pure function of a ``Plan`` (its tables, KPIs, limits and
``context``), shared by ``sovplan solve`` and the UI's Plan tab, so both say the same thing.
It answers what an analyst asks first: where the compute sits and why (the limits that
bind), what the worst foreign cut-off leaves, how much of the budget is used, and anything a
limit forces that a reader would not expect (typically rival-bloc chips bought to meet N-1).

Marginal values of the binding limits are not given: the model is a MIP, whose duals are not
prices; the way to price a limit is to relax it and re-solve (``sovplan pareto``/``sweep``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.core.cuts import worst_case_sentence
from planner.core.results import Plan, installed_share
from planner.reports.ranges_text import range_sentence

#: Limits that exist to hedge dependence: what they force is what a reader should see.
HEDGING_LIMITS = (
    "resilience",
    "max_share_foreign_jurisdiction",
    "hedge_blocs",
    "max_share_chip_designer",
    "min_chip_designers",
)
#: A jurisdiction trusted below this (home 1, allies ~0.5-0.9) is a rival for the reading.
RIVAL_SCORE = 0.3

LIMIT_WORDS = {
    "budget": "the budget",
    "energy_cost_cap": "the energy-cost cap",
    "emissions_cap_kt": "the emissions cap",
    "max_avg_electricity_price_usd_per_mwh": "the average electricity-price cap",
    "max_share_provider": "the cap on any one provider's share",
    "max_share_chip_designer": "the cap on any one chip designer's share",
    "max_share_foreign_jurisdiction": "the cap on dependence on any one foreign jurisdiction",
    "min_home_share": "the home-soil floor",
    "min_providers": "the minimum number of providers",
    "min_chip_designers": "the minimum number of chip designers",
    "resilience": "the N-1 resilience floor",
    "max_share_country": "the cap on any one country's share",
    "min_countries": "the minimum number of host countries",
    "hedge_blocs": "hedging between two rival blocs",
}


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _where(plan: Plan, final: pd.DataFrame, last: int) -> str:
    by_k = final.groupby("country")["counted_eflops"].sum().sort_values(ascending=False)
    total = float(by_k.sum()) or 1.0
    parts = [f"{k} {_pct(v / total)}" for k, v in by_k.items() if v > 0]
    home = set(plan.context.get("home", []))
    home_share = float(by_k[[k for k in by_k.index if k in home]].sum()) / total
    where = (
        f"In {last} the plan delivers {total:,.1f} EFLOP/s from {len(parts)} "
        f"countr{'y' if len(parts) == 1 else 'ies'} ({', '.join(parts)}); "
        f"{_pct(home_share)} is on home soil."
    )
    who = "operator" if "operator" in final.columns else "provider"
    by_p = final.groupby(who)["counted_eflops"].sum().sort_values(ascending=False)
    by_c = final.groupby("chip")["accelerators"].sum().sort_values(ascending=False)
    where += (
        f" Providers: {', '.join(f'{p} {_pct(v / total)}' for p, v in by_p.items() if v > 0)}."
        f" Chips: {', '.join(f'{c} ({n:,} accelerators)' for c, n in by_c.items() if n > 0)}."
    )
    return where


def _beyond_target(
    final: pd.DataFrame,
    last: int,
    projects: frozenset[str] = frozenset(),
    basis: str = "counted",
) -> str:
    """Capacity the final period holds but does not count towards its target, and where.

    Why say it: an analyst adding up the allocation finds more EFLOP/s than the target and
    asks why it is paid for. Under caps on counted compute (``basis`` counted) it comes from
    whole modules and from the share limits, which cap the compute a supplier may count, not
    what it holds (an existing system can count nothing when the caps are full); under caps
    on installed capacity the caps count it too, so it comes from whole modules, from
    capacity kept to hold the installed shares within their caps, and from the systems the
    plan cannot drop. It still counts in the N-1 figures. ``projects``: the names of
    co-financed projects, said as such rather than as existing systems.
    """
    built = float(final["compute_eflops"].sum())
    counted = float(final["counted_eflops"].sum())
    idle = built - counted
    if counted <= 0 or idle <= 0.01 * counted:
        return ""
    rows = final.assign(idle=final["compute_eflops"] - final["counted_eflops"])
    rows = rows[rows["idle"] > 0.005 * counted].sort_values("idle", ascending=False)

    def name(r) -> str:
        if isinstance(r.existing, str) and r.existing:
            kind = "co-financed" if r.existing in projects else "existing"
            return f"the {kind} {r.existing}"
        return f"{getattr(r, 'operator', r.provider)} {r.chip} in {r.country}"

    parts = [
        f"{name(r)} counts {r.counted_eflops:,.2f} of its {r.compute_eflops:,.2f}"
        for r in rows.head(3).itertuples()
    ]
    why = (
        "whole modules, systems the plan cannot drop, and capacity that keeps the installed "
        "shares within their caps"
        if basis == "installed"
        else "whole modules, and capacity the share limits leave uncounted"
    )
    return (
        f"It holds {built:,.2f} EFLOP/s in {last} for a target of {counted:,.2f}: "
        f"{idle:,.2f} counts towards nothing ({why}; it still counts for N-1): "
        f"{'; '.join(parts)}."
    )


#: The share caps and the dimension of ``plan.shares`` each bounds.
CAP_DIMENSIONS = {
    "max_share_provider": "provider",
    "max_share_chip_designer": "designer",
    "max_share_foreign_jurisdiction": "foreign_jurisdiction",
    "max_share_country": "country",
}


def _share_basis(plan: Plan, face: str = "cli") -> str:
    """Which basis the share caps are on, and, when they are on counted compute, each group
    whose installed share is above its cap.

    Why say it: a cap on counted compute bounds what a supplier counts towards the target,
    not what it holds; a co-financed project or committed system above the cap still runs,
    and the physical dependence on its provider is then larger than the cap reads. The
    reader needs the installed figure beside the cap to judge the plan.
    """
    if plan.limits.empty or plan.shares.empty:
        return ""
    caps = plan.limits[plan.limits["limit"].isin(CAP_DIMENSIONS)]
    if caps.empty:
        return ""
    if plan.context.get("share_basis", "counted") == "installed":
        return (
            "The share caps are on installed capacity (limits.share_basis: installed): "
            "each group's share of what is installed in each period, committed systems and "
            "co-financed projects included, is within its cap."
        )
    shares = plan.shares
    over = []
    for r in caps.itertuples():
        rows = shares[shares["dimension"] == CAP_DIMENSIONS[r.limit]]
        inst = installed_share(shares, rows)
        above = rows.assign(installed=inst)[inst > r.value + 1e-6]
        for a in above.sort_values("installed", ascending=False).head(2).itertuples():
            over.append(
                f"{a.key} holds {_pct(a.installed)} of the capacity installed in "
                f"{int(a.period)} (counts {_pct(a.share)}; {r.limit} {r.value:g})"
            )
    if not over:
        return (
            "The share caps are on counted compute (limits.share_basis: counted); what is "
            "installed is within them too."
        )
    how = {
        "cli": "--set limits.share_basis=installed caps what is installed",
        "app": "'Share caps are shares of: installed' under Limits caps what is installed",
        "brief": "capping installed capacity instead (limits.share_basis: installed) bounds it",
    }[face]
    return (
        "The share caps are on counted compute (limits.share_basis: counted), not on what is "
        f"installed: {'; '.join(over[:4])}; {how}."
    )


def _project_names(plan: Plan) -> frozenset[str]:
    """Names of the co-financed projects among the plan's existing systems."""
    systems = plan.context.get("existing_systems") or {}
    return frozenset(name for name, info in systems.items() if info.get("project"))


def _values(frame: pd.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    """The rows of ``columns`` as tuples of the values ``itertuples`` gives (Python scalars).

    Why not ``itertuples``: it reads every column of the frame (the allocation has ~25) and
    builds a named-tuple class on each call; the reading did so a dozen times (issue 27)."""
    return list(zip(*(frame[c].tolist() for c in columns), strict=True))


def _existing(plan: Plan) -> str:
    """What the plan does with the systems already in service or committed.

    Why say it: a system that is paid for but counts less than it holds is the first thing an
    analyst questions. The plan retires an idle existing system (it stops counting and
    costing); one kept while counting less than it holds is kept for a stated reason: it is
    committed, the scenario forbids retiring it, it counts in a later period (a retired
    system cannot return), the N-1 floor needs its capacity, or the share caps leave it no
    more room.
    """
    systems: dict[str, Any] = plan.context.get("existing_systems") or {}
    if not systems:
        return ""
    alloc = plan.allocation
    rows = alloc[alloc["existing"].fillna("") != ""]
    binding = plan.limits[plan.limits["binding"]] if not plan.limits.empty else plan.limits
    caps = [
        LIMIT_WORDS.get(r.limit, r.limit) + f" ({r.value:g})"
        for r in binding.itertuples()
        if r.limit.startswith("max_share") or r.limit == "min_home_share"
    ]
    retired, kept, joined, declined = [], [], [], []
    # each system's rows, grouped once (in the allocation's order): a filter of the whole
    # allocation per system took most of the reading on the EU plan's 40 systems (issue 27)
    held_rows = rows[rows["modules"] > 0]
    by_name = dict(iter(held_rows.groupby("existing", sort=False)))
    for name, info in systems.items():
        serving = list(info.get("periods", []))
        if not serving:
            continue
        mine = by_name.get(name, held_rows.iloc[0:0])
        held = sorted(int(t) for t in mine["period"])
        gone = [t for t in serving if t not in held]
        if info.get("project"):  # a yes/no decision: joined for its whole life, or not at all
            cost = f"{info.get('capital_musd', 0.0):,.0f} MUSD"
            if held:
                joined.append(f"{name} ({info.get('operator', '')}, from {held[0]}, {cost})")
            else:
                declined.append(f"{name} ({cost})")
                continue
        elif gone:
            retired.append(f"{name} from {gone[0]}" if held else f"{name} (not used)")
        short = mine[mine["counted_eflops"] < 0.99 * mine["compute_eflops"]]
        if short.empty:
            continue
        counts = "; ".join(
            f"{counted:,.2f} of its {built:,.2f} in {int(t)}"
            for t, counted, built in _values(short, "period", "counted_eflops", "compute_eflops")
        )
        idle_years = [int(t) for t, counted in _values(short, "period", "counted_eflops")
                      if counted < 1e-6]  # fmt: skip
        later = [
            int(t)
            for t, counted in _values(mine, "period", "counted_eflops")
            if idle_years and int(t) > min(idle_years) and counted > 1e-6
        ]
        verb = "leaves" if len(caps) == 1 else "leave"
        room = (
            f"{_list(caps)} {verb} it no more room" if caps else "whole modules exceed the target"
        )
        if plan.context.get("share_basis") == "installed":
            # installed caps count what it holds whether it counts or not: they never leave
            # a system uncounted; the target is met by better-scoring capacity
            caps = []
            room = "the target is met by capacity that scores higher"
        if info.get("project"):
            why = "a co-financed project serves its whole life once joined" + (
                f", and {room}" if caps else ""
            )
        elif info.get("committed"):
            why = "it is committed (a contract the plan cannot undo)" + (
                f", and {room}" if caps else ""
            )
        elif not info.get("retirable"):
            why = "the scenario does not let the plan retire it (retirable: false)"
        elif later:
            why = f"it counts again in {later[0]} and a retired system cannot return, while {room}"
        elif plan.context.get("resilience_limit") is not None:
            why = "the N-1 resilience floor needs its capacity (uncounted capacity counts for N-1)"
        elif plan.context.get("tie_break") == "none":
            why = "the cost tie-break is off, so nothing removes costs that buy no index"
        else:
            why = room
        kept.append(f"{name} is kept while counting {counts}: {why}")
    parts = []
    if joined:
        parts.append(
            "Projects co-financed (the home's share of their cost): " + "; ".join(joined) + "."
        )
    if declined:
        parts.append("Projects not joined: " + "; ".join(declined) + ".")
    if retired:
        parts.append(
            "Existing systems retired early (they stop counting and costing): "
            + "; ".join(retired)
            + "."
        )
    parts += [f"{x}." for x in kept]
    return " ".join(parts)


def _price_range(plan: Plan) -> str:
    """The cost's range across futures (``plan.ranges``) when the plan carries one, else its
    sensitivity to the chip prices alone: the fixed plan re-priced (no re-solve)."""
    spread = range_sentence(plan.ranges)
    if spread:
        return spread
    k = plan.kpis
    low, high = k.get("total_cost_chip_price_low_musd"), k.get("total_cost_chip_price_high_musd")
    share = k.get("chip_price_range_share")
    if low is None or high is None or not share:
        return ""
    return (
        f"With every chip {share:.0%} cheaper or dearer than its table price, the same plan "
        f"would cost {low:,.0f} to {high:,.0f} MUSD (re-priced, not re-solved)."
    )


#: How a reader relaxes a limit or excludes a supplier, in the words of each face: the CLI's
#: ``--set``, the app's own controls (its Limits section re-solves a relaxed limit).
ADVICE = {
    "cli": {
        "relax": "relax one with --set and re-solve to price it",
        "exclude": "add exclude.designers=[{designer}]",
    },
    "app": {
        "relax": "'Re-solve relaxed' under Limits prices one",
        "exclude": "exclude {designer} under 'Exclude designers' in the sidebar",
    },
    "brief": {
        "relax": "relaxing one and re-solving prices it",
        "exclude": "re-solve without {designer}",
    },
}


def _why(plan: Plan, face: str = "cli") -> str:
    binding = plan.limits[plan.limits["binding"]] if not plan.limits.empty else plan.limits
    if binding.empty:
        return (
            "No limit binds: the plan is where the sovereignty index is highest, and among "
            "such plans the cheapest."
        )
    words = [LIMIT_WORDS.get(r.limit, r.limit) + f" ({r.value:g})" for r in binding.itertuples()]
    return (
        f"What shapes it: {_list(words)} bind{'s' if len(words) == 1 else ''}; without "
        f"{'it' if len(words) == 1 else 'them'} the index could rise or the cost fall "
        f"({ADVICE[face]['relax']}; a MIP has no marginal values)."
    )


def _worst_cut(plan: Plan) -> str:
    """The plan's one worst case (``plan.worst_case``), as the header and ``stress`` say it."""
    worst = plan.worst_case or {}
    text = worst_case_sentence(worst)
    text = text[0].upper() + text[1:]
    if worst.get("period") is not None:
        text += (
            " (its territory and providers are lost at once; chips it designs or fabs keep "
            "running where installed before, minus failures)"
        )
        if plan.context.get("fab_dependency", False) and "TWN" in worst.get("jurisdictions", []):
            text += "; Taiwan's cut stops every new chip made at TSMC"
    return text + "."


def _budget(plan: Plan) -> str:
    cost = plan.kpis.get("total_cost_musd", 0.0)
    budget = plan.context.get("budget_musd")
    if budget:
        return (
            f"It costs {cost:,.0f} MUSD of the {budget:,.0f} MUSD budget ({_pct(cost / budget)})."
        )
    return f"It costs {cost:,.0f} MUSD (no budget set)."


def _idle_rentals(plan: Plan) -> str:
    """Rented capacity the plan keeps while a whole module of it counts nothing, and why.

    Why say it: rent is paid per year in service and a rental may end between periods, so at
    minimum cost for its index a plan holds no rented module it could drop; one that is kept
    is kept by a limit that counts capacity rather than counted compute (the N-1 floor or
    valuing resilience), by a limit on additions (dropping it and renting it again later
    counts as a new addition), or because the cost tie-break is off.
    """
    rented = set(plan.context.get("rented_providers") or [])
    alloc = plan.allocation
    if not rented or alloc.empty:
        return ""
    rows = alloc[alloc["provider"].isin(rented) & (alloc["modules"] > 0)]
    per_module = rows["compute_eflops"] / rows["modules"]
    idle = rows[rows["compute_eflops"] - rows["counted_eflops"] >= per_module - 1e-6]
    if idle.empty:
        return ""
    ctx = plan.context
    if ctx.get("resilience_limit") is not None:
        why = (
            f"the N-1 resilience floor ({ctx['resilience_limit']:g}) needs its capacity "
            "(uncounted capacity counts for N-1)"
        )
    elif (ctx.get("resilience_weight") or 0.0) > 0:
        why = "valuing resilience keeps it (it raises the worst-case N-1 kept share)"
    elif ctx.get("tie_break") == "none":
        why = "the cost tie-break is off, so nothing removes costs that buy no index"
    elif ctx.get("limits_on_additions"):
        why = (
            f"{_list(list(ctx['limits_on_additions']))} would count renting it again later "
            "as a new addition"
        )
    else:
        why = "the solver stopped within its gap before removing it"
    who = "operator" if "operator" in idle.columns else "provider"
    held = "; ".join(
        f"{getattr(r, who)} {r.chip} in {r.country} counts {r.counted_eflops:,.2f} of its "
        f"{r.compute_eflops:,.2f} in {int(r.period)}"
        for r in idle.head(4).itertuples()
    )
    return f"Rented capacity kept while a whole module of it counts nothing: {held}: {why}."


def _forced(plan: Plan, final: pd.DataFrame, face: str = "cli") -> list[str]:
    """Rival-bloc accelerators the plan buys while a hedging limit is enforced."""
    if plan.limits.empty:
        return []
    hedges = plan.limits[plan.limits["limit"].isin(HEDGING_LIMITS)]
    if hedges.empty:
        return []
    ctx: dict[str, Any] = plan.context
    scores = ctx.get("scores", {})
    chip_j = ctx.get("chip_jurisdiction", {})
    out = []
    rows = final.assign(j=final["chip"].map(chip_j))
    for designer, g in rows.groupby("designer"):
        juris = str(g["j"].iloc[0])
        if juris in ctx.get("home_jurisdictions", []) or scores.get(juris, 1.0) >= RIVAL_SCORE:
            continue
        n = int(g["accelerators"].sum())
        why = hedges.iloc[0]
        rule = LIMIT_WORDS.get(why.limit, why.limit)
        out.append(
            f"Surprise: {rule} ({why.value:g}) forces {n:,} {designer} accelerators "
            f"(designed under {juris}, trust {scores.get(juris, 0.0):g}); "
            + ADVICE[face]["exclude"].format(designer=designer)
            + " to see what avoiding them costs."
        )
    return out


def read_plan(plan: Plan, face: str = "cli") -> str:
    """A short paragraph (plus a few follow-up sentences) reading the plan in plain language;
    ``face`` ("cli", "app" or "brief") words the advice for the controls that reader has."""
    if not plan.ok:
        summary = (
            (plan.diagnosis or {}).get("summary") if isinstance(plan.diagnosis, dict) else None
        )
        return f"No plan ({plan.status}). " + str(summary or plan.message)
    alloc = plan.allocation
    if alloc.empty:
        return "The plan builds nothing."
    last = int(alloc["period"].max())
    final = alloc[alloc["period"] == last]
    basis = plan.context.get("share_basis", "counted")
    sentences = [
        _where(plan, final, last),
        _beyond_target(final, last, _project_names(plan), basis),
        _why(plan, face),
        _share_basis(plan, face),
    ]
    sentences = [x for x in sentences if x] + [_worst_cut(plan), _budget(plan)]
    sentences += [x for x in (_price_range(plan), _existing(plan), _idle_rentals(plan)) if x]
    w_res = plan.context.get("resilience_weight", 0.0) or 0.0
    if w_res > 0:
        sentences.append(
            f"Resilience is valued (weight {w_res:g}): the objective adds the worst-case N-1 "
            f"kept share, here {_pct(plan.kpis.get('worst_case_n_minus_1_share', 0.0))}."
        )
        if plan.kpis.get("worst_case_n_minus_1_share", 0.0) <= 1e-9:
            sentences.append(
                "No eligible option survives the worst cut-off, so valuing resilience cannot "
                "change this plan: allow a supplier outside that jurisdiction (a chip not made "
                "or designed there) to buy some."
            )
    excluded = plan.context.get("excluded") or {}
    if excluded:
        parts = [f"{kind} {', '.join(codes)}" for kind, codes in excluded.items() if codes]
        sentences.append("Ruled out by eligibility rules: " + "; ".join(parts) + ".")
    sentences += _forced(plan, final, face)
    return " ".join(sentences)
