"""Valid inequalities on installed capacity implied by the share caps (cuts, not a family).

For a share cap α on a group g of options (a provider, a chip designer, a foreign
jurisdiction or a country; ``add_diversification``, ``add_siting_spread``) and a period t:

capacity_outside_<family>[g,t]:  Σ_{a∉g} f_a·n[a,t] ≥ (1 − α)·D_t

Proof (every plan of the model meets it): target_met gives Σ_a q[a,t] = D_t and the share
row Σ_{a∈g} q[a,t] ≤ α·D_t, so Σ_{a∉g} q[a,t] ≥ (1 − α)·D_t; counted_le_built gives
q[a,t] ≤ f_a·n[a,t] for every a. Summing the last over a ∉ g gives the row. It is an
aggregate of rows the model already has, so it cuts off no plan (integer or not); what it
adds is a single row in the integer module counts, on which HiGHS's rounding cuts (MIR,
knapsack covers) act: "the capacity outside a capped group covers the rest of the target
with whole modules" (the LP can buy 0.27 of a module, no plan can). HiGHS does not find
the aggregate itself (it would have to add up one counted_le_built row per option).

Why not a family of the model: each row holds every option outside its group, so one row
per capped group and period would multiply the nonzeros (the medium benchmark: 274k ->
680k). The solve adds only the rows whose share cap is binding at a known plan
(``planner.core.solve``), where the cap decides how much must be covered elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py

from models.constraints import share_cap_families
from models.inputs import ModelInputs


@dataclass(frozen=True)
class Cover:
    """One capacity_outside row: ``Σ_{a∉inside} f_a·n[a,period] ≥ rhs``, rhs = (1 − cap)·D_t."""

    name: str
    share_row: str  # the model's share row it is derived from (component name)
    key: object  # its group
    period: int
    inside: tuple[int, ...]
    cap: float
    rhs: float


def share_cap_covers(inp: ModelInputs) -> list[Cover]:
    """Every capacity_outside row the scenario's share caps imply (caps below 1, groups that
    are neither empty nor every option). None under ``share_basis`` installed: the proof needs
    the counted-compute share rows, which that basis replaces."""
    if inp.share_basis != "counted":
        return []
    n_options = len(inp.options)
    out = []
    for family, groups, cap in share_cap_families(inp):
        if cap is None or cap >= 1.0:
            continue
        for key, idx in groups.items():
            if not idx or len(idx) >= n_options:
                continue
            for t in inp.periods:
                out.append(
                    Cover(
                        name=f"capacity_outside_{family}[{key},{t}]",
                        share_row=f"share_{family}",
                        key=key,
                        period=t,
                        inside=tuple(int(a) for a in idx),
                        cap=float(cap),
                        rhs=(1.0 - float(cap)) * float(inp.target[t]),
                    )
                )
    return out


def cover_expression(m: pyo.ConcreteModel, inp: ModelInputs, cover: Cover):
    """Σ_{a∉g} f_a·n[a,t], the left-hand side of ``cover``."""
    f = inp.options["compute"].to_numpy()
    inside = set(cover.inside)
    t = cover.period
    return pyo.quicksum(float(f[a]) * m.n[a, t] for a in m.A if a not in inside and f[a] > 0)
