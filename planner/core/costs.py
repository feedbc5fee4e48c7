"""Money per module and period: capital recovery, chip prices, cost parts.

``cost_basis: annualised`` spreads an owned module's capital as an equivalent annual cost
(capital recovery factor at the discount rate over the hardware and facility lives) for every
year it serves; ``cash`` pays it when bought. Rent is a per-year price based on the owner's
annual cost. Each announced chip keeps its own sourced price in every period (list price where
no street-price path is published); only a chip marked ``next_generation_placeholder`` gets
cheaper over time, by the price-performance trend. A committed system costs its known capital,
as an owned module bought when it enters service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.inputs import capital_charge as _charge
from planner.core.scenario import Scenario

#: Year of the prices in chips.csv (2024-25 list prices and estimates): a placeholder chip's
#: price is discounted by the trend from the later of this year and its ``available_from``.
PRICE_YEAR = 2025


def discount_factors(sc: Scenario) -> dict[int, float]:
    """δ_t per period: the factor every cost counted in period t is multiplied by.

    δ_t = (1 + r)^-(t - t_1), with r = ``economics.discount_rate`` and t_1 the first period
    (δ = 1 there). A period stands for y_t years (up to the next period; the last up to
    ``horizon_end``), and every one of those years is discounted at its period's first year:
    a cost per year c in period t counts δ_t·y_t·c (no discounting within a period). Capital
    paid when bought (``cost_basis: cash``) counts δ_t·price. The one-off fixed costs (site,
    provider onboarding, chip platform) and emissions are not discounted.
    """
    rate = sc.economics.discount_rate
    first = sc.periods[0]
    return {p: (1.0 + rate) ** -(p - first) for p in sc.periods}


def capital_recovery_factor(rate: float, life_years: float) -> float:
    """Equivalent annual cost per unit of capital: r / (1 - (1+r)^-L), or 1/L at r = 0.

    Paying this every year of an asset's life repays its price with interest at ``rate``; it
    is what makes a module bought late cost the same per year of service as one bought early.
    """
    if rate <= 0:
        return 1.0 / life_years
    return rate / (1.0 - (1.0 + rate) ** -life_years)


def price_factor(sc: Scenario, year: int, available_from: float, placeholder: bool) -> float:
    """Share of its table price a chip costs when bought in ``year``.

    1 for every announced chip (its sourced price holds: a 2024 part is not 31% cheaper in
    2030). For an unannounced next-generation placeholder, (1 - trend)^(year - y0), y0 =
    max(PRICE_YEAR, available_from): it stands for whatever is on sale then, whose FLOP/s per
    dollar improves by the measured cross-generation trend (``economics``).
    """
    if not placeholder:
        return 1.0
    start = max(float(PRICE_YEAR), available_from if math.isfinite(available_from) else 0.0)
    return (1.0 - sc.economics.price_performance_trend) ** max(0.0, year - start)


def cost_arrays(
    sc: Scenario, opt: pd.DataFrame, chip_price_factor: float = 1.0
) -> dict[str, np.ndarray]:
    """Per (option, period) cost parts, MUSD, at the prices of that period.

    - ``cash[a,t]``: capital paid when a module is bought in t (``cost_basis: cash``), else 0;
    - ``annual_capital[a,t]``: equivalent annual capital cost of a module bought in t,
      CRF(r, hardware life)·hardware_t + CRF(r, facility life)·building
      (``cost_basis: annualised``), else 0;
    - ``upkeep[a,t]``: maintenance per year of a module bought in t (share of its price);
    - ``opex[a,t]``: cost per module-year in service in t, excluding energy: rent
      (markup x the owner's annual cost at period-t prices) or an existing system's upkeep;
      0 for owned new modules, whose upkeep follows their purchase.

    hardware_t = hardware x price_factor (1 for announced chips); buildings keep their price.
    An owned module's capital includes its spare accelerators (``economics.spares_share`` x
    hardware_t, a stockpile against supply cuts); its upkeep does not (spares on a shelf need
    no maintenance). ``chip_price_factor`` scales every chip's price (the reading's re-pricing of a fixed plan;
    a committed system's contract price is known and not scaled).

    A co-financed project (``project``, also ``committed``) pays its capital K (the home's
    share of its total cost) the same way, and no upkeep: the operator runs it.

    A committed system (``committed``) is priced as an owned module bought in the first period
    it serves, at its known capital K (spares are part of its contract, not added): cash[a,t_s] = K (cash basis) or annual_capital[a,t_s] =
    CRF(r, hardware life)·K (annualised), upkeep = maintenance share·K; it pays no opex.

    Rent, in words: a rented module pays, for every year it is in service, the provider's
    ``cost_markup`` times what owning it would cost that year: CRF(r, hardware life)·hardware_t
    + CRF(r, facility life)·building + maintenance share·(hardware_t + building). The price
    is that of the year paid (a module rented in 2026 and still rented in 2030 pays 2030's
    rent then), the price factor (1 for announced chips) applies to its hardware part only,
    and it is charged on both cost bases (rent is a yearly payment, so ``cost_basis`` changes only owned
    capital); the discount rate enters through the capital recovery factors.

    Existing systems, in words: no capital; each year in service they pay maintenance
    (``maintenance_share_per_year`` x the system's hardware and building at the table prices
    of chips.csv/countries.csv: roughly what it would cost to buy today), plus energy and
    carbon like any module; they count towards the target, and cost, only in their years in
    service (``since`` to ``until``, or an earlier retirement the plan chooses).
    """
    return costs_of_columns(sc, CostColumns.of(opt), chip_price_factor)


@dataclass(frozen=True)
class CostColumns:
    """The option columns ``cost_arrays`` prices, read out of the options table once.

    Why apart: a plan's range re-prices the same options in dozens of futures
    (``planner.core.reprice``); reading a pandas column costs far more than the arithmetic on
    a few hundred options, so the columns are read once and ``costs_of_columns`` is run per
    future, the very code ``cost_arrays`` runs."""

    placeholder: np.ndarray  # bool: next-generation placeholder chip (price follows the trend)
    available: np.ndarray  # year the chip is available from
    hardware: np.ndarray  # MUSD per module, table price
    building: np.ndarray  # MUSD per module
    owned: np.ndarray  # bool
    existing: np.ndarray  # bool
    committed: np.ndarray  # bool
    since: np.ndarray | None  # first year in service of a committed system (None: none is)
    capital: np.ndarray  # (options, 1) known capital of a committed system, MUSD (0 elsewhere)
    project: np.ndarray  # bool: a co-financed project
    markup: np.ndarray  # rent markup over the owner's annual cost

    @classmethod
    def of(cls, opt: pd.DataFrame) -> CostColumns:
        n = len(opt)
        committed = (
            opt["committed"].fillna(False).to_numpy(bool)
            if "committed" in opt.columns
            else np.zeros(n, bool)
        )
        return cls(
            placeholder=(
                opt["next_generation_placeholder"].to_numpy(bool)
                if "next_generation_placeholder" in opt.columns
                else np.zeros(n, bool)
            ),
            available=opt["available_from"].to_numpy(float),
            hardware=opt["hardware"].to_numpy(float),
            building=opt["building"].to_numpy(float),
            owned=opt["owned"].to_numpy(bool),
            existing=opt["existing"].to_numpy(bool),
            committed=committed,
            since=opt["since"].to_numpy(float) if committed.any() else None,
            capital=(
                opt["capital_musd"].fillna(0.0).to_numpy(float)[:, None]
                if "capital_musd" in opt.columns
                else np.zeros((n, 1))
            ),
            # a co-financed project (``project``): the home pays its share of the capital,
            # nothing more; its operator runs it (upkeep, power) from the project's own revenue
            project=(
                opt["project"].fillna(False).to_numpy(bool)
                if "project" in opt.columns
                else np.zeros(n, bool)
            ),
            markup=opt["markup"].to_numpy(float),
        )


def costs_of_columns(
    sc: Scenario, col: CostColumns, chip_price_factor: float = 1.0
) -> dict[str, np.ndarray]:
    """``cost_arrays`` on options already read into ``CostColumns`` (its rules, stated there)."""
    eco = sc.economics
    periods = list(sc.periods)
    n = len(col.hardware)
    # price factors (1 for announced chips: only placeholders follow the trend)
    g = np.ones((n, len(periods)))
    for a in np.flatnonzero(col.placeholder):
        g[a] = [price_factor(sc, t, col.available[a], True) for t in periods]
    hw = col.hardware[:, None] * g * chip_price_factor
    bld = np.repeat(col.building[:, None], len(periods), axis=1)
    owned = col.owned[:, None]
    existing = col.existing[:, None]
    crf_hw = capital_recovery_factor(eco.discount_rate, eco.hardware_life_years)
    crf_fac = capital_recovery_factor(eco.discount_rate, eco.facility_life_years)
    maint = eco.maintenance_share_per_year
    annualised = eco.cost_basis == "annualised"
    owner_annual = crf_hw * hw + crf_fac * bld + maint * (hw + bld)
    zero = np.zeros_like(hw)
    # existing systems' upkeep: a share of what the system would cost at these prices
    existing_upkeep = maint * (col.hardware[:, None] * chip_price_factor + bld)
    committed = col.committed
    start = np.zeros((n, len(periods)), dtype=bool)
    if col.since is not None:
        for a in np.flatnonzero(committed):
            first = next((i for i, t in enumerate(periods) if t >= col.since[a]), None)
            if first is not None:
                start[a, first] = True
    capital = col.capital
    project = col.project
    committed_2d = committed[:, None]
    bought = hw * (1.0 + eco.spares_share)  # spares: paid with the module, no upkeep
    cash = np.where(owned, bought + bld, 0.0) + np.where(start, capital, 0.0)
    annual = np.where(owned, crf_hw * bought + crf_fac * bld, 0.0) + np.where(
        start, crf_hw * capital, 0.0
    )
    return {
        "cash": cash if not annualised else zero,
        "annual_capital": annual if annualised else zero,
        "upkeep": np.where(owned, maint * (hw + bld), 0.0)
        + np.where(start & ~project[:, None], maint * capital, 0.0),
        "opex": np.where(
            committed_2d,
            0.0,
            np.where(
                existing,
                existing_upkeep,
                np.where(owned, 0.0, col.markup[:, None] * owner_annual),
            ),
        ),
    }


def capital_charge(costs: dict[str, np.ndarray], disc: np.ndarray, yrs: np.ndarray) -> np.ndarray:
    """MUSD charged per module added in each period (see ``models.inputs.capital_charge``)."""
    return _charge(costs["cash"], costs["annual_capital"], costs["upkeep"], disc, yrs)
