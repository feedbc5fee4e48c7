"""Money per module and period: capital recovery, the price-performance trend, cost parts.

``cost_basis: annualised`` spreads an owned module's capital as an equivalent annual cost
(capital recovery factor at the discount rate over the hardware and facility lives) for every
year it serves; ``cash`` pays it when bought. Rent is a per-year price based on the owner's
annual cost. Later purchases are cheaper per FLOP/s by the price-performance trend.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from models.inputs import capital_charge as _charge
from planner.core.scenario import Scenario

#: Year of the prices in chips.csv (2024-25 list prices and estimates): the price-performance
#: trend discounts hardware from the later of this year and a chip's ``available_from``.
PRICE_YEAR = 2025


def capital_recovery_factor(rate: float, life_years: float) -> float:
    """Equivalent annual cost per unit of capital: r / (1 - (1+r)^-L), or 1/L at r = 0.

    Paying this every year of an asset's life repays its price with interest at ``rate``; it
    is what makes a module bought late cost the same per year of service as one bought early.
    """
    if rate <= 0:
        return 1.0 / life_years
    return rate / (1.0 - (1.0 + rate) ** -life_years)


def price_factor(sc: Scenario, year: int, available_from: float) -> float:
    """(1 - trend)^(year - y0), y0 = max(PRICE_YEAR, available_from): later purchases are
    cheaper per FLOP/s by the measured price-performance trend (``economics``)."""
    start = max(float(PRICE_YEAR), available_from if math.isfinite(available_from) else 0.0)
    return (1.0 - sc.economics.price_performance_trend) ** max(0.0, year - start)


def cost_arrays(sc: Scenario, opt: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per (option, period) cost parts, MUSD, at the prices of that period.

    - ``cash[a,t]``: capital paid when a module is bought in t (``cost_basis: cash``), else 0;
    - ``annual_capital[a,t]``: equivalent annual capital cost of a module bought in t,
      CRF(r, hardware life)·hardware_t + CRF(r, facility life)·building
      (``cost_basis: annualised``), else 0;
    - ``upkeep[a,t]``: maintenance per year of a module bought in t (share of its price);
    - ``opex[a,t]``: cost per module-year in service in t, excluding energy: rent
      (markup x the owner's annual cost at period-t prices) or an existing system's upkeep;
      0 for owned new modules, whose upkeep follows their purchase.

    hardware_t = hardware x (1 - trend)^(t - y0) (``price_factor``); buildings do not follow
    the chip trend. An owned module's capital includes its spare accelerators
    (``economics.spares_share`` x hardware_t, a stockpile against supply cuts); its upkeep
    does not (spares on a shelf need no maintenance).
    """
    eco = sc.economics
    periods = list(sc.periods)
    g = np.array(
        [[price_factor(sc, t, av) for t in periods] for av in opt["available_from"].to_numpy(float)]
    ).reshape(len(opt), len(periods))
    hw = opt["hardware"].to_numpy(float)[:, None] * g
    bld = np.repeat(opt["building"].to_numpy(float)[:, None], len(periods), axis=1)
    owned = opt["owned"].to_numpy(bool)[:, None]
    existing = opt["existing"].to_numpy(bool)[:, None]
    crf_hw = capital_recovery_factor(eco.discount_rate, eco.hardware_life_years)
    crf_fac = capital_recovery_factor(eco.discount_rate, eco.facility_life_years)
    maint = eco.maintenance_share_per_year
    annualised = eco.cost_basis == "annualised"
    owner_annual = crf_hw * hw + crf_fac * bld + maint * (hw + bld)
    zero = np.zeros_like(hw)
    bought = hw * (1.0 + eco.spares_share)  # spares: paid with the module, no upkeep
    return {
        "cash": np.where(owned, bought + bld, 0.0) if not annualised else zero,
        "annual_capital": np.where(owned, crf_hw * bought + crf_fac * bld, 0.0)
        if annualised
        else zero,
        "upkeep": np.where(owned, maint * (hw + bld), 0.0),
        "opex": np.where(
            existing,
            opt["opex"].to_numpy(float)[:, None],
            np.where(owned, 0.0, opt["markup"].to_numpy(float)[:, None] * owner_annual),
        ),
    }


def capital_charge(costs: dict[str, np.ndarray], disc: np.ndarray, yrs: np.ndarray) -> np.ndarray:
    """MUSD charged per module added in each period (see ``models.inputs.capital_charge``)."""
    return _charge(costs["cash"], costs["annual_capital"], costs["upkeep"], disc, yrs)
