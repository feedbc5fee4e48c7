"""The "Alternatives" section of the trade-offs tab: near-optimal plans side by side.

Thin: ``planner.studies.alternatives`` finds the plans (the optimum, then plans within the
slack that are as different as possible), ``planner.reports.charts`` draws
their mixes as small multiples; this module only collects the two settings and shows them.
"""

from __future__ import annotations

import streamlit as st

from planner.core.data import Tables
from planner.core.scenario import Scenario
from planner.reports.charts import alternatives_figure
from planner.reports.numbers import table_for_display
from planner.studies.alternatives import DEFAULT_MAX_COST_INCREASE, AlternativesResult, alternatives
from ui import support as ui_support
from ui.safe_text import md_text

#: metric -> its label; the first (mix) is the default (``planner.studies.alternatives.METRICS``)
METRIC_LABELS = {
    "mix": "countries, providers and chip designers",
    "countries": "countries",
    "providers": "providers",
    "chips": "chip designers",
}


@st.cache_data(show_spinner=False, max_entries=8)
def cached_alternatives(
    scenario_json: str,
    tables_key: str,
    slack: float,
    n: int,
    metric: str,
    max_cost_increase: float,
    _scenario: Scenario,
    _tables: Tables | None,
) -> AlternativesResult:
    """The alternatives, once per (inputs, slack, n, metric, cost bound). The progress bar is
    drawn inside, for the reason ``tradeoffs_view.cached_front`` gives."""
    bar, progress = ui_support.progress_element(f"Finding up to {n} plans")
    with ui_support.scenario_on_tables(_scenario, _tables) as scenario:
        # the server's cap bounds the whole study (shared out across its plans)
        found = alternatives(
            ui_support.capped(scenario), slack=slack, n=n, metric=metric,
            max_cost_increase=max_cost_increase, time_limit=ui_support.max_time_limit(),
            progress=progress,
        )  # fmt: skip
    bar.empty()
    return found


@st.fragment
def render(scenario: Scenario, tables: Tables | None) -> None:
    st.subheader("Alternatives")
    st.caption(
        "Plans almost as sovereign as the best one, each as different as possible from the "
        "plans before it: where the optimum hinges on an uncertain price or trust score, "
        "these are the choices that stay open."
    )
    c1, c2, c3 = st.columns([2, 1, 2])
    slack_pct = c1.slider("Within (% of the best index)", 0, 20, 5, 1, key="alt_slack")
    n = int(c2.number_input("plans", 2, 8, 4, 1, key="alt_n"))
    metric = c3.selectbox(
        "different in",
        list(METRIC_LABELS),
        index=0,
        format_func=METRIC_LABELS.get,
        key="alt_metric",
    )
    cost_pct = st.slider(
        "Cost at most (% above the optimum's)",
        0,
        100,
        int(round(100 * DEFAULT_MAX_COST_INCREASE)),
        5,
        key="alt_cost",
        help="Alternatives are near-optimal in cost too: none costs more than this above "
        "the optimum.",
    )
    slack = slack_pct / 100.0
    request = (
        ui_support.scenario_key(scenario), ui_support.tables_key(tables), slack, n, metric,
        cost_pct / 100.0,
    )  # fmt: skip
    if st.button("Find alternatives", key="alt_go"):
        st.session_state["alt_request"] = request
    if st.session_state.get("alt_request") != request:
        st.caption(f"About {2 * n - 1} solves of the scenario.")
        return
    try:
        result = cached_alternatives(*request, scenario, tables)
    except Exception as exc:
        st.error("\n\n".join(ui_support.error_messages(exc)))
        return
    if not result.ok:
        st.warning(" ".join(result.notes) or "No feasible plan.")
        return
    st.plotly_chart(alternatives_figure(result), width="stretch", key="alt_chart")
    shown = result.table[
        ["alternative", "sovereignty", "cost_musd", "distance", "differs", "status"]
    ].rename(
        columns={
            "alternative": "plan",
            "sovereignty": "index (0-1)",
            "cost_musd": "cost (MUSD)",
            "distance": "moved from #0 (share)",
            "differs": "how it differs from #0",
        }
    )
    st.dataframe(
        table_for_display(shown),
        width="stretch",
        hide_index=True,
        key="alt_table",
        column_config={"how it differs from #0": st.column_config.TextColumn(width="large")},
    )
    # the differences in full (a table cell cuts long text)
    for row in result.table.itertuples():
        if row.alternative != 0 and isinstance(row.differs, str) and row.differs:
            st.markdown(f"**#{row.alternative}**: {md_text(row.differs)}")
    for note in result.notes:
        st.caption(note)
