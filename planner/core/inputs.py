"""Scenario + data tables -> models.ModelInputs: the only bridge into ``models/``.

This is where policy words become numbers: which countries are home, how much each
jurisdiction is trusted, which (country, provider, chip) options exist, and what a module
of each costs, draws and emits. The rules are written here once and documented in
README.md ("How options and coefficients are derived").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.inputs import ModelInputs
from planner.core.data import Tables
from planner.core.errors import InputError
from planner.core.scenario import Scenario

HOURS_PER_YEAR = 8760.0
#: Without a budget or grid limit, no single option may exceed this multiple of the largest
#: period target (a modelling bound that keeps big-M constants finite).
MAX_OVERBUILD = 10.0


@dataclass
class HomeContext:
    """Who is home, how each jurisdiction scores, and which jurisdictions are foreign."""

    home: list[str]  # ISO3 codes
    profile: str
    scores: dict[str, float]  # jurisdiction -> score (home jurisdictions included)
    home_jurisdictions: set[str]
    foreign: list[str]


def _codes(value: object) -> list[str]:
    return [s.strip() for s in str(value).split(";") if s.strip()]


def resolve_home(sc: Scenario, t: Tables) -> HomeContext:
    """Expand blocs in ``home``, pick the relationship profile and the jurisdiction scores."""
    iso = set(t.countries["iso3"])
    blocs = t.blocs.groupby("bloc")["iso3"].apply(list).to_dict()
    home: list[str] = []
    for code in sc.home:
        if code in blocs:
            home.extend(c for c in blocs[code] if c not in home)
        elif code in iso:
            if code not in home:
                home.append(code)
        else:
            known = ", ".join(sorted(blocs)) or "none"
            raise InputError(
                f"field 'home': unknown country or bloc '{code}' (not in countries.csv; blocs: {known})"
            )
    profile = sc.relationship_profile or (sc.home[0] if len(sc.home) == 1 else "")
    rel = t.relationships[t.relationships["home"] == profile]
    if sc.relationship_profile and rel.empty:
        raise InputError(
            f"field 'relationship_profile': '{profile}' has no rows in relationships.csv "
            f"(profiles: {', '.join(sorted(t.relationships['home'].unique()))})"
        )
    scores = {str(j): 0.0 for j in t.jurisdictions["code"]}
    scores.update(dict(zip(rel["jurisdiction"], rel["score"].astype(float), strict=True)))
    for j, s in sc.scores.items():
        if j not in scores:
            raise InputError(
                f"field 'scores.{j}': unknown jurisdiction '{j}' (not in jurisdictions.csv)"
            )
        scores[j] = float(s)
    juris_of = dict(zip(t.countries["iso3"], t.countries["jurisdiction"], strict=True))
    home_j = {juris_of[k] for k in home}
    home_set = set(home)
    for j in home_j:
        # A jurisdiction entirely inside the home (EU for home EU27) is the home itself.
        if all(k in home_set for k, jk in juris_of.items() if jk == j):
            scores[j] = 1.0
    foreign = sorted(j for j in scores if j not in home_j and scores[j] < 1.0)
    return HomeContext(home, profile, scores, home_j, foreign)


def _restrict(
    requested: list[str] | None, available: pd.Series, field: str, file: str
) -> list[str]:
    values = list(available)
    if requested is None:
        return values
    unknown = [c for c in requested if c not in set(values)]
    if unknown:
        raise InputError(f"field '{field}': unknown code(s) {unknown} (not in {file})")
    return list(requested)


def derive_options(sc: Scenario, t: Tables, ctx: HomeContext) -> pd.DataFrame:
    """Feasible (country, provider, chip) options with their per-module coefficients.

    Rules:
    - a provider serves a country where it has at least one region in service, or any
      candidate country if it ``builds_anywhere`` (the public option, build-to-suit clouds);
    - a provider offers the chips it lists; ``*`` means every merchant chip (chips whose
      ``merchant`` flag is false, e.g. TPUs, come only from providers that list them);
    - under export control, a chip is unavailable in countries whose US-diffusion tier is in
      its ``blocked_tiers``; under ``diffusion_rule`` US-controlled chips in tier-2 countries
      share the tier-2 cap;
    - a country with no grid power for new AI load hosts nothing.
    """
    countries = _restrict(sc.countries, t.countries["iso3"], "countries", "countries.csv")
    providers = _restrict(sc.providers, t.providers["code"], "providers", "providers.csv")
    chips = _restrict(sc.chips, t.chips["code"], "chips", "chips.csv")

    cty = t.countries.set_index("iso3").loc[countries]
    prov = t.providers.set_index("code").loc[providers]
    chp = t.chips.set_index("code").loc[chips]
    merchant = chp["merchant"] if "merchant" in chp.columns else pd.Series(True, index=chp.index)

    regions = t.provider_regions[t.provider_regions["regions"] > 0]
    present = regions.groupby("provider")["iso3"].apply(set).to_dict()

    rows = []
    for p, pr in prov.iterrows():
        where = set(countries) if pr["builds_anywhere"] else present.get(p, set()) & set(countries)
        listed = _codes(pr["chips"])
        offered = [c for c in chips if ("*" in listed and bool(merchant[c])) or c in listed]
        for k in sorted(where):
            for c in offered:
                rows.append((k, p, c))
    if not rows:
        raise InputError(
            "no feasible (country, provider, chip) option: check the scenario's countries, "
            "providers and chips restrictions against provider_regions.csv"
        )
    opt = pd.DataFrame(rows, columns=["country", "provider", "chip"])

    tier = opt["country"].map(cty["us_diffusion_tier"]).astype(int)
    blocked = opt["chip"].map(chp["blocked_tiers"].map(lambda s: set(_codes(s))))
    if sc.export_regime != "none" and sc.constraints.export_controls:
        allowed = np.array([str(ti) not in b for ti, b in zip(tier, blocked, strict=True)])
        opt = opt[allowed]
        tier = tier[allowed]
    chip_j = opt["chip"].map(chp["jurisdiction"])
    opt = opt.assign(
        us_export_capped=(
            (sc.export_regime == "diffusion_rule")
            & sc.constraints.export_controls
            & (chip_j == "USA")
            & (tier == 2)
        ).to_numpy()
    )
    return opt.reset_index(drop=True)


def _coefficients(sc: Scenario, t: Tables, ctx: HomeContext, opt: pd.DataFrame) -> pd.DataFrame:
    """Per-module compute, power, costs, energy, emissions and sovereignty scores."""
    eco = sc.economics
    m = float(eco.module_size)
    cty = t.countries.set_index("iso3")
    prov = t.providers.set_index("code")
    chp = t.chips.set_index("code")

    k, p, c = opt["country"], opt["provider"], opt["chip"]
    pue = k.map(cty["pue"]).to_numpy(float)
    it_mw = (m * c.map(chp["tdp_w"]) * c.map(chp["server_overhead"]) / 1e6).to_numpy(float)
    power_mw = it_mw * pue
    hardware = (
        m * c.map(chp["price_usd"]) * eco.chip_price_scale * c.map(chp["system_cost_factor"]) / 1e6
    ).to_numpy(float)
    building = (
        k.map(cty["construction_cost_usd_per_w"]).to_numpy(float) * it_mw
    )  # USD/W * MW = MUSD
    installed = hardware + building
    energy_gwh = power_mw * eco.utilisation * HOURS_PER_YEAR / 1000.0
    price = (
        k.map(cty["electricity_price_usd_per_mwh"]).to_numpy(float) * eco.electricity_price_scale
    )
    energy_cost = energy_gwh * price / 1000.0  # GWh * USD/MWh = kUSD*1000 -> MUSD / 1000
    emissions = energy_gwh * k.map(cty["carbon_intensity_g_per_kwh"]).to_numpy(float) / 1000.0
    carbon_cost = emissions * eco.carbon_price_usd_per_t / 1000.0  # kt * USD/t = kUSD -> MUSD

    build = (p.map(prov["delivery"]) == "build").to_numpy()
    markup = p.map(prov["cost_markup"]).to_numpy(float)
    annualised = (
        hardware / eco.hardware_life_years
        + building / eco.facility_life_years
        + eco.maintenance_share_per_year * installed
    )
    capex = np.where(build, installed, 0.0)
    opex = np.where(build, eco.maintenance_share_per_year * installed, markup * annualised)

    juris_k = k.map(cty["jurisdiction"])
    hq = p.map(prov["hq_iso3"])
    juris_p = hq.map(lambda h: None if h == "*" else cty.at[h, "jurisdiction"])
    juris_c = c.map(chp["jurisdiction"])
    home = set(ctx.home)
    s_loc = np.where(k.isin(home), 1.0, juris_k.map(ctx.scores).to_numpy(float))
    s_prov = np.where(
        hq.isin(home) | (hq == "*"),
        1.0,
        juris_p.map(lambda j: ctx.scores.get(j, 0.0)).to_numpy(float),
    )
    s_chip = juris_c.map(ctx.scores).to_numpy(float)
    w_loc, w_prov, w_chip = sc.weights.normalised()

    return opt.assign(
        designer=c.map(chp["designer"]).to_numpy(),
        compute=(m * c.map(chp["bf16_dense_tflops"]) / 1e6).to_numpy(float),
        power_mw=power_mw,
        capex=capex,
        opex=opex,
        energy_gwh=energy_gwh,
        energy_cost=energy_cost,
        emissions_kt=emissions,
        carbon_cost=carbon_cost,
        score=w_loc * s_loc + w_prov * s_prov + w_chip * s_chip,
        score_territorial=s_loc,
        score_provider=s_prov,
        score_chip=s_chip,
        home=k.isin(home).to_numpy(),
        j_country=juris_k.to_numpy(),
        j_provider=juris_p.to_numpy(),
        j_chip=juris_c.to_numpy(),
    )


def _dependencies(opt: pd.DataFrame, foreign: list[str]) -> pd.DataFrame:
    """(option, jurisdiction) for every foreign jurisdiction an option depends on, in any layer."""
    long = pd.concat(
        [
            pd.DataFrame({"option": opt.index, "jurisdiction": opt[col]})
            for col in ("j_country", "j_provider", "j_chip")
        ]
    )
    long = long[long["jurisdiction"].isin(foreign)].drop_duplicates()
    return long.sort_values(["option", "jurisdiction"]).reset_index(drop=True)


def build_inputs(sc: Scenario, t: Tables) -> tuple[ModelInputs, HomeContext]:
    """Turn a validated scenario and data tables into model inputs (and the home context);
    a message about what the scenario means names the scenario's file."""
    try:
        return _build_inputs(sc, t)
    except InputError as exc:
        source = getattr(sc, "_source", None) or f"scenario '{sc.name}'"
        message = str(exc)
        if message.startswith(str(source)):
            raise
        raise InputError(f"{source}: {message}") from exc


def _build_inputs(sc: Scenario, t: Tables) -> tuple[ModelInputs, HomeContext]:
    """Turn a validated scenario and data tables into model inputs (and the home context)."""
    ctx = resolve_home(sc, t)
    opt = _coefficients(sc, t, ctx, derive_options(sc, t, ctx))
    limits = sc.limits
    notes: list[str] = []

    hedging = sc.strategy != "none"
    align_allies: list[str] | None = None
    if sc.strategy.startswith("align"):
        ally = sc.aligned_with
        if ally is not None and ally not in ctx.scores:
            raise InputError(f"field 'strategy': unknown jurisdiction '{ally}' in '{sc.strategy}'")
        if ally is not None and ally not in ctx.foreign:
            raise InputError(
                f"field 'strategy': '{ally}' is not a foreign jurisdiction for this home; "
                f"choose one of {ctx.foreign}"
            )
        align_allies = [ally] if ally else list(ctx.foreign)
        deps = _dependencies(opt, ctx.foreign)
        per_option = deps.groupby("option")["jurisdiction"].agg(list)
        keep = [
            a
            for a in opt.index
            if len(per_option.get(a, [])) == 0
            or (len(per_option[a]) == 1 and per_option[a][0] in align_allies)
        ]
        opt = opt.loc[keep].reset_index(drop=True)
        notes.append(
            "aligning: options depending on two foreign jurisdictions were removed; "
            "max_share_foreign_jurisdiction and resilience do not apply"
        )
    elif not hedging:
        notes.append("strategy none: diversification limits and resilience are not enforced")

    years = sc.period_years()
    t0 = sc.periods[0]
    rate = sc.economics.discount_rate
    discount = {p: (1.0 + rate) ** -(p - t0) for p in sc.periods}
    target = {p: float(sc.target[p]) for p in sc.periods}

    cty = t.countries.set_index("iso3")
    grid = opt["country"].map(cty["grid_power_available_mw"]).to_numpy(float)
    max_target = max(target.values())
    bound = np.ceil(MAX_OVERBUILD * max_target / opt["compute"].to_numpy(float))
    if sc.constraints.grid_power:
        bound = np.minimum(bound, np.floor(grid / opt["power_mw"].to_numpy(float) + 1e-9))
    if sc.budget is not None and sc.constraints.budget:
        running = (opt["opex"] + opt["energy_cost"] + opt["carbon_cost"]).to_numpy(float)
        least = (
            min(discount.values()) * opt["capex"].to_numpy(float)
            + min(discount[p] * years[p] for p in sc.periods) * running
        )
        with np.errstate(divide="ignore"):
            by_budget = np.minimum(
                bound, np.where(least > 0, np.floor(sc.budget / least + 1e-9), bound)
            )
        # A budget too small for even one module of any option is a valid scenario that
        # cannot be met, not bad input: keep one module's room so the model exists and the
        # budget screen (planner.core.screens) reports the budget needed.
        bound = by_budget if (by_budget >= 1).any() else np.minimum(bound, 1.0)
    opt = opt.assign(max_modules=bound)
    opt = opt[opt["max_modules"] >= 1].reset_index(drop=True)
    if opt.empty:
        raise InputError(
            "no option can host even one module: grid power or budget is too small for the "
            f"module size ({sc.economics.module_size} accelerators)"
        )

    used = set(opt["country"])
    countries = pd.DataFrame(
        {
            "grid_mw": cty.loc[sorted(used), "grid_power_available_mw"].astype(float),
            "site_fixed_cost": cty.loc[sorted(used), "site_fixed_cost_musd"].astype(float),
        }
    )
    prov = t.providers.set_index("code")
    providers = pd.DataFrame(
        {
            "onboarding_cost": prov.loc[
                sorted(set(opt["provider"])), "onboarding_cost_musd"
            ].astype(float)
        }
    )
    chp = t.chips.set_index("code").loc[sorted(set(opt["chip"]))]
    chips = pd.DataFrame(
        {
            "designer": chp["designer"],
            "platform_cost": chp["platform_cost_musd"].astype(float),
            "supply_cap_modules_per_year": chp["supply_cap_units_per_year"].astype(float)
            / sc.economics.module_size,
        }
    )

    tier2 = None
    if opt["us_export_capped"].any():
        tier2 = sc.tier2_cap_accelerators / sc.economics.module_size

    aligning = align_allies is not None
    inp = ModelInputs(
        periods=list(sc.periods),
        years=years,
        discount=discount,
        target=target,
        options=opt,
        dependencies=_dependencies(opt, ctx.foreign),
        foreign_jurisdictions=list(ctx.foreign),
        countries=countries,
        providers=providers,
        chips=chips,
        budget=sc.budget if sc.constraints.budget else None,
        energy_cost_cap=sc.energy_cost_cap if sc.constraints.energy_cost else None,
        max_avg_electricity_price=(
            sc.max_avg_electricity_price_usd_per_mwh if sc.constraints.energy_cost else None
        ),
        emissions_cap=sc.emissions_cap_kt if sc.constraints.energy_cost else None,
        max_share_provider=limits.max_share_provider
        if hedging and sc.constraints.diversification
        else None,
        max_share_chip_designer=(
            limits.max_share_chip_designer if hedging and sc.constraints.diversification else None
        ),
        max_share_foreign_jurisdiction=(
            limits.max_share_foreign_jurisdiction
            if hedging and not aligning and sc.constraints.diversification
            else None
        ),
        min_home_share=limits.min_home_share if sc.constraints.territorial else None,
        min_providers=limits.min_providers if hedging and sc.constraints.diversification else None,
        min_chip_designers=(
            limits.min_chip_designers if hedging and sc.constraints.diversification else None
        ),
        resilience=(
            limits.resilience if hedging and not aligning and sc.constraints.resilience else None
        ),
        align_allies=align_allies,
        grid_power=sc.constraints.grid_power,
        supply_caps=sc.constraints.supply_caps,
        non_decreasing=sc.buildout.non_decreasing and sc.constraints.buildout,
        max_new_power_mw_per_year=(
            sc.buildout.max_new_power_mw_per_year if sc.constraints.buildout else None
        ),
        module_size=sc.economics.module_size,
        tier2_cap_modules=tier2,
        weights=sc.weights.normalised(),
        notes=notes,
    )
    if not math.isfinite(float(opt["max_modules"].max())):
        raise InputError("internal: unbounded option size")
    return inp, ctx
