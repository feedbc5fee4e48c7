"""sovplan: the command line.

Exit codes: 0 success; 1 solved but infeasible / no solution; 2 bad input (one paragraph
naming file, field and reason; the traceback only with --debug).

Heavy modules (pyomo, highspy, pandas) are imported inside the commands so that
``sovplan --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="sovplan",
    help="Compute-sovereignty planner: where to site AI compute, with which providers and chips.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

STATE: dict[str, bool] = {"debug": False}

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override one scenario field: KEY=VALUE with a dotted key (repeatable), "
        "e.g. --set budget=5000 --set limits.max_share_provider=0.3",
    ),
]
ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file", show_default=False)]
MipGapOption = Annotated[float | None, typer.Option("--mip-gap", help="Relative MIP gap")]
#: --time-limit of the commands that run many solves: the whole command, as for solve
CommandTimeLimit = Annotated[
    float | None,
    typer.Option(
        "--time-limit",
        help="Seconds for the whole command, shared out across its solves",
    ),
]
#: the bound on each of those solves, for those who want one as well
PerSolveTimeLimit = Annotated[
    float | None,
    typer.Option(
        "--time-limit-per-solve",
        help="Seconds per solve as well (default: the scenario's solver.time_limit)",
    ),
]


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors")] = False,
) -> None:
    STATE["debug"] = debug


def fail(message: str, code: int = 2) -> None:
    """Print an error paragraph to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


#: exit code when stdout is closed early (``sovplan solve ... | head -1``): 128 + SIGPIPE,
#: what a command killed by SIGPIPE reports, silently (the reader wanted no more)
BROKEN_PIPE_EXIT = 141


def _quiet_broken_pipe() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _rich_pipe_policy() -> None:
    """Rich exits 1 on a closed stdout (``Console.on_broken_pipe``, its documented hook);
    make it raise BrokenPipeError so every command ends the same quiet way."""
    from rich.console import Console

    def on_broken_pipe(self: Console) -> None:
        _quiet_broken_pipe()
        raise BrokenPipeError

    Console.on_broken_pipe = on_broken_pipe  # type: ignore[method-assign]


def guarded(fn: Callable[[], Any], time_limit: float | None = None, interrupted: str = "") -> Any:
    """Run a command body under one deadline (``--time-limit`` covers the whole command) and
    turn expected errors, Ctrl-C and SIGTERM into exit codes and messages."""
    from planner.core import deadline
    from planner.core.errors import PlannerError

    deadline.install_signal_handlers()
    _rich_pipe_policy()
    try:
        limit = deadline.check_time_limit(time_limit)
        with deadline.scope(limit):
            return fn()
    except typer.Exit:
        raise
    except BrokenPipeError:
        _quiet_broken_pipe()
        raise typer.Exit(BROKEN_PIPE_EXIT) from None
    except PlannerError as exc:
        if STATE["debug"]:
            traceback.print_exc()
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt as exc:
        typer.echo(f"interrupted{interrupted}", err=True)
        raise typer.Exit(deadline.exit_code_of(exc)) from None
    except Exception as exc:  # an unexpected failure still gets a message, not a traceback
        if STATE["debug"]:
            traceback.print_exc()
        fail(f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)", 1)


def _resume_command() -> str:
    """This command line with ``--resume`` (what an interrupted sweep prints)."""
    import shlex

    args = [a for a in sys.argv[1:] if a not in ("--resume", "--force")]
    return " ".join(["sovplan", *map(shlex.quote, args), "--resume"])


@contextlib.contextmanager
def _solve_bar(label: str, total: int):
    """A rich bar on stderr counting a study's solves against its estimate (only on a
    terminal: piped output and tests stay clean)."""
    from planner.core.progress import rich_bar, track

    if not sys.stderr.isatty():
        yield
        return
    callback, close = rich_bar(label)
    try:
        with track(total, callback):
            yield
    finally:
        close()


def _load(scenario: Path, overrides: list[str] | None):
    from planner.core.scenario import load_scenario

    return load_scenario(scenario, overrides or [])


@app.command()
def solve(
    scenario: ScenarioArg,
    set_: SetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the plan as JSON to this file")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds for the whole command")
    ] = None,
    mip_gap: MipGapOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists")] = False,
) -> None:
    """Solve a scenario: maximise sovereignty within budget and limits."""

    def body() -> int:
        from planner.core.deadline import remaining
        from planner.core.io import check_writable, write_output
        from planner.reports.plan_report import plan_summary
        from planner.studies.solving import solve_and_diagnose as run

        if out is not None:  # before solving, so a long solve is not lost to a bad path
            check_writable(out, force)
        sc = _load(scenario, set_)
        left = remaining()  # the command's deadline already covers loading
        plan = run(
            sc, time_limit=None if left is None else max(left, 1e-3), mip_gap=mip_gap, ranges=True
        )
        payload = plan.to_dict()
        if out is not None:
            write_output(out, json.dumps(payload, indent=2), force=True)
        if as_json:
            typer.echo(json.dumps(payload, indent=2))
        else:
            plan_summary(plan)
        return 0 if plan.ok else 1

    raise typer.Exit(guarded(body, time_limit))


@app.command()
def validate(scenario: ScenarioArg, set_: SetOption = None) -> None:
    """Check a scenario and its data tables without solving."""

    def body() -> None:
        from planner.core.data import load_tables
        from planner.core.inputs import build_inputs

        sc = _load(scenario, set_)
        inp, ctx = build_inputs(sc, load_tables(sc.data))

        def count(n: int, word: str, plural: str | None = None) -> str:
            return f"{n} {word if n == 1 else plural or word + 's'}"

        typer.echo(
            f"{scenario}: valid; home {', '.join(sc.home)} ({count(len(ctx.home), 'country', 'countries')}), "
            f"{count(len(inp.options), 'option')}, {count(len(inp.periods), 'period')}, "
            f"{count(len(inp.foreign_jurisdictions), 'foreign jurisdiction')}"
        )
        if ctx.assumption:
            typer.echo(f"warning: {ctx.assumption}", err=True)

    guarded(body)


@app.command()
def export(
    scenario: ScenarioArg,
    path: Annotated[Path, typer.Argument(help="Output .mps or .lp file")],
    set_: SetOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists")] = False,
) -> None:
    """Write the exact model HiGHS solves (sovereignty objective) as MPS or LP."""

    def body() -> None:
        from planner.core.errors import InputError
        from planner.core.io import atomic_write, check_writable
        from planner.core.solve import export as run

        if path.suffix not in {".mps", ".lp"}:
            raise InputError(f"{path}: the file must end in .mps or .lp")
        check_writable(path, force)  # before the model is built
        sc = _load(scenario, set_)
        size: dict[str, int] = {}

        def write(tmp: Path) -> None:
            size.update(run(sc, str(tmp)))

        atomic_write(path, write, force)
        typer.echo(
            f"wrote {path}: {size['rows']} rows, {size['columns']} columns "
            f"({size['integer_columns']} integer), {size['nonzeros']} nonzeros"
        )

    guarded(body)


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file")] = None,
    force: Annotated[bool, typer.Option("--force")] = False,
) -> None:
    """Print the JSON Schema of scenario files (for editors)."""

    def body() -> None:
        from planner.core.io import write_output
        from planner.core.scenario import json_schema

        text = json.dumps(json_schema(), indent=2)
        if out is None:
            typer.echo(text)
        else:
            write_output(out, text, force)

    guarded(body)


@app.command()
def docs(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (e.g. docs/model.md)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists")] = False,
    examples: Annotated[
        list[Path] | None,
        typer.Option(
            "--examples",
            help="Instead: re-solve the worked examples tagged in this Markdown file "
            "(repeatable, e.g. README.md) and report every quoted number or supplier that "
            "differs (exit 1)",
        ),
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="With --examples: rewrite the tagged values")
    ] = False,
) -> None:
    """Print the model's mathematics (sets, variables, constraint families, objectives,
    option rules) as Markdown generated from the code; --examples checks (or --update
    rewrites) the worked examples quoted in the README and docs."""

    def body() -> int:
        from planner.core.io import write_output
        from planner.reports.doc_examples import check_file, update_file
        from planner.reports.model_doc import model_markdown

        if examples:
            root = Path(__file__).resolve().parent.parent
            drift = 0
            for path in examples:
                if update:
                    text, changed = update_file(path, root)
                    if changed:
                        write_output(path, text, force=True)
                    for m in changed:
                        typer.echo(f"updated {m}")
                else:
                    for m in check_file(path, root):
                        typer.echo(str(m))
                        drift += 1
            if not drift:
                typer.echo("every tagged example matches the code" if not update else "done")
            return 1 if drift else 0
        text = model_markdown()
        if out is None:
            typer.echo(text, nl=False)
        else:
            write_output(out, text, force)
        return 0

    raise typer.Exit(guarded(body))


@app.command()
def info(
    data: Annotated[
        Path | None, typer.Option("--data", help="Data folder (default: bundled)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON")] = False,
    codes: Annotated[
        bool,
        typer.Option(
            "--codes",
            help="List the valid country, bloc, provider, chip, designer, jurisdiction and "
            "relationship-profile codes instead",
        ),
    ] = False,
) -> None:
    """Summarise the data tables and reproduce the report's headline facts (--codes: list
    every code a scenario may use)."""

    def body() -> None:
        from planner.core.data import load_tables
        from planner.reports.info import codes_listing, data_summary
        from planner.reports.plan_report import codes_summary, info_summary

        if codes:
            listing = codes_listing(load_tables(data))
            if as_json:
                payload = {k: v.to_dict(orient="records") for k, v in listing.items()}
                typer.echo(json.dumps(payload, indent=2, default=str))
            else:
                codes_summary(listing)
            return
        summary = data_summary(load_tables(data))
        if as_json:
            typer.echo(json.dumps(summary, indent=2, default=str))
        else:
            info_summary(summary)

    guarded(body)


def ui_port(port: int | None) -> int:
    """--port, else Streamlit's own STREAMLIT_SERVER_PORT (which the explicit --server.port
    passed to Streamlit would otherwise override), else 8501."""
    if port is not None:
        return port
    env = os.environ.get("STREAMLIT_SERVER_PORT", "").strip()
    if not env:
        return 8501
    if not env.isdigit() or not 0 < int(env) < 65536:
        fail(f"STREAMLIT_SERVER_PORT: '{env}' is not a port number (1-65535)")
    return int(env)


@app.command()
def ui(
    port: Annotated[
        int | None,
        typer.Option(
            "--port", help="Port to serve on (default: $STREAMLIT_SERVER_PORT, else 8501)"
        ),
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on; the default serves this machine only, pass 0.0.0.0 "
            "(or an interface's address) to expose the app to the network deliberately",
        ),
    ] = "127.0.0.1",
    headless: Annotated[
        bool, typer.Option("--headless/--browser", help="Do not open a browser")
    ] = True,
) -> None:
    """Start the Streamlit app (on 127.0.0.1 unless --host says otherwise)."""
    app_path = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    port = ui_port(port)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
    ]
    os.execv(sys.executable, cmd)


@app.command()
def sweep(
    scenario: ScenarioArg,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="NAME=v1,v2,... or NAME=lo:hi:n (repeatable); NAME is a dotted scenario key "
            "or budget_scale, target_scale, electricity_price_scale, chip_price_scale, "
            "carbon_price",
        ),
    ] = None,
    grid: Annotated[
        Path | None, typer.Option("--grid", help="YAML file: NAME: \\[values] or NAME: lo:hi:n")
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="grid | oat (one at a time) | morris | sobol")
    ] = "grid",
    samples: Annotated[
        int,
        typer.Option("--samples", help="Morris trajectories, or Sobol base samples (a power of 2)"),
    ] = 16,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Morris/Sobol sample")] = 0,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Local processes (default: cores)")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Parquet file of runs (written as they finish)")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue --out: skip the runs already in it")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Folder for the charts (HTML) and CSVs")
    ] = None,
    set_: SetOption = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            help="Seconds for the whole sweep, shared out across its runs (runs it leaves "
            "unstarted are recorded lost; --resume runs them)",
        ),
    ] = None,
    time_limit_per_solve: Annotated[
        float | None,
        typer.Option("--time-limit-per-solve", help="Seconds per run as well"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite --out / --report files if they exist")
    ] = False,
    study: Annotated[
        str,
        typer.Option(
            "--study",
            help="Per run: solve (one plan) or alternatives (adds how many near-optimal "
            "alternatives keep the optimum's top country/provider/chip designer)",
        ),
    ] = "solve",
    slack: Annotated[
        float | None, typer.Option("--slack", help="--study alternatives: slack (default 0.05)")
    ] = None,
    n: Annotated[
        int | None, typer.Option("--n", help="--study alternatives: plans per run (default 3)")
    ] = None,
) -> None:
    """Solve a batch of variants for sensitivity analysis (grid, OAT, Morris, Sobol)."""

    def body() -> int:
        from planner.core.deadline import check_time_limit, exit_code_of
        from planner.core.io import check_output_folder
        from planner.reports.sweep_report import print_summary, write_report
        from planner.studies.sweep import TIME_UP, load_grid, parse_param
        from planner.studies.sweep import sweep as run

        if report is not None:
            check_output_folder(report, force)  # before any run, like --out (in sweep)
        params: dict[str, list] = dict(load_grid(grid)) if grid is not None else {}
        for text in param or []:
            name, values = parse_param(text)
            params[name] = values
        if out is not None:
            runs_kept = f"; the finished runs are in {out}; resume with: {_resume_command()}"
        else:
            runs_kept = " (no --out: nothing was saved)"
        if time_limit is not None:
            check_time_limit(time_limit)
        check_time_limit(time_limit_per_solve, "--time-limit-per-solve")
        try:
            runs = run(
                scenario,
                params,
                workers=workers,
                scheduler=scheduler,
                out=out,
                resume=resume,
                method=method,
                samples=samples,
                seed=seed,
                force=force,
                overrides=set_ or [],
                time_limit=time_limit,
                time_limit_per_solve=time_limit_per_solve,
                progress=True,
                study=study,
                study_options={k: v for k, v in (("slack", slack), ("n", n)) if v is not None},
            )
        except KeyboardInterrupt as exc:
            typer.echo(f"interrupted{runs_kept}", err=True)
            return exit_code_of(exc)
        written = write_report(runs, report, force=force) if report is not None else []
        print_summary(runs, out, written)
        unstarted = int(runs["error"].astype(str).str.startswith(TIME_UP).sum())
        if unstarted:
            typer.echo(
                f"the time limit ran out before {unstarted} run(s) started"
                + (f"; resume with: {_resume_command()}" if out is not None else ""),
                err=True,
            )
        return 0 if runs["status"].isin(["optimal", "feasible"]).any() else 1

    raise typer.Exit(guarded(body))


@app.command()
def pareto(
    scenario: ScenarioArg,
    x: Annotated[str, typer.Option("--x", help="Objective on the x axis (constrained)")] = "cost",
    y: Annotated[str, typer.Option("--y", help="Main objective (y axis)")] = "sovereignty",
    z: Annotated[
        str | None, typer.Option("--z", help="Optional third objective (constrained)")
    ] = None,
    points: Annotated[
        int,
        typer.Option("--points", help="Grid values per constrained objective; 0 = every point"),
    ] = 21,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Processes sharing the grid (default: cores)"),
    ] = None,
    set_: SetOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the frontier table (.csv or .parquet)")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the frontier plot (.html or .png)")
    ] = None,
    time_limit: CommandTimeLimit = None,
    time_limit_per_solve: PerSolveTimeLimit = None,
    mip_gap: MipGapOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out/--plot")] = False,
) -> None:
    """Exact efficient frontier (lexicographic ε-constraint) with the plan behind each point.

    Objectives: sovereignty, territorial, provider, chip, cost, energy_cost, emissions,
    resilience.
    """

    def body() -> int:
        from planner.core.deadline import check_time_limit
        from planner.reports.pareto_report import check_outputs, print_frontier, write_outputs
        from planner.studies.pareto import pareto as run
        from planner.studies.pareto import pareto_solves

        check_time_limit(time_limit_per_solve, "--time-limit-per-solve")
        check_outputs(out, plot, force)
        # --time-limit is the deadline ``guarded`` set for the whole command; the study
        # shares what is left of it across its solves
        with _solve_bar("pareto", pareto_solves(points, z)):
            result = run(
                _load(scenario, set_), x=x, y=y, z=z, points=points,
                workers=workers if workers is not None else (os.cpu_count() or 1),
                time_limit_per_solve=time_limit_per_solve, mip_gap=mip_gap,
            )  # fmt: skip
        print_frontier(result)
        write_outputs(result, out, plot, force)
        return 0 if result.ok else 1

    raise typer.Exit(guarded(body, time_limit))


@app.command()
def alternatives(
    scenario: ScenarioArg,
    slack: Annotated[
        float,
        typer.Option("--slack", help="Stay within this share of the best objective (0.05 = 5%)"),
    ] = 0.05,
    n: Annotated[int, typer.Option("--n", help="Plans wanted, the optimum included")] = 5,
    metric: Annotated[
        str,
        typer.Option("--metric", help="What 'different' means: countries|providers|chips|mix"),
    ] = "mix",
    objective: Annotated[
        str, typer.Option("--objective", help="Objective held within the slack")
    ] = "sovereignty",
    set_: SetOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the table (.csv, .parquet) or all plans (.json)"),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the plans' mixes side by side (.html)")
    ] = None,
    max_cost_increase: Annotated[
        float,
        typer.Option(
            "--max-cost-increase",
            help="Alternatives cost at most this share more than the optimum (0.25 = +25%)",
        ),
    ] = 0.25,
    time_limit: CommandTimeLimit = None,
    time_limit_per_solve: PerSolveTimeLimit = None,
    mip_gap: MipGapOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out/--plot")] = False,
) -> None:
    """Near-optimal alternatives: the optimum, then plans within --slack of it that are each
    as different as possible from the earlier ones (other countries, providers, chips)."""

    def body() -> int:
        from planner.core.deadline import check_time_limit
        from planner.reports.alternatives_report import (
            check_outputs,
            print_alternatives,
            write_outputs,
        )
        from planner.studies.alternatives import alternatives as run
        from planner.studies.alternatives import alternatives_solves, check_options

        check_time_limit(time_limit_per_solve, "--time-limit-per-solve")
        check_options(slack, n, metric, objective, max_cost_increase)
        check_outputs(out, plot, force)
        # --time-limit is the deadline ``guarded`` set; the study shares it across its plans
        with _solve_bar("alternatives", alternatives_solves(n)):
            result = run(
                _load(scenario, set_), slack=slack, n=n, metric=metric, objective=objective,
                max_cost_increase=max_cost_increase, time_limit_per_solve=time_limit_per_solve,
                mip_gap=mip_gap,
            )  # fmt: skip
        print_alternatives(result)
        write_outputs(result, out, plot, force)
        return 0 if result.ok else 1

    raise typer.Exit(guarded(body, time_limit))


@app.command()
def brief(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write (e.g. brief.html)")],
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="plan.json from `sovplan solve --out` (default: solve now)"),
    ] = None,
    n_alternatives: Annotated[
        int,
        typer.Option(
            "--alternatives", help="Near-optimal alternatives to include (0: none; 2n-1 solves)"
        ),
    ] = 3,
    set_: SetOption = None,
    time_limit: PerSolveTimeLimit = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists")] = False,
) -> None:
    """A one-page plan brief (self-contained HTML, opens offline, prints to PDF): the
    question, the plan on a map, the mix by layer, cost against the budget, what binds, the
    worst supply cut and what survives it, and near-optimal alternatives."""

    def body() -> int:
        from planner.core.data import load_tables
        from planner.core.deadline import check_time_limit
        from planner.core.errors import InputError
        from planner.core.files import read_input_text
        from planner.core.io import check_writable, write_output
        from planner.reports.brief import brief_html, plan_from_json
        from planner.studies.solving import solve_and_diagnose

        check_time_limit(time_limit)
        check_writable(out, force)
        if n_alternatives < 0:
            raise InputError(f"--alternatives: need 0 or more, got {n_alternatives}")
        sc = _load(scenario, set_)
        tables = load_tables(sc.data)
        if plan is not None:
            solved = plan_from_json(read_input_text(plan, "plan JSON file", 256 * 1024 * 1024))
        else:
            with _solve_bar("solve", 3):
                solved = solve_and_diagnose(sc, time_limit=time_limit, tables=tables, ranges=True)
        alts = None
        if n_alternatives > 0 and solved.ok:
            from planner.studies.alternatives import alternatives as run_alternatives
            from planner.studies.alternatives import alternatives_solves

            with _solve_bar("alternatives", alternatives_solves(n_alternatives + 1)):
                alts = run_alternatives(
                    sc, slack=0.05, n=n_alternatives + 1, time_limit=time_limit, tables=tables
                )
        write_output(out, brief_html(solved, sc, tables, alts), force=True)
        typer.echo(f"wrote {out} (one self-contained page: open it offline or print it to PDF)")
        return 0 if solved.ok else 1

    raise typer.Exit(guarded(body))


@app.command()
def stress(
    scenario: ScenarioArg,
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="plan.json from `sovplan solve --out` (default: solve first)"),
    ] = None,
    replan: Annotated[
        bool, typer.Option("--replan", help="Also re-plan after each shock and report its cost")
    ] = False,
    set_: SetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the result (.json, or .csv of the cuts)")
    ] = None,
    time_limit: CommandTimeLimit = None,
    time_limit_per_solve: PerSolveTimeLimit = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists")] = False,
    cut: Annotated[
        list[str] | None,
        typer.Option(
            "--cut",
            help="Only this supplier (repeatable): a jurisdiction (TWN = Taiwan's fabs too), "
            "a provider code or a chip designer",
        ),
    ] = None,
    from_year: Annotated[
        int | None,
        typer.Option(
            "--from",
            help="The cut's first year (default: each period cut at its own start, N-1 as "
            "solve reads it). Its territory and providers are lost at once; installed chips "
            "keep running, minus failures",
        ),
    ] = None,
) -> None:
    """Supply shocks: share of the target a plan keeps if a jurisdiction, provider or chip
    designer cuts it off (from --from YEAR, or each period at its start); --replan adds a
    crisis plan per cut, with the limits it had to relax."""

    def body() -> int:
        from planner.core.deadline import check_time_limit
        from planner.core.io import check_writable, write_output
        from planner.studies.stress import print_stress
        from planner.studies.stress import stress as run

        check_time_limit(time_limit_per_solve, "--time-limit-per-solve")
        if out is not None:
            check_writable(out, force)
        # --time-limit is the deadline ``guarded`` set; the study shares it across its solves
        result = run(
            _load(scenario, set_),
            plan=plan,
            replan=replan,
            cut=cut,
            from_year=from_year,
            time_limit_per_solve=time_limit_per_solve,
        )
        payload = json.dumps(result.to_dict(), indent=2, default=str)
        if out is not None:
            text = result.cuts.to_csv(index=False) if out.suffix == ".csv" else payload
            write_output(out, text, force=True)
        if as_json:
            typer.echo(payload)
        else:
            print_stress(result)
        return 0

    raise typer.Exit(guarded(body, time_limit))


@app.command()
def robust(
    scenario: ScenarioArg,
    set_: SetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the result as JSON to this file")
    ] = None,
    time_limit: CommandTimeLimit = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes for the per-future solves (each future alone, each candidate "
            "first stage in each future) and sample-average approximation's replications; "
            "the result does not depend on it (default: one per core)",
        ),
    ] = None,
) -> None:
    """A plan that holds across the scenario's futures (its `uncertainty:` block): what to
    commit now, each future's plan, the value of the stochastic solution, EVPI and regret."""

    def body() -> int:
        from planner.core.io import check_writable, write_output
        from planner.reports.robust_report import print_robust
        from planner.studies.robust import robust as run

        if out is not None:
            check_writable(out, force)
        result = run(_load(scenario, set_), workers=workers)
        payload = json.dumps(result.to_dict(), indent=2, default=str)
        if out is not None:
            write_output(out, payload, force=True)
        if as_json:
            typer.echo(payload)
        else:
            print_robust(result)
        return 0 if result.ok else 1

    raise typer.Exit(guarded(body, time_limit))


def main() -> None:
    """Entry point of the ``sovplan`` script."""
    code: Any = 0
    try:
        app()
    except BrokenPipeError:  # stdout closed by the reader outside a command body
        _quiet_broken_pipe()
        code = BROKEN_PIPE_EXIT
    except SystemExit as exc:
        code = exc.code
    if code is None or isinstance(code, int):
        # Every command leaves at once, without tearing the interpreter down. Why: freeing
        # the Pyomo model, the pandas tables and the HiGHS objects took 0.3-0.9 s of a
        # 4 s `sovplan solve` (issue 27), 1.4-4.4 s under load after Ctrl-C or SIGTERM (the
        # README promises an answer within a second), and a HiGHS thread that did not stop
        # in time makes C++ static destructors abort ("terminate called without an active
        # exception"). Nothing is lost: every file is written atomically (or not at all)
        # before the command returns, process pools are shut down by their commands, and
        # the streams are flushed here.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code or 0)
    sys.exit(code)  # a message as the exit "code": Python prints it and exits 1


if __name__ == "__main__":
    main()
