"""The audit log in plain words: what an operation did to a learner's records, who did it (as
what) and why, for a guardian's "who looked at my child's records" (FERPA's record of
disclosures, 34 CFR 99.32) and for an admin reading the log.

``PHRASES`` is the one table of operation → phrase. It is keyed by the operation id the gateway
records (the services' ``operationId``, and the gateway's own aggregate names), and a test walks
every public operation of the route table that names a learner, class or school (and every
OneRoster operation, whose answers name learners by sourcedId) and fails when one has no phrase.
An entry recorded under an operation that has since been renamed or removed still reads, with the
action's generic phrase (``FALLBACK``): an old entry never breaks the log.

The purpose is derived from who acted (their role when they acted, or the integration) and the
area of the operation (``purpose_of``); docs/gateway.md, "Readable audit", lists the mapping.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ANOTHER_GUARDIAN",
    "FALLBACK",
    "PHRASES",
    "PURPOSES",
    "RECORDED_AS",
    "ROLE_WORDS",
    "UNRECORDED",
    "Area",
    "Phrase",
    "another_guardian",
    "phrase_of",
    "purpose_of",
    "role_words",
    "sentence",
]

Area = Literal[
    "profile",
    "goals",
    "voice",
    "surveys",
    "messages",
    "pathway",
    "portfolio",
    "evidence",
    "consents",
    "assessment",
    "mastery",
    "credentials",
    "class",
    "school",
    "roster",
    "records",
]


@dataclass(frozen=True)
class Phrase:
    """What the actor did, as the rest of a sentence that starts with their name."""

    text: str
    area: Area


def _p(text: str, area: Area) -> Phrase:
    return Phrase(text, area)


PHRASES: Mapping[str, Phrase] = {
    # profiles: the learning profile, goals, the learner's voice, surveys
    "get_profile": _p("viewed the learning profile", "profile"),
    "patch_profile": _p("changed the learning profile", "profile"),
    "list_history": _p("viewed the history of changes to the learning profile", "profile"),
    "list_goals": _p("viewed the goals", "goals"),
    "create_goal": _p("added a goal", "goals"),
    "update_goal": _p("changed a goal", "goals"),
    "delete_goal": _p("removed a goal", "goals"),
    "list_goal_comments": _p("viewed the comments on a goal", "goals"),
    "add_goal_comment": _p("commented on a goal", "goals"),
    "co_sign_goal": _p("co-signed a goal", "goals"),
    "list_reflections": _p("viewed the reflections", "voice"),
    "get_reflection": _p("viewed a reflection", "voice"),
    "add_reflection": _p("wrote a reflection", "voice"),
    "add_reply": _p("replied to a reflection", "voice"),
    "latest_confidence": _p("viewed the learner's own confidence ratings", "voice"),
    "list_learner_surveys": _p("viewed the surveys sent to the learner", "surveys"),
    "get_learner_survey": _p("viewed a survey and its answers", "surveys"),
    "answer_survey": _p("answered a survey", "surveys"),
    "create_thread": _p("started a message thread about the learner", "messages"),
    "list_threads": _p("viewed the message threads about the learner", "messages"),
    "get_thread": _p("read a message thread about the learner", "messages"),
    "list_messages": _p("read the messages of a thread about the learner", "messages"),
    "post_message": _p("wrote in a message thread about the learner", "messages"),
    "mark_read": _p("marked a message thread about the learner as read", "messages"),
    # ``/v1/me/threads``: the caller's threads across learners (each names its learner)
    "my_threads": _p("viewed their message threads, which include this learner's", "messages"),
    "download_attachment": _p("downloaded a message attachment", "messages"),
    # profiles: legal holds (docs/privacy.md, "Legal hold")
    "get_legal_hold": _p("viewed the legal hold on the learner's records", "records"),
    "set_legal_hold": _p("placed the learner's records under a legal hold", "records"),
    "lift_legal_hold": _p("lifted the legal hold on the learner's records", "records"),
    # profiles: classes and schools (recorded against a learner when an answer names one)
    "get_class": _p("viewed a class", "class"),
    "update_class": _p("changed a class", "class"),
    "delete_class": _p("deleted a class", "class"),
    "list_class_enrollments": _p("viewed a class list", "class"),
    "create_enrollment": _p("enrolled someone in a class", "class"),
    "get_school": _p("viewed a school's record", "school"),
    "update_school": _p("changed a school's record", "school"),
    "delete_school": _p("deleted a school's record", "school"),
    # profiles: the OneRoster API (the district's systems reading the roster)
    "getAllOrgs": _p("read the district's organisations from the roster", "roster"),
    "getOrg": _p("read an organisation from the roster", "roster"),
    "getAllSchools": _p("read the schools from the roster", "roster"),
    "getSchool": _p("read a school from the roster", "roster"),
    "getClassesForSchool": _p("read a school's classes from the roster", "roster"),
    "getEnrollmentsForSchool": _p("read a school's enrollments from the roster", "roster"),
    "getStudentsForSchool": _p("read a school's students from the roster", "roster"),
    "getTeachersForSchool": _p("read a school's teachers from the roster", "roster"),
    "getAllAcademicSessions": _p("read the school calendar from the roster", "roster"),
    "getAcademicSession": _p("read a term from the roster", "roster"),
    "getAllCourses": _p("read the courses from the roster", "roster"),
    "getCourse": _p("read a course from the roster", "roster"),
    "getAllClasses": _p("read the classes from the roster", "roster"),
    "getClass": _p("read a class from the roster", "roster"),
    "getStudentsForClass": _p("read a class's students from the roster", "roster"),
    "getTeachersForClass": _p("read a class's teachers from the roster", "roster"),
    "getAllUsers": _p("read the people in the roster", "roster"),
    "getUser": _p("read a person's roster record", "roster"),
    "getAllStudents": _p("read the students in the roster", "roster"),
    "getAllTeachers": _p("read the teachers in the roster", "roster"),
    "getAllEnrollments": _p("read the enrollments in the roster", "roster"),
    "getEnrollment": _p("read an enrollment from the roster", "roster"),
    # pathways: the pathway, plans the learner proposes, flags, portfolio, consents, evidence
    "get_pathway": _p("viewed the learning pathway", "pathway"),
    "plan_pathway": _p("planned a new learning pathway", "pathway"),
    "approve_pathway": _p("approved the learning pathway", "pathway"),
    "choose_activity": _p("chose an activity on the learning pathway", "pathway"),
    "override_pathway": _p("changed the learning pathway by hand", "pathway"),
    "list_pathway_versions": _p("viewed earlier versions of the learning pathway", "pathway"),
    "list_proposals": _p("viewed the plans the learner proposed", "pathway"),
    "get_proposal": _p("viewed a plan the learner proposed", "pathway"),
    "propose_plan": _p("proposed a plan", "pathway"),
    "edit_proposal": _p("changed a proposed plan", "pathway"),
    "return_proposal": _p("returned a proposed plan for changes", "pathway"),
    "approve_proposal": _p("approved a proposed plan", "pathway"),
    "list_flags": _p("viewed the learning alerts", "pathway"),
    "dismiss_flag": _p("dismissed a learning alert", "pathway"),
    "current_groups": _p("viewed the class's groups", "class"),
    "group_class": _p("grouped the class", "class"),
    "assign_group_activities": _p("assigned activities to the class's groups", "class"),
    "class_insights": _p("viewed the class's learning alerts", "class"),
    "list_artifacts": _p("viewed the portfolio", "portfolio"),
    "get_artifact": _p("viewed a portfolio piece", "portfolio"),
    "download_file": _p("downloaded a portfolio file", "portfolio"),
    "add_artifact": _p("added a portfolio piece", "portfolio"),
    "update_artifact": _p("changed a portfolio piece", "portfolio"),
    "add_feedback": _p("gave feedback on a portfolio piece", "portfolio"),
    "list_consents": _p("viewed the consents for off-site activities", "consents"),
    "give_consent": _p("gave consent for an off-site activity", "consents"),
    "withdraw_consent": _p("withdrew consent for an off-site activity", "consents"),
    "get_evidence_rule": _p("viewed how a step's work is shown", "evidence"),
    "put_evidence_rule": _p("set how a step's work is shown", "evidence"),
    "submit_evidence": _p("handed in work for a step", "evidence"),
    "list_evidence": _p("viewed the work handed in", "evidence"),
    "get_evidence": _p("viewed a piece of work handed in", "evidence"),
    "score_evidence": _p("scored a piece of work", "evidence"),
    # assessment: skill checks, mastery, motivation, credentials
    "start_attempt": _p("started a skill check", "assessment"),
    "list_attempts": _p("viewed the skill checks taken", "assessment"),
    "get_attempt": _p("viewed a skill check and its answers", "assessment"),
    "answer_item": _p("answered a question of a skill check", "assessment"),
    "next_item": _p("asked for the next question of a skill check", "assessment"),
    "finish_attempt": _p("finished a skill check", "assessment"),
    "score_rubric": _p("scored an answer of a skill check", "assessment"),
    "get_learner_mastery": _p("viewed the skills mastered", "mastery"),
    "get_mastery_history": _p("viewed the progress on a skill", "mastery"),
    "get_motivation": _p("viewed the badges and streaks", "mastery"),
    "set_motivation_preferences": _p("changed the badge and streak settings", "mastery"),
    "list_credentials": _p("viewed the credentials", "credentials"),
    "issue_credential": _p("asked for a credential", "credentials"),
    "get_credential": _p("viewed a credential", "credentials"),
    "download_credential": _p("downloaded a credential", "credentials"),
    "revoke_credential": _p("revoked a credential", "credentials"),
    # the gateway's own views (recorded under these names, see aggregates/service.py)
    "learner_overview": _p("viewed the learner overview", "records"),
    "getLearnerOverview": _p("viewed the learner overview", "records"),
    "class_dashboard": _p("viewed the class dashboard", "class"),
    "getClassDashboard": _p("viewed the class dashboard, which shows this learner", "class"),
    "my_child_summary": _p("viewed the family summary", "records"),
    "getFamilySummary": _p("viewed the family summary", "records"),
    "listMyChildren": _p("viewed the list of their children", "records"),
    # the right to inspect (docs/privacy.md): a copy of all of the learner's records
    "createLearnerExport": _p("asked for a copy of all of the learner's records", "records"),
    "getLearnerExport": _p("checked on a copy of the learner's records", "records"),
    "downloadLearnerExport": _p("downloaded a copy of all of the learner's records", "records"),
    # the right to deletion (docs/privacy.md): the entry is erased with the learner's records
    "createLearnerDeletion": _p("asked for all of the learner's records to be erased", "records"),
    # profiles: a user's own notifications (they can name a learner)
    "list_notifications": _p("read their notifications, which mention this learner", "records"),
    "read_notification": _p("marked a notification about this learner read", "records"),
}

# The gateway's own views record their reads under these names (``aggregates/service.py``):
# a filter naming the route finds them.
RECORDED_AS: Mapping[tuple[str, str], str] = {
    ("GET", "/v1/learners/{learner_id}/overview"): "getLearnerOverview",
    ("GET", "/v1/classes/{class_id}/dashboard"): "getClassDashboard",
    ("GET", "/v1/me/children"): "listMyChildren",
    ("GET", "/v1/me/children/{learner_id}/summary"): "getFamilySummary",
    ("POST", "/v1/learners/{learner_id}/exports"): "createLearnerExport",
    ("GET", "/v1/learners/{learner_id}/exports/{export_id}"): "getLearnerExport",
    ("GET", "/v1/learners/{learner_id}/exports/{export_id}/download"): "downloadLearnerExport",
    ("POST", "/v1/learners/{learner_id}/deletions"): "createLearnerDeletion",
}

# Reading the audit log is not itself recorded (a log of reading the log would fill a
# guardian's page with their own visits): these operations name a learner but need no phrase.
UNRECORDED = frozenset({"learner_audit", "learner_access_log", "search_audit"})

FALLBACK: Mapping[str, Phrase] = {
    "read": _p("viewed records", "records"),
    "write": _p("changed records", "records"),
}

# A role as a guardian reads it.
ROLE_WORDS: Mapping[str, str] = {
    "student": "student",
    "guardian": "parent or guardian",
    "teacher": "teacher",
    "school_admin": "school administrator",
    "district_admin": "district administrator",
}
# Order of several roles in a sentence: the most specific relation to a learner first.
_ROLE_ORDER = ("student", "guardian", "teacher", "school_admin", "district_admin")

# Why a user looked, by the role they acted in.
PURPOSES: Mapping[str, str] = {
    "student": "the learner's own learning",
    "guardian": "a parent's or guardian's right to see their child's records",
    "teacher": "teaching",
    "school_admin": "school administration",
    "district_admin": "district administration",
}
# An integration client acts for the district: roster reads are its roster sync.
_CLIENT_ROSTER = "district roster sync"
_CLIENT_OTHER = "district data exchange with an integrated system"
_UNKNOWN_PURPOSE = "not recorded"

_FAILED = " (the request failed: nothing was shown or changed)"

# How a guardian's access log shows another guardian of the same child (a separated parent,
# a foster carer): their role, never their name or id. School officials stay named (FERPA's
# record of disclosures names who received the records; parents are not disclosures).
ANOTHER_GUARDIAN = "Another parent or guardian"
_STAFF_ROLES = frozenset({"teacher", "school_admin", "district_admin"})


def phrase_of(operation: str, action: str) -> Phrase:
    """The phrase of an operation; an unknown one (renamed since it was recorded) reads with
    its action's generic phrase."""
    found = PHRASES.get(operation)
    if found is not None:
        return found
    return FALLBACK.get(action, FALLBACK["read"])


def _ordered(roles: Iterable[str]) -> list[str]:
    unique = set(roles)
    known = [r for r in _ROLE_ORDER if r in unique]
    return known + sorted(unique - set(_ROLE_ORDER))


def role_words(actor_kind: str, roles: Iterable[str]) -> str:
    """The role(s) an actor acted in, in words: "teacher", "teacher and school administrator",
    "integration"."""
    if actor_kind == "client":
        return "integration"
    words = [ROLE_WORDS.get(r, r.replace("_", " ")) for r in _ordered(roles)]
    return " and ".join(words) if words else "user"


def purpose_of(actor_kind: str, roles: Iterable[str], area: Area) -> str:
    """Why: an integration's purpose follows from what it read (the roster or other records);
    a user's from the role(s) they acted in (several: each, joined with "or", since the log
    does not know which relation the access check used)."""
    if actor_kind == "client":
        return _CLIENT_ROSTER if area == "roster" else _CLIENT_OTHER
    purposes = list(dict.fromkeys(PURPOSES[r] for r in _ordered(roles) if r in PURPOSES))
    return " or ".join(purposes) if purposes else _UNKNOWN_PURPOSE


def sentence(
    actor_name: str,
    actor_kind: str,
    roles: Iterable[str],
    phrase: Phrase,
    status: int,
    *,
    with_role: bool = True,
) -> str:
    """One entry in plain words: "Ana Rivera (teacher) viewed the learning profile"; without
    the role when the name is one already ("Another parent or guardian viewed …")."""
    who = f"{actor_name} ({role_words(actor_kind, roles)})" if with_role else actor_name
    text = f"{who} {phrase.text}"
    return text + _FAILED if status >= 400 else text


def another_guardian(viewer: str, actor: str, actor_kind: str, roles: Iterable[str]) -> bool:
    """Whether an entry's actor is a guardian other than ``viewer`` (the one reading): a user
    acting as a guardian and in no staff role (a teacher who is also a parent acts, as far as
    the log knows, as a school official, and is named as one)."""
    held = set(roles)
    return (
        actor_kind == "user" and actor != viewer and "guardian" in held and not held & _STAFF_ROLES
    )
