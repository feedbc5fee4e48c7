"""Issue 24 data checks: electricity in the largest Eurostat band a country publishes, the
extract that carries it (source, licence), and one exchange rate per currency everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
REF = DATA / "build" / "reference"
EXTRACT = REF / "eurostat_nrg_pc_205" / "nrg_pc_205_large_bands.csv"
USD_PER_EUR = 1.082  # ECB 2024 average: the one rate (data/SOURCES.md)
USD_PER_GBP = 1.278  # Bank of England 2024 average
LARGEST_FIRST = ("MWH_GE150000", "MWH70000-149999")
SEMESTERS = ("2024-S2", "2025-S1")
GEO = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "CY": "CYP", "CZ": "CZE", "DE": "DEU", "DK": "DNK",
    "EE": "EST", "EL": "GRC", "ES": "ESP", "FI": "FIN", "FR": "FRA", "HR": "HRV", "HU": "HUN",
    "IE": "IRL", "IS": "ISL", "IT": "ITA", "LT": "LTU", "LU": "LUX", "LV": "LVA", "MT": "MLT",
    "NL": "NLD", "NO": "NOR", "PL": "POL", "PT": "PRT", "RO": "ROU", "RS": "SRB", "SE": "SWE",
    "SI": "SVN", "SK": "SVK", "TR": "TUR",
}  # fmt: skip


def _value(cell: str) -> float | None:
    """A published price, or None: ':' is not available, 0.0000 is no price for the band."""
    try:
        v = float(cell.strip().split(" ")[0])
    except ValueError:
        return None
    return v if v > 0 else None


@pytest.fixture(scope="module")
def extract() -> pd.DataFrame:
    return pd.read_csv(EXTRACT, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def countries() -> pd.DataFrame:
    return pd.read_csv(DATA / "countries.csv").set_index("iso3")


def test_extract_cells_are_eurostat_values_or_not_available(extract):
    """Every cell is a price with an optional Eurostat flag, or ':' (not available)."""
    assert set(extract["nrg_cons"]) == set(LARGEST_FIRST)
    assert set(extract["tax"]) == {"X_TAX"} and set(extract["currency"]) == {"EUR"}
    cell = re.compile(r"^(\d+\.\d{4}( [a-z])?|: ?(@C)?)$")
    for col in ("2024-S1", "2024-S2", "2025-S1", "2025-S2"):
        bad = [c for c in extract[col] if not cell.match(c)]
        assert not bad, (col, bad)


def test_extract_has_its_source_and_licence():
    readme = (EXTRACT.parent / "README.md").read_text()
    for needed in ("nrg_pc_205", "copyright-notice", "2011/833/EU", "ac3d7c95"):
        assert needed in readme, needed
    listing = (REF / "SOURCES.md").read_text()
    assert "eurostat_nrg_pc_205/nrg_pc_205_large_bands.csv" in listing


def test_large_sites_buy_in_the_largest_published_band(extract, countries):
    """Each Eurostat-priced country takes the largest band with both semesters published
    (recomputed here from the extract), and its source names that band."""
    src = countries["electricity_price_usd_per_mwh_source"]
    eurostat = countries[src.str.contains("Eurostat") & ~src.str.startswith("assumption")]
    assert len(eurostat) >= 25
    seen = set()
    for band in LARGEST_FIRST:
        for row in extract[extract["nrg_cons"] == band].to_dict("records"):
            iso3 = GEO.get(row["geo"])
            if iso3 is None or iso3 in seen or iso3 not in eurostat.index:
                continue
            values = [_value(row[s]) for s in SEMESTERS]
            if None in values:
                continue
            seen.add(iso3)
            expected = round(sum(values) / 2 * USD_PER_EUR * 1000, 1)
            got = eurostat.loc[iso3]
            assert got["electricity_price_usd_per_mwh"] == pytest.approx(expected), iso3
            assert f"({band})" in got["electricity_price_usd_per_mwh_source"], iso3
    # the others publish neither large band for both semesters, and say so
    rest = set(eurostat.index) - seen
    assert rest, "expected a few countries without a published large band"
    for iso3 in rest:
        text = eurostat.loc[iso3, "electricity_price_usd_per_mwh_source"]
        assert "confidential or not published" in text, iso3
    # the band choice moves prices: France's largest band is well below its 20-70 GWh band
    assert countries.loc["FRA", "electricity_price_usd_per_mwh"] < 90.0


def test_one_exchange_rate_per_currency_everywhere():
    """The scenarios' headers, data/SOURCES.md and derive.py use one USD/EUR and one USD/GBP
    rate (issue 24: the scenario and SOURCES.md disagreed)."""
    derive = (DATA / "build" / "derive.py").read_text()
    assert f"USD_PER_EUR_2024 = {USD_PER_EUR}" in derive
    assert f"USD_PER_GBP_2024 = {USD_PER_GBP}" in derive
    sources = (DATA / "SOURCES.md").read_text()
    assert f"{USD_PER_EUR} USD/EUR" in sources and f"{USD_PER_GBP}" in sources
    rate = re.compile(r"(\d\.\d{2,4}) ?USD/(EUR|GBP)")
    for path in [DATA / "SOURCES.md", *sorted((DATA / "scenarios").glob("*.yaml"))]:
        for value, cur in rate.findall(path.read_text()):
            want = USD_PER_EUR if cur == "EUR" else USD_PER_GBP
            assert float(value) == want, (path.name, value, cur)


def test_eu_ai_continent_budget_is_the_programme_public_money_at_the_one_rate():
    text = (DATA / "scenarios" / "eu-ai-continent-2030.yaml").read_text()
    budget = int(re.search(r"^budget: (\d+)$", text, re.M).group(1))
    assert budget == round(2 * 4.1 * 1000 * USD_PER_EUR)  # EUR 8.2bn, the top of its range
    assert "press only" in text and "range" in text


def test_gigafactory_public_shares_within_the_sourced_range():
    """0.30 (the Commission's EVP, as reported) to 0.41 (the press's EUR 4.1bn x 2 / 20)."""
    p = pd.read_csv(DATA / "projects.csv")
    gf = p[p["kind"] == "gigafactory"]
    assert gf["public_share"].between(0.30, 0.41).all()
    rou = gf.set_index("code").loc["GF_ROU_BLACKSEA", "source"]
    assert "35% of the total CAPEX" in rou and "2025-11-27" in rou
