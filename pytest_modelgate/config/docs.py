"""The key tables of docs/gate-file.md, generated from the declarations.

Each table sits between ``<!-- keys: SECTION -->`` and ``<!-- /keys -->``; everything else in
the file is prose and stays as written. Run ``python -m pytest_modelgate.config.docs`` after
changing a declaration; tests/test_docs.py fails while the file differs from what this makes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pytest_modelgate.config.key import Section
from pytest_modelgate.config.keys import SECTIONS

_TABLE = re.compile(r"(<!-- keys: (\w+) -->\n)(.*?)(<!-- /keys -->)", re.S)
_HEADER = "| key | type | default | meaning | example |\n|---|---|---|---|---|\n"


def render_table(section: Section) -> str:
    rows = [
        f"| `{k.name}` | {k.type_words} | {k.default_words} | {_cell(k.doc)} | `{k.example}` |\n"
        for k in section.keys
    ]
    return _HEADER + "".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(text: str) -> str:
    """``text`` (a gate-file.md) with every key table regenerated."""
    seen = []

    def table(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in SECTIONS:
            raise ValueError(f"docs mark a key table {name!r}; sections: {', '.join(SECTIONS)}")
        seen.append(name)
        return match.group(1) + render_table(SECTIONS[name]) + match.group(4)

    out = _TABLE.sub(table, text)
    missing = [name for name in SECTIONS if name not in seen]
    if missing:
        raise ValueError(f"docs have no key table for: {', '.join(missing)}")
    return out


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "docs/gate-file.md")
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"rewrote the key tables of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
