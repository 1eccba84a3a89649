"""Open Badges 3.0 credentials for mastered skills and completed goals: issue, list, revoke,
publish, verify.

The learner asks for a credential for a skill they have mastered now, or for a goal of theirs
that profiles says is completed and whose target skills they have all mastered now (profiles is
asked over its internal API in the learner's name: it owns goals, this service owns mastery).
It is built (``domain.credentials``), signed with the district's key
(``credential_keys.KeyStore``) and stored with ``credential.issued`` through the outbox, in one
transaction. Teachers and admins of the learner (the gateway checks the relation) may revoke it:
the credential's bit in the district's status list is then set (the list is computed from the
revoked rows, so it cannot drift from them) and ``credential.revoked`` goes out. The public half
(issuer profile, JWKS, the signed status list, verification) takes the district from its path
and reads nothing about a learner.
"""

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import credentials as vc
from pathwise_assessment.models import Credential
from pathwise_assessment.repository import credentials as repo
from pathwise_assessment.service.access import is_student_only
from pathwise_assessment.service.credential_keys import DatabaseKeyStore, IssuerKeyView, KeyStore
from pathwise_assessment.service.events import learner_subject
from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.auth import Principal
from pathwise_shared.db.outbox import publish
from pathwise_shared.events import new_event
from pathwise_shared.idempotency import IdempotentRequest, check_same_request, stored_columns
from pathwise_shared.ids import new_id
from pathwise_shared.problems import Conflict, Forbidden, NotFound
from pathwise_shared.timeutil import utcnow

__all__ = [
    "Verification",
    "get_credential",
    "issue",
    "issuer_name",
    "issuer_profile",
    "jwks",
    "keystore",
    "list_credentials",
    "revoke",
    "status_list",
    "status_list_token",
    "verify",
]

# The one place that chooses the key store (docs/assessment.md, "Credentials": a KMS plugs in
# here by implementing ``KeyStore``).
keystore: KeyStore = DatabaseKeyStore()
# Draws of a random status index before giving up (the list is 131,072 bits: a collision is
# rare until a district has issued tens of thousands of credentials).
_INDEX_DRAWS = 32
# Inserts tried when a concurrent issue took the status index drawn (each draws again).
_INSERT_TRIES = 3


def issuer_name(district_id: uuid.UUID) -> str:
    """The issuer's display name. The district's name lives in profiles, which an anonymous
    read cannot ask; the profile names the district by its id."""
    return f"Pathwise district {district_id}"


async def _free_index(session: AsyncSession, district_id: uuid.UUID) -> int:
    for _ in range(_INDEX_DRAWS):
        index = secrets.randbelow(vc.STATUS_LIST_SIZE)
        if not await repo.index_taken(session, district_id, index):
            return index
    raise Conflict("The district's status list is full.", slug="status-list-full")


def _self(principal: Principal, learner_id: uuid.UUID) -> None:
    if principal.kind != "user" or principal.user_id != learner_id:
        raise Forbidden("Only the learner can ask for their credentials.", slug="not-the-learner")


@dataclass(frozen=True)
class _Earned:
    """What a credential is for: the achievement document and the row's and events' reference."""

    achievement: dict[str, Any]
    skill_code: str | None = None
    goal_id: uuid.UUID | None = None

    def ref(self) -> dict[str, str]:
        if self.goal_id is not None:
            return {"goal_id": str(self.goal_id)}
        return {"skill_code": str(self.skill_code)}


def _held(held: Credential | None, what: str) -> None:
    if held is not None:
        raise Conflict(
            f"You already hold credential {held.id} for {what}.",
            slug="credential-exists",
            credential_id=str(held.id),
        )


async def _skill_earned(
    session: AsyncSession,
    urls: vc.IssuerUrls,
    learner_id: uuid.UUID,
    skill_code: str,
) -> _Earned:
    district_id = urls.district_id
    if not await repo.is_mastered(session, district_id, learner_id, skill_code):
        raise Conflict(
            f"Skill {skill_code} is not mastered now: a credential says it is.",
            slug="skill-not-mastered",
        )
    _held(await repo.active_for_skill(session, district_id, learner_id, skill_code), skill_code)
    return _Earned(vc.skill_achievement(urls, skill_code), skill_code=skill_code)


async def _goal_earned(
    session: AsyncSession,
    upstreams: Upstreams,
    principal: Principal,
    urls: vc.IssuerUrls,
    learner_id: uuid.UUID,
    goal_id: uuid.UUID,
) -> _Earned:
    """A goal earns a credential when profiles has it ``achieved`` **and** every target skill
    is mastered here now: the credential's criteria say both, and a learner may mark their own
    goal achieved (docs/profiles.md, "Student-owned goals"), which alone the district does not
    sign for."""
    district_id = urls.district_id
    goal = await upstreams.learner_goal(principal, learner_id, goal_id)
    if goal.get("district_id") != str(district_id):
        raise NotFound("No such goal for this learner.", slug="goal-not-found")
    if goal.get("status") != "achieved":
        raise Conflict(
            f"Goal {goal_id} is not completed (its status is {goal.get('status')!r}): a "
            "credential says it is.",
            slug="goal-not-completed",
            goal_status=str(goal.get("status")),
        )
    codes = sorted({str(c) for c in goal["skill_codes"]})
    if not codes:
        raise Conflict(
            f"Goal {goal_id} names no target skills: a goal's credential attests its skills "
            "mastered, and there are none to attest.",
            slug="goal-without-skills",
        )
    missing = sorted(
        set(codes) - await repo.mastered_codes(session, district_id, learner_id, codes)
    )
    if missing:
        raise Conflict(
            f"Goal {goal_id} is completed, but not all its target skills are mastered now "
            f"({', '.join(missing)}): a credential says they are.",
            slug="goal-skills-not-mastered",
            unmastered=missing,
        )
    _held(await repo.active_for_goal(session, district_id, learner_id, goal_id), f"goal {goal_id}")
    return _Earned(vc.goal_achievement(urls, goal_id, goal["title"], codes), goal_id=goal_id)


async def _signed_row(
    session: AsyncSession,
    urls: vc.IssuerUrls,
    key: IssuerKeyView,
    learner_id: uuid.UUID,
    earned: _Earned,
    credential_id: uuid.UUID,
    now: datetime,
    idempotency: IdempotentRequest | None,
) -> Credential:
    """The credential's row: built on a free status index, signed."""
    district_id = urls.district_id
    index = await _free_index(session, district_id)
    payload = vc.achievement_credential(
        urls=urls,
        issuer_name=issuer_name(district_id),
        credential_id=credential_id,
        learner_id=learner_id,
        achievement=earned.achievement,
        status_index=index,
        valid_from=now,
    )
    data = vc.signing_input(key.kid, payload)
    return Credential(
        id=credential_id,
        district_id=district_id,
        learner_id=learner_id,
        skill_code=earned.skill_code,
        goal_id=earned.goal_id,
        status_index=index,
        kid=key.kid,
        jwt=vc.compact(data, await keystore.sign(session, key, data)),
        issued_at=now,
        **stored_columns(idempotency),
    )


async def _keyed(
    session: AsyncSession, district_id: uuid.UUID, idempotency: IdempotentRequest | None
) -> Credential | None:
    """The credential a request with this ``Idempotency-Key`` already made, to replay (a
    different request under the same key: 422, ``check_same_request``)."""
    if idempotency is None:
        return None
    existing = await repo.by_key(session, district_id, idempotency.key)
    if existing is not None:
        check_same_request(existing.request_hash, idempotency)
    return existing


async def _lost_race(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    earned: _Earned,
    idempotency: IdempotentRequest | None,
) -> Credential | None:
    """The insert broke a unique index: another request committed first (PostgreSQL makes the
    second insert wait for the first's commit, and a write transaction reads committed rows, so
    the winner is visible now). The same ``Idempotency-Key``: that request's credential, to
    replay. The same achievement: 409 ``credential-exists``, as if it had come a moment later.
    None: neither (the status index was drawn by both), the caller draws again."""
    existing = await _keyed(session, district_id, idempotency)
    if existing is not None:
        return existing
    if earned.goal_id is not None:
        held = await repo.active_for_goal(session, district_id, learner_id, earned.goal_id)
        _held(held, f"goal {earned.goal_id}")
    else:
        assert earned.skill_code is not None
        held = await repo.active_for_skill(session, district_id, learner_id, earned.skill_code)
        _held(held, earned.skill_code)
    return None


async def issue(
    session: AsyncSession,
    upstreams: Upstreams,
    principal: Principal,
    learner_id: uuid.UUID,
    public_base: str,
    idempotency: IdempotentRequest | None,
    *,
    skill_code: str | None = None,
    goal_id: uuid.UUID | None = None,
) -> tuple[Credential, bool]:
    """Issue the learner a credential for ``skill_code`` or for ``goal_id`` (exactly one);
    (credential, created)."""
    if (skill_code is None) == (goal_id is None):
        raise ValueError("a credential is for a skill or for a goal")
    _self(principal, learner_id)
    district_id = principal.require_district()
    existing = await _keyed(session, district_id, idempotency)
    if existing is not None:
        return existing, False
    urls = vc.IssuerUrls(public_base, district_id)
    try:
        if goal_id is not None:
            earned = await _goal_earned(session, upstreams, principal, urls, learner_id, goal_id)
        else:
            assert skill_code is not None  # exactly one, checked above
            earned = await _skill_earned(session, urls, learner_id, skill_code)
    except Conflict:
        # A request with the same key may have committed between the lookup above and these
        # checks (SQLite reads each statement afresh until the transaction writes): its
        # credential is this request's answer, not a 409 credential-exists.
        existing = await _keyed(session, district_id, idempotency)
        if existing is None:
            raise
        return existing, False
    key = await keystore.signing_key(session, district_id)
    now = utcnow()
    credential_id = new_id()
    for _ in range(_INSERT_TRIES):
        row = await _signed_row(
            session, urls, key, learner_id, earned, credential_id, now, idempotency
        )
        try:
            # Under a savepoint: a failed insert leaves the transaction usable to read who won.
            async with session.begin_nested():
                session.add(row)
                await session.flush()
            break
        except IntegrityError:
            replay = await _lost_race(session, district_id, learner_id, earned, idempotency)
            if replay is not None:
                return replay, False
            # Neither the key nor the achievement: a concurrent issue drew the same status
            # index. Draw again (the row, its index and its signature are made anew).
    else:
        raise Conflict("The district's status list is full.", slug="status-list-full")
    await publish(
        session,
        new_event(
            "credential.issued",
            district_id=district_id,
            subject=learner_subject(learner_id),
            data={
                "learner_id": str(learner_id),
                "credential_id": str(credential_id),
                **earned.ref(),
            },
        ),
    )
    return row, True


def _ref(row: Credential) -> dict[str, str]:
    if row.goal_id is not None:
        return {"goal_id": str(row.goal_id)}
    return {"skill_code": str(row.skill_code)}


def _not_found() -> NotFound:
    return NotFound("No such credential.", slug="credential-not-found")


def _scope(principal: Principal, learner_id: uuid.UUID) -> uuid.UUID:
    """A student reads only their own (another learner's credentials do not exist for them)."""
    if (
        is_student_only(principal)
        and principal.has_role("student")
        and principal.user_id != learner_id
    ):
        raise NotFound("No such learner.", slug="learner-not-found")
    return principal.require_district()


async def list_credentials(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    after: uuid.UUID | None,
    limit: int,
) -> tuple[list[Credential], bool]:
    district_id = _scope(principal, learner_id)
    rows = await repo.list_for_learner(session, district_id, learner_id, after, limit)
    return rows[:limit], len(rows) > limit


async def get_credential(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential:
    district_id = _scope(principal, learner_id)
    row = await repo.get(session, district_id, credential_id)
    if row is None or row.learner_id != learner_id:
        raise _not_found()
    return row


async def revoke(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    credential_id: uuid.UUID,
    reason: str | None,
) -> Credential:
    """Revoke (teachers and admins of the learner: the gateway checked the relation). Revoking
    a revoked credential changes nothing and publishes nothing."""
    district_id = principal.require_district()
    row = await repo.lock_for_revoke(session, district_id, credential_id)
    if row is None or row.learner_id != learner_id:
        raise _not_found()
    if row.revoked_at is not None:
        return row
    repo.touch_revoked(row, by=principal.subject, reason=reason, now=utcnow())
    await session.flush()
    await publish(
        session,
        new_event(
            "credential.revoked",
            district_id=district_id,
            subject=learner_subject(learner_id),
            data={
                "learner_id": str(learner_id),
                "credential_id": str(credential_id),
                **_ref(row),
            },
        ),
    )
    return row


# --- public: no principal to scope by, the district is the path's --------------------------


async def _known_issuer(session: AsyncSession, district_id: uuid.UUID) -> None:
    if await keystore.public_key(session, district_id=district_id) is None:
        raise NotFound("This district has issued no credentials.", slug="issuer-not-found")


async def jwks(session: AsyncSession, district_id: uuid.UUID) -> dict[str, Any]:
    key = await keystore.public_key(session, district_id=district_id)
    if key is None:
        raise NotFound("This district has issued no credentials.", slug="issuer-not-found")
    return {"keys": [key.jwk()]}


async def issuer_profile(
    session: AsyncSession, district_id: uuid.UUID, public_base: str
) -> dict[str, Any]:
    await _known_issuer(session, district_id)
    return vc.issuer_profile(vc.IssuerUrls(public_base, district_id), issuer_name(district_id))


async def status_list(
    session: AsyncSession, district_id: uuid.UUID, public_base: str
) -> dict[str, Any]:
    """The district's ``BitstringStatusListCredential`` (unsigned: what the token secures)."""
    await _known_issuer(session, district_id)
    bits = vc.StatusList.with_set(await repo.revoked_indexes(session, district_id))
    return vc.status_list_credential(
        vc.IssuerUrls(public_base, district_id), issuer_name(district_id), bits, utcnow()
    )


async def status_list_token(session: AsyncSession, district_id: uuid.UUID, public_base: str) -> str:
    """The district's status list as a VC-JWT signed with its key: what the credentials'
    ``statusListCredential`` serves, and what the verification below checks a bit in."""
    document = await status_list(session, district_id, public_base)
    key = await keystore.signing_key(session, district_id)
    data = vc.signing_input(key.kid, document)
    return vc.compact(data, await keystore.sign(session, key, data))


@dataclass(frozen=True)
class Verification:
    verified: bool
    reason: vc.Failure | None
    detail: str
    credential: dict[str, Any] | None = None


def _failed(reason: vc.Failure, detail: str, payload: dict[str, Any] | None = None) -> Verification:
    return Verification(False, reason, detail, payload)


async def verify(
    session: AsyncSession, token: str, public_base: str, now: datetime | None = None
) -> Verification:
    """Verify a credential this deployment issued: signature with the issuer's key, issuer,
    time window, then revocation, read from the district's **signed** status list the way a
    verifier elsewhere reads it (the list's signature checked with the published JWKS, then the
    bit). The first failure is the answer."""
    try:
        parsed = vc.parse_compact(token)
    except vc.MalformedJws as exc:
        return _failed("malformed", str(exc))
    kid = parsed.header.get("kid")
    if parsed.header.get("alg") != vc.ALGORITHM or not isinstance(kid, str):
        return _failed("malformed", f"The header must name alg {vc.ALGORITHM} and a kid.")
    key = await keystore.public_key(session, kid=kid)
    if key is None:
        return _failed("unknown_issuer", "No district of this deployment has this key.")
    if not vc.verify_signature(key.public_key, parsed.signed, parsed.signature):
        return _failed("bad_signature", "The signature does not match the issuer's key.")
    payload = parsed.payload
    urls = vc.IssuerUrls(public_base, key.district_id)
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != urls.issuer:
        # A district's key vouches only for credentials in that district's name.
        return _failed("unknown_issuer", "The key does not belong to the issuer named.", payload)
    window = vc.check_validity(payload, now or utcnow())
    if window is not None:
        return _failed(window, f"The credential is {window.replace('_', ' ')}.", payload)
    try:
        entry = vc.StatusEntry.of(payload)
    except ValueError as exc:
        return _failed("malformed", str(exc), payload)
    if entry.list_url != urls.status_list:
        # The issuer's credentials name the issuer's list; another list proves nothing.
        return _failed("malformed", "The status list named is not the issuer's.", payload)
    list_token = await status_list_token(session, key.district_id, public_base)
    published = await jwks(session, key.district_id)
    try:
        # The list is the current one, made just now: its validity is checked at the clock's
        # time after it was made (``now`` moves the credential's window only, in tests).
        revoked = vc.check_status(entry, list_token, published, utcnow())
    except vc.StatusListProblem as exc:
        return _failed("status_unavailable", str(exc), payload)
    if revoked:
        return _failed("revoked", "The issuer has revoked this credential.", payload)
    return Verification(True, None, "Signed by the issuer, valid now and not revoked.", payload)
