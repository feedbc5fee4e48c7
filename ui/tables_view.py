"""The data tables tab: edit countries, providers, chips and relationship scores.

Edits are checked with the loader's own rules (``ui.support.apply_table_edits``:
types, ranges, keys and cross-references, as for the CSV files); a problem is shown under
the table it concerns, naming the row and column, and the plan waits until it is fixed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.core.data import Tables
from planner.core.errors import InputError
from ui import support as ui_support
from ui.inputs import EDITOR_PREFIX, forget_inputs, widget_key
from ui.safe_text import error_text

TITLES = {
    "countries": "Countries (candidate locations)",
    "providers": "Providers",
    "chips": "Chips (accelerators)",
    "relationships": "Relationship scores (trust of each home in each jurisdiction)",
}


def _column_config(name: str, df: pd.DataFrame) -> dict:
    """Labels with units (data dictionary) and each column's meaning as its tooltip."""
    helps = ui_support.column_help(name)
    config: dict = {}
    for col in df.columns:
        if col in ui_support.provenance_columns(df):
            config[col] = st.column_config.TextColumn(
                col.replace("_", " "), help="Source of the row's values"
            )
        elif col in helps:
            config[col] = st.column_config.Column(
                ui_support.column_label(name, col), help=helps[col]
            )
    return config


def render(base: Tables) -> tuple[Tables | None, bool]:
    """Draw the editors; return (edited Tables or None if unchanged, whether an edit is invalid)."""
    st.write(
        "Edit a cell to change the data the model reads (rows can be added or deleted). "
        "Changes apply to this session only; download an edited table as CSV to keep it. "
        "Hover a column name for its meaning and unit."
    )
    if st.button("Reset tables to the files' values", key="reset_tables"):
        forget_inputs((EDITOR_PREFIX,))
        st.rerun()
    frames: dict[str, pd.DataFrame] = {}
    slots = {}
    for name in ui_support.EDITABLE_TABLES:
        df = getattr(base, name)
        with st.expander(TITLES[name], expanded=False):
            frames[name] = st.data_editor(
                df,
                key=widget_key(name, EDITOR_PREFIX),
                num_rows="dynamic",
                hide_index=True,
                width="stretch",
                column_config=_column_config(name, df),
            )
            slots[name] = st.empty()
    # no editor records an edit (the usual rerun): every frame is its table, unchanged; the
    # cell-by-cell comparison (half a second on the bundled tables) is only for edits
    states = [st.session_state.get(widget_key(n, EDITOR_PREFIX)) for n in frames]
    if ui_support.unedited(states):
        return None, False
    changed = ui_support.edited_table_names(base, frames)
    if not changed:
        return None, False
    bad = False
    for name in changed:
        try:
            ui_support.apply_table_edits(base, {name: frames[name]})
        except InputError as exc:
            bad = True
            slots[name].error(error_text(exc))
    if bad:
        st.error(f"Edited table(s) with problems: {', '.join(changed)}. See the messages above.")
        return None, True
    try:
        tables = ui_support.apply_table_edits(base, {n: frames[n] for n in changed})
    except InputError as exc:
        st.error(error_text(exc))
        return None, True
    st.success(f"Edited: {', '.join(changed)}. The next solve uses these tables.")
    for name in changed:
        st.download_button(
            f"Download edited {name}.csv",
            frames[name].to_csv(index=False).encode("utf-8"),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"dl-{name}",
        )
    return tables, False
