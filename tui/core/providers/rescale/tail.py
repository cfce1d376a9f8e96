"""Turning repeated "last N lines" snapshots of a growing log into an append-only line stream.

Rescale's live tail (`runs/{run}/tail/process_output.log?lines=N`) has no offset: each poll returns
only the file's last N lines. `TailAssembler` keeps every line delivered so far and, for each new
window, finds how many of its lines are new by matching the window's start against the end of
what is already known (a KMP border search, linear in the window size). Every overlap length that
fits is a candidate; a window that is shorter than requested is the whole file, so the answer is
exact. Otherwise an overlap is trusted only when it is the *only* candidate, at least 2 lines
and half the window long, and checked against at least a window of known lines; if not (no
overlap, several overlaps because lines repeat, or a short one), the caller asks for a window 4x
larger, up to a cap, and tries again. Provided fewer lines than the tail window are written
between two polls, repeated identical lines are neither lost nor doubled as long as some window
up to the cap reaches a line that disambiguates (a different line, or the start of the file).
The largest overlap is always preferred, so a guess can lose lines (with a note) but never
repeat one.

Limits, reported as notes in `LogBatch.notes`, never silently:

* **Gap**: the log grew by more than the largest window between two polls. The window is appended
  after a note saying lines in between were missed (and when the stream starts on a log longer
  than the cap, that its first lines are not shown while the job runs).
* **Ambiguous repeat**: at the cap the window still repeats with several possible shifts (e.g.
  thousands of identical lines). The largest overlap (fewest new lines) is assumed, so nothing is
  doubled, and a note says up to how many identical lines may be missing.
* A window's last line that is still being written is held back when the server sends lines
  with their newline (so only complete lines are delivered); if it strips newlines, a line
  caught mid-write may show cut short.
* The server must honour `?lines=` up to the cap: a shorter answer is taken as the whole file.
* After the job completes, `reconcile()` compares the delivered lines with the stored file and
  appends only what is missing at the end (with a note if the live view had gaps).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

GROWTH = 4
"""Factor by which the requested window grows when a window does not settle the overlap."""


def normalise_window(raw: Sequence[str]) -> tuple[list[str], bool]:
    """Strip line endings; drop a last line still being written. Returns (lines, held_back).

    A last line without a newline is held back only when other lines carry one (so the server
    is known to keep newlines); a window that is entirely newline-free is taken as complete.
    """
    keeps_newlines = any(line.endswith("\n") for line in raw)
    lines = [line.rstrip("\r\n") for line in raw]
    held = bool(raw) and keeps_newlines and not raw[-1].endswith("\n")
    if held:
        lines.pop()
    return lines, held


def borders(window: Sequence[str], known: Sequence[str]) -> list[int]:
    """Every length o >= 1 with window[:o] == known[-o:], longest first (o <= both lengths)."""
    size = min(len(window), len(known))
    if size == 0:
        return []
    ids: dict[str, int] = {}
    seq = [ids.setdefault(line, len(ids)) for line in window[:size]]
    seq.append(-1)  # separator: matches nothing
    seq.extend(ids.get(line, -2) for line in known[len(known) - size :])
    pi = [0] * len(seq)
    for i in range(1, len(seq)):
        k = pi[i - 1]
        while k and seq[i] != seq[k]:
            k = pi[k - 1]
        if seq[i] == seq[k] and seq[i] >= 0:
            k += 1
        pi[i] = k
    found = []
    k = pi[-1]
    while k:
        found.append(k)
        k = pi[k - 1]
    return found


@dataclass
class Outcome:
    """The result of feeding one window."""

    new_lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    need_more: bool = False
    """The window did not settle the overlap: ask again with a larger window (then feed it)."""


@dataclass
class TailAssembler:
    """Every line of one log delivered so far, grown from tail windows. See the module docstring.

    Args:
        cap: The largest window the caller will ask for.
    """

    cap: int
    lines: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    """(position in `lines` the note precedes, text)."""
    exact: bool = True
    """`lines` is exactly the file's first len(lines) lines (no gap or guess so far)."""
    contiguous_from: int = 0
    """`lines[contiguous_from:]` is known to be contiguous and to end where the file ended."""
    finished: bool = False
    _repeat_noted: bool = False

    def feed(self, lines: Sequence[str], *, whole: bool, at_cap: bool) -> Outcome:
        """Merge one window of the file's last lines; see `Outcome.need_more`.

        Args:
            lines: The window's complete lines, oldest first.
            whole: The window is the whole file (the server sent fewer lines than asked for).
            at_cap: The window was as large as the caller will ask for.
        """
        window = list(lines)
        known = self.lines[self.contiguous_from :]
        overlaps = borders(window, known)
        if whole and self.exact:
            return self._whole_file(window, overlaps)
        if whole:
            return self._accept(window, overlaps[0] if overlaps else 0)
        # trusted: the only overlap, of 2+ lines and half the window, checked against a full one
        unique = (
            len(overlaps) == 1
            and overlaps[0] >= 2
            and 2 * overlaps[0] >= len(window)
            and len(known) >= len(window)
        )
        if unique:
            self._repeat_noted = False
            return self._accept(window, overlaps[0])
        if not at_cap:
            return Outcome(need_more=True)
        self.exact = False
        if not overlaps:
            return self._gap(window)
        if len(overlaps) == 1:
            gap_note = (
                f"possible gap: the log grew by about {len(window) - overlaps[0]} lines since "
                "the last poll, close to the tail window; some lines may be missing here"
            )
            return self._accept(window, overlaps[0], gap_note)
        note: str | None = None
        if not self._repeat_noted:
            self._repeat_noted = True
            spread = overlaps[0] - overlaps[-1]
            note = (
                f"the last {len(window)} lines repeat, so the number of new identical lines "
                f"cannot be told; up to {spread} repeated lines may be missing here"
            )
        return self._accept(window, overlaps[0], note)

    def step(self, raw: Sequence[str], requested: int) -> tuple[Outcome, int | None]:
        """Feed the server's answer to a `?lines=requested` call (lines as sent).

        Returns the outcome and, when the window did not settle the overlap, the larger
        window to ask for next (then call `step` again with that answer).
        """
        window, _held = normalise_window(raw)
        at_cap = requested >= self.cap
        outcome = self.feed(window, whole=len(raw) < requested, at_cap=at_cap)
        if outcome.need_more:
            return outcome, min(self.cap, requested * GROWTH)
        return outcome, None

    async def poll(self, fetch: Callable[[int], Awaitable[Sequence[str]]], base: int) -> Outcome:
        """Fetch windows (`fetch(n)` returns the last n lines) until one settles; merge it."""
        requested: int | None = min(base, self.cap)
        while True:
            assert requested is not None
            outcome, requested = self.step(await fetch(requested), requested)
            if requested is None:
                return outcome

    def reconcile(self, stored: Sequence[str]) -> Outcome:
        """Finish with the complete stored log: append what the live view has not shown."""
        self.finished = True
        stored = list(stored)
        count = len(self.lines)
        if stored[:count] == self.lines:
            return self._append(stored[count:])
        known = self.lines[self.contiguous_from :]
        end = _find_after(stored, known, self.contiguous_from)
        if end is not None:
            note = (
                "the job finished; the live view above missed some lines (see earlier notes); "
                "the stored process_output.log is complete"
            )
            return self._append(stored[end:], note)
        note = (
            "the job finished, but its stored log does not line up with the live view; "
            "the complete stored log follows"
        )
        return self._append(stored, note)

    # --- internals -------------------------------------------------------------------------

    def _whole_file(self, window: list[str], overlaps: list[int]) -> Outcome:
        count = len(self.lines)
        if count == 0 or (count <= len(window) and count in overlaps):
            return self._append(window[count:])
        # the file no longer starts with what we showed: truncated or rewritten in place
        self.exact = False
        self.contiguous_from = count
        note = "the log file was truncated or rewritten; showing it again from its start"
        return self._append(window, note)

    def _gap(self, window: list[str]) -> Outcome:
        start = not self.lines
        self.contiguous_from = len(self.lines)
        if start:
            note = (
                f"the log is longer than {len(window)} lines; its beginning is not shown while "
                "the job runs (the stored log has it once the job completes)"
            )
        else:
            note = (
                f"gap: the log grew by more than {len(window)} lines between two polls; the "
                "lines in between were missed (lower tail_interval or raise tail_lines)"
            )
        return self._append(window, note)

    def _accept(self, window: list[str], overlap: int, note: str | None = None) -> Outcome:
        return self._append(window[overlap:], note)

    def _append(self, new: list[str], note: str | None = None) -> Outcome:
        outcome = Outcome(new_lines=new)
        if note is not None:
            self.notes.append((len(self.lines), note))
            outcome.notes.append(note)
        self.lines.extend(new)
        return outcome


def _find_after(stored: list[str], needle: list[str], start: int) -> int | None:
    """End index of the first occurrence of `needle` in `stored` at or after `start`."""
    if not needle:
        return None
    width = len(needle)
    first = needle[0]
    for i in range(max(0, start), len(stored) - width + 1):
        if stored[i] == first and stored[i : i + width] == needle:
            return i + width
    return None
