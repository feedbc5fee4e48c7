"""Relationship profiles: how far a home trusts each foreign jurisdiction, for any home.

``data/relationships.csv`` has curated rows for a few homes only (EU27, FRA, GBR, KEN, BRA).
A home without a row used to score every foreign jurisdiction 0 without a word, so a
Japanese or German plan read as if every partner were a rival. Here every home gets a
stated profile, and the choice is reported (``ProfileChoice.assumption``) wherever a plan
is validated, solved or shown:

1. ``relationship_profile`` in the scenario, or a curated row named like the home (the bloc,
   or the single home country): used as it is, nothing is assumed.
2. Every home country belongs to one bloc that has a curated row (``data/blocs.csv``; e.g.
   DEU in EU27): that row is inherited, except the bloc's own jurisdiction, which is not
   wholly home for a member state and scores ``BLOC_MEMBER_SCORE`` (an assumption).
3. Otherwise: every foreign jurisdiction scores ``NEUTRAL_SCORE`` (an assumption).

Explicit ``scores:`` in the scenario override any of these, jurisdiction by jurisdiction.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner.core.data import Tables
from planner.core.errors import nearest  # noqa: F401  (re-exported for callers)

#: Assumption, range 0-0.5: the score of every foreign jurisdiction for a home without a
#: curated or inherited profile. 0.3 is what the curated rows give a partner with no
#: alliance, data-adequacy decision or rivalry (EU27, FRA, KEN and BRA score such partners
#: 0.25-0.35, data/relationships.csv); 0 would call every partner a rival, 0.5 an ally.
NEUTRAL_SCORE = 0.3
#: Assumption, range 0.7-0.95: a member state inheriting its bloc's row scores the bloc's own
#: jurisdiction (other members' territory and providers) as the one curated member profile
#: does (FRA scores EU 0.85: shared law and institutions, other states' soil).
BLOC_MEMBER_SCORE = 0.85


@dataclass(frozen=True)
class ProfileChoice:
    """The relationship profile a home gets and why."""

    #: "curated" (a row of relationships.csv), "bloc" (inherited from the home's bloc) or
    #: "neutral" (NEUTRAL_SCORE for every foreign jurisdiction)
    kind: str
    #: the relationships.csv row used ("" for neutral)
    row: str
    #: jurisdiction -> score from the profile (jurisdictions missing from a row score 0)
    scores: dict[str, float]
    #: the sentence a user sees when something was assumed ("" when curated)
    assumption: str = ""


def curated_homes(t: Tables) -> list[str]:
    """The homes with their own rows in relationships.csv."""
    return sorted(str(h) for h in t.relationships["home"].unique())


def _row(t: Tables, name: str) -> dict[str, float]:
    rel = t.relationships[t.relationships["home"] == name]
    return dict(zip(rel["jurisdiction"].astype(str), rel["score"].astype(float), strict=True))


def _blocs_of(t: Tables) -> dict[str, list[str]]:
    return {str(b): list(m) for b, m in t.blocs.groupby("bloc")["iso3"]}


def choose_profile(home_codes: list[str], home: list[str], t: Tables) -> ProfileChoice:
    """The profile for a home as written (``home_codes``: countries and blocs) whose
    expanded countries are ``home``; see the module docstring for the order of the rules."""
    jurisdictions = [str(j) for j in t.jurisdictions["code"]]
    curated = set(curated_homes(t))
    if len(home_codes) == 1 and home_codes[0] in curated:
        return ProfileChoice("curated", home_codes[0], _row(t, home_codes[0]))
    written = ", ".join(home_codes)
    blocs = _blocs_of(t)
    member_of = [b for b in sorted(curated) if b in blocs and set(home) <= set(blocs[b])]
    if member_of:
        bloc = member_of[0]
        scores = _row(t, bloc)
        own = set(
            t.countries.loc[t.countries["iso3"].isin(blocs[bloc]), "jurisdiction"].astype(str)
        )
        for j in own:
            scores[j] = BLOC_MEMBER_SCORE
        return ProfileChoice(
            "bloc",
            bloc,
            scores,
            f"home {written} has no row in relationships.csv: assumed the {bloc} profile "
            f"(its bloc), with {', '.join(sorted(own))} itself scored {BLOC_MEMBER_SCORE:g} "
            "(a member state, not the whole bloc); set relationship_profile or scores: "
            "to state your own",
        )
    return ProfileChoice(
        "neutral",
        "",
        {j: NEUTRAL_SCORE for j in jurisdictions},
        f"home {written} has no row in relationships.csv and no bloc with one: assumed the "
        f"neutral default, every foreign jurisdiction scored {NEUTRAL_SCORE:g} (assumption, "
        "range 0-0.5); set relationship_profile or scores: to state your own",
    )


def profiles_table(t: Tables) -> pd.DataFrame:
    """Every home a scenario can name and the profile it gets: one row per curated profile,
    per bloc, and per country without its own row (what ``sovplan info --codes`` lists)."""
    rows: list[dict[str, str]] = []
    curated = set(curated_homes(t))
    blocs = _blocs_of(t)
    for name in sorted(curated):
        n = int((t.relationships["home"] == name).sum())
        rows.append({"home": name, "profile": name, "kind": "curated", "note": f"{n} scores"})
    for bloc in sorted(set(blocs) - curated):
        choice = choose_profile([bloc], blocs[bloc], t)
        rows.append(
            {"home": bloc, "profile": choice.row or "neutral", "kind": choice.kind, "note": ""}
        )
    for iso in sorted(set(t.countries["iso3"].astype(str)) - curated):
        choice = choose_profile([iso], [iso], t)
        note = (
            f"{choice.row} row, own bloc at {BLOC_MEMBER_SCORE:g}"
            if choice.kind == "bloc"
            else f"every foreign jurisdiction {NEUTRAL_SCORE:g}"
        )
        rows.append(
            {"home": iso, "profile": choice.row or "neutral", "kind": choice.kind, "note": note}
        )
    return pd.DataFrame(rows, columns=["home", "profile", "kind", "note"])
