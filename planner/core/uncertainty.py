"""The scenario's ``uncertainty:`` block: the futures a plan must hold across (issue #25).

A minister commits to the first years of a plan before knowing which future comes. This
block says which futures are possible and how likely each is, and which periods are decided
now (``here_and_now``); the robust study (``planner.studies.robust``) plans the first
periods once for all futures and the later ones per future. ``planner.core.futures`` turns
the block into one validated scenario per future.

A future is either listed by hand (``futures:``, each a set of overrides in the ``--set``
language with a probability) or drawn (``samples: N`` from ``ranges:``, seeded, each draw
equally likely). Listing is for the handful of stories an analyst can name ("Taiwan cut in
2028", "chips 30% dearer"); sampling is for spreading over ranges nobody can pin down.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from planner.core.schema_base import _Strict

#: Most futures a scenario may list or draw: the extensive form grows with their number, and
#: beyond a few dozen sample-average approximation with replications is the right tool.
MAX_FUTURES = 1000
#: Probabilities must add up to 1 within this (a YAML file holds them to a few digits).
PROBABILITY_TOLERANCE = 1e-6


class Cut(_Strict):
    """A supply cut inside a future: from ``from`` on, the named jurisdictions are lost as in
    ``sovplan stress --cut J --from YEAR`` (territory, providers and new chips; installed
    chips keep running minus failures)."""

    jurisdictions: list[Annotated[str, Field(min_length=1)]] = Field(
        ..., min_length=1, description="Jurisdiction codes cut (e.g. [TWN])"
    )
    from_year: Annotated[int, Field(ge=2000, le=2100)] = Field(
        ..., alias="from", description="First year without them"
    )

    model_config = _Strict.model_config | {"populate_by_name": True}


class Future(_Strict):
    """One named future: its probability and what differs from the scenario."""

    name: str = Field(..., min_length=1, max_length=80, description="Short name shown in tables")
    probability: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        ..., description="Chance of this future; the futures' probabilities add up to 1"
    )
    set: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Overrides in the --set language: dotted scenario keys to values, e.g. "
            "{economics.chip_price_scale: 1.3, scores.USA: 0.4, export_regime: none}"
        ),
    )
    cut: Cut | None = Field(None, description="A supply cut in this future, if any")


class Range(_Strict):
    """Where a sampled input may fall: uniform between low and high, or triangular with a
    most likely value."""

    low: float = Field(..., description="Smallest value drawn")
    high: float = Field(..., description="Largest value drawn")
    mode: float | None = Field(None, description="Most likely value (triangular only)")
    distribution: Literal["uniform", "triangular"] = Field("uniform")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low <= self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g}")
        if self.distribution == "triangular":
            mode = self.mode if self.mode is not None else (self.low + self.high) / 2
            if not self.low <= mode <= self.high:
                raise ValueError(f"mode {mode:g} is outside [{self.low:g}, {self.high:g}]")
        elif self.mode is not None:
            raise ValueError("mode is only used with distribution: triangular")
        return self


class Risk(_Strict):
    """Aversion to bad futures: the objective becomes E[index] - weight * CVaR_alpha of the
    index shortfall 1 - index (the mean shortfall from a full index of 1 over the worst alpha
    of probability; ``models.stochastic``)."""

    alpha: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.1, description="Share of worst futures the CVaR averages over"
    )
    weight: Annotated[float, Field(ge=0.0, le=1e3)] = Field(
        0.0, description="Lambda: index points given up in expectation per point of CVaR"
    )


class Uncertainty(_Strict):
    """Futures (listed or sampled), the periods decided now, and how to weigh the futures."""

    futures: list[Future] = Field(
        default_factory=list, max_length=MAX_FUTURES, description="Futures listed by hand"
    )
    samples: Annotated[int, Field(ge=1, le=MAX_FUTURES)] | None = Field(
        None, description="Draw this many equally likely futures from `ranges` instead"
    )
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = Field(
        0, description="Seed of the draws: the same seed gives the same futures"
    )
    ranges: dict[str, Range] = Field(
        default_factory=dict,
        description="Dotted scenario key -> range of its value, for `samples`",
    )
    here_and_now: list[Annotated[int, Field(ge=2000, le=2100)]] | None = Field(
        None,
        description=(
            "Periods decided before the future is known (the first periods of `periods`); "
            "default: the first period"
        ),
    )
    objective: Literal["expected", "worst"] = Field(
        "expected",
        description=(
            "expected: maximise the expected index (minus risk.weight x CVaR); worst: maximise "
            "the index of the worst future (max-min)"
        ),
    )
    risk: Risk = Field(default_factory=Risk)
    budget: Literal["per_future", "expected"] = Field(
        "per_future",
        description=(
            "per_future: the budget holds in every future; expected: in expectation over them"
        ),
    )

    @field_validator("futures")
    @classmethod
    def _unique_names(cls, value: list[Future]) -> list[Future]:
        seen: set[str] = set()
        for f in value:
            if f.name in seen:
                raise ValueError(f"two futures are named '{f.name}'")
            seen.add(f.name)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Uncertainty:
        if self.futures and self.samples is not None:
            raise ValueError("give either `futures` or `samples` (with `ranges`), not both")
        if self.samples is not None and not self.ranges:
            raise ValueError("`samples` needs `ranges`: which inputs to draw, and between what")
        if self.ranges and self.samples is None:
            raise ValueError("`ranges` are drawn only with `samples: N`")
        if not self.futures and self.samples is None:
            raise ValueError("list `futures` or draw `samples` from `ranges`")
        if self.futures:
            total = math.fsum(f.probability for f in self.futures)
            if abs(total - 1.0) > PROBABILITY_TOLERANCE:
                raise ValueError(
                    f"the futures' probabilities add up to {total:.6g}, not 1 "
                    f"({', '.join(f'{f.name}: {f.probability:g}' for f in self.futures)})"
                )
        return self

    def decided_now(self, periods: list[int]) -> list[int]:
        """The here-and-now periods for a scenario's ``periods`` (default: the first)."""
        return list(self.here_and_now) if self.here_and_now else periods[:1]


def check_here_and_now(unc: Uncertainty, periods: list[int]) -> None:
    """Here-and-now periods must be the first periods: a decision made now cannot wait for a
    period that comes after one decided later. Raises ValueError naming the periods."""
    now = unc.decided_now(periods)
    if now != periods[: len(now)]:
        raise ValueError(
            f"uncertainty.here_and_now {now} must be the first period(s) of periods {periods}"
        )


__all__ = ["Cut", "Future", "Range", "Risk", "Uncertainty", "check_here_and_now"]
