"""Global sensitivity analysis through SALib: Morris screening and Sobol indices.

The sweep (planner/sweep.py) asks this module for a sample matrix, runs one solve per
distinct row, and hands the outputs back here to be analysed. Samplers and estimators are
SALib's; this module only translates between the sweep's parameters and SALib's
``problem`` dictionaries, and turns the results into tidy DataFrames.

- Morris (elementary effects): ``samples`` trajectories of ``D + 1`` points each, on a
  4-level grid; cheap screening that ranks parameters by ``mu_star`` (mean absolute effect)
  and flags non-linearity or interactions by ``sigma``.
- Sobol (variance decomposition): Saltelli's scheme, ``samples`` (a power of 2) times
  ``D + 2`` runs (first-order ``S1`` and total ``ST`` indices; second order is not computed,
  which would double the runs).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.core.errors import InputError

MORRIS_LEVELS = 4


def problem(names: list[str], bounds: list[tuple[float, float]]) -> dict[str, Any]:
    """SALib's problem definition: names and [low, high] bounds of each parameter."""
    for name, (lo, hi) in zip(names, bounds, strict=True):
        if not hi > lo:
            raise InputError(
                f"--param {name}: a global method needs a range low < high, got [{lo}, {hi}] "
                f"(give two or more numeric values, e.g. {name}=0.8:1.2:3)"
            )
    return {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [[float(lo), float(hi)] for lo, hi in bounds],
    }


def run_count(method: str, samples: int, num_vars: int) -> int:
    """Rows of the sample matrix (runs before de-duplication)."""
    if method == "morris":
        return samples * (num_vars + 1)
    if method == "sobol":
        return samples * (num_vars + 2)
    raise InputError(f"method '{method}': not a global method (morris or sobol)")


#: seeds SALib's samplers accept (numpy's legacy generator: 0 to 2^32 - 1)
MAX_SEED = 2**32 - 1


def check_seed(seed: Any) -> int:
    """The sample's seed, or InputError: a whole number from 0 to MAX_SEED (numpy refuses
    the rest deep inside SALib with a bare ValueError)."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= seed <= MAX_SEED
    ):
        raise InputError(f"--seed {seed!r}: must be a whole number from 0 to {MAX_SEED:,}")
    return int(seed)


def sample(method: str, prob: dict[str, Any], samples: int, seed: int) -> np.ndarray:
    """The sample matrix (one row per run) of SALib's sampler for ``method``; deterministic."""
    seed = check_seed(seed)
    if method == "morris":
        from SALib.sample import morris

        if samples < 2:
            raise InputError(f"--samples {samples}: Morris needs at least 2 trajectories")
        return morris.sample(prob, samples, num_levels=MORRIS_LEVELS, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        if samples < 2 or samples & (samples - 1):
            low = 1 << max(1, samples.bit_length() - 1)
            raise InputError(
                f"--samples {samples}: Sobol needs a power of 2 (its sequence converges only "
                f"then); try {low} or {low * 2}"
            )
        return sobol.sample(prob, samples, calc_second_order=False, seed=seed)
    raise InputError(f"method '{method}': not a global method (morris or sobol)")


def analyse(
    method: str, prob: dict[str, Any], x: np.ndarray, y: np.ndarray, seed: int = 0
) -> pd.DataFrame:
    """Indices for each parameter as a DataFrame (one row per parameter).

    Morris: ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``; Sobol: ``S1``, ``S1_conf``,
    ``ST``, ``ST_conf``. ``y`` must hold one finite output per row of ``x``.
    """
    y = np.asarray(y, dtype=float)
    if len(y) != len(x):
        raise InputError(f"{len(y)} outputs for {len(x)} sample rows")
    if not np.all(np.isfinite(y)):
        raise InputError(
            f"{int((~np.isfinite(y)).sum())} of {len(y)} runs have no value for this output; "
            "SALib needs every run (fill failed runs, or finish the sweep with --resume)"
        )
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(prob, x, y, num_levels=MORRIS_LEVELS, seed=seed)
        cols = ["mu", "mu_star", "sigma", "mu_star_conf"]
    elif method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(prob, y, calc_second_order=False, seed=seed)
        cols = ["S1", "S1_conf", "ST", "ST_conf"]
    else:
        raise InputError(f"method '{method}': not a global method (morris or sobol)")
    frame = pd.DataFrame({c: np.asarray(res[c], dtype=float) for c in cols})
    frame.insert(0, "parameter", prob["names"])
    return frame
