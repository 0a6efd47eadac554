"""The code panel writes the form's values into the editor as the smallest change (web/js/code-panel.js,
`changedSpan`): only the lines that changed are re-highlighted and redrawn, and a long task is avoided."""
from pathlib import Path

from node_module import run_js

MODULE = Path(__file__).resolve().parent.parent / "web" / "js" / "code-panel.js"
CELL = "iterations = 350\nalpha = 0.01\nhidden_size = 30\n# ✓ ünïcode 𝛼\nmodel = Sequential([...])\n"
CELL_UNITS = len(CELL.encode("utf-16-le")) // 2  # its length as JavaScript counts (UTF-16 code units)
PAIRS = [
    (CELL, CELL.replace("alpha = 0.01", "alpha = 0.5")),     # one value
    (CELL, CELL.replace("350", "35")),                       # shorter
    (CELL, CELL + "# more\n"),                               # appended
    (CELL, "# first\n" + CELL),                              # prepended
    (CELL, ""), ("", CELL), (CELL, CELL),                    # all, nothing
    ("aaa", "aa"), ("abab", "ab"), ("𝛼", "𝛽"),               # repeats; a character of two code units
]


def spans():
    return run_js(MODULE, "return data.map(([a, b]) => mod.changedSpan(a, b));", PAIRS)


def apply(text, span):
    """As CodeMirror does, in UTF-16 code units (JavaScript's string positions)."""
    units = text.encode("utf-16-le")
    new = units[:2 * span["from"]] + span["insert"].encode("utf-16-le", "surrogatepass") + units[2 * span["to"]:]
    return new.decode("utf-16-le", "surrogatepass")


def test_the_change_turns_the_old_text_into_the_new():
    for (old, new), span in zip(PAIRS, spans()):
        assert apply(old, span) == new, (old, new, span)


def test_the_change_is_only_the_span_that_differs():
    found = dict(zip(range(len(PAIRS)), spans()))
    assert found[0]["insert"] == "5" and found[0]["to"] - found[0]["from"] == 2   # "0.01" -> "0.5": "01" -> "5"
    assert found[1]["insert"] == "" and found[1]["to"] - found[1]["from"] == 1
    assert found[2] == {"from": CELL_UNITS, "to": CELL_UNITS, "insert": "# more\n"}
    assert found[3] == {"from": 0, "to": 0, "insert": "# first\n"}
    assert found[6] == {"from": CELL_UNITS, "to": CELL_UNITS, "insert": ""}
