"""The Uncertainty tab: edit a handful of futures, run the robust plan, and read what to
commit now, what the hedge is worth, each future's plan, a fan chart and the regret table.

The futures start from the scenario's ``uncertainty:`` block (listed futures as they are;
drawn ones as the draws the planner makes from them), or from a small example when the
scenario has none. The table holds the few inputs a future usually changes (chip and
electricity price multipliers, one trust score, the export regime, a supply cut and its
year) and any other ``--set`` override as text; it becomes an ``uncertainty:`` block that
the scenario model validates like a file (probabilities that do not add up to 1 are its
error, shown in words). The study itself is ``planner.studies.robust.robust``, the same
function as ``sovplan robust``, so the page and the CLI give the same numbers; the tables and
the fan chart come from ``planner.reports.robust_charts``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from planner.core.data import Tables
from planner.core.errors import InputError
from planner.core.scenario import Scenario, scenario_from_mapping
from planner.reports import robust_charts
from planner.reports.numbers import table_for_display
from planner.studies.robust import RobustResult
from ui import support as ui_support
from ui.result_cache import ResultCache
from ui.safe_text import error_text, md_text

#: Columns of the futures table (label shown = name here).
NAME = "future"
PROB = "probability"
CHIP = "chip price ×"
POWER = "electricity price ×"
SCORE_OF = "score of"
SCORE = "trust score (0-1)"
REGIME = "export regime"
CUT = "cut (jurisdictions)"
CUT_FROM = "cut from (year)"
OTHER = "other overrides"
COLUMNS = [NAME, PROB, CHIP, POWER, SCORE_OF, SCORE, REGIME, CUT, CUT_FROM, OTHER]
#: --set keys that have a column of their own
CHIP_KEY = "economics.chip_price_scale"
POWER_KEY = "economics.electricity_price_scale"
REGIME_KEY = "export_regime"
REGIMES = ["", "current", "diffusion_rule", "us_guidance_2025", "none"]
#: The futures offered when the scenario has no ``uncertainty:`` block: an example to edit,
#: not a forecast (the 25% is the spread of published chip quotes that
#: ``economics.chip_price_range`` already uses; the probabilities are placeholders the page
#: says to set).
EXAMPLE_FUTURES = [
    {"name": "as planned", "probability": 0.7},
    {"name": "dear chips", "probability": 0.3, "set": {CHIP_KEY: 1.25}},
]
#: How many robust results this server keeps (each holds one plan per future).
MAX_RESULTS = 16
_RESULTS: ResultCache[RobustResult] = ResultCache(MAX_RESULTS)


# --- the futures table <-> an uncertainty block -----------------------------------------------
def _text(value: Any) -> str:
    """An override's value as the --set language reads it back (JSON is valid YAML)."""
    return json.dumps(value)


def _row(spec: dict[str, Any]) -> dict[str, Any]:
    """One future (name, probability, set, cut) as a table row."""
    rest = dict(spec.get("set") or {})
    row: dict[str, Any] = {c: None for c in COLUMNS}
    row.update({NAME: spec["name"], PROB: float(spec["probability"]), SCORE_OF: "", REGIME: ""})
    row[CUT] = ""
    row[OTHER] = ""
    for key, col in ((CHIP_KEY, CHIP), (POWER_KEY, POWER)):
        if isinstance(rest.get(key), (int, float)) and not isinstance(rest.get(key), bool):
            row[col] = float(rest.pop(key))
    if isinstance(rest.get(REGIME_KEY), str) and rest[REGIME_KEY] in REGIMES:
        row[REGIME] = rest.pop(REGIME_KEY)
    for key in list(rest):
        value = rest[key]
        if key.startswith("scores.") and isinstance(value, (int, float)) and key.count(".") == 1:
            row[SCORE_OF] = key.split(".", 1)[1]
            row[SCORE] = float(rest.pop(key))
            break
    cut = spec.get("cut")
    if cut:
        row[CUT] = ", ".join(cut["jurisdictions"])
        row[CUT_FROM] = cut.get("from", cut.get("from_year"))
    row[OTHER] = "; ".join(f"{k}={_text(v)}" for k, v in rest.items())
    return row


def starting_futures(scenario: Scenario) -> tuple[list[dict[str, Any]], str]:
    """The futures the table starts from, and a sentence saying where they come from."""
    unc = scenario.uncertainty
    if unc is None:
        return copy.deepcopy(EXAMPLE_FUTURES), (
            "This scenario has no `uncertainty:` block: the table starts from an example "
            "(chips 25% dearer with probability 0.3). Set your own futures and probabilities."
        )
    if unc.futures:
        specs = [f.model_dump(mode="json", by_alias=True, exclude_none=True) for f in unc.futures]
        return specs, f"The {len(specs)} futures of the scenario's `uncertainty:` block."
    from planner.core.futures import futures_of

    drawn = futures_of(scenario)
    specs = [{"name": f.name, "probability": f.probability, "set": f.overrides} for f in drawn]
    return specs, (
        f"The scenario draws {len(specs)} futures from ranges (seed {unc.seed}); they are "
        "shown as the draws it makes. Editing them lists them instead."
    )


def futures_frame(specs: list[dict[str, Any]]) -> pd.DataFrame:
    """The table of futures (one row each) the page edits."""
    frame = pd.DataFrame([_row(s) for s in specs], columns=COLUMNS)
    for col in (PROB, CHIP, POWER, SCORE, CUT_FROM):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for col in (NAME, SCORE_OF, REGIME, CUT, OTHER):
        frame[col] = frame[col].fillna("").astype(str)
    return frame


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _number(value: Any, where: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(out):
        raise InputError(f"{where}: {value!r} is not a finite number")
    return out


def _overrides(text: str, where: str) -> dict[str, Any]:
    """``key=value; key=value`` (values read as YAML, as ``--set`` reads them)."""
    out: dict[str, Any] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise InputError(f"{where}: {part.strip()!r} is not KEY=VALUE (e.g. target.2030=40)")
        key, value = (s.strip() for s in part.split("=", 1))
        if not key:
            raise InputError(f"{where}: {part.strip()!r} has no key before '='")
        try:
            out[key] = yaml.safe_load(value) if value else None
        except yaml.YAMLError:
            out[key] = value
    return out


def futures_from_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The table's rows as the ``futures:`` list of an uncertainty block.

    Raises InputError naming the row and column of a cell that cannot be read (the block's
    own rules, such as probabilities adding up to 1, are left to the scenario model)."""
    futures = []
    for i, row in enumerate(frame.to_dict(orient="records"), start=1):
        if all(_blank(row.get(c)) for c in COLUMNS):
            continue  # an empty row the editor added

        def at(col: str, i: int = i) -> str:
            return f"Futures table: row {i}, column '{col}'"

        if _blank(row.get(NAME)):
            raise InputError(f"{at(NAME)}: give the future a name")
        if _blank(row.get(PROB)):
            raise InputError(f"{at(PROB)}: give the future a probability (0-1)")
        spec: dict[str, Any] = {
            "name": str(row[NAME]).strip(),
            "probability": _number(row[PROB], at(PROB)),
        }
        values: dict[str, Any] = {}
        for col, key in ((CHIP, CHIP_KEY), (POWER, POWER_KEY)):
            if not _blank(row.get(col)):
                values[key] = _number(row[col], at(col))
        code, score = row.get(SCORE_OF), row.get(SCORE)
        if not _blank(code):
            if _blank(score):
                raise InputError(f"{at(SCORE)}: give the trust score of {str(code).strip()}")
            values[f"scores.{str(code).strip()}"] = _number(score, at(SCORE))
        elif not _blank(score):
            raise InputError(f"{at(SCORE_OF)}: name the jurisdiction the score is for")
        if not _blank(row.get(REGIME)):
            values[REGIME_KEY] = str(row[REGIME]).strip()
        if not _blank(row.get(OTHER)):
            for key, value in _overrides(str(row[OTHER]), at(OTHER)).items():
                if key in values:
                    raise InputError(f"{at(OTHER)}: {key} is set twice in this row")
                values[key] = value
        if values:
            spec["set"] = values
        cut, year = row.get(CUT), row.get(CUT_FROM)
        if not _blank(cut):
            codes = [c.strip() for c in str(cut).split(",") if c.strip()]
            if _blank(year):
                raise InputError(f"{at(CUT_FROM)}: give the first year without {', '.join(codes)}")
            number = _number(year, at(CUT_FROM))
            if number != int(number):
                raise InputError(f"{at(CUT_FROM)}: {number:g} is not a year")
            spec["cut"] = {"jurisdictions": codes, "from": int(number)}
        elif not _blank(year):
            raise InputError(f"{at(CUT)}: name the jurisdictions cut from {year:g}")
        futures.append(spec)
    if not futures:
        raise InputError("Futures table: add at least one future (a name and a probability)")
    return futures


def with_futures(scenario: Scenario, block: dict[str, Any], label: str) -> Scenario:
    """The scenario with this ``uncertainty:`` block, validated as a file would be (each
    future's overrides too, ``planner.core.futures.futures_of``)."""
    from planner.core.futures import futures_of

    raw = scenario.model_dump(mode="json", by_alias=True, exclude={"uncertainty"})
    raw["uncertainty"] = block
    out = scenario_from_mapping(raw, source=label)
    futures_of(out)
    return out


# --- running the study ------------------------------------------------------------------------
def run_robust(scenario: Scenario, tables: Tables | None, on_wait: Any = None) -> RobustResult:
    """``planner.robust`` within the server's time cap, stoppable like a solve
    (``ui.support.run_cancellable``): each solve capped, the whole study too."""
    from planner.studies.robust import robust

    limited = ui_support.capped(scenario)
    cap = ui_support.max_time_limit()
    return ui_support.run_cancellable(
        lambda: robust(limited, time_limit=cap, tables=tables), on_wait
    )


def cached_robust(
    scenario_json: str,
    tables_key: str,
    scenario: Scenario,
    tables: Tables | None,
    on_wait: Any = None,
) -> RobustResult:
    """The study once per (scenario, tables) content, kept outside ``st.cache``: the line
    counting the seconds is updated while it runs, which Streamlit refuses inside a cached
    function (CacheReplayClosureError)."""
    return _RESULTS.get_or_compute(
        (scenario_json, tables_key), lambda: run_robust(scenario, tables, on_wait)
    )


# --- the page ---------------------------------------------------------------------------------
def state_key(scenario: Scenario) -> str:
    """The prefix of this section's widget keys for a scenario: its name, periods and block,
    so another scenario (or another block) starts from its own futures."""
    block = scenario.uncertainty.model_dump_json() if scenario.uncertainty else ""
    text = json.dumps([scenario.name, scenario.periods, block])
    return "unc:" + hashlib.sha256(text.encode()).hexdigest()[:10]


def _column_config() -> dict[str, Any]:
    cc = st.column_config
    return {
        NAME: cc.TextColumn(NAME, help="Short name shown in the tables", required=True),
        PROB: cc.NumberColumn(
            PROB, min_value=0.0, max_value=1.0, step=0.01, format="%.3f",
            help="Chance of this future; the probabilities add up to 1",
        ),
        CHIP: cc.NumberColumn(
            CHIP, min_value=0.01, step=0.05, format="%.2f",
            help="Multiplier on every accelerator's price (economics.chip_price_scale); "
            "empty = as the scenario says",
        ),
        POWER: cc.NumberColumn(
            POWER, min_value=0.01, step=0.05, format="%.2f",
            help="Multiplier on electricity prices (economics.electricity_price_scale); "
            "empty = as the scenario says",
        ),
        SCORE_OF: cc.TextColumn(
            SCORE_OF, help="Jurisdiction code whose trust score differs in this future (e.g. USA)"
        ),
        SCORE: cc.NumberColumn(
            SCORE, min_value=0.0, max_value=1.0, step=0.05, format="%.2f",
            help="Its trust score in this future (0-1)",
        ),
        REGIME: cc.SelectboxColumn(
            REGIME, options=REGIMES,
            help="Chip export control in this future; empty = as the scenario says",
        ),
        CUT: cc.TextColumn(
            CUT, help="Jurisdictions whose supply is cut, comma-separated (e.g. TWN), as "
            "`sovplan stress --cut`",
        ),
        CUT_FROM: cc.NumberColumn(
            CUT_FROM, min_value=2000, max_value=2100, step=1, format="%d",
            help="First year without them",
        ),
        OTHER: cc.TextColumn(
            OTHER, help="Any other --set override: KEY=VALUE; KEY=VALUE "
            "(e.g. economics.price_performance_trend=0; target.2030=40)",
        ),
    }  # fmt: skip


def futures_inputs(scenario: Scenario) -> tuple[dict[str, Any] | None, str]:
    """The futures table and the study's settings; returns (the uncertainty block, or None
    with an error shown, and the prefix of the widget keys)."""
    prefix = state_key(scenario)
    specs, where = starting_futures(scenario)
    st.caption(where)  # the page's own words (no user text)
    edited = st.data_editor(
        futures_frame(specs),
        key=f"{prefix}:futures",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config=_column_config(),
    )
    unc = scenario.uncertainty
    periods = list(scenario.periods)
    now = unc.decided_now(periods) if unc is not None else periods[:1]
    c1, c2, c3 = st.columns(3)
    upto = c1.selectbox(
        "Decided now (here and now)",
        list(range(1, len(periods) + 1)),
        index=max(0, min(len(now), len(periods)) - 1),
        format_func=lambda k: ", ".join(map(str, periods[:k])),
        key=f"{prefix}:here_and_now",
        help="Periods committed before anyone knows which future comes; later periods are "
        "planned per future",
    )
    objective = c2.radio(
        "Objective",
        ["expected", "worst"],
        index=0 if unc is None or unc.objective == "expected" else 1,
        format_func=lambda o: {"expected": "expected index", "worst": "worst future"}[o],
        key=f"{prefix}:objective",
        horizontal=True,
    )
    budget = c3.radio(
        "Budget holds",
        ["per_future", "expected"],
        index=0 if unc is None or unc.budget == "per_future" else 1,
        format_func=lambda b: {"per_future": "in every future", "expected": "in expectation"}[b],
        key=f"{prefix}:budget",
        horizontal=True,
    )
    r1, r2 = st.columns(2)
    weight = r1.number_input(
        "Risk weight λ (0 = expected index only)",
        min_value=0.0,
        max_value=1000.0,
        value=float(unc.risk.weight) if unc is not None else 0.0,
        step=0.1,
        key=f"{prefix}:risk_weight",
        disabled=objective == "worst",
        help="Index points given up in expectation per point of CVaR of the index shortfall",
    )
    alpha = r2.number_input(
        "CVaR α (share of worst futures)",
        min_value=0.01,
        max_value=1.0,
        value=float(unc.risk.alpha) if unc is not None else 0.1,
        step=0.05,
        key=f"{prefix}:risk_alpha",
        disabled=objective == "worst",
    )
    try:
        futures = futures_from_frame(edited)
    except InputError as exc:
        st.error(error_text(exc))
        return None, prefix
    block: dict[str, Any] = {
        "futures": futures,
        "here_and_now": periods[: int(upto)],
        "objective": objective,
        "budget": budget,
    }
    if objective == "expected":
        block["risk"] = {"alpha": float(alpha), "weight": float(weight)}
    return block, prefix


def show_result(result: RobustResult, prefix: str) -> None:
    """The study's answer: commit now, its value in words, each future, fan chart, regret."""
    if not result.ok:
        st.error(md_text(result.message))
        for note in result.notes:
            st.caption(md_text(note))
        return
    if result.status != "optimal" and result.saa is None:
        st.warning(
            md_text(
                f"The study's status is {result.status}: {result.message or 'not proven optimal'}. "
                f"This server stops a study at {ui_support.max_time_limit():g} s, so the plan "
                "below is the best found by then; comparisons not reached show as 'no plan' or "
                "'not a number' (`sovplan robust` runs without this server's cap)."
            )
        )
    years = ", ".join(map(str, result.here_and_now))
    st.markdown(f"**Commit now ({years}): the same in every future**")
    fs = robust_charts.first_stage_table(result)
    if fs.empty:
        st.write(f"Nothing new to commit in {years}.")
    else:
        st.dataframe(table_for_display(fs), hide_index=True, width="stretch", key=f"{prefix}:fs")
    m1, m2, m3 = st.columns(3)

    def num(v: float | None, fmt: str) -> str:
        return fmt.format(v) if v is not None else "not a number"

    m1.metric(f"Robust objective ({result.objective})", num(result.robust_objective, "{:.4f}"))
    m2.metric("Value of the stochastic solution (VSS)", num(result.vss, "{:+.4f}"))
    m3.metric("Expected value of perfect information (EVPI)", num(result.evpi, "{:.4f}"))
    for sentence in robust_charts.value_sentences(result):
        st.markdown(md_text(sentence))
    if result.reading:
        st.info(md_text(result.reading))
    st.markdown("**Each future's plan** (recourse after the periods decided now)")
    st.dataframe(
        table_for_display(robust_charts.futures_table(result)),
        hide_index=True,
        width="stretch",
        key=f"{prefix}:futures_table",
    )
    dist = robust_charts.distribution_table(result)
    if not dist.empty:
        st.markdown("**Across the futures** (weighted by probability)")
        st.dataframe(
            dist,
            hide_index=True,
            width="stretch",
            key=f"{prefix}:distribution",
        )
    st.plotly_chart(robust_charts.fan_figure(result), width="stretch", key=f"{prefix}:fan")
    regret = robust_charts.regret_table(result)
    if not regret.empty:
        st.markdown(
            "**Regret**: the index of each first stage in each future with the rest re-planned "
            "(regret = that future's own optimum minus it; *cannot*: those commitments cannot "
            "be completed in that future; *no plan*: that future's own plan was not found)"
        )
        st.dataframe(regret, hide_index=True, width="stretch", key=f"{prefix}:regret")
    for note in result.notes:
        st.caption(md_text(note))
    st.download_button(
        "Download the study (JSON, as `sovplan robust --json`)",
        json.dumps(result.to_dict(), indent=2, default=str).encode("utf-8"),
        file_name="robust.json",
        mime="application/json",
        key=f"{prefix}:download",
    )


def render(scenario: Scenario, tables: Tables | None) -> None:
    """The section: futures, settings, Run robust plan, and the answer."""
    st.subheader("Plan across futures")
    st.write(
        "A plan must be committed for its first periods before anyone knows which future "
        "comes. List a handful of futures with their probabilities and what differs in each; "
        "the robust plan commits once for all of them and re-plans the later periods per "
        "future (`sovplan robust` on the same scenario gives the same numbers)."
    )
    block, prefix = futures_inputs(scenario)
    label = f"{scenario.name} (Uncertainty tab)"
    sc: Scenario | None = None
    if block is not None:
        try:
            sc = with_futures(scenario, block, label)
        except Exception as exc:
            st.error(error_text(exc))
    request = (
        (ui_support.scenario_key(sc), ui_support.tables_key(tables)) if sc is not None else None
    )
    if st.button("Run robust plan", key="unc_run", type="primary", disabled=sc is None):
        st.session_state["robust_request"] = request
    if sc is None or st.session_state.get("robust_request") != request:
        if st.session_state.get("robust_request") is not None and sc is not None:
            st.info("The futures changed since the robust plan was run: press **Run robust plan**.")
        return
    line, on_wait = _progress_line(
        f"Planning {scenario.name} across {len(block['futures'])} futures"
    )  # type: ignore[index]
    try:
        with st.spinner("Solving the extensive form, then each future alone…", show_time=True):
            result = cached_robust(request[0], request[1], sc, tables, on_wait=on_wait)
    except Exception as exc:
        st.error(error_text(exc))
        return
    finally:
        line.empty()
    show_result(result, prefix)


def _progress_line(what: str) -> Any:
    """A line counting the seconds the study has run (``ui.plan_view.progress_line``'s)."""
    from ui.plan_view import progress_line

    return progress_line(md_text(what))
