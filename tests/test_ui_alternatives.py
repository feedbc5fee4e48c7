"""The Alternatives section of the trade-offs tab, driven headless on the tiny fixture."""

from __future__ import annotations

import pytest

# the ``app`` fixture (the Streamlit app on the tiny fixture) is in tests/conftest.py


def test_alternatives_section_shows_plans_side_by_side(app):
    trade = app.tabs[2]
    assert any(s.value == "Alternatives" for s in trade.subheader)
    app.slider(key="alt_slack").set_value(10)
    app.number_input(key="alt_n").set_value(4)
    app.button(key="alt_go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    trade = app.tabs[2]
    table = next(d.value for d in trade.dataframe if "how it differs from #0" in d.value.columns)
    # tiny at budget 30, within 10%: the optimum and the two other distinct mixes
    assert list(table["plan"]) == [0, 1, 2]
    assert table["index (0-1)"].iloc[0] == pytest.approx(5 / 6, abs=5e-4)  # shown to 3 dp
    assert (table["index (0-1)"] >= 0.75 - 1e-6).all()
    assert table["how it differs from #0"].iloc[0] == "optimum"
    assert any("distinct plan" in c.value for c in trade.caption)
