"""Human-readable terminal output (rich) for plans and data summaries."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner.core.cuts import worst_case_sentence
from planner.core.results import Plan
from planner.reports.plan_reading import read_plan
from planner.reports.ranges_text import range_line


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _of_budget(plan: Plan) -> str:
    """' of 6,000 budget (55 %)' when the scenario has a budget, else ''."""
    row = plan.limits[plan.limits["limit"] == "budget"]
    if row.empty:
        return ""
    budget = float(row["value"].iloc[0])
    used = f", {plan.cost / budget:.0%} used" if budget > 0 else ""
    return f" of a {budget:,.0f} MUSD budget{used}"


def _worst_cut(plan: Plan) -> str:
    """Which foreign jurisdiction's cut-off hurts most, when, and what it leaves: the plan's
    one worst case (``plan.worst_case``), in the words every face uses."""
    return worst_case_sentence(plan.worst_case)


def _allocation_table(plan: Plan, period: int) -> Table:
    """One period's allocation (fits an 80-column terminal; --json has every column)."""
    rows = plan.allocation[plan.allocation["period"] == period]
    table = Table(title=f"Allocation in {period} (EFLOP/s built, and counted towards the target)")
    headers = ("country", "provider", "chip", "modules", "accel.", "built", "counted", "MW")
    for header in headers:
        left = header in {"country", "provider", "chip"}
        table.add_column(header, justify="left" if left else "right", no_wrap=True)
    for row in rows.itertuples(index=False):
        table.add_row(
            row.country,
            getattr(row, "operator", row.provider),
            row.chip,
            str(row.modules),
            f"{row.accelerators:,}",
            f"{row.compute_eflops:,.2f}",
            f"{row.counted_eflops:,.2f}",
            f"{row.power_mw:,.1f}",
        )
    return table


def plan_summary(plan: Plan, console: Console | None = None) -> None:
    """Status, sovereignty, costs against the budget, the worst N-1 cut-off, the plan's range
    across futures, every period's allocation and the limits that bind."""
    con = console or Console()
    con.print(f"[bold]{plan.scenario_name}[/bold]: status [bold]{plan.status}[/bold]")
    assumed = plan.context.get("profile_assumption", "")
    if assumed:
        con.print(f"[yellow]warning[/yellow]: {escape(assumed)}")
    if plan.gap is not None and plan.status == "feasible":
        con.print(f"MIP gap {plan.gap:.2%} (stopped early)")
    if not plan.ok:
        con.print(plan.message, markup=False)
        if plan.diagnosis:
            con.print(str(plan.diagnosis.get("summary", plan.diagnosis)), markup=False)
        return
    s = plan.sovereignty
    con.print(
        f"Sovereignty index {s['index']:.3f} (territorial {s['territorial']:.3f}, "
        f"provider {s['provider']:.3f}, chip {s['chip']:.3f})"
    )
    k = plan.kpis
    con.print(
        f"Total cost {k['total_cost_musd']:,.0f} MUSD{_of_budget(plan)} (capex {k['capex_musd']:,.0f}, "
        f"opex {k['opex_musd']:,.0f}, energy {k['energy_cost_musd']:,.0f}, "
        f"fixed {k['site_fixed_musd'] + k['onboarding_musd'] + k['platform_musd']:,.0f}); "
        f"emissions {k['emissions_kt']:,.0f} kt CO2e; {_worst_cut(plan)}"
    )
    spread = range_line(plan.ranges)
    if spread:
        con.print(spread, markup=False, highlight=False)
    if "cost_basis" in k:
        con.print(
            f"Costs: {k['cost_basis']} basis, {k['horizon_start']}-{k['horizon_end']}, "
            f"discounted at {k['discount_rate']:.1%}; compute: {k['compute_basis']} EFLOP/s; "
            f"final fleet {k['cost_per_year_final_musd']:,.0f} MUSD per year"
        )
    for period in sorted(plan.allocation["period"].unique()):
        con.print(_allocation_table(plan, int(period)))
    binding = plan.limits[plan.limits["binding"]]
    if not binding.empty:
        con.print("Binding limits: " + ", ".join(binding["limit"]))
    for note in plan.notes:
        if note != assumed:
            con.print(f"note: {note}", markup=False)
    con.print()
    con.print("[bold]Reading[/bold]: " + read_plan(plan), highlight=False)


def info_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    """Print the data summary: each fact with the report's figure beside ours."""
    con = console or Console()
    table = Table(title="Data summary")
    table.add_column("fact")
    table.add_column("our data", justify="right")
    table.add_column("report", justify="right")
    table.add_column("note")
    for key, value in summary.items():
        if isinstance(value, dict) and "value" in value:
            table.add_row(
                key, _fmt(value["value"]), _fmt(value.get("report", "")), str(value.get("note", ""))
            )
        else:
            table.add_row(key, _fmt(value), "", "")
    con.print(table)


def codes_summary(listing: dict[str, Any], console: Console | None = None) -> None:
    """Print every valid code by kind, one table each (``sovplan info --codes``)."""
    con = console or Console()
    for kind, frame in listing.items():
        table = Table(title=f"{kind} ({len(frame)})")
        for col in frame.columns:
            table.add_column(str(col), overflow="fold")
        for row in frame.itertuples(index=False):
            table.add_row(*(escape(str(v)) for v in row))
        con.print(table)
