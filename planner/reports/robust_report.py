"""Terminal report of ``sovplan robust``: what to commit now, each future's plan, the
distribution, VSS and EVPI, the regret table, and the reading in words."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from planner.studies.robust import RobustResult


def _num(v: Any, fmt: str = "{:.3f}") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return fmt.format(v)


def print_robust(result: RobustResult, console: Console | None = None) -> None:
    """The robust study as tables (see the module doc)."""
    con = console or Console()
    years = ", ".join(map(str, result.here_and_now))
    if not result.ok:
        con.print(f"[bold]{result.scenario_name}[/bold]: {result.message}")
        for note in result.notes:
            con.print(f"note: {note}")
        return
    fs = result.first_stage
    t = Table(
        title=f"{result.scenario_name}: here-and-now plan ({years}), the same in every future"
    )
    for col in ("period", "where", "provider", "chip", "kind", "modules", "EFLOP/s",
                "capex", "opex"):  # fmt: skip
        t.add_column(col, justify="right" if col[0] in "pmEco" and col != "country" else "left")
    for r in fs.itertuples(index=False):
        t.add_row(
            str(r.period),
            str(r.country),
            str(r.provider),
            str(r.chip) + (f" ({r.existing})" if r.existing else ""),
            str(r.delivery),
            str(r.modules),
            _num(r.compute_eflops, "{:,.3g}"),
            _num(r.expected_capex_musd, "{:,.0f}"),
            _num(r.expected_opex_musd, "{:,.0f}"),
        )
    con.print(t if len(fs) else f"here-and-now ({years}): nothing new to commit")
    if len(fs):
        con.print("capex, opex: MUSD over the period, expected over the futures")

    ft = Table(title="Each future's plan (recourse after the here-and-now periods)")
    for col in ("future", "p", "index", "MUSD", "N-1", "own", "det.", "what differs"):
        ft.add_column(col, justify="left" if col in ("future", "what differs") else "right")
    fut = result.futures
    for r in fut.to_dict(orient="records"):
        differs = ", ".join(
            x for x in (r.get("cut") and f"cut {r['cut']}", r.get("overrides")) if x
        )
        ft.add_row(
            str(r["future"]),
            _num(r["probability"], "{:.2f}"),
            _num(r["index"]),
            _num(r["cost_musd"], "{:,.0f}"),
            _num(r["worst_kept_share"], "{:.0%}"),
            _num(r.get("own_optimum_index")),
            _num(r.get("deterministic_first_stage_index")),
            differs or "as given",
        )
    con.print(ft)
    con.print(
        "N-1: worst kept share after one cut; own: the future's own optimum; det.: the "
        "deterministic plan's commitments re-planned in it"
    )

    if not result.distribution.empty:
        dt = Table(title="Across the futures (weighted by probability)")
        for col in ("measure", "expected", "P10", "P50", "P90", "min", "max"):
            dt.add_column(col, justify="left" if col == "measure" else "right")
        for r in result.distribution.itertuples(index=False):
            fmt = (
                "{:,.0f}"
                if "MUSD" in r.measure
                else ("{:.0%}" if "share" in r.measure else "{:.3f}")
            )
            dt.add_row(
                r.measure, *(_num(v, fmt) for v in (r.expected, r.p10, r.p50, r.p90, r.min, r.max))
            )
        con.print(dt)

    con.print(
        f"robust objective ({result.objective}): {_num(result.robust_objective, '{:.4f}')}; "
        f"deterministic commitments (EEV): {_num(result.eev, '{:.4f}')}; "
        f"VSS: {_num(result.vss, '{:+.4f}')}; wait-and-see: {_num(result.wait_and_see, '{:.4f}')}; "
        f"EVPI: {_num(result.evpi, '{:.4f}')}"
    )
    if result.saa is None:
        proof = (
            "optimal (within the MIP gap)" if result.status == "optimal" else "not proven optimal"
        )
        gap = (
            f"within {result.gap:.2%} of the best possible (bound {result.bound:.4f})"
            if result.gap is not None and result.bound is not None
            else "bound unknown (none proven within the time limit)"
        )
        se = result.search
        how = (
            f"; {se.get('candidates', 0)} candidate first stages evaluated in every future "
            f"({se.get('recourse_solves', 0)} recourse solves), the best "
            f"{se.get('best_candidate') or '-'}; extensive form "
            + ("searched from it" if se.get("extensive_form_searched") else "not needed")
            if se
            else ""
        )
        con.print(f"{proof}: {gap}{how}")
    if result.saa:
        s = result.saa
        con.print(
            f"SAA: {s['replications']} replications x {s['draws']} draws; upper bound "
            f"{_num(s['upper_bound_mean'], '{:.4f}')} (sd {_num(s['upper_bound_sd'], '{:.4f}')}), "
            f"candidate {_num(s['candidate_value'], '{:.4f}')} on {s['evaluated_on']} futures; "
            f"gap {_num(s['gap'], '{:.4f}')} (95% bound {_num(s['gap_upper_95'], '{:.4f}')})"
        )

    if not result.regret.empty:
        rg = result.regret
        names = list(dict.fromkeys(rg["future"]))
        rt = Table(
            title="Regret: index of each first stage in each future (regret vs that future's own optimum)"
        )
        rt.add_column("first stage")
        for n in names:
            rt.add_column(n, justify="right")
        for label, grp in rg.groupby("first_stage", sort=False):
            cells = []
            for n in names:
                row = grp[grp["future"] == n].iloc[0]
                if row["index"] is None or (
                    isinstance(row["index"], float) and math.isnan(row["index"])
                ):
                    cells.append(
                        "pruned" if row.get("status") in ("pruned", "not evaluated") else "cannot"
                    )
                else:
                    cells.append(f"{row['index']:.3f} ({_num(row['regret'], '{:.3f}')})")
            rt.add_row(str(label), *cells)
        con.print(rt)
    con.print(result.reading)
    for note in result.notes:
        con.print(f"note: {note}")
