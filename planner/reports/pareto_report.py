"""Terminal output and files of ``sovplan pareto``: the frontier table, CSV/Parquet, plot."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from planner.studies.pareto import UNITS, ParetoResult

TABLE_SUFFIXES = {".csv", ".parquet"}
PLOT_SUFFIXES = {".html", ".png"}


def check_outputs(out: Path | None, plot: Path | None, force: bool) -> None:
    """Refuse bad suffixes, missing folders and existing files (without --force) before solving."""
    from planner.core.io import check_outputs as check

    check([(out, TABLE_SUFFIXES, "--out"), (plot, PLOT_SUFFIXES, "--plot")], force)


def write_outputs(result: ParetoResult, out: Path | None, plot: Path | None, force: bool) -> None:
    """Write the table (CSV or Parquet) and the plot (HTML or PNG), atomically."""
    from planner.core.io import write_output

    con = Console(stderr=True)
    if out is not None:
        if out.suffix.lower() == ".csv":
            write_output(out, result.table.to_csv(index=False), force)
        else:
            write_output(out, result.table.to_parquet(index=False), force)
        con.print(f"wrote {out} ({len(result.table)} points)")
    if plot is not None:
        from planner.reports.charts import pareto_html, pareto_png

        if plot.suffix.lower() == ".html":
            write_output(plot, pareto_html(result), force)
        else:
            write_output(plot, pareto_png(result), force)
        con.print(f"wrote {plot}")


def _fmt(name: str, value: float) -> str:
    return f"{value:,.0f}" if UNITS.get(name) in {"MUSD", "kt CO2e"} else f"{value:.4f}"


def print_frontier(result: ParetoResult, console: Console | None = None) -> None:
    """The frontier as a table (knee starred), then the method's counters."""
    con = console or Console()
    if not result.ok:
        con.print(f"[bold]{result.scenario_name}[/bold]: no frontier")
        for note in result.notes:
            con.print(note)
        return
    table = Table(title=f"{result.scenario_name}: efficient frontier")
    table.add_column("#", justify="right")
    for name in result.names:
        table.add_column(f"{name} ({UNITS[name]})", justify="right")
    for col in ("providers", "chips", "countries"):
        table.add_column(col)
    table.add_column("note")
    for _, row in result.table.iterrows():
        note = []
        if row["knee"]:
            note.append("★ knee")
        if row["structure_change"]:
            note.append("mix change")
        if row["status"] != "optimal":
            note.append(str(row["status"]))
        table.add_row(
            str(row["point"]),
            *[_fmt(n, row[n]) for n in result.names],
            row["providers"],
            row["chips"],
            row["countries"],
            ", ".join(note),
        )
    con.print(table)
    s = result.stats
    con.print(
        f"{s['points']} efficient points; {s['solver_calls']} solver calls "
        f"({s['payoff_solver_calls']} for the payoff table); "
        + (f"grid {s['grid_points']}, " if s["grid_points"] is not None else "every point, ")
        + f"solved {s['solved']}, bypassed {s['bypassed']}, skipped as infeasible "
        f"{s['infeasible_skipped']}; {s['seconds']:.1f} s with {s['workers']} worker(s)"
    )
    for note in result.notes:
        con.print(f"note: {note}")
