"""build(inputs) -> ConcreteModel: sets, variables, then the families the inputs switch on.

The active objective is the sovereignty index (maximised); every other objective is a named
expression (``models.objectives``) that callers can activate with ``set_objective``.
"""

from __future__ import annotations

import math

import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py

from models import constraints as cf
from models.inputs import ModelInputs
from models.objectives import add_objectives, set_objective


def build(inp: ModelInputs) -> pyo.ConcreteModel:
    """Build the compute-sovereignty MIP from model inputs (no I/O, no solving)."""
    m = pyo.ConcreteModel(name="compute_sovereignty")
    populate(m, inp)
    set_objective(m, "sovereignty")
    return m


def populate(m: pyo.Block, inp: ModelInputs) -> None:
    """Declare the sets, variables, constraint families and objective expressions of the
    MIP on ``m`` (a model or a block of one), without making any objective active.

    Why apart from ``build``: the extensive form of the robust study
    (``models.stochastic``) holds one such block per future in a single model.
    """
    opt = inp.options

    # Sets ---------------------------------------------------------------------------------
    m.T = pyo.Set(initialize=inp.periods, ordered=True, doc="planning periods")
    m.A = pyo.Set(initialize=list(opt.index), ordered=True, doc="options (country, provider, chip)")
    m.K = pyo.Set(initialize=sorted(inp.by_country), ordered=True, doc="countries with options")
    m.P = pyo.Set(initialize=sorted(inp.by_provider), ordered=True, doc="providers with options")
    m.C = pyo.Set(initialize=sorted(inp.by_chip), ordered=True, doc="chips with options")
    m.D = pyo.Set(initialize=sorted(inp.by_designer), ordered=True, doc="chip designers")
    m.PC = pyo.Set(
        initialize=sorted(inp.new_by_provider_chip),
        dimen=2,
        ordered=True,
        doc="(provider, chip) pairs with new options",
    )
    m.J_foreign = pyo.Set(
        initialize=list(inp.foreign_jurisdictions), ordered=True, doc="foreign jurisdictions"
    )

    # Variables ----------------------------------------------------------------------------
    ub = opt["max_modules"].to_numpy()
    fixed = inp.fixed_modules

    def n_bounds(m, a, t):
        # fixed: existing systems outside service (0) or not retirable (1); chips not yet
        # available and owned capacity inside its lead time (0). A retirable system: 0..1
        if (a, t) in fixed:
            return (fixed[a, t], fixed[a, t])
        return (0, float(ub[a]))

    m.n = pyo.Var(
        m.A,
        m.T,
        domain=pyo.NonNegativeIntegers,
        bounds=n_bounds,
        doc="modules of option a in service in period t",
    )
    m.n_pc = pyo.Var(
        m.PC,
        m.T,
        domain=pyo.NonNegativeIntegers,
        doc="modules of chip c at provider p in service in period t (new options, all countries)",
    )
    m.q = pyo.Var(m.A, m.T, domain=pyo.NonNegativeReals, doc="compute of a counted towards D_t")
    m.X = pyo.Var(m.T, domain=pyo.NonNegativeReals, doc="total capacity (EFLOP/s)")
    m.dep = pyo.Var(m.J_foreign, m.T, domain=pyo.NonNegativeReals, doc="capacity depending on j")
    m.open = pyo.Var(m.K, domain=pyo.Binary, doc="a site in country k is used")
    m.use_provider = pyo.Var(m.P, domain=pyo.Binary, doc="provider p contracted")
    m.use_chip = pyo.Var(m.C, domain=pyo.Binary, doc="chip platform c adopted")
    if inp.min_providers:
        m.delivers_provider = pyo.Var(
            m.P, domain=pyo.Binary, doc="provider p delivers a module's worth of D_T"
        )
    if inp.min_chip_designers:
        m.delivers_designer = pyo.Var(
            m.D, domain=pyo.Binary, doc="designer d delivers a module's worth of D_T"
        )
    if inp.shrinkable:
        m.S = pyo.Set(
            initialize=inp.shrinkable,
            ordered=True,
            doc="options whose modules may fall between periods (rented; all if not non-decreasing)",
        )
        m.build = pyo.Var(m.S, m.T, domain=pyo.NonNegativeReals, doc="modules added in period t")

    # Constraint families ------------------------------------------------------------------
    cf.add_capacity_accounting(m, inp)
    cf.add_site_link(m, inp)
    cf.add_supplier_links(m, inp)
    cf.add_cut_survivors(m, inp)
    add_objectives(m, inp)
    if inp.budget is not None:
        cf.add_budget(m, inp)
    cf.add_energy_limits(m, inp)
    cf.add_diversification(m, inp)
    if inp.min_home_share is not None:
        cf.add_territorial_floor(m, inp)
    if inp.resilience is not None:
        cf.add_resilience(m, inp)
    if inp.align_allies is not None:
        cf.add_alignment(m, inp)
    if inp.max_share_country is not None or inp.min_countries:
        cf.add_siting_spread(m, inp)
    if inp.share_basis == "installed":
        cf.add_installed_shares(m, inp)
    if inp.min_blocs:
        cf.add_bloc_hedge(m, inp)
    if inp.supply_caps and inp.chips["supply_cap_modules_per_year"].notna().any():
        cf.add_supply_caps(m, inp)
    if inp.tier2_cap_modules is not None and not math.isinf(inp.tier2_cap_modules):
        cf.add_export_caps(m, inp)
    cf.add_buildout(m, inp)
    if inp.retirable:
        cf.add_retirement(m, inp)
    if inp.projects:
        cf.add_projects(m, inp)
    if inp.no_purchase:
        cf.add_end_of_sale(m, inp)
