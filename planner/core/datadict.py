"""The data dictionary: every table the planner reads, its columns, units and ranges.

One description drives validation (``planner.core.data``), the documentation (``docs/data.md`` is
generated from it) and the UI's column help, so the three never drift apart (the idea of
PyPSA's component attribute tables).

Conventions
- Units live in column names (``price_usd_per_mwh``, ``tdp_w``); money in the model is in
  million USD, compute in EFLOP/s of dense BF16, power in MW.
- Columns named ``source``/``notes`` or ending in ``_source`` are provenance: they are kept
  with the table but never enter the model. Every numeric column must have a provenance
  column (``<column>_source``) or be covered by the row's ``source`` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of a data table."""

    name: str
    dtype: str  # "str" | "float" | "int" | "bool"
    description: str
    unit: str = ""
    required: bool = True
    min: float | None = None
    max: float | None = None
    default: object = None


@dataclass(frozen=True)
class Table:
    """A data table: its file name, key column(s) and columns."""

    name: str
    file: str
    key: tuple[str, ...]
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


JURISDICTIONS = Table(
    name="jurisdictions",
    file="jurisdictions.csv",
    key=("code",),
    description=(
        "Powers that can exert legal or export control: a nation or a bloc (EU). Every "
        "country, provider headquarters and chip maps to exactly one."
    ),
    columns=(
        Column("code", "str", "Jurisdiction code (ISO3 for nations, EU for the Union)"),
        Column("name", "str", "Display name"),
    ),
)

BLOCS = Table(
    name="blocs",
    file="blocs.csv",
    key=("bloc", "iso3"),
    description="Named groups of countries usable as a scenario's home (e.g. EU27).",
    columns=(
        Column("bloc", "str", "Bloc name as written in a scenario's `home`"),
        Column("iso3", "str", "Member country (ISO 3166-1 alpha-3)"),
    ),
)

COUNTRIES = Table(
    name="countries",
    file="countries.csv",
    key=("iso3",),
    description="Candidate locations for AI compute, with energy, climate and cost data.",
    columns=(
        Column("iso3", "str", "ISO 3166-1 alpha-3 code"),
        Column("name", "str", "Country name"),
        Column("jurisdiction", "str", "Controlling jurisdiction (EU members map to EU)"),
        Column(
            "electricity_price_usd_per_mwh",
            "float",
            "Industrial electricity price, taxes excluded",
            unit="USD/MWh",
            min=0,
            max=1000,
        ),
        Column(
            "carbon_intensity_g_per_kwh",
            "float",
            "Average grid carbon intensity",
            unit="gCO2e/kWh",
            min=0,
            max=1500,
        ),
        Column(
            "pue", "float", "Power usage effectiveness of a new AI data centre", min=1.0, max=3.0
        ),
        Column(
            "construction_cost_usd_per_w",
            "float",
            "Data-centre construction cost per watt of IT load",
            unit="USD/W",
            min=0,
            max=100,
        ),
        Column(
            "grid_power_available_mw",
            "float",
            "Grid power available for new AI load by the horizon (facility power)",
            unit="MW",
            min=0,
            max=1_000_000,
        ),
        Column(
            "site_fixed_cost_musd",
            "float",
            "Fixed cost of using the country at all (grid connection, legal set-up)",
            unit="million USD",
            min=0,
            max=100_000,
        ),
        Column(
            "ai_cloud_regions",
            "int",
            "Public-cloud regions with AI accelerators (report census)",
            min=0,
            max=1000,
        ),
        Column(
            "us_diffusion_tier",
            "int",
            "Tier under the US AI Diffusion rule (Jan 2025, rescinded May 2025): 1, 2 or 3",
            min=1,
            max=3,
        ),
    ),
)

RELATIONSHIPS = Table(
    name="relationships",
    file="relationships.csv",
    key=("home", "jurisdiction"),
    description=(
        "How much a home (a country or bloc) trusts each jurisdiction: 1 = itself, "
        "(0,1) = ally, 0 = other. Missing pairs score 0."
    ),
    columns=(
        Column("home", "str", "Home profile: an ISO3 code or a bloc name"),
        Column("jurisdiction", "str", "Jurisdiction code"),
        Column("score", "float", "Trust score used by all three layers", min=0, max=1),
    ),
)

PROVIDERS = Table(
    name="providers",
    file="providers.csv",
    key=("code",),
    description="Cloud providers and operators, including a public build-and-operate option.",
    columns=(
        Column("code", "str", "Short code"),
        Column("name", "str", "Display name"),
        Column("hq_iso3", "str", "Headquarters country (its jurisdiction applies)"),
        Column(
            "kind", "str", "hyperscaler | regional_cloud | neocloud | public (build and operate)"
        ),
        Column("surveyed", "bool", "One of the nine providers in the report's census"),
        Column(
            "delivery",
            "str",
            "build = the buyer owns the hardware (capex up front); rent = capacity leased per year",
        ),
        Column(
            "builds_anywhere",
            "bool",
            "Can build in any country with grid power, not only where it has regions",
        ),
        Column(
            "cost_markup",
            "float",
            "Price charged over the owner-operator's annualised cost (1 = at cost)",
            min=0.5,
            max=10,
        ),
        Column(
            "onboarding_cost_musd",
            "float",
            "One-off cost of contracting the provider (procurement, integration)",
            unit="million USD",
            min=0,
            max=100_000,
        ),
        Column(
            "chips",
            "str",
            "Chip codes the provider offers, ';'-separated, or * for any chip it may buy; blank "
            "= no sourced offer of the chip table (the provider builds no option)",
            required=False,
            default="",
        ),
        Column(
            "certifications",
            "str",
            "Security certifications held, ';'-separated (SecNumCloud, EUCS, BSI C5, FedRAMP, "
            "UK G-Cloud); blank = none that could be cited. Read by `require.certifications` "
            "when provider_regions.csv has no service-level `certifications` column",
            required=False,
            default="",
        ),
        Column(
            "technology_jurisdiction",
            "str",
            "Jurisdictions whose companies supply the provider's cloud technology, ';'-separated "
            "(e.g. USA for S3NS on Google Cloud); its provider layer depends on them too, in "
            "N-1 and the foreign cap, and scores the weakest of them; blank = none",
            required=False,
            default="",
        ),
    ),
)

PROVIDER_REGIONS = Table(
    name="provider_regions",
    file="provider_regions.csv",
    key=("provider", "iso3"),
    description="Where each provider has cloud regions (and how many offer AI accelerators).",
    columns=(
        Column("provider", "str", "Provider code"),
        Column("iso3", "str", "Country"),
        Column("regions", "int", "Regions in service in the country", min=0, max=1000),
        Column("ai_regions", "int", "Of which offer AI accelerators", min=0, max=1000),
        Column(
            "chips",
            "str",
            "Chips offered in this country, ';'-separated (blank = all the provider lists)",
            required=False,
            default="",
        ),
        Column(
            "available_from",
            "int",
            "First year an announced region can serve (blank = in service)",
            required=False,
            min=2015,
            max=2100,
        ),
        Column(
            "certifications",
            "str",
            "Certifications covering the GPU offer in this country (service level), "
            "';'-separated; read by `require.certifications`; blank = none sourced",
            required=False,
            default="",
        ),
        Column(
            "seal_level",
            "int",
            "European Commission Cloud Sovereignty Framework level of the offer (SEAL-0..4) "
            "where published; read by `require.seal_min`; blank = not published",
            required=False,
            min=0,
            max=4,
        ),
    ),
)

CHIPS = Table(
    name="chips",
    file="chips.csv",
    key=("code",),
    description="AI accelerators: performance, power, price and export control.",
    columns=(
        Column("code", "str", "Short code"),
        Column("name", "str", "Display name"),
        Column("designer", "str", "Designing company"),
        Column("jurisdiction", "str", "Jurisdiction controlling design and export"),
        Column(
            "bf16_dense_tflops",
            "float",
            "Dense BF16 tensor throughput",
            unit="TFLOP/s",
            min=1,
            max=100000,
        ),
        Column("tdp_w", "float", "Thermal design power per accelerator", unit="W", min=1, max=5000),
        Column(
            "server_overhead",
            "float",
            "Server IT power per accelerator over its TDP (CPUs, network, storage)",
            min=1,
            max=3,
        ),
        Column("price_usd", "float", "Price per accelerator", unit="USD", min=0, max=10_000_000),
        Column(
            "system_cost_factor",
            "float",
            "Installed system cost over the accelerator price (servers, network)",
            min=1,
            max=5,
        ),
        Column(
            "platform_cost_musd",
            "float",
            "One-off cost of adopting the chip's software stack",
            unit="million USD",
            min=0,
            max=100_000,
        ),
        Column(
            "supply_cap_units_per_year",
            "float",
            "Accelerators a single buyer can obtain per year (blank = no cap)",
            unit="accelerators/year",
            required=False,
            min=0,
            max=1e9,
        ),
        Column(
            "blocked_tiers",
            "str",
            "Destination tiers (US diffusion rule) the chip may not be exported to, ';'-separated",
            required=False,
            default="",
        ),
        Column("release_year", "int", "Year of release", min=2015, max=2035),
        Column(
            "fab",
            "str",
            "Foundry that makes the die, ';'-separated when several (TSMC, SMIC, Samsung, Intel)",
            required=False,
            default="",
        ),
        Column(
            "fab_jurisdiction",
            "str",
            "Jurisdiction of each foundry, ';'-separated in the order of `fab`; blank = the "
            "foundry layer is not modelled for the chip",
            required=False,
            default="",
        ),
        Column(
            "achieved_efficiency",
            "float",
            "Share of peak dense BF16 delivered on typical large training/inference work (MFU)",
            required=False,
            default=1.0,
            min=0.01,
            max=1.0,
        ),
        Column(
            "available_from",
            "int",
            "First year the chip can be bought or rented",
            required=False,
            min=2015,
            max=2040,
        ),
        Column(
            "packaging",
            "str",
            "Who packages the dies with their memory (e.g. TSMC CoWoS); recorded, not a model "
            "layer",
            required=False,
            default="",
        ),
        Column(
            "packaging_jurisdiction",
            "str",
            "Jurisdiction of the packager",
            required=False,
            default="",
        ),
        Column(
            "hbm_suppliers",
            "str",
            "Makers of the high-bandwidth memory, ';'-separated; recorded, not a model layer",
            required=False,
            default="",
        ),
        Column(
            "hbm_jurisdiction",
            "str",
            "Jurisdictions of the HBM makers, ';'-separated",
            required=False,
            default="",
        ),
        Column(
            "restricted_under",
            "str",
            "Scenario `export_regime` values under which using the chip is excluded "
            "(e.g. us_guidance_2025), ';'-separated; blank = none",
            required=False,
            default="",
        ),
        Column(
            "merchant",
            "bool",
            "Sold on the open market; false = only through providers that list it (TPU, Trainium)",
            required=False,
            default=True,
        ),
        Column(
            "end_of_sale",
            "int",
            "Last year the chip can be bought new (vendor announcement where published); blank "
            "= available_from (else release_year) + 3, an assumption (a data-centre generation "
            "has been sold for about 3 years before its successor replaced it)",
            required=False,
            min=2015,
            max=2060,
        ),
        Column(
            "next_generation_placeholder",
            "bool",
            "An unannounced next generation standing for whatever will be on sale then; only "
            "such chips follow economics.price_performance_trend",
            required=False,
            default=False,
        ),
    ),
)

#: Large projects a state may co-finance (or already has): read by the model only when a
#: scenario lists them under ``projects``; a data folder without the file is valid.
PROJECTS = Table(
    name="projects",
    file="projects.csv",
    key=("code",),
    description=(
        "Large AI compute projects a home may co-finance: EU AI gigafactory bids, EuroHPC AI "
        "Factories, national systems. Joining pays the home's share of the total cost and "
        "makes its share of the accelerators available from the earliest service year."
    ),
    columns=(
        Column("code", "str", "Project code, as a scenario's `projects` names it"),
        Column("name", "str", "Display name"),
        Column("kind", "str", "gigafactory, ai_factory or national_system"),
        Column("status", "str", "announced, selected, contracted or in_service"),
        Column("country", "str", "Site country (ISO3, countries.csv)"),
        Column(
            "provider",
            "str",
            "Provider row of providers.csv standing for the operator (PUBLIC: an operator "
            "headquartered in the site country)",
        ),
        Column("operator", "str", "Who runs it (consortium or institution), as published"),
        Column("chip", "str", "Accelerator code of chips.csv"),
        Column("accelerators", "int", "Accelerators of the whole project", "count", min=1, max=1e7),
        Column(
            "earliest_service_year",
            "int",
            "First year the project can serve",
            "year",
            min=2000,
            max=2100,
        ),
        Column(
            "end_year",
            "float",
            "Last year in service (empty = beyond any horizon)",
            "year",
            required=False,
            min=2000,
            max=2200,
        ),
        Column(
            "total_cost_musd",
            "float",
            "Total capital cost of the project (million USD, converted at source)",
            "MUSD",
            min=0,
            max=1e6,
        ),
        Column(
            "public_share",
            "float",
            "Share of the total cost paid by public money (EU and member states)",
            "share",
            min=0,
            max=1,
        ),
    ),
)

TABLES: tuple[Table, ...] = (
    JURISDICTIONS,
    BLOCS,
    COUNTRIES,
    RELATIONSHIPS,
    PROVIDERS,
    PROVIDER_REGIONS,
    CHIPS,
)


#: Optional side tables of a data folder: read only by ``sovplan info`` (headline facts), never
#: by the model. A folder without them is valid; when present they pass the same checks as
#: the tables above (regular file, size, CSV, columns, types and ranges), via
#: ``planner.core.data.read_side_table``.
MARKET_SHARE = Table(
    name="market_share",
    file="market_share.csv",
    key=("supplier",),
    description="Share of existing AI compute by chip supplier (for `sovplan info`).",
    columns=(
        Column("supplier", "str", "Primary chip supplier as the source names it"),
        Column("designer_jurisdiction", "str", "Jurisdiction of the designer (or 'unknown')"),
        Column("h100e", "float", "Compute in H100-equivalents", "H100e", min=0, max=1e10),
        Column("share_of_all", "float", "Share of all listed compute", "share", min=0, max=1),
        Column(
            "share_of_known_supplier",
            "float",
            "Share among clusters with a named supplier (empty for unnamed)",
            "share",
            required=False,
            min=0,
            max=1,
        ),
    ),
)

REPORT_FACTS = Table(
    name="report_facts",
    file="report_facts.csv",
    key=("fact_id",),
    description="Figures quoted from the report `sovplan info` compares against, with sources.",
    columns=(
        Column("fact_id", "str", "Name of the fact"),
        Column("value", "str", "The figure as published (a number, a date or a list)"),
        Column("unit", "str", "Its unit"),
        Column("description", "str", "What it counts", required=False, default=""),
        Column("source_url", "str", "Where it was read", required=False, default=""),
        Column("verification", "str", "How it was checked", required=False, default=""),
    ),
)

UNCERTAIN_INPUTS = Table(
    name="uncertain_inputs",
    file="uncertain_inputs.csv",
    key=("key",),
    description=(
        "Default ranges of the inputs nobody can pin down (prices, the discount rate, trust "
        "scores): a plan's range is priced over seeded draws from these when its scenario "
        "has no `uncertainty:` block (`planner.studies.ranges`). Read from the scenario's "
        "data folder, else from the bundled one."
    ),
    columns=(
        Column("key", "str", "Scenario key in the --set language (e.g. economics.discount_rate)"),
        Column(
            "how",
            "str",
            "times: the scenario's value times a factor drawn in [low, high]; plus: the "
            "scenario's value plus a shift drawn in [low, high], kept within [0, 1]",
        ),
        Column("low", "float", "Smallest factor or shift drawn", min=-1, max=100),
        Column("high", "float", "Largest factor or shift drawn", min=-1, max=100),
        Column("reasoning", "str", "Why this range: assumption and its reasoning"),
        Column(
            "source",
            "str",
            "Upstream publisher and date behind the range (empty for a pure judgement)",
            required=False,
            default="",
        ),
    ),
)

SIDE_TABLES: tuple[Table, ...] = (MARKET_SHARE, REPORT_FACTS, UNCERTAIN_INPUTS)

#: Tables a data folder may hold that the model reads when a scenario asks for them.
OPTIONAL_TABLES: tuple[Table, ...] = (PROJECTS,)


def is_provenance_column(name: str) -> bool:
    """Columns that document where values come from; never fed to the model."""
    return name in {"source", "notes", "reasoning"} or name.endswith("_source")
