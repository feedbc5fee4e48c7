"""Who is home, how far each jurisdiction is trusted, and what counts as foreign.

One place decides the home set (blocs expanded), the relationship scores and the rule for
"foreign" (a jurisdiction other than one lying entirely inside the home), so the index, the
share caps, N-1, aligning and ``stress`` all use the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from planner.core.data import Tables
from planner.core.errors import InputError, nearest
from planner.core.profiles import ProfileChoice, choose_profile, curated_homes
from planner.core.scenario import Scenario


@dataclass
class HomeContext:
    """Who is home, how each jurisdiction scores, and which jurisdictions are foreign."""

    home: list[str]  # ISO3 codes
    profile: str
    scores: dict[str, float]  # jurisdiction -> score (home jurisdictions included)
    #: jurisdictions lying entirely inside the home (EU for home EU27, GBR for home GBR;
    #: none for home FRA, whose jurisdiction EU reaches beyond it)
    home_jurisdictions: set[str]
    #: every other jurisdiction: foreign in the index, the share caps, N-1 and stress alike
    foreign: list[str]
    #: what the scenario's ``exclude``/``require`` removed: kind -> codes (for the plan's notes)
    removed: dict[str, list[str]] = field(default_factory=dict)
    #: what was assumed about the relationship profile ('' when a curated row was used)
    assumption: str = ""


def split_codes(value: object) -> list[str]:
    """A ';'-separated cell of a data table as a list of codes."""
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
                f"field 'home': unknown country or bloc '{code}' (not in countries.csv; "
                f"blocs: {known}){nearest(code, iso | set(blocs))}"
            )
    if sc.relationship_profile:
        if sc.relationship_profile not in set(curated_homes(t)):
            raise InputError(
                f"field 'relationship_profile': '{sc.relationship_profile}' has no rows in "
                f"relationships.csv{nearest(sc.relationship_profile, curated_homes(t))} "
                f"(profiles: {', '.join(curated_homes(t))})"
            )
        choice = ProfileChoice("curated", sc.relationship_profile, {})
        rel = t.relationships[t.relationships["home"] == sc.relationship_profile]
        chosen = dict(zip(rel["jurisdiction"], rel["score"].astype(float), strict=True))
    else:
        choice = choose_profile(list(sc.home), home, t)
        chosen = choice.scores
    profile = choice.row
    scores = {str(j): 0.0 for j in t.jurisdictions["code"]}
    scores.update(chosen)
    _override_scores(scores, sc.scores)
    juris_of = dict(zip(t.countries["iso3"], t.countries["jurisdiction"], strict=True))
    home_set = set(home)
    # One rule for "foreign": a jurisdiction entirely inside the home (EU for home EU27) is
    # the home itself and scores 1; every other jurisdiction is foreign, whatever its score
    # (EU for home FRA scores 0.85 and is foreign in the caps, N-1 and stress too).
    home_j = {
        j
        for j in {juris_of[k] for k in home}
        if all(k in home_set for k, jk in juris_of.items() if jk == j)
    }
    for j in home_j:
        scores[j] = 1.0
    foreign = sorted(j for j in scores if j not in home_j)
    assumption = choice.assumption
    if assumption and sc.scores:
        assumption += f" (your scores: override {', '.join(sorted(sc.scores))})"
    return HomeContext(home, profile, scores, home_j, foreign, assumption=assumption)


def _override_scores(scores: dict[str, float], given: dict[str, float]) -> None:
    """The scenario's ``scores`` over the profile's, in place (an unknown code is an error)."""
    for j, s in given.items():
        if j not in scores:
            raise InputError(
                f"field 'scores.{j}': unknown jurisdiction '{j}' (not in jurisdictions.csv)"
                + nearest(j, scores)
            )
        scores[j] = float(s)


def rescored(ctx: HomeContext, given: dict[str, float]) -> HomeContext:
    """``ctx`` with a scenario's ``scores`` applied over it, as ``resolve_home`` would give
    for that scenario when only its scores differ (home jurisdictions still score 1): what
    re-scoring a plan in another future needs, without resolving the home again."""
    scores = dict(ctx.scores)
    _override_scores(scores, given)
    for j in ctx.home_jurisdictions:
        scores[j] = 1.0
    return replace(ctx, scores=scores)


def layer_jurisdictions(
    country: pd.Series, provider: pd.Series, chip: pd.Series, t: Tables, ctx: HomeContext
) -> pd.DataFrame:
    """The foreign jurisdiction each layer of an option depends on (None where the layer is
    home), the one place that decides dependence: the index scores exactly these layers by
    their jurisdiction's score, and share caps, N-1 and stress group by them.

    territorial: the country's jurisdiction unless the country is home;
    provider:    its headquarters' jurisdiction unless headquartered at home (or ``*``, the
                 public/own-build option);
    chip:        the controlling jurisdiction unless it is a home jurisdiction.
    """
    cty = t.countries.set_index("iso3")
    prov = t.providers.set_index("code")
    chp = t.chips.set_index("code")
    home = set(ctx.home)
    hq = provider.map(prov["hq_iso3"])
    j_country = country.map(cty["jurisdiction"]).where(~country.isin(home), None)
    # one lookup per headquarters, not per option (France has 356 options, 13 providers)
    by_hq = {h: None if h == "*" or h in home else cty.at[h, "jurisdiction"] for h in set(hq)}
    j_provider = hq.map(by_hq)
    j_chip = chip.map(chp["jurisdiction"])
    j_chip = j_chip.where(~j_chip.isin(ctx.home_jurisdictions), None)
    out = pd.DataFrame(
        {"j_country": j_country, "j_provider": j_provider, "j_chip": j_chip}, index=country.index
    ).astype(object)
    return out.where(out.notna(), None)
