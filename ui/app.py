"""sovplan web app: edit a scenario, solve it, and explore the plan and its trade-offs.

Run with ``sovplan ui`` (or ``streamlit run ui/app.py``). The app is thin: it asks
``planner`` for everything (scenario validation, data tables, solving, Pareto fronts,
sweeps) and only draws. ``SOVPLAN_SCENARIO_DIR`` points it at another scenario folder.
"""

from __future__ import annotations

import streamlit as st

from planner.core.data import Tables
from planner.core.scenario import Scenario, scenario_to_yaml
from ui import inputs, plan_view, sensitivity_view, tables_view, tradeoffs_view, uncertainty_view
from ui import support as ui_support
from ui.safe_text import error_text, md_text

st.set_page_config(page_title="sovplan: compute sovereignty planner", page_icon="🛰", layout="wide")


#: Session entries that belong to one scenario: dropped when another one is loaded.
SCENARIO_STATE = (
    "solved",
    "previous",
    "sweep_runs",
    "marginal_for",
    "pareto_request",
    "cmp_request",
)


#: Keeps the sidebar's Solve button in view (the container's key gives it the class
#: ``st-key-solve_bar``): sticky at the top of the scrolling sidebar, on an opaque background.
#: Streamlit wraps the container in a box of its own height, so that wrapper is made sticky
#: too (a sticky element cannot leave its parent's box).
SOLVE_BAR_CSS = """<style>
section[data-testid="stSidebar"] .st-key-solve_bar,
section[data-testid="stSidebar"] div:has(> .st-key-solve_bar) {
  position: sticky; top: 0; z-index: 100; background-color: rgb(240, 242, 246);
}
</style>"""


def _errors(exc: BaseException, where=st) -> None:
    """Readable messages of an error, shown as text (they may quote the user's input)."""
    where.error(error_text(exc))


def main() -> None:
    st.title("Compute sovereignty planner")
    st.caption(
        "Where to site AI compute, with which providers and chips, to maximise a 3-layer "
        "sovereignty index (territory, provider jurisdiction, chip origin). Units: compute "
        "EFLOP/s dense BF16, money million USD (MUSD), power MW, emissions kt CO2e."
    )

    # --- scenario source ---------------------------------------------------------------
    try:
        source = inputs.choose_source()
    except Exception as exc:
        _errors(exc, st.sidebar)
        st.info("Fix or replace the uploaded scenario to continue.")
        return
    if source is None:  # choose_source said why
        return
    previous_source = st.session_state.get("source_id")
    if previous_source != source.source_id:
        if previous_source is not None:  # another scenario: its own values in every widget
            inputs.forget_inputs()
        st.session_state["source_id"] = source.source_id
        for name in SCENARIO_STATE:
            st.session_state.pop(name, None)

    try:
        file_scenario = inputs.build(source, {})
        base_tables = ui_support.base_tables(file_scenario)
    except Exception as exc:
        st.error(f"The scenario {md_text(source.label)} cannot be used as it is:")
        _errors(exc)
        return

    # Solve stays in view however long the sidebar grows (sticky at the sidebar's top)
    st.markdown(SOLVE_BAR_CSS, unsafe_allow_html=True)
    solve_bar = st.sidebar.container(key="solve_bar")
    solve_clicked = solve_bar.button("Solve", type="primary", width="stretch", key="solve")
    solve_bar.caption(inputs.active_scenario_caption(file_scenario.name, source.label))
    if st.sidebar.button("Reset to the file's values", width="stretch", key="reset"):
        inputs.forget_inputs()
        st.rerun()

    jurisdictions = sorted(base_tables.jurisdictions["code"].astype(str))
    overrides, slots = inputs.scenario_inputs(file_scenario, jurisdictions, base_tables)
    try:
        cap = ui_support.max_time_limit()
    except Exception as exc:  # the operator's setting is wrong: say so, solve nothing
        _errors(exc)
        return

    scenario: Scenario | None = None
    try:
        scenario = inputs.build(source, overrides)
    except Exception as exc:
        loose = inputs.show_problems(ui_support.validation_problems(exc), slots)
        if loose:
            st.sidebar.error("\n\n".join(loose))
    limit = scenario.solver.time_limit if scenario is not None else None
    st.sidebar.caption(
        f"This server stops any solve after {cap:g} s"
        + (
            f": your time limit of {limit:g} s is capped to that."
            if limit is not None and limit > cap
            else "."
        )
    )
    if scenario is not None:
        st.sidebar.download_button(
            "Download scenario YAML",
            lambda: scenario_to_yaml(scenario),  # written when clicked, not at every rerun
            file_name=f"{ui_support.slug(scenario.name)}.yaml",
            mime="application/x-yaml",
            width="stretch",
            on_click="ignore",
            help="The scenario with your changes, to reproduce this session with "
            "`sovplan solve FILE` (table edits: download the edited tables too)",
        )

    tab_plan, tab_data, tab_trade, tab_sens, tab_unc = st.tabs(
        ["Plan", "Data tables", "Trade-offs", "Sensitivity", "Uncertainty"]
    )

    # The data tab is drawn first: its edits feed the solve.
    with tab_data:
        edited, table_error = tables_view.render(base_tables)
    tables: Tables | None = edited

    with tab_plan:
        if scenario is None:
            st.warning("Fix the inputs marked in the sidebar to solve.")
        if table_error:
            st.warning("Fix the edited data tables (tab 'Data tables') to solve.")
        ready = scenario is not None and not table_error
        if solve_clicked and ready:
            try:
                previous = st.session_state.get("solved") or {}
                plan = plan_view.solve_now(scenario, tables, warm=previous.get("warm"))
            except Exception as exc:
                _errors(exc)
            else:
                solved = st.session_state.get("solved")
                if solved is not None:
                    st.session_state["previous"] = solved.get("snapshot")
                st.session_state["solved"] = {
                    "scenario": scenario,
                    "tables": tables,
                    "key": (ui_support.scenario_key(scenario), ui_support.tables_key(tables)),
                    "snapshot": plan_view.snapshot(plan) if plan.ok else None,
                    # the next edit's solve reuses this plan or starts from it
                    "warm": plan.warm_start,
                }
        solved = st.session_state.get("solved")
        if solved is None:
            st.info("Set the inputs in the sidebar, then press **Solve**.")
        else:
            if ready and solved["key"] != (
                ui_support.scenario_key(scenario),
                ui_support.tables_key(tables),
            ):
                st.info("The inputs changed since this plan was solved: press **Solve** to update.")
            try:
                plan = plan_view.solve_now(solved["scenario"], solved["tables"])
                plan_view.render_plan(
                    plan,
                    solved["scenario"],
                    solved["tables"] or base_tables,
                    solved["tables"],
                    st.session_state.get("previous"),
                )
            except Exception as exc:
                _errors(exc)

    with tab_trade:
        if scenario is None or table_error:
            st.warning("Fix the inputs first.")
        else:
            tradeoffs_view.render(scenario, tables, tables or base_tables)

    with tab_sens:
        if scenario is None or table_error:
            st.warning("Fix the inputs first.")
        else:
            sensitivity_view.render(scenario, tables)

    with tab_unc:
        if scenario is None or table_error:
            st.warning("Fix the inputs first.")
        else:
            uncertainty_view.render(scenario, tables)


def run() -> None:
    """The page, with any unexpected error shown as a readable message, never a traceback.

    Streamlit's own control flow (rerun, stop) derives from BaseException and passes through.
    """
    try:
        main()
    except Exception as exc:
        _errors(exc)


run()
