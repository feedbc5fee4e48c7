"""Sidebar: choose a scenario and edit its money, limits, strategy, weights and switches.

Every widget's default is the loaded scenario's value. Widget keys are
``in:<generation>:<field>`` (data editors ``ed:<generation>:<table>``): a browser keeps a
widget's last value for as long as its key exists and sends it back with every interaction,
so deleting the value from the session is not enough to forget it. Loading another scenario,
or "Reset", starts a new generation instead: new keys are new widgets, and new widgets take
their defaults from the file now loaded. Widget ranges come from the scenario schema, so any
valid file fits its widgets. The widgets return a mapping of dotted scenario keys -> values
that ``ui.support.build_scenario`` writes over the file's own mapping (None removes a
key, i.e. the limit is not enforced).
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from planner.core.files import MAX_SCENARIO_BYTES
from planner.core.scenario import (
    Constraints,
    Limits,
    Scenario,
    Solver,
    Weights,
    field_bounds,
    read_yaml,
)
from ui import support as ui_support
from ui.safe_text import md_text

INPUT_PREFIX = "in:"
EDITOR_PREFIX = "ed:"
#: Session keys holding the current generation of each family of widget keys.
GENERATION_KEYS = {INPUT_PREFIX: "inputs_generation", EDITOR_PREFIX: "tables_generation"}

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


def widget_key(name: str, prefix: str = INPUT_PREFIX) -> str:
    """The session key of an input widget in the current generation (see the module doc)."""
    return f"{prefix}{st.session_state.get(GENERATION_KEYS[prefix], 0)}:{name}"


def forget_inputs(prefixes: tuple[str, ...] = (INPUT_PREFIX, EDITOR_PREFIX)) -> None:
    """Start the widgets of these families afresh, with the loaded file's values.

    Call before the widgets are drawn. The old values are dropped (so the session does not
    grow) and the generation moves on, so the browser's copies of the old widgets are ignored.
    """
    for key in list(st.session_state.keys()):
        if str(key).startswith(prefixes):
            del st.session_state[key]
    for prefix in prefixes:
        name = GENERATION_KEYS[prefix]
        st.session_state[name] = st.session_state.get(name, 0) + 1


def _float_bounds(model: type, name: str) -> dict[str, float | None]:
    """min_value/max_value keyword arguments for a float widget, from the schema."""
    lo, hi = field_bounds(model, name)
    return {
        "min_value": None if lo is None else float(lo),
        "max_value": None if hi is None else float(hi),
    }


#: The two scenario sources; one selector picks which is active, so an upload can never
#: silently override the picker (nor the picker an upload).
SOURCE_SERVER = "This server's scenarios"
SOURCE_UPLOAD = "Upload a YAML file"
#: the uploader's own limit, in Streamlit's megabytes: the scenario loader's cap rounded up
#: (a file between 1,000,000 bytes and 1 MiB passes the box and is refused by the loader,
#: with a message saying so)
UPLOAD_LIMIT_MB = max(1, -(-MAX_SCENARIO_BYTES // (1024 * 1024)))


def choose_source() -> Source | None:
    """One selector (this server's scenarios, or an upload), then that source's widget;
    returns None, with a message in the page, while the chosen source has no scenario."""
    folder = ui_support.scenario_dir()
    files = ui_support.list_scenarios(folder)
    st.sidebar.header("Scenario")
    options = [SOURCE_SERVER, SOURCE_UPLOAD] if files else [SOURCE_UPLOAD]
    kind = st.sidebar.radio(
        "Scenario source",
        options,
        key="scenario_source",
        help="Which scenario the inputs and Solve use: one of the files this server offers, "
        "or a scenario YAML of your own",
    )
    if kind == SOURCE_UPLOAD:
        upload = st.sidebar.file_uploader(
            f"Scenario YAML (at most {MAX_SCENARIO_BYTES / 1e6:g} MB)",
            type=["yaml", "yml"],
            key="scenario_upload",
            max_upload_size=UPLOAD_LIMIT_MB,
            help=f"A scenario file of at most {MAX_SCENARIO_BYTES:,} bytes (see `sovplan schema`)",
        )
        if upload is None:
            if files:
                st.info("Upload a scenario YAML in the sidebar, or switch the source back to "
                        "this server's scenarios.")  # fmt: skip
            else:
                st.info(
                    "No scenario to show: this server offers no scenario YAML files. "
                    "Upload one in the sidebar."
                )
            return None
        content = upload.getvalue()
        digest = hashlib.sha256(content).hexdigest()[:12]
        raw = ui_support.parse_yaml_text(content, upload.name)
        return Source(raw, upload.name, None, f"upload:{upload.name}:{digest}")
    choice = st.sidebar.selectbox(
        "Bundled scenario",
        files,
        format_func=lambda p: p.stem,
        key="scenario_file",
        help="The scenario files this server offers",
    )
    # labelled by file name: messages quoting the label must not show server folders
    stat = choice.stat()
    raw = scenario_file(str(choice), stat.st_mtime_ns, stat.st_size)
    return Source(raw, choice.name, choice.parent, f"file:{choice}")


@st.cache_data(show_spinner=False, max_entries=32)
def scenario_file(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """A scenario file's raw mapping, read once per version of the file (path, modification
    time and size are the key): every rerun of the page used to parse the YAML again. A
    copy each time (``st.cache_data``), so the caller may change it."""
    return read_yaml(Path(path))


@st.cache_data(show_spinner=False, max_entries=64)
def built_scenario(
    raw_key: str,
    overrides_key: str,
    label: str,
    base_dir: str | None,
    _raw: dict[str, Any],
    _overrides: dict[str, Any],
) -> Scenario:
    """``ui.support.build_scenario`` once per (file mapping, widget values): the page builds
    and validates the scenario twice a rerun (the file's, and with the sidebar's values), and
    most reruns change neither. The keys are content digests that keep the values' types
    (a date or ``!!binary`` in an upload must stay one: JSON would turn it into a string). An
    error is not cached: it is raised again, with its message, on the next rerun."""
    return ui_support.build_scenario(
        _raw, label, None if base_dir is None else Path(base_dir), _overrides
    )


def build(source: Source, overrides: dict[str, Any]) -> Scenario:
    """The source's scenario with the sidebar's values written over it (cached, see
    ``built_scenario``)."""
    raw_key = hashlib.sha256(pickle.dumps(source.raw, protocol=5)).hexdigest()
    overrides_key = repr(sorted(overrides.items()))
    base_dir = None if source.base_dir is None else str(source.base_dir)
    return built_scenario(raw_key, overrides_key, source.label, base_dir, source.raw, overrides)


def active_scenario_caption(name: str, label: str) -> str:
    """What the sidebar shows beside Solve: the scenario the inputs and Solve belong to."""
    return f"Solving: **{md_text(name)}** ({md_text(label)})"


def _share_limit(name: str, label: str, fallback: float, current: float | None) -> float | None:
    on = st.checkbox(label, value=current is not None, key=widget_key(f"on:{name}"))
    value = st.slider(
        f"{label} (0-1)",
        **_float_bounds(Limits, name),
        value=float(current if current is not None else fallback),
        step=0.01,
        key=widget_key(f"limits.{name}"),
        disabled=not on,
        label_visibility="collapsed",
    )
    return float(value) if on else None


#: Index layers with a weight (the foundry layer is off at weight 0).
LAYERS = ("territorial", "provider", "chip", "fab")


def _optional_limit(
    sc: Scenario,
    field: str,
    label: str,
    step: float = 100.0,
    placeholder: str = "no cap",
    help: str | None = None,
) -> float | None:
    """A number input for an optional top-level limit of the scenario (empty = not set),
    within the schema's bounds and keyed by the field, like every sidebar input."""
    value = getattr(sc, field)
    return st.number_input(
        label,
        **_float_bounds(Scenario, field),
        value=None if value is None else float(value),
        step=step,
        placeholder=placeholder,
        key=widget_key(field),
        help=help,
    )


def _money_inputs(sc: Scenario) -> dict[str, Any]:
    """Targets per period, budget, caps and the solver's time limit."""
    out: dict[str, Any] = {}
    target = {}
    for period in sc.periods:
        target[period] = st.number_input(
            f"Target {period} (EFLOP/s)",
            **_float_bounds(Scenario, "target"),
            value=float(sc.target[period]),
            step=max(1.0, round(float(sc.target[period]) / 10, 0)),
            key=widget_key(f"target.{period}"),
        )
    out["target"] = target
    out["budget"] = _optional_limit(
        sc,
        "budget",
        "Budget (MUSD over the horizon)",
        step=1000.0 if (sc.budget or 0) >= 5000 else 5.0,
        placeholder="no budget",
        help="Total cost of the plan over the horizon, million USD; empty = no budget",
    )
    out["energy_cost_cap"] = _optional_limit(
        sc,
        "energy_cost_cap",
        "Energy-cost cap (MUSD over the horizon)",
        help="Electricity cost over the horizon, million USD; empty = no cap",
    )
    out["emissions_cap_kt"] = _optional_limit(
        sc, "emissions_cap_kt", "Emissions cap (kt CO2e over the horizon)"
    )
    out["solver.time_limit"] = st.number_input(
        "Solver time limit (s)",
        **_float_bounds(Solver, "time_limit"),
        value=float(sc.solver.time_limit),
        step=10.0,
        key=widget_key("solver.time_limit"),
        help="Wall-clock limit per solve; must be positive",
    )
    return out


def _limit_inputs(sc: Scenario) -> dict[str, Any]:
    """Share limits (switch + slider) and count limits (empty = not enforced)."""
    out: dict[str, Any] = {}
    for name, (label, fallback) in SHARE_LIMITS.items():
        out[f"limits.{name}"] = _share_limit(name, label, fallback, getattr(sc.limits, name))
    for name, label in COUNT_LIMITS.items():
        current = getattr(sc.limits, name)
        lo, hi = field_bounds(Limits, name)
        value = st.number_input(
            label,
            min_value=None if lo is None else int(lo),
            max_value=None if hi is None else int(hi),
            value=None if current is None else int(current),
            step=1,
            placeholder="not enforced",
            key=widget_key(f"limits.{name}"),
        )
        out[f"limits.{name}"] = None if value is None else int(value)
    bases = ["counted", "installed"]
    out["limits.share_basis"] = st.radio(
        "Share caps are shares of",
        bases,
        index=bases.index(sc.limits.share_basis),
        horizontal=True,
        key=widget_key("limits.share_basis"),
        help=(
            "counted: of the compute counted towards the target (capacity above a cap runs "
            "uncounted); installed: of all installed capacity, committed systems and "
            "projects included (only capacity bought or rented elsewhere dilutes it)"
        ),
    )
    return out


def _strategy_inputs(sc: Scenario, jurisdictions: list[str]) -> dict[str, Any]:
    """Strategy and the three layer weights (any non-negative numbers, normalised)."""
    out: dict[str, Any] = {}
    options = ["hedge", "hedge_blocs", "none", "align", *[f"align:{j}" for j in jurisdictions]]
    if sc.strategy not in options:
        options.append(sc.strategy)
    out["strategy"] = st.selectbox(
        "Strategy",
        options,
        index=options.index(sc.strategy),
        key=widget_key("strategy"),
        help="hedge: enforce the diversification limits; hedge_blocs: also spread foreign "
        "dependence over two rival blocs; none: ignore them; "
        "align: all foreign dependence within one ally (align:<J> fixes the ally)",
    )
    st.caption("Layer weights (normalised to sum to 1)")
    for layer in LAYERS:
        out[f"weights.{layer}"] = st.number_input(
            f"Weight: {layer}",
            **_float_bounds(Weights, layer),
            value=float(getattr(sc.weights, layer)),
            step=0.05,
            format="%.3f",
            key=widget_key(f"weights.{layer}"),
        )
    values = [out[f"weights.{x}"] or 0.0 for x in LAYERS]
    total = sum(values)
    if total > 0:
        st.caption(
            "Normalised: "
            + ", ".join(f"{x} {v / total:.2f}" for x, v in zip(LAYERS, values, strict=True))
        )
    out["weights.resilience"] = st.number_input(
        "Value of resilience (weight of the worst-case N-1 kept share)",
        **_float_bounds(Weights, "resilience"),
        value=float(sc.weights.resilience),
        step=0.05,
        format="%.3f",
        key=widget_key("weights.resilience"),
    )
    return out


def _eligibility_inputs(sc: Scenario, jurisdictions: list[str], tables: Any) -> dict[str, Any]:
    """``exclude`` lists and ``require.certifications`` (choices from the data tables)."""
    out: dict[str, Any] = {}
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
            f"Exclude {kind}", values, default=current, key=widget_key(f"exclude.{kind}")
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
        key=widget_key("require.certifications"),
        help=(
            "Keeps only offers a certification covers (service level, provider_regions.csv; "
            "providers.csv where the data has none); the public option stays"
        ),
    )
    return out


def scenario_inputs(
    sc: Scenario, jurisdictions: list[str], tables: Any = None
) -> tuple[dict[str, Any], dict]:
    """Draw the input widgets (defaults from ``sc``); return the overrides and error slots."""
    out: dict[str, Any] = {}
    slots: dict[str, Any] = {}
    with st.sidebar.expander("Target and money", expanded=True):
        out.update(_money_inputs(sc))
        slots["money"] = st.empty()
    with st.sidebar.expander("Limits", expanded=True):
        out.update(_limit_inputs(sc))
        slots["limits"] = st.empty()
    with st.sidebar.expander("Strategy and weights", expanded=False):
        out.update(_strategy_inputs(sc, jurisdictions))
        slots["strategy"] = st.empty()
        slots["weights"] = st.empty()

    if tables is not None:
        with st.sidebar.expander("Eligibility (exclude, require)", expanded=False):
            out.update(_eligibility_inputs(sc, jurisdictions, tables))
            slots["eligibility"] = st.empty()

    with st.sidebar.expander("Constraint families", expanded=False):
        for name in Constraints.model_fields:
            out[f"constraints.{name}"] = st.toggle(
                CONSTRAINT_LABELS.get(name, name),
                value=bool(getattr(sc.constraints, name)),
                key=widget_key(f"constraints.{name}"),
            )
        slots["constraints"] = st.empty()
    return out, slots


def show_problems(problems: list[tuple[str, str]], slots: dict) -> list[str]:
    """Write each validation problem under its widget group; return those with no group."""
    by_group: dict[str, list[str]] = {}
    loose: list[str] = []
    for field, message in problems:
        group = GROUP_OF_FIELD.get(field.split(".")[0]) if field else None
        text = md_text(f"{field}: {message}" if field else message)
        if group in slots:
            by_group.setdefault(group, []).append(text)
        else:
            loose.append(text)
    for group, messages in by_group.items():
        slots[group].error("\n\n".join(messages))
    return loose
