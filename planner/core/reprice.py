"""A future's model inputs from the base inputs, when only prices, rates and trust differ.

Building a scenario's inputs from scratch takes about 0.1 s (options, eligibility, service
windows, bounds); a plan's range prices it in dozens of futures, so a future that changes only
coefficients is derived from the base inputs instead: the same options, with their energy
cost, cost arrays, discount factors and layer scores recomputed by the very functions
``build_inputs`` uses (``cost_arrays``' ``costs_of_columns``, ``discount_factors``,
``layer_scores``). Which keys qualify is ``REPRICE_KEYS``; any other override goes through
``build_inputs`` in full (``planner.studies.ranges.evaluate_future`` decides). A range needs
only the cost coefficients and scores of each future, so ``Repricer.coefficients`` gives them
without a ``ModelInputs``. ``tests/test_ranges.py`` checks that both ways give the same cost
and index, and that the coefficients equal those of the full inputs to the last bit.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from models.inputs import ModelInputs, capital_charge
from planner.core.costs import CostColumns, costs_of_columns, discount_factors
from planner.core.home import HomeContext, rescored
from planner.core.inputs import layer_scores
from planner.core.scenario import Scenario

#: Scenario keys whose change moves coefficients only (never which options exist, when they
#: serve or what the constraints are): prices, the discount rate, the placeholder price trend
#: and trust scores (``scores.<J>``).
REPRICE_KEYS = frozenset(
    {
        "economics.electricity_price_scale",
        "economics.chip_price_scale",
        "economics.price_performance_trend",
        "economics.discount_rate",
    }
)


def repriceable(overrides: dict[str, object]) -> bool:
    """Whether a future with these overrides (``--set`` keys) can be re-priced."""
    return all(k in REPRICE_KEYS or k.startswith("scores.") for k in overrides)


class Repricer:
    """The base inputs' coefficients in futures that differ only in ``REPRICE_KEYS`` and
    ``scores`` (``repriceable``): the option columns are read once, and each future costs a
    few array operations on them. A plan's range prices its plan in 50-100 such futures; one
    full input set per future was most of the range's time (pandas, not arithmetic)."""

    def __init__(self, base: ModelInputs, base_sc: Scenario, base_ctx: HomeContext) -> None:
        opt = base.options
        self.base, self.base_sc, self.base_ctx = base, base_sc, base_ctx
        self.columns = CostColumns.of(opt)
        self.energy = opt["energy_cost"].to_numpy(float)
        self.carbon = opt["carbon_cost"].to_numpy(float)
        self.score = opt["score"].to_numpy(float)
        self.jurisdictions = tuple(
            opt[c].to_numpy(object)
            for c in ("j_country", "j_provider", "j_chip", "j_provider_tech", "j_fab")
        )
        self.years = np.array([base.years[t] for t in base.periods])
        self.served = np.asarray(base.service_years, dtype=float)
        self.opex_shape = (len(opt), len(base.periods))

    def changes(self, future_sc: Scenario) -> dict[str, Any]:
        """What differs in the future: ``energy_cost`` and, when the scores differ, the layer
        score columns (``options``), ``discount`` and the cost arrays."""
        eco, eco0 = future_sc.economics, self.base_sc.economics
        power = eco.electricity_price_scale / eco0.electricity_price_scale
        chip = eco.chip_price_scale / eco0.chip_price_scale
        costs = costs_of_columns(future_sc, self.columns, chip_price_factor=chip)
        options: dict[str, np.ndarray] = {"energy_cost": self.energy * power}
        if future_sc.scores != self.base_sc.scores:
            ctx = rescored(self.base_ctx, future_sc.scores)
            options.update(layer_scores(*self.jurisdictions, ctx, future_sc.weights.normalised()))
        return {
            "options": options,
            "discount": discount_factors(future_sc),
            "cash": costs["cash"],
            "annual_capital": costs["annual_capital"],
            "upkeep": costs["upkeep"],
            "opex_by_period": costs["opex"],
        }

    def inputs(self, future_sc: Scenario) -> ModelInputs:
        """The base inputs with the future's coefficients (a whole ``ModelInputs``)."""
        ch = self.changes(future_sc)
        return dataclasses.replace(
            self.base,
            options=self.base.options.assign(**ch.pop("options")),
            **ch,
        )

    def coefficients(self, future_sc: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(W, R, score) in the future without building its inputs: W and R as
        ``models.objectives.cost_coefficients`` computes them on ``inputs(future_sc)`` (the
        same operations in the same order, so the same numbers to the last bit; tested), and
        the options' weighted score."""
        ch = self.changes(future_sc)
        periods = self.base.periods
        disc_t = np.array([ch["discount"][t] for t in periods])
        capital = capital_charge(ch["cash"], ch["annual_capital"], ch["upkeep"], disc_t, self.years)
        energy = ch["options"]["energy_cost"]
        running = np.asarray(ch["opex_by_period"], dtype=float) + np.repeat(
            (energy + self.carbon)[:, None], len(periods), axis=1
        )
        disc = np.array([ch["discount"][t] for t in periods], dtype=float)[None, :]
        score = ch["options"].get("score", self.score)
        return np.asarray(capital, dtype=float), disc * self.served * running, score


def repriced_inputs(
    base: ModelInputs, base_sc: Scenario, base_ctx: HomeContext, future_sc: Scenario
) -> ModelInputs:
    """``base`` with the coefficients of ``future_sc`` (which differs from ``base_sc`` in
    ``REPRICE_KEYS`` and ``scores`` only): energy cost scales with the electricity price,
    hardware with the chip price (``cost_arrays``' chip_price_factor), capital recovery and
    discounting with the rate, placeholder prices with the trend, scores with the trust
    (``base_ctx``, the base's home context, re-scored with ``rescored``)."""
    return Repricer(base, base_sc, base_ctx).inputs(future_sc)
