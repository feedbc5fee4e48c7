"""Constraint families, one ``add_<family>(m, inp)`` each; the docstring is the formula.

Notation (DESIGN.md §2): options a = (k, p, c); n[a,t] modules in service; f_a compute per
module; X_t = Σ_a f_a·n[a,t] total capacity (a variable, so no share row repeats the big
sum); dep[j,t] capacity depending on foreign jurisdiction j; D_t the target.

Existing systems (E ⊂ A, ``inp.existing``: in service, or committed) are one module each:
n[a,t] is 0 outside their years in service; inside them it is 1, or for a system the plan may
retire (E_R ⊆ E, ``inp.retirable``) a decision in {0, 1} that never returns to 1 once 0
(``add_retirement``). They count in capacity, targets, shares and dependence like any option;
they are left out of what concerns new capacity only: grid headroom and site opening,
contracts and platform adoption (already in place), supply caps, ramps and non-decreasing
build-out. New options are bought (owned: non-decreasing, hardware stays in service) or
rented (S, ``inp.shrinkable``: a rental may end between periods, ``add_buildout``). Sums
over "a ∈ k, p, c" below are over new options A∖E where the row says so
(``new_by_*``). The provider p of an option is its operator (``inp.provider_column``): under a
bloc home each member state's public operator is its own provider.
"""

from __future__ import annotations

import math

import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py

from models.inputs import ModelInputs
from models.objectives import _added


def _f(inp: ModelInputs):
    return inp.options["compute"].to_numpy()


def share_cap_families(inp: ModelInputs) -> list[tuple[str, dict, float | None]]:
    """(family, option groups, cap) of the four share caps, in the order of their rows
    (share_provider, share_designer, share_foreign, share_country; ``installed_share_*`` under
    ``share_basis`` installed): the one list the links' σ and ``models.covers`` read."""
    return [
        ("provider", inp.by_provider, inp.max_share_provider),
        ("designer", inp.by_designer, inp.max_share_chip_designer),
        ("foreign", inp.by_dependency, inp.max_share_foreign_jurisdiction),
        ("country", inp.by_country, inp.max_share_country),
    ]


def _share_caps(inp: ModelInputs, groups: dict[str, list[int]]) -> dict[str, float]:
    """σ_g per group g: the smallest share cap (of D_t, on counted compute) of any share row
    whose option group contains every option of g; 1 when none does (q sums to D_t), when
    ``link_share_caps`` is off, or when the caps are on installed capacity
    (``share_basis`` installed: Σ f·n ≤ cap·X_t bounds no group's counted compute by
    cap·D_t, since X_t may exceed D_t)."""
    if not inp.link_share_caps or inp.share_basis != "counted":
        return {key: 1.0 for key in groups}
    sets = [
        (set(idx), cap)
        for _, by, cap in share_cap_families(inp)
        if cap is not None
        for idx in by.values()
        if idx
    ]
    out = {}
    for key, idx in groups.items():
        members = set(idx)
        out[key] = min([1.0] + [float(cap) for s, cap in sets if members <= s])
    return out


def add_capacity_accounting(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Capacity, counted compute and dependence.

    total_capacity[t]:   X_t = Σ_a f_a·n[a,t]
    counted_le_built:    q[a,t] ≤ f_a·n[a,t]
    target_met[t]:       Σ_a q[a,t] = D_t           (delivers D_t and counts no more)
    dependence[j,t]:     dep[j,t] = Σ_{a depends on j} f_a·n[a,t]
    """
    f = _f(inp)
    options = list(inp.options.index)
    m.total_capacity = pyo.Constraint(
        m.T, rule=lambda m, t: m.X[t] == pyo.quicksum(float(f[a]) * m.n[a, t] for a in options)
    )
    m.counted_le_built = pyo.Constraint(
        m.A, m.T, rule=lambda m, a, t: m.q[a, t] <= float(f[a]) * m.n[a, t]
    )
    m.target_met = pyo.Constraint(
        m.T, rule=lambda m, t: pyo.quicksum(m.q[a, t] for a in options) == inp.target[t]
    )
    groups = inp.by_dependency
    m.dependence = pyo.Constraint(
        m.J_foreign,
        m.T,
        rule=lambda m, j, t: (
            m.dep[j, t] == pyo.quicksum(float(f[a]) * m.n[a, t] for a in groups[j])
        ),
    )


def add_site_link(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Open sites and grid power.

    grid_power[k,t]:  Σ_{a∈k, a∉E} P_a·n[a,t] ≤ G_k·open[k]     (P_a facility MW per module;
                      G_k is headroom for new load: existing systems already have their power)
    without grid limits: Σ_{a∈k, a∉E} n[a,t] ≤ M_k·open[k],  M_k = Σ_{a∈k} max_modules_a
    """
    pw = inp.options["power_mw"].to_numpy()
    ub = inp.options["max_modules"].to_numpy()
    groups = inp.new_by_country
    if inp.grid_power:
        m.grid_power = pyo.Constraint(
            m.K,
            m.T,
            rule=lambda m, k, t: (
                pyo.quicksum(float(pw[a]) * m.n[a, t] for a in groups[k])
                <= float(inp.countries.at[k, "grid_mw"]) * m.open[k]
                if groups[k]
                else pyo.Constraint.Skip
            ),
        )
    else:
        m.site_link = pyo.Constraint(
            m.K,
            m.T,
            rule=lambda m, k, t: (
                pyo.quicksum(m.n[a, t] for a in groups[k])
                <= float(sum(ub[a] for a in groups[k])) * m.open[k]
                if groups[k]
                else pyo.Constraint.Skip
            ),
        )


def add_supplier_links(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Provider contracts and chip platforms (what the fixed costs are paid on).

    (all sums over new options a ∉ E: existing systems need no new contract or platform)
    provider_link[p,t]: Σ_{a∈p} n[a,t] ≤ M_p·use_provider[p]
    chip_link[c,t]:     Σ_{a∈c} n[a,t] ≤ M_c·use_chip[c]
    modules_by_provider_chip[p,c,t]: n_pc[p,c,t] = Σ_{a∈(p,c)} n[a,t]   (integer: modules of
                        chip c at provider p, over all countries; in no other row)
    counted_provider[p,t]: Σ_{a∈p} q[a,t] ≤ σ_p·D_t·use_provider[p]   (valid inequalities: the
    counted_chip[c,t]:     Σ_{a∈c} q[a,t] ≤ σ_c·D_t·use_chip[c]        big-M links above are
    counted_site[k,t]:     Σ_{a∈k} q[a,t] ≤ σ_k·D_t·open[k]            weak; these tighten the
                                                                      LP bound of both stages)
    σ_g = min(1, every share cap α, β, γ, α_K whose share row's group contains all of g's
    options): Σ_{a∈g} q[a,t] is at most that share of D_t anyway, so the link is the share row
    multiplied by the binary (on the UK scenario the LP bound falls from 0.8568 to 0.8543).

    Why n_pc: the same provider and chip in different countries are near-identical options
    (same scores, module size and caps; prices differ by a few per cent). Branching on each
    country's n[a,t] let the LP move a module to the next country at almost no loss, so
    HiGHS searched thousands of nodes; branching on n_pc (integer) decides how many modules
    of a platform a provider delivers first. The feasible set is unchanged: n_pc is integral
    whenever n is. n_pc sits in its defining row only, so HiGHS's default presolve removes
    it and the model it solves is the one without n_pc; the solves that gain from it keep
    it (``planner.core.highs_backend.CAP_BOUND_OPTIONS``).

    A contracted supplier need not deliver counted compute: capacity held only for N-1
    resilience stays uncounted. Delivering is a separate binary, used only by the
    minimum-count rules (``add_diversification``).
    """
    ub = inp.options["max_modules"].to_numpy()

    # a provider/chip/country with existing systems only has no new option: no row
    def counted(groups, use):
        cap = _share_caps(inp, groups)
        return lambda m, key, t: (
            pyo.quicksum(m.q[a, t] for a in groups[key]) <= cap[key] * inp.target[t] * use[key]
            if groups[key]
            else pyo.Constraint.Skip
        )

    m.counted_provider = pyo.Constraint(m.P, m.T, rule=counted(inp.new_by_provider, m.use_provider))
    m.counted_chip = pyo.Constraint(m.C, m.T, rule=counted(inp.new_by_chip, m.use_chip))
    m.counted_site = pyo.Constraint(m.K, m.T, rule=counted(inp.new_by_country, m.open))

    pc = inp.new_by_provider_chip
    m.modules_by_provider_chip = pyo.Constraint(
        m.PC,
        m.T,
        rule=lambda m, p, c, t: m.n_pc[p, c, t] == pyo.quicksum(m.n[a, t] for a in pc[p, c]),
    )

    def link(groups, use):
        return lambda m, key, t: (
            pyo.quicksum(m.n[a, t] for a in groups[key])
            <= float(sum(ub[a] for a in groups[key])) * use[key]
            if groups[key]
            else pyo.Constraint.Skip
        )

    m.provider_link = pyo.Constraint(m.P, m.T, rule=link(inp.new_by_provider, m.use_provider))
    m.chip_link = pyo.Constraint(m.C, m.T, rule=link(inp.new_by_chip, m.use_chip))


def add_budget(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """budget: total_cost ≤ B."""
    m.budget = pyo.Constraint(expr=m.total_cost <= inp.budget)


def add_energy_limits(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Energy cost, average electricity price and emissions.

    energy_cost_cap:        energy_cost ≤ E
    avg_electricity_price:  Σ_t δ_t·Σ_a u[a,t]·energy_a·n ≤ p̄·Σ_t δ_t·Σ_a u[a,t]·GWh_a·n / 1000
    emissions_cap:          emissions ≤ Z
    """
    if inp.energy_cost_cap is not None:
        m.energy_cost_cap = pyo.Constraint(expr=m.energy_cost <= inp.energy_cost_cap)
    if inp.max_avg_electricity_price is not None:
        gwh = inp.options["energy_gwh"].to_numpy()
        u = inp.service_years
        pos = {t: i for i, t in enumerate(inp.periods)}
        weighted_gwh = pyo.quicksum(
            inp.discount[t] * float(u[a, pos[t]]) * float(gwh[a]) * m.n[a, t]
            for t in m.T
            for a in inp.options.index
        )
        # MUSD = GWh * USD/MWh / 1000
        m.avg_electricity_price = pyo.Constraint(
            expr=m.energy_cost <= inp.max_avg_electricity_price / 1000.0 * weighted_gwh
        )
    if inp.emissions_cap is not None:
        m.emissions_cap = pyo.Constraint(expr=m.emissions <= inp.emissions_cap)


def add_diversification(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Hedging limits, on the compute counted towards the target (Σ_a q[a,t] = D_t).

    Shares are of counted compute (``share_basis`` counted, the default) so that capacity
    built beyond the target cannot dilute a share (buying idle modules elsewhere would
    otherwise satisfy any limit). Under ``share_basis`` installed the three share rows are
    left out and ``add_installed_shares`` caps installed capacity instead; the minimum
    counts below stay on counted compute under both.

    share_provider[p,t]:   Σ_{a∈p} q[a,t] ≤ α·D_t
    share_designer[d,t]:   Σ_{a: designer(c)=d} q[a,t] ≤ β·D_t
    share_foreign[j,t]:    Σ_{a depends on j} q[a,t] ≤ γ·D_t
    min_providers:         Σ_p delivers_provider[p] ≥ N_p
    delivers_provider_def[p]: min(f_min(p), D_T)·delivers_provider[p] ≤ Σ_{a∈p} q[a,T]
    delivers_provider_used[p]: delivers_provider[p] ≤ use_provider[p]     (valid inequality,
                        for providers without existing systems, which deliver uncontracted)
    min_chip_designers:    Σ_d delivers_designer[d] ≥ N_d
    delivers_designer_def[d]: min(f_min(d), D_T)·delivers_designer[d] ≤ Σ_{a: designer(c)=d} q[a,T]

    A supplier counts towards N only if it delivers at least one module's worth of the final
    period's counted compute, so idle modules cannot satisfy the rule; the delivers_* binaries
    exist only when the rule is set, so without it no contracted supplier is forced to deliver.
    """

    def share(groups, limit):
        # A group without options (e.g. a jurisdiction nothing depends on) meets any limit.
        return lambda m, key, t: (
            pyo.quicksum(m.q[a, t] for a in groups[key]) <= (limit * inp.target[t])
            if groups.get(key)
            else pyo.Constraint.Skip
        )

    counted = inp.share_basis == "counted"
    if inp.max_share_provider is not None and counted:
        m.share_provider = pyo.Constraint(
            m.P, m.T, rule=share(inp.by_provider, inp.max_share_provider)
        )
    if inp.max_share_chip_designer is not None and counted:
        m.share_designer = pyo.Constraint(
            m.D, m.T, rule=share(inp.by_designer, inp.max_share_chip_designer)
        )
    if inp.max_share_foreign_jurisdiction is not None and counted:
        m.share_foreign = pyo.Constraint(
            m.J_foreign,
            m.T,
            rule=share(inp.by_dependency, inp.max_share_foreign_jurisdiction),
        )
    f = _f(inp)
    last = m.T.last()

    if inp.min_providers:
        groups = inp.by_provider
        m.delivers_provider_def = pyo.Constraint(
            m.P,
            rule=lambda m, p: (
                min(float(min(f[a] for a in groups[p])), inp.target[last]) * m.delivers_provider[p]
                <= pyo.quicksum(m.q[a, last] for a in groups[p])
            ),
        )
        new_only = [p for p in m.P if len(inp.new_by_provider.get(p, [])) == len(groups[p])]
        m.delivers_provider_used = pyo.Constraint(
            new_only, rule=lambda m, p: m.delivers_provider[p] <= m.use_provider[p]
        )
        m.min_providers = pyo.Constraint(
            expr=pyo.quicksum(m.delivers_provider[p] for p in m.P) >= inp.min_providers
        )
    if inp.min_chip_designers:
        by_d = inp.by_designer
        m.delivers_designer_def = pyo.Constraint(
            m.D,
            rule=lambda m, d: (
                min(float(min(f[a] for a in by_d[d])), inp.target[last]) * m.delivers_designer[d]
                <= pyo.quicksum(m.q[a, last] for a in by_d[d])
            ),
        )
        m.min_chip_designers = pyo.Constraint(
            expr=pyo.quicksum(m.delivers_designer[d] for d in m.D) >= inp.min_chip_designers
        )


def _one_module(inp: ModelInputs, options: list[int], t) -> float:
    """One module's worth of compute among ``options``, capped at the target D_t."""
    f = _f(inp)
    return min(float(min(f[a] for a in options)), inp.target[t])


def add_siting_spread(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Siting spread: no country carries too much, and enough countries deliver.

    counted_in_country[k,t]: Q[k,t] = Σ_{a∈k} q[a,t]          (one total variable per country,
                                                              so no row repeats the big sum)
    share_country[k,t]:      Q[k,t] ≤ α_K·D_t                 (D_t = Σ_a q[a,t] by target_met;
                                                              ``share_basis`` counted only)
    country_delivers[k]:     min(f_min(k), D_T)·delivers[k] ≤ Q[k,T]
    min_countries:           Σ_k delivers[k] ≥ N_K

    ``delivers[k]`` is its own binary, not ``open[k]``: a site opened for idle modules must not
    count towards N_K, so a country counts only when it delivers one module's worth of the
    final target (as for providers and designers).
    """
    groups = inp.by_country
    m.Q_country = pyo.Var(
        m.K, m.T, domain=pyo.NonNegativeReals, doc="counted compute in country k (EFLOP/s)"
    )
    m.counted_in_country = pyo.Constraint(
        m.K,
        m.T,
        rule=lambda m, k, t: m.Q_country[k, t] == pyo.quicksum(m.q[a, t] for a in groups[k]),
    )
    if inp.max_share_country is not None and inp.share_basis == "counted":
        m.share_country = pyo.Constraint(
            m.K,
            m.T,
            rule=lambda m, k, t: m.Q_country[k, t] <= inp.max_share_country * inp.target[t],
        )
    if inp.min_countries:
        last = m.T.last()
        m.delivers_country = pyo.Var(
            m.K, domain=pyo.Binary, doc="country k delivers one module's worth in the final period"
        )
        m.country_delivers = pyo.Constraint(
            m.K,
            rule=lambda m, k: (
                _one_module(inp, groups[k], last) * m.delivers_country[k] <= m.Q_country[k, last]
            ),
        )
        m.min_countries = pyo.Constraint(
            expr=pyo.quicksum(m.delivers_country[k] for k in m.K) >= inp.min_countries
        )


def add_installed_shares(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Share caps on installed capacity (``share_basis`` installed), instead of counted.

    installed_share_provider[p,t]: Σ_{a∈p} f_a·n[a,t] ≤ α·X_t
    installed_share_designer[d,t]: Σ_{a: designer(c)=d} f_a·n[a,t] ≤ β·X_t
    installed_share_foreign[j,t]:  dep[j,t] ≤ γ·X_t
    installed_share_country[k,t]:  Σ_{a∈k} f_a·n[a,t] ≤ α_K·X_t

    X_t = Σ_a f_a·n[a,t] (``total_capacity``), so each row caps a group's share of what is
    installed in t, whether it counts towards D_t or not: existing and committed systems and
    co-financed projects are options with n[a,t] like any other (one module each, in service
    or not by their own rules), so they are inside their provider's, designer's,
    jurisdictions' and country's sums. Linear, since the cap multiplies the variable X_t.

    Why both bases: under counted caps (Σ q ≤ cap·D_t) a project or committed system larger
    than the cap still runs, uncounted, and the plan pays other suppliers to count; its
    physical dependence on one provider is then above the cap. Installed caps bound that
    dependence; capacity bought or rented elsewhere dilutes them, which the plan pays for.
    The counted links (``add_supplier_links``) take σ_g = 1 here: an installed cap bounds no
    group's counted compute by cap·D_t. Minimum counts, the home floor and N-1 are unchanged.
    """
    f = _f(inp)

    def share(groups, cap):
        return lambda m, key, t: (
            pyo.quicksum(float(f[a]) * m.n[a, t] for a in groups[key]) <= cap * m.X[t]
            if groups.get(key)
            else pyo.Constraint.Skip
        )

    if inp.max_share_provider is not None:
        m.installed_share_provider = pyo.Constraint(
            m.P, m.T, rule=share(inp.by_provider, inp.max_share_provider)
        )
    if inp.max_share_chip_designer is not None:
        m.installed_share_designer = pyo.Constraint(
            m.D, m.T, rule=share(inp.by_designer, inp.max_share_chip_designer)
        )
    if inp.max_share_foreign_jurisdiction is not None:
        groups = inp.by_dependency
        gamma = inp.max_share_foreign_jurisdiction
        m.installed_share_foreign = pyo.Constraint(
            m.J_foreign,
            m.T,
            rule=lambda m, j, t: (
                m.dep[j, t] <= gamma * m.X[t] if groups.get(j) else pyo.Constraint.Skip
            ),
        )
    if inp.max_share_country is not None:
        m.installed_share_country = pyo.Constraint(
            m.K, m.T, rule=share(inp.by_country, inp.max_share_country)
        )


def add_bloc_hedge(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Hedging between blocs: foreign dependence spread over at least N_B rival jurisdictions.

    bloc_delivers[j]: min(f_min(j), D_T)·bloc[j] ≤ Σ_{a∈B_j} q[a,T]
    min_blocs:        Σ_j bloc[j] ≥ N_B

    B_j are the options whose provider and chip lean on foreign jurisdiction j alone (a US chip
    in a public build; a Chinese chip on a Chinese cloud). Each bloc's share stays below γ by
    share_foreign (add_diversification), which hedging also enforces.
    """
    groups = {j: idx for j, idx in inp.bloc_options.items() if idx}
    last = m.T.last()
    m.BLOCS = pyo.Set(initialize=sorted(groups), ordered=True, doc="blocs with options")
    m.bloc = pyo.Var(m.BLOCS, domain=pyo.Binary, doc="bloc j carries one module's worth")
    m.bloc_delivers = pyo.Constraint(
        m.BLOCS,
        rule=lambda m, j: (
            _one_module(inp, groups[j], last) * m.bloc[j]
            <= pyo.quicksum(m.q[a, last] for a in groups[j])
        ),
    )
    need = int(inp.min_blocs or 0)
    if len(groups) >= need:
        m.min_blocs = pyo.Constraint(expr=pyo.quicksum(m.bloc[j] for j in m.BLOCS) >= need)
    else:
        # Fewer blocs have options than N_B (e.g. every Chinese chip excluded): the rule cannot
        # hold; written on the counted compute (Σ_a q[a,T] = D_T) so it stays an infeasible row
        # the diagnosis can name: Σ_a q[a,T] ≤ D_T·|B|/N_B < D_T.
        m.min_blocs = pyo.Constraint(
            expr=pyo.quicksum(m.q[a, last] for a in m.A)
            <= inp.target[last] * len(groups) / max(need, 1)
        )


def add_territorial_floor(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """home_floor[t]: Σ_{a: k∈H} q[a,t] ≥ τ·D_t   (of counted compute, like the shares)."""
    home = inp.home_options

    def rule(m, t):
        need = inp.min_home_share * inp.target[t]
        if home:
            return pyo.quicksum(m.q[a, t] for a in home) >= need
        if need <= 0:
            return pyo.Constraint.Skip
        # No home option survives (e.g. the budget rules out every home build): the floor
        # reads 0 ≥ τ·D_t; written on the counted compute (Σ_a q = D_t) so it stays a row.
        return inp.min_home_share * pyo.quicksum(m.q[a, t] for a in m.A) <= 0

    m.home_floor = pyo.Constraint(m.T, rule=rule)


def add_cut_survivors(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """What a cut of foreign jurisdiction j at the start of period t leaves (N-1).

    cut_kept[j,t]:  kept[j,t] = X_t − dep[j,t] + Σ_{a ∈ C_j} κ[a,t]·f_a·w[a,t]
    carried_now[a,t]:    w[a,t] ≤ n[a,t]       a ∈ C_j ∩ S, t after the first period
    carried_before[a,t]: w[a,t] ≤ n[a,t−1]     (S: options whose modules may fall)

    C_j are the options that depend on j through their chip only (designer or foundry in j,
    territory and provider not in j). The cut happens at the start of t: capacity on j's
    territory or run by a provider headquartered in j is lost at once (it is in dep[j,t]);
    on a chip of j no new module can be bought, but the w[a,t] modules installed before the
    cut keep running, minus failures: w[a,t] = n[a,t−1] for a new option (the modules of the
    previous period; 0 in the first period), n[a,t] for an existing system that entered
    service before t, and κ[a,t] = min(1, (1 − φ)^{y_t} + s_a) is the share of such a module
    still running at the end of t (φ ``economics.accelerator_failure_rate_per_year``, s_a
    ``economics.spares_share`` for owned modules, 0 otherwise). For a new option a ∉ S
    (non-decreasing: n[a,t−1] ≤ n[a,t]) w is n[a,t−1] itself; for a ∈ S (rented, or every
    option without non-decreasing build-out) w[a,t] = ``carried[a,t]``, the modules in
    service both in t−1 and in t: a rental ended at t was not running when the cut came.
    """
    f = _f(inp)
    periods = list(m.T)
    pos = {t: i for i, t in enumerate(periods)}
    kappa = inp.cut_survival
    groups = inp.by_chip_dependency
    chip_opts = sorted({a for idx in groups.values() for a in idx})
    shrink = set(inp.shrinkable)
    how = {(a, t): inp.installed_before_cut(a, t) for a in chip_opts for t in periods}
    carried_keys = [(a, t) for (a, t), kind in how.items() if a in shrink and kind == "previous"]
    if carried_keys:
        m.carried = pyo.Var(
            carried_keys,
            domain=pyo.NonNegativeReals,
            doc="modules of option a in service both in t−1 and in t (kept after a cut at t)",
        )
        m.carried_now = pyo.Constraint(
            carried_keys, rule=lambda m, a, t: m.carried[a, t] <= m.n[a, t]
        )
        m.carried_before = pyo.Constraint(
            carried_keys, rule=lambda m, a, t: m.carried[a, t] <= m.n[a, m.T.prev(t)]
        )

    def installed(a, t):
        if how[a, t] == "existing":
            return m.n[a, t]
        if how[a, t] == "previous":
            return m.carried[a, t] if a in shrink else m.n[a, m.T.prev(t)]
        return None

    def survivors(j, t):
        terms = []
        for a in groups.get(j, []):
            w = installed(a, t)
            k = 1.0 if kappa is None else float(kappa[a, pos[t]])
            if w is not None and k * float(f[a]) > 0:
                terms.append(k * float(f[a]) * w)
        return pyo.quicksum(terms) if terms else 0.0

    m.kept = pyo.Var(
        m.J_foreign,
        m.T,
        domain=pyo.NonNegativeReals,
        doc="capacity kept after a cut of foreign jurisdiction j at the start of t (EFLOP/s)",
    )
    m.cut_kept = pyo.Constraint(
        m.J_foreign,
        m.T,
        rule=lambda m, j, t: m.kept[j, t] == m.X[t] - m.dep[j, t] + survivors(j, t),
    )


def add_resilience(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """N-1: n_minus_1[j,t]: kept[j,t] ≥ ρ·D_t for every foreign jurisdiction j and period t.

    kept[j,t] = X_t − dep[j,t] + Σ_{a ∈ C_j} κ[a,t]·f_a·w[a,t] (``add_cut_survivors``): the
    cut happens at the start of t; capacity on j's territory or run by a provider
    headquartered in j is lost at once, and of the capacity on a chip designed or fabbed in j
    only the modules installed before t keep running, minus failures over the y_t years of
    t (κ[a,t] = min(1, (1 − φ)^{y_t} + s_a)). The plan's N-1 table and ``sovplan stress``
    apply the same rule (``planner.core.cuts``).
    """
    m.n_minus_1 = pyo.Constraint(
        m.J_foreign,
        m.T,
        rule=lambda m, j, t: m.kept[j, t] >= inp.resilience * inp.target[t],
    )


def add_alignment(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Aligning: all foreign dependence within one ally chosen among the candidates.

    one_ally:          Σ_{j∈allies} ally[j] = 1
    aligned_only[j,t]: Σ_{a depends only on j} n[a,t] ≤ M_j·ally[j]
    (options depending on two foreign jurisdictions, or on a non-candidate, are removed
    before the build by the planner.)
    """
    allies = list(inp.align_allies or [])
    ub = inp.options["max_modules"].to_numpy()
    groups = inp.single_dependency
    m.ALLIES = pyo.Set(initialize=allies, ordered=True)
    m.ally = pyo.Var(m.ALLIES, domain=pyo.Binary, doc="the jurisdiction the plan aligns with")
    m.one_ally = pyo.Constraint(expr=pyo.quicksum(m.ally[j] for j in m.ALLIES) == 1)
    m.aligned_only = pyo.Constraint(
        m.ALLIES,
        m.T,
        rule=lambda m, j, t: (
            pyo.quicksum(m.n[a, t] for a in groups.get(j, []))
            <= float(sum(ub[a] for a in groups.get(j, []))) * m.ally[j]
        ),
    )


def add_supply_caps(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """supply_cap[c,t]: Σ_{a∈c, a∉E} added[a,t] ≤ S_c·y_t   (S_c modules per year a buyer
    can get; existing systems were delivered before)."""
    caps = inp.chips["supply_cap_modules_per_year"]
    groups = inp.new_by_chip
    capped = [c for c in m.C if not math.isnan(float(caps[c])) and groups.get(c)]
    positions = {t: i for i, t in enumerate(m.T)}
    m.supply_cap = pyo.Constraint(
        capped,
        m.T,
        rule=lambda m, c, t: (
            pyo.quicksum(_added(m, a, positions[t]) for a in groups[c])
            <= float(caps[c]) * inp.years[t]
        ),
    )


def add_export_caps(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """tier2_cap[k,t]: Σ_{a∈k, c US-controlled} n[a,t] ≤ cap   (the rescinded diffusion rule)."""
    capped = inp.options.index[inp.options["us_export_capped"].to_numpy(dtype=bool)]
    by_k: dict[str, list[int]] = {}
    for a in capped:
        by_k.setdefault(inp.options.at[a, "country"], []).append(int(a))
    m.tier2_cap = pyo.Constraint(
        sorted(by_k),
        m.T,
        rule=lambda m, k, t: pyo.quicksum(m.n[a, t] for a in by_k[k]) <= inp.tier2_cap_modules,
    )


def add_retirement(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Retiring existing systems early: a decision, once.

    retire_once[a,t]: n[a,t] ≤ n[a,t−1]   for a ∈ E_R and consecutive periods t−1, t in which
                      a may serve (n ∈ {0, 1} there; once retired it stays retired)

    A retired system stops counting and stops costing (running cost, energy and emissions
    follow n); nothing forces a system to serve, so one that counts nothing is retired by the
    cost tie-break unless a limit needs its capacity (N-1 counts uncounted capacity too).
    """
    periods = list(m.T)
    fixed = inp.fixed_modules
    pairs = [
        (int(a), i)
        for a in inp.retirable
        for i in range(1, len(periods))
        if fixed.get((a, periods[i]), 1.0) > 0 and fixed.get((a, periods[i - 1]), 1.0) > 0
    ]
    m.retire_once = pyo.Constraint(
        pairs, rule=lambda m, a, i: m.n[a, periods[i]] <= m.n[a, periods[i - 1]]
    )


def add_projects(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Co-financing a project: one yes/no decision, kept for the project's life.

    project_join[a,t]: n[a,t] = join[a]   for a ∈ G (``inp.projects``) and every period t in
                       which a serves (n[a,t] is fixed at 0 outside them)

    A project a ∈ G ⊆ E is one module: the home's share of its accelerators at the project's
    site, provider and chip, so it counts in capacity, shares, dependence and N-1 like any
    system. Joining (join[a] = 1) pays W[a,t_s] once, t_s its first period in service (the
    home's share of the project's capital, ``add_objectives``), and it is in service in
    every period it serves; not joining leaves n[a,t] = 0 throughout. Like an existing
    system it needs no grid headroom, site, contract or platform of the plan's own.
    """
    fixed = inp.fixed_modules
    pairs = [(int(a), t) for a in inp.projects for t in m.T if (int(a), t) not in fixed]
    m.G = pyo.Set(initialize=[int(a) for a in inp.projects], ordered=True, doc="projects")
    m.join = pyo.Var(m.G, domain=pyo.Binary, doc="the home co-finances project a")
    m.project_join = pyo.Constraint(pairs, rule=lambda m, a, t: m.n[a, t] == m.join[a])


def add_end_of_sale(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """end_of_sale[a,t]: added[a,t] ≤ 0   for (a, t) ∈ ``no_purchase``: a's chip can no
    longer be ordered for service in t (past its end of sale; the planner sets which pairs)

    Modules bought before stay in service (non_decreasing); only additions are barred
    (added[a,t] as in ``add_buildout``).
    """
    positions = {t: i for i, t in enumerate(m.T)}
    m.end_of_sale = pyo.Constraint(
        [(int(a), t) for a, t in inp.no_purchase],
        rule=lambda m, a, t: _added(m, a, positions[t]) <= 0,
    )


def add_buildout(m: pyo.ConcreteModel, inp: ModelInputs) -> None:
    """Build-out over periods.

    non_decreasing[a,t]: n[a,t] ≥ n[a,t−1],  a ∈ A∖(E ∪ S)     (hardware bought stays in
                         service; existing systems retire at their ``until`` year or
                         earlier, ``add_retirement``)
    added_def[a,t]:      build[a,t] ≥ n[a,t] − n[a,t−1],  a ∈ S   (n[a,t−1] = 0 in the first
                         period)
    ramp[k,t]:           Σ_{a∈k} P_a·added[a,t] ≤ R·y_t       (new MW per country and year)

    S (``inp.shrinkable``) are the options whose modules may fall: rented capacity (rent is
    paid per year in service, so a rental ends when the plan stops using it, e.g. once owned
    capacity past its lead time replaces it), and every option when
    ``buildout.non_decreasing`` is off. added[a,t] = build[a,t] for a ∈ S, else
    n[a,t] − n[a,t−1] (``models.objectives._added``): what capital charges, supply caps, end
    of sale and ramps count, so renting again after a gap counts as an addition.
    """
    periods = list(m.T)
    pairs = list(zip(periods[:-1], periods[1:], strict=False))
    # A∖(E ∪ S): the owned new options, or none when every option may shrink
    kept = inp.owned_new if inp.non_decreasing else []
    if kept and pairs:
        m.non_decreasing = pyo.Constraint(
            kept,
            range(len(pairs)),
            rule=lambda m, a, i: m.n[a, pairs[i][1]] >= m.n[a, pairs[i][0]],
        )
    if hasattr(m, "S"):
        m.added_def = pyo.Constraint(
            m.S,
            m.T,
            rule=lambda m, a, t: (
                m.build[a, t] >= m.n[a, t] - (m.n[a, m.T.prev(t)] if t != m.T.first() else 0)
            ),
        )
    if inp.max_new_power_mw_per_year is not None:
        pw = inp.options["power_mw"].to_numpy()
        positions = {t: i for i, t in enumerate(periods)}
        groups = inp.new_by_country
        m.ramp = pyo.Constraint(
            m.K,
            m.T,
            rule=lambda m, k, t: (
                pyo.quicksum(float(pw[a]) * _added(m, a, positions[t]) for a in groups[k])
                <= inp.max_new_power_mw_per_year * inp.years[t]
                if groups[k]
                else pyo.Constraint.Skip
            ),
        )
