"""`plain`: text from outside (providers, hosts, config, errors) as Textual content, as it is.

Titles, labels and `Static`s parse a `str` as content markup, so a job named `[link=...]x[/]`
would style or link itself. `plain` returns `Content` (never parsed) of the inert text.
"""

from __future__ import annotations

from textual.content import Content

from tui.core.printable import inert, inert_lines


def plain(text: str, *, lines: bool = False) -> Content:
    """`text` inert (`lines`: keeping its line breaks) and never read as markup."""
    return Content(inert_lines(text) if lines else inert(text))
