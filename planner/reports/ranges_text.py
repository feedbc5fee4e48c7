"""A plan's ranges in words: the one line under the cost and the sentence of the reading.

Every face (``sovplan solve``, the plan's reading, the brief, the app) prints the same words
from ``plan.ranges`` (``planner.studies.ranges``), so the range a minister reads in the brief
is the one the analyst saw on the terminal.
"""

from __future__ import annotations

from typing import Any

#: Plain names of the inputs the default sample draws (others print as their scenario key).
LABELS = {
    "economics.electricity_price_scale": "electricity prices",
    "economics.chip_price_scale": "chip prices",
    "economics.price_performance_trend": "the placeholder chips' price trend",
    "economics.discount_rate": "the discount rate",
}


def input_label(key: str) -> str:
    """'chip prices' for economics.chip_price_scale, 'trust in USA' for scores.USA."""
    if key.startswith("scores."):
        return f"trust in {key.split('.', 1)[1]}"
    return LABELS.get(key, key)


def _value(key: str, value: float) -> str:
    if key.endswith("_scale"):
        return f"x{value:.2f}"
    if key == "economics.discount_rate":
        return f"{value:.1%}"
    return f"{value:.2f}"


def _has_numbers(ranges: dict[str, Any] | None) -> bool:
    return bool(ranges) and bool(ranges.get("cost_musd"))


def _futures(ranges: dict[str, Any]) -> str:
    n = int(ranges.get("futures", 0))
    if ranges.get("source") == "default":
        return f"{n} futures drawn from the default ranges"
    return f"the scenario's {n} futures"


def _driver(ranges: dict[str, Any]) -> str:
    d = ranges.get("driver") or {}
    if not d:
        return ""
    key = str(d.get("input", ""))
    if "cost_at_low_musd" in d:
        return (
            f"moved most by {input_label(key)} ({_value(key, d['low'])} to "
            f"{_value(key, d['high'])}: {d['cost_at_low_musd']:,.0f} to "
            f"{d['cost_at_high_musd']:,.0f} MUSD, others as given)"
        )
    return f"moved most by the future '{key}' ({d['cost_musd']:,.0f} MUSD)"


def _misses(ranges: dict[str, Any]) -> str:
    parts = []
    if ranges.get("share_infeasible", 0) > 0:
        parts.append(f"cannot be carried out in {ranges['share_infeasible']:.0%}")
    if ranges.get("share_missing_target", 0) > 0:
        parts.append(f"misses the target in {ranges['share_missing_target']:.0%}")
    if ranges.get("share_over_budget", 0) > 0:
        parts.append(f"exceeds the budget in {ranges['share_over_budget']:.0%}")
    return (", ".join(parts) + " of futures") if parts else "meets target and budget in all"


def range_line(ranges: dict[str, Any] | None) -> str:
    """The line under the cost: P10-P90 (and min-max) of cost, the index where it moves,
    the share of futures where the plan fails, and the input that moves the cost most."""
    if not ranges:
        return ""
    if not _has_numbers(ranges):
        notes = ranges.get("notes") or []
        return f"Range: none ({'; '.join(notes)})" if notes else ""
    c, i = ranges["cost_musd"], ranges.get("index") or {}
    line = (
        f"Range over {_futures(ranges)} (same plan re-priced, not re-solved): cost P10-P90 "
        f"{c['p10']:,.0f}-{c['p90']:,.0f} MUSD (min-max {c['min']:,.0f}-{c['max']:,.0f})"
    )
    if ranges.get("index_moves"):
        line += f"; index {i['p10']:.3f}-{i['p90']:.3f} (min-max {i['min']:.3f}-{i['max']:.3f})"
    line += f"; {_misses(ranges)}"
    driver = _driver(ranges)
    return line + (f"; cost {driver}" if driver else "")


def range_sentence(ranges: dict[str, Any] | None) -> str:
    """The reading's sentence: how sure the cost is, and what it hinges on."""
    if not _has_numbers(ranges):
        return ""
    assert ranges is not None
    c, i = ranges["cost_musd"], ranges.get("index") or {}
    text = (
        f"Across {_futures(ranges)}, the same plan (re-priced, not re-solved) would cost "
        f"{c['p10']:,.0f} to {c['p90']:,.0f} MUSD in 8 futures out of 10"
    )
    if ranges.get("index_moves"):
        text += f" and score {i['p10']:.3f} to {i['p90']:.3f}"
    text += "."
    d = ranges.get("driver") or {}
    if "cost_at_low_musd" in d:
        key = str(d["input"])
        text += (
            f" The input that moves the cost most is {input_label(key)}: from "
            f"{_value(key, d['low'])} to {_value(key, d['high'])} the cost goes from "
            f"{d['cost_at_low_musd']:,.0f} to {d['cost_at_high_musd']:,.0f} MUSD."
        )
    elif d:
        text += (
            f" The future that moves the cost most is '{d['input']}' ({d['cost_musd']:,.0f} MUSD)."
        )
    idx = d.get("index_driver") or {}
    if idx and ranges.get("index_moves"):
        key = str(idx["input"])
        text += (
            f" The index moves most with {input_label(key)}: from {_value(key, idx['low'])} to "
            f"{_value(key, idx['high'])} it goes from {idx['index_at_low']:.3f} to "
            f"{idx['index_at_high']:.3f}."
        )
    fails = _misses(ranges)
    if not fails.startswith("meets"):
        text += f" The plan {fails}."
        text += _which_fail(ranges)
    return text


def _which_fail(ranges: dict[str, Any]) -> str:
    """Name the scenario's futures where the plan cannot be carried out or misses its target,
    and the command that plans for them: an analyst reading "misses the target in 10% of
    futures" asks which future, and what would hold in it. Drawn futures have no names worth
    reading, so only the scenario's own are named."""
    if ranges.get("source") != "scenario":
        return ""
    names = [
        str(o["name"])
        for o in ranges.get("per_future") or []
        if o.get("missing") or o.get("meets_target") is False
    ]
    if not names:
        return ""
    listed = ", ".join(f"'{n}'" for n in names)
    return (
        f" It falls short in {listed}; `sovplan robust` plans the first periods once for "
        "every future in the scenario, so that they hold in these too."
    )
