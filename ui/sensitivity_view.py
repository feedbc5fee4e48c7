"""The sensitivity tab: a small one-at-a-time or grid sweep run from the page, or a
``runs.parquet`` written by ``sovplan sweep``, drawn as a tornado, heatmap or line chart.

Sweeps run through ``planner.studies.sweep`` (each point solved in its own process when more than
one worker is used); the figures come from ``planner.reports.sweep_report`` so the CLI's reports and
the app draw the same charts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from planner.core.data import Tables
from planner.core.scenario import Scenario
from planner.reports.numbers import table_for_display
from ui import support as ui_support
from ui.safe_text import error_text

#: Parameters offered on the page, with a label (and unit) and default values.
PARAMETERS = {
    "budget_scale": ("budget multiplier", "0.8, 1.0, 1.2"),
    "target_scale": ("target multiplier", "0.8, 1.0, 1.2"),
    "electricity_price_scale": ("electricity price multiplier", "0.5, 1.0, 2.0"),
    "chip_price_scale": ("chip price multiplier", "0.8, 1.0, 1.25"),
    "carbon_price": ("carbon price (USD/t CO2e)", "0, 100, 200"),
    "weights.chip": ("chip layer weight", "0.2, 0.33, 0.5"),
    "limits.max_share_provider": ("max share of one provider (0-1)", "0.3, 0.4, 0.5"),
    "limits.max_share_chip_designer": ("max share of one chip designer (0-1)", "0.5, 0.6, 0.8"),
}
#: Above this many solves the page asks for confirmation: a sweep is a batch job.
LARGE_SWEEP = 25


def _draw(runs: pd.DataFrame, key: str) -> None:
    from planner.reports import sweep_report

    spec = runs.attrs.get("sweep")
    if not spec:
        st.error("These runs carry no sweep description (were they written by `sovplan sweep`?)")
        return
    ok = runs["status"].isin(["optimal", "feasible"]).sum() if "status" in runs else len(runs)
    st.caption(f"{len(runs)} runs ({ok} with a plan), method {spec.get('method')}.")
    try:
        figs = sweep_report.figures(runs, spec)
    except Exception as exc:
        st.error(error_text(exc))
        figs = {}
    for name, fig in figs.items():
        st.plotly_chart(fig, width="stretch", key=f"{key}-{name}")
    params = list(spec.get("params", {}))
    shown = [c for c in [*params, *ui_support.SWEEP_COLUMNS] if c in runs.columns]
    st.dataframe(
        table_for_display(runs[shown]), hide_index=True, width="stretch", key=f"{key}-table"
    )
    st.download_button(
        "Download runs (CSV)",
        runs.to_csv(index=False).encode("utf-8"),
        file_name="runs.csv",
        mime="text/csv",
        key=f"{key}-download",
    )


@st.fragment
def sweep_section(scenario: Scenario, tables: Tables | None) -> None:
    st.subheader("Run a small sweep")
    chosen = st.multiselect(
        "Parameters",
        list(PARAMETERS),
        # defaults that move the answer on any scenario: the chip layer's weight moves the
        # index, the target the cost (a budget or price that binds nowhere moves nothing)
        default=["weights.chip", "target_scale"],
        format_func=lambda n: f"{PARAMETERS[n][0]} [{n}]",
        key="sweep_params",
    )
    if not chosen:
        st.info("Choose at least one parameter.")
        return
    from planner.studies.sweep import parse_values

    params: dict[str, list] = {}
    try:
        for name in chosen:
            text = st.text_input(
                f"Values of {PARAMETERS[name][0]}",
                PARAMETERS[name][1],
                key=f"sweep_values:{name}",
                help="Comma-separated values, or lo:hi:n for n evenly spaced values",
            )
            params[name] = parse_values(name, text)
    except Exception as exc:
        st.error(error_text(exc))
        return
    c1, c2 = st.columns(2)
    method = c1.radio(
        "Design",
        ["oat", "grid"],
        format_func=lambda m: {"oat": "one at a time (tornado)", "grid": "full grid"}[m],
        horizontal=True,
        key="sweep_method",
    )
    workers = int(c2.number_input("Parallel solves", 1, 8, 1, 1, key="sweep_workers"))
    try:
        count = ui_support.sweep_run_count(scenario, params, method)
    except Exception as exc:
        st.error(error_text(exc))
        return
    st.caption(f"{count} solves (about {count}× the time of one solve, ÷ parallel solves).")
    confirm = True
    if count > LARGE_SWEEP:
        confirm = st.checkbox(
            f"Yes, run {count} solves (consider `sovplan sweep` for batches this size)",
            key="sweep_confirm",
        )
    if st.button("Run sweep", key="sweep_go", disabled=not confirm):
        bar = st.progress(0.0, text=f"0 of {count} runs")

        def progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=f"{done} of {total} runs")

        try:
            runs = ui_support.sweep_with_progress(
                scenario, params, method, tables=tables, workers=workers, on_progress=progress
            )
        except Exception as exc:
            st.error(error_text(exc))
            return
        st.session_state["sweep_runs"] = runs
    runs = st.session_state.get("sweep_runs")
    if runs is not None:
        _draw(runs, "sweep")


@st.fragment
def load_section() -> None:
    st.subheader("…or load the runs of `sovplan sweep`")
    upload = st.file_uploader("runs.parquet", type=["parquet"], key="runs_upload")
    if upload is None:
        return
    from planner.studies.sweep import read_runs

    with tempfile.TemporaryDirectory(prefix="sovplan-runs-") as tmp:
        path = Path(tmp) / "runs.parquet"
        path.write_bytes(upload.getvalue())
        try:
            runs = read_runs(path)
        except Exception as exc:
            st.error(error_text(exc))
            return
    _draw(runs, "loaded")


def render(scenario: Scenario, tables: Tables | None) -> None:
    """Both sections are fragments: their widgets rerun the section, not the page."""
    sweep_section(scenario, tables)
    st.divider()
    load_section()
