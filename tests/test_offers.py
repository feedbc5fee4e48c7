"""Issue 24's offer-level rules on the tiny instance: service-level certifications,
``require.seal_min``, a provider's technology jurisdiction and ``export_regime:
us_guidance_2025``. Each check reads the options the planner derives (or the solved plan),
against the rows written into a copy of the tiny data.

Tiny (tests/conftest.py): home HOM; trust ALY 0.5, OTH 0; chips CA (designer OTH) and CH
(designer HOM); PUB builds anywhere, USC (an OTH cloud) rents in ALY and OTH.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from planner.core.data import load_tables
from planner.core.errors import InputError
from planner.core.inputs import build_inputs
from planner.core.solve import solve
from tests.conftest import TINY_DATA, tiny


def _edit(folder: Path, name: str, fn) -> None:
    path = folder / name
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df).to_csv(path, index=False)


def _with_eu_cloud(tmp_path: Path, regions: pd.DataFrame, company_certs: str = "SecNumCloud"):
    """Tiny data plus EUC, an ALY cloud holding ``company_certs`` as a company, with the
    given service-level provider_regions.csv rows (certifications, seal_level)."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY_DATA, folder)

    def providers(df: pd.DataFrame) -> pd.DataFrame:
        euc = {**df.iloc[1].to_dict(), "code": "EUC", "name": "Ally cloud", "hq_iso3": "ALY"}
        out = pd.concat([df, pd.DataFrame([euc])], ignore_index=True)
        return out.assign(certifications=["", "", company_certs])

    _edit(folder, "providers.csv", providers)
    regions.to_csv(folder / "provider_regions.csv", index=False)
    return folder


def _regions(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "provider": p,
                "iso3": k,
                "regions": 1,
                "ai_regions": 1,
                "certifications": certs,
                "seal_level": seal,
                "source": "test fixture",
            }
            for p, k, certs, seal in rows
        ]
    )


def _offers(sc) -> set[tuple[str, str]]:
    inp, _ = build_inputs(sc, load_tables(sc.data))
    return set(zip(inp.options["provider"], inp.options["country"], strict=True))


REGIONS = [
    ("USC", "ALY", "", ""),
    ("USC", "OTH", "", ""),
    ("EUC", "ALY", "SecNumCloud", "3"),
    ("EUC", "OTH", "", "2"),
]


def test_service_level_certification_keeps_exactly_the_certified_offers(tmp_path):
    """EUC holds SecNumCloud as a company but only its ALY offer is covered: requiring it
    keeps EUC in ALY (and the public option), not EUC in OTH nor USC anywhere. With the
    company-level rule (no service-level column), EUC in OTH would stay."""
    folder = _with_eu_cloud(tmp_path, _regions(REGIONS))
    common = {"data": str(folder), "countries": ["HOM", "ALY", "OTH"]}
    assert _offers(tiny(**common)) >= {("USC", "OTH"), ("EUC", "OTH"), ("EUC", "ALY")}
    kept = _offers(tiny(**common, require={"certifications": ["secnumcloud"]}))
    assert {p for p, _ in kept} == {"PUB", "EUC"}
    assert {(p, k) for p, k in kept if p != "PUB"} == {("EUC", "ALY")}
    # the same data without the service-level column falls back to the company's certificate
    _edit(folder, "provider_regions.csv", lambda df: df.drop(columns=["certifications"]))
    kept = _offers(tiny(**common, require={"certifications": ["secnumcloud"]}))
    assert {(p, k) for p, k in kept if p != "PUB"} == {("EUC", "ALY"), ("EUC", "OTH")}


def test_seal_min_keeps_exactly_the_offers_with_a_published_level(tmp_path):
    folder = _with_eu_cloud(tmp_path, _regions(REGIONS))
    common = {"data": str(folder), "countries": ["HOM", "ALY", "OTH"]}

    def rented(seal_min: int) -> set[tuple[str, str]]:
        offers = _offers(tiny(**common, require={"seal_min": seal_min}))
        assert ("PUB", "HOM") in offers  # the state's own option is kept
        return {(p, k) for p, k in offers if p != "PUB"}

    assert rented(2) == {("EUC", "ALY"), ("EUC", "OTH")}  # USC has no published level
    assert rented(3) == {("EUC", "ALY")}
    assert rented(4) == set()
    plan = solve(tiny(**common, require={"seal_min": 3}, exclude={"providers": ["PUB"]}))
    assert set(plan.allocation.query("modules > 0")["provider"]) == {"EUC"}


def test_seal_min_out_of_range_is_an_input_error():
    with pytest.raises(ValueError, match="seal_min"):
        tiny(require={"seal_min": 5})


def test_technology_jurisdiction_is_a_provider_dependency(tmp_path):
    """A home-headquartered provider on OTH technology (like S3NS on Google): its options
    depend on OTH (N-1 and the foreign cap see it) and its provider layer scores OTH's 0."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY_DATA, folder)

    def providers(df: pd.DataFrame) -> pd.DataFrame:
        jv = {**df.iloc[1].to_dict(), "code": "JV", "name": "Joint venture", "hq_iso3": "HOM"}
        out = pd.concat([df, pd.DataFrame([jv])], ignore_index=True)
        return out.assign(technology_jurisdiction=["", "", "OTH"])

    _edit(folder, "providers.csv", providers)
    _edit(
        folder,
        "provider_regions.csv",
        lambda df: pd.concat([df, df.iloc[[0]].assign(provider="JV", iso3="HOM")]),
    )
    sc = tiny(data=str(folder), exclude={"providers": ["PUB"]})
    inp, _ = build_inputs(sc, load_tables(sc.data))
    opt = inp.options
    jv = set(opt.index[opt["provider"] == "JV"])
    assert jv and jv <= set(inp.by_dependency["OTH"])
    assert (opt.loc[list(jv), "score_provider"] == 0.0).all()
    # without the column the same provider is home in the provider layer
    _edit(folder, "providers.csv", lambda df: df.drop(columns=["technology_jurisdiction"]))
    inp, _ = build_inputs(sc, load_tables(sc.data))
    opt = inp.options
    jv = list(opt.index[(opt["provider"] == "JV") & (opt["chip"] == "CH")])
    assert jv and not set(jv) & set(inp.by_dependency.get("OTH", []))
    assert (opt.loc[jv, "score_provider"] == 1.0).all()


def test_export_regime_us_guidance_removes_the_restricted_chip(tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(TINY_DATA, folder)
    _edit(folder, "chips.csv", lambda df: df.assign(restricted_under=["", "us_guidance_2025"]))
    current = tiny(data=str(folder))
    inp, _ = build_inputs(current, load_tables(current.data))
    assert "CH" in set(inp.options["chip"])
    assert any("us_guidance_2025" in n and "CH" in n for n in inp.notes)  # when it matters
    guided = tiny(data=str(folder), export_regime="us_guidance_2025")
    inp, _ = build_inputs(guided, load_tables(guided.data))
    assert set(inp.options["chip"]) == {"CA"}
    assert any("export_regime us_guidance_2025" in n and "CH" in n for n in inp.notes)
    plan = solve(guided)
    assert set(plan.allocation.query("modules > 0")["chip"]) == {"CA"}
    # with no restricted chip among the candidates the regime changes nothing and says nothing
    only_ca = tiny(data=str(folder), chips=["CA"])
    inp, _ = build_inputs(only_ca, load_tables(only_ca.data))
    assert not any("us_guidance_2025" in n for n in inp.notes)


def test_require_with_no_matching_offer_names_the_rule(tmp_path):
    folder = _with_eu_cloud(tmp_path, _regions(REGIONS))
    sc = tiny(
        data=str(folder),
        countries=["ALY", "OTH"],
        exclude={"providers": ["PUB"]},
        require={"certifications": ["FedRAMP"]},
    )
    with pytest.raises(InputError, match="require"):
        build_inputs(sc, load_tables(sc.data))


def test_bundled_data_keeps_only_sourced_offers():
    """On the bundled data: no SecNumCloud-qualified service has a sourced GPU offer (S3NS,
    Outscale and Cloud Temple list none, OVHcloud's qualification covers its private cloud),
    so requiring SecNumCloud leaves the public option; BSI C5 keeps only the clouds whose
    attestation covers their compute service; no SEAL level is published, so any seal_min
    keeps only the public option."""
    from planner.core.scenario import load_scenario

    root = Path(__file__).resolve().parents[1]
    eu = root / "data" / "scenarios" / "eu-2030-hedge.yaml"
    tables = load_tables(root / "data")

    def providers(*overrides: str) -> set[str]:
        sc = load_scenario(eu, ["providers=null", "chips=null", "strategy=none", *overrides])
        inp, _ = build_inputs(sc, tables)
        return set(inp.options.loc[~inp.options["existing"], "provider"])

    assert {"OVH", "NEBIUS", "TSYSTEMS"} <= providers()
    assert providers("require.certifications=[SecNumCloud]") == {"PUBLIC"}
    c5 = providers("require.certifications=[BSI C5]")
    assert "PUBLIC" in c5 and c5 <= {"PUBLIC", "AWS", "AZURE", "GCP", "ORACLE"}
    assert "OVH" not in c5  # its C5 attestation is not shown to cover its GPU instances
    assert providers("require.seal_min=0") == {"PUBLIC"}
