"""Sidebar: choose a scenario and edit its money, limits, strategy, weights and switches.

Every widget's default is the loaded scenario's value; widget keys start with ``in:`` so
"Reset" (and loading another scenario) can forget them all at once. The widgets return a
mapping of dotted scenario keys -> values that ``ui.support.build_scenario`` writes
over the file's own mapping (None removes a key, i.e. the limit is not enforced).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from planner.core.scenario import Constraints, Scenario, read_yaml
from ui import support as ui_support

INPUT_PREFIX = "in:"
EDITOR_PREFIX = "ed:"

SHARE_LIMITS = {
    "max_share_provider": ("Max share of one provider", 0.4),
    "max_share_chip_designer": ("Max share of one chip designer", 0.6),
    "max_share_foreign_jurisdiction": ("Max dependence on one foreign jurisdiction", 0.5),
    "min_home_share": ("Territorial floor: min share on home soil", 0.3),
    "resilience": ("N-1 resilience: share of target kept", 0.5),
    "max_share_country": ("Max share of one host country", 0.5),
}
COUNT_LIMITS = {
    "min_providers": "Min number of providers",
    "min_chip_designers": "Min number of chip designers",
    "min_countries": "Min number of host countries",
}
CONSTRAINT_LABELS = {
    "budget": "Budget",
    "energy_cost": "Energy-cost cap",
    "grid_power": "Grid power per country",
    "diversification": "Diversification (shares, counts)",
    "territorial": "Territorial floor",
    "resilience": "N-1 resilience",
    "supply_caps": "Chip supply caps",
    "export_controls": "Chip export controls",
    "buildout": "Build-out (non-decreasing, ramp)",
    "siting": "Siting spread (country share, host count)",
    "fab_dependency": "Chips depend on their foundry's jurisdiction",
}
#: Which sidebar group shows the errors of each top-level scenario field.
GROUP_OF_FIELD = {
    "target": "money",
    "budget": "money",
    "energy_cost_cap": "money",
    "emissions_cap_kt": "money",
    "limits": "limits",
    "strategy": "strategy",
    "weights": "weights",
    "constraints": "constraints",
    "solver": "money",
    "exclude": "eligibility",
    "require": "eligibility",
}


@dataclass
class Source:
    """The scenario the user picked: its raw mapping and where it came from."""

    raw: dict[str, Any]
    label: str
    base_dir: Path | None
    source_id: str


def forget_inputs(prefixes: tuple[str, ...] = (INPUT_PREFIX, EDITOR_PREFIX)) -> None:
    """Drop every widget value with one of the prefixes (the widgets fall back to the file)."""
    for key in list(st.session_state.keys()):
        if str(key).startswith(prefixes):
            del st.session_state[key]


def choose_source() -> Source | None:
    """Bundled scenario picker and YAML upload; returns None (with a message) if neither."""
    folder = ui_support.scenario_dir()
    files = ui_support.list_scenarios(folder)
    st.sidebar.header("Scenario")
    choice: Path | None = None
    if files:
        choice = st.sidebar.selectbox(
            "Bundled scenario",
            files,
            format_func=lambda p: p.stem,
            key="scenario_file",
            help=f"YAML files in {folder}",
        )
    else:
        st.sidebar.info(f"No scenario files in {folder} yet: upload a scenario YAML below.")
    upload = st.sidebar.file_uploader(
        "…or upload a scenario YAML", type=["yaml", "yml"], key="scenario_upload"
    )
    if upload is not None:
        content = upload.getvalue()
        digest = hashlib.sha256(content).hexdigest()[:12]
        raw = ui_support.parse_yaml_text(content, upload.name)
        return Source(raw, upload.name, None, f"upload:{upload.name}:{digest}")
    if choice is None:
        return None
    return Source(read_yaml(choice), str(choice), choice.parent, f"file:{choice}")


def _share_limit(name: str, label: str, fallback: float, current: float | None) -> float | None:
    on = st.checkbox(label, value=current is not None, key=f"{INPUT_PREFIX}on:{name}")
    value = st.slider(
        f"{label} (0-1)",
        min_value=0.0,
        max_value=1.0,
        value=float(current if current is not None else fallback),
        step=0.05,
        key=f"{INPUT_PREFIX}limits.{name}",
        disabled=not on,
        label_visibility="collapsed",
    )
    return float(value) if on else None


def scenario_inputs(
    sc: Scenario, jurisdictions: list[str], tables: Any = None
) -> tuple[dict[str, Any], dict]:
    """Draw the input widgets (defaults from ``sc``); return the overrides and error slots."""
    out: dict[str, Any] = {}
    slots: dict[str, Any] = {}
    k = INPUT_PREFIX

    with st.sidebar.expander("Target and money", expanded=True):
        target = {}
        for period in sc.periods:
            target[period] = st.number_input(
                f"Target {period} (EFLOP/s)",
                min_value=0.0,
                value=float(sc.target[period]),
                step=max(1.0, round(float(sc.target[period]) / 10, 0)),
                key=f"{k}target.{period}",
            )
        out["target"] = target
        out["budget"] = st.number_input(
            "Budget (MUSD over the horizon)",
            min_value=0.0,
            value=None if sc.budget is None else float(sc.budget),
            step=1000.0 if (sc.budget or 0) >= 5000 else 5.0,
            placeholder="no budget",
            key=f"{k}budget",
            help="Total cost of the plan over the horizon, million USD; empty = no budget",
        )
        out["energy_cost_cap"] = st.number_input(
            "Energy-cost cap (MUSD over the horizon)",
            min_value=0.0,
            value=None if sc.energy_cost_cap is None else float(sc.energy_cost_cap),
            step=100.0,
            placeholder="no cap",
            key=f"{k}energy_cost_cap",
            help="Electricity cost over the horizon, million USD; empty = no cap",
        )
        out["emissions_cap_kt"] = st.number_input(
            "Emissions cap (kt CO2e over the horizon)",
            min_value=0.0,
            value=None if sc.emissions_cap_kt is None else float(sc.emissions_cap_kt),
            step=100.0,
            placeholder="no cap",
            key=f"{k}emissions_cap_kt",
        )
        out["solver.time_limit"] = st.number_input(
            "Solver time limit (s)",
            min_value=1.0,
            max_value=3600.0,
            value=float(sc.solver.time_limit),
            step=10.0,
            key=f"{k}solver.time_limit",
        )
        slots["money"] = st.empty()

    with st.sidebar.expander("Limits", expanded=True):
        for name, (label, fallback) in SHARE_LIMITS.items():
            out[f"limits.{name}"] = _share_limit(name, label, fallback, getattr(sc.limits, name))
        for name, label in COUNT_LIMITS.items():
            current = getattr(sc.limits, name)
            value = st.number_input(
                label,
                min_value=0,
                max_value=100,
                value=None if current is None else int(current),
                step=1,
                placeholder="not enforced",
                key=f"{k}limits.{name}",
            )
            out[f"limits.{name}"] = None if value is None else int(value)
        slots["limits"] = st.empty()

    with st.sidebar.expander("Strategy and weights", expanded=False):
        options = ["hedge", "hedge_blocs", "none", "align", *[f"align:{j}" for j in jurisdictions]]
        if sc.strategy not in options:
            options.append(sc.strategy)
        out["strategy"] = st.selectbox(
            "Strategy",
            options,
            index=options.index(sc.strategy),
            key=f"{k}strategy",
            help="hedge: enforce the diversification limits; hedge_blocs: also spread foreign "
            "dependence over two rival blocs; none: ignore them; "
            "align: all foreign dependence within one ally (align:<J> fixes the ally)",
        )
        slots["strategy"] = st.empty()
        st.caption("Layer weights (normalised to sum to 1)")
        for layer in ("territorial", "provider", "chip", "fab"):
            out[f"weights.{layer}"] = st.slider(
                f"Weight: {layer}",
                min_value=0.0,
                max_value=1.0,
                value=round(float(getattr(sc.weights, layer)), 2),
                step=0.05,
                key=f"{k}weights.{layer}",
            )
        total = sum(out[f"weights.{x}"] for x in ("territorial", "provider", "chip", "fab"))
        if total > 0:
            st.caption(
                "Normalised: "
                + ", ".join(
                    f"{x} {out[f'weights.{x}'] / total:.2f}"
                    for x in ("territorial", "provider", "chip", "fab")
                )
            )
        out["weights.resilience"] = st.slider(
            "Value of resilience (weight of the worst-case N-1 kept share)",
            min_value=0.0,
            max_value=1.0,
            value=round(float(sc.weights.resilience), 2),
            step=0.05,
            key=f"{k}weights.resilience",
        )
        slots["weights"] = st.empty()

    if tables is not None:
        with st.sidebar.expander("Eligibility (exclude, require)", expanded=False):
            choices = {
                "countries": sorted(tables.countries["iso3"].astype(str)),
                "providers": sorted(tables.providers["code"].astype(str)),
                "chips": sorted(tables.chips["code"].astype(str)),
                "designers": sorted(set(tables.chips["designer"].astype(str))),
                "jurisdictions": list(jurisdictions),
            }
            for kind, values in choices.items():
                current = [v for v in getattr(sc.exclude, kind) if v in values]
                out[f"exclude.{kind}"] = st.multiselect(
                    f"Exclude {kind}", values, default=current, key=f"{k}exclude.{kind}"
                )
            held = {
                c.strip()
                for v in tables.providers.get("certifications", [])
                for c in str(v).split(";")
                if c.strip()
            }
            certs = sorted(held | {"SecNumCloud", "EUCS", "BSI C5", "FedRAMP", "UK G-Cloud"})
            out["require.certifications"] = st.multiselect(
                "Require one of these provider certifications",
                certs,
                default=[c for c in sc.require.certifications if c in certs],
                key=f"{k}require.certifications",
                help="Keeps only providers holding one (providers.csv); the public option stays",
            )
            slots["eligibility"] = st.empty()

    with st.sidebar.expander("Constraint families", expanded=False):
        for name in Constraints.model_fields:
            out[f"constraints.{name}"] = st.toggle(
                CONSTRAINT_LABELS.get(name, name),
                value=bool(getattr(sc.constraints, name)),
                key=f"{k}constraints.{name}",
            )
        slots["constraints"] = st.empty()
    return out, slots


def show_problems(problems: list[tuple[str, str]], slots: dict) -> list[str]:
    """Write each validation problem under its widget group; return those with no group."""
    by_group: dict[str, list[str]] = {}
    loose: list[str] = []
    for field, message in problems:
        group = GROUP_OF_FIELD.get(field.split(".")[0]) if field else None
        text = f"{field}: {message}" if field else message
        if group in slots:
            by_group.setdefault(group, []).append(text)
        else:
            loose.append(text)
    for group, messages in by_group.items():
        slots[group].error("\n\n".join(messages))
    return loose
