"""The plan tab: KPIs, map, mix, binding limits with their marginal value, allocation table.

Plans are cached per input (keyed on the scenario's JSON and the tables' hashes, shared by
the sessions of this server as ``st.cache_data`` would), so re-rendering a page, or returning
to inputs solved before, is instant. A solve runs in a worker thread while this page shows
its progress; a session that reruns or goes away stops its solve (``ui.support``'s
``run_cancellable``). Why not ``st.cache_data`` for plans: the wait has to update the page
(that is where Streamlit tells a script it is stopped), and a cached function may not draw
into a container made outside it.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from planner.core.data import Tables
from planner.core.results import Plan
from planner.core.scenario import Scenario
from planner.reports.brief import brief_html
from planner.reports.numbers import limits_for_display, money_change
from planner.reports.plan_reading import read_plan
from planner.reports.ranges_text import range_line
from ui import figures
from ui import support as ui_support
from ui.result_cache import ResultCache
from ui.safe_text import error_text, md_text

#: Plans solved on this server per (scenario JSON, tables key), at most ``MAX_PLANS``.
MAX_PLANS = 64
_PLANS: ResultCache[Plan] = ResultCache(MAX_PLANS)


def cached_plan(
    scenario_json: str,
    tables_key: str,
    _scenario: Scenario,
    _tables: Tables | None,
    on_wait: Any = None,
    warm: Any = None,
) -> Plan:
    """Solve once per (scenario, tables) content; later calls return (a copy of) the stored
    plan. ``on_wait(seconds)`` is called while a solve runs; a solve stopped by the
    session's rerun or departure raises and stores nothing. ``warm``: the session's last
    plan's ``warm_start`` (reused or a MIP start, ``planner.core.warm``; same optimum)."""
    return _PLANS.get_or_compute(
        (scenario_json, tables_key),
        lambda: ui_support.solve_plan(_scenario, _tables, on_wait=on_wait, warm=warm),
    )


def progress_line(what: str) -> Any:
    """A line that counts the seconds a solve has run and names the server's cap; each
    update is where Streamlit stops this script if the session reruns or goes away."""
    line = st.empty()
    cap = ui_support.max_time_limit()

    def on_wait(seconds: float) -> None:
        line.caption(f"{what}: {seconds:.0f} s (this server stops a solve at {cap:g} s)")

    return line, on_wait


@st.cache_data(show_spinner=False, max_entries=64)
def cached_marginal(
    scenario_json: str, tables_key: str, limit: str, _scenario: Scenario, _tables: Tables | None
) -> dict[str, Any]:
    return ui_support.marginal_value(_scenario, limit, _tables)


def solve_now(scenario: Scenario, tables: Tables | None, warm: Any = None) -> Plan:
    """Solve (or fetch from the cache) with a spinner and a line counting the seconds;
    ``warm``: the session's last plan's ``warm_start`` (``cached_plan``)."""
    line, on_wait = progress_line(f"Solving {md_text(scenario.name)}")
    try:
        with st.spinner(f"Solving {md_text(scenario.name)}…", show_time=True):
            return cached_plan(
                ui_support.scenario_key(scenario), ui_support.tables_key(tables), scenario,
                tables, on_wait=on_wait, warm=warm,
            )  # fmt: skip
    finally:
        line.empty()


def plural(n: int, word: str) -> str:
    """'1 country', '3 countries' (English plurals of the words the page counts)."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def _fmt_delta(now: float, before: float | None, digits: int, unit: str = "") -> str | None:
    if before is None or round(abs(now - before), digits) == 0:
        return None  # no "-0.000": a change below the shown precision is no change
    return f"{now - before:+,.{digits}f}{unit}"


def kpi_metrics(plan: Plan, previous: dict[str, float] | None = None) -> None:
    """The headline numbers, each with its unit (and the change since the previous solve)."""
    prev = previous or {}
    s, k = plan.sovereignty, plan.kpis
    cols = st.columns(4)
    cols[0].metric(
        "Sovereignty index (0-1)",
        f"{s['index']:.3f}",
        _fmt_delta(s["index"], prev.get("index"), 3),
    )
    for col, layer in zip(cols[1:], ("territorial", "provider", "chip"), strict=True):
        col.metric(
            f"{layer.capitalize()} layer (0-1)",
            f"{s[layer]:.3f}",
            _fmt_delta(s[layer], prev.get(layer), 3),
        )
    cols = st.columns(4)
    cols[0].metric(
        "Total cost (MUSD)",
        f"{k['total_cost_musd']:,.0f}",
        _fmt_delta(k["total_cost_musd"], prev.get("total_cost_musd"), 0),
        delta_color="inverse",
    )
    cols[1].metric(
        "Energy cost (MUSD)",
        f"{k['energy_cost_musd']:,.0f}",
        _fmt_delta(k["energy_cost_musd"], prev.get("energy_cost_musd"), 0),
        delta_color="inverse",
    )
    cols[2].metric(
        "Emissions (kt CO2e)",
        f"{k['emissions_kt']:,.0f}",
        _fmt_delta(k["emissions_kt"], prev.get("emissions_kt"), 0),
        delta_color="inverse",
    )
    n1 = 100 * k["worst_case_n_minus_1_share"]
    prev_n1 = prev.get("worst_case_n_minus_1_share")
    cols[3].metric(
        "Worst-case N-1 kept (%)",
        f"{n1:.1f} %",
        _fmt_delta(n1, None if prev_n1 is None else 100 * prev_n1, 1, " pt"),
        help="Share of the target (%) kept if the single most important foreign "
        "jurisdiction cuts the plan off at the start of a period: its territory and "
        "providers are lost at once; chips it designs or fabs keep running where installed "
        "before, minus failures",
    )
    st.caption(ui_support.worst_case_line(plan))
    spread = range_line(plan.ranges)
    if spread:
        # the fixed plan priced across futures (planner.studies.ranges): how sure the cost is
        st.caption(md_text(spread))
    st.caption(
        f"Final period: {k['compute_final_eflops']:,.1f} of {k['target_final_eflops']:,.1f} "
        f"EFLOP/s target · {k['accelerators_final']:,} accelerators · "
        f"{k['power_final_mw']:,.0f} MW · {plural(k['countries_used'], 'country')}, "
        f"{plural(k['providers_used'], 'provider')}, "
        f"{plural(k['chip_designers_used'], 'chip designer')}"
    )


def snapshot(plan: Plan) -> dict[str, float]:
    """The numbers kept to show the change at the next solve."""
    keys = ("total_cost_musd", "energy_cost_musd", "emissions_kt", "worst_case_n_minus_1_share")
    return {**plan.sovereignty, **{k: float(plan.kpis[k]) for k in keys}}


@st.fragment
def limits_section(plan: Plan, scenario: Scenario, tables: Tables | None) -> None:
    """Which limits bind, and what relaxing one by a step buys (re-solved, cached).

    A fragment: choosing a limit or pressing "Re-solve relaxed" reruns this section only,
    not the page with its map and charts."""
    st.subheader("Limits")
    if plan.limits.empty:
        st.write("No limits are enforced in this scenario.")
        return
    table = limits_for_display(plan.limits)
    table["binding"] = table["binding"].map({True: "binds", False: ""})
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "limit": "limit",
            "kind": "kind",
            "value": st.column_config.NumberColumn("limit value", format="%.4g"),
            "actual": st.column_config.NumberColumn("plan value", format="%.4g"),
            "slack": st.column_config.NumberColumn("slack", format="%.4f"),
        },
    )
    st.caption(
        "Units: budget and caps in MUSD (emissions in kt CO2e), shares as fractions 0-1, "
        "counts as numbers."
    )
    priceable = [
        name
        for name, binds in zip(plan.limits["limit"], plan.limits["binding"], strict=True)
        if binds and name in ui_support.RELAXATIONS
    ]
    if not priceable:
        st.write(
            "No priceable limit binds: relaxing any of them would buy no sovereignty "
            "(marginal value 0)."
        )
        return
    c1, c2 = st.columns([2, 1])
    limit = c1.selectbox(
        "Marginal value of a binding limit",
        priceable,
        format_func=lambda n: f"{n} ({ui_support.RELAXATIONS[n].label})",
        key="marginal_limit",
    )
    if c2.button("Re-solve relaxed", key="marginal_go"):
        st.session_state["marginal_for"] = (ui_support.scenario_key(scenario), limit)
    wanted = st.session_state.get("marginal_for")
    if wanted == (ui_support.scenario_key(scenario), limit):
        try:
            with st.spinner(f"Re-solving with {limit} relaxed…", show_time=True):
                mv = cached_marginal(
                    ui_support.scenario_key(scenario),
                    ui_support.tables_key(tables),
                    limit,
                    scenario,
                    tables,
                )
        except Exception as exc:
            st.error(error_text(exc))
            return
        if mv["delta_index"] is None:
            st.warning(f"The relaxed scenario has no plan (status {mv['relaxed_status']}).")
        else:
            extra_cost = (mv["relaxed_cost_musd"] or 0.0) - (mv["base_cost_musd"] or 0.0)
            st.success(
                f"{mv['step_label'][:1].upper() + mv['step_label'][1:]} buys **{mv['delta_index']:+.4f}** index "
                f"({mv['base_index']:.4f} → {mv['relaxed_index']:.4f}), "
                f"and the plan {money_change(extra_cost)}."
            )


def allocation_section(plan: Plan, name: str) -> None:
    st.subheader("Allocation")
    st.dataframe(
        plan.allocation,
        hide_index=True,
        width="stretch",
        column_config={
            "compute_eflops": st.column_config.NumberColumn("compute (EFLOP/s)", format="%.2f"),
            "counted_eflops": st.column_config.NumberColumn("counted (EFLOP/s)", format="%.2f"),
            "power_mw": st.column_config.NumberColumn("power (MW)", format="%.1f"),
            "capex_musd": st.column_config.NumberColumn("capex (MUSD)", format="%.1f"),
            "opex_musd": st.column_config.NumberColumn("opex (MUSD)", format="%.1f"),
            "energy_cost_musd": st.column_config.NumberColumn("energy (MUSD)", format="%.1f"),
            "carbon_cost_musd": st.column_config.NumberColumn("carbon (MUSD)", format="%.1f"),
            "energy_gwh": st.column_config.NumberColumn("energy (GWh)", format="%.0f"),
            "emissions_kt": st.column_config.NumberColumn("emissions (kt CO2e)", format="%.1f"),
        },
    )
    slug = ui_support.slug(name)
    c1, c2 = st.columns(2)
    # built only when clicked (the workbook alone took 0.1 s of every rerun)
    c1.download_button(
        "Download allocation (CSV)",
        lambda: ui_support.plan_to_csv(plan),
        file_name=f"{slug}-allocation.csv",
        mime="text/csv",
        width="stretch",
        on_click="ignore",
    )
    c2.download_button(
        "Download plan (Excel)",
        lambda: ui_support.plan_to_excel(plan),
        file_name=f"{slug}-plan.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        width="stretch",
        on_click="ignore",
    )


def _build_figure(kind: str, plan: Plan, tables: Tables) -> go.Figure:
    """One of a plan's figures: 'map', 'bars' (by country), 'provider' and 'designer'
    (mix by period), 'jurisdiction' (mix per layer)."""
    if kind in ("map", "bars"):
        by_country = ui_support.compute_by_country(plan, tables)
        last = int(plan.allocation["period"].max()) if len(plan.allocation) else None
        if kind == "map":
            return figures.world_map(by_country, last)
        return figures.country_bars(by_country, last)
    if kind in ("provider", "designer"):
        return figures.mix_bars(ui_support.mix_by_period(plan, kind), kind)
    if kind == "jurisdiction":
        return figures.jurisdiction_bars(ui_support.mix_by_jurisdiction(plan, tables))
    raise ValueError(f"no plan figure '{kind}'")


@st.cache_resource(show_spinner=False, max_entries=64)
def plan_figure(kind: str, fingerprint: str, _plan: Plan, _tables: Tables) -> go.Figure:
    """A plan's figure, built once per plan content (``ui.support.plan_fingerprint``) and
    shared by every rerun and session that shows that plan: building one costs 0.1-0.3 s
    (plotly validates every property), and a widget edit reruns the page.

    ``st.cache_resource`` hands out the stored object itself, not a copy: safe because
    ``st.plotly_chart`` only reads a figure (it serialises a deep copy, ``Figure.to_dict``),
    and no caller changes one. At most 64 figures (a map holds its outlines: 1.4 MB; the
    bar charts a few kB), so a busy server keeps tens of MB, not hundreds."""
    return _build_figure(kind, _plan, _tables)


#: The mix charts under the map, one per tab: (tab label, figure kind).
MIX_TABS = (
    ("Mix by provider", "provider"),
    ("Mix by chip designer", "designer"),
    ("Mix by jurisdiction", "jurisdiction"),
)


def plan_figures(plan: Plan, tables: Tables, key: str = "plan", fingerprint: str = "") -> None:
    """Map and the three mixes. Figures come from ``plan_figure``'s cache; only the open mix
    tab's chart is drawn (lazy tabs: switching tab reruns the page, which then sends that
    one chart), so a rerun sends three charts instead of five."""
    fingerprint = fingerprint or ui_support.plan_fingerprint(plan, tables)
    c1, c2 = st.columns([3, 2])
    c1.plotly_chart(
        plan_figure("map", fingerprint, plan, tables),
        width="stretch",
        key=f"{key}-map",
        config=figures.MAP_CONFIG,  # no CDN base map: draws offline
    )
    c2.plotly_chart(
        plan_figure("bars", fingerprint, plan, tables), width="stretch", key=f"{key}-bars"
    )
    tabs = st.tabs([label for label, _ in MIX_TABS], on_change="rerun", key=f"{key}-mix")
    for tab, (_, kind) in zip(tabs, MIX_TABS, strict=True):
        if tab.open is False:  # None: a Streamlit that does not track tabs draws them all
            continue
        with tab:
            st.plotly_chart(
                plan_figure(kind, fingerprint, plan, tables), width="stretch", key=f"{key}-{kind}"
            )


def not_ok(plan: Plan) -> None:
    """A plan without a solution: the status and whatever the planner says about it."""
    if plan.status == "infeasible":
        st.error(f"No plan meets every limit at once. {md_text(plan.message)}")
    else:
        st.error(f"No plan (status **{plan.status}**). {md_text(plan.message)}")
    if plan.diagnosis:
        st.text(str(plan.diagnosis.get("summary", plan.diagnosis)))
    st.write(
        "Try relaxing a limit in the sidebar (a larger budget, a higher share cap, a lower "
        "resilience or home-share floor) or switching a constraint family off."
    )


def render_plan(
    plan: Plan,
    scenario: Scenario,
    tables: Tables,
    edited: Tables | None,
    previous: dict[str, float] | None,
) -> None:
    status = f"**{plan.status}**"
    if plan.gap is not None and plan.status == "feasible":
        status += f" (MIP gap {plan.gap:.2%}: stopped at the time limit)"
    seconds = plan.timings.get("total_s")
    st.markdown(
        f"{md_text(plan.scenario_name)} · status {status}"
        + (f" · solved in {seconds:.1f} s" if seconds is not None else "")
    )
    assumed = plan.context.get("profile_assumption", "")
    if assumed:
        st.warning(f"Assumed relationship profile: {md_text(assumed)}")
    if not plan.ok:
        not_ok(plan)
        return
    kpi_metrics(plan, previous)
    st.download_button(
        "Download brief",
        # built only when clicked: the page carries plotly.js inline (offline, printable)
        data=lambda: brief_html(plan, scenario, tables),
        file_name=f"{ui_support.slug(plan.scenario_name)}-brief.html",
        mime="text/html",
        on_click="ignore",
        key="brief_download",
        help="One self-contained page for an adviser: the question, the plan on a map, the "
        "mix, cost against the budget, what binds and the worst supply cut. Opens offline; "
        "print it to PDF from the browser. (Alternatives: `sovplan brief`.)",
    )
    fingerprint = ui_support.plan_fingerprint(plan, tables)
    plan_figures(plan, tables, fingerprint=fingerprint)
    limits_section(plan, scenario, edited)
    allocation_section(plan, plan.scenario_name)
    if plan.notes:
        with st.expander("Notes from the planner"):
            for note in plan.notes:
                st.text(f"- {note}")
    st.subheader("The plan in words")
    st.markdown(plan_reading(fingerprint, plan))


@st.cache_data(show_spinner=False, max_entries=128)
def plan_reading(fingerprint: str, _plan: Plan) -> str:
    """The plan in words (``read_plan``, escaped for Markdown), once per plan content."""
    return md_text(read_plan(_plan, face="app"))
