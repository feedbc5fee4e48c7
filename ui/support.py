"""Planner-side helpers for the web app (ui/): everything the UI needs that is not rendering.

The Streamlit app stays thin: it never imports pyomo, highspy or models/. What it needs from
the planner (finding scenarios, validating edited data tables with the loader's own rules,
readable error messages, solving with edited tables, pricing a limit by re-solving, and
exporting a plan) lives here, so it is testable without a browser.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from planner.core.data import (
    BUNDLED_DATA,
    Tables,
    _check_refs,
    _coerce,
    confined_data_folder,
    load_tables,
)
from planner.core.datadict import TABLES, Table, is_provenance_column
from planner.core.errors import InputError, PlannerError
from planner.core.results import Plan
from planner.core.scenario import (
    Scenario,
    format_validation_error,
    parse_scenario_text,
    scenario_from_mapping,
)

#: Folder of the bundled scenarios; ``SOVPLAN_SCENARIO_DIR`` points the app elsewhere.
SCENARIO_DIR = BUNDLED_DATA / "scenarios"

#: The data tables the app lets a user edit, in the order it shows them.
EDITABLE_TABLES = ("countries", "providers", "chips", "relationships")

_TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


# --- scenarios ------------------------------------------------------------------------------


def scenario_dir() -> Path:
    """The folder the app lists scenarios from (env ``SOVPLAN_SCENARIO_DIR`` or data/scenarios)."""
    env = os.environ.get("SOVPLAN_SCENARIO_DIR")
    return Path(env).resolve() if env else SCENARIO_DIR


def list_scenarios(folder: Path | None = None) -> list[Path]:
    """Scenario YAML files of a folder, sorted by name (the first is the quick-start default)."""
    folder = folder if folder is not None else scenario_dir()
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")], key=lambda p: p.name)


def parse_yaml_text(text: str | bytes, source: str) -> dict[str, Any]:
    """Parse an uploaded scenario into a raw mapping; errors name the source and the line."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    return parse_scenario_text(text, source)


def build_scenario(
    raw: dict[str, Any], source: str, base_dir: Path | None, overrides: dict[str, Any]
) -> Scenario:
    """The file's mapping with the UI's values written over it (dotted keys), validated.

    An override whose value is None removes the key (e.g. a limit switched off), so the
    scenario falls back to the schema's default, exactly as if the key were absent.
    ``base_dir`` None means an upload: it has no folder of its own, so its validated
    ``data`` is confined to the bundled data and the operator's allowed folders
    (``planner.core.data.confined_data_folder``).
    """
    out: dict[str, Any] = yaml.safe_load(yaml.safe_dump(raw))  # deep copy, plain types
    for key, value in overrides.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        if value is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    scenario = scenario_from_mapping(out, source=source, base_dir=base_dir)
    if base_dir is None:
        # confined after validation: the path checked is the one that would be read, whatever
        # YAML type the upload gave (a check on the raw mapping missed `!!binary` bytes)
        scenario.data = confined_data_folder(scenario.data, source)
    return scenario


def slug(name: str) -> str:
    """A file-name-safe form of a scenario name ("EU 2030 hedging" -> "eu-2030-hedging")."""
    text = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in text.split("-") if part) or "scenario"


def scenario_key(scenario: Scenario) -> str:
    """A stable text key of a scenario's content (for caching plans per input)."""
    return scenario.model_dump_json()


# --- errors ---------------------------------------------------------------------------------


def error_messages(exc: BaseException) -> list[str]:
    """Readable one-line messages for an error (never a traceback)."""
    if isinstance(exc, ValidationError):
        return format_validation_error(exc, "scenario").splitlines()
    if isinstance(exc, PlannerError):
        return [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return [f"unexpected {type(exc).__name__}: {first}".rstrip(": ")]


# --- data tables ----------------------------------------------------------------------------


def table_spec(name: str) -> Table:
    """The data-dictionary entry of a table (columns, units, ranges, descriptions)."""
    return _TABLE_BY_NAME[name]


def column_help(name: str) -> dict[str, str]:
    """Column -> 'description (unit, range)' for a table, for the editor's column tooltips."""
    out: dict[str, str] = {}
    for col in table_spec(name).columns:
        bits = [col.unit] if col.unit else []
        if col.min is not None or col.max is not None:
            lo = "" if col.min is None else f"{col.min:g}"
            hi = "" if col.max is None else f"{col.max:g}"
            bits.append(f"{lo}…{hi}")
        out[col.name] = col.description + (f" ({', '.join(bits)})" if bits else "")
    return out


def column_label(name: str, column: str) -> str:
    """A column's display label with its unit from the data dictionary.

    The unit words the CSV name carries are dropped and the dictionary's unit is put in
    brackets: ``electricity_price_usd_per_mwh`` -> ``electricity price (USD/MWh)``.
    """
    col = next((c for c in table_spec(name).columns if c.name == column), None)
    words = column.split("_")
    if col is None or not col.unit:
        return " ".join(words)
    tokens = [t for t in re.split(r"[^a-z0-9]+", col.unit.lower()) if t]
    if "million" in tokens and "usd" in tokens:
        tokens.append("musd")  # the names' short form of million USD

    def is_unit(word: str) -> bool:
        return word == "per" or any(t.startswith(word) or word.startswith(t) for t in tokens)

    while len(words) > 1 and is_unit(words[-1]):
        words.pop()
    return f"{' '.join(words)} ({col.unit})"


def provenance_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if is_provenance_column(c)]


_ROW_RE = re.compile(r"(?:[^\s:]*/)?(\w+)\.csv: row (\d+)")
_WHERE_RE = re.compile(r"^(\w+) table \(edited\): row (\d+)")


def _editor_rows(message: str) -> str:
    """Loader messages count CSV lines (header = row 1); the editor counts data rows from 1."""
    message = _ROW_RE.sub(lambda m: f"{m.group(1)} table: row {int(m.group(2)) - 1}", message)
    return _WHERE_RE.sub(lambda m: f"{m.group(1)} table: row {int(m.group(2)) - 1}", message)


def _as_text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """An edited frame as the loader would read it from CSV: text cells, blanks as NaN."""
    out = df.reset_index(drop=True).copy()
    for col in out.columns:
        series = out[col]
        text = series.astype(object).where(series.notna(), None)
        out[col] = text.map(lambda v: None if v is None else str(v))
    return out


def apply_table_edits(base: Tables, edited: dict[str, pd.DataFrame]) -> Tables:
    """Validate edited tables with the loader's rules and return the new Tables.

    Raises InputError naming the table, the row (counted from 1 as in the editor), the
    column and the reason: the same checks as ``planner.core.data`` applies to the CSV files
    (types, ranges, keys, cross-references).
    """
    tables = base.copy()
    try:
        for name, df in edited.items():
            spec = table_spec(name)
            typed = _coerce(_as_text_frame(df), spec, f"{name} table (edited)")
            setattr(tables, name, typed)
        _check_refs(tables, Path("edited"))
    except InputError as exc:
        raise InputError(_editor_rows(str(exc))) from exc
    return tables


def frame_hash(df: pd.DataFrame) -> str:
    """Content hash of a frame (values, columns and dtypes)."""
    h = hashlib.sha256()
    h.update("|".join(map(str, df.columns)).encode())
    h.update("|".join(map(str, df.dtypes)).encode())
    h.update(pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def tables_key(tables: Tables | None) -> str:
    """Hash of the editable tables' contents ('file' when the tables are the file's own)."""
    if tables is None:
        return "file"
    return "-".join(frame_hash(getattr(tables, name)) for name in EDITABLE_TABLES)


def plan_fingerprint(plan: Plan, tables: Tables | None = None) -> str:
    """A content hash of everything a plan's views read (status, numbers, tables, context,
    worst case, notes; not its timings), and of the table columns they are drawn with: the
    key under which the app keeps a plan's figures and texts, so that two reruns, or two
    sessions, showing the same plan build them once. Plans come out of the app's plan cache
    as fresh copies, so their identity cannot be the key."""
    import json

    h = hashlib.sha256()
    head = {
        "name": plan.scenario_name,
        "status": plan.status,
        "objective": [plan.objective_name, plan.objective, plan.gap, plan.bound],
        "sovereignty": plan.sovereignty,
        "kpis": plan.kpis,
        "message": plan.message,
        "notes": plan.notes,
        "diagnosis": plan.diagnosis,
        "context": plan.context,
        "worst_case": plan.worst_case,
    }
    h.update(json.dumps(head, sort_keys=True, default=str).encode())
    for frame in (plan.allocation, plan.shares, plan.resilience, plan.limits):
        h.update(frame_hash(frame).encode())
    if tables is not None:
        for name, columns in VIEW_COLUMNS.items():
            h.update(frame_hash(getattr(tables, name)[list(columns)]).encode())
    return h.hexdigest()[:24]


#: The columns of the data tables that a plan's views read besides the plan itself (country
#: names on the map and bars; whose territory, provider and chip in the jurisdiction mix):
#: the part of the tables in ``plan_fingerprint`` (hashing whole tables took 75 ms a rerun).
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "countries": ("iso3", "name", "jurisdiction"),
    "providers": ("code", "hq_iso3"),
    "chips": ("code", "jurisdiction"),
}


def unedited(editor_states: list[Any]) -> bool:
    """Whether every data editor's state (``st.session_state[key]`` of ``st.data_editor``:
    edited, added and deleted rows) records no edit, so each returns its table unchanged and
    nothing needs comparing. A state that is missing or of another shape counts as edited
    (the tables are then compared cell by cell, as before)."""
    for state in editor_states:
        if not isinstance(state, dict):
            return False
        if any(state.get(part) for part in ("edited_rows", "added_rows", "deleted_rows")):
            return False
        if set(state) - {"edited_rows", "added_rows", "deleted_rows"}:
            return False
    return True


def edited_table_names(base: Tables, edited: dict[str, pd.DataFrame]) -> list[str]:
    """Which of the edited tables differ from the loaded ones."""
    changed = []
    for name, df in edited.items():
        before = getattr(base, name)
        if list(df.columns) != list(before.columns) or len(df) != len(before):
            changed.append(name)
            continue
        a = _as_text_frame(df).fillna("").astype(str).reset_index(drop=True)
        b = _as_text_frame(before).fillna("").astype(str).reset_index(drop=True)
        if not a.equals(b):
            changed.append(name)
    return changed


def base_tables(scenario: Scenario) -> Tables:
    """The tables a scenario reads (its ``data`` folder, else the bundled data/)."""
    return load_tables(scenario.data)


@contextlib.contextmanager
def scenario_on_tables(scenario: Scenario, tables: Tables | None) -> Iterator[Scenario]:
    """The scenario reading ``tables`` from a temporary data folder (for APIs that load data
    from ``scenario.data`` themselves, e.g. ``planner.studies.pareto``); unchanged when None.

    The folder holds every table as CSV and is removed on exit; the loader validates it again.
    """
    if tables is None:
        yield scenario
        return
    with tempfile.TemporaryDirectory(prefix="sovplan-tables-") as tmp:
        for spec in TABLES:
            getattr(tables, spec.name).to_csv(Path(tmp) / spec.file, index=False)
        yield scenario.model_copy(update={"data": tmp})


# --- solving --------------------------------------------------------------------------------

#: The environment variable that sets the server's cap on any solve's time (seconds).
MAX_TIME_LIMIT_ENV = "SOVPLAN_MAX_TIME_LIMIT"
#: The cap when the variable is unset: two minutes, enough for every bundled scenario, so an
#: upload asking for hours (``solver.time_limit: 7200``) cannot hold a core that long.
DEFAULT_MAX_TIME_LIMIT = 120.0
#: Seconds a cancelled solve is waited for (HiGHS stops within its 50 ms poll; a Pyomo build
#: under way cannot be interrupted and is left to finish in its thread).
CANCEL_GRACE = 5.0


def max_time_limit() -> float:
    """The server's cap on the time of any solve the app runs (env ``SOVPLAN_MAX_TIME_LIMIT``,
    default 120 s); a value that is not a finite number of seconds above 0 is an error
    naming the variable."""
    from planner.core.deadline import check_time_limit

    text = os.environ.get(MAX_TIME_LIMIT_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_TIME_LIMIT
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{MAX_TIME_LIMIT_ENV}={text!r}: not a number of seconds") from None
    return float(check_time_limit(value, MAX_TIME_LIMIT_ENV))


def capped(scenario: Scenario) -> Scenario:
    """The scenario with ``solver.time_limit`` no longer than the server's cap (the
    scenario itself is left as the user set it, e.g. for its YAML download)."""
    cap = max_time_limit()
    if scenario.solver.time_limit <= cap:
        return scenario
    solver = scenario.solver.model_copy(update={"time_limit": cap})
    return scenario.model_copy(update={"solver": solver})


def run_cancellable(
    work: Any, on_wait: Any = None, poll_seconds: float = 0.25, grace: float = CANCEL_GRACE
) -> Any:
    """``work()`` in a worker thread that can be stopped: the calling thread waits, calling
    ``on_wait(elapsed_seconds)`` every ``poll_seconds``; if that call (or the wait) raises,
    the work is cancelled (``planner.core.deadline.cancellable``: HiGHS stops at its next
    poll and the phases after it find no time left), waited for up to ``grace`` seconds,
    and the exception goes on.

    Why: in the app ``on_wait`` updates a progress line; updating an element is where
    Streamlit raises its stop or rerun exception in the script thread when the session
    reruns or its browser goes away, so an abandoned solve stops instead of holding a core
    until its time limit. The work's own exception, or its result, is handed back.
    """
    import threading
    import time

    from planner.core.deadline import cancellable

    stop = threading.Event()
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            with cancellable(stop):
                result["value"] = work()
        except BaseException as exc:  # handed back to the waiting thread
            result["error"] = exc

    thread = threading.Thread(target=run, name="sovplan-solve", daemon=True)
    t0 = time.monotonic()
    thread.start()
    try:
        while thread.is_alive():
            thread.join(poll_seconds)
            if thread.is_alive() and on_wait is not None:
                on_wait(time.monotonic() - t0)
    except BaseException:
        stop.set()
        thread.join(grace)
        raise
    if "error" in result:
        raise result["error"]
    return result["value"]


def solve_plan(
    scenario: Scenario, tables: Tables | None = None, on_wait: Any = None, warm: Any = None
) -> Plan:
    """Solve a scenario, with edited tables when given (else the scenario's own data),
    within the server's time cap and stoppable (``run_cancellable``; ``on_wait`` is called
    while it runs). ``warm``: the ``Plan.warm_start`` of the session's previous solve, which
    an edit that only narrows the model reuses without solving (``planner.core.warm``)."""
    from planner.studies.solving import solve_and_diagnose as solve

    limited = capped(scenario)
    cap = max_time_limit()
    return run_cancellable(
        lambda: solve(limited, tables=tables, time_limit=cap, ranges=True, warm=warm), on_wait
    )


@dataclass(frozen=True)
class Relaxation:
    """How to relax one limit for its marginal value: field, step and wording."""

    field: str
    step: float
    label: str


#: One step of relaxation per limit (the ``limit`` names of Plan.limits).
RELAXATIONS: dict[str, Relaxation] = {
    "budget": Relaxation("budget", 1000.0, "1,000 MUSD more budget"),
    "energy_cost_cap": Relaxation("energy_cost_cap", 100.0, "+100 MUSD of energy cost"),
    "emissions_cap_kt": Relaxation("emissions_cap_kt", 100.0, "+100 kt CO2e of emissions"),
    "max_share_provider": Relaxation("limits.max_share_provider", 0.05, "+5 points of share"),
    "max_share_chip_designer": Relaxation(
        "limits.max_share_chip_designer", 0.05, "+5 points of share"
    ),
    "max_share_foreign_jurisdiction": Relaxation(
        "limits.max_share_foreign_jurisdiction", 0.05, "+5 points of share"
    ),
    "min_home_share": Relaxation("limits.min_home_share", -0.05, "-5 points of home share"),
    "min_providers": Relaxation("limits.min_providers", -1, "one provider fewer"),
    "min_chip_designers": Relaxation("limits.min_chip_designers", -1, "one chip designer fewer"),
    "resilience": Relaxation("limits.resilience", -0.05, "-5 points of N-1 resilience"),
}


def relaxed(scenario: Scenario, limit: str) -> Scenario:
    """The scenario with one limit relaxed by its step (shares clipped to [0, 1])."""
    if limit not in RELAXATIONS:
        raise InputError(
            f"limit '{limit}': no relaxation defined; choose from {sorted(RELAXATIONS)}"
        )
    rule = RELAXATIONS[limit]
    raw = scenario.model_dump(mode="json")
    node = raw
    parts = rule.field.split(".")
    for part in parts[:-1]:
        node = node[part]
    current = node.get(parts[-1])
    if current is None:
        raise InputError(f"limit '{limit}' is not set in the scenario, so it cannot be relaxed")
    value = current + rule.step
    if rule.field.startswith("limits.") and isinstance(rule.step, float):
        value = min(1.0, max(0.0, value))
    if isinstance(rule.step, int):
        value = max(0, int(value))
    node[parts[-1]] = value
    return scenario_from_mapping(raw, source="relaxed scenario")


def marginal_value(scenario: Scenario, limit: str, tables: Tables | None = None) -> dict[str, Any]:
    """Re-solve with one limit relaxed by a step: what does that step buy?

    For the budget: "one more billion buys +x index". Returns the base and relaxed index and
    cost and the difference; an infeasible base or relaxed plan gives None for the deltas.
    """
    base = solve_plan(scenario, tables)
    more = solve_plan(relaxed(scenario, limit), tables)

    def index(plan: Plan) -> float | None:
        return plan.sovereignty.get("index") if plan.ok else None

    b, m = index(base), index(more)
    return {
        "limit": limit,
        "step": RELAXATIONS[limit].step,
        "step_label": RELAXATIONS[limit].label,
        "base_index": b,
        "relaxed_index": m,
        "delta_index": (m - b) if b is not None and m is not None else None,
        "base_cost_musd": base.cost if base.ok else None,
        "relaxed_cost_musd": more.cost if more.ok else None,
        "relaxed_status": more.status,
    }


# --- exports --------------------------------------------------------------------------------


def plan_sheets(plan: Plan) -> dict[str, pd.DataFrame]:
    """The plan's tables as named sheets (allocation first)."""
    kpis = pd.DataFrame(
        [{"kpi": k, "value": v} for k, v in plan.kpis.items()]
        + [{"kpi": f"sovereignty_{k}", "value": v} for k, v in plan.sovereignty.items()]
    )
    return {
        "allocation": plan.allocation,
        "kpis": kpis,
        "shares": plan.shares,
        "resilience": plan.resilience,
        "limits": plan.limits,
    }


def plan_to_excel(plan: Plan) -> bytes:
    """An .xlsx workbook (openpyxl) with one sheet per plan table."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, df in plan_sheets(plan).items():
            df.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def plan_to_csv(plan: Plan) -> bytes:
    """The allocation table as CSV."""
    return plan.allocation.to_csv(index=False).encode("utf-8")


# --- figure data ----------------------------------------------------------------------------


def compute_by_country(plan: Plan, tables: Tables, period: int | None = None) -> pd.DataFrame:
    """Compute per country (ISO3) in a period (default: the last), with names, for a map:
    the brief's own table (``planner.reports.brief``), so the app's map and the brief agree."""
    from planner.reports.brief import compute_by_country as by_country

    return by_country(plan, tables, period)


def mix_by_period(plan: Plan, dimension: str) -> pd.DataFrame:
    """Counted compute (towards the target) per period and key of one mix dimension
    (provider, designer or country), with its share of the target.

    Why counted and not capacity: the share limits and the index read counted compute, so a
    bar must stack to the target and show a capped provider at its cap (capacity beyond the
    target, e.g. an existing system the caps leave uncounted, is on the map and in the
    allocation table)."""
    sel = plan.shares[plan.shares["dimension"] == dimension]
    return sel[["period", "key", "counted_eflops", "share"]].reset_index(drop=True)


#: The label of the public build option's jurisdiction (its headquarters are the home's).
HOME_LABEL = "home"


def mix_by_jurisdiction(plan: Plan, tables: Tables) -> pd.DataFrame:
    """Counted compute per period, layer and jurisdiction: whose territory, whose provider,
    whose chip the compute the index scores depends on.

    Each layer partitions the counted compute, so each layer's bars stack to the period's
    target (as the index and the foreign-share limit read it; see ``mix_by_period``).
    Home layers (home soil, providers headquartered at home or the public build, chips of a
    home jurisdiction) are labelled ``HOME_LABEL``, the same rule as the model's.
    """
    alloc = plan.allocation
    cols = ["period", "layer", "key", "counted_eflops", "share"]
    if alloc.empty:
        return pd.DataFrame(columns=cols)
    j_country = tables.countries.set_index("iso3")["jurisdiction"]
    hq = tables.providers.set_index("code")["hq_iso3"]
    j_chip = tables.chips.set_index("code")["jurisdiction"]
    frame = alloc[["period", "country", "provider", "chip", "counted_eflops"]].copy()
    # the model's rule for home (planner.core.home.layer_jurisdictions): a home country's soil,
    # a provider headquartered at home (or the public build) and a chip controlled by a home
    # jurisdiction are all "home", so an EU27 home is not split into "EU" and "home"
    home = set(plan.context.get("home", []))
    home_j = set(plan.context.get("home_jurisdictions", []))
    frame["territorial"] = frame["country"].map(
        lambda k: HOME_LABEL if k in home else j_country.get(k, k)
    )
    frame["provider"] = (
        frame["provider"]
        .map(hq)
        .map(lambda h: HOME_LABEL if h == "*" or h in home else j_country.get(h, h))
    )
    frame["chip"] = frame["chip"].map(j_chip).map(lambda j: HOME_LABEL if j in home_j else j)
    long = frame.melt(
        id_vars=["period", "counted_eflops"],
        value_vars=["territorial", "provider", "chip"],
        var_name="layer",
        value_name="key",
    )
    out = long.groupby(["period", "layer", "key"], as_index=False)["counted_eflops"].sum()
    out = out[out["counted_eflops"] > 1e-9]
    total = out.groupby(["period", "layer"])["counted_eflops"].transform("sum")
    out["share"] = out["counted_eflops"] / total.where(total > 0, 1.0)
    return out[cols].reset_index(drop=True)


# --- sensitivity sweeps -----------------------------------------------------------------------


#: Result columns of a sweep worth showing in a table, after the parameters.
SWEEP_COLUMNS = [
    "status",
    "sovereignty_index",
    "territorial",
    "provider",
    "chip",
    "total_cost_musd",
    "energy_cost_musd",
    "emissions_kt",
    "error",
]


def sweep_run_count(scenario: Scenario, params: dict[str, list[Any]], method: str) -> int:
    """How many distinct solves a sweep design needs (for a progress bar and a warning)."""
    from planner.studies.sweep import base_values, make_design, param_info

    infos = {name: param_info(name) for name in params}
    base = base_values(scenario, params, infos)
    return len(make_design(params, infos, method, base=base).points)


def sweep_with_progress(
    scenario: Scenario,
    params: dict[str, list[Any]],
    method: str = "oat",
    tables: Tables | None = None,
    workers: int = 1,
    on_progress: Any = None,
    poll_seconds: float = 0.5,
) -> pd.DataFrame:
    """Run ``planner.studies.sweep.sweep`` in a thread and report progress as its runs finish.

    The sweep writes its rows to a temporary Parquet file as runs finish; this polls that
    file and calls ``on_progress(done, total)`` so a caller (the web app) can draw a bar.
    """
    import threading

    from planner.studies.sweep import read_runs, sweep

    total = sweep_run_count(scenario, params, method)
    result: dict[str, Any] = {}

    with tempfile.TemporaryDirectory(prefix="sovplan-sweep-") as tmp:
        out = Path(tmp) / "runs.parquet"

        def work() -> None:
            try:
                result["runs"] = sweep(
                    capped(scenario), params, workers=workers, out=out, method=method,
                    tables=tables, time_limit_per_solve=max_time_limit(),
                )  # fmt: skip
            except BaseException as exc:  # handed back to the caller's thread
                result["error"] = exc

        thread = threading.Thread(target=work, name="sovplan-sweep", daemon=True)
        thread.start()
        done = -1
        while thread.is_alive():
            thread.join(poll_seconds)
            if on_progress is not None and out.exists():
                try:
                    n = len(read_runs(out))
                except Exception:  # a file being replaced: read it next time
                    continue
                if n != done:
                    done = n
                    on_progress(min(n, total), total)
        if "error" in result:
            raise result["error"]
        runs = result["runs"]
        if on_progress is not None:
            on_progress(total, total)
        return runs


def validation_problems(exc: BaseException) -> list[tuple[str, str]]:
    """(dotted field, message) pairs of a scenario error, so a UI can show each by its field.

    Pydantic errors (raised directly or as the cause of an InputError) give their location;
    any other error gives an empty field and its readable message.
    """
    cause = exc if isinstance(exc, ValidationError) else exc.__cause__
    if isinstance(cause, ValidationError):
        out = []
        for err in cause.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling)"
            out.append((loc, msg))
        return out
    return [("", m) for m in error_messages(exc)]


def worst_case_line(plan: Plan) -> str:
    """The plan's one worst case (``plan.worst_case``) in the words the CLI header, the plan
    reading and ``sovplan stress`` use."""
    from planner.core.cuts import worst_case_sentence

    text = worst_case_sentence(plan.worst_case)
    return text[0].upper() + text[1:] + "."


def progress_element(label: str, unit: str = "solves") -> tuple[Any, Any]:
    """An ``st.progress`` bar and the ``progress(done, total)`` callback that drives it from
    a study (``planner.core.progress``): safe to call from the study's polling thread (the
    page's script context is attached to it), and it says 'estimate' because a study may
    need fewer solves than announced."""
    import threading
    import time

    import streamlit as st
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    ctx = get_script_run_ctx()
    bar = st.progress(0.0, text=f"{label}: starting")
    t0 = time.perf_counter()

    def callback(done: int, total: int) -> None:
        if get_script_run_ctx(suppress_warning=True) is None and ctx is not None:
            add_script_run_ctx(threading.current_thread(), ctx)
        spent = time.perf_counter() - t0
        eta = f", about {spent / done * (total - done):.0f} s left" if 0 < done < total else ""
        bar.progress(
            min(done / max(total, 1), 1.0),
            text=f"{label}: {done} of about {total} {unit} ({spent:.0f} s{eta})",
        )

    return bar, callback
