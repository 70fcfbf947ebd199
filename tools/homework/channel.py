"""Lines from a pipe that the other side controls: bounded in length, and read in time linear in their length.

The grader never decodes what a sandbox writes; it only cuts the byte stream into lines to pass on.  ``LineReader``
keeps the pieces of the line being read in a list and looks for the newline only in each new piece, so a line of n
bytes costs O(n) time and at most ``limit`` bytes of memory, however it is split into reads.  A line longer than
``limit`` raises ``LineTooLong`` as soon as the limit is passed, before the rest arrives.
"""

from __future__ import annotations

import os
from collections import deque


class LineTooLong(Exception):
    """The other side sent more than ``limit`` bytes without a newline."""


class LineReader:
    def __init__(self, fd: int, limit: int):
        self.fd, self.limit = fd, limit
        self.parts: list[bytes] = []
        self.size = 0  # bytes in self.parts
        self.lines: deque[bytes] = deque()  # complete lines not yet taken
        self.eof = False

    def feed(self, chunk: bytes) -> None:
        """Split ``chunk`` into complete lines (kept for ``pop``) and the start of the next one."""
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            if self.size + end - start > self.limit:
                raise LineTooLong(f"a line longer than {self.limit} bytes")
            self.lines.append(b"".join([*self.parts, chunk[start:end]]))
            self.parts, self.size = [], 0
            start = end + 1
        rest = chunk[start:]
        if rest:
            self.size += len(rest)
            if self.size > self.limit:
                raise LineTooLong(f"a line longer than {self.limit} bytes")
            self.parts.append(rest)

    def read(self, size: int = 1 << 16) -> bool:
        """One ``os.read`` (the descriptor is readable); False at end of file."""
        chunk = os.read(self.fd, size)
        if not chunk:
            self.eof = True
            return False
        self.feed(chunk)
        return True

    def pop(self) -> bytes | None:
        """The oldest complete line (without its newline), or None."""
        return self.lines.popleft() if self.lines else None
