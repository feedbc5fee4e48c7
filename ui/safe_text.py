"""Show user text (scenario names, file names, messages that quote them) as text.

Streamlit renders labels, spinners, errors and ``st.markdown`` as Markdown, so a scenario
named ``![x](https://elsewhere/pixel.png)`` would load an external image and ``:red[...]``
or ``$...$`` would be styled. Escaping every Markdown-active character makes such text
display literally, wherever it is embedded in a message.
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def md_text(text: object) -> str:
    """``text`` with every Markdown/HTML-active character backslash-escaped."""
    return _ACTIVE.sub(r"\\\1", str(text))


def error_text(exc: BaseException) -> str:
    """An error's readable messages (never a traceback), one paragraph each, as text."""
    from ui import support as ui_support

    return "\n\n".join(md_text(m) for m in ui_support.error_messages(exc))
