"""Escaping of inventory text: Markdown table cells, inline Markdown/HTML, Mermaid labels and CSV cells."""

from __future__ import annotations

import csv
import io
import re

import pytest

from migrator.outputs.escape import csv_cell, md_cell, md_text, mermaid_label
from migrator.outputs.mermaid import table


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        ("a|b", "a\\|b"),
        ("back\\slash", "back\\\\slash"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("R&D", "R&amp;D"),
        ("line\nbreak\r\nand\rmore", "line break and more"),
        ("  padded  ", "padded"),
        (None, ""),
        (12.5, "12.5"),
    ],
)
def test_md_cell(raw: object, cell: str) -> None:
    assert md_cell(raw) == cell


def test_a_table_keeps_its_columns_whatever_the_text() -> None:
    rows = [["web|01", "<img src=x onerror=alert(1)>", "a\nb"], ["=cmd|x", "\\|", "`code|`"]]
    text = table(["Server", "Application", "Note"], rows)
    for line in text.splitlines():
        # a pipe that is not preceded by an escaping backslash separates cells: 4 per row of 3 columns
        unescaped = re.findall(r"(?<!\\)(?:\\\\)*\|", line)
        assert len(unescaped) == 4, line
    assert "<img" not in text and "<script" not in text


def test_md_text_defuses_html_and_markdown() -> None:
    assert (
        md_text("<b>bold</b> *x* [l](u) `c` _u_")
        == "&lt;b&gt;bold&lt;/b&gt; \\*x\\* \\[l\\](u) \\`c\\` \\_u\\_"
    )
    assert "\n" not in md_text("two\nlines")


def test_mermaid_label_leaves_no_syntax_character() -> None:
    nasty = "a \"q\" ]; click n0 call evil() | {b} (c) `d` <script> & %%comment #1 's'\nnext"
    label = mermaid_label(nasty)
    # every character Mermaid reads is an entity such as #34; ; the only '#' and ';' left are those entities
    assert not set(label) & set("\"[](){}|`<>&%':\n")
    assert re.sub(r"#\d+;", "", label).count("#") == 0 and re.sub(r"#\d+;", "", label).count(";") == 0
    assert "#34;q#34;" in label and "#60;script#62;" in label and "next" in label


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\rx", "'\rx"),
        ("-", "'-"),
        ("-12.5", "-12.5"),
        ("-3", "-3"),
        ("+4", "+4"),
        ("-1e-3", "-1e-3"),
        ("web01", "web01"),
        ("a=b", "a=b"),
        ("", ""),
        (-7, -7),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_csv_cell(value: object, expected: object) -> None:
    assert csv_cell(value) == expected


def test_csv_cells_round_trip_through_a_csv_writer() -> None:
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_cell(v) for v in ("=1+2", 'say "hi"', "-5", "a,b")])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["'=1+2", 'say "hi"', "-5", "a,b"]


def test_bidi_controls_are_shown_as_code_points_in_markdown_and_mermaid() -> None:
    trojan = "invoice\u202etxt.exe \u2066x\u2069"
    assert md_text(trojan) == "invoice&lt;U+202E&gt;txt.exe &lt;U+2066&gt;x&lt;U+2069&gt;"
    assert mermaid_label(trojan) == "invoiceU+202Etxt.exe U+2066xU+2069"


def test_mentions_do_not_notify_but_e_mail_addresses_stay() -> None:
    zwj = "\u200d"
    assert md_cell("@octocat owns it (@ops-team)") == f"@{zwj}octocat owns it (@{zwj}ops-team)"
    assert md_text("admin@corp.example") == "admin@corp.example"
    assert md_text("a @ b") == "a @ b"
