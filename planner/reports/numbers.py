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
