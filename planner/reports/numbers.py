"""Numbers as a reader sees them: no float noise, no signed "more", units spelled once.

Solver values carry noise far below what the model can distinguish (a slack of -1.1e-16, a
share of 0.8200000000000001); these helpers show them at the precision that means something,
so the CLI, the app and the brief print the same words.
"""

from __future__ import annotations

import math

import pandas as pd

#: Absolute noise floor of solver values (HiGHS's feasibility tolerance is 1e-7).
NOISE = 1e-7


def denoise(value: float, tol: float = NOISE) -> float:
    """``value`` with anything within ``tol`` of zero shown as 0 (never -0.0)."""
    if value is None or not math.isfinite(value):
        return value
    return 0.0 if abs(value) <= tol else float(value)


def limits_for_display(limits: pd.DataFrame, tol: float = NOISE) -> pd.DataFrame:
    """The limits table with float noise removed from ``slack`` (what a reader sees; the
    plan keeps the exact values): a slack inside the binding tolerance reads 0."""
    out = limits.copy()
    if out.empty:
        return out
    for col in ("value", "actual"):
        out[col] = [round(float(v), 6) if isinstance(v, int | float) else v for v in out[col]]
    out["slack"] = [
        0.0 if bool(b) or abs(float(s)) <= tol * max(1.0, abs(float(v))) else round(float(s), 6)
        for s, b, v in zip(out["slack"], out["binding"], out["value"], strict=True)
    ]
    return out


def money_change(delta: float, tol: float = 0.5) -> str:
    """'costs 120 MUSD more', 'costs 5 MUSD less' or 'costs the same' (to the MUSD)."""
    if abs(delta) < tol:
        return "costs the same"
    word = "more" if delta > 0 else "less"
    return f"costs {abs(delta):,.0f} MUSD {word}"


def musd(value: float) -> str:
    """Money rounded to the MUSD with thousands separators: '10,055 MUSD'."""
    return f"{value:,.0f} MUSD"


def readable(value: float) -> str:
    """A number in a table of mixed quantities: indices and shares (below 10) with three
    decimals, money and energy to the unit with separators: never '1.006e+04' beside '8926'."""
    if value is None or not math.isfinite(value):
        return ""
    if abs(value) < 10:
        return f"{denoise(value, 5e-4):.3f}"
    return f"{value:,.0f}"


#: How each Pareto/alternatives objective is shown (unit included).
OBJECTIVE_FORMATS = {
    "cost": "{:,.0f} MUSD",
    "energy_cost": "{:,.0f} MUSD",
    "emissions": "{:,.0f} kt CO2e",
    "resilience": "{:.0%}",
}


def objective_value(name: str, value: float) -> str:
    """An objective's value as a reader wants it ('10,055 MUSD', '0.820', '44%')."""
    return OBJECTIVE_FORMATS.get(name, "{:.3f}").format(value)


def table_for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a results table with each float column rounded as ``readable`` would show
    it (three decimals for columns of indices and shares, whole units for money and energy),
    so an app table shows 10055, not 10055.3654, and never float noise."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            big = out[col].abs().max(skipna=True)
            out[col] = out[col].round(3 if not (big >= 10) else 0)
    return out
