"""Solve a scenario into a Plan: the public ``planner.solve`` and what ``sovplan solve`` runs.

Why its own module: every ``sovplan solve`` is a new process, and the diagnosis of an
infeasible scenario (``planner.studies.diagnose``, a thousand lines of experiments) is needed
only when the plan is infeasible. Kept here, the solve path imports it only then (issue 27:
each bundled scenario is feasible, and a CLI solve compiles every project module it imports,
as ``PYTHONDONTWRITEBYTECODE`` leaves no bytecode to reuse); the plan's ranges
(``planner.studies.ranges``) likewise only when asked for and the plan is solved.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from planner.core import deadline as clock
from planner.core.prepare import prepare
from planner.core.screens import screen
from planner.core.solve import solve_prepared

if TYPE_CHECKING:  # pragma: no cover
    from planner.core.data import Tables
    from planner.core.results import Plan
    from planner.core.scenario import Scenario

#: statuses a diagnosis explains (``planner.studies.diagnose.attach`` leaves others alone)
DIAGNOSED = ("infeasible", "infeasible_or_unbounded")


def solve_and_diagnose(
    scenario: Scenario | str,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    objective: str = "sovereignty",
    tables: Tables | None = None,
    diagnose: bool = True,
    ranges: bool = False,
    warm: Any = None,
) -> Plan:
    """Solve a scenario (a Scenario or a path to its YAML) and return the Plan; this is the
    public ``planner.solve``.

    An infeasible plan carries ``plan.diagnosis`` unless ``diagnose`` is False. The model is
    prepared once and the diagnosis experiments run on the same HiGHS instance. With
    ``ranges`` a solved plan also carries ``plan.ranges``: the fixed plan priced and scored
    across the scenario's futures or the default sample (``planner.studies.ranges``; no
    re-solve, within the same time limit). Off by default: a sweep or study solving many
    scenarios needs no range on each. ``warm``: the
    ``Plan.warm_start`` of a solve of this scenario before an edit (``planner.core.warm``).
    """
    time_limit = clock.check_time_limit(time_limit, "time_limit")
    with clock.scope(time_limit):
        prep = prepare(scenario, tables=tables)
        with clock.scope(None if time_limit is not None else prep.scenario.solver.time_limit):
            screens = screen(prep)
            plan = solve_prepared(
                prep, objective, time_limit=time_limit, mip_gap=mip_gap, screens=screens,
                warm=warm,
            )  # fmt: skip
            if diagnose:
                t0 = time.perf_counter()
                if plan.status in DIAGNOSED:  # the diagnosis module only when it has work
                    from planner.studies.diagnose import attach

                    attach(plan, prep, screens, clock.remaining())
                plan.timings["diagnose_s"] = time.perf_counter() - t0
                plan.timings["total_s"] += plan.timings["diagnose_s"]
        # outside the solver's own limit (a solve may use all of it), inside the command's
        if ranges and plan.ok:
            from planner.studies.ranges import attach_ranges

            t0 = time.perf_counter()
            attach_ranges(plan, prep)
            plan.timings["ranges_s"] = time.perf_counter() - t0
            plan.timings["total_s"] += plan.timings["ranges_s"]
    return plan
