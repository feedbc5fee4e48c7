"""Terminal table and files of ``sovplan alternatives`` (the figure: ``charts``).

The terminal table is built for comparing plans at a glance: one row per plan with its
index, cost (and the change against the optimum), the final-period top countries, providers
and chip designers, and how it differs from the optimum in words.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from planner.reports.charts import alternatives_figure
from planner.reports.numbers import objective_value, readable
from planner.studies.alternatives import AlternativesResult

TABLE_SUFFIXES = {".csv", ".parquet", ".json"}
PLOT_SUFFIXES = {".html"}


def check_outputs(out: Path | None, plot: Path | None, force: bool) -> None:
    """Refuse bad suffixes, missing folders and existing files (without --force) before solving."""
    from planner.core.io import check_outputs as check

    check([(out, TABLE_SUFFIXES, "--out"), (plot, PLOT_SUFFIXES, "--plot")], force)


def write_outputs(
    result: AlternativesResult, out: Path | None, plot: Path | None, force: bool
) -> None:
    """The table as CSV/Parquet, or everything (table and full plans) as JSON; the figure."""
    from planner.core.io import write_output

    con = Console(stderr=True)
    if out is not None:
        suffix = out.suffix.lower()
        if suffix == ".csv":
            write_output(out, result.table.to_csv(index=False), force)
        elif suffix == ".parquet":
            write_output(out, result.table.to_parquet(index=False), force)
        else:
            write_output(out, json.dumps(result.to_dict(), indent=2, default=str), force)
        con.print(f"wrote {out} ({len(result)} plans)")
    if plot is not None:
        write_output(plot, alternatives_html(result), force)
        con.print(f"wrote {plot}")


def alternatives_html(result: AlternativesResult) -> str:
    """A standalone HTML page (plotly.js inlined, works offline): the figure and the table."""
    fig = alternatives_figure(result).to_html(full_html=False, include_plotlyjs=True)
    table = result.table.to_html(index=False, float_format=readable)
    title = f"Near-optimal alternatives: {result.scenario_name}"
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body>{fig}{table}</body></html>"
    )


def print_alternatives(result: AlternativesResult, console: Console | None = None) -> None:
    """The plans side by side (one row each), then notes and timings."""
    con = console or Console()
    if not result.ok:
        con.print(f"[bold]{result.scenario_name}[/bold]: no plan")
        for note in result.notes:
            con.print(note)
        return
    t = result.table
    cost0 = float(t.loc[0, "cost_musd"])
    if result.objective == "sovereignty":
        within = f"index ≥ {result.bound:.3f}"
    else:
        within = (
            f"{result.objective} {'≥' if result.bound < result.best else '≤'} "
            f"{objective_value(result.objective, result.bound)}"
        )
    table = Table(
        title=(
            f"{result.scenario_name}: {len(result)} plans within {result.slack:.0%} of the best "
            f"{result.objective} ({within}), as different as possible by {result.metric}"
        ),
        caption="Top shares of final-period compute",
    )
    table.add_column("#", justify="right")
    table.add_column("index", justify="right")
    table.add_column("cost MUSD", justify="right")
    table.add_column("countries")
    table.add_column("providers")
    table.add_column("chip designers")
    table.add_column("status")
    for _, row in t.iterrows():
        i = int(row["alternative"])
        cost = float(row["cost_musd"])
        cost_txt = f"{cost:,.0f}" + ("" if i == 0 else f"\n({(cost / cost0 - 1):+.0%})")
        table.add_row(
            str(i),
            f"{row['sovereignty']:.3f}",
            cost_txt,
            *(str(row[c]).replace(", ", "\n") for c in ("countries", "providers", "designers")),
            str(row["status"]),
        )
    con.print(table)
    # the differences in words, one line per plan below the table: they are sentences
    # (names, not codes) and a table column too narrow for them would cut them
    if len(t) > 1:
        con.print("How each plan differs from #0 (shares of final-period compute):")
        for _, row in t.iloc[1:].iterrows():
            con.print(f"  #{int(row['alternative'])}: {row['differs']}", highlight=False)
    s = result.stats
    per = s.get("seconds_per_plan") or [0.0]
    alt = per[1:]
    con.print(
        f"{len(result)} plans; {s['solver_calls']} solver calls on one model; "
        f"{s['seconds']:.1f} s (optimum {per[0]:.1f} s"
        + (f", {sum(alt) / len(alt):.1f} s per alternative)" if alt else ")")
    )
    for note in result.notes:
        con.print(f"note: {note}")
