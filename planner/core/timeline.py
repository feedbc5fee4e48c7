"""Options in time: the systems already in service or contracted, the years each serves and
pays for, and when new capacity can be bought (sale windows) and serve (lead times).

Why a module of its own: these rules (issue #23) decide *when* an option exists, separately
from *what* it is and costs (``planner.core.inputs``, ``planner.core.costs``); the model
reads their result as fixed module counts, retirable systems, years served and pairs with no
purchase (``models.inputs.ModelInputs``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.core.data import Tables
from planner.core.errors import InputError, nearest
from planner.core.scenario import Scenario

#: An existing or committed system's option columns (a project's adds two of its own).
SYSTEM_COLUMNS = [
    "country",
    "provider",
    "chip",
    "accelerators",
    "existing_name",
    "since",
    "until",
    "named_operator",
    "retirable",
    "committed",
    "capital_musd",
]


def existing_options(sc: Scenario, t: Tables) -> pd.DataFrame:
    """One option per ``existing`` or ``committed`` system: its own (country, provider, chip),
    the whole system as one module (``accelerators``), able to serve from ``since`` to
    ``until``; a committed system also carries its known capital (``capital_musd``)."""
    cols = SYSTEM_COLUMNS
    systems = [("existing", i, e) for i, e in enumerate(sc.existing)] + [
        ("committed", i, e) for i, e in enumerate(sc.committed)
    ]
    if not systems:
        return pd.DataFrame(columns=cols)
    iso = set(t.countries["iso3"])
    codes = set(t.providers["code"])
    chips = set(t.chips["code"])
    public = t.providers.loc[t.providers["kind"] == "public", "code"].tolist()
    rows = []
    for key, i, e in systems:
        where = f"field '{key}.{i}"
        if e.country not in iso:
            raise InputError(
                f"{where}.country': unknown country '{e.country}' (not in countries.csv)"
                + nearest(e.country, iso)
            )
        provider = e.provider
        if provider.lower() == "public":
            if not public:
                raise InputError(
                    f"{where}.provider': no provider of kind 'public' in providers.csv"
                )
            provider = public[0]
        if provider not in codes:
            raise InputError(
                f"{where}.provider': unknown provider '{e.provider}' (not in providers.csv)"
                + nearest(e.provider, codes)
            )
        if e.chip not in chips:
            raise InputError(
                f"{where}.chip': unknown chip '{e.chip}' (not in chips.csv)"
                + nearest(e.chip, chips)
            )
        until = e.until if e.until is not None else 10_000
        label = e.label
        committed = key == "committed"
        capital = float(getattr(e, "capital_musd", 0.0)) if committed else 0.0
        rows.append(
            (
                e.country,
                provider,
                e.chip,
                e.accelerators,
                label,
                e.since,
                until,
                e.operator.strip(),
                bool(e.retirable) and not committed,
                committed,
                capital,
            )
        )
    return pd.DataFrame(rows, columns=cols)


def project_label(code: str, name: str) -> str:
    """A project's name in the plan (the allocation's ``existing`` column)."""
    return f"{name} [{code}]"


def project_since(sc: Scenario, t: Tables) -> dict[str, float]:
    """Label -> earliest service year of every project the scenario lists (the cut rule
    reads a joined project as installed from that year, like a committed system)."""
    if not sc.projects or t.projects is None:
        return {}
    table = t.projects.set_index("code")
    return {
        project_label(code, str(table.at[code, "name"])): float(
            table.at[code, "earliest_service_year"]
        )
        for code in sc.projects
        if code in table.index
    }


def project_options(sc: Scenario, t: Tables, home: set[str]) -> pd.DataFrame:
    """One option per project the scenario lists (``projects``), shaped like a committed
    system's: the home's share of the accelerators as one module at the project's site,
    provider and chip, serving from ``earliest_service_year`` to ``end_year``, its capital
    the home's share of the total cost (``cost_share`` x ``total_cost_musd``). ``joinable``
    marks the ones the plan decides (not ``joined``); ``project`` marks them all.

    A project whose provider is the public build option (PUBLIC: an operator headquartered
    in the site country) may be joined only by a home that includes the site country: its
    operator's headquarters is not otherwise recorded, so a foreign home would read it as
    its own public operator."""
    cols = [*SYSTEM_COLUMNS, "project", "joinable"]
    if not sc.projects:
        return pd.DataFrame(columns=cols)
    if t.projects is None:
        raise InputError(
            f"field 'projects': the data folder has no projects.csv ({t.folder or 'data folder'})"
        )
    table = t.projects.set_index("code")
    public = set(t.providers.loc[t.providers["kind"] == "public", "code"])
    rows = []
    for code, share in sc.projects.items():
        where = f"field 'projects.{code}'"
        if code not in table.index:
            raise InputError(
                f"{where}: unknown project '{code}' (not in projects.csv)"
                + nearest(code, list(table.index))
            )
        row = table.loc[code]
        public_share = float(row["public_share"])
        home_share = share.home_share if share.home_share is not None else public_share
        cost_share = share.cost_share if share.cost_share is not None else public_share
        accelerators = int(round(home_share * int(row["accelerators"])))
        if accelerators < 1:
            raise InputError(
                f"{where}.home_share: {home_share:g} of {int(row['accelerators'])} accelerators "
                "is less than one accelerator"
            )
        if row["provider"] in public and row["country"] not in home:
            raise InputError(
                f"{where}: its operator ({row['operator']}) stands as the public option "
                f"(provider {row['provider']}) of its site country {row['country']}, which is "
                "not home: its headquarters is not recorded, so only a home including "
                f"{row['country']} may join it"
            )
        end = row["end_year"]
        rows.append(
            (
                row["country"],
                row["provider"],
                row["chip"],
                accelerators,
                project_label(code, str(row["name"])),
                int(row["earliest_service_year"]),
                int(end) if pd.notna(end) else 10_000,
                str(row["operator"]).strip(),
                False,
                True,
                cost_share * float(row["total_cost_musd"]),
                True,
                not share.joined,
            )
        )
    return pd.DataFrame(rows, columns=cols)


def service(
    sc: Scenario, opt: pd.DataFrame, years: dict[int, float]
) -> tuple[dict[tuple[int, int], float], list[int], np.ndarray]:
    """Existing and committed systems in time: fixed modules, who may retire, years served.

    A system serves (and counts) in period t when ``since`` ≤ t ≤ ``until``; it is fixed at 0
    outside, at 1 inside unless the plan may retire it (``retirable``) or may join it (a
    ``joinable`` project: in {0, 1}, the same in every period it serves, ``add_projects``). It runs, and pays
    running cost, energy and emissions, for u[a,t] = min(t + y_t, until + 1) − t of the
    period's y_t years (JUPITER until 2030 pays for 2030 only, not for 2030-2034).
    """
    periods = list(sc.periods)
    u = np.repeat(np.array([years[p] for p in periods], dtype=float)[None, :], len(opt), axis=0)
    fixed: dict[tuple[int, int], float] = {}
    retirable: list[int] = []
    if "since" not in opt.columns:
        return fixed, retirable, u
    since = opt["since"].to_numpy(float)
    until = opt["until"].to_numpy(float)
    may_retire = opt["retirable"].fillna(False).to_numpy(bool)
    joinable = (
        opt["joinable"].fillna(False).to_numpy(bool)
        if "joinable" in opt.columns
        else np.zeros(len(opt), bool)
    )
    for a in np.flatnonzero(opt["existing"].to_numpy(bool)):
        serving = [since[a] <= p <= until[a] for p in periods]
        for i, p in enumerate(periods):
            if not serving[i]:
                fixed[(int(a), p)] = 0.0
            elif not may_retire[a] and not joinable[a]:
                fixed[(int(a), p)] = 1.0
            if serving[i]:
                u[a, i] = float(min(p + years[p], until[a] + 1) - p)
        if may_retire[a] and any(serving):
            retirable.append(int(a))
    return fixed, retirable, u


def sale_and_lead_times(
    sc: Scenario, opt: pd.DataFrame, fixed: dict[tuple[int, int], float], notes: list[str]
) -> list[tuple[int, int]]:
    """When new capacity can serve and be added; fills ``fixed`` and returns ``no_purchase``.

    - no chip before it is available: n = 0 in periods before ``available_from``;
    - owned capacity has a lead time L (``economics.build_lead_time_years``, procurement and
      construction): a module serving from period t was ordered in year t − L, and nothing
      can be ordered before the first planning period t0 ("now"), so new owned modules serve
      from the first period t ≥ t0 + L (n = 0 before); rent starts at once;
    - a chip is bought new only while on sale, up to its ``end_of_sale``: an owned module
      serving from t is ordered in some year from t0 to t − L, so it can be added only if
      that window meets the sale window (t0 ≤ end_of_sale); otherwise (a, t) is in
      ``no_purchase`` (no module added; those bought before stay). An order placed before
      the sale ends may be delivered later (a last-time buy), which keeps the rule monotone:
      a later end of sale or a shorter lead time never removes a choice. Rented capacity is
      not bound by it: a provider keeps renting its installed fleet after the vendor stops
      selling a chip (AWS had retired no A100 server six years after launch, its CEO said in
      2026, reported by Data Center Dynamics).
    """
    periods = list(sc.periods)
    t0 = periods[0]
    lead = sc.economics.build_lead_time_years
    avail = opt["available_from"].to_numpy(float)
    eos = opt["end_of_sale"].to_numpy(float)
    owned = opt["owned"].to_numpy(bool)
    existing = opt["existing"].to_numpy(bool)
    no_purchase: list[tuple[int, int]] = []
    for a in np.flatnonzero(~existing):
        start = avail[a] if math.isfinite(avail[a]) else -math.inf
        if owned[a]:
            start = max(start, t0 + lead)
        for p in periods:
            if p < start:
                fixed[(int(a), p)] = 0.0
            elif owned[a] and math.isfinite(eos[a]) and t0 > eos[a]:
                no_purchase.append((int(a), p))
    new = opt[~existing]
    unavailable = sorted(
        {str(c) for c, av in zip(new["chip"], new["available_from"], strict=True) if av > t0}
    )
    if unavailable:
        notes.append("not available before their available_from year: " + ", ".join(unavailable))
    if lead > 0 and owned.any():
        first = next((p for p in periods if p >= t0 + lead), None)
        notes.append(
            f"lead time: owned capacity takes {lead} year(s) to procure and build from {t0}, "
            + (f"so it serves from {first}" if first else "so none serves within the plan")
            + "; rented capacity can start at once"
        )
    bought = opt[~existing & owned]
    ended = sorted(
        {
            f"{c} ({int(e)})"
            for c, e in zip(bought["chip"], bought["end_of_sale"], strict=True)
            if math.isfinite(e) and e < t0
        }
    )
    if ended:
        notes.append(
            f"end of sale: no owned purchase of chips whose sale ended before {t0}: "
            + ", ".join(ended)
            + "; renting them continues"
        )
    return no_purchase
