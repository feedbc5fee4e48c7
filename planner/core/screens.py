"""Infeasibility that needs no solve, and the sentence a status without a plan gets.

Each screen is a valid bound (e.g. a budget below what the cheapest option would cost for a
target), so a screen that fires proves the scenario infeasible and the solve is skipped.
They live in the core because solving uses them; the diagnosis study reuses them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from planner.core.prepare import Prepared


def money(v: float) -> str:
    """Money in MUSD, the unit of every other number the planner prints."""
    if abs(v) >= 1000:
        return f"{v:,.0f} MUSD"
    return f"{v:,.4g} MUSD"


def _existing_compute(inp: Any, t: int) -> float:
    """Compute of the systems that may serve in period t (existing or committed, unless out of
    service then; a retirable one counts: the plan may keep it)."""
    f = inp.options["compute"].to_numpy(float)
    return float(sum(f[a] for a in inp.existing if inp.fixed_modules.get((a, t), 1.0) > 0))


def _cheapest_cover(inp: Any, t: int, cost: np.ndarray, f: np.ndarray) -> tuple[float, int]:
    """The least cost of delivering D_t with options' modules split freely (the LP relaxation
    of covering the target alone): options in order of cost per EFLOP/s, each up to what it can
    hold in t (an existing system its one module, a chip not yet available nothing, a new
    option its module bound). A valid lower bound on any plan's cost for t; also returns the
    option covering the most of it (for the message)."""
    cap = inp.options["max_modules"].to_numpy(float) * f
    for (a, p), n in inp.fixed_modules.items():
        if p == t:
            cap[a] = n * f[a]
    order = np.argsort(cost / np.where(f > 0, f, np.inf), kind="stable")
    need, total, share = float(inp.target[t]), 0.0, np.zeros(len(f))
    for a in order:
        if need <= 0:
            break
        if cap[a] <= 0 or f[a] <= 0:
            continue
        take = min(need, cap[a])
        total += take / f[a] * float(cost[a])
        share[a] = take
        need -= take
    top = int(np.argmax(share))
    # name an option only if it carries most of the cover (else the message would mislead)
    return total, top if share[top] >= 0.5 * float(inp.target[t]) else -1


def money_floor(v: float) -> str:
    """A lower bound in MUSD, rounded down (so the stated number is still a lower bound)."""
    if abs(v) >= 1000 or v <= 0:
        return money(math.floor(v))
    unit = 10 ** (math.floor(math.log10(v)) - 3)
    return money(math.floor(v / unit + 1e-9) * unit)


def _budget_bound(inp: Any) -> tuple[float, int | None, int]:
    """A lower bound on any plan's total cost: the largest of each period's cheapest cover
    (its capital and that period's running cost) and the sum over periods of the running
    cost alone; with the period and option behind it (None: the running-cost sum).
    ``capital[:, i]`` is the charge of a module added in period i, non-increasing in i, so
    it bounds any earlier purchase from below."""
    opt = inp.options
    f = opt["compute"].to_numpy(float)
    pos = {t: i for i, t in enumerate(inp.periods)}
    running_t = (
        np.asarray(inp.opex_by_period, float)
        + (opt["energy_cost"] + opt["carbon_cost"]).to_numpy(float)[:, None]
    )
    capital_t = np.asarray(inp.capital, float)
    # years each option's module runs in a period (an existing system retiring within it runs
    # fewer), so the bound never exceeds what the model charges
    served = np.asarray(inp.service_years, float)
    best_lb, best_t, best_a = 0.0, None, 0
    for t in inp.periods:
        per = capital_t[:, pos[t]] + inp.discount[t] * served[:, pos[t]] * running_t[:, pos[t]]
        lb, a = _cheapest_cover(inp, t, per, f)
        if lb > best_lb:
            best_lb, best_t, best_a = lb, t, a
    rent = sum(
        _cheapest_cover(inp, t, inp.discount[t] * served[:, pos[t]] * running_t[:, pos[t]], f)[0]
        for t in inp.periods
    )
    if rent > best_lb:
        best_lb, best_t = rent, None
    return best_lb, best_t, best_a


def _budget_free_inputs(prep: Prepared) -> Any:
    """The scenario's model inputs without the budget (module bounds from grid power and the
    target only), or None if they cannot be built."""
    from planner.core.errors import PlannerError
    from planner.core.inputs import build_inputs

    sc = prep.scenario.model_copy(deep=True)
    sc.constraints.budget = False
    try:
        return build_inputs(sc, prep.tables)[0]
    except PlannerError:
        return None


def screen(prep: Prepared) -> list[str]:
    """Infeasibility that needs no solve: each finding is a proof, stated directly."""
    inp, sc = prep.inputs, prep.scenario
    opt = inp.options
    found: list[str] = []
    f = opt["compute"].to_numpy(float)
    if inp.grid_power:
        density = (
            (opt["compute"] / opt["power_mw"].where(opt["power_mw"] > 0))
            .groupby(opt["country"])
            .max()
        )
        grid = inp.countries["grid_mw"].reindex(density.index).fillna(0.0)
        hostable = float((density.fillna(0.0) * grid).sum())
        for t in inp.periods:
            # systems already in service draw no new grid headroom: they add to what fits
            if inp.target[t] > (hostable + _existing_compute(inp, t)) * (1 + 1e-9) + 1e-9:
                found.append(
                    f"the {t} target of {inp.target[t]:,.4g} EFLOP/s is more than the "
                    f"{hostable:,.4g} EFLOP/s that the grid power of every candidate country "
                    f"could host ({len(grid)} countries, {float(grid.sum()):,.0f} MW available)"
                )
                break
    energy = opt["energy_cost"].to_numpy(float)
    emis = opt["emissions_kt"].to_numpy(float)
    if inp.budget is not None and inp.budget < _budget_bound(inp)[0] * (1 - 1e-9) - 1e-9:
        # The module bounds of ``inp`` depend on the budget itself, so their bound would move
        # with the budget asked; the bound stated is the budget-free one, the same for every
        # budget (and checked again, so a screen only fires when its own number says so).
        free = _budget_free_inputs(prep) or inp
        best_lb, best_t, best_a = _budget_bound(free)
        if inp.budget < best_lb * (1 - 1e-9) - 1e-9:
            if best_t is not None:
                what = (
                    f"the {best_t} target of {free.target[best_t]:,.4g} EFLOP/s even at the "
                    "cheapest options"
                )
                if best_a >= 0:
                    o = free.options.loc[best_a]
                    what += f" (mostly {o['provider']} with {o['chip']} in {o['country']})"
            else:
                what = (
                    "the running costs of the targets in every period even at the cheapest options"
                )
            found.append(
                f"budget {money(inp.budget)} cannot pay for {what}: any plan costs at least "
                f"{money_floor(best_lb)} (a lower bound that ignores every other limit)"
            )
    # years each option's module runs in a period (an existing system retiring within it runs
    # fewer), so the bounds below never exceed what the model charges
    pos = {t: i for i, t in enumerate(inp.periods)}
    served = np.asarray(inp.service_years, float)
    for cap, name, per_unit, disc in (
        (inp.energy_cost_cap, "energy_cost_cap", energy, True),
        (inp.emissions_cap, "emissions_cap_kt", emis, False),
    ):
        if cap is None:
            continue
        lb = sum(
            inp.target[t]
            * float(np.min((inp.discount[t] if disc else 1.0) * served[:, pos[t]] * per_unit / f))
            for t in inp.periods
        )
        if cap < lb * (1 - 1e-9) - 1e-9:
            unit = money(cap) if disc else f"{cap:,.4g} kt CO2e"
            need = money(lb) if disc else f"{lb:,.4g} kt CO2e"
            found.append(f"{name} {unit} is below the {need} the targets need at the least")
    for lim, groups, what in (
        (inp.min_providers, inp.by_provider, "providers"),
        (inp.min_chip_designers, inp.by_designer, "chip designers"),
    ):
        if lim and lim > len(groups):
            found.append(
                f"at least {lim} {what} are required but only {len(groups)} can serve this "
                f"scenario as posed ({', '.join(sorted(groups))}; restrictions, export "
                "controls, grid power or the budget rule out the others)"
            )
    if inp.min_home_share and not inp.home_options and any(v > 0 for v in inp.target.values()):
        found.append(
            f"min_home_share {inp.min_home_share:g} needs compute on home soil but no home "
            f"option is available (home {', '.join(prep.context.home)}; check grid power, "
            "budget and export controls)"
        )
    del sc
    return found


def status_message(plan: Any, time_limit: float) -> str:
    """A sentence for statuses without a plan (time limit, solver error), else the solver's."""
    status = plan.status
    if status == "time_limit_no_solution":
        return (
            f"The solver stopped at the time limit ({time_limit:g} s) before finding any plan "
            "that meets every limit. Raise the time limit (--time-limit), loosen the limits, or "
            "shrink the scenario (fewer countries, providers or chips)."
        )
    if status == "error":
        return (
            f"The solver failed ({plan.message or 'no detail'}). The scenario may be numerically "
            "extreme (e.g. huge targets or tiny prices); `sovplan export` writes the model for "
            "inspection."
        )
    if status == "feasible" and plan.gap is not None:
        bound = f" (bound {plan.bound:.4g})" if plan.bound is not None else ""
        return (
            f"Stopped at the time limit with a plan; it is within {plan.gap:.2%} of the best "
            f"possible{bound}. {plan.message}".strip()
        )
    if status == "feasible":
        return f"Stopped at the time limit with a plan (its gap is unknown). {plan.message}".strip()
    return plan.message
