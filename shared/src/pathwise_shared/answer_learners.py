"""Which learners an answer is about, told by the service to the gateway in a response header.

The gateway audits every read of a learner's records. When neither the path nor the answer's
``learner_id`` members name the learners (a OneRoster ``users`` page names people by their
district's ``sourcedId`` and may carry only the fields a client selected), the service that built
the answer lists them in ``Pathwise-Learners``. The gateway reads the header and never passes it
on (it forwards only the response headers it lists).

A header line holds at most ``PER_LINE`` ids (about 3.7 kB), below the 8 kB a client library
allows for one header field; a page of up to 1,000 learners is a few repeated lines.
"""

import uuid
from collections.abc import Iterable, Sequence

__all__ = ["LEARNERS_HEADER", "PER_LINE", "header_lines", "parse_header_line"]

LEARNERS_HEADER = "pathwise-learners"
PER_LINE = 100


def header_lines(learners: Iterable[uuid.UUID]) -> list[str]:
    """The header's values: each learner once, in order, ``PER_LINE`` to a line."""
    unique = list(dict.fromkeys(learners))
    return [
        ",".join(str(i) for i in unique[start : start + PER_LINE])
        for start in range(0, len(unique), PER_LINE)
    ]


def parse_header_line(value: str) -> Sequence[uuid.UUID]:
    """The learners one header line names; anything that is not a UUID is skipped."""
    found: list[uuid.UUID] = []
    for part in value.split(","):
        try:
            found.append(uuid.UUID(part.strip()))
        except ValueError:
            continue
    return found
