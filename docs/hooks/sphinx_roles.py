"""mkdocs hook: show the Sphinx cross-reference roles of softent's docstrings as code.

The docstrings name other objects the Sphinx way (:func:`entropy`, :class:`Accumulator`,
:mod:`.estimate`); mkdocstrings renders docstrings as Markdown, which leaves the role
prefix in the text (":func:entropy"). Rewriting 400 roles in the sources would churn every
module for a rendering detail, so the prefix is dropped here, after rendering: the name
stays as inline code.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:func|class|mod|data|meth|attr|obj|exc|const):(?=<code>)")


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub("", html)
