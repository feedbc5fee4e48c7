"""Eligibility rules: what ``exclude`` removes and which providers ``require`` keeps.

Applied before options are derived, so a removed supplier never reaches the model; what was
removed is recorded on the home context for the plan's notes and reading.
"""

from __future__ import annotations

import pandas as pd

from planner.core.data import Tables
from planner.core.errors import InputError, nearest
from planner.core.home import HomeContext, split_codes
from planner.core.scenario import Scenario

#: Certifications a scenario may require even if no provider in the data holds them (EUCS is
#: not yet granted to anyone); others must appear in providers.csv's ``certifications``.
KNOWN_CERTIFICATIONS = ("SecNumCloud", "EUCS", "BSI C5", "FedRAMP", "UK G-Cloud")


def _check_known(codes: list[str], valid: set[str], field_name: str, file: str) -> None:
    unknown = [c for c in codes if c not in valid]
    if unknown:
        raise InputError(
            f"field '{field_name}': unknown code(s) {unknown} (not in {file}"
            + "".join(f"; {c}{nearest(c, valid)}" for c in unknown if nearest(c, valid))
            + f"); valid: {', '.join(sorted(valid))}"
        )


def chip_fab_jurisdictions(chips: pd.DataFrame) -> dict[str, list[str]]:
    """Chip code -> jurisdictions of the foundries that make it (empty if not recorded)."""
    col = chips["fab_jurisdiction"] if "fab_jurisdiction" in chips.columns else None
    codes = chips["code"] if "code" in chips.columns else chips.index.to_series()
    if col is None:
        return {str(c): [] for c in codes}
    return {str(c): split_codes(v) for c, v in zip(codes, col, strict=True)}


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
        p: {c.lower() for c in split_codes(v)}
        for p, v in zip(prov.index, prov["certifications"], strict=True)
    }
    offers = offer_certifications(t)
    if offers is not None:  # service level: a provider holds what any of its offers holds
        held = {p: set() for p in prov.index}
        for (p, _k), certs in offers.items():
            held.setdefault(p, set()).update(certs)
    vocabulary = {c.lower(): c for c in KNOWN_CERTIFICATIONS}
    for v in prov["certifications"]:
        for c in split_codes(v):
            vocabulary.setdefault(c.lower(), c)
    for certs in held.values():
        for c in certs:
            vocabulary.setdefault(c, c)
    unknown = [c for c in req.certifications if c.lower() not in vocabulary]
    if unknown:
        raise InputError(
            f"field 'require.certifications': unknown certification(s) {unknown} (not in "
            f"providers.csv certifications nor one of {', '.join(KNOWN_CERTIFICATIONS)}); "
            f"valid: {', '.join(sorted(set(vocabulary.values())))}"
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

    countries = keep(countries, lambda k: k in ex.countries or juris_of[k] in bad_j, "countries")
    wanted = {c.lower() for c in req.certifications}
    providers = keep(
        providers,
        lambda p: (
            p in ex.providers
            or bool(provider_j(p) & bad_j)
            or (bool(wanted) and prov.at[p, "kind"] != "public" and not (held[p] & wanted))
        ),
        "providers",
    )
    chips = keep(
        chips,
        lambda c: (
            c in ex.chips
            or chp.at[c, "designer"] in ex.designers
            or chp.at[c, "jurisdiction"] in bad_j
            or bool(set(fab_j.get(c, [])) & bad_j)
        ),
        "chips",
    )
    if sc.constraints.export_controls:
        chips = keep(
            chips,
            lambda c: sc.export_regime in restricted_under(chp, c),
            f"chips (export_regime {sc.export_regime})",
        )
    ctx.removed = removed
    for kind, values in (("countries", countries), ("providers", providers), ("chips", chips)):
        if not values:
            raise InputError(
                f"fields 'exclude'/'require': they remove every candidate {kind[:-1]} "
                f"(removed: {', '.join(removed.get(kind, []))})"
            )
    return countries, providers, chips


def restricted_under(chp: pd.DataFrame, code: str) -> list[str]:
    """The export regimes under which a chip (chips.csv indexed by code) is excluded."""
    if "restricted_under" not in chp.columns:
        return []
    return split_codes(chp.at[code, "restricted_under"])


def export_regime_note(sc: Scenario, t: Tables, chips: list[str]) -> str:
    """When the export regime matters: which candidate chips another regime would remove.

    Under ``us_guidance_2025`` the removed chips are in the eligibility note; under any other
    regime the note names the candidate chips that ``us_guidance_2025`` would exclude, so a
    reader sees whether the choice of regime can change the plan (empty when it cannot).
    """
    chp = t.chips.set_index("code")
    if sc.export_regime == "us_guidance_2025" or not sc.constraints.export_controls:
        return ""
    at_risk = [c for c in chips if "us_guidance_2025" in restricted_under(chp, c)]
    if not at_risk:
        return ""
    return (
        f"export_regime {sc.export_regime}: candidate chips {', '.join(at_risk)} would be "
        "excluded under us_guidance_2025 (US BIS guidance of 2025-05-13 on Huawei Ascend)"
    )


def offer_certifications(t: Tables) -> dict[tuple[str, str], set[str]] | None:
    """(provider, country) -> certifications covering that offer (lower case), or None when
    the data records certifications only per provider (no service-level certification in
    provider_regions.csv: the column is absent or blank everywhere)."""
    pr = t.provider_regions
    if "certifications" not in pr.columns:
        return None
    offers = {
        (str(p), str(k)): {c.lower() for c in split_codes(v)}
        for p, k, v in zip(pr["provider"], pr["iso3"], pr["certifications"].fillna(""), strict=True)
    }
    return offers if any(offers.values()) else None


def offer_filter(sc: Scenario, t: Tables):
    """A test ``allowed(provider, country) -> bool`` for the service-level requirements
    (``require.certifications`` at offer level and ``require.seal_min``), or None when neither
    applies. The public build-and-operate option always passes; an offer with no row in
    provider_regions.csv (a provider building where it has no region) has no certification
    or level and fails."""
    req = sc.require
    offers = offer_certifications(t)
    wanted = {c.lower() for c in req.certifications}
    use_certs = bool(wanted) and offers is not None
    if not use_certs and req.seal_min is None:
        return None
    public = set(t.providers.loc[t.providers["kind"] == "public", "code"])
    pr = t.provider_regions
    seal: dict[tuple[str, str], float] = {}
    if "seal_level" in pr.columns:
        for p, k, v in zip(pr["provider"], pr["iso3"], pr["seal_level"], strict=True):
            if pd.notna(v):
                seal[(str(p), str(k))] = float(v)

    def allowed(p: str, k: str) -> bool:
        if p in public:
            return True
        if use_certs and not (offers.get((p, k), set()) & wanted):
            return False
        return not (req.seal_min is not None and seal.get((p, k), -1.0) < req.seal_min)

    return allowed


def removed_note(removed: dict[str, list[str]]) -> str:
    """One line for the plan's notes: what eligibility rules removed."""
    parts = [f"{kind} {', '.join(codes)}" for kind, codes in removed.items() if codes]
    return "excluded by eligibility rules: " + "; ".join(parts) if parts else ""


def kept_existing_note(sc: Scenario, t: Tables, ctx: HomeContext, old: pd.DataFrame) -> str:
    """One line for the plan's notes: existing or committed systems that ``exclude`` or
    ``require`` would remove, and which are kept.

    Eligibility rules govern what the plan buys and contracts; a system already in service
    (or contracted) is kept whatever it depends on, and the plan may still retire an existing
    one early. Saying so is the point: the rules used to be silently ignored for them.
    """
    ex, req = sc.exclude, sc.require
    if not ex.any() and not req.certifications:
        return ""
    prov = t.providers.set_index("code")
    chp = t.chips.set_index("code")
    juris_of = dict(zip(t.countries["iso3"], t.countries["jurisdiction"], strict=True))
    fab_j = chip_fab_jurisdictions(t.chips)
    bad_j = set(ex.jurisdictions)
    wanted = {c.lower() for c in req.certifications}
    kept = []
    for row in old.itertuples(index=False):
        hq = prov.at[row.provider, "hq_iso3"]
        provider_j = set(ctx.home_jurisdictions) if hq == "*" else {juris_of.get(hq, hq)}
        held = {c.lower() for c in split_codes(prov.at[row.provider, "certifications"])}
        reasons = []
        if row.country in ex.countries or juris_of.get(row.country) in bad_j:
            reasons.append(f"country {row.country}")
        if row.provider in ex.providers or provider_j & bad_j:
            reasons.append(f"provider {row.provider}")
        if (
            row.chip in ex.chips
            or chp.at[row.chip, "designer"] in ex.designers
            or chp.at[row.chip, "jurisdiction"] in bad_j
            or set(fab_j.get(row.chip, [])) & bad_j
        ):
            reasons.append(f"chip {row.chip}")
        if wanted and prov.at[row.provider, "kind"] != "public" and not (held & wanted):
            reasons.append("certification")
        if reasons:
            kept.append(f"{row.existing_name} ({', '.join(reasons)})")
    if not kept:
        return ""
    return (
        "exclude/require govern new purchases and contracts; existing and committed systems "
        "they would exclude are kept (an existing one may still be retired): " + "; ".join(kept)
    )
