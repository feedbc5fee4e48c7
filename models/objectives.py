"""Objective expressions: sovereignty (and its layers), cost, energy cost, emissions, resilience.

Each is a named ``pyo.Expression`` on the model so other code (the planner's lexicographic
tie-break, the Pareto layer, tests) can make any of them the active objective or bound it
with an epsilon constraint without rebuilding the model.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py
from pyomo.core.expr.numeric_expr import LinearExpression

from models.inputs import ModelInputs

#: Objectives and their sense: what the planner exposes by name.
SENSES: dict[str, int] = {
    "sovereignty": pyo.maximize,
    "territorial": pyo.maximize,
    "provider": pyo.maximize,
    "chip": pyo.maximize,
    "total_cost": pyo.minimize,
    "energy_cost": pyo.minimize,
    "emissions": pyo.minimize,
    "resilience": pyo.maximize,
}


def _added(m: pyo.ConcreteModel, a: int, t_pos: int):
    """added[a,t]: modules of option a added in the period at position t_pos: build[a,t] for
    a ∈ S (its count may fall, ``add_buildout``), else n[a,t] − n[a,t−1] (never negative where
    it is charged or capped: owned new options are non-decreasing, and a committed system is
    fixed in service from its start; other existing systems have W = 0)."""
    t = m.T.at(t_pos + 1)
    if hasattr(m, "S") and a in m.S:
        return m.build[a, t]
    if t_pos == 0:
        return m.n[a, t]
    return m.n[a, t] - m.n[a, m.T.at(t_pos)]


def cost_coefficients(inp: ModelInputs) -> tuple[np.ndarray, np.ndarray]:
    """(W, R): the total cost's coefficients per (option, period), rows = options.

    W[a,t] = ``inp.capital`` (charged per module added in t) and
    R[a,t] = δ_t·u[a,t]·(opex[a,t] + energy_a + carbon_a) (charged per module in service in
    t), so that total_cost = Σ W·added + Σ R·n + fixed costs. ``add_objectives`` builds the
    model's expression from these arrays and ``planner.core.evaluate`` prices a fixed plan
    with them, so the two cannot drift apart.
    """
    opt = inp.options
    n_t = len(inp.periods)
    running = np.asarray(inp.opex_by_period, dtype=float) + np.repeat(
        (opt["energy_cost"] + opt["carbon_cost"]).to_numpy(float)[:, None], n_t, axis=1
    )
    disc = np.array([inp.discount[t] for t in inp.periods], dtype=float)[None, :]
    served = np.asarray(inp.service_years, dtype=float)
    return np.asarray(inp.capital, dtype=float), disc * served * running


def fixed_cost(inp: ModelInputs, countries, providers, chips) -> float:
    """Σ_k F_k + Σ_p O_p + Σ_c G_c over the sites, providers (operators) and chip platforms a
    plan opens: the fixed part of ``total_cost`` when exactly these binaries are 1."""
    return float(
        sum(float(inp.countries.at[k, "site_fixed_cost"]) for k in countries)
        + sum(float(inp.providers.at[p, "onboarding_cost"]) for p in providers)
        + sum(float(inp.chips.at[c, "platform_cost"]) for c in chips)
    )


def add_objectives(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Define the objective expressions.

    sovereignty_index = Σ_t Σ_a s_a·q[a,t] / Σ_t D_t,
                 s_a = ω_loc·s_loc + ω_prov·s_prov + ω_chip·s_chip + ω_fab·s_fab
        (q counts at most D_t of compute per period, so over-building earns nothing)
    sovereignty = sovereignty_index + ω_res·r_min   (the maximised objective; the index when ω_res = 0)
    layer L    = Σ_t Σ_a s^L_a·q[a,t] / Σ_t D_t                 for L in territorial, provider, chip
    total_cost = Σ_t Σ_a W[a,t]·added[a,t] + Σ_t δ_t·Σ_a u[a,t]·(opex[a,t] + energy_a + carbon_a)·n[a,t]
                 + Σ_k F_k·open[k] + Σ_p O_p·use_provider[p] + Σ_c G_c·use_chip[c]
        W[a,t] = δ_t·cash[a,t] + Σ_{s≥t} δ_s·y_s·(annual_capital[a,t] + upkeep[a,t])
        (``models.inputs.capital_charge``: cash basis pays the price when bought; the
        annualised basis pays CRF x price in every year of service up to the horizon end;
        existing systems have W = 0 and pay opex, energy and carbon only; a committed system
        is priced as an owned module bought when it enters service, at its known cost)
        u[a,t] = years a module in service in t runs (``service_years``): y_t, or fewer for
        a system retiring (or starting) within the period, so a system pays running cost,
        energy and emissions only for its years in service
    energy_cost = Σ_t δ_t·Σ_a u[a,t]·energy_a·n[a,t]
    emissions  = Σ_t Σ_a u[a,t]·e_a·n[a,t]                        (kt CO2e)
    resilience = r_min ≤ kept[j,t] / D_t  for all foreign j and t with D_t > 0
                 (kept[j,t]: what a cut of j at the start of t leaves, ``add_cut_survivors``)
    """
    opt = inp.options
    total_target = sum(inp.target.values())
    periods = list(m.T)
    n_t = len(periods)
    # variables in (option, period) order, fetched once; coefficient arrays built with numpy
    n_vars = list(m.n.values())
    q_vars = list(m.q.values())
    per_t = np.tile  # (a, t) flattened a-major: column a*T + i

    def linear(coefs: np.ndarray, variables: list, scale: np.ndarray | float = 1.0):
        """Σ coef·var over the nonzero coefficients, as one LinearExpression."""
        c = np.broadcast_to(coefs, (len(variables),)) * scale
        nz = np.flatnonzero(c)
        return LinearExpression(
            constant=0,
            linear_coefs=c[nz].tolist(),
            linear_vars=[variables[i] for i in nz],
        )

    def layer(col: str):
        s = np.repeat(opt[col].to_numpy(float), n_t)
        return linear(s / total_target, q_vars)

    m.sovereignty_index = pyo.Expression(expr=layer("score"))
    m.territorial = pyo.Expression(expr=layer("score_territorial"))
    m.provider = pyo.Expression(expr=layer("score_provider"))
    m.chip = pyo.Expression(expr=layer("score_chip"))
    if "score_fab" in opt.columns:
        m.fab = pyo.Expression(expr=layer("score_fab"))

    capital, running_charge = cost_coefficients(inp)
    capex = capital.reshape(-1)  # a-major, like n_vars
    energy = np.repeat(opt["energy_cost"].to_numpy(float), n_t)
    emis = np.repeat(opt["emissions_kt"].to_numpy(float), n_t)
    # u[a,t] (a-major, like n_vars): years in service of a module counted in period t
    years = np.asarray(inp.service_years, dtype=float).reshape(-1)
    disc_years = per_t(np.array([inp.discount[t] for t in periods]), len(opt)) * years

    # capital on modules added: W[a,t]·added[a,t], i.e. W[a,t]·build[a,t] for a ∈ S and
    # W[a,t]·(n[a,t] − n[a,t−1]) otherwise (rented options have W = 0)
    in_s = np.zeros(len(opt), dtype=bool)
    if hasattr(m, "S"):
        in_s[list(m.S)] = True
    in_s = np.repeat(in_s, n_t)  # a-major, like n_vars
    first = per_t(np.arange(n_t) == 0, len(opt))
    build_vars = [m.build[a, t] for a in (m.S if hasattr(m, "S") else []) for t in periods]
    diff_c = np.where(in_s, 0.0, capex)
    prev_c = -diff_c[1:][~first[1:]]
    prev_v = [n_vars[i - 1] for i in range(1, len(n_vars)) if not first[i]]
    terms_c = np.concatenate([diff_c, prev_c, capex[in_s]])
    terms_v = n_vars + prev_v + build_vars
    nz = np.flatnonzero(terms_c)
    capex_expr = LinearExpression(
        constant=0,
        linear_coefs=terms_c[nz].tolist(),
        linear_vars=[terms_v[i] for i in nz],
    )
    m.capex_cost = pyo.Expression(expr=capex_expr)
    m.running_cost = pyo.Expression(expr=linear(running_charge.reshape(-1), n_vars))
    m.fixed_cost = pyo.Expression(
        expr=LinearExpression(
            constant=0,
            linear_coefs=[float(inp.countries.at[k, "site_fixed_cost"]) for k in m.K]
            + [float(inp.providers.at[p, "onboarding_cost"]) for p in m.P]
            + [float(inp.chips.at[c, "platform_cost"]) for c in m.C],
            linear_vars=[m.open[k] for k in m.K]
            + [m.use_provider[p] for p in m.P]
            + [m.use_chip[c] for c in m.C],
        )
    )
    m.total_cost = pyo.Expression(expr=m.capex_cost + m.running_cost + m.fixed_cost)
    m.energy_cost = pyo.Expression(expr=linear(disc_years * energy, n_vars))
    m.emissions = pyo.Expression(expr=linear(years * emis, n_vars))

    m.r_min = pyo.Var(
        bounds=(0, 1), doc="worst-case share of the target kept after any one cut-off"
    )
    m.resilience_def = pyo.Constraint(
        [(j, t) for j in m.J_foreign for t in m.T if inp.target[t] > 0],
        rule=lambda m, j, t: m.r_min * inp.target[t] <= m.kept[j, t],
    )
    m.resilience = pyo.Expression(expr=m.r_min if len(m.resilience_def) else 1.0)
    # Valuing hedging: the worst-case N-1 kept share joins the objective with weight ω_res.
    w_res = float(inp.resilience_weight)
    if w_res > 0 and len(m.resilience_def):
        m.sovereignty = pyo.Expression(expr=m.sovereignty_index + w_res * m.r_min)
    else:
        m.sovereignty = pyo.Expression(expr=m.sovereignty_index.expr)


def set_objective(m: pyo.ConcreteModel, name: str) -> None:
    """Make the named expression the single active objective."""
    if name not in SENSES:
        raise KeyError(f"unknown objective {name!r}; choose from {sorted(SENSES)}")
    for obj in m.component_objects(pyo.Objective):
        obj.deactivate()
    if hasattr(m, "objective"):
        m.del_component(m.objective)
    m.objective = pyo.Objective(expr=getattr(m, name).expr, sense=SENSES[name])
