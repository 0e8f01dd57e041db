"""UI texts that makemessages can find. xgettext does not read a call inside
an f-string: ``f'{_("Delete")}'`` is translated only while the same msgid
happens to be used elsewhere, and the next catalogue update makes it
obsolete (it did to "Delete this unmet request?" once). The texts of rows
made in Python are therefore translated before the f-string that prints
them."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "config", "consultations", "peergroups", "reports", "shelter")
APPS += ("training",)
GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
}


def calls_inside_fstrings(source: str) -> list[str]:
    """The gettext calls inside f-strings of ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            for part in ast.walk(node):
                if (
                    isinstance(part, ast.Call)
                    and isinstance(part.func, ast.Name)
                    and part.func.id in GETTEXT
                ):
                    found.append(f"line {part.lineno}: {ast.unparse(part)}")
    return found


def test_the_check_finds_a_text_inside_an_fstring():
    assert calls_inside_fstrings("x = f'<b>{e(_(\"Delete\"))}</b>'") == [
        "line 1: _('Delete')"
    ]
    assert calls_inside_fstrings("label = _('Delete')\nx = f'<b>{label}</b>'") == []


def test_no_ui_text_is_translated_inside_an_fstring():
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            calls = calls_inside_fstrings(path.read_text(encoding="utf-8"))
            if calls:
                found[str(path.relative_to(ROOT))] = calls
    assert found == {}, found
