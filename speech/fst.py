"""Write OpenFst binary files from Python: ``const`` FSTs and ``olabel_lookahead`` FSTs (standard/tropical arcs).

Vosk (Kaldi + OpenFst 1.8) reads decoding graphs as OpenFst binaries. For the tiny test models that
``speech.tiny_model`` builds, writing those files directly is simpler than depending on the OpenFst command-line
tools (Debian ``libfst-tools``) being installed on every developer's machine and in CI.

Only what the tiny models need is implemented: a ``ConstFst<StdArc>`` (file version 2, not aligned) and the
``MatcherFst`` that ``fstconvert --fst_type=olabel_lookahead`` writes — a const FST plus the output-side
``LabelReachableData`` add-on (reachable output-label intervals per state), without relabelling data (the caller has
already chosen labels so that each state's reachable set is one interval, as ``--save_relabel_opairs`` would).
The byte layout was checked against files written by OpenFst 1.7.9 (``fstconvert``) on the same input.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

FST_MAGIC = 2125659606
ADDON_MAGIC = 446681434
CONST_FILE_VERSION = 2
MATCHER_FILE_VERSION = 1
NO_STATE = -1
INFINITY = float("inf")

# OpenFst property bits (fst/properties.h) that the writers may assert; everything else is left "unknown" so that
# OpenFst computes it when an algorithm asks.
EXPANDED = 0x1
ILABEL_SORTED = 0x10000000
OLABEL_SORTED = 0x40000000


@dataclass(frozen=True)
class Arc:
    """One transition: input label, output label, tropical weight (a cost, -log p) and destination state."""

    ilabel: int
    olabel: int
    weight: float
    nextstate: int


@dataclass
class Fst:
    """A small mutable FST held in Python lists; states are numbered from 0 in the order they are added."""

    start: int = 0
    finals: dict[int, float] = field(default_factory=dict)
    arcs: list[list[Arc]] = field(default_factory=list)

    def add_state(self) -> int:
        """Add a state and return its id."""
        self.arcs.append([])
        return len(self.arcs) - 1

    def add_arc(self, src: int, ilabel: int, olabel: int, weight: float, dst: int) -> None:
        """Add one arc from ``src`` to ``dst``."""
        self.arcs[src].append(Arc(ilabel, olabel, weight, dst))

    def set_final(self, state: int, weight: float = 0.0) -> None:
        self.finals[state] = weight

    @property
    def num_states(self) -> int:
        return len(self.arcs)

    def sort_arcs(self, by: str) -> int:
        """Sort every state's arcs by ``"ilabel"`` or ``"olabel"``; returns the matching OpenFst property bit."""
        key = (lambda a: (a.ilabel, a.olabel)) if by == "ilabel" else (lambda a: (a.olabel, a.ilabel))
        for state_arcs in self.arcs:
            state_arcs.sort(key=key)
        return ILABEL_SORTED if by == "ilabel" else OLABEL_SORTED


def _string(value: str) -> bytes:
    raw = value.encode("ascii")
    return struct.pack("<i", len(raw)) + raw


def _header(fst_type: str, version: int, properties: int, start: int, num_states: int, num_arcs: int) -> bytes:
    return (
        struct.pack("<i", FST_MAGIC)
        + _string(fst_type)
        + _string("standard")
        + struct.pack("<iiQqqq", version, 0, properties, start, num_states, num_arcs)
    )


def const_fst_bytes(fst: Fst, properties: int = 0) -> bytes:
    """The bytes of ``fst`` as an OpenFst ``const`` FST (what ``fstconvert --fst_type=const`` writes)."""
    states = bytearray()
    arcs = bytearray()
    position = 0
    for state, state_arcs in enumerate(fst.arcs):
        final = fst.finals.get(state, INFINITY)
        n_ieps = sum(1 for a in state_arcs if a.ilabel == 0)
        n_oeps = sum(1 for a in state_arcs if a.olabel == 0)
        states += struct.pack("<fIIII", final, position, len(state_arcs), n_ieps, n_oeps)
        for arc in state_arcs:
            arcs += struct.pack("<iifi", arc.ilabel, arc.olabel, arc.weight, arc.nextstate)
        position += len(state_arcs)
    header = _header("const", CONST_FILE_VERSION, properties | EXPANDED, fst.start, fst.num_states, position)
    return header + bytes(states) + bytes(arcs)


def _interval_set(intervals: Sequence[tuple[int, int]]) -> bytes:
    count = sum(end - begin for begin, end in intervals)
    body = struct.pack("<q", len(intervals)) + b"".join(struct.pack("<ii", b, e) for b, e in intervals)
    return body + struct.pack("<i", count)


def olabel_lookahead_fst_bytes(
    fst: Fst, final_label: int, reachable: Iterable[Sequence[tuple[int, int]]], properties: int = 0
) -> bytes:
    """The bytes of an ``olabel_lookahead`` FST: ``fst`` (sorted by output label) plus its reachability add-on.

    ``reachable`` gives, per state, the half-open intervals ``[begin, end)`` of output labels (words) that can be
    the next non-epsilon output from that state; ``final_label`` is the extra label standing for "a final state is
    reachable" and must lie inside the intervals of states from which a final state can be reached.
    """
    properties |= fst.sort_arcs("olabel")
    inner = const_fst_bytes(fst, properties)
    reach = list(reachable)
    if len(reach) != fst.num_states:
        raise ValueError("one interval set per state is required")
    addon = (
        struct.pack("<?", True)  # the add-on is present
        + struct.pack("<?", False)  # no input-side (ilabel) reachability data
        + struct.pack("<?", True)  # output-side data follows
        + struct.pack("<??i", False, False, final_label)  # reach_input=false, keep_relabel_data=false
        + struct.pack("<q", len(reach))
        + b"".join(_interval_set(intervals) for intervals in reach)
    )
    outer = _header("olabel_lookahead", MATCHER_FILE_VERSION, properties | EXPANDED, NO_STATE, 0, 0)
    return outer + struct.pack("<i", ADDON_MAGIC) + inner + addon


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
