"""Fuzzing the grader's three doors for untrusted bytes (issue 19): the channel reader, the decoder, the loader, and
the text the instructor reads.  Each property must hold for ANY input hypothesis can think of: random JSON, random
bytes, deep nesting, huge lines, bad UTF-8, hostile names."""

from __future__ import annotations

import html
import json
import os
import sys
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tools/ is not an installed package
from tools.homework import channel, intake, report, text, wire  # noqa: E402

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MD = MarkdownIt("commonmark")


# ------------------------------------------------------------------------------------------ the channel reader
class Counted(bytes):
    """A chunk that counts how many bytes ``find`` looks at, to show the reader scans each byte once."""
    scanned = 0

    def find(self, sub, start=0, *args):
        found = bytes.find(self, sub, start, *args)
        Counted.scanned += (found + 1 if found >= 0 else len(self)) - start
        return found


@FUZZ
@given(st.lists(st.binary(max_size=300), max_size=40), st.integers(1, 400))
def test_channel_reader_cuts_any_stream_into_its_lines(pieces, limit):
    stream = b"".join(pieces)
    reader = channel.LineReader(-1, limit)
    got, too_long = [], False
    try:
        for piece in pieces:
            reader.feed(piece)
            while (line := reader.pop()) is not None:
                got.append(line)
            assert reader.size <= limit  # never more than the limit held for the line being read
    except channel.LineTooLong:
        too_long = True
    lines = stream.split(b"\n")
    complete, rest = lines[:-1], lines[-1]
    if too_long:  # the first line over the limit, complete or not, was refused as soon as it passed it
        assert any(len(ln) > limit for ln in complete) or len(rest) > limit
    else:
        assert got == complete and all(len(ln) <= limit for ln in complete)


def test_channel_reader_is_linear_in_the_line_length():
    """A 4 MiB line in 4 KiB reads: every byte is looked at once (the old reader searched the whole buffer again
    after each read: 1024 reads of a growing buffer, 2 GiB scanned)."""
    Counted.scanned = 0
    reader = channel.LineReader(-1, 8 * 2**20)
    for _ in range(1024):
        reader.feed(Counted(b"x" * 4096))
    reader.feed(Counted(b"\n"))
    assert reader.pop() == b"x" * (4 * 2**20)
    assert Counted.scanned == 4 * 2**20 + 1


def test_channel_reader_refuses_a_huge_line_before_it_ends():
    reader = channel.LineReader(-1, 2**20)
    with pytest.raises(channel.LineTooLong):
        for _ in range(100):  # 100 MiB announced: refused after the first MiB, nothing more is held
            reader.feed(b"y" * 2**20)


# ------------------------------------------------------------------------------------------ the decoder
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["$", "items", "srepr", "npy",
                                                                                  "handle", "type"]) | st.text(),
                                                                inner, max_size=4),
    max_leaves=30)
tags = st.sampled_from(["sympy", "nd", "tuple", "list", "dict", "callable", "ghandle", "opaque", "missing",
                        "ellipsis", "python", "generator", "gcallable"])


@FUZZ
@given(json_values, tags)
def test_decode_takes_any_json_and_only_ever_raises_wire_error(value, tag):
    for v in (value, {"$": tag, "items": value, "srepr": value, "npy": value, "handle": value, "type": value}):
        try:
            wire.decode(json.loads(json.dumps(v)))
        except wire.WireError:
            pass


FRAGMENTS = ["Symbol('x')", "Integer(1)", "Add(", "Mul(", ")", ", ", "sin(", "'", '"', "Float('1.5', precision=53)",
             "Function('f')(", "__import__", "os", ".system", "(", "lambda", "[", "]", "Rational(1, 2)", "exec",
             "real=True", "eval", "Symbol('x', real=Symbol('y'))", "Integral(", "Tuple(", "ImmutableDenseMatrix([[",
             "-", "oo", "Pow(", "*", "**", "9" * 50, "'__class__'", "getattr", "Dummy('d', dummy_index=1)"]


@FUZZ
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25) | st.text(max_size=200))
def test_parse_srepr_builds_sympy_or_raises_wire_error(parts):
    source = "".join(parts) if isinstance(parts, list) else parts
    try:
        value = wire.parse_srepr(source)
    except wire.WireError:
        return
    assert isinstance(value, sp.Basic | sp.MatrixBase)


@pytest.mark.parametrize("source", [
    "sin(\"__import__('os').system('touch /tmp/pwned')\")",  # SymPy's function classes sympify a string: eval
    "exp('x')", "Add('1', Symbol('x'))", "Symbol('__import__(\"os\")')", "Function('f; import os')(Symbol('x'))",
    "Float('__import__(\"os\")')", "Integer('1')", "Rational('1/2')", "Lambda('x', 'x')", "Symbol('x', real='True')",
    "sympify('x')", "Symbol", "Symbol('x').name", "Add(*[Symbol('x')])", "Add(Integer(1), x=Integer(2))",
    "Matrix([[Integer(1)]])", "MatrixSymbol('A', 2, 2)", "Integer(" + "9" * 60 + ")", "Add(" * 200 + ")" * 200,
])
def test_no_string_ever_reaches_a_sympy_constructor(source, tmp_path):
    source = source.replace("/tmp/pwned", str(tmp_path / "pwned"))  # a file of this test's own, never there before
    with pytest.raises(wire.WireError):
        wire.parse_srepr(source)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("expr", [
    sp.exp(-sp.exp(-(sp.Symbol("x", real=True) - sp.Symbol("mu", real=True)) / sp.Symbol("beta", positive=True))),
    sp.Piecewise((sp.Symbol("x"), sp.Symbol("x") < 0), (1, True)), sp.Integral(sp.Symbol("x"), (sp.Symbol("x"), 0, 1)),
    sp.Matrix([[1, sp.Symbol("x")], [0, sp.Rational(1, 3)]]), sp.Function("f")(sp.Symbol("x")), -sp.oo, sp.Float(1.5),
    sp.Limit(sp.sin(sp.Symbol("x")) / sp.Symbol("x"), sp.Symbol("x"), 0),
    sp.Derivative(sp.Function("g")(sp.Symbol("t")), sp.Symbol("t")),
    sp.Eq(sp.Symbol("u"), sp.log(2)), sp.Lambda(sp.Symbol("x"), sp.Symbol("x") ** 2), sp.Dummy("d") + 1,
    sp.Sum(sp.Symbol("k") ** 2, (sp.Symbol("k"), 1, 10)), sp.Interval(0, sp.oo, True, False), sp.E,
])
def test_every_answer_the_homework_needs_still_decodes(expr):
    back = wire.parse_srepr(sp.srepr(expr))
    assert sp.srepr(back) == sp.srepr(expr) or sp.simplify(back - expr) == 0


# ------------------------------------------------------------------------------------------ the loader
names = st.text(st.characters(blacklist_characters="/\x00"), min_size=1, max_size=30).filter(
    lambda n: n not in (".", ".."))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(st.tuples(names, st.binary(max_size=300) | st.just(b"[" * 5000 + b"]" * 5000)), max_size=6),
       st.lists(st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b
                                                          and b not in (b".", b"..")), max_size=3, unique=True))
def test_loader_gives_every_candidate_one_job_whatever_it_holds(tmp_path_factory, files, raw_names):
    root = tmp_path_factory.mktemp("subs")
    by_name = {"hw01_gumbel": {"name": "hw01_gumbel", "questions": [{"name": "q7", "manual": True}]}}
    expected = 0
    for i, (name, data) in enumerate(files):
        folder = root / f"s{i}"
        folder.mkdir()
        (folder / f"{name[:20]}.ipynb").write_bytes(data)
        expected += 1
    for i, raw in enumerate(raw_names):  # names that are not UTF-8, in any case of .ipynb
        with open(os.fsencode(root) + b"/" + raw + b"-%d" % i + (b"_hw01_gumbel.IPYNB" if i % 2 else b".ipynb"),
                  "wb") as f:
            f.write(raw)
        expected += 1
    os.symlink("/etc/passwd", root / "link_hw01_gumbel.ipynb")
    os.mkfifo(root / "fifo_hw01_gumbel.ipynb")
    jobs = intake.find_jobs(root, by_name)
    assert len(jobs) == expected + 2
    for job in jobs:
        assert job["status"] is None or job["status"].startswith("error"), job
        text.shown(job["student"]), text.shown(job["rel"])
    assert {j["status"] for j in jobs if "link_" in j["rel"]} == {"error: link (a symbolic link is never followed)"}
    assert {j["status"] for j in jobs if "fifo_" in j["rel"]} == {"error: not a regular file"}


# ------------------------------------------------------------------------------------------ what the instructor reads
hostile = st.text(st.characters(codec=None), max_size=80) | st.sampled_from([
    "\ud800", "<!--", "```", "~~~", "\x1b[2J", "\u202eevil", "=cmd|' /C calc'!A0", "\n# Heading\n", "<script>",
    "[a](javascript:x)", "\\", "`", "``` ``", "| a | b |", "@SUM(1)", "+1", "-1", "\r\n", "\t=1"])


@FUZZ
@given(hostile)
def test_shown_text_is_one_visible_line(value):
    line = text.shown(value)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u202e" not in line
    line.encode("utf-8")  # always encodes: no lone surrogate left
    assert text.csv_cell(value)[:1] not in ("=", "+", "-", "@")


@FUZZ
@given(hostile)
def test_a_markdown_block_shows_its_text_and_nothing_else(value):
    rendered = MD.render(text.md_block(value))
    assert rendered.startswith('<pre><code class="language-text">') and rendered.endswith("</code></pre>\n")
    assert rendered.count("<pre>") == 1 and rendered.count("</code></pre>") == 1


@FUZZ
@given(hostile)
def test_inline_markdown_is_plain_text(value):
    for part in (text.md_inline(value), text.md_code(value)):
        rendered = MD.render(f"# Title {part}")
        assert rendered.count("<h1>") == 1 and rendered.count("\n") == 1, rendered  # one heading, nothing else
        assert "<" not in rendered.replace("<h1>", "").replace("</h1>", "").replace("<code>", "").replace(
            "</code>", ""), rendered
    paragraph = MD.render(text.md_inline(value)).removeprefix("<p>").removesuffix("</p>\n")
    assert html.unescape(paragraph).strip() == text.shown(value).strip(), paragraph


@FUZZ
@given(st.lists(st.tuples(hostile, hostile, hostile), min_size=1, max_size=4))
def test_reports_are_written_for_any_names_and_answers(tmp_path_factory, entries):
    out = tmp_path_factory.mktemp("out")
    a = {"name": "hw01_gumbel", "auto_points": 1.0, "questions": [
        {"name": "q1", "points": 1.0, "manual": False, "title": "Question 1", "lecture": "notebooks/02 §1"},
        {"name": "q7", "points": 2.0, "manual": True, "title": "Question 7", "lecture": "notebooks/03"}]}
    jobs = [{"student": s, "rel": f"{s}/hw.ipynb", "assignment": a, "status": "graded", "answers": {"q7": ans},
             "seconds": 1.0, "superseded_by": None,
             "result": {"questions": {"q1": {"score": 0, "tests": [
                 {"name": "t", "hidden": False, "points": 1, "passed": False, "message": msg, "failure_message": ""}]}},
                 "cell_errors": [{"cell": 1, "ename": msg, "first_line": msg}]}} for s, ans, msg in entries]
    rows = report.write_all(jobs, {"assignments": [a]}, out)
    assert len(rows) == len(entries)
    import csv

    with (out / "grades.csv").open(newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == len(entries)
    manual = MD.render((out / "manual" / "hw01_gumbel.md").read_text(encoding="utf-8"))
    assert manual.count("<h1>") == 1 and manual.count("<h2>") == len(entries) and manual.count("<h3>") == len(entries)
    for page in (out / "feedback").rglob("*.md"):
        assert MD.render(page.read_text(encoding="utf-8")).count("<h1>") == 1
