"""The scenario: what a user asks the planner, as a validated pydantic model.

A scenario names the home, the compute target per period, the money and the policy limits.
Every user-facing model forbids unknown keys (``extra="forbid"``) so a typo such as
``budgte`` is an error, never silently ignored. Units are in the field descriptions and in
README.md; the JSON Schema (``sovplan schema``) carries them to editors.
"""

from __future__ import annotations

import copy
import math
import typing
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from planner.core.errors import InputError
from planner.core.files import MAX_SCENARIO_BYTES, read_input_text
from planner.core.schema_base import (  # noqa: F401  (re-exported: callers import them from here)
    NonNegative,
    PartShare,
    Positive,
    Share,
    Weight,
    _has_bool,
    _mentions_bool,
    _Strict,
    _yaml_type,
)
from planner.core.uncertainty import Uncertainty, check_here_and_now

#: Targets beyond these are typing errors (the world's AI compute is far below 1e6 EFLOP/s)
#: and push HiGHS past its numerical range.
MIN_TARGET = 1e-6
MAX_TARGET = 1e6
TargetValue = Annotated[float, Field(ge=0.0, le=MAX_TARGET, allow_inf_nan=False)]
#: most codes a list of countries/providers/chips may hold (the data have a few hundred)
MAX_CODES = 1000
#: most problems a validation message lists, and the longest line it prints
MAX_MESSAGE_LINES = 20
MAX_LINE = 300


class Limits(_Strict):
    """Diversification and territorial limits; each is optional (absent = not enforced)."""

    max_share_provider: Share | None = Field(
        None, description="Largest share of compute from any one provider (0-1)"
    )
    max_share_chip_designer: Share | None = Field(
        None, description="Largest share of compute on any one chip designer's accelerators (0-1)"
    )
    max_share_foreign_jurisdiction: Share | None = Field(
        None,
        description="Largest share of compute that depends (in any layer) on one foreign jurisdiction",
    )
    min_home_share: Share | None = Field(
        None, description="Territorial floor: smallest share of compute on home soil (0-1)"
    )
    min_providers: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None,
        description=(
            "At least this many providers each delivering one module's worth of the final "
            "period's counted compute (the smallest module among its options, at most the "
            "final target); idle capacity does not count"
        ),
    )
    min_chip_designers: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None,
        description=(
            "At least this many chip designers each delivering one module's worth of the "
            "final period's counted compute (as for min_providers)"
        ),
    )
    resilience: Share | None = Field(
        None,
        description=(
            "N-1: share of each period's target kept if any one foreign jurisdiction cuts off "
            "(its territory, its providers, the chips it designs and the chips its fabs make)"
        ),
    )
    max_share_country: Share | None = Field(
        None,
        description="Siting spread: largest share of counted compute in any one country (0-1)",
    )
    min_countries: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None,
        description=(
            "Siting spread: at least this many host countries each delivering one module's "
            "worth of the final period's target"
        ),
    )
    share_basis: Literal["counted", "installed"] = Field(
        "counted",
        description=(
            "What the share caps (max_share_provider, max_share_chip_designer, "
            "max_share_foreign_jurisdiction, max_share_country) are shares of. counted: of the "
            "compute counted towards each period's target (capacity built beyond the target "
            "cannot dilute a share, but capacity the caps leave uncounted escapes them: a "
            "co-financed project or committed system larger than the cap still runs, "
            "uncounted, while the plan pays for other suppliers to count). installed: of the "
            "capacity installed that period, existing, committed and co-financed systems "
            "included (the physical dependence a ministry reads; buying or renting capacity "
            "elsewhere is the only way to dilute it, and the plan pays for that). The minimum "
            "counts and N-1 are the same under both."
        ),
    )


class Weights(_Strict):
    """Weights of the sovereignty layers (normalised to sum to 1) and of resilience.

    ``fab`` is the optional fourth layer (where the chip's die is made); at its default 0 the
    index is the report's three-layer index exactly. ``resilience`` is not a layer: it weighs
    the worst-case N-1 kept share against the index in the objective (index + w·r).
    """

    territorial: Weight = 1 / 3
    provider: Weight = 1 / 3
    chip: Weight = 1 / 3
    fab: Weight = Field(
        0.0, description="Foundry layer: where the chip's die is made (default 0 = not scored)"
    )
    resilience: Weight = Field(
        0.0,
        description=(
            "Weight of the worst-case N-1 kept share (0-1) added to the index in the objective; "
            "0 = resilience is only a limit (limits.resilience), never rewarded"
        ),
    )

    @model_validator(mode="after")
    def _not_all_zero(self) -> Weights:
        if self.territorial + self.provider + self.chip + self.fab <= 0:
            raise ValueError(
                "the layer weights sum to 0: give at least one layer a positive weight"
            )
        return self

    def normalised(self) -> tuple[float, float, float, float]:
        """Layer weights (territorial, provider, chip, fab) scaled to sum to 1."""
        total = self.territorial + self.provider + self.chip + self.fab
        return (
            self.territorial / total,
            self.provider / total,
            self.chip / total,
            self.fab / total,
        )


class Exclude(_Strict):
    """Eligibility: suppliers removed outright, whatever they would add to the index."""

    countries: list[str] = Field(default_factory=list, description="Host countries (ISO3)")
    providers: list[str] = Field(default_factory=list, description="Provider codes")
    chips: list[str] = Field(default_factory=list, description="Chip codes")
    designers: list[str] = Field(
        default_factory=list, description="Chip designers (as in chips.csv, e.g. Huawei)"
    )
    jurisdictions: list[str] = Field(
        default_factory=list,
        description=(
            "Jurisdictions: every option depending on one in any layer (territory, provider "
            "headquarters, chip designer, chip foundry) is removed"
        ),
    )

    def any(self) -> bool:
        return bool(
            self.countries or self.providers or self.chips or self.designers or self.jurisdictions
        )


class Require(_Strict):
    """Eligibility: conditions every provider must meet."""

    certifications: list[str] = Field(
        default_factory=list,
        description=(
            "Keep only offers covered by at least one of these certifications, case-insensitive: "
            "service level (provider_regions.csv `certifications`: a company's qualification of "
            "another service does not count) where the data records any, else the "
            "provider's (providers.csv `certifications`); the public build-and-operate option is "
            "the state's own and is kept"
        ),
    )
    seal_min: int | None = Field(
        None,
        ge=0,
        le=4,
        description=(
            "Keep only offers whose published European Commission Cloud Sovereignty Framework "
            "level (SEAL-0..SEAL-4, provider_regions.csv `seal_level`) is at least this; an offer "
            "without a published level is removed; the public option is kept"
        ),
    )


class BuildOut(_Strict):
    """How capacity may evolve between periods."""

    non_decreasing: bool = Field(
        True,
        description=(
            "Owned modules never decrease: hardware bought stays in service (rented capacity "
            "may always shrink: a rental ends when the plan stops using it); false lets owned "
            "modules fall too"
        ),
    )
    max_new_power_mw_per_year: NonNegative | None = Field(
        None, description="Ramp limit: new facility power per country and year (MW)"
    )


#: Years a plan is costed beyond its last period when ``horizon_end`` is not given: the last
#: fleet serves about a hardware life (5 years: the last period's year and 4 more), so an
#: annualised plan pays for what it buys over the years it actually delivers.
DEFAULT_HORIZON_TAIL_YEARS = 4


class Economics(_Strict):
    """Cost assumptions shared by every option (documented in README.md)."""

    module_size: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        1000, description="Accelerators per module, the integer unit of the decision"
    )
    utilisation: Share = Field(
        0.7, description="Average power draw as a share of installed IT power"
    )
    maintenance_share_per_year: Share = Field(
        0.05,
        description=(
            "Operation and maintenance per year as a share of installed capex (hardware and "
            "building); existing systems pay it on their table-price value, with no capital"
        ),
    )
    hardware_life_years: Positive = Field(
        5.0,
        description=(
            "Accelerator and server service life (years): the annuity period of owned hardware "
            "(cost_basis annualised) and of the owner cost behind rent"
        ),
    )
    facility_life_years: Positive = Field(
        15.0,
        description=(
            "Building life (years): the annuity period of owned facilities (cost_basis "
            "annualised) and of the owner cost behind rent"
        ),
    )
    discount_rate: Share = Field(
        0.035,
        description=(
            "Real annual discount rate r: a cost in period t counts (1 + r)^-(t - first "
            "period), each year of a period at its first year's factor; also the rate of the "
            "capital recovery factors (owned capital, rent). Default 3.5%: the UK HM Treasury "
            "Green Book social time "
            "preference rate for public investment (years 0-30), a public-sector social "
            "discount rate"
        ),
    )
    cost_basis: Literal["annualised", "cash"] = Field(
        "annualised",
        description=(
            "annualised: an owned module's capital cost is charged as an equivalent annual "
            "cost (capital recovery factor at discount_rate over hardware_life_years for "
            "accelerators and servers, facility_life_years for buildings) for every year it "
            "serves up to horizon_end, so owning and renting compare per year of service; "
            "cash: capital is paid in full in the period the module is bought"
        ),
    )
    compute_basis: Literal["effective", "peak"] = Field(
        "effective",
        description=(
            "effective: compute per accelerator = peak dense BF16 x achieved_efficiency "
            "(chips.csv), what typical large training/inference work gets; peak: the "
            "datasheet figure. Targets are in EFLOP/s of this basis"
        ),
    )
    price_performance_trend: PartShare = Field(
        0.21,
        description=(
            "Applies only to chips marked next_generation_placeholder in chips.csv (an "
            "unannounced generation standing for whatever will be on sale then): such a chip "
            "bought (or rented) in year t costs (1 - trend)^(t - available_from) of its table "
            "price. Every announced chip keeps its own sourced price in every year (its list "
            "price where no street-price path is published): the FLOP/s-per-dollar progress "
            "across generations comes from the catalogue of chips itself, not from a per-chip "
            "decay. Default 0.21 = 1 - 2^(-1/2.95): Epoch AI measured FLOP/s per dollar of top "
            "GPUs doubling every 2.95 years across generations (Hobbhahn & Besiroglu, 'Trends "
            "in GPU price-performance', Epoch AI, 2022)"
        ),
    )
    chip_price_range: PartShare = Field(
        0.25,
        description=(
            "Plus/minus share by which the plan's reading re-prices every chip to state the "
            "cost's sensitivity to the price assumptions (the fixed plan re-priced, no "
            "re-solve). Default 0.25: published quotes span about this much around the table "
            "prices (B200 30-40k USD, CNBC 2024-03-19; H200 30-40k, press reports 2024-25), "
            "an assumption"
        ),
    )
    build_lead_time_years: Annotated[int, Field(ge=0, le=20)] = Field(
        2,
        description=(
            "Years from ordering owned (built) capacity to its service, procurement and "
            "construction: new owned modules serve from the first period at or after the first "
            "planning period (now) + this lead time; rented capacity can start at once. "
            "Default 2: JUPITER's procurement contract was signed on 2023-10-03 and its booster "
            "was in service in 2025 (EuroHPC JU press releases); Isambard-AI was announced on "
            "2023-11-01 and in full service in July 2025 (UK DSIT; University of Bristol). An "
            "assumption for other countries (no per-country grid-connection queue is sourced)"
        ),
    )
    carbon_price_usd_per_t: NonNegative = Field(
        0.0, description="Carbon price added to cost per tonne CO2e (USD/t)"
    )
    electricity_price_scale: Positive = Field(
        1.0, description="Multiplier on every country's electricity price"
    )
    chip_price_scale: Positive = Field(1.0, description="Multiplier on every accelerator's price")
    accelerator_failure_rate_per_year: PartShare = Field(
        0.09,
        description=(
            "Share of installed accelerators that fail each year and, after a supply cut, "
            "cannot be replaced by their vendor (no new chips, no support): installed capacity "
            "on a cut chip keeps (1 - rate)^L of its modules after L years. Default 0.09: Meta, "
            "'The Llama 3 Herd of Models' (arXiv 2407.21783, July 2024), Table 5: in a 54-day "
            "snapshot on up to 16,384 H100 GPUs, 148 faulty-GPU and 72 HBM3-memory "
            "interruptions = 220 / 16,384 x 365/54 = 9.1% a year; range 6% (faulty GPUs only) "
            "to 11% (also SRAM and GPU system processor faults). Assumption: each such "
            "interruption is a chip lost once vendor repair and replacement stop"
        ),
    )
    spares_share: Share = Field(
        0.0,
        description=(
            "Stockpiling lever: spare accelerators bought with every owned module, as a share "
            "of its accelerators, at the hardware price (paid with the module). After a supply "
            "cut they replace failed chips: an owned module keeps min(1, (1 - rate)^L + spares) "
            "of its compute after L years. Rented capacity and existing systems have none"
        ),
    )


class ExistingSystem(_Strict):
    """A system already in service: counted and paid for (running costs only) in its years of
    service, never bought; the plan may retire it early (it then stops counting and costing)."""

    name: str = Field("", description="Label shown in the plan (e.g. Isambard-AI)")
    country: str = Field(..., min_length=1, description="Where it stands (ISO3)")
    provider: str = Field(
        "public",
        min_length=1,
        description="Operator: a provider code of providers.csv, or 'public' for the national one",
    )
    chip: str = Field(..., min_length=1, description="Accelerator code of chips.csv")
    accelerators: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        ..., description="Number of accelerators"
    )
    since: Annotated[int, Field(ge=2000, le=2100)] = Field(..., description="First year in service")
    until: Annotated[int, Field(ge=2000, le=2200)] | None = Field(
        None, description="Last year in service (absent = beyond the horizon)"
    )
    source: str = Field("", description="Where the figures come from (publisher and URL)")
    operator: str = Field(
        "",
        description=(
            "Under a bloc home: the institution owning it when not its host state's public "
            "operator (e.g. EuroHPC JU), a provider of its own in the share caps and minimum "
            "counts; blank = the host state's operator (or the provider named)"
        ),
    )
    retirable: bool = Field(
        True,
        description=(
            "The plan may retire it before 'until' (it then stops counting and stops costing); "
            "false = it serves every year from 'since' to 'until'"
        ),
    )

    @property
    def label(self) -> str:
        """The system's name in the plan (the allocation's ``existing`` column): its ``name``,
        or what it is and where. One definition, so every reader of a plan finds it."""
        return self.name or f"{self.chip} x {self.accelerators} in {self.country}"

    @model_validator(mode="after")
    def _order(self) -> ExistingSystem:
        if self.until is not None and self.until < self.since:
            raise ValueError(f"until {self.until} is before since {self.since}")
        return self


class CommittedSystem(ExistingSystem):
    """A system contracted but not yet in service: it counts from its start year ('since') at
    its known capital cost, priced as an owned module bought when it enters service (plus
    maintenance, energy and emissions); contracted, so never retired by the plan."""

    capital_musd: NonNegative = Field(
        ..., description="Known capital cost of the contract (million USD, converted at source)"
    )
    retirable: bool = Field(False, description="Always false: a contract is not undone")

    @model_validator(mode="after")
    def _not_retirable(self) -> CommittedSystem:
        if self.retirable:
            raise ValueError("a committed system cannot be retired (retirable must be false)")
        return self


class ProjectShare(_Strict):
    """How the home takes part in one project of projects.csv (``projects``)."""

    home_share: Share | None = Field(
        None,
        description=(
            "Share of the project's accelerators the home may use once it joins; absent = the "
            "project's public_share (access in proportion to the public money, as the EuroHPC "
            "JU shares out access time to the systems it co-finances)"
        ),
    )
    cost_share: Share | None = Field(
        None,
        description=(
            "Share of the project's total cost the home pays when it joins; absent = the "
            "project's public_share (the home is the public side: the EU and its member states)"
        ),
    )
    joined: bool = Field(
        False,
        description=(
            "true: the home is already in (a contract signed); it serves and pays like a "
            "committed system. false: joining is the plan's decision"
        ),
    )


class Solver(_Strict):
    """Solver options."""

    time_limit: Positive = Field(60.0, description="Wall-clock limit per solve (s)")
    mip_gap: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        1e-4, description="Relative MIP gap at which HiGHS stops"
    )
    tie_break: Literal["lexicographic", "none"] = Field(
        "lexicographic",
        description=(
            "lexicographic: after maximising sovereignty, minimise cost with sovereignty held at "
            "its optimum, so no money is spent that buys no sovereignty"
        ),
    )
    lp_start: bool = Field(
        True,
        description=(
            "Start the MIP from the LP relaxation with modules rounded up (often a good first "
            "plan, found in a fraction of the time HiGHS needs on its own)"
        ),
    )
    tie_break_gap: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        1e-3,
        description=(
            "Relative MIP gap of the cost tie-break stage: module granularity makes proving the "
            "last 0.1% of cost slow and buys nothing in sovereignty"
        ),
    )
    tie_break_time_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5,
        description="Share of the time limit the cost tie-break may use",
    )
    threads: Annotated[int, Field(ge=1, le=256)] | None = Field(None, description="HiGHS threads")
    random_seed: Annotated[int, Field(ge=0, le=2_147_483_647)] = Field(
        0,
        description=(
            "HiGHS random seed. The optimum does not depend on it (up to ties and the gap), "
            "but the branch-and-bound path and so the solve time do: benchmarks vary it to "
            "report times that are not one lucky path"
        ),
    )


class Constraints(_Strict):
    """Switches for each constraint family (all on by default where their data exists)."""

    budget: bool = True
    energy_cost: bool = True
    grid_power: bool = True
    diversification: bool = True
    territorial: bool = True
    resilience: bool = True
    supply_caps: bool = True
    export_controls: bool = True
    buildout: bool = True
    siting: bool = True
    fab_dependency: bool = Field(
        True,
        description=(
            "A chip depends on the jurisdiction of the foundry that makes it (chips.csv "
            "fab_jurisdiction) in N-1, the foreign-jurisdiction cap and stress tests, as on "
            "its designer's; false = the report's three dependency layers only"
        ),
    )


class Scenario(_Strict):
    """A planning question: home, target, money, limits and strategy."""

    #: where the scenario came from (its file), for messages raised after loading
    _source: str | None = PrivateAttr(default=None)

    name: str = Field(..., min_length=1, description="Human-readable name")
    description: str = Field("", description="What question the scenario answers")
    data: str | None = Field(
        None,
        description=(
            "Folder with the data tables, as text; relative paths resolve against the scenario "
            "file's folder; absent = the bundled data/ folder. Only a YAML string is accepted "
            "(bytes from `!!binary`, numbers, lists or mappings are refused, never turned into "
            "a path)"
        ),
    )

    @field_validator("data", mode="before")
    @classmethod
    def _data_is_text(cls, value: Any) -> Any:
        """A path only from text (or a ``pathlib`` path given from Python): pydantic's lax
        mode would turn YAML ``!!binary`` bytes into a folder name, round any check that
        looks at the raw mapping's strings."""
        if isinstance(value, PurePath):
            value = str(value)
        if isinstance(value, str) and "\0" in value:
            raise ValueError("a folder name cannot contain a NUL character")
        if value is None or isinstance(value, str):
            return value
        raise ValueError(f"expected the name of a data folder as text, got {_yaml_type(value)}")

    home: list[str] = Field(
        ...,
        min_length=1,
        max_length=MAX_CODES,
        description="Home countries (ISO3) and/or bloc names (e.g. EU27)",
    )
    relationship_profile: str | None = Field(
        None,
        description=(
            "Row of relationships.csv to score jurisdictions with; default: the bloc name or the "
            "single home country"
        ),
    )
    scores: dict[str, Share] = Field(
        default_factory=dict,
        description="Overrides of the trust score of jurisdictions (code -> 0-1)",
    )
    exclude: Exclude = Field(
        default_factory=Exclude,
        description="Suppliers removed outright (countries, providers, chips, designers, jurisdictions)",
    )
    require: Require = Field(
        default_factory=Require, description="Conditions providers must meet (certifications)"
    )
    countries: list[str] | None = Field(
        None,
        max_length=MAX_CODES,
        description="Restrict candidate locations to these ISO3 codes (default: all)",
    )
    providers: list[str] | None = Field(
        None, max_length=MAX_CODES, description="Restrict providers to these codes (default: all)"
    )
    chips: list[str] | None = Field(
        None, max_length=MAX_CODES, description="Restrict chips to these codes (default: all)"
    )
    periods: list[Annotated[int, Field(ge=2000, le=2100)]] = Field(
        ..., min_length=1, description="Planning periods (years), increasing"
    )
    horizon_end: Annotated[int, Field(ge=2000, le=2200)] | None = Field(
        None,
        description=(
            "Last year whose costs the plan counts (the last period stands for the years from "
            f"it to horizon_end). Default: the last period + {DEFAULT_HORIZON_TAIL_YEARS} years, "
            "about one hardware life of service for the final fleet"
        ),
    )
    target: dict[int, TargetValue] = Field(
        ...,
        description=(
            f"Compute to deliver per period (EFLOP/s dense BF16): 0, or {MIN_TARGET:g} to "
            f"{MAX_TARGET:g}"
        ),
    )
    budget: NonNegative | None = Field(
        None,
        description=(
            "Total cost from the first period to the horizon end, discounted, on the "
            "economics.cost_basis (million USD); absent = no budget"
        ),
    )
    energy_cost_cap: NonNegative | None = Field(
        None, description="Electricity cost over the horizon (million USD)"
    )
    max_avg_electricity_price_usd_per_mwh: NonNegative | None = Field(
        None, description="Cap on the energy-weighted average electricity price (USD/MWh)"
    )
    emissions_cap_kt: NonNegative | None = Field(
        None, description="Cap on emissions over the horizon (kt CO2e)"
    )
    existing: list[ExistingSystem] = Field(
        default_factory=list,
        description=(
            "Systems already in service: they count towards the target in the years they "
            "serve and pay running costs (energy, maintenance) for those years only, but no "
            "capital; they keep their own layer scores and are never bought again. The plan "
            "may retire one early (it then stops counting and costing) unless retirable is "
            "false. exclude/require/align do not retire them: they govern new purchases and "
            "contracts, and the plan's notes name the systems kept that they would exclude"
        ),
    )
    committed: list[CommittedSystem] = Field(
        default_factory=list,
        description=(
            "Systems contracted but not yet in service: they count towards the target from "
            "their start year ('since') and cost their known capital ('capital_musd') plus "
            "running costs; they are never bought by the plan nor retired"
        ),
    )
    projects: dict[str, ProjectShare] = Field(
        default_factory=dict,
        max_length=MAX_CODES,
        description=(
            "Projects of projects.csv the plan may co-finance (code -> home_share, cost_share, "
            "joined): a yes/no decision per project; joining pays cost_share x the project's "
            "total cost when it enters service (discounted like any capital; the operator pays "
            "its running costs and power) and counts home_share of its accelerators from its "
            "earliest service year, with the project's site, provider and chip in every layer, "
            "cap and N-1. Absent = no project"
        ),
    )
    limits: Limits = Field(default_factory=Limits)
    strategy: str = Field(
        "hedge",
        description=(
            "hedge: enforce the diversification limits; hedge_blocs: hedge, and spread foreign "
            "dependence over at least two rival jurisdictions, each carrying one module's "
            "worth of the final period's compute through options whose provider and chip lean "
            "on it alone (each below limits.max_share_foreign_jurisdiction); none: ignore "
            "them (baseline); "
            "align: all foreign dependence within one ally chosen by the model; "
            "align:<JURISDICTION>: within that ally"
        ),
    )
    export_regime: Literal["current", "diffusion_rule", "us_guidance_2025", "none"] = Field(
        "current",
        description=(
            "Chip export control (default current): current = chips blocked to tier-3 "
            "destinations only; diffusion_rule = also the rescinded 2025 rule's tier-2 cap; "
            "us_guidance_2025 = current, and chips whose chips.csv `restricted_under` names it "
            "are excluded everywhere (the US BIS guidance of 2025-05-13: using Huawei Ascend "
            "910B/C/D risks US penalties); none = no control"
        ),
    )
    tier2_cap_accelerators: NonNegative = Field(
        50_000.0,
        description="diffusion_rule only: US-controlled accelerators per tier-2 country",
    )
    weights: Weights = Field(default_factory=Weights)
    buildout: BuildOut = Field(default_factory=BuildOut)
    economics: Economics = Field(default_factory=Economics)
    constraints: Constraints = Field(default_factory=Constraints)
    solver: Solver = Field(default_factory=Solver)
    uncertainty: Uncertainty | None = Field(
        None,
        description=(
            "Futures the plan must hold across (`sovplan robust`; ranges on `solve`): listed "
            "with probabilities or sampled from ranges; none = one future, the scenario itself"
        ),
    )

    @field_validator("home", "countries", "providers", "chips")
    @classmethod
    def _unique_codes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        seen: set[str] = set()
        for code in value:
            if not code or not code.strip():
                raise ValueError("empty code")
            if code in seen:
                raise ValueError(f"'{code}' is listed twice")
            seen.add(code)
        return value

    @field_validator("strategy")
    @classmethod
    def _strategy_form(cls, value: str) -> str:
        if value in {"hedge", "hedge_blocs", "none", "align"}:
            return value
        if value.startswith("align:") and len(value) > len("align:"):
            return value
        raise ValueError(
            "must be 'hedge', 'hedge_blocs', 'none', 'align' or 'align:<JURISDICTION>'"
        )

    @field_validator("target", mode="before")
    @classmethod
    def _target_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        seen: dict[Any, Any] = {}
        for key in value:
            try:
                year = int(key) if not isinstance(key, bool) else key
            except (TypeError, ValueError):
                continue  # the field validation reports it
            if year in seen:
                raise ValueError(f"period {year} is given twice ({seen[year]!r} and {key!r})")
            seen[year] = key
        return value

    @field_validator("target")
    @classmethod
    def _target_not_tiny(cls, value: dict[int, float]) -> dict[int, float]:
        for year, v in value.items():
            if 0 < v < MIN_TARGET:
                raise ValueError(
                    f"{year}: {v:g} EFLOP/s is below {MIN_TARGET:g} (1 TFLOP/s); use 0 for none"
                )
        return value

    @field_validator("periods")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("periods must be strictly increasing")
        return value

    @model_validator(mode="after")
    def _target_matches_periods(self) -> Scenario:
        missing = [p for p in self.periods if p not in self.target]
        extra = [p for p in self.target if p not in self.periods]
        if missing:
            raise ValueError(f"target: no value for period(s) {missing}")
        if extra:
            raise ValueError(f"target: period(s) {extra} are not in `periods` {self.periods}")
        if self.horizon_end is not None and self.horizon_end < self.periods[-1]:
            raise ValueError(
                f"horizon_end {self.horizon_end} is before the last period {self.periods[-1]}"
            )
        if all(math.isclose(v, 0.0) for v in self.target.values()):
            raise ValueError("target: every period's target is 0; nothing to plan")
        if self.uncertainty is not None:
            check_here_and_now(self.uncertainty, self.periods)
        return self

    # --- derived quantities -------------------------------------------------------------
    @property
    def horizon(self) -> int:
        """The last year costed: horizon_end, or the last period + DEFAULT_HORIZON_TAIL_YEARS."""
        if self.horizon_end is not None:
            return self.horizon_end
        return self.periods[-1] + DEFAULT_HORIZON_TAIL_YEARS

    def period_years(self) -> dict[int, float]:
        """Years each period stands for: up to the next period; the last up to the horizon."""
        end = self.horizon + 1
        bounds = [*self.periods[1:], end]
        return {p: float(b - p) for p, b in zip(self.periods, bounds, strict=True)}

    @property
    def aligned_with(self) -> str | None:
        """The ally fixed by ``align:<J>``, else None."""
        return self.strategy.split(":", 1)[1] if self.strategy.startswith("align:") else None


# --- loading --------------------------------------------------------------------------------


def _parse_value(text: str) -> Any:
    """Parse an override value the way YAML would (numbers, booleans, lists, null)."""
    try:
        return load_yaml_text(text, f"--set value {text[:40]!r}")
    except yaml.YAMLError:
        return text


#: values a copy may share with its original: immutable, nothing inside to alter
_ATOMS = (str, int, float, bool, type(None))


def copy_mapping(raw: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` of a scenario mapping, several times faster on its plain values.

    Why: a plan's ranges copy the scenario once per future (64 for the default sample), and
    deepcopy's generic dispatch was most of that (issue 27). Mappings and lists are copied
    here, text, numbers, booleans and None shared (immutable); anything else goes to deepcopy.
    A value reached twice (a YAML alias) is copied once and shared in the copy, as deepcopy
    does, so an override through one alias shows through the other alike.
    """
    memo = {} if memo is None else memo
    if isinstance(raw, _ATOMS):
        return raw
    found = memo.get(id(raw))
    if found is not None:
        return found
    if type(raw) is dict:
        out: Any = {}
        memo[id(raw)] = out
        for k, v in raw.items():
            out[k] = v if isinstance(v, _ATOMS) else copy_mapping(v, memo)
        return out
    if type(raw) is list:
        out = []
        memo[id(raw)] = out
        out.extend(v if isinstance(v, _ATOMS) else copy_mapping(v, memo) for v in raw)
        return out
    return copy.deepcopy(raw, memo)  # shares the memo: aliases across both stay shared


def apply_overrides(raw: dict[str, Any], overrides: list[str] | dict[str, Any]) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` overrides with dotted keys to a raw scenario mapping.

    Returns a new mapping; the input is left untouched so a user's file is never altered.
    """
    out = copy_mapping(raw)
    items: list[tuple[str, Any]]
    if isinstance(overrides, dict):
        items = list(overrides.items())
    else:
        items = []
        for text in overrides:
            if "=" not in text:
                raise InputError(f"--set {text!r}: expected KEY=VALUE (e.g. budget=5000)")
            key, value = text.split("=", 1)
            items.append((key.strip(), _parse_value(value)))
    for key, value in items:
        if not key:
            raise InputError("--set: empty key")
        node: Any = out
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node, dict):
                raise InputError(f"--set {key}: '{part}' is not a mapping in the scenario")
            node = node.setdefault(_key(part, node), {})
        if not isinstance(node, dict):
            raise InputError(f"--set {key}: the parent of '{parts[-1]}' is not a mapping")
        node[_key(parts[-1], node)] = value
    return out


def _key(part: str, node: dict[str, Any]) -> Any:
    """YAML reads ``target: {2030: ..}`` keys as ints; let ``target.2030=`` find them."""
    if part not in node and part.isdigit() and int(part) in node:
        return int(part)
    if part.isdigit() and not node:
        return int(part)
    return part


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping (YAML keeps the last)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                except TypeError:
                    continue  # unhashable key: SafeLoader reports it
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"duplicate key {key!r} (YAML would silently keep only the last one)",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


#: Most values (scalars, lists, mappings) a YAML document may expand to, each alias counted
#: once per use. A scenario holds a few hundred; nested aliases multiply (ten aliases of ten
#: aliases of ... : 10^depth), so a 5 kB file could otherwise expand to billions of values and
#: hold every later step (validation, copies) for minutes.
MAX_YAML_VALUES = 100_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse a composed YAML graph that refers to itself or expands beyond MAX_YAML_VALUES.

    Runs on the node graph before anything is constructed: an alias is a second reference
    to its anchor's node, so the expanded size is counted once per node (memoised, linear in
    the file) without expanding anything. Iterative, so deep nesting cannot recurse.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    visited = 0
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            total = 1 + sum(size[id(c)] for c in _children(node))
            if total > MAX_YAML_VALUES:
                raise InputError(
                    f"{source}: line {node.start_mark.line + 1}: the YAML expands to more than "
                    f"{MAX_YAML_VALUES:,} values (each alias *name repeats what its anchor "
                    "&name holds, and nested aliases multiply); a scenario needs a few hundred"
                )
            size[key] = total
            continue
        if key in size:
            continue
        visited += 1
        if visited > MAX_YAML_VALUES:  # distinct values alone exceed the bound: stop early
            raise InputError(
                f"{source}: line {node.start_mark.line + 1}: the YAML holds more than "
                f"{MAX_YAML_VALUES:,} values; a scenario needs a few hundred"
            )
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise InputError(
                    f"{source}: line {child.start_mark.line + 1}: an alias refers to the value "
                    "that contains it (e.g. `name: &a [*a]`), which never ends; write the "
                    "value out"
                )
            if id(child) not in size:
                stack.append((child, False))


def load_yaml_text(text: str, source: str) -> Any:
    """YAML text -> Python values with the scenario loader's rules: safe types only, a key
    given twice refused, and the alias expansion bounded before anything is built.

    Raises InputError for a self-referencing or over-expanding document, ``yaml.YAMLError``
    for a syntax error (the caller says where)."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a scenario file into a mapping, with errors that name the file."""
    text = read_input_text(path, "scenario YAML file", MAX_SCENARIO_BYTES)
    return parse_scenario_text(text, str(path))


def parse_scenario_text(text: str, source: str) -> dict[str, Any]:
    """Scenario YAML text -> mapping, with the file loader's rules (duplicate keys refused,
    bounded size, a mapping at the top); errors name ``source`` and the line."""
    path = source
    if len(text) > MAX_SCENARIO_BYTES:
        raise InputError(
            f"{source}: {len(text):,} characters is too large for a scenario "
            f"(at most {MAX_SCENARIO_BYTES:,})"
        )
    try:
        raw = load_yaml_text(text, path)
    except RecursionError as exc:
        raise InputError(f"{path}: not valid YAML: nested too deeply") from exc
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}: not valid YAML{where}: {problem}") from exc
    if raw is None:
        raise InputError(
            f"{path}: the file is empty; a scenario needs at least name, home, periods and target"
        )
    if not isinstance(raw, dict):
        raise InputError(
            f"{path}: expected a mapping of scenario keys (name, home, ...), got a {type(raw).__name__}"
        )
    return raw


def format_validation_error(exc: ValidationError, source: str) -> str:
    """One readable paragraph per problem: file, dotted field and reason."""
    lines = []
    errors = exc.errors()
    for err in errors[:MAX_MESSAGE_LINES]:
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see `sovplan schema` for the valid keys)"
        line = f"{source}: field '{loc}': {msg}"
        lines.append(line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "...")
    if len(errors) > MAX_MESSAGE_LINES:
        lines.append(f"{source}: ... and {len(errors) - MAX_MESSAGE_LINES} more problems")
    return "\n".join(lines)


def scenario_from_mapping(
    raw: dict[str, Any], source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """Validate a mapping into a Scenario; errors become InputError naming source and field."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise InputError(format_validation_error(exc, source)) from exc
    scenario._source = source
    if scenario.data is not None and base_dir is not None:
        data_dir = Path(scenario.data)
        if not data_dir.is_absolute():
            scenario.data = str((base_dir / data_dir).resolve())
    return scenario


def load_scenario(
    path: str | Path, overrides: list[str] | dict[str, Any] | None = None
) -> Scenario:
    """Load and validate a scenario YAML file, applying ``--set`` style overrides."""
    path = Path(path)
    raw = read_yaml(path)
    if overrides:
        raw = apply_overrides(raw, overrides)
    return scenario_from_mapping(raw, source=str(path), base_dir=path.resolve().parent)


def scenario_to_yaml(scenario: Scenario) -> str:
    """Serialise a scenario back to YAML (what the UI offers for download)."""
    data = scenario.model_dump(mode="json", exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors."""
    return Scenario.model_json_schema()


def _bounds_of(meta: Any, lo: float | None, hi: float | None) -> tuple[float | None, float | None]:
    ge, le = getattr(meta, "ge", None), getattr(meta, "le", None)
    if ge is not None:
        lo = ge if lo is None else max(lo, ge)
    if le is not None:
        hi = le if hi is None else min(hi, le)
    return lo, hi


def field_bounds(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """Inclusive (min, max) a field's schema allows, None where it sets no inclusive bound.

    Read from the pydantic field (``Field(ge=..., le=...)``, also inside ``Annotated`` types
    nested in Optional/dict), so input widgets can offer exactly the schema's range and a
    valid scenario file always fits its widgets. Exclusive bounds (``gt``/``lt``) are left to
    validation, which reports them as a readable message.
    """
    info = model.model_fields[name]
    lo: float | None = None
    hi: float | None = None
    for meta in info.metadata:
        lo, hi = _bounds_of(meta, lo, hi)
    stack: list[Any] = [info.annotation]
    while stack:
        tp = stack.pop()
        for arg in typing.get_args(tp):
            if isinstance(arg, FieldInfo):
                for meta in arg.metadata:
                    lo, hi = _bounds_of(meta, lo, hi)
            else:
                lo, hi = _bounds_of(arg, lo, hi)
                stack.append(arg)
    return lo, hi
