"""Figures and tables of a sweep: tornado (OAT), heatmap (two-parameter grid), Morris/Sobol bars.

Every function takes the DataFrame that :func:`planner.studies.sweep.sweep` returns (or
:func:`planner.studies.sweep.read_runs` reads back) and returns a plotly figure or a DataFrame, so
the CLI's ``--report DIR`` and the Streamlit UI draw the same charts.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import pandas as pd

from planner.core.errors import InputError
from planner.core.io import atomic_write
from planner.core.results import same_within_gap
from planner.core.scenario import Solver
from planner.studies.sweep_design import _canon, indices
from planner.studies.sweep_runs import OK_STATUSES

LABELS = {
    "sovereignty_index": "sovereignty index",
    "total_cost_musd": "total cost (MUSD)",
    "energy_cost_musd": "energy cost (MUSD)",
    "emissions_kt": "emissions (kt CO2e)",
}
#: Outputs a report covers.
REPORT_OUTPUTS = ("sovereignty_index", "total_cost_musd")


def _label(output: str) -> str:
    return LABELS.get(output, output)


def _spec(runs: pd.DataFrame, spec: dict[str, Any] | None) -> dict[str, Any]:
    spec = spec or runs.attrs.get("sweep")
    if not spec:
        raise InputError("these runs carry no sweep description (read them with read_runs)")
    return spec


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def output_tolerance(output: str, spec: dict[str, Any] | None = None) -> float:
    """Relative tolerance of a sweep output: below it two runs' values are the same answer.

    The sovereignty objective is solved to the MIP gap and costs to the tie-break gap
    (``spec["rel_gap"]`` overrides both); differences below them are solver noise.
    """
    if spec and spec.get("rel_gap") is not None:
        return float(spec["rel_gap"])
    mip = Solver.model_fields["mip_gap"].default
    tie = Solver.model_fields["tie_break_gap"].default
    return float(mip if output == "sovereignty_index" else max(mip, tie))


def _denoised(values: pd.Series, base: float, rel_gap: float) -> pd.Series:
    """Values within the solve's tolerance of the base set to the base (no noise bars)."""
    if not math.isfinite(base):
        return values
    return values.map(
        lambda v: base if pd.notna(v) and same_within_gap(float(v), base, rel_gap) else v
    )


def _snapped(values: pd.Series, rel_gap: float) -> pd.Series:
    """Values within the solve's tolerance of each other shown as one value (the smallest of
    each such cluster, sorted): a heatmap or line must not draw solver noise (the cost
    tie-break's 0.1% gap) as an effect."""
    finite = sorted({float(v) for v in values.dropna() if math.isfinite(float(v))})
    rep: dict[float, float] = {}
    anchor = None
    for v in finite:
        if anchor is None or not same_within_gap(v, anchor, rel_gap):
            anchor = v
        rep[v] = anchor
    return values.map(lambda v: rep.get(float(v), v) if pd.notna(v) else v)


#: Plotly number formats per output: an index to three decimals, money to the MUSD.
FORMATS = {"sovereignty_index": ".3f"}


def _fmt(output: str) -> str:
    return FORMATS.get(output, ",.0f")


def _constant(values: pd.Series) -> float | None:
    """The one value every run with a plan shares (None if they differ or none has one)."""
    finite = values.dropna()
    return float(finite.iloc[0]) if len(finite) and finite.nunique() == 1 else None


def _note(fig: Any, text: str) -> None:
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=0.5, y=1.0, yanchor="bottom",
        showarrow=False, font={"size": 13},
    )  # fmt: skip


def oat_table(
    runs: pd.DataFrame, output: str = "sovereignty_index", spec: dict[str, Any] | None = None
) -> pd.DataFrame:
    """One row per parameter of a one-at-a-time sweep: its range and the output's swing.

    Columns: parameter, base_value, low_value, high_value, output_base, output_low (at the
    lowest value), output_high (at the highest), output_min, output_max, swing
    (max - min over every value tried), sorted by swing. Outputs within the solve's
    tolerance of the base run (``output_tolerance``) count as the base: a tornado must not
    magnify solver noise into a bar.
    """
    spec = _spec(runs, spec)
    names = list(spec["params"])
    base = spec["base"]
    at_base = pd.Series(True, index=runs.index)
    for n in names:
        at_base &= runs[n].map(_canon) == _canon(base[n])
    base_out = _numeric(runs.loc[at_base, output]).iloc[0] if at_base.any() else math.nan
    base_out = float(base_out) if pd.notna(base_out) else math.nan
    rel_gap = output_tolerance(output, spec)
    rows = []
    for name in names:
        others = pd.Series(True, index=runs.index)
        for n in names:
            if n != name:
                others &= runs[n].map(_canon) == _canon(base[n])
        sel = runs[others]
        if sel.empty:
            continue
        sel = sel.assign(_out=_denoised(_numeric(sel[output]), base_out, rel_gap))
        with contextlib.suppress(TypeError):
            sel = sel.sort_values(name, kind="stable")
        low, high = sel.iloc[0], sel.iloc[-1]
        rows.append(
            {
                "parameter": name,
                "base_value": base[name],
                "low_value": low[name],
                "high_value": high[name],
                "output_base": base_out,
                "output_low": low["_out"],
                "output_high": high["_out"],
                "output_min": sel["_out"].min(),
                "output_max": sel["_out"].max(),
                "swing": sel["_out"].max() - sel["_out"].min(),
            }
        )
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values("swing", ascending=False, na_position="last")
    table.insert(1, "output", output)
    return table.reset_index(drop=True)


def tornado_figure(
    runs: pd.DataFrame, output: str = "sovereignty_index", spec: dict[str, Any] | None = None
):
    """Tornado chart of a one-at-a-time sweep: each parameter's low and high value."""
    import plotly.graph_objects as go

    table = oat_table(runs, output, spec).iloc[::-1]  # largest swing on top
    base = float(table["output_base"].iloc[0]) if len(table) else 0.0
    fig = go.Figure()
    if table.empty or not (table["swing"].fillna(0.0).abs() > 0).any():
        why = (
            "no run at the base values to compare with"
            if table.empty or not math.isfinite(base)
            else f"no parameter moves the {_label(output)} (every run: {base:{_fmt(output)}}, "
            "within the solver's tolerance); try weights, scores or the target"
        )
        _note(fig, why)
    for side, colour in (("low", "#4477aa"), ("high", "#ee6677")):
        fig.add_trace(
            go.Bar(
                y=table["parameter"],
                x=table[f"output_{side}"] - base,
                base=base,
                orientation="h",
                name=f"{side} value",
                marker_color=colour,
                customdata=table[[f"{side}_value", f"output_{side}"]].to_numpy(),
                hovertemplate="%{y} = %{customdata[0]}<br>"
                + _label(output)
                + f" %{{customdata[1]:{_fmt(output)}}}<extra></extra>",
            )
        )
    fig.add_vline(x=base, line_dash="dot", annotation_text=f"base {base:{_fmt(output)}}")
    fig.update_layout(
        title=f"One-at-a-time sensitivity of the {_label(output)}",
        barmode="overlay",
        xaxis_title=_label(output),
        yaxis_title="parameter (low - high value)",
        template="plotly_white",
    )
    return fig


def heatmap_figure(
    runs: pd.DataFrame,
    x: str,
    y: str,
    output: str = "sovereignty_index",
):
    """Heatmap of ``output`` over a two-parameter grid (mean over any other parameter)."""
    import plotly.graph_objects as go

    for name in (x, y):
        if name not in runs.columns:
            raise InputError(f"heatmap: '{name}' is not a parameter of these runs")
    rel_gap = output_tolerance(output, runs.attrs.get("sweep"))
    data = runs.assign(_out=_snapped(_numeric(runs[output]), rel_gap))
    grid = data.pivot_table(index=y, columns=x, values="_out", aggfunc="mean", dropna=False)
    grid = grid.apply(lambda col: _snapped(col, rel_gap))
    same = _constant(pd.Series(grid.to_numpy().ravel()))
    extra = [c for c in (runs.attrs.get("sweep") or {}).get("params", {}) if c not in (x, y)]
    title = f"{_label(output)} by {x} and {y}"
    if extra:
        title += f" (mean over {', '.join(extra)})"
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[str(c) for c in grid.columns],
            y=[str(i) for i in grid.index],
            # one flat colour when every cell is the same answer (no false gradient)
            colorscale="Viridis" if same is None else [[0, "#9ab"], [1, "#9ab"]],
            showscale=same is None,
            colorbar={"title": _label(output), "tickformat": _fmt(output)},
            texttemplate=f"%{{z:{_fmt(output)}}}",
            hovertemplate=f"{x} %{{x}}<br>{y} %{{y}}<br>{_label(output)} "
            f"%{{z:{_fmt(output)}}}<extra></extra>",
        )
    )
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template="plotly_white")
    if same is not None:
        _note(fig, f"the same {_label(output)} in every run: {same:{_fmt(output)}}")
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return fig


def line_figure(runs: pd.DataFrame, x: str, output: str = "sovereignty_index"):
    """``output`` against one parameter (a one-parameter grid); failed runs are gaps."""
    import plotly.graph_objects as go

    rel_gap = output_tolerance(output, runs.attrs.get("sweep"))
    data = runs.assign(_out=_snapped(_numeric(runs[output]), rel_gap))
    with contextlib.suppress(TypeError):
        data = data.sort_values(x)
    fig = go.Figure(go.Scatter(x=data[x], y=data["_out"], mode="lines+markers"))
    fig.update_yaxes(tickformat=_fmt(output))
    same = _constant(data["_out"])
    if same is not None:
        _note(fig, f"the same {_label(output)} in every run: {same:{_fmt(output)}}")
    fig.update_layout(
        title=f"{_label(output)} against {x}",
        xaxis_title=x,
        yaxis_title=_label(output),
        template="plotly_white",
    )
    return fig


def indices_figure(table: pd.DataFrame):
    """Bars of Sobol (S1, ST) or Morris (mu*, sigma) indices with confidence intervals."""
    import plotly.graph_objects as go

    if table.empty:
        raise InputError("no indices to draw")
    method = str(table["method"].iloc[0])
    output = str(table["output"].iloc[0])
    fig = go.Figure()
    if method == "sobol":
        bars = [("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST")]
        title = f"Sobol indices of the {_label(output)}"
        axis = "share of output variance"
    else:
        bars = [("mu_star", "mu_star_conf", "mu* (mean |effect|)"), ("sigma", None, "sigma")]
        title = f"Morris screening of the {_label(output)}"
        axis = f"elementary effect on the {_label(output)}"
    table = table.sort_values(bars[1][0], ascending=False)
    for col, conf, name in bars:
        error = {"type": "data", "array": table[conf]} if conf else None
        fig.add_trace(go.Bar(x=table["parameter"], y=table[col], name=name, error_y=error))
    failed = int(table["failed_runs"].iloc[0]) if "failed_runs" in table else 0
    if failed:
        title += f" ({failed} of {int(table['runs'].iloc[0])} runs without a plan)"
    fig.update_layout(
        title=title,
        barmode="group",
        yaxis_title=axis,
        xaxis_title="parameter",
        template="plotly_white",
    )
    return fig


def figures(runs: pd.DataFrame, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every figure that suits the sweep's method, by file stem (what ``--report`` writes)."""
    spec = _spec(runs, spec)
    names = list(spec["params"])
    method = spec["method"]
    out: dict[str, Any] = {}
    for output in REPORT_OUTPUTS:
        if method == "oat":
            out[f"tornado_{output}"] = tornado_figure(runs, output, spec)
        elif method == "grid" and len(names) >= 2:
            out[f"heatmap_{output}"] = heatmap_figure(runs, names[0], names[1], output)
        elif method == "grid":
            out[f"line_{output}"] = line_figure(runs, names[0], output)
        else:
            table = report_indices(runs, output, spec)
            if table is not None:
                out[f"{method}_{output}"] = indices_figure(table)
    return out


def report_indices(
    runs: pd.DataFrame, output: str, spec: dict[str, Any] | None = None
) -> pd.DataFrame | None:
    """Indices of one output for a report.

    A run without a plan counts as index 0 (nothing delivered); the cost of such a run has
    no meaning, so cost indices are left out (None) while any run failed.
    """
    ok = runs["status"].isin(OK_STATUSES)
    if output == "sovereignty_index":
        return indices(runs, output, fill_failed=0.0, spec=spec)
    if not ok.all():
        return None
    return indices(runs, output, spec=spec)


def write_report(
    runs: pd.DataFrame,
    folder: str | Path,
    spec: dict[str, Any] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the sweep's charts (plotly HTML) and tables (CSV) into ``folder``.

    Refuses to overwrite any existing file unless ``force``; returns the files written.
    """
    spec = _spec(runs, spec)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--report {folder}: is a file, expected a folder")
    figs = figures(runs, spec)
    tables: dict[str, pd.DataFrame] = {"runs": runs}
    if spec["method"] == "oat":
        tables["oat"] = pd.concat([oat_table(runs, o, spec) for o in REPORT_OUTPUTS])
    elif spec["method"] in ("morris", "sobol"):
        parts = [report_indices(runs, o, spec) for o in REPORT_OUTPUTS]
        tables["indices"] = pd.concat([p for p in parts if p is not None])
    targets = [folder / f"{stem}.html" for stem in figs] + [folder / f"{s}.csv" for s in tables]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise InputError(
            f"--report {folder}: {', '.join(p.name for p in existing)} already exist(s); "
            "pass --force to overwrite"
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, fig in figs.items():
        path = folder / f"{stem}.html"
        # plotly.min.js is written once beside the charts, so they work offline
        atomic_write(
            path, lambda tmp, fig=fig: fig.write_html(tmp, include_plotlyjs="directory"), True
        )
        written.append(path)
    for stem, table in tables.items():
        path = folder / f"{stem}.csv"
        atomic_write(path, lambda tmp, table=table: table.to_csv(tmp, index=False), True)
        written.append(path)
    return written


def print_summary(
    runs: pd.DataFrame, out: str | Path | None = None, written: list[Path] | None = None
) -> None:
    """What the CLI prints after a sweep: counts by status, the best/worst runs or indices."""
    from rich.console import Console
    from rich.table import Table

    con = Console()
    spec = runs.attrs.get("sweep") or {}
    names = list(spec.get("params", []))
    counts = runs["status"].value_counts()
    status = ", ".join(f"{n} {s}" for s, n in counts.items())
    con.print(
        f"[bold]{spec.get('method', 'sweep')}[/bold] sweep of {len(names)} parameter(s): "
        f"{len(runs)} runs ({status})"
    )
    failed = runs[~runs["status"].isin(OK_STATUSES)]
    if len(failed):
        first = failed.iloc[0]
        point = ", ".join(f"{n}={first[n]}" for n in names)
        con.print(f"first failed run: {point}: {first['status']}: {str(first['error'])[:300]}")
    if spec.get("method") in ("morris", "sobol"):
        for output in REPORT_OUTPUTS:
            try:
                table = report_indices(runs, output, spec)
            except InputError as exc:
                con.print(f"{_label(output)}: no indices ({exc})")
                continue
            if table is None:
                con.print(f"{_label(output)}: no indices (some runs have no plan)")
                continue
            cols = [
                c
                for c in table.columns
                if c not in ("parameter", "method", "output", "runs", "failed_runs")
            ]
            t = Table(title=f"{spec['method'].title()} indices of the {_label(output)}")
            t.add_column("parameter")
            for c in cols:
                t.add_column(c, justify="right")
            for _, row in table.iterrows():
                t.add_row(row["parameter"], *(f"{row[c]:.3g}" for c in cols))
            con.print(t)
    else:
        shown = runs.head(30)
        t = Table(title="Runs" + (f" (first 30 of {len(runs)})" if len(runs) > 30 else ""))
        cols = [*names, "status", "sovereignty_index", "total_cost_musd"]
        for c in cols:
            t.add_column(c, justify="left" if c == "status" else "right")
        for _, row in shown.iterrows():
            cells = []
            for c in cols:
                v = row[c]
                cells.append(
                    f"{v:.4g}"
                    if isinstance(v, float) and not math.isnan(v)
                    else ("-" if v is None or v != v else str(v))
                )
            t.add_row(*cells)
        con.print(t)
    if out is not None:
        con.print(f"runs written to {out}")
    for path in written or []:
        con.print(f"wrote {path}")
