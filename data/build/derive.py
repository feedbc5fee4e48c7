"""Derive the bundled data tables (data/*.csv) from the public reference files.

Usage (from the repository root)::

    python data/build/derive.py [REFERENCE_DIR] [--out data]

REFERENCE_DIR defaults to ``data/build/reference``: the extracts of public data this script
reads (Epoch AI, flops_export, OWID, cloud-region lists, curated report facts), each with its
upstream, licence and status in that folder's SOURCES.md, so the tables rebuild from this
repository alone. Every number written carries a provenance column (``<column>_source`` or the
row's ``source``) naming the reference file and the upstream primary source, or the text
``assumption: <reasoning>``. See data/SOURCES.md for the formulas and caveats.

The script is deterministic: run it twice and the CSVs are byte-identical.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------------------
# Fixed lists (codes, membership) -- facts, not estimates
# ---------------------------------------------------------------------------------------

EU27 = [
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
]  # fmt: skip

# Home countries of the bundled scenarios that are not otherwise in the table.
SCENARIO_HOMES = ["FRA", "GBR", "KEN", "BRA"]

ISO2_TO_ISO3 = {
    "AE": "ARE", "AR": "ARG", "AT": "AUT", "AU": "AUS", "BE": "BEL", "BG": "BGR", "BH": "BHR",
    "BR": "BRA", "CA": "CAN", "CH": "CHE", "CL": "CHL", "CN": "CHN", "CO": "COL", "DE": "DEU",
    "DK": "DNK", "EG": "EGY", "ES": "ESP", "FI": "FIN", "FR": "FRA", "GB": "GBR", "GR": "GRC",
    "HK": "HKG", "ID": "IDN", "IE": "IRL", "IL": "ISR", "IN": "IND", "IS": "ISL", "IT": "ITA",
    "JP": "JPN", "KE": "KEN", "KR": "KOR", "MA": "MAR", "MX": "MEX", "MY": "MYS", "NL": "NLD",
    "NO": "NOR", "NZ": "NZL", "PE": "PER", "PH": "PHL", "PL": "POL", "QA": "QAT", "RS": "SRB",
    "SA": "SAU", "SE": "SWE", "SG": "SGP", "TH": "THA", "TR": "TUR", "TW": "TWN", "US": "USA",
    "ZA": "ZAF",
}  # fmt: skip

NAME_TO_ISO3 = {
    "Argentina": "ARG", "Australia": "AUS", "Austria": "AUT", "Bahrain": "BHR", "Belgium": "BEL",
    "Brazil": "BRA", "Canada": "CAN", "Chile": "CHL", "China": "CHN", "Colombia": "COL",
    "Denmark": "DNK", "Egypt": "EGY", "Finland": "FIN", "France": "FRA", "Germany": "DEU",
    "Greece": "GRC", "India": "IND", "Indonesia": "IDN", "Ireland": "IRL", "Israel": "ISR",
    "Italy": "ITA", "Japan": "JPN", "Kenya": "KEN", "Malaysia": "MYS", "Mexico": "MEX",
    "Morocco": "MAR", "Netherlands": "NLD", "New Zealand": "NZL", "Norway": "NOR", "Peru": "PER",
    "Philippines": "PHL", "Poland": "POL", "Qatar": "QAT", "Saudi Arabia": "SAU",
    "Serbia": "SRB", "Singapore": "SGP", "South Africa": "ZAF", "South Korea": "KOR",
    "Spain": "ESP", "Sweden": "SWE", "Switzerland": "CHE", "Taiwan": "TWN", "Thailand": "THA",
    "Turkey": "TUR", "United Arab Emirates": "ARE", "United Kingdom": "GBR",
    "United States": "USA",
}  # fmt: skip

# Latin American / African countries other than Brazil / South Africa: the report says Brazil
# is the only South American and South Africa the only African host of public-cloud AI compute
# (curated_seed_facts: south_america_only, africa_only). Mexico is North America.
NOT_AI_HOSTS = {"ARG", "CHL", "COL", "PER", "EGY", "KEN", "MAR", "NGA"}

# Provider codes -> the name used in each region list
TG_NAME = {
    "AWS": "Amazon Web Services", "AZURE": "Microsoft Azure", "GCP": "Google Cloud",
    "ALIBABA": "Alibaba Cloud", "HUAWEI": "Huawei Cloud", "TENCENT": "Tencent Cloud",
    "ORACLE": "Oracle Cloud",
}  # fmt: skip
MCP_NAME = {"AWS": "aws", "AZURE": "azure", "GCP": "gcp", "OVH": "ovh", "HETZNER": "hetzner",
            "ORACLE": "oci", "COREWEAVE": "coreweave"}  # fmt: skip

NATIONALITY = {  # surveyed providers only (the report's census)
    "AWS": "US", "AZURE": "US", "GCP": "US",
    "ALIBABA": "CN", "HUAWEI": "CN", "TENCENT": "CN",
    "OVH": "EU", "HETZNER": "EU", "EXOSCALE": "EU",
}  # fmt: skip

EXOSCALE_SRC = (
    "assumption: Exoscale is in no reference file; zones as listed on exoscale.com/datacenters "
    "(CH-GVA-2 Geneva, CH-DK-2 Zurich, DE-FRA-1 Frankfurt, DE-MUC-1 Munich, AT-VIE-1/AT-VIE-2 "
    "Vienna, BG-SOF-1 Sofia); re-check the page"
)
EXOSCALE_ZONES = {"CHE": 2, "DEU": 2, "AUT": 2, "BGR": 1}

NEBIUS_SRC = (
    "assumption: Nebius is in no reference file; its public region list (nebius.com) names "
    "data centres in Finland (Mantsala), France (Paris), Iceland (Keflavik, colocation) and the "
    "USA (Kansas City); all are GPU regions; re-check"
)
NEBIUS_REGIONS = {"FIN": 1, "FRA": 1, "ISL": 1, "USA": 1}


# Regions of providers outside the report's census, from their own pages or announcements
# (issue 24): provider, iso3, regions, ai_regions, regions source, ai_regions source.
SCALEWAY_SRC = ("Scaleway documentation, 'Product availability' (scaleway.com/en/docs, validated "
                "2025-06-17): regions Paris (PAR1-3), Amsterdam (AMS1-3), Warsaw (WAW1-3)")
SCALEWAY_GPU = ("same page: GPU H100-X-80G in PAR2 and WAW2, H100-SXM-X-80G in PAR2; none of the "
                "chip table in Amsterdam")
EXTRA_REGIONS = [
    ("SCALEWAY", "FRA", 1, 1, SCALEWAY_SRC, SCALEWAY_GPU),
    ("SCALEWAY", "NLD", 1, 0, SCALEWAY_SRC, SCALEWAY_GPU),
    ("SCALEWAY", "POL", 1, 1, SCALEWAY_SRC, SCALEWAY_GPU),
    ("TSYSTEMS", "DEU", 1, 1,
     "Deutsche Telekom (press release 2025-11-04; opening 2026-02-04, as reported by RCR Wireless "
     "and TelecomTV): Industrial AI Cloud, Munich Tucherpark",
     "the same: ~10,000 NVIDIA Blackwell GPUs (DGX B200, RTX PRO servers), up to 0.5 EF"),
    ("MISTRAL", "FRA", 1, 1,
     "Mistral AI and NVIDIA (VivaTech, 2025-06-11): Mistral Compute, a first data centre in "
     "Essonne (Bruyeres-le-Chatel, operated by Eclairion), expansion to other sites from 2026",
     "the same: 18,000 NVIDIA Grace Blackwell superchips (2026)"),
    ("S3NS", "FRA", 1, 0,
     "S3NS (PREMI3NS announcement, 2025-12-17): operated from three data centres in France",
     "no GPU offer of the chip table published for S3NS: 0"),
    ("OUTSCALE", "FRA", 1, 0,
     "3DS Outscale region list (outscale.com): SecNumCloud region in France (cloudgouv-eu-west-1) "
     "and eu-west-2",
     "no GPU offer of the chip table confirmed on Outscale's pages: 0"),
    ("CLOUDTEMPLE", "FRA", 1, 0,
     "Cloud Temple (cloud-temple.com): SecNumCloud-qualified IaaS in French data centres",
     "no GPU offer of the chip table confirmed on Cloud Temple's pages: 0"),
    # CoreWeave's European sites (announced 2024): it no longer counts as building anywhere
    ("COREWEAVE", "GBR", 2, 2,
     "CoreWeave press release (2024-05-10): GBP 1bn for two UK data centres (opened 2024)",
     "GPU-only cloud: every region offers accelerators"),
    ("COREWEAVE", "NOR", 1, 1,
     "CoreWeave press release (2024-06-05): EUR 2.2bn for data centres in Norway, Sweden and "
     "Spain, opening by end-2025", "GPU-only cloud: every region offers accelerators"),
    ("COREWEAVE", "SWE", 1, 1, "CoreWeave press release (2024-06-05), as Norway",
     "GPU-only cloud: every region offers accelerators"),
    ("COREWEAVE", "ESP", 1, 1, "CoreWeave press release (2024-06-05), as Norway",
     "GPU-only cloud: every region offers accelerators"),
    # Microsoft/G42 in Kenya: announced, stalled (available_from: REGION_FROM)
    ("AZURE", "KEN", 1, 1,
     "Microsoft and G42 (Microsoft On the Issues, 2024-05-22): a geothermal-powered data centre at "
     "Olkaria for a new East Africa Azure region, first phase of 100 MW 'within 24 months'; "
     "reported stalled over payment guarantees (Bloomberg, 2026-05-10): announced, not built",
     "announced as an Azure cloud region for AI (assumption: it offers Azure's merchant NVIDIA "
     "GPUs listed in OFFER_CHIPS)"),
]
# Chips offered where a region's offer differs from the provider's list: (provider, iso3) ->
# (chips, source).
OFFER_CHIPS = {
    ("AZURE", "KEN"): ("H100;H200;B200",
                      "assumption: Azure's NVIDIA ND-series GPUs; no GPU type was announced for "
                      "the Kenya region"),
}
# First year an announced region can serve: (provider, iso3) -> (year, source).
REGION_FROM = {
    ("AZURE", "KEN"): (2030, "assumption: announced (2024-05-22) for ~2026 ('within 24 months'); "
                       "stalled in 2026 over Kenya's payment guarantees (Bloomberg, 2026-05-10; "
                       "Kenya's ICT ministry: 'not failed or withdrawn'): 2030, range 2028 to "
                       "never"),
    ("MISTRAL", "FRA"): (2026, "Mistral AI/NVIDIA (2025-06-11): the Essonne site serves from 2026"),
}
# Certifications that cover a provider's GPU offer in a country (service level): a company's
# qualification of another service does not count. (provider, iso3 or '*') -> (certs, source).
OFFER_CERTS = {
    ("S3NS", "FRA"): ("SecNumCloud", "ANSSI qualification of PREMI3NS, 2025-12-17 (S3NS news): "
                      "covers its IaaS/PaaS/CaaS, Compute Engine included"),
    ("OUTSCALE", "FRA"): ("SecNumCloud", "ANSSI list of qualified providers: 3DS Outscale IaaS "
                          "(its SecNumCloud region)"),
    ("CLOUDTEMPLE", "FRA"): ("SecNumCloud", "ANSSI list of qualified providers: Cloud Temple IaaS"),
}
_C5_SCOPE = ("assumption on scope: the provider's BSI C5 attestation (see providers.csv) lists its "
             "virtual-machine compute service, of which the GPU instances are part; UK G-Cloud "
             "lists the same service")
OFFER_CERTS_PROVIDER = {  # certifications carried to every region of a provider
    "AWS": ("BSI C5;UK G-Cloud", _C5_SCOPE),
    "AZURE": ("BSI C5;UK G-Cloud", _C5_SCOPE),
    "GCP": ("BSI C5;UK G-Cloud", _C5_SCOPE),
    "ORACLE": ("BSI C5", _C5_SCOPE),
}
FEDRAMP_SCOPE = ("FedRAMP authorisations cover US regions only (FedRAMP Marketplace): added in "
                 "USA")
OFFER_CERTS_NONE = (
    "none covering this GPU offer: e.g. OVHcloud's SecNumCloud covers its Hosted Private Cloud and "
    "Bare Metal Pod, not its public-cloud GPU instances (ANSSI list); blank = no service-level "
    "certification sourced"
)
SEAL_NONE = (
    "not published: the European Commission's Cloud Sovereignty Framework (DG DIGIT, v1.2.1, "
    "October 2025; SEAL-0 to SEAL-4) is scored per tender and no level has been published for "
    "this offer; blank = none (require.seal_min keeps only published levels)"
)


def _offer_attributes(pr: pd.DataFrame) -> None:
    """Service-level columns of provider_regions: start year, certifications, SEAL level."""
    years, ysrc, certs, csrc = [], [], [], []
    for prov, iso in zip(pr["provider"], pr["iso3"], strict=True):
        y = REGION_FROM.get((prov, iso))
        years.append(y[0] if y else None)
        ysrc.append(y[1] if y else "blank: in service (the region lists above)")
        held, why = [], []
        if (prov, iso) in OFFER_CERTS:
            held += OFFER_CERTS[(prov, iso)][0].split(";")
            why.append(OFFER_CERTS[(prov, iso)][1])
        if prov in OFFER_CERTS_PROVIDER:
            held += OFFER_CERTS_PROVIDER[prov][0].split(";")
            why.append(OFFER_CERTS_PROVIDER[prov][1])
            if iso == "USA":
                held.append("FedRAMP")
                why.append(FEDRAMP_SCOPE)
        certs.append(";".join(held))
        csrc.append("; ".join(why) if why else OFFER_CERTS_NONE)
    pr["available_from"] = pd.array(years, dtype="Int64")
    pr["available_from_source"] = ysrc
    pr["certifications"], pr["certifications_source"] = certs, csrc
    pr["seal_level"] = pd.array([None] * len(pr), dtype="Int64")
    pr["seal_level_source"] = SEAL_NONE


# Grid headroom where a connection moratorium or queue is published: the generic rule (a
# quarter of today's data-centre capacity) overstates what these markets can connect by 2030.
GRID_OVERRIDE = {
    "IRL": (126.0, "assumption informed by EirGrid: the transmission operator told the industry "
            "(Dec 2021, confirmed Jan 2022; Business Post, DatacenterDynamics 2022-01-12) that it "
            "will take no new data-centre connections in the greater Dublin area until 2028, and "
            "the CRU's Nov-2021 decision admits others case by case with on-site dispatchable "
            "generation; taken as 10% (not 25%) of today's 1260 MW (flops_export/"
            "dc_capacity_estimates.csv, Oireachtas/Mordor 2024) = 126 MW, all outside Dublin"),
    "NLD": (170.0, "assumption informed by the municipalities of Amsterdam and Haarlemmermeer: "
            "their 2019-2020 moratorium ended in zoning caps of ~67 MVA/yr (Amsterdam, 670 MVA to "
            "2030) and ~70 MVA/yr (Haarlemmermeer, 750 MVA to 2030), and the national planning "
            "decree bars new hyperscale sites (>70 MW, >10 ha) outside Eemshaven and Middenmeer "
            "from 2024 (Dutch Ministry of the Interior, Besluit kwaliteit leefomgeving); a quarter "
            "of five years of the Amsterdam-area caps (~685 MVA) = ~170 MW for a sovereign "
            "programme"),
    "SGP": (70.0, "assumption informed by IMDA/EDB: Singapore's 2019-2022 moratorium was "
            "replaced by calls for application; the 2022 pilot (DC-CFA) awarded 80 MW to four "
            "operators (July 2023) and DC-CFA2 (Dec 2025) makes at least 200 MW available; a "
            "quarter of these 280 MW = 70 MW for one foreign sovereign programme"),
    "DEU": (248.0, "assumption informed by JLL (EMEA Data Centre Report Q1 2025: Frankfurt 964 MW "
            "of capacity, grid-connection delays of up to four years) and the City of Frankfurt's "
            "data-centre cluster plan (2022), which confine new sites to zones with scarce power: "
            "Frankfurt adds no new headroom by 2030; a quarter of the rest of Germany's 1955 MW "
            "(flops_export/dc_capacity_estimates.csv, German DC Association 2024) = "
            "0.25 x (1955 - 964) = 248 MW"),
}


# One exchange rate per currency and year, used everywhere (tables, scenario headers,
# data/SOURCES.md): the 2024 annual averages.
USD_PER_EUR_2024 = 1.082
FX_SRC = "ECB euro reference rate, 2024 annual average"
USD_PER_GBP_2024 = 1.278  # Bank of England, 2024 annual average (scenario headers)


def src(file: str, upstream: str) -> str:
    return f"{upstream} (extract: data/build/reference/{file})"


# ---------------------------------------------------------------------------------------
# Region lists -> provider x country region counts
# ---------------------------------------------------------------------------------------


def region_counts(ref: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Regions in service per (provider, iso3) and the GPU-flag hint per (provider, iso3)."""
    tg = pd.read_csv(ref / "cloud_regions_telegeography/cloud_regions_jan2025.csv")
    tg = tg[tg["in_service"].astype(str) == "True"].copy()
    tg = tg.drop_duplicates(["provider", "region_code", "region_name"])
    hk = tg["region_name"].fillna("").str.contains("Hong Kong", case=False)
    tg["iso3"] = tg["country"].map(NAME_TO_ISO3)
    tg.loc[hk, "iso3"] = "HKG"  # the list records Hong Kong as country = China
    if tg["iso3"].isna().any():
        raise SystemExit(f"unmapped country names: {sorted(tg[tg.iso3.isna()].country.unique())}")
    rows = []
    tg_src = src(
        "cloud_regions_telegeography/cloud_regions_jan2025.csv",
        "TeleGeography Cloud Infrastructure Map via agonza05/cloudregioncodes, Jan 2025; "
        "in-service regions, duplicates dropped",
    )
    for code, name in TG_NAME.items():
        sub = tg[tg["provider"] == name].groupby("iso3").size()
        rows += [(code, k, int(n), tg_src) for k, n in sub.items()]

    mcp = pd.read_csv(ref / "cloud_regions_mcp/regions.csv")
    mcp = mcp[mcp["status"] == "ga"].copy()
    mcp["iso3"] = mcp["country_code"].map(ISO2_TO_ISO3)
    mcp_src = src(
        "cloud_regions_mcp/regions.csv",
        "jasonwilbur/mcp-server-cloud-regions regions.json 2026-01-21, from providers' region pages",
    )
    for code in ("OVH", "HETZNER", "COREWEAVE"):
        sub = mcp[mcp["provider"] == MCP_NAME[code]].groupby("iso3").size()
        rows += [(code, k, int(n), mcp_src) for k, n in sub.items()]
    rows += [("EXOSCALE", k, n, EXOSCALE_SRC) for k, n in EXOSCALE_ZONES.items()]
    rows += [("NEBIUS", k, n, NEBIUS_SRC) for k, n in NEBIUS_REGIONS.items()]
    regions = pd.DataFrame(rows, columns=["provider", "iso3", "regions", "regions_source"])

    gpu = mcp[mcp["gpu"].astype(str) == "True"]
    flags = (
        gpu.assign(provider=gpu["provider"].map({v: k for k, v in MCP_NAME.items()}))
        .dropna(subset=["provider"])
        .groupby(["provider", "iso3"])
        .size()
        .rename("gpu_flagged")
        .reset_index()
    )
    return regions, flags


# Electricity prices checked against the national utility where the reference value is
# implausible for a new large industrial load.
PRICE_OVERRIDE = {
    "GBR": (200.0, "assumption informed by DESNZ (the UK's own industrial price statistics; "
            "Eurostat no longer publishes UK prices, the reference file's 97 USD/MWh is an old "
            "Eurostat figure): DESNZ's international industrial electricity price comparison "
            "(2025-09-30, as summarised by the Energy Intensive Users Group) puts the UK 94% "
            "above the IEA median in 2024-H2, and its EU comparison (table 5.4.1, 2024-H1) 150% "
            "above the EU14 median for large and very large users; ~1.5x this table's EU median "
            "(128 USD/MWh, tax-excluded, each country's largest published band) = 192, taken as "
            "200 USD/MWh, range 160-270"),
    "ZAF": (95.0, "assumption checked against Eskom: average standard tariff 2024/25 about "
            "ZAR 1.74/kWh (NERSA MYPD5 decision, Jan 2023: +18.65% in 2023/24, +12.74% in "
            "2024/25; Eskom tariff book 2024/25, eskom.co.za/distribution/tariffs-and-charges) at "
            "ZAR 18.33/USD (2024 average, South African Reserve Bank) = 95 USD/MWh; the "
            "supplementary table's ~40 USD/MWh predates these increases"),
}


# Large sites buy in the largest consumption band a country publishes (issue 24). Eurostat's
# nrg_pc_205 bands, largest first; the 20,000-69,999 MWh band (IE) is what flops_export carries.
EUROSTAT_LARGE_BANDS = (
    ("MWH_GE150000", "IG, >= 150,000 MWh a year"),
    ("MWH70000-149999", "IF, 70,000-149,999 MWh a year"),
)
#: The semesters averaged: the pair flops_export averaged for band IE (its prices equal the
#: mean of 2024-S2 and 2025-S1, e.g. Austria 0.1546 and 0.1388 -> 0.1467 EUR/kWh), so a
#: country's band changes and its period does not.
EUROSTAT_SEMESTERS = ("2024-S2", "2025-S1")
EUROSTAT_EXTRACT = "eurostat_nrg_pc_205/nrg_pc_205_large_bands.csv"


def _eurostat_cell(cell: str) -> float | None:
    """A published value, or None for ':' (not available) and 0.0000 (no price published)."""
    text = str(cell).strip().split(" ")[0]
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None


# Eurostat's two-letter geo codes of the extract (Greece is EL, not GR).
EUROSTAT_GEO = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "CY": "CYP", "CZ": "CZE", "DE": "DEU", "DK": "DNK",
    "EE": "EST", "EL": "GRC", "ES": "ESP", "FI": "FIN", "FR": "FRA", "HR": "HRV", "HU": "HUN",
    "IE": "IRL", "IS": "ISL", "IT": "ITA", "LT": "LTU", "LU": "LUX", "LV": "LVA", "MT": "MLT",
    "NL": "NLD", "NO": "NOR", "PL": "POL", "PT": "PRT", "RO": "ROU", "RS": "SRB", "SE": "SWE",
    "SI": "SVN", "SK": "SVK", "TR": "TUR",
}  # fmt: skip


def large_band_prices(ref: Path) -> dict[str, tuple[float, str]]:
    """iso3 -> (EUR/kWh, how) from the largest Eurostat band with both semesters published.

    A country without both semesters in band IG or IF keeps flops_export's band IE price."""
    ext = pd.read_csv(ref / EUROSTAT_EXTRACT, dtype=str, keep_default_na=False)
    out: dict[str, tuple[float, str]] = {}
    for band, label in EUROSTAT_LARGE_BANDS:
        for row in ext[ext["nrg_cons"] == band].to_dict("records"):
            iso3 = EUROSTAT_GEO.get(row["geo"])
            if iso3 is None or iso3 in out:
                continue
            cells = [row[s].strip() for s in EUROSTAT_SEMESTERS]
            values = [_eurostat_cell(c) for c in cells]
            if any(v is None for v in values):
                continue
            eur = sum(v for v in values if v is not None) / len(values)
            out[iso3] = (
                eur,
                f"Eurostat nrg_pc_205, band {label} ({band}), excluding taxes, EUR: mean of "
                f"{EUROSTAT_SEMESTERS[0]} and {EUROSTAT_SEMESTERS[1]} ({' and '.join(cells)})",
            )
    return out


def reconstruct_ai_regions(
    regions: pd.DataFrame, flags: pd.DataFrame, census: dict[str, int], facts: dict[str, float],
    dc_mw: dict[str, float],
) -> pd.DataFrame:
    """Integer programme: ai_regions per (surveyed provider, country) consistent with the census.

    Hard constraints (all published aggregates of the report):
      * per-country totals for the 13 countries of the partial census (China split into
        mainland 22 and Hong Kong 2, the NYT note);
      * 87 / 39 / 6 AI regions for US / Chinese / European providers;
      * exactly 33 host countries/territories (Hong Kong counted separately, as the 33-vs-32
        discrepancy of the secondary sources implies);
      * 12 host countries with both US and Chinese AI regions ("hedging"), 18 with only one
        superpower's ("aligned");
      * no AI region in Latin America except Brazil, in Africa except South Africa;
      * no AI region of a US provider in mainland China or Hong Kong (mainland regions are
        run by local partners; US advanced-computing export controls cover China including
        Hong Kong and Macau, so a US provider cannot equip a Hong Kong region with the
        accelerators this tool counts either);
      * ai_regions <= regions in service.
    Objective: agree as much as possible with the third-party GPU flags of cloud_regions_mcp
    (weight 10 per flagged region), then prefer countries with more data-centre capacity
    (flops_export dc_capacity_estimates; small weight), then a deterministic tie-break.
    """
    surveyed = regions[regions["provider"].isin(NATIONALITY)].reset_index(drop=True)
    fl = {(r.provider, r.iso3): int(r.gpu_flagged) for r in flags.itertuples()}
    countries = sorted(surveyed["iso3"].unique())
    kidx = {k: i for i, k in enumerate(countries)}
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("random_seed", 0)
    inf = highspy.kHighsInf
    # variables: ai[i] (one per surveyed row), z[i] (flag agreement), y[k], u[k], c[k], hg[k]
    n = len(surveyed)
    nk = len(countries)
    cost = []
    lower: list[float] = []
    upper: list[float] = []
    for i, r in surveyed.iterrows():
        ub = r.regions
        if r.iso3 in NOT_AI_HOSTS or (NATIONALITY[r.provider] == "US" and r.iso3 in ("CHN", "HKG")):
            ub = 0
        lower.append(0)
        upper.append(ub)
        cap = math.log1p(dc_mw.get(r.iso3, 0.0)) / math.log1p(max(dc_mw.values()))
        cost.append(-(0.2 * cap + 1e-4 * (n - i) / n))
    for _, r in surveyed.iterrows():
        lower.append(0)
        upper.append(min(fl.get((r.provider, r.iso3), 0), r.regions))
        cost.append(-10.0)
    for _ in range(4 * nk):
        lower.append(0)
        upper.append(1)
        cost.append(0.0)
    # unit variables: ai_i = sum_j unit_ij with decreasing reward 1 - (j - 0.5)/R_i, so AI
    # regions are spread over the providers of a country in proportion to their regions
    unit_of: dict[int, list[int]] = {}
    for i, r in surveyed.iterrows():
        unit_of[i] = []
        for j in range(int(r.regions)):
            unit_of[i].append(len(cost))
            lower.append(0)
            upper.append(1)
            cost.append(-(1.0 - (j + 0.5) / r.regions))
    nv = len(cost)
    h.addVars(nv, np.array(lower, float), np.array(upper, float))
    h.changeColsCost(nv, np.arange(nv), np.array(cost, float))
    integ = [highspy.HighsVarType.kInteger] * (2 * n + 4 * nk)
    integ += [highspy.HighsVarType.kContinuous] * (nv - len(integ))
    h.changeColsIntegrality(nv, np.arange(nv), np.array(integ))
    y0, u0, c0, g0 = 2 * n, 2 * n + nk, 2 * n + 2 * nk, 2 * n + 3 * nk

    def row(lo, hi, idx, val):
        h.addRow(lo, hi, len(idx), np.array(idx, np.int32), np.array(val, float))

    for i in range(n):  # z <= ai; ai = sum of its units
        row(-inf, 0, [n + i, i], [1, -1])
        row(0, 0, [i] + unit_of[i], [1] + [-1] * len(unit_of[i]))
    by_k: dict[str, list[int]] = {}
    for i, r in surveyed.iterrows():
        by_k.setdefault(r.iso3, []).append(i)
        row(-inf, 0, [i, y0 + kidx[r.iso3]], [1, -r.regions])  # ai <= R*y
    for k, idx in by_k.items():
        j = kidx[k]
        row(0, inf, idx + [y0 + j], [1] * len(idx) + [-1])  # sum ai >= y
        if k in census:
            row(census[k], census[k], idx, [1] * len(idx))
        for nat, var in (("US", u0), ("CN", c0)):
            sel = [i for i in idx if NATIONALITY[surveyed.loc[i, "provider"]] == nat]
            big = int(surveyed.loc[sel, "regions"].sum()) if sel else 0
            if sel:
                row(-inf, 0, sel + [var + j], [1] * len(sel) + [-big])  # sum <= M*u
                row(0, inf, sel + [var + j], [1] * len(sel) + [-1])  # sum >= u
            else:
                row(0, 0, [var + j], [1])
        # hedging g = u AND c
        row(-inf, 0, [g0 + j, u0 + j], [1, -1])
        row(-inf, 0, [g0 + j, c0 + j], [1, -1])
        row(-1, inf, [g0 + j, u0 + j, c0 + j], [1, -1, -1])
    for nat, key in (("US", "ai_regions_us_providers"), ("CN", "ai_regions_chinese_providers"),
                     ("EU", "ai_regions_european_providers")):
        idx = [i for i, r in surveyed.iterrows() if NATIONALITY[r.provider] == nat]
        row(facts[key], facts[key], idx, [1] * len(idx))
    row(facts["countries_with_public_cloud_ai"], facts["countries_with_public_cloud_ai"],
        [y0 + j for j in range(nk)], [1] * nk)
    row(facts["countries_hedging"], facts["countries_hedging"], [g0 + j for j in range(nk)],
        [1] * nk)
    # aligned = u + c - 2g summed
    idx = [u0 + j for j in range(nk)] + [c0 + j for j in range(nk)] + [g0 + j for j in range(nk)]
    val = [1] * nk + [1] * nk + [-2] * nk
    row(facts["countries_aligned"], facts["countries_aligned"], idx, val)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        raise SystemExit(f"AI-region reconstruction: solver status {status}")
    x = np.round(np.array(h.getSolution().col_value)).astype(int)
    out = surveyed.copy()
    out["ai_regions"] = x[:n]
    out["gpu_flagged"] = [min(fl.get((r.provider, r.iso3), 0), r.regions) for r in out.itertuples()]
    return out


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------


def build(ref: Path, out: Path) -> None:
    facts_raw = pd.read_csv(ref / "curated_seed_facts/oii_compute_sovereignty_headline_figures.csv")
    facts = {}
    for r in facts_raw.itertuples():
        with contextlib.suppress(ValueError):
            facts[r.fact_id] = float(r.value)
    partial = pd.read_csv(ref / "curated_seed_facts/ai_regions_by_country_partial.csv")
    census = {r.iso3: int(r.ai_accelerator_cloud_regions) for r in partial.itertuples()
              if isinstance(r.iso3, str)}
    # China incl. Hong Kong = 24; NYT: 22 excluding Hong Kong -> Hong Kong = 2
    census["CHN"] = int(facts["ai_regions_china_territory"])
    census["HKG"] = 24 - census["CHN"]

    fx = ref / "flops_export"
    dc = pd.read_csv(fx / "dc_capacity_estimates.csv").set_index("iso3")
    dc_mw = dc["capacity_mw"].to_dict()

    regions, flags = region_counts(ref)
    surveyed = reconstruct_ai_regions(regions, flags, census, facts, dc_mw)

    # ---- countries: the 33 AI hosts + EU27 + scenario homes + other region hosts with data
    hosts = sorted(surveyed.groupby("iso3")["ai_regions"].sum().loc[lambda s: s > 0].index)
    prices = pd.read_csv(fx / "country_electricity_prices.csv").set_index("iso3")
    large = large_band_prices(ref)
    supp = pd.read_csv(fx / "supplementary_industrial_prices.csv").set_index("iso3")
    temps = pd.read_csv(fx / "country_temperatures.csv").set_index("iso3")
    cons = pd.read_csv(fx / "predicted_construction_costs.csv").set_index("iso3")
    owid = pd.read_csv(ref / "owid_carbon_intensity/carbon_intensity_latest_by_country.csv")
    owid = owid.dropna(subset=["Code"]).set_index("Code")
    tiers = pd.read_csv(ref / "curated_seed_facts/us_ai_diffusion_rule_tiers_jan2025.csv")
    tier_of = {}
    for r in tiers.itertuples():
        if isinstance(r.iso3, str):
            tier_of[r.iso3] = int(str(r.tier).split()[0])
    tier_of["HKG"] = 3  # the tiers file: "China incl. Hong Kong"

    def has_data(k: str) -> bool:
        return (k in prices.index or k in supp.index) and k in temps.index

    region_hosts = set(regions["iso3"])
    wanted = set(hosts) | set(EU27) | set(SCENARIO_HOMES)
    extra = sorted(k for k in region_hosts - wanted if has_data(k))
    dropped = sorted(k for k in region_hosts - wanted if not has_data(k))
    iso_list = sorted(wanted | set(extra))

    names = owid["Entity"].to_dict()
    names.update({"KOR": "South Korea", "HKG": "Hong Kong", "TWN": "Taiwan"})

    ai_by_country = surveyed.groupby("iso3")["ai_regions"].sum().to_dict()
    known = set(census)
    crow = []
    for k in iso_list:
        d: dict[str, object] = {"iso3": k, "name": names.get(k, k)}
        d["jurisdiction"] = "EU" if k in EU27 else ("CHN" if k == "HKG" else k)
        d["jurisdiction_source"] = (
            "EU member -> EU (EU27 list)" if k in EU27 else
            "Hong Kong SAR: PRC export-control and national-security law apply" if k == "HKG"
            else "sovereign state -> its own ISO3"
        )
        # electricity price
        if k in PRICE_OVERRIDE:
            d["electricity_price_usd_per_mwh"], d["electricity_price_usd_per_mwh_source"] = (
                PRICE_OVERRIDE[k])
        elif k in large:
            eur, how = large[k]
            d["electricity_price_usd_per_mwh"] = round(eur * USD_PER_EUR_2024 * 1000, 1)
            d["electricity_price_usd_per_mwh_source"] = src(
                EUROSTAT_EXTRACT,
                f"{how}; industrial, tax-excluded; EUR {eur:.5f}/kWh x {USD_PER_EUR_2024} "
                f"USD/EUR ({FX_SRC})",
            )
        elif k in prices.index:
            p = prices.loc[k]
            if str(p.source) == "Eurostat":  # one exchange rate per currency and year
                usd = float(p.price_eur_kwh) * USD_PER_EUR_2024
                how = (
                    f"EUR {float(p.price_eur_kwh):.4f}/kWh x {USD_PER_EUR_2024} USD/EUR ({FX_SRC}); "
                    "the largest band with both semesters published for this country: bands IF "
                    f"and IG are confidential or not published ({EUROSTAT_EXTRACT})"
                )
            else:
                usd, how = float(p.price_usd_kwh), "USD as given"
            d["electricity_price_usd_per_mwh"] = round(usd * 1000, 1)
            d["electricity_price_usd_per_mwh_source"] = src(
                "flops_export/country_electricity_prices.csv",
                f"{p.source} ({p.consumption_band}); industrial, tax-excluded; {how}",
            )
        elif k in supp.index:
            d["electricity_price_usd_per_mwh"] = round(float(supp.loc[k].price_usd_kwh) * 1000, 1)
            d["electricity_price_usd_per_mwh_source"] = src(
                "flops_export/supplementary_industrial_prices.csv", supp.loc[k].source_as_stated
            )
        elif k == "HKG":
            d["electricity_price_usd_per_mwh"] = 150.0
            d["electricity_price_usd_per_mwh_source"] = (
                "assumption: not in flops_export; ~HK$1.1-1.2/kWh large-power tariffs of CLP/HK "
                "Electric ~ 0.15 USD/kWh, between Singapore (145) and Japan (135)"
            )
        else:
            raise SystemExit(f"{k}: no electricity price")
        # carbon intensity
        if k in owid.index:
            o = owid.loc[k]
            d["carbon_intensity_g_per_kwh"] = round(float(o.carbon_intensity_gco2_per_kwh), 1)
            d["carbon_intensity_g_per_kwh_source"] = src(
                "owid_carbon_intensity/carbon_intensity_latest_by_country.csv",
                f"OWID carbon-intensity-electricity (Ember/Energy Institute), year {int(o.latest_year)}",
            )
        else:
            raise SystemExit(f"{k}: no carbon intensity")
        # PUE from summer-peak temperature
        if k in temps.index:
            t = float(temps.loc[k].temp_summer_peak_C)
            cells = int(temps.loc[k].n_grid_cells)
            tsrc = src(
                "flops_export/country_temperatures.csv",
                "ERA5 2020-2024 warmest-month mean, area-weighted"
                + ("" if cells > 0 else "; row has 0 grid cells: hand-added in the repo, unsourced"),
            )
        elif k == "HKG":
            t = 28.9
            tsrc = ("assumption: not in country_temperatures (too small for the ERA5 grid); Hong "
                    "Kong Observatory 1991-2020 normal, July mean ~28.9 C")
        else:
            raise SystemExit(f"{k}: no temperature")
        d["pue"] = round(1.08 + 0.015 * max(0.0, t - 15.0), 3)
        d["pue_source"] = (
            f"PUE = 1.08 + 0.015 x max(0, T_summer - 15 C) (flops_export/model_parameters.csv: "
            f"Google 2024 baseline, Flucker et al. 2013 slope) with T_summer = {t:.2f} C from {tsrc}"
        )
        # construction cost
        if k in cons.index:
            c = cons.loc[k]
            if not pd.isna(c.actual_usd_per_watt):
                d["construction_cost_usd_per_w"] = float(c.actual_usd_per_watt)
                d["construction_cost_usd_per_w_source"] = src(
                    "flops_export/predicted_construction_costs.csv",
                    "Turner & Townsend Data Centre Cost Index 2025, observed",
                )
            else:
                d["construction_cost_usd_per_w"] = float(c.predicted_usd_per_watt)
                d["construction_cost_usd_per_w_source"] = src(
                    "flops_export/predicted_construction_costs.csv",
                    "regression on Turner & Townsend DCCI 2025 and WDI GDP per capita (predicted)",
                )
        elif k == "TWN":
            v = round((float(cons.loc["JPN"].actual_usd_per_watt)
                       + float(cons.loc["KOR"].actual_usd_per_watt)) / 2, 2)
            d["construction_cost_usd_per_w"] = v
            d["construction_cost_usd_per_w_source"] = (
                "assumption: Taiwan is not in WDI/predicted_construction_costs; mean of the observed "
                "DCCI 2025 values of Japan and South Korea from the same file"
            )
        else:
            raise SystemExit(f"{k}: no construction cost")
        # grid power available for new AI load
        if k in GRID_OVERRIDE:
            d["grid_power_available_mw"], d["grid_power_available_mw_source"] = GRID_OVERRIDE[k]
        elif k in dc.index:
            mw = float(dc.loc[k].capacity_mw)
            d["grid_power_available_mw"] = round(max(20.0, 0.25 * mw), 0)
            d["grid_power_available_mw_source"] = (
                f"assumption: 25% of today's data-centre capacity ({mw:g} MW, flops_export/"
                f"dc_capacity_estimates.csv, {dc.loc[k].source}, tier {dc.loc[k].source_tier}) can "
                "be made available to a sovereign AI programme by 2030 (IEA expects data-centre "
                "load to roughly double by 2030; a quarter of today's base is a share of that "
                "growth); floor 20 MW"
            )
        elif k == "HKG":
            d["grid_power_available_mw"] = 100.0
            d["grid_power_available_mw_source"] = (
                "assumption: Hong Kong is not in dc_capacity_estimates; ~400 MW of data-centre load "
                "is commonly cited, 25% of that as for the other countries"
            )
        else:
            raise SystemExit(f"{k}: no DC capacity")
        d["site_fixed_cost_musd"] = round(2.5 * float(d["construction_cost_usd_per_w"]), 1)
        d["site_fixed_cost_musd_source"] = (
            "assumption: 2.5 MUSD per (USD/W) of local construction cost, i.e. ~25 MUSD at 10 USD/W: "
            "a high-voltage grid connection and substation for a ~50-100 MW campus plus permitting, "
            "land and legal set-up, scaled by the local cost level"
        )
        d["ai_cloud_regions"] = int(ai_by_country.get(k, 0))
        if k in known:
            d["ai_cloud_regions_source"] = src(
                "curated_seed_facts/ai_regions_by_country_partial.csv",
                "OII compute-sovereignty census Nov 2024 via Visual Capitalist"
                + ("; China 24 incl. Hong Kong split 22 + 2 per the NYT note" if k in ("CHN", "HKG")
                   else ""),
            )
        else:
            d["ai_cloud_regions_source"] = (
                "reconstructed: not in the partial census; integer reconstruction from the region "
                "lists constrained by the report's totals (data/build/derive.py, data/SOURCES.md)"
            )
        d["us_diffusion_tier"] = tier_of.get(k, 2)
        d["us_diffusion_tier_source"] = src(
            "curated_seed_facts/us_ai_diffusion_rule_tiers_jan2025.csv",
            "BIS AI Diffusion rule 90 FR 4544 (2025-01-15), rescinded 2025-05-13: scenario input only"
            + ("" if k in tier_of else "; not listed in tier 1 or 3 -> tier 2"),
        )
        crow.append(d)
    countries = pd.DataFrame(crow)

    # ---- provider_regions
    pr = regions.merge(surveyed[["provider", "iso3", "ai_regions", "gpu_flagged"]],
                       on=["provider", "iso3"], how="left")
    flag_map = {(r.provider, r.iso3): int(r.gpu_flagged) for r in flags.itertuples()}
    srcs = []
    for i, r in pr.iterrows():
        if r.provider in NATIONALITY:
            s = ("reconstructed (census-consistent integer programme, data/build/derive.py); "
                 f"{int(r.gpu_flagged)} region(s) GPU-flagged in cloud_regions_mcp")
        elif r.provider in ("COREWEAVE", "NEBIUS"):
            pr.loc[i, "ai_regions"] = r.regions
            s = "GPU-only cloud: every region offers accelerators"
        else:  # ORACLE
            pr.loc[i, "ai_regions"] = min(flag_map.get((r.provider, r.iso3), 0), r.regions)
            s = ("GPU flag count of cloud_regions_mcp (visibly incomplete: a lower bound; Oracle "
                 "is not in the report's census)")
        srcs.append(s)
    pr["ai_regions"] = pr["ai_regions"].astype(int)
    pr["ai_regions_source"] = srcs
    # Providers outside the census (issue 24): regions and GPU offers from their own pages
    extra = pd.DataFrame(EXTRA_REGIONS, columns=["provider", "iso3", "regions", "ai_regions",
                                                 "regions_source", "ai_regions_source"])
    pr = pd.concat([pr, extra], ignore_index=True)
    # Custom accelerators are offered only in some regions: blank = every chip the provider
    # lists (providers.csv); otherwise the list offered in that country.
    pr["chips"] = ""
    pr["chips_source"] = "blank: every chip the provider lists in providers.csv"
    for (prov, keep, where, why) in REGION_CHIPS:
        sel = pr["provider"] == prov
        listed = PROVIDER_CHIPS[prov].split(";")
        for i in pr.index[sel]:
            offered = [c for c in listed if c not in keep or pr.at[i, "iso3"] in where]
            pr.at[i, "chips"] = ";".join(offered)
            pr.at[i, "chips_source"] = why
    for (prov, iso), (chips_here, why) in OFFER_CHIPS.items():
        sel = (pr["provider"] == prov) & (pr["iso3"] == iso)
        pr.loc[sel, "chips"], pr.loc[sel, "chips_source"] = chips_here, why
    _offer_attributes(pr)
    pr = pr[pr["iso3"].isin(iso_list)]
    pr = pr.sort_values(["provider", "iso3"])[
        ["provider", "iso3", "regions", "ai_regions", "chips", "available_from",
         "certifications", "seal_level", "regions_source", "ai_regions_source", "chips_source",
         "available_from_source", "certifications_source", "seal_level_source"]]

    # ---- jurisdictions, blocs
    juris_codes = sorted(set(countries["jurisdiction"]) | {"USA", "CHN", "CHE", "EU"})
    jnames = {"EU": "European Union", **names}
    jurisdictions = pd.DataFrame({"code": juris_codes,
                                  "name": [jnames.get(c, c) for c in juris_codes]})
    blocs = pd.DataFrame({"bloc": "EU27", "iso3": sorted(EU27),
                          "source": "EU member states (europa.eu), since the UK left on 2020-01-31"})

    relationships = build_relationships(juris_codes)
    providers = build_providers()
    chips = build_chips(ref)
    market = build_market_share(ref)

    out.mkdir(parents=True, exist_ok=True)
    countries.to_csv(out / "countries.csv", index=False)
    pr.to_csv(out / "provider_regions.csv", index=False)
    jurisdictions.to_csv(out / "jurisdictions.csv", index=False)
    blocs.to_csv(out / "blocs.csv", index=False)
    relationships.to_csv(out / "relationships.csv", index=False)
    providers.to_csv(out / "providers.csv", index=False)
    chips.to_csv(out / "chips.csv", index=False)
    market.to_csv(out / "market_share.csv", index=False)
    build_projects().to_csv(out / "projects.csv", index=False)
    write_report_facts(facts_raw, out)
    print(f"countries: {len(countries)} ({len(hosts)} AI hosts: {' '.join(hosts)})")
    print(f"extra region hosts kept: {' '.join(extra)}; dropped (no price/temperature): "
          f"{' '.join(dropped)}")
    tot = surveyed.assign(nat=surveyed["provider"].map(NATIONALITY)).groupby("nat")[
        ["regions", "ai_regions"]].sum()
    print(tot.to_string())


# ---------------------------------------------------------------------------------------
# Relationships (assumptions: every row has its reasoning)
# ---------------------------------------------------------------------------------------

# Scores by home profile. EU27: the EU is home. FRA: France's own territory and French
# providers score 1 via the home set; EU partners are close allies.
REL = {
    "EU27": {
        "EU": (1.0, "home bloc: EU law, EU institutions"),
        "CHE": (0.8, "EEA-adjacent, bilateral agreements, EU adequacy decision for data"),
        "NOR": (0.8, "EEA member: applies EU single-market law incl. GDPR"),
        "ISL": (0.8, "EEA member: applies EU single-market law incl. GDPR"),
        "GBR": (0.7, "close European partner with EU data adequacy, outside EU law since 2020"),
        "CAN": (0.6, "EU-Canada CETA and data adequacy; G7 partner"),
        "JPN": (0.6, "EU-Japan EPA and mutual data adequacy"),
        "KOR": (0.55, "EU-Korea FTA and data adequacy"),
        "NZL": (0.55, "EU data adequacy and FTA"),
        "AUS": (0.5, "like-minded partner, no EU data adequacy"),
        "USA": (0.5, "NATO ally, but the CLOUD Act and FISA s.702 reach US providers abroad and US "
                "export controls reach US chips: an ally whose control can be exercised"),
        "ISR": (0.4, "EU data adequacy, security situation"),
        "TWN": (0.4, "like-minded but exposed to a blockade risk"),
        "SGP": (0.4, "stable trade partner; no adequacy"),
        "IND": (0.3, "strategic partner (EU-India TTC), different data regime"),
        "ARE": (0.3, "investment partner; authoritarian legal system"),
        "SAU": (0.2, "investment partner; authoritarian legal system"),
        "QAT": (0.2, "investment partner; authoritarian legal system"),
        "BRA": (0.3, "EU-Mercosur partner; no adequacy"),
        "ZAF": (0.3, "strategic partner; no adequacy"),
        "CHN": (0.0, "systemic rival; National Intelligence Law 2017 reaches Chinese firms"),
    },
    "FRA": {
        "EU": (0.85, "France is in the EU: shared law (GDPR, Data Act) and institutions, but other "
               "member states' territory and providers are not French"),
        "CHE": (0.7, "neighbour with EU adequacy; outside EU law"),
        "NOR": (0.7, "EEA member"),
        "ISL": (0.7, "EEA member"),
        "GBR": (0.6, "close defence partner (Lancaster House), outside EU law"),
        "CAN": (0.55, "G7 partner, CETA, francophone"),
        "JPN": (0.55, "EU-Japan EPA and data adequacy"),
        "KOR": (0.5, "EU-Korea FTA and data adequacy"),
        "NZL": (0.5, "EU data adequacy"),
        "AUS": (0.45, "partner; AUKUS submarine dispute 2021"),
        "USA": (0.45, "NATO ally; France's doctrine of strategic autonomy and SecNumCloud excludes "
                "providers subject to extra-territorial (US) law for sensitive data"),
        "ISR": (0.35, "EU data adequacy, security situation"),
        "TWN": (0.35, "like-minded but exposed to a blockade risk"),
        "SGP": (0.35, "stable trade partner"),
        "IND": (0.35, "strategic partner (Rafale, Horizon 2047)"),
        "ARE": (0.35, "strategic partner; 2025 French-Emirati AI campus deal"),
        "SAU": (0.2, "investment partner; authoritarian legal system"),
        "QAT": (0.2, "investment partner; authoritarian legal system"),
        "BRA": (0.3, "strategic partner; no adequacy"),
        "ZAF": (0.25, "partner; no adequacy"),
        "CHN": (0.0, "systemic rival; National Intelligence Law 2017 reaches Chinese firms"),
    },
    "GBR": {
        "GBR": (1.0, "home"),
        "USA": (0.7, "closest security ally (Five Eyes, AUKUS, US-UK Tech Prosperity Deal 2025); "
                "US law still reaches US providers and chips"),
        "EU": (0.65, "main trading partner, mutual data adequacy, outside its law since 2020"),
        "CAN": (0.7, "Five Eyes"),
        "AUS": (0.7, "Five Eyes, AUKUS"),
        "NZL": (0.7, "Five Eyes"),
        "CHE": (0.6, "European partner, UK data adequacy regulations"),
        "NOR": (0.65, "NATO and North Sea energy partner, UK data adequacy"),
        "ISL": (0.6, "NATO, UK data adequacy"),
        "JPN": (0.6, "CPTPP and Global Combat Air Programme partner"),
        "KOR": (0.55, "UK data bridge"),
        "SGP": (0.45, "CPTPP, UK data bridge"),
        "ISR": (0.35, "partner; security situation"),
        "TWN": (0.4, "like-minded but exposed to a blockade risk"),
        "IND": (0.35, "2025 UK-India trade agreement"),
        "ARE": (0.3, "investment partner; authoritarian legal system"),
        "SAU": (0.2, "investment partner; authoritarian legal system"),
        "QAT": (0.2, "investment partner; authoritarian legal system"),
        "BRA": (0.25, "partner; no data bridge"),
        "ZAF": (0.3, "Commonwealth partner"),
        "CHN": (0.0, "National Intelligence Law 2017 reaches Chinese firms; UK excluded Huawei "
                "from 5G (2020)"),
    },
    "KEN": {
        "KEN": (1.0, "home"),
        "ZAF": (0.5, "African Union partner, AfCFTA; nearest existing AI cloud host on the continent"),
        "IND": (0.4, "non-aligned partner, large Indian diaspora, digital public infrastructure ties"),
        "EU": (0.4, "EU-Kenya Economic Partnership Agreement (2024), Global Gateway funding"),
        "GBR": (0.4, "UK-Kenya Strategic Partnership and defence cooperation"),
        "USA": (0.4, "major non-NATO ally (2024); Microsoft/G42 geothermal data-centre deal (2024)"),
        "CHN": (0.4, "largest bilateral lender; Huawei-built Konza National Data Centre: Kenya "
                "hedges between the US and China rather than aligning"),
        "ARE": (0.4, "G42/Microsoft Kenya investment partner"),
        "JPN": (0.35, "development partner (JICA)"),
        "CAN": (0.3, "partner"),
        "SGP": (0.3, "trade partner"),
        "SAU": (0.25, "investment partner"),
        "QAT": (0.25, "investment partner"),
        "BRA": (0.3, "Global-South partner"),
        "KOR": (0.3, "development partner"),
        "AUS": (0.25, "partner"),
        "CHE": (0.3, "neutral, development partner"),
        "NOR": (0.3, "development partner"),
        "TWN": (0.1, "Kenya recognises the PRC only"),
    },
    "BRA": {
        "BRA": (1.0, "home"),
        "CHN": (0.45, "largest trading partner, BRICS; Huawei Cloud region in Sao Paulo"),
        "IND": (0.45, "BRICS partner"),
        "ZAF": (0.45, "BRICS partner"),
        "EU": (0.45, "EU-Mercosur agreement (2024), adequacy talks"),
        "USA": (0.4, "major partner; 2025 tariff dispute"),
        "ARE": (0.35, "BRICS member since 2024"),
        "SAU": (0.3, "investment partner"),
        "GBR": (0.35, "partner"),
        "JPN": (0.35, "partner, large diaspora"),
        "CAN": (0.35, "partner"),
        "CHE": (0.35, "neutral partner"),
        "KOR": (0.3, "partner"),
        "AUS": (0.3, "partner"),
        "SGP": (0.3, "trade partner"),
        "NOR": (0.3, "Amazon Fund donor"),
        "QAT": (0.25, "investment partner"),
        "TWN": (0.1, "Brazil recognises the PRC only"),
    },
}


def build_relationships(juris_codes: list[str]) -> pd.DataFrame:
    rows = []
    for home, table in REL.items():
        for j, (score, why) in sorted(table.items()):
            if j not in juris_codes:
                continue
            rows.append({"home": home, "jurisdiction": j, "score": score,
                         "reasoning": f"assumption: {why}"})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# Providers
# ---------------------------------------------------------------------------------------

# Committed (1-3 year) H100 prices per GPU-hour used to calibrate the markup; see SOURCES.md.
# owner cost per H100-hour: computed in owner_cost_h100_per_hour() from the chip and country
# tables with the scenario defaults (5-yr hardware life, 15-yr building, 5% O&M, 70% load).
MERCHANT = ["H100", "H200", "B200", "RUBIN", "MI300X", "MI325X", "MI450", "GAUDI3",
            "ASCEND910B", "ASCEND910C", "ASCEND950", "MI355X", "B300", "GB300", "MI430X"]

PROVIDERS = [
    # code, name, hq, kind, surveyed, delivery, builds_anywhere, H100 $/GPU-h committed,
    # price source, onboarding MUSD, chips, chips reasoning
    ("AWS", "Amazon Web Services", "USA", "hyperscaler", True, "rent", False, 4.0,
     "NVIDIA H100/H200/B200 (p5/p5e/p6 instances) and AWS Trainium2 (trn2)"),
    ("AZURE", "Microsoft Azure", "USA", "hyperscaler", True, "rent", False, 4.0,
     "NVIDIA H100/H200/B200 (ND v5/v6) and AMD MI300X (ND MI300X v5)"),
    ("GCP", "Google Cloud", "USA", "hyperscaler", True, "rent", False, 4.0,
     "NVIDIA H100/H200/B200 (A3/A4) and Google TPU v6e/v7 (only Google rents TPUs)"),
    ("ORACLE", "Oracle Cloud Infrastructure", "USA", "hyperscaler", False, "rent", False, 3.5,
     "NVIDIA H100/H200/B200 and AMD MI300X/MI325X (OCI bare-metal GPU shapes)"),
    ("ALIBABA", "Alibaba Cloud", "CHN", "hyperscaler", True, "rent", False, 4.0,
     "NVIDIA parts in overseas regions (blocked in tier-3 places by the export rule) and domestic "
     "Ascend 910B in mainland China (assumption: reports of Chinese clouds buying Ascend)"),
    ("HUAWEI", "Huawei Cloud", "CHN", "hyperscaler", True, "rent", False, 4.0,
     "Ascend 910B/910C only: Huawei is on the US Entity List and sells its own accelerators"),
    ("TENCENT", "Tencent Cloud", "CHN", "hyperscaler", True, "rent", False, 4.0,
     "as Alibaba: NVIDIA overseas, Ascend 910B in mainland (assumption)"),
    ("OVH", "OVHcloud", "FRA", "regional_cloud", True, "rent", False, 3.0,
     "OVHcloud Public Cloud GPU instances with NVIDIA H100 and H200 (OVHcloud price list, 2025); "
     "no AMD Instinct offer is listed by OVHcloud (the MI300X of earlier versions was an "
     "unsourced assumption and is removed)"),
    ("HETZNER", "Hetzner", "DEU", "regional_cloud", True, "rent", False, 3.0,
     "none of the chip table: Hetzner's own pages list only RTX-class GPU servers (GEX44 RTX 4000 "
     "Ada, GEX130 RTX 6000 Ada, 2024-25); the B200/Rubin/MI300X of earlier versions were "
     "unsourced assumptions and are removed"),
    ("EXOSCALE", "Exoscale (A1 Digital)", "CHE", "regional_cloud", True, "rent", False, 3.0,
     "none of the chip table: Exoscale lists A40/A5000/3080-class GPU instances; the H100/B200/"
     "Rubin/MI300X of earlier versions were unsourced assumptions and are removed"),
    ("COREWEAVE", "CoreWeave", "USA", "neocloud", False, "rent", False, 2.5,
     "NVIDIA only (H100/H200/B200; CoreWeave announced Rubin among the first deployments)"),
    ("NEBIUS", "Nebius", "NLD", "neocloud", False, "rent", False, 2.5,
     "NVIDIA only (H100/H200/B200; Nebius announced Rubin among the first deployments)"),
    # European sovereign clouds with a GPU offer or a sovereignty qualification (issue 24);
    # not in the report's census (surveyed = false). Their regions: EURO_REGIONS.
    ("SCALEWAY", "Scaleway (Iliad)", "FRA", "regional_cloud", False, "rent", False, 3.0,
     "Scaleway GPU Instances H100-X-80G and H100-SXM-X-80G (Scaleway documentation, 'Product "
     "availability', validated 2025-06-17: PAR2 Paris and WAW2 Warsaw)"),
    ("TSYSTEMS", "T-Systems (Deutsche Telekom) Industrial AI Cloud", "DEU", "regional_cloud",
     False, "rent", False, 3.0,
     "Deutsche Telekom press release (2025-11-04) and opening (2026-02-04): Industrial AI Cloud "
     "in Munich with >1,000 NVIDIA DGX B200 systems and RTX PRO servers, up to 10,000 Blackwell "
     "GPUs (DGX B200 = B200)"),
    ("MISTRAL", "Mistral Compute (Mistral AI)", "FRA", "neocloud", False, "rent", False, 2.5,
     "Mistral AI and NVIDIA at VivaTech (2025-06-11): Mistral Compute with 18,000 NVIDIA Grace "
     "Blackwell superchips in Essonne (Bruyeres-le-Chatel) from 2026; GB300 per press reports of "
     "the site (2026, assumption on the exact part: GB200 or GB300)"),
    ("S3NS", "S3NS (Thales, on Google Cloud technology)", "FRA", "regional_cloud", False, "rent",
     False, 3.0,
     "none sourced: no GPU offer of the chip table is published for S3NS's PREMI3NS (SecNumCloud) "
     "service; recorded for its certification and its US technology dependency"),
    ("OUTSCALE", "3DS Outscale (Dassault Systemes)", "FRA", "regional_cloud", False, "rent",
     False, 3.0,
     "none sourced: no GPU offer of the chip table could be confirmed on Outscale's pages; "
     "recorded for its SecNumCloud qualification"),
    ("CLOUDTEMPLE", "Cloud Temple", "FRA", "regional_cloud", False, "rent", False, 3.0,
     "none sourced: no GPU offer of the chip table could be confirmed on Cloud Temple's pages; "
     "recorded for its SecNumCloud qualification"),
    ("PUBLIC", "National public build-and-operate", "*", "public", False, "build", True, None,
     "any merchant accelerator it may buy; TPUs and Trainium are not sold"),
]

PROVIDER_CHIPS = {
    "AWS": "H100;H200;B200;RUBIN;TRN2;TRN3",
    "AZURE": "H100;H200;B200;RUBIN;MI300X;MI450",
    "GCP": "H100;H200;B200;RUBIN;TPUV6E;TPUV7;TPUV8",
    "ORACLE": "H100;H200;B200;RUBIN;MI300X;MI325X;MI450",
    "ALIBABA": "H100;H200;ASCEND910B",
    "HUAWEI": "ASCEND910B;ASCEND910C;ASCEND950",
    "TENCENT": "H100;H200;ASCEND910B",
    "OVH": "H100;H200",
    "HETZNER": "",
    "EXOSCALE": "",
    "SCALEWAY": "H100",
    "TSYSTEMS": "B200",
    "MISTRAL": "GB300",
    "S3NS": "",
    "OUTSCALE": "",
    "CLOUDTEMPLE": "",
    "COREWEAVE": "H100;H200;B200;RUBIN",
    "NEBIUS": "H100;H200;B200;RUBIN",
    "PUBLIC": ";".join(MERCHANT),
}

# Security certifications a provider holds, with the publisher that lists or attests it.
# Only certifications that can be cited by publisher are claimed; a provider without a sourced
# certification has none. EUCS is not granted to anyone: ENISA's candidate scheme has not been
# adopted by the Commission (still in draft in 2025), so no provider lists it.
CERTS = {
    "AWS": ("BSI C5;FedRAMP;UK G-Cloud",
            "BSI C5: AWS C5 attestation report (AWS Artifact; BSI C5:2020 catalogue); FedRAMP: "
            "AWS GovCloud (US) High and US East/West Moderate authorisations (FedRAMP "
            "Marketplace, fedramp.gov); UK G-Cloud: AWS listed on G-Cloud 13/14 (UK Crown "
            "Commercial Service Digital Marketplace)"),
    "AZURE": ("BSI C5;FedRAMP;UK G-Cloud",
              "BSI C5: Microsoft Azure C5 attestation (Microsoft Service Trust Portal); FedRAMP: "
              "Azure and Azure Government High authorisations (FedRAMP Marketplace); UK G-Cloud: "
              "Microsoft listed (Crown Commercial Service Digital Marketplace)"),
    "GCP": ("BSI C5;FedRAMP;UK G-Cloud",
            "BSI C5: Google Cloud C5 attestation (Google Cloud compliance resource centre); "
            "FedRAMP: Google Services High authorisation (FedRAMP Marketplace); UK G-Cloud: "
            "Google Cloud listed (Crown Commercial Service Digital Marketplace)"),
    "ORACLE": ("BSI C5;FedRAMP",
               "BSI C5: OCI C5 attestation (Oracle cloud compliance page); FedRAMP: Oracle "
               "Government Cloud High authorisation (FedRAMP Marketplace); G-Cloud not claimed "
               "(not verified)"),
    "OVH": ("SecNumCloud;BSI C5",
            "SecNumCloud: OVHcloud Hosted Private Cloud qualified by ANSSI (ANSSI list of "
            "SecNumCloud-qualified providers, first granted 2019); BSI C5: OVHcloud C5 type 2 "
            "attestation (OVHcloud trust centre); note the qualification covers its private "
            "cloud, not every GPU offer"),
}
CERTS.update({
    "S3NS": ("SecNumCloud",
             "SecNumCloud 3.2: S3NS's PREMI3NS offer qualified by ANSSI on 2025-12-17 (S3NS news "
             "'premi3ns-secnumcloud-qualification'; ANSSI director's note of 2026-01-06)"),
    "OUTSCALE": ("SecNumCloud",
                 "assumption (publisher named, date not verified in the issue-24 review): "
                 "SecNumCloud 3.2: 3DS Outscale IaaS on ANSSI's list of qualified cloud providers "
                 "(cyber.gouv.fr, 'Prestataires de services qualifies'; qualification date not "
                 "re-checked)"),
    "CLOUDTEMPLE": ("SecNumCloud",
                    "assumption (publisher named, date not verified in the issue-24 review): "
                    "SecNumCloud: Cloud Temple IaaS on ANSSI's list of qualified cloud providers "
                    "(cyber.gouv.fr; qualification date not re-checked)"),
})
CERTS_NONE = ("none: no certification of this list (SecNumCloud, EUCS, BSI C5, FedRAMP, UK "
              "G-Cloud) could be cited by publisher for this provider; left empty rather than "
              "guessed")
CERTS_PUBLIC = ("none: the state's own operator holds no provider certification; "
                "require.certifications keeps it (the rule is about outsourcing)")

# Where the clouds' own accelerators are offered: (provider, chips, countries, source).
REGION_CHIPS = [
    ("GCP", {"TPUV6E", "TPUV7", "TPUV8"}, {"USA", "NLD", "JPN"},
     "Google Cloud, 'TPU regions and zones' (cloud.google.com/tpu/docs/regions-zones, 2025): "
     "Trillium/Ironwood in US regions, europe-west4 (Netherlands) and asia-northeast1 (Tokyo); "
     "a successor assumed in the same regions"),
    ("AWS", {"TRN2", "TRN3"}, {"USA"},
     "AWS, 'Amazon EC2 Trn2 instances' (aws.amazon.com/ec2/instance-types/trn2, 2025): "
     "generally available in US regions only (US East Ohio first, Dec 2024); Trn3 UltraServers "
     "generally available from AWS re:Invent (2025-12-02), assumed in the same US regions"),
]

PRICE_NOTE = {
    4.0: ("assumption: H100 committed (1-3 yr) price ~4.0 USD/GPU-h at hyperscalers in 2025 "
          "(on-demand list prices of 8xH100 instances were ~10-12 USD/GPU-h before AWS's June-2025 "
          "cut of up to ~45%; reserved/savings-plan rates are 40-60% below on-demand); Chinese "
          "clouds assumed at the same level for lack of comparable public prices"),
    3.5: ("assumption: Oracle lists bare-metal H100 at a lower on-demand rate than the big three "
          "(~10 USD/GPU-h list, discounted for commitments); taken 3.5 USD/GPU-h committed"),
    3.0: ("assumption: European clouds list H100 at ~3 EUR/GPU-h on demand (OVHcloud public price "
          "list 2025); ~3.0 USD/GPU-h taken as the committed rate"),
    2.5: ("assumption: neocloud H100 on-demand 2.0-3.0 USD/GPU-h in 2025 (CoreWeave, Nebius, "
          "Lambda public price lists); committed ~2.5 USD incl. storage/network"),
}


# A provider whose technology comes from a company of another jurisdiction depends on it too
# (its provider layer counts both in N-1 and the foreign cap): code -> (jurisdictions, source).
TECHNOLOGY = {
    "S3NS": ("USA", "S3NS is a French company controlled by Thales and runs Google Cloud's "
             "technology: Google's software updates pass its quarantine zone before production "
             "(S3NS, PREMI3NS SecNumCloud announcement, 2025-12-17; ANSSI note, 2026-01-06); "
             "a US cut-off of updates or support reaches it"),
}
TECHNOLOGY_NONE = ("none recorded: the provider runs its own or open-source cloud stack (its "
                   "accelerators' dependence is the chip layer)")


# ---------------------------------------------------------------------------------------
# Projects a home may co-finance (projects.csv): EU AI gigafactory bids and EuroHPC AI
# Factories whose systems are published. Money converted at the one rate USD_PER_EUR_2024.
# ---------------------------------------------------------------------------------------

#: The public share of an AI gigafactory's cost. Romania's government (memorandum adopted
#: 2025-11-27, release reported by Agerpres/Romania Observer): "public authorities - both at
#: EU and national level - can finance up to 35% of the total CAPEX"; Spain's bid is 35%
#: public; EVP Virkkunen at the Commission/EIB signing (2025-12-04, reported by El Mon and
#: Times Network): about 30% public, 70% private. The Next Web (2026-06-02, reporting
#: Bloomberg): the EU's EUR 4.1bn matched by the host states, of EUR 20bn = 0.41.
GF_PUBLIC_SHARE = 0.35
GF_PUBLIC_SRC = (
    "assumption for a bid that publishes no split compatible with the programme: 0.35, the "
    "ceiling of EU plus national funding of an AI gigafactory's CAPEX as stated by Romania's "
    "government (memorandum of 2025-11-27, release reported by Agerpres/Romania Observer) and "
    "Spain's bid's share; range 0.30 (EVP Virkkunen at the Commission/EIB signing, 2025-12-04, "
    "as reported by El Mon and Times Network: 70% private) to 0.41 (EU EUR 4.1bn matched by the "
    "host states, of EUR 20bn: The Next Web, 2026-06-02, reporting Bloomberg; press only)"
)
GF_CHIP_SRC = (
    "chip not published: assumption RUBIN, the NVIDIA generation on sale when a "
    "2028 gigafactory is equipped (range B300 to Rubin)"
)
GF_START_SRC = (
    "assumption: operations from about 2028 (Commission/EIB MoU, 2025-12-04, reported "
    "by RCR Tech: selected sites expected to launch operations by 2028); range 2028-2030 "
    "(the call slipped to July 2026, The Next Web 2026-06-02, press only)"
)
GF_SIZE_SRC = (
    "the programme's scale: about 100,000 of the most advanced AI chips per gigafactory "
    "(European Commission, InvestAI, 2025-02-11; EIB press release 2025-491, 2025-12-04); "
    "'exceeding 100 000 advanced AI processors' in the European Parliament's opinion "
    "(2025-12-17), a number the adopted definition (Council Regulation (EU) 2026/150 of "
    "2026-01-16, Article 2(3c)) does not carry"
)


def build_projects() -> pd.DataFrame:
    """projects.csv: every row's figures with their publisher and date, or an assumption with
    its reasoning and range (``source``)."""
    eur = USD_PER_EUR_2024

    def musd(eur_bn: float) -> float:
        return round(eur_bn * 1000 * eur, 0)

    rows = [
        {
            "code": "GF_ESP_MORA",
            "name": "Mora la Nova AI gigafactory bid",
            "kind": "gigafactory",
            "status": "announced",
            "country": "ESP",
            "provider": "PUBLIC",
            "operator": "Telefonica-SETT consortium",
            "chip": "RUBIN",
            "accelerators": 100_000,
            "earliest_service_year": 2028,
            "end_year": None,
            "total_cost_musd": musd(5.0),
            "public_share": 0.35,
            "source": (
                "Spanish government bid (Ministry for Digital Transformation, communique of "
                "2026-01-14, reported by Europa Press the same day): a public-private consortium with "
                "SETT (the Spanish state's technology company), Telefonica, ACS, MasOrange, NVIDIA, "
                "Submer and Multiverse Computing, Mora la Nova (Tarragona, announced June 2025; "
                "Catalan government's declaration of support 2025-06-25, ACN) joined by San "
                "Fernando de Henares (Madrid); investment 'could exceed EUR 4,000m' (Ministry, "
                "2026-01-14) and EUR 5bn (ACN, 2026-01-15); about 100,000 advanced processors, 35% "
                "public (press only: Cloudnews, 2025-07; ARA, 2025-06; consistent with the 35% "
                "ceiling Romania's government states, 2025-11-27). Total EUR 5bn x 1.082 USD/EUR = "
                "5,410 MUSD, range 4,328 (EUR 4bn, the ministry's figure); Spain approved EUR 719m "
                "of public investment via SETT (Cloudnews, 2026, press only); operational 2027-2028 "
                "(ACN, 2026-01-15): 2028, range 2028-2030 (the site's permitting, Madrid Informa "
                f"2026-01). {GF_CHIP_SRC}. Provider PUBLIC stands for an operator headquartered in "
                "Spain (Telefonica, SETT)"
            ),
        },
        {
            "code": "GF_PRT_SINES",
            "name": "Sines AI gigafactory bid",
            "kind": "gigafactory",
            "status": "announced",
            "country": "PRT",
            "provider": "PUBLIC",
            "operator": "BPF Sines consortium",
            "chip": "RUBIN",
            "accelerators": 100_000,
            "earliest_service_year": 2028,
            "end_year": None,
            "total_cost_musd": musd(4.0),
            "public_share": GF_PUBLIC_SHARE,
            "source": (
                "Banco Portugues de Fomento's bid for Sines (press only; BPF publishes no page on "
                "it): a preliminary plan of EUR 4bn, a 90 MW data centre of 28,000 m2 (ECO, "
                "2025-07-25); '100,000 GPUs guaranteed', NVIDIA a partner, model unconfirmed (BPF's "
                "CEO, ECO, 2025-09-19); financing of the preliminary plan: about EUR 0.6bn private "
                "equity, EUR 1bn syndicated loan, about EUR 1bn from the Portuguese state (national "
                "and EU funds) and EUR 1.4bn from the Commission (ECO special, 2025-09-27, as "
                "summarised by Noticias de Sines): public 2.4 / 4.0 = 0.60, above the programme's "
                "ceiling; to grow beyond EUR 4bn with a second site in the formal bid (BPF's CEO to "
                "Lusa, RTP 2026-01-16). Total EUR 4bn x 1.082 = 4,328 MUSD (range 4,328 up, the "
                f"larger figure not published). {GF_CHIP_SRC}. {GF_START_SRC}. {GF_PUBLIC_SRC}; the "
                "preliminary plan's 0.60 is outside the programme's rules. Provider PUBLIC stands "
                "for an operator headquartered in Portugal"
            ),
        },
        {
            "code": "GF_ROU_BLACKSEA",
            "name": "Black Sea AI gigafactory bid",
            "kind": "gigafactory",
            "status": "announced",
            "country": "ROU",
            "provider": "PUBLIC",
            "operator": "ADR Black Sea consortium",
            "chip": "RUBIN",
            "accelerators": 100_000,
            "earliest_service_year": 2028,
            "end_year": None,
            "total_cost_musd": 5000.0,
            "public_share": GF_PUBLIC_SHARE,
            "source": (
                "Romania's government (Black Sea AI Gigafactory memorandum adopted 2025-11-27, "
                "release reported by Agerpres/Romania Observer): over 100,000 AI accelerators at "
                "Cernavoda (phase I) and Doicesti (phase II), up to 1,500 MW mostly nuclear, an "
                "investment of EUR 4-5bn, operational by the end of 2028, public authorities (EU "
                "and national) financing up to 35% of the total CAPEX: public share 0.35 (the "
                "ceiling; range 0.30-0.35). Cost: 'could reach USD 5 billion' (Romanian Authority "
                "for Digitalization, reported by Business Forum 2025-06-24) = 5,000 MUSD, range "
                "4,328-5,410 (EUR 4-5bn x 1.082). The Ministries of Energy and Finance sought a "
                "consortium leader in April 2026 for an initial phase of about 20,000 GPUs (Ministry "
                "of Energy announcement, reported 2026-04-15): 100,000 is the bid's total, range "
                f"20,000 by 2028. {GF_CHIP_SRC}. Start: 2028 as the government states, range "
                "2028-2030 (the call slipped to July 2026, The Next Web 2026-06-02, press only). "
                "Provider PUBLIC stands for an operator headquartered in Romania"
            ),
        },
        {
            "code": "AIF_IT4LIA",
            "name": "IT4LIA AI Factory system (Bologna)",
            "kind": "ai_factory",
            "status": "contracted",
            "country": "ITA",
            "provider": "PUBLIC",
            "operator": "EuroHPC JU",
            "chip": "B200",
            "accelerators": 3_400,
            "earliest_service_year": 2027,
            "end_year": None,
            "total_cost_musd": musd(0.29),
            "public_share": 1.0,
            "source": (
                "Run by CINECA for EuroHPC JU (its owner, as of the other EuroHPC systems) and "
                "Italy's MUR. EuroHPC JU contract with E4 Computer Engineering and Dell (press only: "
                "Cloudnews, 2026, citing EuroHPC JU; the JU's own release was not found): NVIDIA "
                "GB200 NVL4 (Blackwell GPUs), 'over 160 exaflops' of AI inference, EUR 290m for "
                "acquisition, delivery, installation and maintenance, co-funded 50% by EuroHPC JU "
                "(Digital Europe) and 50% by Italy's MUR: all public; x 1.082 = 314 MUSD. The AI "
                "Factory as a whole: about EUR 430m co-financed equally by Italy and EuroHPC JU "
                "(INFN press release on the selection, 2024-12); selected with a new AI-optimised "
                "supercomputer in Bologna (EuroHPC JU, 'Selection of the first seven AI Factories', "
                "2024-12-10). Assumptions: GPU count not "
                "published: 3,400 B200 = 60% of 314 MUSD on hardware at 56k USD per installed B200 "
                "(35k x system factor 1.6), as for Alice Recoque; range 3,400-8,000 (160 EF at "
                "NVIDIA's 20 PFLOP/s sparse FP4 per Blackwell GPU, if the whole figure were GPUs); "
                "in service from 2027 (contract in 2026, about a year to install; range 2026-2027)"
            ),
        },
    ]
    return pd.DataFrame(rows)


def build_providers() -> pd.DataFrame:
    owner = OWNER_COST_H100_PER_HOUR
    rows = []
    for code, name, hq, kind, surveyed, delivery, anywhere, price, chip_why in PROVIDERS:
        if price is None:
            markup, msrc = 1.0, "at cost: the public operator owns the hardware (delivery = build)"
        else:
            markup = round(price / owner, 2)
            msrc = (f"{price} USD per H100-hour / owner cost {owner:.2f} USD per H100-hour "
                    f"(computed in derive.py: {OWNER_COST_NOTE}); {PRICE_NOTE[price]}")
        if kind == "public":
            onboard, osrc = 50.0, ("assumption: setting up a public operator (procurement agency, "
                                   "staff, security accreditation) ~50 MUSD")
        elif kind == "neocloud":
            onboard, osrc = 5.0, ("assumption: procurement and integration of a GPU cloud "
                                  "(contract, security review, networking) ~5 MUSD")
        else:
            onboard, osrc = 10.0, ("assumption: procurement, security accreditation and "
                                   "integration of a full cloud provider ~10 MUSD")
        anywhere_src = (
            "builds on any site with grid power (it is the state's own operator)" if kind == "public"
            else "serves only from its existing or announced regions (provider_regions.csv): no "
            "provider is assumed to build where it has no sourced presence"
        )
        hq_src = ("'*' = the home country: the public operator takes the home's jurisdiction"
                  if hq == "*" else "company headquarters (public company filings)")
        rows.append({
            "code": code, "name": name, "hq_iso3": hq, "kind": kind,
            "surveyed": str(surveyed).lower(), "delivery": delivery,
            "builds_anywhere": str(anywhere).lower(), "cost_markup": markup,
            "onboarding_cost_musd": onboard, "chips": PROVIDER_CHIPS[code],
            "certifications": CERTS.get(code, ("", ""))[0],
            "technology_jurisdiction": TECHNOLOGY.get(code, ("", ""))[0],
            "hq_iso3_source": hq_src,
            "surveyed_source": ("curated_seed_facts/oii_compute_sovereignty_headline_figures.csv "
                                "(providers_us/china/europe; Oracle not in the sample)"),
            "builds_anywhere_source": f"assumption: {anywhere_src}",
            "cost_markup_source": msrc, "onboarding_cost_musd_source": osrc,
            "chips_source": chip_why,
            "certifications_source": (
                CERTS[code][1] if code in CERTS
                else CERTS_PUBLIC if kind == "public" else CERTS_NONE
            ),
            "technology_jurisdiction_source": TECHNOLOGY.get(code, ("", TECHNOLOGY_NONE))[1],
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# Chips
# ---------------------------------------------------------------------------------------

EPOCH = "epoch_ai/ml_hardware.csv"
EPOCH_UP = "Epoch AI, 'Data on Machine Learning Hardware' (CC BY 4.0, 2025 snapshot)"
# code -> Epoch hardware name, designer, jurisdiction
CHIP_ROWS = [
    ("H100", "NVIDIA H100 SXM5 80GB", "NVIDIA", "USA"),
    ("H200", "NVIDIA H200 SXM", "NVIDIA", "USA"),
    ("B200", "NVIDIA B200", "NVIDIA", "USA"),
    ("MI300X", "AMD Instinct MI300X", "AMD", "USA"),
    ("MI325X", "AMD Instinct MI325X", "AMD", "USA"),
    ("TPUV6E", "Google TPU v6e Trillium", "Google", "USA"),
    ("TPUV7", "Google TPU v7 Ironwood", "Google", "USA"),
    ("TRN2", "Amazon Trainium2", "Amazon", "USA"),
    ("GAUDI3", "Intel Habana Gaudi3", "Intel", "USA"),
    ("ASCEND910B", "Huawei Ascend 910B", "Huawei", "CHN"),
    ("ASCEND910C", "Huawei Ascend 910C", "Huawei", "CHN"),
    # on sale since 2025 (issue 24): Epoch AI rows with the vendors' dense BF16 figures
    ("MI355X", "AMD Instinct MI355X", "AMD", "USA"),
    ("B300", "NVIDIA B300 (Blackwell Ultra)", "NVIDIA", "USA"),
    ("GB300", "NVIDIA GB300 (Blackwell Ultra)", "NVIDIA", "USA"),
    ("TRN3", "Amazon Trainium3", "Amazon", "USA"),
    # chips of systems already in service (scenario key `existing:`); not offered for purchase
    ("GH200", "NVIDIA GH200", "NVIDIA", "USA"),
    ("A100", "NVIDIA A100 SXM4 80 GB", "NVIDIA", "USA"),
    ("MI250X", "AMD Radeon Instinct MI250X", "AMD", "USA"),
    ("MAX1550", "Intel Data Center GPU Max 1550", "Intel", "USA"),
]

# Chips announced for the planning horizon, not (or not fully) in Epoch's table: announced
# specs and our assumptions, each stated. code -> (name, designer, jurisdiction, BF16 dense
# TFLOPS, TDP W, price USD, available_from, source of the specs)
ANNOUNCED = {
    "RUBIN": ("NVIDIA Rubin (VR200)", "NVIDIA", "USA", 4000.0, 1800.0, 50000.0, 2026,
              "assumption from NVIDIA's announcement (GTC keynote, 2025-03-18, nvidianews.nvidia.com): "
              "Vera Rubin NVL144 in H2 2026 with 1.2 EF FP8 training per 72 packages, 1.67x "
              "GB300 NVL72's; NVIDIA has not published Rubin's dense BF16: taken as 1.6x GB300's "
              "2,500 TFLOPS (Epoch) = 4,000, range 3,000-5,000 TFLOPS (1.2x-2x GB300); TDP "
              "~1.8 kW (press reports, range 1.8-2.3 kW); price 50k USD = B200 x 1.4 (the "
              "Hopper-to-Blackwell step), range 45-70k USD"),
    "MI450": ("AMD Instinct MI455X (MI450 series)", "AMD", "USA", 5000.0, 1800.0, 35000.0, 2026,
              "assumption from AMD's announcements (Advancing AI, 2025-06-12, and CES, 2026-01, "
              "amd.com): MI455X, the MI450-series part of the Helios rack, in H2 2026 with 40 PF "
              "FP4, 20 PF FP8 and 432 GB HBM4; dense BF16 not published: taken as 2x MI355X's "
              "2,517 TFLOPS (Epoch) = 5,000, i.e. reading the FP8 figure as sparse, range "
              "5,000-10,000 TFLOPS (10,000 if it is dense); TDP (range 1.4-2.3 kW) and price "
              "(MI325X 20k x 1.75, range 30-50k USD) are assumptions"),
    "MI430X": ("AMD Instinct MI430X (MI400 series, HPC)", "AMD", "USA", 2500.0, 1800.0, 35000.0,
               2026,
               "assumption from AMD's announcement (2025-11, amd.com; CES 2026-01): MI430X, the "
               "FP64-oriented MI400-series part with 432 GB HBM4 for sovereign AI and HPC systems "
               "(Alice Recoque, Discovery) in 2026; AMD has not published its dense BF16: taken as "
               "MI355X's 2,517 TFLOPS rounded to 2,500, range 2,000-5,000 TFLOPS (up to the "
               "MI455X's); TDP (range 1.4-2.3 kW) and price (as MI455X, range 30-50k USD) are "
               "assumptions"),
    "ASCEND950": ("Huawei Ascend 950DT", "Huawei", "CHN", 500.0, 600.0, 20000.0, 2026,
                  "assumption from Huawei's roadmap (Huawei Connect, 2025-09-18, huawei.com): "
                  "Ascend 950PR Q1 2026 and 950DT Q4 2026 with 1 PF FP8 / 2 PF FP4; BF16 "
                  "taken as FP8 / 2 = 500 TFLOPS (dense, assumption); TDP 600 W and price "
                  "20k USD assumptions (one die, below the two-die 910C)"),
    "TPUV8": ("Google TPU (successor of v7)", "Google", "USA", 4000.0, 1200.0, 30000.0, 2027,
              "assumption: Google has released a TPU generation about yearly (v5p 2023, v6e 2024, "
              "v7 Ironwood 2025, Google Cloud blog 2025-04-09); a successor by 2027 at ~1.7x v7's "
              "2,307 TFLOPS (v6e->v7 was 2.5x); TDP and internal cost-equivalent assumptions"),
}

# Achieved efficiency: share of peak dense BF16 delivered on typical large training and
# inference work (model FLOP utilisation, MFU). code or designer -> (value, reasoning)
EFFICIENCY = {
    "H100": (0.40, "Meta, 'The Llama 3 Herd of Models' (2024): 38-43% BF16 MFU training Llama 3 "
             "405B on up to 16k H100; MLPerf Training (MLCommons) H100 results are of this order"),
    "H200": (0.40, "as H100 (same compute die, more HBM): Meta Llama 3 38-43% MFU on H100"),
    "GH200": (0.40, "as H100 (same GPU die): Meta Llama 3 38-43% MFU on H100"),
    "B200": (0.40, "assumption: MLPerf Training v5.0 (MLCommons, June 2025) shows B200 about 2.2x "
             "H100 per GPU on LLM pre-training, in line with its 2.27x peak, so MFU as H100's 0.40"),
    "RUBIN": (0.40, "assumption: NVIDIA generations have kept MFU (MLPerf H100 -> B200); 0.40"),
    "A100": (0.50, "Narayanan et al., 'Efficient Large-Scale Language Model Training on GPU "
             "Clusters Using Megatron-LM' (SC21): 52% of peak on 3,072 A100"),
    "MI300X": (0.28, "assumption: ROCm software maturity; independent benchmarks (SemiAnalysis, "
               "'MI300X vs H100 vs H200 training benchmark', Dec 2024) measured MI300X training "
               "throughput well below its datasheet advantage; ~70% of NVIDIA's 0.40"),
    "MI325X": (0.28, "assumption: as MI300X (same CDNA3 compute die); MLPerf Training v5.0 "
               "MI325X fine-tuning results on par with H200 despite 1.3x its peak"),
    "MI450": (0.32, "assumption: AMD's ROCm gains since 2024 narrow the gap; between MI300X "
              "(0.28) and NVIDIA (0.40)"),
    "MI355X": (0.30, "assumption: CDNA 4 with ROCm 7 (2025); between MI325X (0.28) and the "
               "MI400 series (0.32); range 0.25-0.40"),
    "MI430X": (0.32, "assumption: as MI455X (MI450 row), range 0.25-0.40"),
    "B300": (0.40, "assumption: same Blackwell architecture as B200 (0.40, MLPerf Training v5.0 "
             "on par with its peak), range 0.35-0.45"),
    "GB300": (0.40, "assumption: as B300 (same GPU, Grace host), range 0.35-0.45"),
    "TRN3": (0.35, "assumption: as Trainium2 (no published MFU; Neuron SDK), range 0.25-0.45"),
    "MI250X": (0.32, "Dash et al., 'Optimizing Distributed Training on Frontier for Large "
               "Language Models' (ORNL, 2023): 32-38% MFU on MI250X"),
    "TPUV6E": (0.50, "Chowdhery et al., 'PaLM' (Google, 2022): 46.2% MFU on TPU v4; Google's "
               "MaxText reports 50-60% on recent TPUs; 0.50"),
    "TPUV7": (0.50, "as TPU v6e: PaLM 46.2% MFU on TPU v4, MaxText 50-60% on recent TPUs"),
    "TPUV8": (0.50, "assumption: as TPU v7"),
    "TRN2": (0.35, "assumption: no published MFU for Trainium2; the Neuron SDK is younger than "
             "CUDA/XLA; between AMD and NVIDIA"),
    "GAUDI3": (0.25, "assumption: no independent large-scale MFU published for Gaudi 3 (Intel's "
               "own claims are not independently reproduced in MLPerf Training); a small "
               "software ecosystem; 0.25"),
    "MAX1550": (0.20, "assumption: Intel Data Center GPU Max (Ponte Vecchio) has no published "
                "large-model MFU and a discontinued roadmap; 0.20"),
    "ASCEND910B": (0.35, "assumption: Huawei reports >50% MFU training Pangu Ultra on 8,192 "
                   "Ascend NPUs (Huawei, 2025, vendor figure); DeepSeek staff put 910C "
                   "inference at ~60% of H100; CANN maturity: 0.35"),
    "ASCEND910C": (0.35, "assumption: as Ascend 910B (Huawei's Pangu Ultra >50% MFU vendor "
                   "figure; ~60% of H100 in inference per DeepSeek staff)"),
    "ASCEND950": (0.35, "assumption: as Ascend 910C"),
}
# Chip-only prices (USD). Epoch's H100 'release price' 33,600 is the per-GPU share of a DGX
# server; the same Epoch note gives the GPU+baseboard bill of materials, 24.4k per GPU.
PRICE = {
    "H100": (24400, "Epoch ml_hardware 'Source for the price' note for H100 SXM5: bill of "
             "materials 8 GPUs + baseboard = 195k USD, 24.4k per GPU (SemiAnalysis 2023); Epoch's "
             "release-price column (33,600) is the DGX server price per GPU and is not used to "
             "avoid double counting the server in system_cost_factor; flops_export "
             "model_parameters uses 25,000"),
    "H200": (30000, "assumption: no Epoch price; H100 BOM + HBM3e premium; 2024-25 press reports "
             "of 30-40k USD per H200"),
    "B200": (35000, "assumption: no Epoch price; NVIDIA CEO quoted 30-40k USD per Blackwell GPU "
             "(CNBC, 2024-03-19)"),
    "MI300X": (None, ""),
    "MI325X": (20000, "assumption: no Epoch price; MI300X Epoch price 15k + larger HBM3e"),
    "TPUV6E": (12000, "assumption: not sold; internal cost-equivalent (custom ASICs are priced "
               "well below merchant GPUs); only enters GCP's rent price"),
    "TPUV7": (20000, "assumption: not sold; internal cost-equivalent scaled with throughput vs "
              "v6e; only enters GCP's rent price"),
    "TRN2": (10000, "assumption: not sold; internal cost-equivalent; only enters AWS's rent price"),
    "GAUDI3": (15625, "Intel, Computex 2024-06-04: 8-accelerator Gaudi 3 baseboard kit list price "
               "125,000 USD = 15,625 per accelerator"),
    "ASCEND910B": (None, ""),
    "ASCEND910C": (28000, "assumption: no Epoch price; two 910B-class dies per package, priced "
                   "below 2x the 910B's 16.9k; press reports put it in the 25-30k USD range"),
    "MI355X": (25000, "assumption: no Epoch or AMD list price; MI325X 20k + CDNA 4 and 288 GB "
               "HBM3E, below NVIDIA's B200 (35k); range 20-35k USD"),
    "B300": (40000, "assumption: no Epoch or NVIDIA list price; B200 35k (CEO's 30-40k quote, "
             "CNBC 2024-03-19) + 288 GB HBM3E; range 35-50k USD"),
    "GB300": (45000, "assumption: no Epoch or NVIDIA list price; B300 40k + half a Grace CPU per "
              "GPU (~5k, as GH200 over H100); range 40-60k USD"),
    "TRN3": (12000, "assumption: not sold; internal cost-equivalent (Trainium2 10k x ~1.2); only "
             "enters AWS's rent price; range 8-20k USD"),    "GH200": (35000, "assumption: no Epoch price; H100 GPU 24.4k (Epoch BOM note) + Grace CPU and "
              "LPDDR5X ~10k; used only for the upkeep of existing systems"),
    "A100": (15000, "Epoch ml_hardware release price of the A100 SXM4 40 GB (Epoch AI, 'Data on "
             "Machine Learning Hardware', CC BY 4.0); used only for upkeep of existing systems"),
    "MI250X": (None, ""),
    "MAX1550": (10000, "assumption: no Epoch price; Intel did not list one; used only for the "
                "upkeep of existing systems"),
}
TFLOPS_OVERRIDE = {
    "MAX1550": (832.0, "Intel Data Center GPU Max 1550 product brief (intel.com, 2023): 832 "
                "TFLOPS BF16 on the XMX matrix engines; Epoch gives FP32 only"),
    "GAUDI3": (1835.0, "Intel, 'Intel Gaudi 3 AI Accelerator' launch and white paper (Intel Vision, "
               "2024-04-09): 1,835 TFLOPS BF16 (and FP8) matrix throughput for the OAM module "
               "(HL-325L, 900 W), dense (Gaudi has no sparsity mode); checked against Intel's "
               "figure as quoted by SimmTester (2024-05-03) and PCGuia (2024-04); Epoch's 1,678 "
               "is the 600 W PCIe card (HL-338)"),
    "ASCEND910B": (320.0, "assumption: Epoch gives no BF16 value; its datasheet note cites 220-376 "
                   "TFLOPS FP16 from different sources; 320 TFLOPS (Huawei's figure for the "
                   "Ascend 910 family), dense"),
}
SUPPLY = {
    "NVIDIA": (100000, "assumption: a single government buyer can obtain ~100k NVIDIA GPUs a year "
               "(NVIDIA shipped several million data-centre GPUs in 2024-25; the largest national "
               "deals announced in 2025 were of this order per year)"),
    "AMD": (50000, "assumption: AMD ships an order of magnitude fewer Instinct GPUs than NVIDIA; "
            "half NVIDIA's per-buyer cap"),
    "Google": (50000, "assumption: TPU capacity rentable by one customer per year"),
    "Amazon": (50000, "assumption: Trainium capacity rentable by one customer per year"),
    "Intel": (20000, "assumption: Gaudi 3 volumes are small (Intel missed its 2024 target of "
              "500M USD of Gaudi revenue)"),
    "Huawei": (10000, "assumption: Huawei's Ascend output (a few 100k a year, limited by SMIC "
               "7nm and HBM) goes mostly to Chinese buyers; ~10k a year for a foreign buyer"),
}
SERVER_OVERHEAD = {
    "NVIDIA": (1.8, "NVIDIA DGX H100 datasheet: 10.2 kW max system power for 8 x 700 W GPUs = "
               "1.82 x GPU TDP (DGX B200: 14.3 kW for 8 x 1000 W = 1.79)"),
    "AMD": (1.7, "assumption: 8-GPU OAM servers like DGX (CPUs, NICs, fans) ~1.7 x GPU TDP"),
    "Intel": (1.7, "assumption: 8-accelerator OAM servers like DGX ~1.7 x TDP"),
    "Google": (1.5, "assumption: TPU hosts share fewer CPUs per chip; ~1.5 x TDP"),
    "Amazon": (1.5, "assumption: Trn2 servers (16 chips per host) ~1.5 x TDP"),
    "Huawei": (1.8, "assumption: Atlas 800/900 8-NPU servers, like DGX ~1.8 x TDP"),
}
SYSTEM_FACTOR = 1.6
SYSTEM_FACTOR_SRC = (
    "server = 269k/195k = 1.38 x GPU+baseboard cost (Epoch H100 price note: DGX H100 269k USD vs "
    "195k GPU BOM, SemiAnalysis 2023), x 1.15 for cluster network and storage (assumption) = 1.6"
)
PLATFORM = {
    "NVIDIA": (20.0, "assumption: CUDA is the default stack; adopting it costs licences, training "
               "and tooling ~20 MUSD"),
    "AMD": (40.0, "assumption: porting and validating workloads on ROCm ~40 MUSD"),
    "Intel": (40.0, "assumption: porting to the Gaudi/SynapseAI stack ~40 MUSD"),
    "Google": (30.0, "assumption: porting to JAX/XLA for TPUs ~30 MUSD"),
    "Amazon": (30.0, "assumption: porting to the Neuron SDK ~30 MUSD"),
    "Huawei": (60.0, "assumption: porting to CANN/MindSpore, with little outside support ~60 MUSD"),
}


# Where each accelerator's die is fabricated (the foundry layer): Epoch AI's Foundry column
# where it has one; its jurisdiction is the foundry's home (TSMC -> TWN, SMIC -> CHN,
# Samsung -> KOR, Intel -> USA). A ';'-list means the chip depends on every foundry listed.
FAB_JURISDICTION = {"TSMC": "TWN", "SMIC": "CHN", "Samsung": "KOR", "Intel": "USA"}
FAB_ASSUMED = {
    "TPUV6E": ("TSMC", "assumption: Epoch gives no foundry for Google TPUs; Google's TPUs are "
               "co-designed with Broadcom, whose leading-edge ASICs are made at TSMC; no non-TSMC "
               "source of a 2024-25 TPU is reported"),
    "TPUV7": ("TSMC", "assumption: as TPU v6e (Epoch gives no foundry for TPU v7)"),
    "TRN2": ("TSMC", "assumption: Epoch gives no foundry for Trainium2 but lists TSMC for its "
             "successor Trainium3 (same designer, Annapurna Labs); the same foundry is assumed"),
    # announced chips (ANNOUNCED): not in Epoch's table yet
    "RUBIN": ("TSMC", "assumption: NVIDIA's data-centre GPUs since Volta are made at TSMC (Epoch "
              "Foundry column for V100-B200) and NVIDIA names TSMC 3 nm-class for Rubin (GTC 2025)"),
    "MI450": ("TSMC", "assumption: AMD Instinct MI300X/MI325X/MI355X are made at TSMC (Epoch) and "
              "AMD announced the MI400 series on TSMC N2 (AMD and TSMC press releases, 2025-04)"),
    "ASCEND950": ("SMIC", "assumption: the Ascend 910B is made at SMIC (Epoch); US export rules "
                  "cut Huawei off from TSMC since 2020 (US Commerce, BIS rule of 2020-08-17), so "
                  "a 2026 Ascend is assumed domestic (SMIC)"),
    "TPUV8": ("TSMC", "assumption: as TPU v6e/v7 (Broadcom co-design, made at TSMC)"),
    "MI430X": ("TSMC", "assumption: as MI455X: AMD announced the MI400 series on TSMC N2 (AMD and "
               "TSMC press releases, 2025-04)"),
}


# Chip generations (issue #23): the last year a chip can be bought new. A vendor's
# announcement where one is published; else the documented assumption: available_from + 3
# (a data-centre generation has been sold about 3 years before its successor replaced it:
# A100 2020 -> H100 2022-23 -> B200 2024-25). code -> (year, source)
SALE_YEARS = 3
END_OF_SALE = {
    "MAX1550": (2024, "Intel told its partners in 2024 that the Data Center GPU Max (Ponte "
                "Vecchio) would no longer be offered to new customers, focusing on Gaudi 2/3 "
                "(ServeTheHome, reported by Hardwareluxx, 2024: 'Intel leitet das Ende von Ponte "
                "Vecchio ein'); Intel XPU Manager 1.3.3 (2025) deprecates the series"),
}
# Unannounced next generations standing for whatever will be on sale then: only these follow
# economics.price_performance_trend (an announced chip keeps its own sourced price).
PLACEHOLDER = {
    "TPUV8": "assumption: no TPU after v7 (Ironwood) was announced when the row was written; "
             "the row stands for Google's next generation, so its price follows the "
             "cross-generation price-performance trend",
}


def _sale_window(d: dict[str, object]) -> None:
    """end_of_sale and next_generation_placeholder of a chip row, each with its source."""
    code = str(d["code"])
    if code in END_OF_SALE:
        d["end_of_sale"], d["end_of_sale_source"] = END_OF_SALE[code]
    else:
        d["end_of_sale"] = int(d["available_from"]) + SALE_YEARS
        d["end_of_sale_source"] = (
            f"assumption: available_from + {SALE_YEARS} (no end-of-sale announcement found; a "
            "data-centre generation has been sold about 3 years before its successor "
            "replaced it: A100 2020, H100 2022-23, B200 2024-25; range +2 to +5 years)")
    d["next_generation_placeholder"] = code in PLACEHOLDER
    d["next_generation_placeholder_source"] = PLACEHOLDER.get(
        code, "an announced or released chip: its own sourced price holds in every year")


# Supply chain beyond the foundry (issue 24): who packages the dies with their memory and who
# makes the high-bandwidth memory. Recorded as data (the model's cuttable layers are still
# territory, provider, chip designer and foundry). designer or code -> (value, jurisdictions,
# source); a code entry overrides its designer's.
COWOS_SRC = (
    "assumption informed by TSMC (3DFabric/CoWoS pages, tsmc.com, 2024-25) and the vendors' "
    "launch material: NVIDIA Hopper/Blackwell (CoWoS-S/-L), AMD Instinct MI300/MI350 (CoWoS with "
    "SoIC), Google TPU, AWS Trainium and Intel Gaudi 3 are packaged on TSMC CoWoS, whose capacity "
    "is in Taiwan (TSMC Arizona/Amkor packaging is announced for ~2027-28)"
)
PACKAGING = {
    "NVIDIA": ("TSMC CoWoS", "TWN", COWOS_SRC),
    "AMD": ("TSMC CoWoS", "TWN", COWOS_SRC),
    "Google": ("TSMC CoWoS", "TWN", COWOS_SRC),
    "Amazon": ("TSMC CoWoS", "TWN", COWOS_SRC),
    "Intel": ("TSMC CoWoS", "TWN", COWOS_SRC),
    "MAX1550": ("Intel Foveros/EMIB", "USA",
                "assumption: Intel Data Center GPU Max is assembled with Intel's own Foveros and "
                "EMIB packaging (Intel product brief, 2023); Intel-controlled (USA)"),
    "Huawei": ("domestic (China)", "CHN",
               "assumption: Huawei is cut off from TSMC since 2020 (US Commerce BIS rule of "
               "2020-08-17); its Ascend packages are assembled in China"),
}
_HBM_KR_US = ("SK hynix;Micron", "KOR;USA",
              "assumption informed by the memory makers' announcements: SK hynix HBM3/HBM3E for "
              "NVIDIA (SK hynix newsroom, 2022-06 and 2024-03) and Micron HBM3E for NVIDIA H200 and "
              "Blackwell (Micron press releases, 2024-02-26 and 2025); Samsung's share is not "
              "confirmed per part")
HBM = {
    "NVIDIA": _HBM_KR_US,
    "H100": ("SK hynix", "KOR", "assumption informed by SK hynix (newsroom, 2022-06): HBM3 mass "
             "production for NVIDIA H100; other suppliers not confirmed"),
    "A100": ("SK hynix;Samsung", "KOR", "assumption: HBM2E of the 2020-21 generation came from "
             "SK hynix and Samsung (both Korean)"),
    "AMD": ("Samsung;SK hynix", "KOR", "assumption informed by Samsung and AMD: Samsung HBM3/HBM3E "
            "in Instinct MI300X/MI325X (2023-24 announcements); SK hynix as second source"),
    "MI355X": ("Samsung;Micron", "KOR;USA", "assumption informed by AMD's Advancing AI (2025-06-12) "
               "and Micron's press release of the same week: HBM3E 12-high from Samsung and Micron "
               "in the MI350 series"),
    "Google": ("SK hynix;Samsung", "KOR", "assumption: Korean HBM3/HBM3E in TPUs (press reports; "
               "no supplier named by Google)"),
    "Amazon": ("SK hynix;Samsung;Micron", "KOR;USA", "assumption: the three HBM makers supply "
               "Trainium (press reports; AWS names none)"),
    "Intel": ("SK hynix;Samsung", "KOR", "assumption: Korean HBM2E in Gaudi 3 and Max 1550 (no "
              "supplier named by Intel)"),
    "Huawei": ("Samsung;CXMT", "KOR;CHN", "assumption informed by TechInsights teardowns (2024-25): "
               "Samsung HBM2E stockpiled before the US HBM controls of 2024-12-02 in Ascend 910B/C; "
               "domestic CXMT HBM expected to replace it"),
    "ASCEND950": ("Huawei (HiBL)", "CHN", "assumption informed by Huawei Connect (2025-09-18): "
                  "Ascend 950 uses Huawei's own HBM (HiBL 1.0 / HiZQ 2.0)"),
}
# Chips a scenario's export_regime excludes: regime -> chips and the reason.
RESTRICTED = {
    "ASCEND910B": ("us_guidance_2025", "US Commerce BIS guidance of 2025-05-13 on General "
                   "Prohibition 10 and PRC advanced-computing ICs: Ascend 910B, 910C and 910D are "
                   "named as presumed subject to GP10; using them anywhere without BIS "
                   "authorisation risks US penalties (BIS press release, 2025-05-13, wording revised "
                   "~2025-05-20 to 'risks of using'; Crowell & Moring and Freshfields client "
                   "alerts, 2025-05)"),
    "ASCEND910C": ("us_guidance_2025", "as Ascend 910B: named in the BIS guidance of 2025-05-13"),
    "ASCEND950": ("us_guidance_2025", "not named (the BIS guidance of 2025-05-13 names 910B/C/D) "
                  "but covered by its general presumption for PRC-designed 3A090 ICs (Freshfields, "
                  "2025-05): a 1 PF FP8 accelerator exceeds the 3A090 thresholds"),
}
RESTRICTED_NONE = "not named by any export_regime (US BIS guidance of 2025-05-13 covers PRC ICs)"


def _supply_chain(d: dict[str, object]) -> None:
    """Packaging, HBM and export-regime columns of a chip row (see PACKAGING, HBM, RESTRICTED)."""
    code, designer = str(d["code"]), str(d["designer"])
    pk = PACKAGING.get(code) or PACKAGING[designer]
    d["packaging"], d["packaging_jurisdiction"], d["packaging_source"] = pk
    d["packaging_jurisdiction_source"] = pk[2]
    hb = HBM.get(code) or HBM[designer]
    d["hbm_suppliers"], d["hbm_jurisdiction"], d["hbm_suppliers_source"] = hb
    d["hbm_jurisdiction_source"] = ("memory makers' headquarters: SK hynix and Samsung -> KOR, "
                                    "Micron -> USA, CXMT and Huawei -> CHN")
    regime, why = RESTRICTED.get(code, ("", RESTRICTED_NONE))
    d["restricted_under"], d["restricted_under_source"] = regime, why


def build_chips(ref: Path) -> pd.DataFrame:
    hw = pd.read_csv(ref / EPOCH).set_index("Hardware name")
    rows = _epoch_chip_rows(hw) + _announced_chip_rows()
    for d in rows:
        eff, why = EFFICIENCY[str(d["code"])]
        d["achieved_efficiency"], d["achieved_efficiency_source"] = eff, why
        _sale_window(d)
        _supply_chain(d)
    df = pd.DataFrame(rows)
    cols = ["code", "name", "designer", "jurisdiction", "bf16_dense_tflops", "tdp_w",
            "server_overhead", "price_usd", "system_cost_factor", "platform_cost_musd",
            "supply_cap_units_per_year", "blocked_tiers", "release_year", "achieved_efficiency",
            "available_from", "fab", "fab_jurisdiction", "end_of_sale",
            "next_generation_placeholder", "packaging", "packaging_jurisdiction",
            "hbm_suppliers", "hbm_jurisdiction", "restricted_under"]
    return df[cols + [c for c in df.columns if c not in cols]]


def _common(d: dict[str, object], designer: str, juris: str) -> None:
    """Columns shared by every chip row: server, system cost, platform, supply, export."""
    so, so_src = SERVER_OVERHEAD[designer]
    d["server_overhead"], d["server_overhead_source"] = so, so_src
    d["system_cost_factor"], d["system_cost_factor_source"] = SYSTEM_FACTOR, SYSTEM_FACTOR_SRC
    d["platform_cost_musd"], d["platform_cost_musd_source"] = PLATFORM[designer]
    cap, csrc = SUPPLY[designer]
    d["supply_cap_units_per_year"], d["supply_cap_units_per_year_source"] = float(cap), csrc
    d["blocked_tiers"] = "3" if juris == "USA" else ""
    d["blocked_tiers_source"] = (
        "US advanced-computing controls (EAR 3A090/4A090, Oct 2022/2023) bar export to China "
        "incl. Hong Kong/Macau and arms-embargoed (D:5) countries = the diffusion rule's tier 3"
        if juris == "USA" else "no export restriction by China on its accelerators")
    d["jurisdiction_source"] = (
        "US-designed: controlled by US export rules (EAR, foreign direct product rule)"
        if juris == "USA" else "Chinese-designed (Huawei), made by SMIC: Chinese control")


def _fab(d: dict[str, object], fabs: list[str], source: str) -> None:
    """The foundry layer of a chip row: foundries, their jurisdictions, and the source."""
    d["fab"], d["fab_source"] = ";".join(fabs), source
    d["fab_jurisdiction"] = ";".join(FAB_JURISDICTION[f] for f in fabs)
    d["fab_jurisdiction_source"] = (
        "foundry headquarters and fabs: TSMC -> TWN, SMIC -> CHN, Samsung -> KOR, Intel -> USA"
    )


def _announced_chip_rows() -> list[dict[str, object]]:
    rows = []
    for code, (name, designer, juris, tflops, tdp, price, year, why) in ANNOUNCED.items():
        d: dict[str, object] = {"code": code, "name": name, "designer": designer,
                                "jurisdiction": juris}
        d["designer_source"] = why
        d["bf16_dense_tflops"], d["bf16_dense_tflops_source"] = tflops, why
        d["tdp_w"], d["tdp_w_source"] = tdp, why
        d["price_usd"], d["price_usd_source"] = price, why
        d["release_year"], d["release_year_source"] = year, why
        d["available_from"], d["available_from_source"] = year, why
        fab, fab_why = FAB_ASSUMED[code]
        _fab(d, [fab], fab_why)
        _common(d, designer, juris)
        rows.append(d)
    return rows


def _epoch_chip_rows(hw: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for code, epoch_name, designer, juris in CHIP_ROWS:
        e = hw.loc[epoch_name]
        d: dict[str, object] = {"code": code, "name": epoch_name, "designer": designer,
                                "jurisdiction": juris}
        d["designer_source"] = f"{EPOCH} Manufacturer ({EPOCH_UP})"
        if code in TFLOPS_OVERRIDE:
            d["bf16_dense_tflops"], d["bf16_dense_tflops_source"] = TFLOPS_OVERRIDE[code]
        else:
            v = float(e["Tensor-FP16/BF16 performance (FLOP/s)"])
            d["bf16_dense_tflops"] = round(v / 1e12, 1)
            d["bf16_dense_tflops_source"] = (
                f"{EPOCH} Tensor-FP16/BF16 / 1e12 ({EPOCH_UP}); dense (checked against the "
                "vendor's dense figure)")
        d["tdp_w"] = float(e["TDP (W)"])
        d["tdp_w_source"] = f"{EPOCH} TDP (W) ({EPOCH_UP})"
        price, psrc = PRICE[code]
        if price is None:
            price = float(e["Release price (USD)"])
            psrc = f"{EPOCH} Release price (USD) ({EPOCH_UP})"
        d["price_usd"], d["price_usd_source"] = float(price), psrc
        _common(d, designer, juris)
        foundry = e["Foundry"]
        if isinstance(foundry, str) and foundry.strip():
            fabs = [f.strip() for f in foundry.split(",") if f.strip()]
            _fab(d, fabs, f"{EPOCH} Foundry = '{foundry}' ({EPOCH_UP})")
        else:
            _fab(d, [FAB_ASSUMED[code][0]], FAB_ASSUMED[code][1])
        d["release_year"] = int(str(e["Release date"])[:4])
        d["release_year_source"] = f"{EPOCH} Release date ({EPOCH_UP})"
        d["available_from"] = d["release_year"]
        d["available_from_source"] = f"release year: {EPOCH} Release date ({EPOCH_UP})"
        rows.append(d)
    return rows


# Owner cost of one H100 for one hour (used to calibrate provider markups). Uses the same
# cost structure the planner documents: capex (accelerator x system factor + building) over
# its life, O&M 5%/yr of hardware capex, electricity at 70% load. Reference site: the
# median of the 33 AI-host countries would couple this to the IP; we use the USA (EIA price,
# DCCI-predicted cost) because list prices are US prices.
def _owner_cost() -> tuple[float, str]:
    price = 24400 * SYSTEM_FACTOR
    kw = 0.7 * 1.8  # TDP x server overhead
    building = kw * 1000 * 9.5  # USD/W construction (USA, flops_export DCCI)
    annual = price / 5 + building / 15 + 0.05 * price
    pue = 1.2
    energy = kw * 0.7 * pue * 8766 * 0.0813  # USD/kWh EIA industrial
    per_hour = (annual + energy) / 8766
    note = (f"H100 24.4k x 1.6 over 5 yr + 1.26 kW x 9.5 USD/W building over 15 yr + 5%/yr O&M + "
            f"1.26 kW x 70% x PUE 1.2 x 81.3 USD/MWh = {per_hour:.2f} USD per GPU-hour")
    return per_hour, note


OWNER_COST_H100_PER_HOUR, OWNER_COST_NOTE = _owner_cost()


# ---------------------------------------------------------------------------------------
# Market share and report facts
# ---------------------------------------------------------------------------------------

US_DESIGNERS = {"NVIDIA", "AMD", "Google", "Amazon AWS", "Intel", "Microsoft", "Cerebras"}


def build_market_share(ref: Path) -> pd.DataFrame:
    g = pd.read_csv(ref / "epoch_ai/gpu_clusters.csv")
    e = g[g["Status"] == "Existing"]
    by = e.groupby("GPU Supplier (primary)")["H100 equivalents"].sum()
    total = float(by.sum())
    known = float(by.drop([x for x in ("Anonymized", "Unknown") if x in by.index]).sum())
    rows = []
    up = ("Epoch AI, 'Data on GPU Clusters' (CC BY 4.0), snapshot ~2025-04; Status == Existing, "
          "share of H100-equivalents by primary chip supplier")
    for sup, v in by.sort_values(ascending=False).items():
        rows.append({
            "supplier": sup,
            "designer_jurisdiction": ("USA" if sup in US_DESIGNERS else
                                      "CHN" if sup == "Huawei" else
                                      "JPN" if sup == "PEZY" else "unknown"),
            "h100e": round(float(v), 1),
            "share_of_all": round(float(v) / total, 4),
            "share_of_known_supplier": (round(float(v) / known, 4)
                                        if sup not in ("Anonymized", "Unknown") else None),
            "source": src("epoch_ai/gpu_clusters.csv", up),
        })
    return pd.DataFrame(rows)


REPORT_FACTS = [
    "providers_us", "providers_china", "providers_europe", "census_date", "regions_total",
    "regions_with_ai_accelerators", "countries_with_public_cloud_ai", "countries_hedging",
    "countries_aligned", "ai_regions_us_providers", "ai_regions_chinese_providers",
    "ai_regions_european_providers", "us_chip_share_of_accelerators", "nvidia_market_share_range",
    "europe_demand_vs_supply", "uk_airr_2025", "uk_airr_2030_target", "uk_compute_budget",
    "ai_regions_us_territory", "ai_regions_china_territory", "ai_regions_eu_block",
    "countries_training_capable",
]


def write_report_facts(facts_raw: pd.DataFrame, out: Path) -> None:
    f = facts_raw[facts_raw["fact_id"].isin(REPORT_FACTS)][
        ["fact_id", "value", "unit", "description", "source_url", "verification"]].copy()
    f["source"] = ("secondary summaries of the Oxford Internet Institute report (see source_url); "
                   "extract: data/build/reference/curated_seed_facts/"
                   "oii_compute_sovereignty_headline_figures.csv")
    f.to_csv(out / "report_facts.csv", index=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference", nargs="?", default=str(Path(__file__).resolve().parent / "reference"),
                    help="reference extracts folder (default: data/build/reference)")
    ap.add_argument("--out", default=str(REPO / "data"), help="output folder (default: data/)")
    args = ap.parse_args(argv)
    ref = Path(args.reference)
    if not (ref / "SOURCES.md").exists():
        print(f"{ref}: not a reference folder (no SOURCES.md)", file=sys.stderr)
        return 2
    build(ref, Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
