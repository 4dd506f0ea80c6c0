"""One exception type for every mistake a user can fix.

The CLI turns an :class:`IctqaError` into a short message and exit code 2, and the
web form shows it as a notice, so its text must stand on its own: what was
found, what was expected and how to fix it.
"""

from __future__ import annotations


class IctqaError(Exception):
    """A user-fixable problem (bad input, missing model, mismatched index)."""

    def __init__(self, what: str, *, expected: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.expected = expected
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [self.what.rstrip(".") + "."]
        if self.expected:
            parts.append("Expected: " + self.expected.rstrip(".") + ".")
        if self.fix:
            parts.append("Fix: " + self.fix.rstrip(".") + ".")
        return " ".join(parts)
