"""Error codes are a public contract: one enum, documented code by code, and nothing else in the docs."""

from __future__ import annotations

import re
from pathlib import Path

from vtryon.domain.errors import ErrorCode

DOCS = Path(__file__).resolve().parents[3] / "docs"
_TICKED = re.compile(r"`([a-z][a-z0-9_]*)`")
# Names that share a line with the word "code" in the docs but are fields, settings or message types.
NOT_CODES = frozenset(
    {"code", "engine", "frame_number", "logging", "message", "ready", "seed", "ws_idle_timeout"}
)


def _reference_table() -> list[str]:
    """The first column of the table under "### Every code" in docs/http-api.md."""
    text = (DOCS / "http-api.md").read_text()
    section = text.split("### Every code", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [_TICKED.findall(row.split("|")[1])[0] for row in rows]


def _codes_mentioned_in_the_docs() -> dict[str, str]:
    """Ticked names in a table column headed "code(s)", or on a prose line that talks about codes."""
    seen: dict[str, str] = {}
    for page in sorted(DOCS.glob("*.md")):
        columns: list[int] = []
        for number, line in enumerate(page.read_text().splitlines(), 1):
            if not line.startswith("|"):
                columns = []
                found = _TICKED.findall(line) if re.search(r"\bcodes?\b", line, re.IGNORECASE) else []
            elif not columns and not line.startswith("|-"):
                header = [cell.strip().lower() for cell in line.split("|")]
                columns = [i for i, cell in enumerate(header) if cell.startswith("code")] or [-1]
                found = []
            else:
                cells = line.split("|")
                found = [n for i in columns if 0 <= i < len(cells) for n in _TICKED.findall(cells[i])]
            for name in found:
                seen.setdefault(name, f"{page.name}:{number}")
    return seen


def test_every_code_is_documented_once_and_every_documented_code_exists() -> None:
    documented = _reference_table()
    assert len(documented) == len(set(documented)), "a code is listed twice"
    assert set(documented) == {code.value for code in ErrorCode}


def test_no_page_of_the_docs_names_a_code_that_does_not_exist() -> None:
    known = {code.value for code in ErrorCode} | NOT_CODES
    unknown = {name: where for name, where in _codes_mentioned_in_the_docs().items() if name not in known}
    assert not unknown, f"codes in docs/ that ErrorCode does not have: {unknown}"


def test_codes_are_lower_snake_case_and_named_after_their_value() -> None:
    for code in ErrorCode:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code.value)
        assert code.name == code.value.upper()
