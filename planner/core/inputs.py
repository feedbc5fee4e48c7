"""Scenario + data tables -> models.ModelInputs: the only bridge into ``models/``.

This is where policy words become numbers: which countries are home, how much each
jurisdiction is trusted, which (country, provider, chip) options exist, and what a module
of each costs, draws and emits. The rules are written here once and documented in
README.md ("How options and coefficients are derived").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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
    #: what the scenario's ``exclude``/``require`` removed: kind -> codes (for the plan's notes)
    removed: dict[str, list[str]] = field(default_factory=dict)


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


#: Certifications a scenario may require even if no provider in the data holds them (EUCS is
#: not yet granted to anyone); others must appear in providers.csv's ``certifications``.
KNOWN_CERTIFICATIONS = ("SecNumCloud", "EUCS", "BSI C5", "FedRAMP", "UK G-Cloud")


def _check_known(codes: list[str], valid: set[str], field_name: str, file: str) -> None:
    unknown = [c for c in codes if c not in valid]
    if unknown:
        raise InputError(
            f"field '{field_name}': unknown code(s) {unknown} (not in {file}); "
            f"valid: {', '.join(sorted(valid))}"
        )


def chip_fab_jurisdictions(chips: pd.DataFrame) -> dict[str, list[str]]:
    """Chip code -> jurisdictions of the foundries that make it (empty if not recorded)."""
    col = chips["fab_jurisdiction"] if "fab_jurisdiction" in chips.columns else None
    codes = chips["code"] if "code" in chips.columns else chips.index.to_series()
    if col is None:
        return {str(c): [] for c in codes}
    return {str(c): _codes(v) for c, v in zip(codes, col, strict=True)}


def apply_eligibility(
    sc: Scenario,
    t: Tables,
    ctx: HomeContext,
    countries: list[str],
    providers: list[str],
    chips: list[str],
) -> tuple[list[str], list[str], list[str]]:
    """Remove what ``exclude`` names and providers lacking a ``require``d certification.

    A jurisdiction is excluded in every layer: countries under it, providers headquartered
    in it (the public operator takes the home's jurisdiction), chips it designs and chips its
    foundries make. Unknown codes are input errors naming them. What is removed is recorded
    in ``ctx.removed`` so the plan can say it.
    """
    ex, req = sc.exclude, sc.require
    prov = t.providers.set_index("code")
    chp = t.chips.set_index("code")
    juris_of = dict(zip(t.countries["iso3"], t.countries["jurisdiction"], strict=True))
    _check_known(ex.countries, set(t.countries["iso3"]), "exclude.countries", "countries.csv")
    _check_known(ex.providers, set(prov.index), "exclude.providers", "providers.csv")
    _check_known(ex.chips, set(chp.index), "exclude.chips", "chips.csv")
    _check_known(ex.designers, set(chp["designer"]), "exclude.designers", "chips.csv designer")
    _check_known(
        ex.jurisdictions, set(t.jurisdictions["code"]), "exclude.jurisdictions", "jurisdictions.csv"
    )
    held = {
        p: {c.lower() for c in _codes(v)}
        for p, v in zip(prov.index, prov["certifications"], strict=True)
    }
    vocabulary = {c.lower(): c for c in KNOWN_CERTIFICATIONS}
    for certs in held.values():
        for c in certs:
            vocabulary.setdefault(c, c)
    _check_known(
        [c.lower() for c in req.certifications],
        set(vocabulary),
        "require.certifications",
        "providers.csv certifications or " + ", ".join(KNOWN_CERTIFICATIONS),
    )
    bad_j = set(ex.jurisdictions)
    fab_j = chip_fab_jurisdictions(t.chips)
    removed: dict[str, list[str]] = {}

    def keep(values: list[str], drop, kind: str) -> list[str]:
        gone = [v for v in values if drop(v)]
        if gone:
            removed[kind] = gone
        return [v for v in values if v not in set(gone)]

    home_j = ctx.home_jurisdictions

    def provider_j(p: str) -> set[str]:
        hq = prov.at[p, "hq_iso3"]
        return set(home_j) if hq == "*" else {juris_of[hq]}

    countries = keep(
        countries, lambda k: k in ex.countries or juris_of[k] in bad_j, "countries"
    )
    wanted = {c.lower() for c in req.certifications}
    providers = keep(
        providers,
        lambda p: p in ex.providers
        or bool(provider_j(p) & bad_j)
        or (
            bool(wanted)
            and prov.at[p, "kind"] != "public"
            and not (held[p] & wanted)
        ),
        "providers",
    )
    chips = keep(
        chips,
        lambda c: c in ex.chips
        or chp.at[c, "designer"] in ex.designers
        or chp.at[c, "jurisdiction"] in bad_j
        or bool(set(fab_j.get(c, [])) & bad_j),
        "chips",
    )
    ctx.removed = removed
    for kind, values in (("countries", countries), ("providers", providers), ("chips", chips)):
        if not values:
            raise InputError(
                f"fields 'exclude'/'require': they remove every candidate {kind[:-1]} "
                f"(removed: {', '.join(removed.get(kind, []))})"
            )
    return countries, providers, chips


def removed_note(removed: dict[str, list[str]]) -> str:
    """One line for the plan's notes: what eligibility rules removed."""
    parts = [f"{kind} {', '.join(codes)}" for kind, codes in removed.items() if codes]
    return "excluded by eligibility rules: " + "; ".join(parts) if parts else ""


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
    countries, providers, chips = apply_eligibility(sc, t, ctx, countries, providers, chips)

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
    # Foundry layer: the weakest foundry's score (a chip made at two fabs depends on both);
    # a chip without a recorded foundry takes its designer's score.
    fabs = chip_fab_jurisdictions(t.chips)
    j_fab = c.map(lambda code: ";".join(fabs.get(code, [])))
    s_fab = np.array(
        [
            min((ctx.scores.get(j, 0.0) for j in _codes(f)), default=sc_)
            for f, sc_ in zip(j_fab, s_chip, strict=True)
        ],
        dtype=float,
    )
    w_loc, w_prov, w_chip, w_fab = sc.weights.normalised()

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
        score=w_loc * s_loc + w_prov * s_prov + w_chip * s_chip + w_fab * s_fab,
        score_territorial=s_loc,
        score_provider=s_prov,
        score_chip=s_chip,
        score_fab=s_fab,
        home=k.isin(home).to_numpy(),
        j_country=juris_k.to_numpy(),
        j_provider=juris_p.to_numpy(),
        j_chip=juris_c.to_numpy(),
        j_fab=j_fab.to_numpy(),
    )


def _dependencies(opt: pd.DataFrame, foreign: list[str], fab: bool = True) -> pd.DataFrame:
    """(option, jurisdiction) for every foreign jurisdiction an option depends on, in any layer:
    territory, provider headquarters, chip designer and (with ``fab``) each chip foundry."""
    frames = [
        pd.DataFrame({"option": opt.index, "jurisdiction": opt[col]})
        for col in ("j_country", "j_provider", "j_chip")
    ]
    if fab and "j_fab" in opt.columns:
        fab_long = opt["j_fab"].map(_codes).explode().dropna()
        frames.append(pd.DataFrame({"option": fab_long.index, "jurisdiction": fab_long.values}))
    long = pd.concat(frames)
    long = long[long["jurisdiction"].isin(foreign)].drop_duplicates()
    return long.sort_values(["option", "jurisdiction"]).reset_index(drop=True)


def _stack_blocs(opt: pd.DataFrame, foreign: list[str]) -> dict[str, list[int]]:
    """Foreign jurisdiction j -> options whose stack leans on j alone.

    The stack is the provider (headquarters) and the chip (designer): the layers through which
    a power can switch a service off. An option "leans on j alone" when j is its only foreign
    jurisdiction in those two layers, e.g. a US chip in a public build, or a Chinese chip on a
    Chinese cloud; a US chip on a Chinese cloud leans on both and hedges nothing.
    """
    out: dict[str, list[int]] = {j: [] for j in foreign}
    fset = set(foreign)
    for a, jp, jc in zip(opt.index, opt["j_provider"], opt["j_chip"], strict=True):
        stack = {j for j in (jp, jc) if j in fset}
        if len(stack) == 1:
            out[stack.pop()].append(int(a))
    return out


def build_inputs(sc: Scenario, t: Tables) -> tuple[ModelInputs, HomeContext]:
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
        deps = _dependencies(opt, ctx.foreign, fab=sc.constraints.fab_dependency)
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
    note = removed_note(ctx.removed)
    if note:
        notes.append(note)

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
            bound = np.minimum(
                bound, np.where(least > 0, np.floor(sc.budget / least + 1e-9), bound)
            )
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
    blocs = sc.strategy == "hedge_blocs"
    bloc_options = _stack_blocs(opt, ctx.foreign) if blocs else {}
    if blocs and limits.max_share_foreign_jurisdiction is None:
        notes.append(
            "hedge_blocs without limits.max_share_foreign_jurisdiction: two rival blocs are "
            "used but neither is capped"
        )
    inp = ModelInputs(
        periods=list(sc.periods),
        years=years,
        discount=discount,
        target=target,
        options=opt,
        dependencies=_dependencies(opt, ctx.foreign, fab=sc.constraints.fab_dependency),
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
        max_share_country=limits.max_share_country if sc.constraints.siting else None,
        min_countries=limits.min_countries if sc.constraints.siting else None,
        min_blocs=2 if blocs and sc.constraints.diversification else None,
        bloc_options=bloc_options,
        resilience_weight=sc.weights.resilience,
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
