"""The extensive form of the two-stage robust plan: one block per future in one model.

Each future s (probability p_s) gets the whole deterministic model (``models.build.populate``)
as the block ``future[s]``, built from its own inputs: prices, scores, limits and the options
it offers may all differ. What ties the blocks together:

non-anticipativity (the here-and-now periods H are decided before the future is known):
    now_link[s,i,t]:  n_s[a_s(i),t] = now[i,t]     t ∈ H, every future s offering option i
    now[i,t] = 0                                   if some future does not offer option i
    Options are matched by identity (country, provider, chip, owned or rented, existing or
    committed system), not by row: the options a future offers can differ from another's.
    An option whose modules are data in every future offering it (an existing system that
    may not be retired, or one outside its years in service) has nothing to decide: no link.
    An option fixed in some futures and free in others is linked: a chip not yet on sale in
    one future (a delay) cannot be bought now in any.

objective (``objective``):
    expected:  max Σ_s p_s·I_s − λ·CVaR_α(1 − I)        (I_s = future[s].sovereignty)
    CVaR_α(L) = min_ζ ζ + (1/α)·Σ_s p_s·e_s,  e_s ≥ L_s − ζ,  e_s ≥ 0  (Rockafellar–Uryasev;
    L_s = 1 − I_s the index's shortfall from its maximum; λ = 0 drops the term)
    worst:     max η,  η ≤ I_s for every s                               (max-min)

budget: per future, each block's own ``budget`` row; in expectation, the blocks' rows are
    dropped for Σ_s p_s·C_s ≤ Σ_s p_s·B_s (C_s = future[s].total_cost).

A supply cut in a future (``FutureCut``, computed by the planner from ``planner.core.cuts``)
changes only that future's block: lost options hold no module from the cut, installed chips
of the cut keep running (n_s[a,t] ≤ n_s[a,t_before]) and count κ·f·n (failures not
replaced), and, when the planner relaxes the future, the target of the affected periods
may be under-delivered (Σ_a q ≤ D_t: the shortfall scores nothing in the index).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.environ as pyo

from models.build import populate
from models.inputs import ModelInputs

#: (country, provider, chip, owned, existing or committed system's name): what an option is,
#: the same in every future whatever its row number
OptionKey = tuple[str, str, str, bool, str]


@dataclass
class FutureCut:
    """What a supply cut does to one future's block (indices are the future's option rows)."""

    #: (a, t): no module of option a in period t (lost territory or provider, or a cut chip
    #: with nothing installed before the cut)
    zero: list[tuple[int, int]] = field(default_factory=list)
    #: (a, t, s): modules of a cut chip in t are at most those in service in s (no purchase)
    hold: list[tuple[int, int, int]] = field(default_factory=list)
    #: (a, t) -> κ: a cut chip's installed modules count κ·f_a each (failures not replaced)
    kappa: dict[tuple[int, int], float] = field(default_factory=dict)
    #: (a, i): build-out rows non_decreasing[a, i] dropped (a lost option leaves the fleet)
    shrink: list[tuple[int, int]] = field(default_factory=list)
    #: periods whose target may be under-delivered (set when the future was relaxed)
    soft_target: list[int] = field(default_factory=list)


def option_keys(inp: ModelInputs) -> list[OptionKey]:
    """Each option's identity, in row order."""
    opt = inp.options
    names = (
        opt["existing_name"].fillna("").astype(str)
        if "existing_name" in opt.columns
        else [""] * len(opt)
    )
    owned = opt["owned"].astype(bool) if "owned" in opt.columns else [True] * len(opt)
    return [
        (str(k), str(p), str(c), bool(o), str(e))
        for k, p, c, o, e in zip(
            opt["country"], opt["provider"], opt["chip"], owned, names, strict=True
        )
    ]


def _apply_cut(b: pyo.Block, inp: ModelInputs, cut: FutureCut) -> None:
    f = inp.options["compute"].to_numpy(float)
    for a, t in cut.zero:
        b.n[a, t].setlb(0)
        b.n[a, t].setub(0)
    if cut.hold:
        b.cut_no_purchase = pyo.Constraint(
            range(len(cut.hold)),
            rule=lambda b, i: (
                b.n[cut.hold[i][0], cut.hold[i][1]] <= b.n[cut.hold[i][0], cut.hold[i][2]]
            ),
        )
    if cut.kappa:
        keys = sorted(cut.kappa)
        for a, t in keys:
            b.counted_le_built[a, t].deactivate()
        b.cut_counted = pyo.Constraint(
            keys, rule=lambda b, a, t: b.q[a, t] <= cut.kappa[a, t] * float(f[a]) * b.n[a, t]
        )
    if cut.shrink and hasattr(b, "non_decreasing"):
        for a, i in cut.shrink:
            if (a, i) in b.non_decreasing:
                b.non_decreasing[a, i].deactivate()
    if cut.soft_target:
        options = list(inp.options.index)
        for t in cut.soft_target:
            b.target_met[t].deactivate()
        b.target_at_most = pyo.Constraint(
            list(cut.soft_target),
            rule=lambda b, t: pyo.quicksum(b.q[a, t] for a in options) <= inp.target[t],
        )


def build_extensive(
    inputs: list[ModelInputs],
    probabilities: list[float],
    here_and_now: list[int],
    objective: str = "expected",
    alpha: float = 0.1,
    weight: float = 0.0,
    budget: str = "per_future",
    cuts: list[FutureCut | None] | None = None,
) -> pyo.ConcreteModel:
    """The extensive form (see the module doc). The active objective is ``robust_objective``
    (maximised); ``expected_index`` and ``expected_cost`` are named expressions for the
    planner's tie-break stages. ``m.option_keys[i]`` is the identity of ``now[i, t]``."""
    if len(inputs) != len(probabilities) or not inputs:
        raise ValueError("one probability per future, and at least one future")
    cuts = cuts if cuts is not None else [None] * len(inputs)
    m = pyo.ConcreteModel(name="compute_sovereignty_extensive")
    m.F = pyo.Set(initialize=range(len(inputs)), ordered=True, doc="futures")
    m.future = pyo.Block(m.F)
    for s, inp in enumerate(inputs):
        populate(m.future[s], inp)
        if cuts[s] is not None:
            _apply_cut(m.future[s], inp, cuts[s])
    p = [float(x) for x in probabilities]

    # Non-anticipativity -------------------------------------------------------------------
    keys_of = [option_keys(inp) for inp in inputs]
    row_of = [{k: a for a, k in enumerate(keys)} for keys in keys_of]
    all_keys = sorted({k for keys in keys_of for k in keys})
    links: list[tuple[int, int, int, int]] = []  # (i, t, s, a)
    now_index: list[tuple[int, int]] = []
    absent: set[tuple[int, int]] = set()
    upper: dict[tuple[int, int], float] = {}
    for i, key in enumerate(all_keys):
        for t in here_and_now:
            have = [(s, row_of[s][key]) for s in range(len(inputs)) if key in row_of[s]]
            fixed = [(s, a) for s, a in have if (a, t) in inputs[s].fixed_modules]
            if len(fixed) == len(have):
                continue  # data in every future that offers it: nothing to decide
            now_index.append((i, t))
            if len(have) < len(inputs):
                absent.add((i, t))
            upper[i, t] = max(float(inputs[s].options.at[a, "max_modules"]) for s, a in have)
            links.extend((i, t, s, a) for s, a in have)
    m.option_keys = all_keys
    m.NOW = pyo.Set(initialize=now_index, dimen=2, ordered=True, doc="(option key, period) now")
    m.now = pyo.Var(
        m.NOW,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda m, i, t: (0, 0 if (i, t) in absent else upper[i, t]),
        doc="modules of option i in service in here-and-now period t, in every future",
    )
    m.now_link = pyo.Constraint(
        range(len(links)),
        rule=lambda m, k: (
            m.future[links[k][2]].n[links[k][3], links[k][1]] == m.now[links[k][0], links[k][1]]
        ),
    )

    # Objectives ---------------------------------------------------------------------------
    m.expected_index = pyo.Expression(
        expr=pyo.quicksum(p[s] * m.future[s].sovereignty for s in m.F)
    )
    m.expected_cost = pyo.Expression(expr=pyo.quicksum(p[s] * m.future[s].total_cost for s in m.F))
    if objective == "worst":
        m.worst_index = pyo.Var(bounds=(None, None), doc="index of the worst future")
        m.worst_def = pyo.Constraint(
            m.F, rule=lambda m, s: m.worst_index <= m.future[s].sovereignty
        )
        m.robust_objective = pyo.Expression(expr=m.worst_index)
    elif weight > 0:
        m.var_level = pyo.Var(bounds=(None, None), doc="ζ: value at risk of the shortfall")
        m.excess = pyo.Var(m.F, domain=pyo.NonNegativeReals, doc="shortfall beyond ζ")
        m.excess_def = pyo.Constraint(
            m.F,
            rule=lambda m, s: m.excess[s] >= (1.0 - m.future[s].sovereignty) - m.var_level,
        )
        m.cvar = pyo.Expression(
            expr=m.var_level + (1.0 / alpha) * pyo.quicksum(p[s] * m.excess[s] for s in m.F)
        )
        m.robust_objective = pyo.Expression(expr=m.expected_index - weight * m.cvar)
    elif objective == "expected":
        m.robust_objective = pyo.Expression(expr=m.expected_index.expr)
    else:
        raise ValueError(f"unknown objective {objective!r}: expected or worst")

    # Budget in expectation ----------------------------------------------------------------
    if budget == "expected" and all(inp.budget is not None for inp in inputs):
        for s in m.F:
            m.future[s].budget.deactivate()
        m.expected_budget = pyo.Constraint(
            expr=m.expected_cost <= sum(p[s] * float(inputs[s].budget) for s in m.F)
        )
    m.objective = pyo.Objective(expr=m.robust_objective.expr, sense=pyo.maximize)
    return m
