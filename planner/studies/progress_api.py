"""The public ``pareto`` and ``alternatives`` with an optional ``progress`` callback.

Both studies are sequences of HiGHS solves; ``planner.core.progress.track`` counts them
as they finish (worker processes included), so a caller gets ``progress(done, total)``
with an estimated total and can drive any bar (tqdm, a notebook widget, the app's
``st.progress``). The estimate: Pareto solves its payoff table (about two solves per
objective) and then at most one solve per grid point (fewer when points are bypassed);
alternatives solve the optimum (the objective, then the cost tie-break) and two solves per
alternative (the difference penalty, then cost).
"""

from __future__ import annotations

from typing import Any

from planner.core.progress import ProgressCallback, track
from planner.studies.alternatives import alternatives as _alternatives
from planner.studies.pareto import pareto as _pareto


def pareto_solves(points: int | None, z: str | None) -> int:
    """Estimated solves of a Pareto study: payoff table plus one per grid point."""
    k = 3 if z else 2
    grid = (points or 21) ** (2 if z else 1)
    return 2 * k + grid


def alternatives_solves(n: int) -> int:
    """Estimated solves of an alternatives study of ``n`` plans."""
    return 2 * max(int(n), 1)


def pareto(*args: Any, progress: ProgressCallback | None = None, **kwargs: Any) -> Any:
    """``planner.studies.pareto.pareto`` (same arguments) reporting ``progress(done, total)``
    in solves as they finish."""
    points = kwargs.get("points", args[3] if len(args) > 3 else 21)
    z = kwargs.get("z", args[4] if len(args) > 4 else None)
    with track(pareto_solves(points, z), progress):
        return _pareto(*args, **kwargs)


def alternatives(*args: Any, progress: ProgressCallback | None = None, **kwargs: Any) -> Any:
    """``planner.studies.alternatives.alternatives`` (same arguments) reporting
    ``progress(done, total)`` in solves as they finish."""
    n = kwargs.get("n", args[2] if len(args) > 2 else 5)
    with track(alternatives_solves(n), progress):
        return _alternatives(*args, **kwargs)


pareto.__doc__ = (pareto.__doc__ or "") + "\n\n" + (_pareto.__doc__ or "")
alternatives.__doc__ = (alternatives.__doc__ or "") + "\n\n" + (_alternatives.__doc__ or "")
