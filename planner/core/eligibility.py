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
    vocabulary = {c.lower(): c for c in KNOWN_CERTIFICATIONS}
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
