"""ModelInputs: the indexed sets and parameters the formulation needs, as plain data.

``models/`` knows nothing of YAML, scenarios, files or the UI: ``planner.core.inputs`` turns a
validated scenario and the data tables into one of these, and ``models.build`` turns it into
a Pyomo model. Every coefficient is already in model units:

- compute in EFLOP/s (dense BF16), power in MW, energy in GWh, emissions in kt CO2e,
- money in million USD (MUSD).

An *option* ``a`` is one feasible (country k, provider p, chip c) combination; the decision
``n[a, t]`` is the number of modules of option ``a`` in service in period ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd


def capital_charge(
    cash: np.ndarray,
    annual_capital: np.ndarray,
    upkeep: np.ndarray,
    discount: np.ndarray,
    years: np.ndarray,
) -> np.ndarray:
    """Present cost of one module added in period t, for every (option, period).

    W[a,t] = δ_t·cash[a,t] + Σ_{s ≥ t} δ_s·y_s·(annual_capital[a,t] + upkeep[a,t])

    A module bought in t serves every period from t to the horizon end (capacity never
    decreases), so its annual capital cost and upkeep, priced at t, are paid in each of
    those periods: a module-year of service costs the same whenever the module was bought.
    """
    # tail[t] = Σ_{s ≥ t} δ_s·y_s (reverse cumulative sum)
    tail = np.cumsum((discount * years)[::-1])[::-1]
    return discount[None, :] * cash + tail[None, :] * (annual_capital + upkeep)


#: Columns of ``ModelInputs.options`` (one row per option, index = option id 0..n-1).
OPTION_COLUMNS: dict[str, str] = {
    "country": "location k (ISO3)",
    "provider": "provider row of the data (providers.csv code)",
    "operator": "provider p of the formulation: the institution delivering the option (the "
    "provider, or under a bloc home each member state's own public operator)",
    "chip": "accelerator c",
    "designer": "designer of c",
    "compute": "EFLOP/s per module",
    "power_mw": "facility power per module (IT power x PUE), MW",
    "accelerators": "accelerators per module (module_size; an existing system is one module)",
    "existing": "True for a system already in service or committed (one module, no purchase)",
    "owned": "True for a new option the plan buys (stays in service); False: rented (may end)",
    "capex": "MUSD per owned module at table prices (informational; costs use the arrays)",
    "opex": "MUSD per module-year excluding energy at table prices (informational)",
    "energy_gwh": "GWh per module-year",
    "energy_cost": "MUSD per module-year",
    "emissions_kt": "kt CO2e per module-year",
    "carbon_cost": "MUSD per module-year at the scenario's carbon price",
    "score": "weighted sovereignty score of the option in [0,1]",
    "score_territorial": "territorial layer score",
    "score_provider": "provider layer score",
    "score_chip": "chip layer score",
    "score_fab": "foundry layer score (weakest foundry of the chip)",
    "home": "True if the country is in the home set",
    "us_export_capped": "True if the tier-2 export cap applies to this option",
    "max_modules": "upper bound on modules (from grid power or the target)",
}


@dataclass
class ModelInputs:
    """Everything ``models.build`` needs, already in model units."""

    periods: list[int]
    years: dict[int, float]
    discount: dict[int, float]
    target: dict[int, float]
    options: pd.DataFrame
    #: (option, jurisdiction) pairs: option depends on that foreign jurisdiction in some layer
    dependencies: pd.DataFrame
    foreign_jurisdictions: list[str]
    countries: pd.DataFrame  # index iso3: grid_mw, site_fixed_cost
    providers: pd.DataFrame  # index code: onboarding_cost
    chips: pd.DataFrame  # index code: designer, platform_cost, supply_cap_modules_per_year
    budget: float | None = None
    energy_cost_cap: float | None = None
    max_avg_electricity_price: float | None = None  # USD/MWh
    emissions_cap: float | None = None  # kt
    max_share_provider: float | None = None
    max_share_chip_designer: float | None = None
    max_share_foreign_jurisdiction: float | None = None
    min_home_share: float | None = None
    min_providers: int | None = None
    min_chip_designers: int | None = None
    resilience: float | None = None
    #: candidate allies when aligning (one is chosen); None = no aligning constraint
    align_allies: list[str] | None = None
    #: siting spread: largest share of counted compute in one country
    max_share_country: float | None = None
    #: siting spread: host countries delivering one module's worth in the final period
    min_countries: int | None = None
    #: hedging between blocs: at least this many foreign jurisdictions each carry compute
    #: through options that lean on them alone (``bloc_options``)
    min_blocs: int | None = None
    #: what the share caps (provider, designer, foreign jurisdiction, country) are shares of:
    #: "counted" (Σ q ≤ cap·D_t, ``add_diversification``, ``add_siting_spread``) or
    #: "installed" (Σ f·n ≤ cap·X_t, ``add_installed_shares``)
    share_basis: str = "counted"
    #: counted supplier/site links take the share cap σ_g as M (add_supplier_links); off for
    #: the infeasibility diagnosis, which relaxes the share rows in place
    link_share_caps: bool = True
    bloc_options: dict[str, list[int]] = field(default_factory=dict)
    #: weight of the worst-case N-1 kept share r in the objective (index + w·r)
    resilience_weight: float = 0.0
    grid_power: bool = True
    supply_caps: bool = True
    non_decreasing: bool = True
    max_new_power_mw_per_year: float | None = None
    #: accelerators per module, to express export caps in modules
    module_size: int = 1000
    #: tier-2 export cap in modules per country (applies to options flagged us_export_capped)
    tier2_cap_modules: float | None = None
    #: layer weights (territorial, provider, chip, fab), summing to 1
    weights: tuple[float, float, float, float] = (1 / 3, 1 / 3, 1 / 3, 0.0)
    notes: list[str] = field(default_factory=list)
    #: Cost parts per (option, period), MUSD, at that period's prices (rows = options, columns
    #: = periods in order). cash: capital paid when a module is bought (cost basis cash);
    #: annual_capital: its equivalent annual capital cost (basis annualised); upkeep: its
    #: maintenance per year; opex_by_period: cost per module-year in service excluding energy
    #: (rent, existing systems' upkeep). None = derived from the ``capex``/``opex`` columns.
    cash: np.ndarray | None = None
    annual_capital: np.ndarray | None = None
    upkeep: np.ndarray | None = None
    opex_by_period: np.ndarray | None = None
    #: (option, period) -> modules fixed in that period: existing systems outside their years
    #: in service (0) or that may not be retired (1); chips not yet available and owned
    #: capacity inside its lead time (0)
    fixed_modules: dict[tuple[int, int], float] = field(default_factory=dict)
    #: existing systems the plan may retire early (E_R ⊆ E): n ∈ {0, 1} while in service,
    #: never back once 0
    retirable: list[int] = field(default_factory=list)
    #: co-financed projects the plan may join (G ⊆ E): one module each (the home's share of
    #: the project), n[a,t] = join[a] ∈ {0, 1} in every period it serves (``add_projects``)
    projects: list[int] = field(default_factory=list)
    #: (option, period) pairs in which no module may be added: the chip is past its end of sale
    no_purchase: list[tuple[int, int]] = field(default_factory=list)
    #: years u[a,t] a module of option a in service in period t runs (rows = options, columns
    #: = periods): y_t, or fewer for a system whose service ends (or starts) within the period.
    #: Running cost, energy and emissions are paid for these years only. None = y_t.
    service_years: np.ndarray | None = None
    cost_basis: str = "cash"
    horizon_end: int | None = None
    #: κ[a,t] (rows = options, columns = periods): share of a module of option a installed
    #: before a supply cut at the start of period t still running at the end of t, when its
    #: chip's designer or foundry is cut (failures without vendor support, less the spares
    #: bought with it); None = 1 everywhere (no failures)
    cut_survival: np.ndarray | None = None

    def __post_init__(self) -> None:
        shape = (len(self.options), len(self.periods))
        if self.cash is None:
            self.cash = np.repeat(self.options["capex"].to_numpy(float)[:, None], shape[1], axis=1)
        if self.annual_capital is None:
            self.annual_capital = np.zeros(shape)
        if self.upkeep is None:
            self.upkeep = np.zeros(shape)
        if self.opex_by_period is None:
            self.opex_by_period = np.repeat(
                self.options["opex"].to_numpy(float)[:, None], shape[1], axis=1
            )
        if self.service_years is None:
            yrs = np.array([self.years[t] for t in self.periods], dtype=float)
            self.service_years = np.repeat(yrs[None, :], shape[0], axis=0)

    @cached_property
    def capital(self) -> np.ndarray:
        """MUSD charged in total cost per module added in each period (``capital_charge``)."""
        disc = np.array([self.discount[t] for t in self.periods])
        yrs = np.array([self.years[t] for t in self.periods])
        return capital_charge(self.cash, self.annual_capital, self.upkeep, disc, yrs)

    @property
    def provider_column(self) -> str:
        """The options' column holding the formulation's provider p: ``operator`` when the
        inputs name operators (a bloc home's member states are distinct providers)."""
        return "operator" if "operator" in self.options.columns else "provider"

    @cached_property
    def existing(self) -> list[int]:
        """Options that are systems already in service."""
        if "existing" not in self.options.columns:
            return []
        return list(self.options.index[self.options["existing"].to_numpy(dtype=bool)])

    @cached_property
    def new_options(self) -> list[int]:
        """Options the plan may buy or rent (everything but existing systems)."""
        old = set(self.existing)
        return [a for a in self.options.index if a not in old]

    @cached_property
    def owned_new(self) -> list[int]:
        """New options the plan buys (``owned``): hardware bought stays in service, so their
        module count never falls. Without an ``owned`` column every new option is bought."""
        if "owned" not in self.options.columns:
            return list(self.new_options)
        owned = self.options["owned"].to_numpy(dtype=bool)
        return [a for a in self.new_options if owned[a]]

    @cached_property
    def shrinkable(self) -> list[int]:
        """S ⊆ A, the options whose module count may fall between periods, so their additions
        are a variable build[a,t] ≥ n[a,t] − n[a,t−1] (``add_buildout``): rented new options
        (rent is paid per year in service, so a rental ends when the plan stops using it),
        and every option when ``non_decreasing`` is off. Existing systems leave service by
        their own rules (``until``, ``add_retirement``); they are in S only in the second case,
        where a committed system's capital is charged on build like any module's."""
        if not self.non_decreasing:
            return list(self.options.index)
        owned = set(self.owned_new)
        return [a for a in self.new_options if a not in owned]

    def _new_groups(self, column: str | list[str]) -> dict:
        old = set(self.existing)
        return {key: [a for a in idx if a not in old] for key, idx in self._groups(column).items()}

    @cached_property
    def new_by_country(self) -> dict[str, list[int]]:
        """New options per country: what grid headroom, sites and ramps limit."""
        return self._new_groups("country")

    @cached_property
    def new_by_provider(self) -> dict[str, list[int]]:
        """New options per provider: what a contract (onboarding) is needed for."""
        return self._new_groups(self.provider_column)

    @cached_property
    def new_by_chip(self) -> dict[str, list[int]]:
        """New options per chip: what platform adoption and supply caps apply to."""
        return self._new_groups("chip")

    @cached_property
    def new_by_provider_chip(self) -> dict[tuple[str, str], list[int]]:
        """New options per (provider, chip): the modules one contract buys of one platform."""
        groups = self._new_groups([self.provider_column, "chip"])
        return {key: idx for key, idx in groups.items() if idx}

    # --- index groups, computed once per build ----------------------------------------
    def _groups(self, column: str | list[str]) -> dict:
        return {
            key: list(idx) for key, idx in self.options.groupby(column, sort=True).groups.items()
        }

    @cached_property
    def by_country(self) -> dict[str, list[int]]:
        return self._groups("country")

    @cached_property
    def by_provider(self) -> dict[str, list[int]]:
        return self._groups(self.provider_column)

    @cached_property
    def by_chip(self) -> dict[str, list[int]]:
        return self._groups("chip")

    @cached_property
    def by_designer(self) -> dict[str, list[int]]:
        return self._groups("designer")

    @cached_property
    def by_dependency(self) -> dict[str, list[int]]:
        """Options that depend (in any layer) on each foreign jurisdiction."""
        groups = {j: [] for j in self.foreign_jurisdictions}
        for j, idx in self.dependencies.groupby("jurisdiction", sort=True)["option"]:
            groups[j] = list(idx)
        return groups

    @cached_property
    def by_chip_dependency(self) -> dict[str, list[int]]:
        """Options that depend on each foreign jurisdiction through their chip only (its
        designer or a foundry), not their territory or provider: a cut of that jurisdiction
        stops new chips, while the installed ones keep running (``add_cut_survivors``)."""
        groups: dict[str, list[int]] = {j: [] for j in self.foreign_jurisdictions}
        opt = self.options
        for a, j in zip(
            self.dependencies["option"], self.dependencies["jurisdiction"], strict=True
        ):
            at_once = {opt.at[a, col] for col in ("j_country", "j_provider") if col in opt.columns}
            if j not in at_once:
                groups.setdefault(j, []).append(int(a))
        return groups

    @cached_property
    def existing_since(self) -> dict[int, float]:
        """First year in service of each existing (or committed) system: the cut rule reads
        it for every chip-dependent option and period, so it is read from the table once."""
        if "since" not in self.options.columns:
            return dict.fromkeys(self.existing, -1.0)
        since = self.options["since"].to_numpy(float)
        return {a: float(since[a]) for a in self.existing}

    def installed_before_cut(self, a: int, t: int) -> str:
        """How option a's modules in service before a cut at the start of t are read:
        'existing' (an existing system that entered service before t: its n[a,t]), 'previous'
        (a new option: its modules of the previous period) or 'none' (nothing installed)."""
        since = self.existing_since.get(a)
        if since is not None:
            return "existing" if since < t else "none"
        return "previous" if t != self.periods[0] else "none"

    @cached_property
    def single_dependency(self) -> dict[str, list[int]]:
        """Options whose foreign dependence is exactly one jurisdiction (used by aligning)."""
        counts = self.dependencies.groupby("option")["jurisdiction"].transform("size")
        single = self.dependencies[counts == 1]
        groups = {j: [] for j in self.foreign_jurisdictions}
        for j, idx in single.groupby("jurisdiction", sort=True)["option"]:
            groups[j] = list(idx)
        return groups

    @cached_property
    def home_options(self) -> list[int]:
        return list(self.options.index[self.options["home"].to_numpy(dtype=bool)])
