"""Student-controlled text, made safe for each place the instructor reads it.

A student controls their answers, their notebook's outputs, the names of their files and folders, and whatever their
code prints.  None of it may change the structure or meaning of what the instructor opens:

* ``shown``: one line of plain text (terminal, CSV cell, heading): bytes a file name could not decode, control and
  format characters (newlines, escape sequences, right-to-left overrides) become visible ``\\xNN`` / ``\\uNNNN``;
* ``csv_cell``: ``shown``, and a ``'`` before a leading ``=``, ``+``, ``-`` or ``@``, so no spreadsheet runs it as a
  formula;
* ``md_inline``: ``shown``, then every Markdown and HTML special character backslash-escaped (CommonMark escapes
  every ASCII punctuation character), so a name cannot open a heading, a link, a comment or an HTML tag;
* ``md_code``: ``shown`` as an inline code span that nothing inside can close;
* ``md_block``: many lines as a fenced code block whose fence is longer than any run of backticks inside, so
  nothing inside can close it, and nothing inside is Markdown or HTML;
* ``utf8``: any text, lone surrogates included, as UTF-8 that always encodes.
"""

from __future__ import annotations

import re
import unicodedata

UNSAFE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # control, format, surrogate, private, unassigned, separators
MD_SPECIAL = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")


def shown(text: object, limit: int = 300) -> str:
    """One line of plain text, every invisible or undecodable character written out, at most ``limit`` characters."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch != " " and unicodedata.category(ch) in UNSAFE:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    line = "".join(out)
    return line if len(line) <= limit else line[:limit] + "…"


def csv_cell(text: object) -> str:
    """``shown``, and a leading ``'`` where a spreadsheet would take the cell for a formula."""
    line = shown(text)
    return "'" + line if line[:1] in ("=", "+", "-", "@") else line


def md_inline(text: object, limit: int = 300) -> str:
    """``shown``, with every character Markdown or HTML could read as syntax backslash-escaped."""
    return MD_SPECIAL.sub(r"\\\1", shown(text, limit))


def md_code(text: object, limit: int = 300) -> str:
    """``shown`` as an inline code span, delimited by more backticks than any run inside it."""
    line = shown(text, limit)
    ticks = "`" * (1 + max((len(run) for run in re.findall(r"`+", line)), default=0))
    return f"{ticks} {line} {ticks}"


def utf8(text: object) -> str:
    """Text that always encodes as UTF-8: a lone surrogate becomes U+FFFD."""
    return str(text).encode("utf-8", "replace").decode("utf-8")


def md_block(text: object, limit: int = 20_000) -> str:
    """A fenced code block that shows ``text`` as it is: the fence is longer than any backtick run inside it."""
    body = utf8(text)
    if len(body) > limit:
        body = body[:limit] + "\n… (cut: longer than " + str(limit) + " characters)"
    body = "".join(ch if ch in "\n\t" or unicodedata.category(ch) not in UNSAFE else shown(ch) for ch in body)
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", body)), default=0))
    return f"{fence}text\n{body}\n{fence}"
