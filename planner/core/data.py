"""Data tables: load the CSVs of a data folder and validate them against the data dictionary.

Errors name the file, the row (1-based, as a spreadsheet shows it, header = row 1), the
column and the reason, so a user editing a table can find the cell.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from planner.core import table_cache
from planner.core.datadict import OPTIONAL_TABLES, TABLES, Table, is_provenance_column
from planner.core.errors import InputError, nearest
from planner.core.files import MAX_TABLE_BYTES, read_input_text

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"
#: Environment variable naming the folders (``os.pathsep``-separated) under which an uploaded
#: scenario's ``data:`` may point; unset = uploads may use the bundled data only.
DATA_DIRS_ENV = "SOVPLAN_DATA_DIRS"


def allowed_data_roots() -> list[Path]:
    """The operator's allow-list of data folders (``SOVPLAN_DATA_DIRS``), resolved."""
    raw = os.environ.get(DATA_DIRS_ENV, "")
    return [Path(part).expanduser().resolve() for part in raw.split(os.pathsep) if part.strip()]


def confined_data_folder(value: object, source: str) -> str | None:
    """The data folder an uploaded scenario may read, or InputError.

    Called on the *validated* scenario's ``data`` (whatever YAML type the upload used, the
    value checked here is the one that would be read); anything but text is refused too, as
    a second line of defence.

    An upload has no folder of its own to resolve a relative path against, and whoever uploads
    it must not read arbitrary server folders. So its ``data:`` may be absent (the bundled
    data), the bundled data folder itself, or a folder under one of the operator's allowed
    folders (absolute, or relative to one of them); symbolic links are resolved before the
    check. The refusal names no server path, and says the same whether the folder exists.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise InputError(
            f"{source}: field 'data': expected the name of a data folder (text); leave 'data' "
            "out to use the bundled data"
        )
    roots = allowed_data_roots()
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # '~name' for a user this server does not have: a plain name
        path = Path(value)
    candidates = [path.resolve()] if path.is_absolute() else [(r / path).resolve() for r in roots]
    allowed = [
        c
        for c in candidates
        if c == BUNDLED_DATA.resolve() or any(c.is_relative_to(r) for r in roots)
    ]
    if not allowed:
        raise InputError(
            f"{source}: field 'data': an uploaded scenario may read only the bundled data or a "
            f"folder under the data folders this server allows ({DATA_DIRS_ENV}, set by its "
            "operator); leave 'data' out to use the bundled data"
        )
    existing = [c for c in allowed if c.is_dir()]
    if not existing:
        raise InputError(
            f"{source}: field 'data': no such folder under the data folders this server allows "
            f"({DATA_DIRS_ENV})"
        )
    return str(existing[0])


@dataclass
class Tables:
    """The validated data tables, one DataFrame each (columns as in the data dictionary)."""

    jurisdictions: pd.DataFrame
    blocs: pd.DataFrame
    countries: pd.DataFrame
    relationships: pd.DataFrame
    providers: pd.DataFrame
    provider_regions: pd.DataFrame
    chips: pd.DataFrame
    folder: str = ""
    #: projects.csv (``datadict.PROJECTS``), None when the folder has none
    projects: pd.DataFrame | None = None

    def copy(self) -> Tables:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return Tables(
            **{k: (v.copy() if isinstance(v, pd.DataFrame) else v) for k, v in values.items()}
        )


def _coerce(df: pd.DataFrame, table: Table, where: str) -> pd.DataFrame:
    """Check required columns, types and ranges; return the typed frame."""
    missing = [c.name for c in table.columns if c.required and c.name not in df.columns]
    if missing:
        raise InputError(
            f"{where}: missing column(s) {missing}; expected {[c.name for c in table.columns]}"
        )
    if df.empty:
        raise InputError(f"{where}: the table has no rows")
    out = df.copy()
    for col in table.columns:
        if col.name not in out.columns:
            out[col.name] = col.default
        series = out[col.name]
        if col.dtype == "str":
            if col.required:
                bad = series.isna() | (series.astype(str).str.strip() == "")
                if bad.any():
                    row = int(bad.to_numpy().nonzero()[0][0]) + 2
                    raise InputError(f"{where}: row {row}, column '{col.name}': empty value")
            out[col.name] = (
                series.fillna(col.default if col.default is not None else "")
                .astype(str)
                .str.strip()
            )
            continue
        if col.dtype == "bool":
            mapping = {
                "true": True,
                "false": False,
                "1": True,
                "0": False,
                "yes": True,
                "no": False,
            }
            text = series.astype(str).str.strip().str.lower()
            bad = ~text.isin(mapping)
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0]) + 2
                raise InputError(
                    f"{where}: row {row}, column '{col.name}': {series.iloc[row - 2]!r} is not true/false"
                )
            out[col.name] = text.map(mapping).astype(bool)
            continue
        numeric = pd.to_numeric(series, errors="coerce")
        bad_text = numeric.isna() & series.notna() & (series.astype(str).str.strip() != "")
        if bad_text.any():
            row = int(bad_text.to_numpy().nonzero()[0][0]) + 2
            raise InputError(
                f"{where}: row {row}, column '{col.name}': {series.iloc[row - 2]!r} is not a number"
            )
        if col.required and numeric.isna().any():
            row = int(numeric.isna().to_numpy().nonzero()[0][0]) + 2
            raise InputError(f"{where}: row {row}, column '{col.name}': missing value")
        values = numeric.to_numpy(dtype=float)
        for i, v in enumerate(values):
            if math.isnan(v):
                continue
            if math.isinf(v):
                raise InputError(f"{where}: row {i + 2}, column '{col.name}': infinite value")
            unit = f" {col.unit}" if col.unit else ""
            if col.min is not None and v < col.min:
                raise InputError(
                    f"{where}: row {i + 2}, column '{col.name}': {v:g}{unit} is below the minimum {col.min:g}"
                )
            if col.max is not None and v > col.max:
                raise InputError(
                    f"{where}: row {i + 2}, column '{col.name}': {v:g}{unit} is above the maximum {col.max:g}"
                )
            if col.dtype == "int" and v != int(v):
                raise InputError(
                    f"{where}: row {i + 2}, column '{col.name}': {v:g} is not a whole number"
                )
        out[col.name] = (
            numeric.astype(float)
            if col.dtype == "float" or numeric.isna().any()
            else numeric.astype(int)
        )
    dup = out.duplicated(subset=list(table.key), keep=False)
    if dup.any():
        rows = [int(i) + 2 for i in dup.to_numpy().nonzero()[0][:2]]
        key = ", ".join(f"{k}={out.iloc[rows[0] - 2][k]}" for k in table.key)
        raise InputError(f"{where}: rows {rows} repeat the key ({key})")
    return out


def table_text(folder: Path, table: Table) -> str:
    """The text of one table of a data folder (checked as ``read_input_text`` checks files)."""
    path = folder / table.file
    if not path.exists():
        raise InputError(f"{path}: data table '{table.name}' not found in {folder}")
    return read_input_text(path, f"CSV data table ({table.name})", MAX_TABLE_BYTES)


def read_table(folder: Path, table: Table) -> pd.DataFrame:
    """Read and type-check one table of a data folder."""
    return parse_table(table_text(folder, table), table, str(folder / table.file))


def read_side_table(folder: str | Path, name: str) -> pd.DataFrame | None:
    """An optional side table of a data folder (``datadict.SIDE_TABLES``), read and checked
    like the data tables (a FIFO or device refused at once, a missing column, text in a
    number or a broken quote named with file, row and column); None when the folder has no
    such file."""
    from planner.core.datadict import SIDE_TABLES

    table = next(t for t in SIDE_TABLES if t.name == name)
    path = Path(folder) / table.file
    if not os.path.lexists(path):
        return None
    text = read_input_text(path, f"CSV side table ({table.name})", MAX_TABLE_BYTES)
    key = table_cache.key_of(f"side:{name}", {name: text})
    hit = table_cache.load(key)
    if isinstance(hit, pd.DataFrame):
        return hit
    out = parse_table(text, table, str(path))
    table_cache.store(key, out)
    return out


def parse_table(text: str, table: Table, where: str) -> pd.DataFrame:
    """Parse and type-check the CSV text of one table (a BOM already stripped).

    Duplicate headers are refused: pandas would rename the second ``x`` to ``x.1`` and
    silently use the first."""
    text = text.removeprefix("\ufeff")
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise InputError(f"{where}: cannot be read as CSV ({exc})") from exc
    names = [h.strip() for h in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"{where}: column(s) {repeated} appear more than once in the header")
    try:
        df = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], comment=None
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise InputError(f"{where}: cannot be read as CSV ({str(exc)[:200]})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return _coerce(df, table, where)


def _check_refs(t: Tables, folder: Path) -> None:
    """Cross-references: every code used in one table exists in the table that defines it."""
    juris = set(t.jurisdictions["code"])
    iso = set(t.countries["iso3"])
    providers = set(t.providers["code"])
    chips = set(t.chips["code"])

    def check(df: pd.DataFrame, file: str, column: str, valid: set[str], what: str, allow=()):
        for i, value in enumerate(df[column]):
            if value not in valid and value not in allow:
                raise InputError(
                    f"{folder / file}: row {i + 2}, column '{column}': unknown {what} '{value}'"
                    + nearest(str(value), valid)
                )

    check(t.countries, "countries.csv", "jurisdiction", juris, "jurisdiction")
    check(t.blocs, "blocs.csv", "iso3", iso, "country (not in countries.csv)")
    check(t.relationships, "relationships.csv", "jurisdiction", juris, "jurisdiction")
    check(
        t.providers, "providers.csv", "hq_iso3", iso, "country (not in countries.csv)", allow=("*",)
    )
    check(t.provider_regions, "provider_regions.csv", "provider", providers, "provider")
    check(t.provider_regions, "provider_regions.csv", "iso3", iso, "country (not in countries.csv)")
    check(t.chips, "chips.csv", "jurisdiction", juris, "jurisdiction")
    for i, row in enumerate(t.providers.itertuples(index=False)):
        if row.kind not in {"hyperscaler", "regional_cloud", "neocloud", "public"}:
            raise InputError(
                f"{folder / 'providers.csv'}: row {i + 2}, column 'kind': '{row.kind}' is not one of "
                "hyperscaler, regional_cloud, neocloud, public"
            )
        if row.delivery not in {"build", "rent"}:
            raise InputError(
                f"{folder / 'providers.csv'}: row {i + 2}, column 'delivery': '{row.delivery}' is not build or rent"
            )
        # blank = no sourced offer of the chip table: the provider builds no option
        listed = [c.strip() for c in str(row.chips).split(";") if c.strip()]
        for code in listed:
            if code != "*" and code not in chips:
                raise InputError(
                    f"{folder / 'providers.csv'}: row {i + 2}, column 'chips': unknown chip '{code}'"
                    + nearest(code, chips)
                )
    for i, row in enumerate(t.chips.itertuples(index=False)):
        fabs = [f.strip() for f in str(row.fab).split(";") if f.strip()]
        fab_j = [j.strip() for j in str(row.fab_jurisdiction).split(";") if j.strip()]
        if fabs and len(fabs) != len(fab_j):
            raise InputError(
                f"{folder / 'chips.csv'}: row {i + 2}, column 'fab_jurisdiction': "
                f"{len(fab_j)} jurisdiction(s) for {len(fabs)} foundr(y/ies) {fabs}"
            )
        for j in fab_j:
            if j not in juris:
                raise InputError(
                    f"{folder / 'chips.csv'}: row {i + 2}, column 'fab_jurisdiction': unknown "
                    f"jurisdiction '{j}'{nearest(j, juris)}"
                )
    if t.projects is not None:
        _check_projects(t, folder, check)
    for i, value in enumerate(t.chips["blocked_tiers"]):
        for tier in [s.strip() for s in str(value).split(";") if s.strip()]:
            if tier not in {"1", "2", "3"}:
                raise InputError(
                    f"{folder / 'chips.csv'}: row {i + 2}, column 'blocked_tiers': '{tier}' is not 1, 2 or 3"
                )


PROJECT_KINDS = ("gigafactory", "ai_factory", "national_system")
PROJECT_STATUSES = ("announced", "selected", "contracted", "in_service")


def _check_projects(t: Tables, folder: Path, check) -> None:
    """projects.csv: its codes exist in the tables that define them; kind and status are
    from their lists; a project ends no earlier than it starts."""
    p = t.projects
    assert p is not None
    check(p, "projects.csv", "country", set(t.countries["iso3"]), "country (not in countries.csv)")
    check(p, "projects.csv", "provider", set(t.providers["code"]), "provider")
    check(p, "projects.csv", "chip", set(t.chips["code"]), "chip")
    for column, valid in (("kind", PROJECT_KINDS), ("status", PROJECT_STATUSES)):
        for i, value in enumerate(p[column]):
            if value not in valid:
                raise InputError(
                    f"{folder / 'projects.csv'}: row {i + 2}, column '{column}': '{value}' is "
                    f"not one of {', '.join(valid)}"
                )
    for i, (start, end) in enumerate(zip(p["earliest_service_year"], p["end_year"], strict=True)):
        if pd.notna(end) and float(end) < float(start):
            raise InputError(
                f"{folder / 'projects.csv'}: row {i + 2}, column 'end_year': {end:g} is before "
                f"earliest_service_year {start}"
            )


def load_tables(folder: str | Path | None = None) -> Tables:
    """Load and validate every table of a data folder (default: the bundled data/)."""
    path = (Path(folder) if folder is not None else BUNDLED_DATA).resolve()
    stamp = tuple(
        (p.stat().st_mtime_ns if p.exists() else 0)
        for p in (path / t.file for t in (*TABLES, *OPTIONAL_TABLES))
    )
    return _load_cached(str(path), stamp).copy()


@lru_cache(maxsize=8)
def _load_cached(folder: str, stamp: tuple[int, ...]) -> Tables:
    """Cached on the folder and its files' modification times, so edits are seen; across
    processes on the files' text (``planner.core.table_cache``)."""
    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{path}: data folder not found")
    texts = _texts(path)
    key = table_cache.key_of("tables", texts) if texts is not None else None
    hit = table_cache.load(key)
    if isinstance(hit, Tables):
        hit.folder = str(path)
        return hit
    if texts is None:  # a file cannot be read: read and parse in turn, for the first error
        frames = {table.name: read_table(path, table) for table in TABLES}
        for table in OPTIONAL_TABLES:  # read and checked only when the folder has the file
            if os.path.lexists(path / table.file):
                frames[table.name] = read_table(path, table)
    else:
        frames = {
            table.name: parse_table(text, table, str(path / table.file))
            for table in (*TABLES, *OPTIONAL_TABLES)
            if (text := texts[table.name]) is not None
        }
    tables = Tables(**frames, folder=str(path))
    _check_refs(tables, path)
    table_cache.store(key, replace(tables, folder=""))
    return tables


def _texts(path: Path) -> dict[str, str | None] | None:
    """The text of every table of the folder (None for an absent optional table), or None
    when one cannot be read (the caller then reports errors in the order it always did)."""
    try:
        texts: dict[str, str | None] = {t.name: table_text(path, t) for t in TABLES}
        for table in OPTIONAL_TABLES:
            present = os.path.lexists(path / table.file)
            texts[table.name] = table_text(path, table) if present else None
    except InputError:
        return None
    return texts


def model_columns(df: pd.DataFrame) -> list[str]:
    """The columns of a table that carry data (not provenance)."""
    return [c for c in df.columns if not is_provenance_column(c)]
