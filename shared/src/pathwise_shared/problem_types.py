"""The catalogue of problem types: every ``type`` an error body can carry, registered once.

Each problem type has one slug (its ``type`` is ``https://pathwise.dev/problems/<slug>``, an
absolute URI as RFC 9457 asks, documented at docs/problems.md#<slug> and served by the gateway
at ``/problems/<slug>``), one status and one title
(RFC 9457: the title of a type does not change from occurrence to occurrence; the ``detail``
says what happened this time). A few types are families named by the object they concern
(``{object}-not-found``: ``learner-not-found``, ``class-not-found``, …).

``tests/test_problem_catalog.py`` reads every raise in the code and fails when a slug is not
registered here or is raised with another status; docs/errors.md is generated from this table.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CATALOG", "FAMILIES", "PROBLEM_TYPE_BASE", "ProblemType", "lookup", "slug_of"]

# An identifier, not a location of this deployment: the same in every district's installation, so
# a client may compare it (RFC 9457 §3.1.1). Each one has its page (docs/problems.md, and the
# gateway's /problems/<slug>).
PROBLEM_TYPE_BASE = "https://pathwise.dev/problems/"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    when: str = ""

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug

    def for_object(self, slug: str) -> "ProblemType":
        """A member of a family (``learner-not-found`` of ``{object}-not-found``)."""
        obj = _family_object(self.slug, slug) or "object"
        words = obj.replace("-", " ")
        title = self.title.replace("{Object}", words.capitalize()).replace("{object}", words)
        return ProblemType(slug, self.status, title, self.when)


_TYPES: tuple[tuple[str, int, str], ...] = (
    ("access-denied", 403, "Access denied"),
    # The portfolio (pathways).
    ("artifact-not-found", 404, "Artifact not found"),
    ("artifact-file-not-found", 404, "Artifact file not found"),
    ("artifact-content", 422, "Artifact content"),
    ("step-not-on-pathway", 422, "Step not on pathway"),
    ("unknown-goal", 422, "Unknown goal"),
    ("guardian-sharing-off", 422, "Guardian sharing off"),
    ("unsupported-file-type", 415, "Unsupported file type"),
    ("file-too-large", 413, "File too large"),
    ("empty-file", 422, "Empty file"),
    # A plan the learner drafts (pathways).
    ("proposal-not-found", 404, "Proposal not found"),
    ("proposal-learner-only", 403, "Proposal learner only"),
    ("own-proposal", 403, "Own proposal"),
    ("proposal-open", 409, "Proposal open"),
    ("proposal-status", 409, "Proposal status"),
    ("invalid-choices", 422, "Invalid choices"),
    # Learning beyond the classroom (pathways).
    ("guardian-consent-required", 409, "Guardian consent required"),
    ("consent-not-needed", 422, "Consent not needed"),
    ("consent-not-found", 404, "Consent not found"),
    ("guardian-only", 403, "Guardian only"),
    ("invalid-dates", 422, "Invalid dates"),
    ("activity-not-found", 404, "Activity not found"),
    ("unknown-activity", 422, "Unknown activity"),
    ("activity-not-on-board", 422, "Activity not on board"),
    ("activity-required", 422, "Activity required"),
    ("adaptive-only", 422, "Adaptive only"),
    ("already-answered", 409, "Already answered"),
    ("already-scored", 409, "Already scored"),
    ("ambiguous-username", 409, "Ambiguous username"),
    ("assessment-not-found", 404, "Assessment not found"),
    ("attempt-finished", 409, "Attempt finished"),
    ("attempt-not-found", 404, "Attempt not found"),
    ("attempt-time-expired", 409, "Attempt time expired"),
    ("bad-file-set", 422, "Bad file set"),
    ("bad-folder", 422, "Bad folder"),
    ("bad-request", 400, "Bad Request"),
    ("bad-roster-changes", 422, "Bad roster changes"),
    ("bad-signature", 401, "Bad signature"),
    ("bank-only", 422, "Bank only"),
    ("body-too-large", 413, "Body too large"),
    ("choice-locked", 409, "Choice locked"),
    ("class-not-found", 404, "Class not found"),
    ("class-not-grouped", 404, "Class not grouped"),
    ("conflict", 409, "Conflict"),
    ("database-busy", 503, "Database busy"),
    ("database-unavailable", 503, "Database unavailable"),
    ("district-not-found", 404, "District not found"),
    ("district-required", 422, "District required"),
    ("duplicate-group", 422, "Duplicate group"),
    ("empty-framework", 422, "Empty framework"),
    ("enrollment-exists", 409, "Enrollment exists"),
    ("fit-not-found", 404, "Fit not found"),
    ("flag-not-found", 404, "Flag not found"),
    ("forbidden", 403, "Forbidden"),
    ("forbidden-publisher", 403, "Forbidden publisher"),
    ("forbidden-role", 403, "Forbidden role"),
    ("forbidden-scope", 403, "Forbidden scope"),
    ("framework-exists", 409, "Framework exists"),
    ("framework-outdated", 409, "Framework outdated"),
    ("framework-version-conflict", 409, "Framework version conflict"),
    ("framework-not-found", 404, "Framework not found"),
    ("goal-not-found", 404, "Goal not found"),
    ("group-not-found", 422, "Group not found"),
    ("grouping-not-found", 404, "Grouping not found"),
    ("idempotency-key-busy", 409, "Idempotency key busy"),
    ("idempotency-key-in-progress", 409, "Idempotency key in progress"),
    ("idempotency-key-reused", 422, "Idempotency key reused"),
    ("import-not-found", 404, "Import not found"),
    ("import-running", 409, "Import running"),
    ("internal-error", 500, "Internal Server Error"),
    ("invalid-answer", 422, "Invalid answer"),
    ("invalid-client", 401, "Invalid client"),
    ("invalid-grant", 400, "Invalid grant"),
    ("invalid-request", 400, "Invalid token request"),
    ("invalid-scope", 400, "Invalid scope"),
    ("invalid-case-package", 422, "Invalid CASE package"),
    ("invalid-cursor", 400, "Invalid cursor"),
    ("invalid-dates", 422, "Invalid dates"),
    ("invalid-event", 422, "Invalid event"),
    ("invalid-field", 422, "Invalid field"),
    ("invalid-filter-field", 400, "Invalid filter field"),
    ("invalid-framework-csv", 422, "Invalid framework CSV"),
    ("invalid-idempotency-key", 400, "Invalid idempotency key"),
    ("invalid-object-id", 422, "Invalid object id"),
    ("invalid-order", 422, "Invalid order"),
    ("invalid-query", 400, "Invalid query"),
    ("invalid-rubric-score", 422, "Invalid rubric score"),
    ("invalid-selection-field", 400, "Invalid selection field"),
    ("invalid-sizes", 422, "Invalid sizes"),
    ("invalid-sort-field", 400, "Invalid sort field"),
    ("item-not-aligned", 422, "Item not aligned"),
    ("item-not-found", 404, "Item not found"),
    ("item-not-in-attempt", 422, "Item not in attempt"),
    ("item-type-change", 409, "Item type change"),
    ("item-version-not-found", 404, "Item version not found"),
    ("learner-not-found", 404, "Learner not found"),
    ("learner-required", 422, "Learner required"),
    ("link-exists", 409, "Link exists"),
    ("malformed-json", 400, "Malformed JSON body"),
    ("mass-change-refused", 409, "Mass change refused"),
    ("method-not-allowed", 405, "Method Not Allowed"),
    ("naive-time", 422, "Time without a time zone"),
    ("no-goals", 422, "No goals"),
    ("no-items", 422, "No items"),
    ("no-such-operation", 404, "No such operation"),
    ("not-a-client", 403, "Not a client"),
    ("not-adaptive", 409, "Not adaptive"),
    ("not-content-owner", 403, "Not content owner"),
    ("not-district-admin", 403, "Not district admin"),
    ("not-found", 404, "Not Found"),
    ("not-operator", 403, "Not operator"),
    ("not-shared", 403, "Not shared"),
    ("not-your-attempt", 403, "Not your attempt"),
    ("not-your-school", 403, "Not your school"),
    ("nul-character", 422, "NUL character"),
    ("null-field", 422, "Field cannot be null"),
    ("page-size", 422, "Page size out of range"),
    ("part-not-writable", 403, "Part not writable"),
    ("pathway-changed-concurrently", 409, "Pathway changed concurrently"),
    ("pathway-not-draft", 409, "Pathway not draft"),
    ("pathway-not-found", 404, "Pathway not found"),
    ("payload-too-large", 413, "Request Entity Too Large"),
    ("precondition-failed", 412, "Precondition Failed"),
    ("precondition-required", 428, "Precondition Required"),
    ("prerequisite-cycle", 409, "Prerequisite cycle"),
    ("prerequisite-order", 409, "Prerequisite order"),
    ("profiles-unavailable", 503, "Profiles unavailable"),
    ("rate-limited", 429, "Rate limited"),
    ("response-not-found", 404, "Response not found"),
    ("role-mismatch", 422, "Role mismatch"),
    ("rubric-points", 422, "Rubric points out of range"),
    ("service-unavailable", 503, "Service Unavailable"),
    ("setting-not-honoured", 422, "Setting not honoured"),
    ("shared-framework-read-only", 403, "Shared framework read only"),
    ("skill-code-required", 422, "Skill code required"),
    ("skill-exists", 409, "Skill exists"),
    ("skill-not-found", 404, "Skill not found"),
    ("skills-unavailable", 503, "Skills unavailable"),
    ("staff-only", 403, "Staff only"),
    # issue 16, goals and reflections (profiles)
    ("learner-only", 403, "Learner only"),
    ("reflection-not-found", 404, "Reflection not found"),
    ("reflection-target-not-own", 422, "Reflection target not the learner's own"),
    # issue 16, student voice surveys (profiles)
    ("survey-not-found", 404, "Survey not found"),
    ("survey-invalid", 422, "Survey invalid"),
    ("survey-answer-invalid", 422, "Survey answer invalid"),
    ("survey-already-answered", 409, "Survey already answered"),
    # issue 17, notifications (profiles)
    ("notification-not-found", 404, "Notification not found"),
    ("notification-preferences-invalid", 422, "Notification preferences invalid"),
    ("profile-changed-concurrently", 409, "Profile changed concurrently"),
    # issue 17, messages about a learner (profiles)
    ("thread-not-found", 404, "Thread not found"),
    ("attachment-not-found", 404, "Attachment not found"),
    ("participant-not-related", 422, "Participant not related"),
    ("too-many-participants", 422, "Too many participants"),
    ("empty-message", 422, "Empty message"),
    ("learner-threads-off", 403, "Learner threads off"),
    ("not-a-participant", 403, "Not a participant"),
    # issue 17, retention and legal holds (profiles)
    ("legal-hold-active", 409, "Legal hold active"),
    ("retention-policy-invalid", 422, "Retention policy invalid"),
    ("step-closed", 409, "Step closed"),
    ("step-exists", 409, "Step exists"),
    ("step-id-required", 422, "Step id required"),
    ("step-not-found", 404, "Step not found"),
    ("step-not-placed", 409, "Step not placed"),
    ("step-not-skipped", 409, "Step not skipped"),
    ("step-not-unplaced", 409, "Step not unplaced"),
    ("system-only", 403, "System only"),
    ("too-deeply-nested", 422, "Too deeply nested"),
    ("too-many-requests", 429, "Too Many Requests"),
    ("too-many-skills", 422, "Too many skills"),
    ("unauthorized", 401, "Unauthorized"),
    ("unknown-event-type", 422, "Unknown event type"),
    ("unknown-item", 422, "Unknown item"),
    ("unknown-operation", 422, "Unknown operation"),
    ("unknown-reference", 422, "Unknown reference"),
    ("unknown-scope", 422, "Unknown scope"),
    ("unknown-skill", 422, "Unknown skill"),
    ("unknown-skill-codes", 422, "Unknown skill codes"),
    ("unprocessable-content", 422, "Unprocessable Entity"),
    ("unsafe-webhook-url", 422, "Unsafe webhook URL"),
    ("unsupported-grant-type", 400, "Unsupported grant type"),
    ("upstream-error", 502, "Upstream error"),
    ("upstream-timeout", 504, "Upstream timeout"),
    ("user-not-found", 404, "User not found"),
    ("validation-error", 422, "Request validation failed"),
    ("webhook-delivery-not-found", 404, "Webhook delivery not found"),
    ("webhook-endpoint-disabled", 422, "Webhook endpoint disabled"),
    ("webhook-endpoint-not-found", 404, "Webhook endpoint not found"),
    # Motivation (assessment, issue 16).
    ("not-the-learner", 403, "Not the learner"),
    # Open Badges credentials (assessment, issue 16).
    ("skill-not-mastered", 409, "Skill not mastered"),
    ("status-list-full", 409, "Status list full"),
    ("goal-not-completed", 409, "Goal not completed"),
    ("goal-skills-not-mastered", 409, "Goal skills not mastered"),
    ("goal-without-skills", 409, "Goal without skills"),
    # Step evidence in the learner's format (pathways, issue 16 part 5; assessment records it).
    ("artifact-not-yours", 422, "Artifact not yours"),
    ("evidence-format-not-allowed", 422, "Evidence format not allowed"),
    ("evidence-pending", 409, "Evidence pending"),
    ("evidence-not-found", 404, "Evidence not found"),
    ("export-not-ready", 409, "Export not ready"),
    ("deletion-not-confirmed", 422, "Deletion not confirmed"),
    ("evidence-conflict", 409, "Evidence conflict"),
    # The change feed (profiles, issue 17 part 6).
    ("cursor-of-another-district", 400, "Cursor of another district"),
    # An event in the hub's batch of another district than the delivery's (issue 13).
    ("district-mismatch", 403, "District mismatch"),
    ("{object}-exists", 409, "{Object} exists"),
    ("{object}-forbidden", 403, "{Object} forbidden"),
    ("{object}-not-found", 404, "{Object} not found"),
)

# When the general types answer (the others say it in their title; the detail says the rest).
_WHEN = {
    "malformed-json": "the body is not JSON",
    "invalid-cursor": "a `cursor` that is not a `next_cursor` we issued",
    "cursor-of-another-district": "`GET /v1/changes`: the cursor is one of another district's "
    "change feed (a sync configured with the wrong credentials); keep one cursor per district",
    "bad-request": "a request that cannot be served as sent",
    "unauthorized": "missing or bad token (`WWW-Authenticate` says why)",
    "forbidden": "authenticated, but the role or scope does not allow it",
    "forbidden-role": "the caller's role may not call this operation",
    "forbidden-scope": "the client's scopes do not allow this operation",
    "not-found": "no such object in the caller's district (another district's objects also answer 404)",
    "{object}-not-found": "no such object in the caller's district; also a path parameter that "
    "cannot name one (a control character, or not a UUID where the operation takes one), never "
    "forwarded",
    "{object}-forbidden": "the object is in the caller's district, but the caller has no "
    "relation to it (not their class, child, school)",
    "conflict": "a duplicate or a state that does not allow the change",
    "invalid-idempotency-key": "an `Idempotency-Key` outside 1-200 characters of letters, digits "
    "and `-_.:`",
    "idempotency-key-in-progress": "the first request with this key is still running; "
    "`Retry-After` says when to retry",
    "idempotency-key-reused": "this key was used (by the same caller) for a different request",
    "precondition-failed": "`If-Match` does not match the current `ETag`",
    "validation-error": "fields invalid or unknown; `errors[]` lists them",
    "too-deeply-nested": "a JSON body nested more than 32 levels deep",
    "nul-character": "a JSON string holding an escaped NUL (`\\u0000`)",
    "precondition-required": "an edit without `If-Match`",
    "too-many-requests": "rate limit; `Retry-After` says when",
    "rate-limited": "rate limit; `Retry-After` says when",
    "service-unavailable": "an upstream is down; `Retry-After` says when",
    "upstream-error": "the owning service failed; quote the request id",
    "unknown-operation": "an audit search's `operation` names no operation: give an operation "
    "id or the method and route template, e.g. `GET /v1/learners/{learner_id}/profile`",
    "upstream-timeout": "the owning service did not answer in time; `Retry-After` says when",
    "internal-error": "a bug: quote the request id",
    "database-unavailable": "the service's own database cannot be reached; `Retry-After` says when",
    "invalid-request": "token endpoint (RFC 6749 §5.2 `invalid_request`): a parameter missing, "
    "repeated or too long, or two client authentication methods",
    "invalid-client": "token endpoint (`invalid_client`): unknown client or wrong secret; "
    "`WWW-Authenticate: Basic`",
    "invalid-grant": "token endpoint (`invalid_grant`): the development login names no active user",
    "invalid-scope": "token endpoint (`invalid_scope`): a scope the client was not given",
    "unsupported-grant-type": "token endpoint (`unsupported_grant_type`): a grant other than "
    "`client_credentials` (or `password` where the development login is on)",
    "goal-not-completed": "a credential asked for a goal whose status in profiles is not "
    "`achieved`; `goal_status` says what it is",
    "goal-skills-not-mastered": "a credential asked for a completed goal whose target skills "
    "are not all mastered now; `unmastered` lists them",
    "goal-without-skills": "a credential asked for a completed goal that names no target skills "
    "(its credential would attest nothing)",
    "framework-outdated": "a CASE package older (`lastChangeDateTime`) than the framework "
    "imported from the same document; `received` and `current` give both dates",
    "framework-version-conflict": "a CASE package with the same document identifier and "
    "`lastChangeDateTime` as an imported framework but other content; `diff` says what differs, "
    "nothing was changed",
    "invalid-framework-csv": "a framework CSV with row errors; `row_errors[]` names line and "
    "column of each, nothing was written",
    "invalid-filter-field": "OneRoster REST: `filter` names a field the collection does not "
    "filter on; `codeMinor` is `invalid_filter_field`",
    "invalid-selection-field": "OneRoster REST: `fields` names a field the collection does not "
    "have; `codeMinor` is `invalid_selection_field`",
    "invalid-sort-field": "OneRoster REST: `sort` names a field the collection does not sort on "
    "(or `orderBy` without `sort`); `codeMinor` is `invalid_sort_field`",
    "invalid-query": "OneRoster REST: a `filter` that does not parse or whose value does not fit "
    "its field, a bad `orderBy`, `limit` or `offset`; `parameter` names which",
    "mass-change-refused": "roster changes pushed through the inbound webhook would update or "
    "delete more than a guard kind's share of the district's active rows; `tripped` names the "
    "kinds, `guard` counts each, nothing was written; the batch again with `force` applies it",
    "learner-only": "only the learner themself may do this (write their own reflections)",
    "reflection-target-not-own": "a reflection on a goal that is not one of the learner's own; "
    "`errors[]` names the field",
    "survey-invalid": "a survey's questions do not fit their kind or the profile field they "
    "fill; `errors[]` names each field",
    "survey-answer-invalid": "answers that do not fit the survey's questions, or consent on a "
    "question that fills no profile field; `errors[]` names each field, nothing was stored",
    "survey-already-answered": "the learner answered this survey already (answers are given once)",
    "notification-not-found": "no notification of yours has this id (someone else's is not "
    "found either)",
    "notification-preferences-invalid": "quiet hours with a time zone that is not an IANA name, "
    "or an end equal to the start; `errors[]` names each field, nothing was stored",
    "profile-changed-concurrently": "the profile changed while a survey answer applied to it; "
    "nothing was stored, send the answers again",
    "legal-hold-active": 'the learner is under a legal hold (docs/privacy.md, "Legal hold"): '
    "their data is not deleted, by the user delete route or the deletion job, until a district "
    "admin lifts it or its `until` day has passed; nothing was changed",
    "legal-hold-not-found": "the learner has never had a legal hold (reading it), or none is in "
    "place (lifting it)",
    "retention-policy-invalid": "a retention policy whose under-13 period is longer than the "
    "general one; `errors[]` names the field, nothing was stored",
    "thread-not-found": "no thread of that id about this learner, or one you do not take part "
    "in (a thread is seen by its participants and the district's administrators only)",
    "participant-not-related": "a participant named for a thread is not related to the learner "
    "(their teacher, linked guardian, school administrator, or the learner when the district "
    "allows); `refused[]` lists them, nothing was written",
    "learner-threads-off": "the district does not let learners take part in threads about them "
    "(`PROFILES_LEARNER_IN_THREADS`)",
    "not-a-participant": "only the learner's teachers, guardians and school administrators "
    "write in threads about them (a district administrator reads, to moderate)",
    "export-not-ready": "a learner export's zip is asked for while the job is queued, running, "
    "failed or past its `expires_at`; poll the job, or ask for a new export",
    "deletion-not-confirmed": "a learner deletion whose body's `confirm_learner_id` is not the "
    "learner of the path (an erase cannot be undone: the id is asked twice); nothing was "
    "deleted",
    "database-busy": "SQLite only: other writes held the database past its 10 s wait; "
    "`Retry-After` says when",
}

CATALOG: Mapping[str, ProblemType] = {
    slug: ProblemType(slug, status, title, _WHEN.get(slug, ""))
    for slug, status, title in _TYPES
    if "{" not in slug
}
FAMILIES: Mapping[str, ProblemType] = {
    slug: ProblemType(slug, status, title, _WHEN.get(slug, ""))
    for slug, status, title in _TYPES
    if "{" in slug
}
_FAMILY_PATTERNS = tuple(
    (re.compile(re.escape(slug).replace(re.escape("{object}"), "(?P<object>[a-z][a-z-]*)")), kind)
    for slug, kind in FAMILIES.items()
)


def _family_object(family: str, slug: str) -> str | None:
    pattern = re.escape(family).replace(re.escape("{object}"), "(?P<object>[a-z][a-z-]*)")
    found = re.fullmatch(pattern, slug)
    return found.group("object") if found else None


def slug_of(problem_type: str) -> str | None:
    """The slug of one of our ``type`` URIs; None for another's (``about:blank``, a stranger's)."""
    if problem_type.startswith(PROBLEM_TYPE_BASE):
        return problem_type.removeprefix(PROBLEM_TYPE_BASE) or None
    return None


def lookup(slug: str) -> ProblemType | None:
    """The registered type of a slug: itself, or its family's; None when it is not registered."""
    known = CATALOG.get(slug)
    if known is not None:
        return known
    for pattern, family in _FAMILY_PATTERNS:
        if pattern.fullmatch(slug):
            return family.for_object(slug)
    return None
