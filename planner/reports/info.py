"""``sovplan info``: headline facts of the bundled data next to the report's figures.

``data_summary(tables)`` recomputes each fact from observations in the data tables (the
providers' region lists in ``provider_regions.regions``, the sourced side tables
``market_share.csv`` and ``report_facts.csv``) and puts the report's figure alongside, with a
``note`` wherever the two differ. The per-region AI counts (``ai_regions``) of the surveyed
providers are reconstructed to match the report's totals, so they are never the value: they
are shown as ``reconstructed`` beside it. See data/SOURCES.md for how each was derived.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

#: Provider nationality used by the report's census (by headquarters jurisdiction).
_NATIONALITY = {"USA": "US", "CHN": "CN", "EU": "EU", "CHE": "EU"}

#: Report figures (secondary summaries of the OII report; data/report_facts.csv has the URLs).
REPORT = {
    "countries_with_gpu_regions": 33,
    "providers_surveyed": 9,
    "ai_regions_by_provider_nationality": {"US": 87, "CN": 39, "EU": 6, "total": 132},
    "regions_total": 225,
    "us_designer_accelerator_share": "80-95% (NVIDIA alone); 95.5% of accelerators in the "
    "surveyed cloud regions are from US companies",
    "countries_hedging": 12,
    "countries_aligned": 18,
    "countries_training_capable": 24,
}


def _folder(tables: Any) -> Path | None:
    folder = getattr(tables, "folder", "") or ""
    return Path(folder) if folder else None


def _read_side(tables: Any, name: str) -> pd.DataFrame | None:
    """A side table of the tables' folder, through the loader's checks (None if absent)."""
    from planner.core.data import read_side_table

    folder = _folder(tables)
    if folder is None:
        return None
    return read_side_table(folder, name.removesuffix(".csv"))


def _whole_number(table: pd.DataFrame, row: int, column: str, file: str) -> int:
    """A cell of a text column that this fact needs as a whole number, or InputError."""
    from planner.core.errors import InputError

    text = str(table[column].iloc[row]).strip()
    if not text.isdigit() or len(text) > 9:
        raise InputError(
            f"{file}: row {int(table.index[row]) + 2}, column '{column}': {text[:40]!r} is not "
            "a whole number"
        )
    return int(text)


def _fact(ours: Any, report: Any, note: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"value": ours, "report": report}
    if note:
        out["note"] = note
    return out


def _split(reg: pd.DataFrame, column: str) -> dict[str, int]:
    """Regions (``column``) by provider nationality, with the total."""
    by_nat = reg.groupby("nat")[column].sum()
    out = {k: int(by_nat.get(k, 0)) for k in ("US", "CN", "EU")}
    out["total"] = int(reg[column].sum())
    return out


def _hosts(reg: pd.DataFrame, column: str) -> list[str]:
    per_country = reg.groupby("iso3")[column].sum()
    return sorted(per_country[per_country > 0].index)


def _blocs(reg: pd.DataFrame, column: str) -> tuple[list[str], list[str]]:
    """Countries hosting both US and Chinese providers' regions, and those hosting one side."""
    per_nat = reg[reg[column] > 0].groupby("iso3")["nat"].apply(set)
    hedging = sorted(k for k, s in per_nat.items() if {"US", "CN"} <= s)
    aligned = sorted(k for k, s in per_nat.items() if len(s & {"US", "CN"}) == 1)
    return hedging, aligned


def data_summary(tables: Any) -> dict[str, Any]:
    """Headline facts of a data folder, each with the report's figure and a note if they differ.

    ``tables`` is what ``planner.core.data.load_tables`` returns (attributes ``countries``,
    ``providers``, ``provider_regions``, ``chips``, ...).
    """
    countries = tables.countries
    providers = tables.providers
    regions = tables.provider_regions
    juris_of = dict(zip(countries["iso3"], countries["jurisdiction"], strict=True))

    surveyed = providers[providers["surveyed"].astype(str).str.lower().isin(["true", "1"])]
    nat = {
        row.code: _NATIONALITY.get(juris_of.get(row.hq_iso3, ""), "other")
        for row in surveyed.itertuples()
    }
    # The census counts regions in service: announced ones (available_from set) are left out.
    in_service = (
        regions["available_from"].isna()
        if "available_from" in regions.columns
        else pd.Series(True, index=regions.index)
    )
    reg = regions[regions["provider"].isin(nat) & in_service].assign(
        nat=lambda d: d["provider"].map(nat)
    )

    # Observed: the region lists (`regions`, from the providers' region pages), recomputed
    # here. Reconstructed: `ai_regions`, which data/build/derive.py fits to the report's
    # totals, so its agreement with the report is by construction and shown only beside.
    observed_split = _split(reg, "regions")
    fitted_split = _split(reg, "ai_regions")
    obs_hosts = _hosts(reg, "regions")
    fit_hosts = _hosts(reg, "ai_regions")
    obs_hedging, obs_aligned = _blocs(reg, "regions")
    fit_hedging, fit_aligned = _blocs(reg, "ai_regions")
    # rows whose count is the report's census (a table without source columns has none)
    sources = countries.get("ai_cloud_regions_source", pd.Series("", index=countries.index))
    census = countries[sources.astype(str).str.startswith("OII")]
    published = sorted(census.loc[census["ai_cloud_regions"] > 0, "iso3"])

    facts: dict[str, Any] = {}
    facts["countries_with_gpu_regions"] = _fact(
        len(obs_hosts),
        REPORT["countries_with_gpu_regions"],
        "observed: countries where a surveyed provider has a region in service (region lists), "
        "an upper bound on AI hosts, as the lists do not say which regions have accelerators; "
        f"{len(published)} hosts are published in the report's partial census; the per-region "
        f"reconstruction (fitted to the report's totals, data/SOURCES.md) gives {len(fit_hosts)}",
    )
    facts["countries_with_gpu_regions"]["countries"] = obs_hosts
    facts["countries_with_gpu_regions"]["published_hosts"] = published
    facts["countries_with_gpu_regions"]["reconstructed"] = len(fit_hosts)
    facts["countries_with_gpu_regions"]["reconstructed_countries"] = fit_hosts
    n_prov = len(surveyed)
    facts["providers_surveyed"] = _fact(
        n_prov,
        REPORT["providers_surveyed"],
        "" if n_prov == 9 else f"{n_prov} providers flagged surveyed in providers.csv",
    )
    facts["providers_surveyed"]["providers"] = sorted(surveyed["code"])
    facts["ai_regions_by_provider_nationality"] = _fact(
        observed_split,
        REPORT["ai_regions_by_provider_nationality"],
        "observed: all regions in service of the surveyed providers by headquarters (region "
        "lists; an upper bound on AI regions); the report counts AI regions only. The "
        f"reconstruction fitted to the report's totals gives {fitted_split}",
    )
    facts["ai_regions_by_provider_nationality"]["reconstructed"] = fitted_split
    facts["regions_total"] = _fact(
        observed_split["total"],
        REPORT["regions_total"],
        "region lists of Jan 2025 (TeleGeography) and Jan 2026 (MCP list) vs the report's "
        "Nov 2024 census; counting rules (China/government regions) differ",
    )
    facts["countries_hedging"] = _fact(
        len(obs_hedging),
        REPORT["countries_hedging"],
        "observed: countries with regions of both US and Chinese providers (any region); the "
        f"fitted AI regions give {len(fit_hedging)}",
    )
    facts["countries_hedging"]["countries"] = obs_hedging
    facts["countries_hedging"]["reconstructed"] = len(fit_hedging)
    facts["countries_aligned"] = _fact(
        len(obs_aligned),
        REPORT["countries_aligned"],
        "observed: countries with regions of only one of the US and Chinese sides (any region); "
        f"the fitted AI regions give {len(fit_aligned)}",
    )
    facts["countries_aligned"]["reconstructed"] = len(fit_aligned)

    share = _read_side(tables, "market_share.csv")
    if share is not None:
        us_all = float(share.loc[share["designer_jurisdiction"] == "USA", "share_of_all"].sum())
        known = share.dropna(subset=["share_of_known_supplier"])
        us_known = float(
            known.loc[known["designer_jurisdiction"] == "USA", "share_of_known_supplier"].sum()
        )
        nvidia = float(share.loc[share["supplier"] == "NVIDIA", "share_of_all"].sum())
        facts["us_designer_accelerator_share"] = _fact(
            round(us_all, 4),
            REPORT["us_designer_accelerator_share"],
            f"Epoch AI GPU clusters (existing, ~Apr 2025), share of H100-equivalents designed by "
            f"US companies, counting anonymised/unknown suppliers (~12%, mostly Chinese "
            f"clusters) as not US: a lower bound; {us_known:.1%} among clusters with a named "
            f"supplier (upper bound); NVIDIA alone {nvidia:.1%}. A different base (all known "
            "clusters, not cloud regions) from the report's 95.5%",
        )
        facts["us_designer_accelerator_share"]["upper_bound"] = round(us_known, 4)
    else:
        facts["us_designer_accelerator_share"] = _fact(
            None, REPORT["us_designer_accelerator_share"], "market_share.csv not found"
        )

    facts_table = _read_side(tables, "report_facts.csv")
    training = None
    url = ""
    if facts_table is not None:
        row = facts_table[facts_table["fact_id"] == "countries_training_capable"]
        if not row.empty:
            file = str(Path(tables.folder) / "report_facts.csv")
            training = _whole_number(row, 0, "value", file)
            url = str(row["source_url"].iloc[0])
    facts["countries_training_capable"] = _fact(
        training,
        REPORT["countries_training_capable"],
        "the report's count of countries with training-capable public-cloud AI compute (of the "
        "33 hosts), from report_facts.csv"
        + (f" ({url})" if url else "")
        + "; our tables do not separate training-capable from inference-only regions, so the "
        "value is the report's, not recomputed",
    )

    chips = tables.chips
    us_chips = int((chips["jurisdiction"] == "USA").sum())
    facts["chips"] = {
        "value": int(len(chips)),
        "us_controlled": us_chips,
        "note": "accelerators in chips.csv; US-controlled ones are blocked in tier-3 countries",
    }
    facts["countries_in_table"] = {"value": int(len(countries))}
    return facts


def codes_listing(tables: Any) -> dict[str, pd.DataFrame]:
    """Every code a scenario may name, by kind (what ``sovplan info --codes`` prints): home
    countries and blocs, providers, chips, chip designers, jurisdictions, the relationship
    profile each home gets (``planner.core.profiles``) and, when the data folder has
    projects.csv, the projects a scenario's ``projects`` may list."""
    from planner.core.profiles import profiles_table

    blocs = tables.blocs.groupby("bloc")["iso3"].apply(lambda s: ";".join(sorted(s)))
    projects = getattr(tables, "projects", None)
    extra = (
        {"projects": projects[["code", "name", "status", "country", "chip"]]}
        if projects is not None
        else {}
    )
    return {
        "countries": tables.countries[["iso3", "name", "jurisdiction"]].rename(
            columns={"iso3": "code"}
        ),
        "blocs": pd.DataFrame({"code": blocs.index, "members": blocs.to_numpy()}),
        "providers": tables.providers[["code", "name", "hq_iso3", "kind"]],
        "chips": tables.chips[["code", "name", "designer", "jurisdiction"]],
        "designers": pd.DataFrame({"code": sorted(tables.chips["designer"].astype(str).unique())}),
        "jurisdictions": tables.jurisdictions[["code", "name"]],
        "profiles": profiles_table(tables),
        **extra,
    }
