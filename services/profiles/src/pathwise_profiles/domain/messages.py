"""Messages about a learner (docs/profiles.md, "Messages"): who may take part in a thread, what a
message may carry, and where its attachments are kept. No database here: the repository finds
each candidate's facts (their roles, whether they teach the learner, guard them, administer
their school), these rules decide.

Who takes part: the learner's teachers (an active class in common), guardians (an active link),
the school administrators of the learner's school, and the learner themself only when the district
allows learners in threads (``PROFILES_LEARNER_IN_THREADS``, off by default). A district
administrator is not a participant: they may read every thread of their district (moderation),
never write in one. Anyone else named as a participant refuses the whole thread (nothing is
written), with the refused ids in the problem.
"""

import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pathwise_shared.auth import Principal
from pathwise_shared.problems import Forbidden, UnprocessableContent

__all__ = [
    "ATTACHMENT_KINDS",
    "MAX_BODY",
    "MAX_PARTICIPANTS",
    "Candidate",
    "ParticipantRole",
    "Viewer",
    "check_body",
    "check_participants",
    "new_attachment_key",
    "participant_role",
    "unread",
    "viewer_of",
]

ParticipantRole = Literal["teacher", "guardian", "school_admin", "student"]
Viewer = Literal["participant", "moderator"]

MAX_BODY = 4000
MAX_PARTICIPANTS = 20
# Attachments take the portfolio's file kinds (and its type sniffing and size limits).
ATTACHMENT_KINDS: tuple[str, ...] = ("image", "document", "audio", "video")


@dataclass(frozen=True)
class Candidate:
    """What the repository found about one user named as a participant (``found`` false: no
    active user of that id in the caller's district)."""

    user_id: uuid.UUID
    found: bool
    roles: frozenset[str] = frozenset()
    teaches: bool = False
    guardian_of: bool = False
    same_school: bool = False


def participant_role(
    candidate: Candidate, learner_id: uuid.UUID, *, learner_allowed: bool
) -> ParticipantRole | None:
    """The relation that lets this user take part in a thread about the learner, or None."""
    if not candidate.found:
        return None
    if candidate.user_id == learner_id:
        return "student" if learner_allowed else None
    if candidate.teaches and "teacher" in candidate.roles:
        return "teacher"
    if candidate.guardian_of and "guardian" in candidate.roles:
        return "guardian"
    if candidate.same_school and "school_admin" in candidate.roles:
        return "school_admin"
    return None


def check_participants(
    author_id: uuid.UUID,
    named: Sequence[uuid.UUID],
    candidates: Iterable[Candidate],
    learner_id: uuid.UUID,
    *,
    learner_allowed: bool,
) -> dict[uuid.UUID, ParticipantRole]:
    """Every participant of a new thread (the author first) with their relation to the learner.

    The author must be related (403 otherwise: a district admin moderates, the learner only when
    the district allows); every named user must be too, or the thread is refused (422
    ``participant-not-related``, naming each refused id). A thread needs someone besides its
    author."""
    facts = {c.user_id: c for c in candidates}
    ordered = list(dict.fromkeys([author_id, *named]))
    if len(ordered) - 1 > MAX_PARTICIPANTS:
        raise UnprocessableContent(
            f"A thread may have at most {MAX_PARTICIPANTS} participants besides its author.",
            slug="too-many-participants",
            field="participant_ids",
        )
    roles: dict[uuid.UUID, ParticipantRole] = {}
    refused: list[uuid.UUID] = []
    for user_id in ordered:
        role = participant_role(
            facts.get(user_id, Candidate(user_id, found=False)),
            learner_id,
            learner_allowed=learner_allowed,
        )
        if role is None:
            refused.append(user_id)
        else:
            roles[user_id] = role
    if author_id in refused:
        raise _author_refused(author_id == learner_id)
    if refused:
        raise UnprocessableContent(
            "Every participant must be related to the learner (a teacher of one of their "
            "classes, a linked guardian, an administrator of their school"
            + (", the learner" if learner_allowed else "")
            + f"); these are not: {', '.join(map(str, refused))}. Nothing was written.",
            slug="participant-not-related",
            field="participant_ids",
            refused=[str(u) for u in refused],
        )
    if len(roles) < 2:
        raise UnprocessableContent(
            "Name at least one participant besides yourself.",
            slug="participant-not-related",
            field="participant_ids",
            refused=[],
        )
    return roles


def _author_refused(is_learner: bool) -> Forbidden:
    if is_learner:
        return Forbidden(
            "Your district does not let learners take part in message threads.",
            slug="learner-threads-off",
        )
    return Forbidden(
        "Only the learner's teachers, guardians and school administrators write in threads "
        "about them.",
        slug="not-a-participant",
    )


def check_body(body: str) -> str:
    """The message text, stripped; 1 to ``MAX_BODY`` characters (the schema bounds the raw
    length, this the meaningful one)."""
    text = body.strip()
    if not text:
        raise UnprocessableContent("A message needs text.", slug="empty-message", field="body")
    if len(text) > MAX_BODY:
        raise UnprocessableContent(
            f"A message may be at most {MAX_BODY} characters.", slug="empty-message", field="body"
        )
    return text


def viewer_of(
    principal: Principal,
    participants: Iterable[uuid.UUID],
    learner_id: uuid.UUID,
    *,
    learner_allowed: bool,
) -> Viewer | None:
    """How the principal sees a thread: as a participant, as the district's moderator (read
    only), or not at all (the thread is then not there for them: 404). A teacher of the learner
    who is not a participant does not see it; the learner does only while the district allows
    learners in threads."""
    uid = principal.user_id if principal.kind == "user" else None
    if uid is not None and uid in set(participants):
        if uid == learner_id and not learner_allowed:
            return None
        return "participant"
    if principal.kind == "user" and principal.has_role("district_admin"):
        return "moderator"
    return None


def unread(last_seq: int, read_seq: int) -> int:
    """Messages after the last one read (a participant's own posts count as read)."""
    return max(0, last_seq - read_seq)


def new_attachment_key(learner_id: uuid.UUID) -> str:
    """Where an attachment is stored: random, never the client's name."""
    return f"messages/{learner_id}/{secrets.token_hex(16)}"
