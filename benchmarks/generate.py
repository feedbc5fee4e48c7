"""Generate large benchmark scenarios shaped like the bundled data (``python -m benchmarks.generate``).

The real tables (data/*.csv: 59 countries, 13 providers, 11 chips, 160 provider regions) are
scaled up by cloning: every country gets ``country_clones - 1`` synthetic siblings (same
jurisdiction and US-diffusion tier, so the trust scores and export rules carry over; electricity
price, carbon intensity, PUE, construction cost and grid power perturbed by a few tens of per
cent), and every provider gets ``provider_clones - 1`` siblings (same headquarters, chips and
delivery model; cost markup and onboarding cost perturbed) that serve the clones of the
countries the original serves. Chips are the real ones. The result has the real data's
structure (a few builds-anywhere providers with hundreds of options each, hyperscalers in a
few dozen countries, many near-identical options) at 10-15x the size.

Each size writes ``benchmarks/data_<size>/`` (compact CSVs: data columns only, four
significant digits; provenance columns are optional in the data dictionary) and
``benchmarks/scenarios/<size>.yaml``. The draw is seeded, so the files are reproducible.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Size:
    """How far to scale the real tables, and the scenario solved on them."""

    country_clones: int
    provider_clones: int
    periods: tuple[int, ...]
    target_2030: float  # EFLOP/s
    budget: float  # MUSD
    time_limit: float
    mip_gap: float


SIZES: dict[str, Size] = {
    "medium": Size(2, 2, (2026, 2028, 2030), 120.0, 14000.0, 120.0, 1e-3),
    "large": Size(4, 3, (2026, 2027, 2028, 2030), 200.0, 22000.0, 300.0, 1e-3),
}


def _sig(values: pd.Series, digits: int = 4) -> pd.Series:
    """Round to ``digits`` significant digits (keeps the CSVs compact)."""
    v = values.astype(float).to_numpy()
    with np.errstate(divide="ignore"):
        mag = np.where(v == 0, 0, np.floor(np.log10(np.abs(np.where(v == 0, 1, v)))))
    scale = 10.0 ** (digits - 1 - mag)
    return pd.Series(np.round(v * scale) / scale, index=values.index)


def _clone_code(code: str, i: int) -> str:
    return code if i == 0 else f"{code}{i}"


def scale_tables(size: Size, seed: int = 2026) -> dict[str, pd.DataFrame]:
    """The real tables scaled up by cloning countries and providers with perturbed values."""
    from planner.core.data import load_tables, model_columns

    rng = np.random.default_rng(seed)
    t = load_tables()
    countries = t.countries[model_columns(t.countries)]
    frames = []
    for i in range(size.country_clones):
        c = countries.copy()
        c["iso3"] = [_clone_code(k, i) for k in c["iso3"]]
        if i:
            c["name"] = c["name"] + f" (synthetic {i})"
            n = len(c)
            for col, spread in (
                ("electricity_price_usd_per_mwh", 0.25),
                ("carbon_intensity_g_per_kwh", 0.3),
                ("construction_cost_usd_per_w", 0.15),
                ("grid_power_available_mw", 0.4),
                ("site_fixed_cost_musd", 0.15),
            ):
                c[col] = c[col] * rng.uniform(1 - spread, 1 + spread, n)
            c["pue"] = np.clip(c["pue"] * rng.uniform(0.95, 1.05, n), 1.05, 2.0)
        frames.append(c)
    countries = pd.concat(frames, ignore_index=True)
    for col in (
        "electricity_price_usd_per_mwh",
        "carbon_intensity_g_per_kwh",
        "pue",
        "construction_cost_usd_per_w",
        "grid_power_available_mw",
        "site_fixed_cost_musd",
    ):
        countries[col] = _sig(countries[col])
    countries["ai_cloud_regions"] = countries["ai_cloud_regions"].astype(int)

    blocs = t.blocs[model_columns(t.blocs)]
    blocs = pd.concat(
        [
            blocs.assign(iso3=[_clone_code(k, i) for k in blocs["iso3"]])
            for i in range(size.country_clones)
        ],
        ignore_index=True,
    )

    providers = t.providers[model_columns(t.providers)]
    frames = []
    for i in range(size.provider_clones):
        p = providers.copy()
        p["code"] = [_clone_code(k, i) for k in p["code"]]
        if i:
            p["name"] = p["name"] + f" (synthetic {i})"
            n = len(p)
            p["cost_markup"] = np.maximum(1.0, p["cost_markup"] * rng.uniform(0.85, 1.15, n))
            p["onboarding_cost_musd"] = p["onboarding_cost_musd"] * rng.uniform(0.7, 1.3, n)
        frames.append(p)
    providers = pd.concat(frames, ignore_index=True)
    providers["cost_markup"] = _sig(providers["cost_markup"])
    providers["onboarding_cost_musd"] = _sig(providers["onboarding_cost_musd"])

    regions = t.provider_regions[model_columns(t.provider_regions)]
    frames = []
    for i in range(size.provider_clones):
        for j in range(size.country_clones):
            r = regions.copy()
            r["provider"] = [_clone_code(k, i) for k in r["provider"]]
            r["iso3"] = [_clone_code(k, j) for k in r["iso3"]]
            # not every synthetic provider is present in every synthetic sibling country
            if i or j:
                r = r[rng.uniform(size=len(r)) < 0.8]
            frames.append(r)
    regions = pd.concat(frames, ignore_index=True)

    return {
        "jurisdictions": t.jurisdictions[model_columns(t.jurisdictions)],
        "blocs": blocs,
        "countries": countries,
        "relationships": t.relationships[model_columns(t.relationships)],
        "providers": providers,
        "provider_regions": regions,
        "chips": t.chips[model_columns(t.chips)],
    }


def scenario(name: str, size: Size) -> dict:
    """A France-style hedging scenario over every (synthetic) country, provider and chip."""
    periods = list(size.periods)
    first, last = periods[0], periods[-1]
    target = {
        p: round(size.target_2030 * (0.1 + 0.9 * (p - first) / (last - first)), 1) for p in periods
    }
    return {
        "name": f"benchmark {name}",
        "description": (
            f"Synthetic benchmark ({name}): the bundled tables scaled by "
            f"{size.country_clones}x countries and {size.provider_clones}x providers "
            "(benchmarks/generate.py). France hedges its dependence over every option."
        ),
        "data": f"../data_{name}",
        "home": ["FRA"],
        "periods": periods,
        "target": target,
        "budget": size.budget,
        "limits": {
            "min_home_share": 0.3,
            "max_share_provider": 0.4,
            "max_share_chip_designer": 0.8,
            "min_providers": 3,
        },
        "strategy": "hedge",
        "weights": {"territorial": 0.4, "provider": 0.3, "chip": 0.3},
        "economics": {"module_size": 2000},
        "solver": {
            "time_limit": size.time_limit,
            "mip_gap": size.mip_gap,
            # one MIP (sovereignty), the same the exported MPS holds: a like-for-like benchmark
            "tie_break": "none",
            # no rounded-LP MIP start: HiGHS alone on the MPS has none (its effect is
            # measured apart, see README)
            "lp_start": False,
            "threads": 1,
        },
    }


FILES = {
    "jurisdictions": "jurisdictions.csv",
    "blocs": "blocs.csv",
    "countries": "countries.csv",
    "relationships": "relationships.csv",
    "providers": "providers.csv",
    "provider_regions": "provider_regions.csv",
    "chips": "chips.csv",
}


def write(name: str, size: Size, root: Path = HERE) -> Path:
    """Write the data folder and the scenario of one size; return the scenario path."""
    folder = root / f"data_{name}"
    folder.mkdir(parents=True, exist_ok=True)
    for key, frame in scale_tables(size).items():
        frame.to_csv(folder / FILES[key], index=False)
    (root / "scenarios").mkdir(exist_ok=True)
    path = root / "scenarios" / f"{name}.yaml"
    header = (
        f"# Generated by `python -m benchmarks.generate --sizes {name}`; do not edit by hand.\n"
    )
    path.write_text(header + yaml.safe_dump(scenario(name, size), sort_keys=False))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated sizes")
    args = parser.parse_args(argv)
    for name in args.sizes.split(","):
        path = write(name, SIZES[name])
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
