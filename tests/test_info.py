"""planner.reports.info.data_summary: the headline facts equal the report's (or say why not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.reports.info import data_summary

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def summary():
    from planner.core.data import load_tables

    return data_summary(load_tables(DATA))


def test_countries(summary):
    f = summary["countries_with_gpu_regions"]
    assert f["value"] == f["report"] == 33
    assert "HKG" in f["countries"] and "KEN" not in f["countries"]


def test_providers(summary):
    assert summary["providers_surveyed"]["value"] == 9
    assert "ORACLE" not in summary["providers_surveyed"]["providers"]


def test_ai_region_split(summary):
    f = summary["ai_regions_by_provider_nationality"]
    assert f["value"] == {"US": 87, "CN": 39, "EU": 6, "total": 132} == f["report"]


def test_hedging_aligned(summary):
    assert summary["countries_hedging"]["value"] == 12
    assert summary["countries_aligned"]["value"] == 18


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
