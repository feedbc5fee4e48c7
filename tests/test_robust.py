"""The robust plan across futures (issue #25): hand-solved, against solve, by enumeration.

The hand-solved instance (tests/fixtures/futures/tiny-futures.yaml): home HOM, periods 2028 (2 years)
and 2030 (1 year), target 1 then 2 EFLOP/s; 1 module = 1 EFLOP/s. Index = (Σ_2028 s·q +
Σ_2030 s·q) / 3 with scores PUB@HOM/CH 1, PUB@HOM/CA 2/3, PUB@ALY/CH 5/6, USC@ALY/CH 1/2
(rented), others lower. Owned modules cost their price when bought (CA 10, CH 20) plus 1% of
it per year in service (upkeep to 2030): CH bought in 2028 costs 20.6, in 2030 20.2; CA 10.3
and 10.1. Budget 30.9 per future. The here-and-now period is 2028. Futures, each p = 1/2:
"as planned", and "OTH cut" from 2030: CA (designed in OTH) can no longer be bought, the OTH
cloud (USC) is lost, CA installed in 2028 keeps running (failure rate 0, so κ = 1), and the
target after the cut may be under-delivered (what is not delivered scores nothing).

Deterministic plan (no cut): 2028 one CH (index 1 in 2028), 2030 adds one CA: (1 + 1 + 2/3)/3
= 8/9 for 30.7; buying the CA already in 2028 gives the same index for 30.9, so the cost
tie-break buys it in 2030. Its first stage {CH} in the cut future: 2030 cannot buy CA, a
second CH (20.2) or PUB@ALY/CH (20.2) breaks the budget (20.6 + 20.2 > 30.9), USC is lost:
2030 delivers 1 (the CH): (1 + 1)/3 = 2/3. EEV = (8/9 + 2/3)/2 = 7/9.
Robust first stage {CH, CA} in 2028 (30.9): 8/9 in both futures (the CA bought before the
cut keeps running). No other first stage beats 8/9 in the cut future ({CA} alone: then CH in
2030 gives (2/3 + 2/3 + 1)/3 = 7/9). So RP = 8/9, VSS = 8/9 − 7/9 = 1/9, and each future's
own optimum is 8/9: EVPI = 0.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.core.errors import InputError
from planner.core.scenario import load_scenario, read_yaml, scenario_from_mapping
from planner.core.solve import solve
from planner.studies.robust import cvar, objective_of, robust
from tests.conftest import FIXTURES, TINY_DATA, tiny

FUTURES_YAML = FIXTURES / "futures" / "tiny-futures.yaml"
ROOT = Path(__file__).resolve().parent.parent


def _fixture(**fields) -> object:
    raw = read_yaml(FUTURES_YAML)
    raw["data"] = str(TINY_DATA)
    raw.update(fields)
    return scenario_from_mapping(raw, source=str(FUTURES_YAML))


def _first(result) -> dict[tuple[int, str, str, str], int]:
    return {
        (int(r.period), r.country, r.provider, r.chip): int(r.modules)
        for r in result.first_stage.itertuples(index=False)
    }


def _here_and_now_rows(plan, now) -> dict:
    a = plan.allocation
    a = a[a["period"].isin(now) & (a["modules"] > 0)]
    return {
        (int(r.period), r.country, r.provider, r.chip, r.existing): int(r.modules)
        for r in a.itertuples(index=False)
    }


@pytest.fixture(scope="module")
def hand() -> object:
    return robust(load_scenario(FUTURES_YAML))


def test_hand_solved_hedge_buys_the_cut_chip_before_the_cut(hand):
    assert hand.status == "optimal"
    assert _first(hand) == {(2028, "HOM", "PUB", "CA"): 1, (2028, "HOM", "PUB", "CH"): 1}
    det = {
        (d["option"][0], d["option"][2]): d["modules"] for d in hand.deterministic["first_stage"]
    }
    assert det == {("HOM", "CH"): 1}
    assert hand.robust_objective == pytest.approx(8 / 9, abs=1e-6)
    assert hand.eev == pytest.approx(7 / 9, abs=1e-6)
    assert hand.vss == pytest.approx(1 / 9, abs=1e-6)
    assert hand.evpi == pytest.approx(0.0, abs=1e-6)
    assert list(hand.futures["index"]) == pytest.approx([8 / 9, 8 / 9], abs=1e-6)
    assert list(hand.futures["cost_musd"]) == pytest.approx([30.9, 30.9], abs=1e-6)
    assert "2 of 2 futures" in hand.reading and "1 of 2" in hand.reading


def test_non_anticipativity_and_budget_per_future_hold(hand):
    rows = [_here_and_now_rows(p, hand.here_and_now) for p in hand.plans]
    assert all(r == rows[0] for r in rows)
    assert all(p.cost <= 30.9 + 1e-6 for p in hand.plans)


def test_a_committed_system_in_the_deterministic_plan_is_data_not_a_commitment():
    """A committed system has nothing to decide: it is in every plan's here-and-now rows but
    not among the linked decisions, and fixing the deterministic first stage must not read it
    as an option no future offers (it did on the UK scenario: VSS 'not a number')."""
    committed = {
        "name": "contract", "country": "HOM", "provider": "PUB", "chip": "CH",
        "accelerators": 1000, "since": 2027, "capital_musd": 20.0,
    }  # fmt: skip
    r = robust(_fixture(committed=[committed], budget=45.0))
    assert r.ok
    det = {d["option"][4] for d in r.deterministic["first_stage"]}
    assert "contract" in det
    assert r.eev is not None and r.vss is not None and r.vss >= -1e-6
    # already contracted: not something to commit now
    assert "contract" not in set(r.first_stage.get("existing", []))


def test_regret_table_has_each_first_stage_in_each_future(hand):
    table = hand.regret
    assert set(table["first_stage"]) == {
        "deterministic",
        "robust",
        "own plan of 'as planned'",
        "own plan of 'OTH cut'",
    }
    det_cut = table[(table["first_stage"] == "deterministic") & (table["future"] == "OTH cut")]
    assert float(det_cut["index"].iloc[0]) == pytest.approx(2 / 3, abs=1e-6)
    assert float(det_cut["regret"].iloc[0]) == pytest.approx(8 / 9 - 2 / 3, abs=1e-6)
    assert (table["regret"].dropna() >= -1e-6).all()


def test_one_future_gives_exactly_solves_plan():
    sc = tiny(budget=24, uncertainty={"futures": [{"name": "only", "probability": 1}]})
    r = robust(sc)
    plan = solve(tiny(budget=24))
    assert r.futures["index"].iloc[0] == pytest.approx(plan.sovereignty["index"], abs=1e-9)
    assert r.futures["cost_musd"].iloc[0] == pytest.approx(plan.cost, abs=1e-9)
    assert r.vss == pytest.approx(0.0, abs=1e-9) and r.evpi == pytest.approx(0.0, abs=1e-9)


def test_identical_futures_have_no_vss_and_no_evpi():
    same = {"futures": [{"name": "a", "probability": 0.3}, {"name": "b", "probability": 0.7}]}
    r = robust(_fixture(uncertainty=same))
    assert r.vss == pytest.approx(0.0, abs=1e-6)
    assert r.evpi == pytest.approx(0.0, abs=1e-6)
    assert r.robust_objective == pytest.approx(8 / 9, abs=1e-6)


def test_risk_weight_zero_is_the_expected_value_plan(hand):
    block = read_yaml(FUTURES_YAML)["uncertainty"]
    r = robust(_fixture(uncertainty={**block, "risk": {"alpha": 0.5, "weight": 0.0}}))
    assert r.robust_objective == pytest.approx(hand.robust_objective, abs=1e-9)
    assert _first(r) == _first(hand)


def test_cvar_objective_counts_the_worst_alpha_of_futures():
    # losses 0.1 and 0.5 with p 0.5: CVaR_0.5 is the worse half, 0.5; CVaR_1 the mean, 0.3
    assert cvar([0.1, 0.5], [0.5, 0.5], 0.5) == pytest.approx(0.5)
    assert cvar([0.1, 0.5], [0.5, 0.5], 1.0) == pytest.approx(0.3)
    sc = _fixture(
        uncertainty={**read_yaml(FUTURES_YAML)["uncertainty"], "risk": {"alpha": 0.5, "weight": 1}}
    )
    assert objective_of(sc, [0.9, 0.5], [0.5, 0.5]) == pytest.approx(0.7 - 0.5)


def test_cvar_in_the_model_is_the_cvar_of_its_plans_indices():
    """The extensive form's Rockafellar–Uryasev rows give the same CVaR as sorting the
    futures' indices (``cvar``), and the risk term can only lower the objective."""
    block = {
        **read_yaml(FUTURES_YAML)["uncertainty"],
        "futures": [
            {"name": "as planned", "probability": 0.5},
            {"name": "dear", "probability": 0.5, "set": {"economics.chip_price_scale": 1.5}},
        ],
    }
    plain = robust(_fixture(uncertainty=block))
    risky = robust(_fixture(uncertainty={**block, "risk": {"alpha": 0.5, "weight": 1.0}}))
    idx = [float(v) for v in risky.futures["objective_index"]]
    p = [float(v) for v in risky.futures["probability"]]
    expected = sum(pi * i for pi, i in zip(p, idx, strict=True))
    by_sorting = expected - cvar([1 - i for i in idx], p, 0.5)
    assert risky.model_objective == pytest.approx(by_sorting, abs=1e-6)
    assert risky.robust_objective == pytest.approx(by_sorting, abs=1e-6)
    assert risky.robust_objective <= plain.robust_objective + 1e-6


def test_max_min_never_beats_the_worst_futures_own_optimum():
    block = {
        "objective": "worst",
        "futures": [
            {"name": "as planned", "probability": 0.5},
            {"name": "dear", "probability": 0.5, "set": {"economics.chip_price_scale": 1.5}},
        ],
    }
    r = robust(_fixture(uncertainty=block))
    assert r.ok
    own = [float(v) for v in r.futures["own_optimum_index"]]
    assert r.robust_objective <= min(own) + 1e-6
    assert r.robust_objective == pytest.approx(min(r.futures["objective_index"]), abs=1e-9)
    assert r.model_objective == pytest.approx(r.robust_objective, abs=1e-6)


def _brute_force_optimum() -> float:
    """The hand instance restricted to home options (countries [HOM]): enumerate the 2028
    fleet (CA, CH owned at home) and, per future, every 2030 fleet, pricing and scoring by
    hand; no model involved."""
    score = {"CA": 2 / 3, "CH": 1.0}
    price = {"CA": 10.0, "CH": 20.0}
    upkeep = {2028: 0.03, 2030: 0.01}  # 1% a year to 2030: 3 years from 2028, 1 from 2030

    def counted(fleet: dict[str, int], target: float) -> float:
        total, left = 0.0, target
        for chip in sorted(fleet, key=lambda c: -score[c]):
            take = min(left, fleet[chip])
            total += take * score[chip]
            left -= take
        return total if left <= 1e-9 else -1.0  # -1: the target is not met

    best = -1.0
    for ca, ch in itertools.product(range(3), repeat=2):
        first_cost = sum(n * price[c] * (1 + upkeep[2028]) for c, n in (("CA", ca), ("CH", ch)))
        v2028 = counted({"CA": ca, "CH": ch}, 1)
        if first_cost > 30.9 + 1e-9 or v2028 < 0:
            continue
        values = []
        for cut in (False, True):
            best_future = -1.0
            for ca2, ch2 in itertools.product(range(ca, 4), range(ch, 4)):
                if cut and ca2 > ca:
                    continue  # no new CA after the cut
                cost = first_cost + sum(
                    (n2 - n) * price[c] * (1 + upkeep[2030])
                    for c, n, n2 in (("CA", ca, ca2), ("CH", ch, ch2))
                )
                if cost > 30.9 + 1e-9:
                    continue
                fleet = {"CA": ca2, "CH": ch2}
                # after the cut the target may be under-delivered
                v = counted(fleet, min(2, ca2 + ch2) if cut else 2)
                if v >= 0:
                    best_future = max(best_future, (v2028 + v) / 3)
            values.append(best_future)
        if min(values) >= 0:
            best = max(best, 0.5 * values[0] + 0.5 * values[1])
    return best


@pytest.mark.slow
def test_enumeration_of_first_stages_equals_the_robust_optimum():
    r = robust(_fixture(countries=["HOM"]))
    assert r.robust_objective == pytest.approx(_brute_force_optimum(), abs=1e-6)
    assert r.robust_objective == pytest.approx(8 / 9, abs=1e-6)


@pytest.mark.slow
def test_sample_average_approximation_bounds_its_gap():
    r = robust(load_scenario(FUTURES_YAML), saa=True, replications=2, draws=2)
    assert r.saa is not None and r.saa["replications"] == 2
    # the candidate's value over the scenario's futures is at most the true optimum 8/9
    assert r.saa["candidate_value"] <= 8 / 9 + 1e-6
    assert r.saa["gap"] >= -1e-6
    assert r.saa["gap_upper_95"] >= r.saa["gap"]


@pytest.mark.slow
def test_sample_average_approximation_on_two_workers_equals_one():
    """The replications' samples are drawn before any is solved, so solving them in worker
    processes changes nothing of the result (same draws, same candidates, same bounds)."""
    sc = load_scenario(FUTURES_YAML)
    one = robust(sc, saa=True, replications=3, draws=2, workers=1)
    two = robust(sc, saa=True, replications=3, draws=2, workers=2)
    assert two.saa == one.saa
    assert two.robust_objective == pytest.approx(one.robust_objective, abs=1e-9)
    with pytest.raises(InputError, match="workers"):
        robust(sc, saa=True, workers=0)


@pytest.mark.parametrize(
    ("block", "words"),
    [
        (None, "no futures to plan across"),
        (
            {
                "futures": [
                    {"name": "x", "probability": 1, "cut": {"jurisdictions": ["XYZ"], "from": 2030}}
                ]
            },
            "'XYZ' is not a foreign jurisdiction",
        ),
        ({"futures": [{"name": "x", "probability": 1}], "here_and_now": [2030]}, "first period"),
    ],
)
def test_bad_input_names_the_file_and_the_reason(block, words):
    with pytest.raises(InputError, match="tiny-futures.yaml") as err:
        robust(_fixture(uncertainty=block))
    assert words in str(err.value)


def test_budget_in_expectation_holds_on_average_only():
    block = {**read_yaml(FUTURES_YAML)["uncertainty"], "budget": "expected"}
    r = robust(_fixture(uncertainty=block))
    assert r.ok
    expected = sum(p * pl.cost for p, pl in zip(r.futures["probability"], r.plans, strict=True))
    assert expected <= 30.9 + 1e-6
    # the budget moves between futures, never below the per-future optimum
    assert r.robust_objective >= 8 / 9 - 1e-6


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    budget=st.sampled_from([25.0, 30.9, 36.0, 45.0]),
    scale=st.sampled_from([0.8, 1.2, 1.5]),
    p=st.sampled_from([0.2, 0.5, 0.8]),
    cut=st.booleans(),
)
def test_random_tiny_futures_keep_every_rule(budget, scale, p, cut):
    """Non-anticipativity, the budget in every future, VSS ≥ 0 and EVPI ≥ 0 on random
    two- and three-future versions of the hand instance."""
    futures = [
        {"name": "as planned", "probability": p},
        {
            "name": "prices",
            "probability": round(1 - p, 6),
            "set": {"economics.chip_price_scale": scale},
        },
    ]
    if cut:
        futures[1]["probability"] = round((1 - p) / 2, 6)
        futures.append(
            {"name": "cut", "probability": round(1 - p - futures[1]["probability"], 6),
             "cut": {"jurisdictions": ["OTH"], "from": 2030}}
        )  # fmt: skip
    r = robust(_fixture(budget=budget, uncertainty={"futures": futures}))
    if not r.ok:
        return  # no plan in some future at this budget: nothing to check
    rows = [_here_and_now_rows(pl, r.here_and_now) for pl in r.plans]
    assert all(x == rows[0] for x in rows)
    assert all(pl.cost <= budget + 1e-6 for pl in r.plans)
    if r.vss is not None:
        assert r.vss >= -1e-6
    if r.evpi is not None:
        assert r.evpi >= -1e-6


def _cli(*args: str):
    from typer.testing import CliRunner

    from planner.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_robust_prints_the_plan_and_refuses_a_scenario_without_futures(tmp_path):
    out = tmp_path / "robust.json"
    # one worker: the default (one per core) starts a process pool (~5 s of this test on two
    # loaded cores); test_the_study_on_two_workers_equals_one checks the pool's report
    run = _cli("robust", str(FUTURES_YAML), "--out", str(out), "--workers", "1")
    assert run.exit_code == 0, run.stdout
    assert "here-and-now plan" in run.stdout and "VSS: +0.1111" in run.stdout
    import json

    payload = json.loads(out.read_text())
    assert payload["vss"] == pytest.approx(1 / 9, abs=1e-6)
    bad = _cli("robust", str(FIXTURES / "tiny.yaml"))
    assert bad.exit_code == 2
    assert "uncertainty:" in bad.stderr and "no futures to plan across" in bad.stderr


@pytest.mark.parametrize(
    "block",
    [
        None,  # the hand instance: expected index, EVPI 0
        {
            "objective": "worst",
            "futures": [
                {"name": "as planned", "probability": 0.5},
                {"name": "dear", "probability": 0.5, "set": {"economics.chip_price_scale": 1.5}},
            ],
        },
        {  # EVPI > 0: the extensive form is searched from the best candidate
            "futures": [
                {"name": "as planned", "probability": 0.5},
                {"name": "dear", "probability": 0.5, "set": {"economics.chip_price_scale": 1.5}},
            ],
        },
        {
            "risk": {"alpha": 0.5, "weight": 0.5},
            "here_and_now": [2028],
            "futures": [
                {"name": "as planned", "probability": 0.5},
                {
                    "name": "OTH cut",
                    "probability": 0.5,
                    "cut": {"jurisdictions": ["OTH"], "from": 2030},
                },
            ],
        },
    ],
)
def test_candidate_first_stages_are_plans_and_the_search_only_improves_on_them(block):
    """The progressive search: the best candidate first stage (of the deterministic plan's
    and each future's own) re-planned in every future is a plan in each of them, put together
    across the futures it is a plan of the whole problem (its objective is read off the
    extensive form), and the final plan is at least as good as it and never claims more
    than its proven bound."""
    sc = _fixture(uncertainty=block) if block else load_scenario(FUTURES_YAML)
    r = robust(sc)
    assert r.ok
    rows = r.regret[r.regret["first_stage"] != "robust"]
    p = list(r.futures["probability"])
    values = {
        label: objective_of(sc, list(g["index"].astype(float)), p)
        for label, g in rows.groupby("first_stage", sort=False)
        if g["index"].notna().all()
    }
    best = rows[rows["first_stage"] == r.search["best_candidate"]]
    assert len(best) == len(p) and best["index"].notna().all()
    assert set(best["status"]) <= {"optimal", "feasible"}
    values = list(values.values())
    assert r.search["best_candidate_objective"] == pytest.approx(max(values), abs=1e-9)
    assert r.robust_objective >= max(values) - 1e-9
    assert r.bound is not None and r.robust_objective <= r.bound + 1e-9
    if r.evpi > 1e-6:
        assert r.search["extensive_form_searched"]


def _dear(name: str, p: float, scale: float) -> dict:
    return {"name": name, "probability": p, "set": {"economics.chip_price_scale": scale}}


#: five futures of the tiny instance: above PRUNE_ABOVE, so candidates are pruned
FIVE_FUTURES = {
    "futures": [
        {"name": "as planned", "probability": 0.3},
        {"name": "OTH cut", "probability": 0.3, "cut": {"jurisdictions": ["OTH"], "from": 2030}},
        _dear("dear", 0.2, 1.5),
        _dear("cheap", 0.1, 0.6),
        _dear("very dear", 0.1, 1.9),
    ]
}


def _report(result) -> dict:
    """A result's JSON without what measures this run (seconds, the workers used)."""
    out = json.loads(json.dumps(result.to_dict(), default=str))
    out.pop("seconds", None)
    out["search"] = {
        k: v
        for k, v in (out.get("search") or {}).items()
        if not k.endswith("_s") and k != "workers"
    }
    return out


@pytest.fixture(scope="module")
def five_futures_one_worker() -> object:
    """The study of FIVE_FUTURES on one worker (the default), once for the module: the
    two-worker and the pruning tests compare against it and only read it."""
    return robust(_fixture(uncertainty=FIVE_FUTURES), workers=1)


def test_the_study_on_two_workers_equals_one(five_futures_one_worker):
    """Each future's own optimum and every candidate's recourse solves run on the process
    pool with two workers (the pool runs ahead of the pruning search; what the search then
    skips is never used) and give the same report as one worker, which solves them here,
    one after another: each solve starts from its model as built, whoever ran it before."""
    one = five_futures_one_worker
    two = robust(_fixture(uncertainty=FIVE_FUTURES), workers=2)
    assert one.ok and one.search["evaluations_pruned"] > 0
    assert (one.search["workers"], two.search["workers"]) == (1, 2)
    assert _report(two) == _report(one)


def test_pruning_candidates_keeps_the_optimum(monkeypatch, five_futures_one_worker):
    """Above PRUNE_ABOVE futures a candidate's evaluation stops once it cannot beat the best
    so far; the plan found must be the one the full evaluation finds."""
    import planner.studies.robust as study

    pruned = five_futures_one_worker
    monkeypatch.setattr(study, "PRUNE_ABOVE", 100)
    full = robust(_fixture(uncertainty=FIVE_FUTURES))
    assert full.search["evaluations_pruned"] == 0 < pruned.search["evaluations_pruned"]
    assert pruned.robust_objective == pytest.approx(full.robust_objective, abs=1e-9)
    assert pruned.vss == pytest.approx(full.vss, abs=1e-9)
    assert pruned.search["recourse_solves"] <= full.search["recourse_solves"]
    best = pruned.regret[pruned.regret["first_stage"] == pruned.search["best_candidate"]]
    assert (best["status"] != "pruned").all()


def _own_solves_run_out_of_time(monkeypatch) -> None:
    """Each future's own solve (no first stage fixed) runs to the deadline it is given and
    finds nothing, as the 20 EU futures' own optima did at load (benchmarks/README.md,
    rounds 5-6); the first-stage-fixed solves run as usual."""
    import time

    from planner.studies import future_solves

    real = future_solves._Models.run

    def run(self, job, end):
        if job.fixed is None:
            time.sleep(max(0.0, (end or time.time()) - time.time()))
            return future_solves.FutureSolve("time_limit_no_solution", "Time limit reached")
        return real(self, job, end)

    monkeypatch.setattr(future_solves._Models, "run", run)


def test_own_optima_out_of_time_still_give_the_deterministic_commitments(monkeypatch):
    """When the futures' own optima use up their time without a plan, the deterministic
    plan's first stage re-planned in every future is still a plan of the whole problem: the
    study returns it, feasible, and says its bound is unknown (it returned no plan when the
    own optima could take the whole limit)."""
    from planner.studies import extensive as ef

    _own_solves_run_out_of_time(monkeypatch)
    real = ef.optimise

    def no_search(ext, *args, **kwargs):
        if len(ext.futures) > 1:  # the extensive form's search: nothing in its time
            return ef.SolveOutcome(
                "time_limit_no_solution", None, None, None, 0.0, None, "Time limit reached"
            )
        return real(ext, *args, **kwargs)

    monkeypatch.setattr(ef, "optimise", no_search)
    r = robust(load_scenario(FUTURES_YAML), time_limit=10.0)
    assert r.ok and r.status == "feasible"
    assert r.search["best_candidate"] == "deterministic"
    assert r.bound is None and r.gap is None
    # the deterministic commitments in the cut future: 2/3 (module doc); as planned: 8/9
    assert list(r.futures["objective_index"]) == pytest.approx([8 / 9, 2 / 3], abs=1e-6)
    assert r.robust_objective == pytest.approx(7 / 9, abs=1e-6)
    assert "bound is unknown" in r.reading and "not proven optimal" in r.reading
    det = r.regret[r.regret["first_stage"] == "deterministic"]
    assert det["index"].notna().all()


def test_own_optima_out_of_time_then_the_search_improves_on_the_commitments(monkeypatch):
    """The same, with the extensive form searched in the time kept: the plan is at least the
    deterministic commitments' and never claims more than a bound it proved."""
    _own_solves_run_out_of_time(monkeypatch)
    r = robust(load_scenario(FUTURES_YAML), time_limit=10.0)
    assert r.ok
    assert r.robust_objective >= 7 / 9 - 1e-6
    if r.bound is not None:
        assert r.robust_objective <= r.bound + 1e-9
    else:
        assert "bound is unknown" in r.reading


def test_the_study_builds_each_futures_inputs_once(monkeypatch):
    """The study builds (or re-prices) every future's inputs once and hands them to the
    extensive form and the one-future models: ``extensive.build`` never builds them again
    (it did for the extensive form, 8 s of 108 on 20 EU futures at load 8)."""
    from planner.studies import extensive as ef

    def again(*args, **kwargs):
        raise AssertionError("a future's inputs built again")

    monkeypatch.setattr(ef, "build_inputs", again)
    r = robust(load_scenario(FUTURES_YAML))
    assert r.ok and r.robust_objective == pytest.approx(8 / 9, abs=1e-6)
