"""A sweep's results file: rows of finished runs in Parquet, rewritten atomically as runs
finish, so an interrupted batch loses nothing it had finished and ``--resume`` continues it.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from planner.core.errors import InputError
from planner.core.io import atomic_write
from planner.studies.sweep_design import run_key
from planner.studies.sweep_runs import LOST, RESULT_COLUMNS


def spec_fingerprint(raw: dict[str, Any]) -> str:
    """A short hash of the base scenario mapping (what ``--resume`` checks it continues)."""
    text = json.dumps(raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


META_KEY = b"sovplan.sweep"


def _frame(rows: list[dict[str, Any]], names: list[str]) -> pd.DataFrame:
    """Rows -> DataFrame with parameter columns first; mixed-type columns become text."""
    extra = [c for r in rows for c in r if c not in names and c not in RESULT_COLUMNS]
    columns = names + RESULT_COLUMNS + list(dict.fromkeys(extra))
    frame = pd.DataFrame(rows, columns=columns)
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        kinds = {
            type(v)
            for v in frame[col]
            if v is not None and not (isinstance(v, float) and math.isnan(v))
        }
        if len(kinds) > 1 and not kinds <= {int, float}:
            frame[col] = frame[col].map(lambda v: None if v is None or v != v else str(v))
    return frame


def read_runs(path: str | Path) -> pd.DataFrame:
    """Read a sweep's Parquet file; ``.attrs["sweep"]`` holds the sweep's description."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc
    frame = table.to_pandas()
    meta = table.schema.metadata or {}
    if META_KEY in meta:
        frame.attrs["sweep"] = json.loads(meta[META_KEY])
    return frame


class RunStore:
    """Rows of finished runs, rewritten atomically to Parquet (temp file + rename)."""

    def __init__(
        self,
        path: str | Path | None,
        names: list[str],
        spec: dict[str, Any],
        resume: bool = False,
        force: bool = False,
        min_interval: float = 1.0,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.names = names
        self.spec = spec
        self.rows: list[dict[str, Any]] = []
        self.min_interval = min_interval
        self._last = 0.0
        self._dirty = False
        if self.path is None:
            return
        if self.path.parent and not self.path.parent.exists():
            raise InputError(f"{self.path}: folder {self.path.parent} does not exist")
        if self.path.exists():
            if resume:
                old = read_runs(self.path)
                missing = [n for n in names if n not in old.columns]
                if missing:
                    varied = [c for c in old.columns if c not in RESULT_COLUMNS]
                    raise InputError(
                        f"{self.path}: its runs vary {varied}, not {missing}; resume with the "
                        "same parameters, or write to another --out"
                    )
                self._check_same_sweep(old.attrs.get("sweep") or {})
                # lost runs are not results: they are run again
                self.rows = [r for r in old.to_dict(orient="records") if r.get("status") != LOST]
                self._dirty = len(self.rows) != len(old)
            elif not force:
                raise InputError(
                    f"{self.path}: already exists; pass --resume to continue that sweep or "
                    "--force to overwrite it"
                )

    def _check_same_sweep(self, old: dict[str, Any]) -> None:
        """Refuse to resume a file written by another sweep (scenario, method, design)."""
        new = self.spec
        fields = ["scenario", "scenario_hash", "method", "objective"]
        if new.get("method") in ("morris", "sobol"):
            fields += ["params", "samples", "seed"]
        diffs = [
            f"{k} {old.get(k)!r} in the file, {new.get(k)!r} now"
            for k in fields
            if k in old and old.get(k) != new.get(k)
        ]
        if sorted(old.get("params", {})) != sorted(new.get("params", {})) and old:
            diffs.append(
                f"parameters {sorted(old.get('params', {}))} in the file, "
                f"{sorted(new.get('params', {}))} now"
            )
        if diffs:
            raise InputError(
                f"{self.path}: --resume refused, the file belongs to another sweep ("
                + "; ".join(diffs)
                + "); resume with the same scenario and parameters, or write to another --out"
            )

    def keys(self) -> set[str]:
        return {run_key(r, self.names) for r in self.rows if r.get("status") != LOST}

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self._dirty = True
        if time.monotonic() - self._last >= self.min_interval:
            self.flush()

    def frame(self) -> pd.DataFrame:
        return _frame(self.rows, self.names)

    def flush(self) -> None:
        """Write every row (the file's old rows and the new ones) atomically."""
        if self.path is None or not self._dirty:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(self.frame(), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[META_KEY] = json.dumps(self.spec).encode()
        table = table.replace_schema_metadata(meta)
        atomic_write(self.path, lambda tmp: pq.write_table(table, tmp), force=True)
        self._last = time.monotonic()
        self._dirty = False
