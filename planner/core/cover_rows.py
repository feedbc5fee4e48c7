"""The capacity_outside rows (``models.covers``) a solve adds to its HiGHS model, and takes back.

Why here and not in ``planner.core.solve``: which rows to add depends on a plan (the share
caps it spends up to) and on the rows being as built, and each must be relaxed when the solve
ends; that bookkeeping is one job, apart from the order of the stages.
"""

from __future__ import annotations

import numpy as np

from models.covers import Cover, cover_expression, share_cap_covers
from planner.core.prepare import Prepared

#: The extra rows ``add_covers`` adds are named ``capacity_outside_<family>[group,t]``.
COVER_PREFIX = "capacity_outside_"


def binding_covers(prep: Prepared, x: np.ndarray | None) -> list[Cover]:
    """The capacity_outside rows (``models.covers``) of the share caps that ``x`` (a plan)
    meets with equality: there the cap decides how much capacity the rest of the options must
    hold, and the row, rounded by HiGHS's cuts, lifts the bound of the cost tie-break (UK:
    the public operator at its 60% cap in every period; stage 2 went 350 to 63 nodes).

    Only which rows are added depends on ``x``; every row holds for every plan of the model
    (``models.covers``), so the optimum cannot depend on it. That proof needs the target row
    and the cover's share row as built: a row whose bounds a study has moved (stress's crisis
    plan delivers less than the target or loosens a cap; the diagnosis relaxes limits) gives
    no cover."""
    if x is None:
        return []
    m, h, inp = prep.model, prep.highs, prep.inputs
    out = []
    for cover in share_cap_covers(inp):
        t = cover.period
        share = getattr(m, cover.share_row, None)
        if share is None or (cover.key, t) not in share:
            continue
        rows = [h.row_of.get(id(m.target_met[t])), h.row_of.get(id(share[cover.key, t]))]
        if None in rows or not h.rows_as_built(rows).all():
            continue
        tol = 1e-6 * max(1.0, float(inp.target[t]))
        cols = [h.col_of[id(m.q[a, t])] for a in cover.inside]
        if float(np.sum(x[cols])) >= cover.cap * float(inp.target[t]) - tol:
            out.append(cover)
    return out


def add_covers(prep: Prepared, covers: list[Cover]) -> list[str]:
    """Add (or re-bind) ``covers`` as extra rows of the HiGHS model; returns their names, for
    ``HighsModel.relax_row`` once the solve that needs them is done. The right-hand side is
    lowered by 1e-6·max(1, D_t): the model's own rows hold only to HiGHS's feasibility
    tolerance, and their sum must not be cut off by rounding."""
    m, h, inp = prep.model, prep.highs, prep.inputs
    names = []
    for cover in covers:
        slack = 1e-6 * max(1.0, float(inp.target[cover.period]))
        h.set_row(cover.name, cover_expression(m, inp, cover), lower=cover.rhs - slack)
        names.append(cover.name)
    return names


def relax_covers(prep: Prepared) -> None:
    """Make every capacity_outside row added so far non-binding (``add_covers``)."""
    h = prep.highs
    for name in h.extra_rows:
        if name.startswith(COVER_PREFIX):
            h.relax_row(name)
