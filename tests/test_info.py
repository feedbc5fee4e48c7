"""planner.reports.info.data_summary: the headline facts equal the report's (or say why not)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.reports.info import data_summary

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def summary():
    from planner.core.data import load_tables

    return data_summary(load_tables(DATA))


def _regions_in_service():
    """provider_regions.csv of the surveyed providers, recomputed here from the CSVs."""
    providers = pd.read_csv(DATA / "providers.csv")
    countries = pd.read_csv(DATA / "countries.csv").set_index("iso3")["jurisdiction"]
    surveyed = providers[providers["surveyed"]]
    nat = {
        p: {"USA": "US", "CHN": "CN", "EU": "EU", "CHE": "EU"}[countries[h]]
        for p, h in zip(surveyed["code"], surveyed["hq_iso3"], strict=True)
    }
    pr = pd.read_csv(DATA / "provider_regions.csv")
    pr = pr[pr["provider"].isin(nat) & pr["available_from"].isna()]
    return pr.assign(nat=pr["provider"].map(nat))


def test_countries_are_observed_not_reconstructed(summary):
    """The value is recomputed from the region lists (`regions`), not the ai_regions that
    derive.py fits to the report; the fitted count is shown beside it and equals the report
    by construction."""
    pr = _regions_in_service()
    f = summary["countries_with_gpu_regions"]
    assert f["value"] == pr.loc[pr["regions"] > 0, "iso3"].nunique()
    assert f["value"] != f["report"] and f["note"]
    assert f["reconstructed"] == f["report"] == 33
    assert "HKG" in f["reconstructed_countries"] and "KEN" not in f["reconstructed_countries"]
    assert 0 < len(f["published_hosts"]) < 33  # the report's partial census


def test_providers(summary):
    assert summary["providers_surveyed"]["value"] == 9
    assert "ORACLE" not in summary["providers_surveyed"]["providers"]


def test_ai_region_split_is_observed(summary):
    pr = _regions_in_service()
    f = summary["ai_regions_by_provider_nationality"]
    by = pr.groupby("nat")["regions"].sum()
    assert f["value"] == {
        "US": by["US"],
        "CN": by["CN"],
        "EU": by["EU"],
        "total": int(pr["regions"].sum()),
    }
    assert f["reconstructed"] == {"US": 87, "CN": 39, "EU": 6, "total": 132} == f["report"]


def test_hedging_aligned(summary):
    assert summary["countries_hedging"]["reconstructed"] == 12
    assert summary["countries_aligned"]["reconstructed"] == 18
    assert summary["countries_hedging"]["value"] >= 12


def test_us_share(summary):
    f = summary["us_designer_accelerator_share"]
    assert 0.80 <= f["value"] <= 0.95
    assert f["upper_bound"] >= f["value"]
    assert "note" in f


def test_every_fact_has_report_figure(summary):
    for key in (
        "countries_with_gpu_regions",
        "providers_surveyed",
        "ai_regions_by_provider_nationality",
        "us_designer_accelerator_share",
        "regions_total",
    ):
        assert "report" in summary[key]
        if summary[key]["value"] != summary[key]["report"]:
            assert summary[key].get("note"), key
