"""Stage 1 restricted to the LP relaxation's support, and when such a restricted plan is proven.

Why apart from ``planner.core.solve``: the robust study's extensive form uses the same
restriction and the same test against the LP bound (``planner.studies.extensive``).
"""

from __future__ import annotations

import pyomo.core as pyo  # not pyomo.environ (its solver plugins): models/__init__.py

from planner.core.highs_backend import SolveOutcome
from planner.core.prepare import Prepared


def support_stage(
    prep: Prepared, lp: tuple, sense: int, time_limit: float, gap: float
) -> SolveOutcome | None:
    """The first stage proven optimal on the LP relaxation's support; a plan not proven
    optimal (status ``feasible``, a start for the full MIP); or None.

    ``HighsModel.support_mip`` solves the MIP with every integer column the LP solution
    leaves at 0 fixed at 0. Its plans are plans of the full model, so its optimum is a lower
    bound (maximising) on the full optimum; the LP relaxation is an upper bound. When the
    two meet within the MIP gap (relative, as HiGHS measures it, plus 1e-9 absolute) the
    restricted solution is optimal for the full model and is returned with the LP bound as
    its bound; otherwise the full MIP is solved, as before.
    """
    out = prep.highs.support_mip(lp[0], time_limit=time_limit, mip_gap=gap)
    return judged_by_lp_bound(out, lp[1], sense, gap, "on the LP support")


def judged_by_lp_bound(
    out: SolveOutcome, lp_bound: float, sense: int, gap: float, where: str
) -> SolveOutcome | None:
    """A restricted MIP's outcome judged against the full model's LP bound: ``optimal`` (with
    the LP bound as its bound) when the two meet within the MIP gap (relative, as HiGHS
    measures it, plus 1e-9 absolute), else the same plan as ``feasible``; None without a
    plan. ``where`` names the restriction in the message."""
    if out.x is None or out.objective is None:
        return None
    z = out.objective
    shortfall = (lp_bound - z) if sense == pyo.maximize else (z - lp_bound)
    if shortfall > gap * abs(z) + 1e-9:
        out.status = "feasible"
        return out
    return SolveOutcome(
        status="optimal",
        objective=z,
        bound=lp_bound,
        gap=max(shortfall, 0.0) / max(abs(z), 1e-12),
        seconds=out.seconds,
        x=out.x,
        message=f"Optimal (LP bound reached {where})",
    )
