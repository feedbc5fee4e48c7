"""The trade-offs tab: the exact Pareto frontier of two objectives, and two plans side by side.

The frontier comes from ``planner.studies.pareto`` (epsilon-constraint, lexicographic at
each point, on one persistent HiGHS model); a point of the frontier can be opened as a plan. The comparison solves the
same inputs under two strategies (e.g. hedge against align) and shows them next to each
other.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import streamlit as st

from planner.core.data import Tables
from planner.core.results import Plan
from planner.core.scenario import Scenario, scenario_from_mapping
from planner.reports import charts
from planner.reports.numbers import objective_value, table_for_display
from planner.studies.pareto import OBJECTIVES, pareto
from ui import alternatives_view, figures, plan_view
from ui import support as ui_support
from ui.safe_text import error_text

#: Objectives offered for the axes: name -> label with unit.
OBJECTIVE_LABELS = {
    "sovereignty": "sovereignty index (0-1)",
    "cost": "total cost (MUSD)",
    "total_cost": "total cost (MUSD)",
    "energy_cost": "energy cost (MUSD)",
    "emissions": "emissions (kt CO2e)",
    "resilience": "N-1 resilience (share of target)",
    "territorial": "territorial layer (0-1)",
    "provider": "provider layer (0-1)",
    "chip": "chip layer (0-1)",
}


@st.cache_data(show_spinner=False, max_entries=16)
def cached_front(
    scenario_json: str,
    tables_key: str,
    x: str,
    y: str,
    points: int,
    _scenario: Scenario,
    _tables: Tables | None,
):
    """The frontier, once per (inputs, axes, points); edited tables are passed as a folder.

    The progress bar is made here, inside the cached function: Streamlit replays the
    elements a cached function draws, and refuses (CacheReplayClosureError) one that it
    updates on a block made outside. It is emptied at the end, so a replay draws nothing."""
    bar, progress = ui_support.progress_element(f"Computing {points} points of the frontier")
    with ui_support.scenario_on_tables(_scenario, _tables) as scenario:
        # independent ε points in parallel, one process per core (the table does not depend
        # on it: tests/test_pareto.py); the server's cap bounds the whole frontier
        found = pareto(
            ui_support.capped(scenario), x=x, y=y, points=points,
            workers=os.cpu_count() or 1, time_limit=ui_support.max_time_limit(),
            progress=progress,
        )  # fmt: skip
    bar.empty()
    return found


def _objectives() -> list[str]:
    names = list(OBJECTIVES)
    return [n for n in names if n != "total_cost"]  # "cost" is the same objective


def _front_table(front: Any) -> pd.DataFrame:
    return front.table if hasattr(front, "table") else front


@st.fragment
def frontier_section(scenario: Scenario, tables: Tables | None, shown: Tables) -> None:
    st.subheader("Pareto frontier")
    names = _objectives()
    c1, c2, c3 = st.columns([2, 2, 1])
    x = c1.selectbox(
        "x objective",
        names,
        index=names.index("cost") if "cost" in names else 0,
        format_func=lambda n: OBJECTIVE_LABELS.get(n, n),
        key="pareto_x",
    )
    y = c2.selectbox(
        "y objective",
        names,
        index=names.index("sovereignty") if "sovereignty" in names else min(1, len(names) - 1),
        format_func=lambda n: OBJECTIVE_LABELS.get(n, n),
        key="pareto_y",
    )
    points = int(c3.number_input("points", 3, 41, 7, 1, key="pareto_points"))
    if x == y:
        st.warning("Choose two different objectives.")
        return
    request = (ui_support.scenario_key(scenario), ui_support.tables_key(tables), x, y, points)
    if st.button("Compute frontier", key="pareto_go"):
        st.session_state["pareto_request"] = request
    if st.session_state.get("pareto_request") != request:
        st.caption(
            f"Each point is one re-solve of the scenario; {points} points take about "
            f"{points}× the time of one solve."
        )
        return
    try:
        front = cached_front(*request, scenario, tables)
    except Exception as exc:
        st.error(error_text(exc))
        return
    table = _front_table(front).reset_index(drop=True)
    if table.empty:
        st.warning("The frontier has no feasible point.")
        return
    x_col = _column(table, x)
    y_col = _column(table, y)
    knee = table.index[table["knee"].fillna(False).astype(bool)] if "knee" in table else []
    default = int(knee[0]) if len(knee) else 0
    pick = st.selectbox(
        "Point to open",
        list(table.index),
        index=default,
        format_func=lambda i: (
            f"point {i}"
            + (" (knee)" if i in set(knee) else "")
            + f": {OBJECTIVE_LABELS.get(x, x)} {objective_value(x, table.loc[i, x_col])}, "
            f"{OBJECTIVE_LABELS.get(y, y)} {objective_value(y, table.loc[i, y_col])}"
        ),
        key="pareto_point",
    )
    st.plotly_chart(
        _frontier_figure(front, table, x_col, y_col, x, y, pick),
        width="stretch",
        key="pareto_chart",
    )
    st.plotly_chart(_mix_figure(front), width="stretch", key="pareto_mix")
    st.dataframe(table_for_display(table), width="stretch", key="pareto_table")
    plans = getattr(front, "plans", None)
    if plans is not None and pick is not None and pick < len(plans) and plans[pick] is not None:
        plan = plans[pick]
        st.markdown(f"**Plan at point {pick}**")
        if plan.ok:
            plan_view.kpi_metrics(plan)
            plan_view.plan_figures(plan, shown, key=f"pareto-{pick}")
        else:
            plan_view.not_ok(plan)


def _frontier_figure(front: Any, table: pd.DataFrame, x_col, y_col, x, y, pick):
    """planner.reports.charts' frontier (hover = each plan's mix, knee starred), the pick marked."""
    fig = charts.frontier_figure(front)
    fig.add_scatter(
        x=[table.loc[pick, x_col]],
        y=[table.loc[pick, y_col]],
        mode="markers",
        name=f"selected (point {pick})",
        marker={"color": figures.OKABE_ITO[5], "size": 18, "symbol": "x"},
    )
    return fig


def _mix_figure(front: Any):
    fig = charts.mix_figure(front, "provider")
    fig.update_layout(colorway=figures.PALETTE, height=360)
    return fig


def _column(table: pd.DataFrame, name: str) -> str:
    """The frontier table's column of an objective (exact name, or one that starts with it)."""
    if name in table.columns:
        return name
    for col in table.columns:
        if str(col).startswith(name):
            return str(col)
    raise KeyError(f"the frontier table has no column for '{name}': {list(table.columns)}")


def _with_strategy(scenario: Scenario, strategy: str) -> Scenario:
    raw = scenario.model_dump(mode="json")
    raw["strategy"] = strategy
    return scenario_from_mapping(raw, source=f"strategy {strategy}")


#: Rows of the strategy comparison: label (with unit) -> (value of a plan, display format).
COMPARISON_ROWS: dict[str, tuple[Any, str]] = {
    "sovereignty index (0-1)": (lambda p: p.sovereignty["index"], "{:.3f}"),
    "territorial layer (0-1)": (lambda p: p.sovereignty["territorial"], "{:.3f}"),
    "provider layer (0-1)": (lambda p: p.sovereignty["provider"], "{:.3f}"),
    "chip layer (0-1)": (lambda p: p.sovereignty["chip"], "{:.3f}"),
    "total cost (MUSD)": (lambda p: p.kpis["total_cost_musd"], "{:,.0f}"),
    "energy cost (MUSD)": (lambda p: p.kpis["energy_cost_musd"], "{:,.0f}"),
    "emissions (kt CO2e)": (lambda p: p.kpis["emissions_kt"], "{:,.0f}"),
    "worst-case N-1 (% of target)": (
        lambda p: 100 * p.kpis["worst_case_n_minus_1_share"],
        "{:.1f}",
    ),
    "providers used": (lambda p: p.kpis["providers_used"], "{:d}"),
    "chip designers used": (lambda p: p.kpis["chip_designers_used"], "{:d}"),
}


def _comparison_table(plans: dict[str, Plan]) -> pd.DataFrame:
    """Plans side by side, each number formatted as the plan tab shows it ('-' = no plan)."""
    data = {
        label: {
            row: (fmt.format(value(p)) if p.ok else "-")
            for row, (value, fmt) in COMPARISON_ROWS.items()
        }
        for label, p in plans.items()
    }
    return pd.DataFrame(data)


@st.fragment
def comparison_section(scenario: Scenario, tables: Tables | None, shown: Tables) -> None:
    st.subheader("Compare two strategies")
    juris = sorted(shown.jurisdictions["code"].astype(str))
    options = ["hedge", "none", "align", *[f"align:{j}" for j in juris]]
    c1, c2 = st.columns(2)
    a = c1.selectbox("Plan A strategy", options, index=0, key="cmp_a")
    b = c2.selectbox("Plan B strategy", options, index=2, key="cmp_b")
    request = (ui_support.scenario_key(scenario), ui_support.tables_key(tables), a, b)
    if st.button("Solve both and compare", key="cmp_go"):
        st.session_state["cmp_request"] = request
    if st.session_state.get("cmp_request") != request:
        return
    plans: dict[str, Plan] = {}
    try:
        for label, strategy in ((f"A: {a}", a), (f"B: {b}", b)):
            sc = _with_strategy(scenario, strategy)
            line, on_wait = plan_view.progress_line(f"Solving with strategy {strategy}")
            with st.spinner(f"Solving with strategy {strategy}…", show_time=True):
                plans[label] = plan_view.cached_plan(
                    ui_support.scenario_key(sc), ui_support.tables_key(tables), sc, tables,
                    on_wait=on_wait,
                )  # fmt: skip
            line.empty()
    except Exception as exc:
        st.error(error_text(exc))
        return
    st.dataframe(table_for_display(_comparison_table(plans)), width="stretch", key="cmp_table")
    layers = [
        {"plan": label, "layer": layer, "value": p.sovereignty[layer]}
        for label, p in plans.items()
        if p.ok
        for layer in ("index", "territorial", "provider", "chip")
    ]
    if layers:
        st.plotly_chart(
            figures.compare_bars(pd.DataFrame(layers)), width="stretch", key="cmp_layers"
        )
    cols = st.columns(2)
    for col, (label, plan) in zip(cols, plans.items(), strict=True):
        with col:
            st.markdown(f"**{label}** · status {plan.status}")
            if plan.ok:
                st.plotly_chart(
                    figures.jurisdiction_bars(ui_support.mix_by_jurisdiction(plan, shown)),
                    width="stretch",
                    key=f"cmp-j-{label}",
                )
            else:
                st.write(plan.message)


def render(scenario: Scenario, tables: Tables | None, shown: Tables) -> None:
    """The tab's three sections, each a fragment (``st.fragment``): a widget of one section
    (an axis, a point to open, a button) reruns that section only, not the page with its
    plan, map and charts. The inputs they read come from the page's last full run, which
    every sidebar edit makes."""
    frontier_section(scenario, tables, shown)
    st.divider()
    alternatives_view.render(scenario, tables)
    st.divider()
    comparison_section(scenario, tables, shown)
