"""A future's model inputs from the base inputs, when only prices, rates and trust differ.

Building a scenario's inputs from scratch takes about 0.1 s (options, eligibility, service
windows, bounds); a plan's range prices it in dozens of futures, so a future that changes only
coefficients is derived from the base inputs instead: the same options, with their energy
cost, cost arrays, discount factors and layer scores recomputed by the very functions
``build_inputs`` uses (``cost_arrays``, ``discount_factors``, ``layer_scores``). Which keys
qualify is ``REPRICE_KEYS``; any other override goes through ``build_inputs`` in full
(``planner.core.evaluate.future_inputs`` decides). ``tests/test_ranges.py`` checks that both
ways give the same cost and index.
"""

from __future__ import annotations

import dataclasses

from models.inputs import ModelInputs
from planner.core.costs import cost_arrays, discount_factors
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


def repriced_inputs(
    base: ModelInputs, base_sc: Scenario, base_ctx: HomeContext, future_sc: Scenario
) -> ModelInputs:
    """``base`` with the coefficients of ``future_sc`` (which differs from ``base_sc`` in
    ``REPRICE_KEYS`` and ``scores`` only): energy cost scales with the electricity price,
    hardware with the chip price (``cost_arrays``' chip_price_factor), capital recovery and
    discounting with the rate, placeholder prices with the trend, scores with the trust
    (``base_ctx``, the base's home context, re-scored with ``rescored``)."""
    opt = base.options
    eco, eco0 = future_sc.economics, base_sc.economics
    power = eco.electricity_price_scale / eco0.electricity_price_scale
    chip = eco.chip_price_scale / eco0.chip_price_scale
    costs = cost_arrays(future_sc, opt, chip_price_factor=chip)
    changes: dict[str, object] = {"energy_cost": opt["energy_cost"].to_numpy(float) * power}
    if future_sc.scores != base_sc.scores:
        ctx = rescored(base_ctx, future_sc.scores)
        changes.update(
            layer_scores(
                opt["j_country"].to_numpy(object),
                opt["j_provider"].to_numpy(object),
                opt["j_chip"].to_numpy(object),
                opt["j_provider_tech"].to_numpy(object),
                opt["j_fab"].to_numpy(object),
                ctx,
                future_sc.weights.normalised(),
            )
        )
    return dataclasses.replace(
        base,
        options=opt.assign(**changes),
        discount=discount_factors(future_sc),
        cash=costs["cash"],
        annual_capital=costs["annual_capital"],
        upkeep=costs["upkeep"],
        opex_by_period=costs["opex"],
    )
