"""The disk cache of parsed data tables (planner.core.table_cache): a hit is the same tables a
parse gives, an edit is never served stale, errors are never cached, and only private entries
are trusted."""

from __future__ import annotations

import os
import shutil
from dataclasses import fields

import pandas as pd
import pytest

from planner.core import data, table_cache
from planner.core.errors import InputError
from tests.conftest import TINY_DATA


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(table_cache.CACHE_ENV, str(folder))
    data._load_cached.cache_clear()  # the in-process cache would hide the disk cache
    yield folder
    data._load_cached.cache_clear()


@pytest.fixture
def tiny_copy(tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(TINY_DATA, folder)
    return folder


def _same(a: data.Tables, b: data.Tables) -> None:
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        else:
            assert x == y, f.name


def _no_parse(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(data, "parse_table", fail)


def test_a_second_process_gets_the_parsed_tables_from_the_cache(cache, tiny_copy, monkeypatch):
    first = data.load_tables(tiny_copy)
    assert len(list(cache.glob("*.pickle"))) == 1
    data._load_cached.cache_clear()  # as a new process would start
    _no_parse(monkeypatch)
    again = data.load_tables(tiny_copy)
    _same(first, again)
    assert again.folder == str(tiny_copy.resolve())
    # the same text in another folder is the same entry, named with its own folder
    other = tiny_copy.parent / "other"
    shutil.copytree(tiny_copy, other)
    assert data.load_tables(other).folder == str(other.resolve())


def test_an_edited_table_is_parsed_again(cache, tiny_copy):
    before = data.load_tables(tiny_copy)
    path = tiny_copy / "countries.csv"
    stamp = path.stat()
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[3] = "77"  # electricity price of the first country
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # even with the same mtime
    data._load_cached.cache_clear()
    after = data.load_tables(tiny_copy)
    column = before.countries.columns[3]
    assert float(after.countries[column].iloc[0]) == 77.0
    assert float(before.countries[column].iloc[0]) != 77.0
    assert len(list(cache.glob("*.pickle"))) == 2


def test_a_bad_table_is_never_cached(cache, tiny_copy):
    path = tiny_copy / "chips.csv"
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0], text[1].replace(text[1].split(",")[0], "", 1)]) + "\n")
    for _ in range(2):
        data._load_cached.cache_clear()
        with pytest.raises(InputError, match="chips.csv"):
            data.load_tables(tiny_copy)
    assert not list(cache.glob("*.pickle"))


@pytest.mark.parametrize("damage", ["corrupt", "writable by others"])
def test_an_untrusted_entry_is_a_miss(cache, tiny_copy, monkeypatch, damage):
    first = data.load_tables(tiny_copy)
    (entry,) = cache.glob("*.pickle")
    if damage == "corrupt":
        entry.write_bytes(entry.read_bytes()[:100])
    else:
        entry.chmod(0o666)
    data._load_cached.cache_clear()
    _same(first, data.load_tables(tiny_copy))  # parsed again, not an error
    if damage == "writable by others":  # and never unpickled: a parse was needed
        data._load_cached.cache_clear()
        entry.chmod(0o666)
        _no_parse(monkeypatch)
        with pytest.raises(AssertionError, match="parsed although cached"):
            data.load_tables(tiny_copy)


def test_off_writes_nothing(tmp_path, tiny_copy, monkeypatch):
    monkeypatch.setenv(table_cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    data._load_cached.cache_clear()
    data.load_tables(tiny_copy)
    data._load_cached.cache_clear()
    assert table_cache.cache_dir() is None and not (tmp_path / "xdg").exists()


def test_the_side_table_is_cached_too(cache, monkeypatch):
    first = data.read_side_table(data.BUNDLED_DATA, "uncertain_inputs")
    _no_parse(monkeypatch)
    pd.testing.assert_frame_equal(
        first, data.read_side_table(data.BUNDLED_DATA, "uncertain_inputs"), check_exact=True
    )


def test_without_the_parsing_code_s_source_nothing_is_cached(cache, tiny_copy, monkeypatch):
    """Run from a zip (no source to hash), the key cannot promise freshness: no cache."""

    def unreadable():
        raise OSError("no source")

    monkeypatch.setattr(table_cache, "_code_digest", unreadable)
    data.load_tables(tiny_copy)
    assert not cache.exists() or not list(cache.glob("*.pickle"))
