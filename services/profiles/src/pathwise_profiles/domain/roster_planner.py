"""The diff between a set of OneRoster records and a district's roster: what to create, update
and mark ``tobedeleted``, with every reference resolved to our ids (the plan's types are
``roster_plan``'s).

Pure: the snapshot of the district comes in, the plan goes out. Applying the same file set twice
gives an empty plan the second time (idempotent by ``sourcedId``): a record whose values equal the
stored ones is ``unchanged``.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from pathwise_profiles.domain.oneroster_csv import FileMode, RowError
from pathwise_profiles.domain.roster_plan import Existing, KindPlan, Link, Plan, Snapshot, Write
from pathwise_profiles.domain.roster_records import KINDS, OtherOrg, Record, RoleGrant

__all__ = ["make_plan"]

# OneRoster file of each record kind (for error messages and modes).
FILE_OF = {
    "schools": "orgs",
    "sessions": "academicSessions",
    "courses": "courses",
    "classes": "classes",
    "users": "users",
    "enrollments": "enrollments",
}
# Which kind each reference column points at.
REF_KIND = {
    "school_id": "schools",
    "parent_id": "sessions",
    "course_id": "courses",
    "session_id": "sessions",
    "class_id": "classes",
    "user_id": "users",
}
# How a message names one record of a kind ("no class with sourcedId …", never "no classe").
SINGULAR = {
    "schools": "school",
    "sessions": "academic session",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
}
# Users of these roles need a school to be seen by their school's admins; a district admin
# belongs to the district, and a guardian reaches a child through the link, not a school.
NEED_A_SCHOOL = frozenset({"student", "teacher", "school_admin"})
# What a department's chain may end in for the department to stand in for a missing school:
# nothing (no parent) or an org we know nothing of. Ending in one of these, or in the district's
# own org, it is an office above the schools, and naming it as a school stays an error.
_NEVER_A_SCHOOL = frozenset({"district", "local", "state", "national"})
REF_FIELD = {
    ("classes", "school_id"): "schoolSourcedId",
    ("classes", "course_id"): "courseSourcedId",
    ("classes", "session_id"): "termSourcedIds",
    ("sessions", "parent_id"): "parentSourcedId",
    ("enrollments", "class_id"): "classSourcedId",
    ("enrollments", "user_id"): "userSourcedId",
    ("courses", "school_id"): "orgSourcedId",
}


class _Resolver:
    def __init__(self, snapshot: Snapshot) -> None:
        self.ids: dict[str, dict[str, uuid.UUID]] = {
            kind: {sid: e.id for sid, e in snapshot.by_kind.get(kind, {}).items()} for kind in KINDS
        }
        self.class_school: dict[uuid.UUID, uuid.UUID] = {
            e.id: e.values["school_id"] for e in snapshot.by_kind.get("classes", {}).values()
        }
        self.other_orgs = set(snapshot.other_orgs)
        self.org_info: dict[str, OtherOrg] = {}
        self.orgs_complete = True
        # rows that failed (reading or planning), by kind and sourcedId: (file, line)
        self.failed_at: dict[str, dict[str, tuple[str, int]]] = {kind: {} for kind in KINDS}
        # rows of the file set marked tobedeleted, by kind and sourcedId: (file, line)
        self.deleted_at: dict[str, dict[str, tuple[str, int]]] = {kind: {} for kind in KINDS}
        # whether the file set sends courses.csv: without it, a course we do not know may well
        # exist in the SIS, so a class naming it is kept (without a course) rather than refused
        self.courses_sent = True
        # users whose roles.csv rows were all out of their dates, by sourcedId
        self.roles_out_of_date: set[str] = set()

    def school_of(self, org: str) -> uuid.UUID | None:
        """The school an org is or sits under: a department's school is its parent's (or its
        parent's parent's: the chain is walked up to the first school, cycles stop it)."""
        seen: set[str] = set()
        current: str | None = org
        while current is not None and current not in seen:
            info = self.org_info.get(current)
            # An org this file set sends as a department is not a school, even if an earlier
            # file set had it stand in for one (``_stand_in_schools``).
            found = self.ids["schools"].get(current) if info is None else None
            if found is not None:
                return found
            seen.add(current)
            current = info.parent if info is not None else None
        return None

    def chain(self, org: str) -> str:
        """``dept-1 (department) → d1 (district)``: how a message shows an org with no school."""
        parts: list[str] = []
        seen: set[str] = set()
        current: str | None = org
        while current is not None and current not in seen:
            seen.add(current)
            info = self.org_info.get(current)
            parts.append(f"{current!r} ({info.type})" if info else repr(current))
            current = info.parent if info is not None else None
        return " → ".join(parts)

    def is_known_org(self, org: str) -> bool:
        return org in self.other_orgs or org in self.org_info

    def failed(self, kind: str, sid: str) -> str | None:
        """How a message names a row of ``kind`` that failed: its file and line."""
        where = self.failed_at[kind].get(sid)
        if where is None:
            return None
        return f"{where[0]}.csv line {where[1]}"

    def deleted(self, kind: str, sid: str) -> str | None:
        """How a message names a row of ``kind`` the file set marks tobedeleted."""
        where = self.deleted_at[kind].get(sid)
        if where is None:
            return None
        return f"{where[0]}.csv line {where[1]}"


def _in_effect(grant: RoleGrant, today: date | None) -> str | None:
    """Why a roles.csv row does not grant its role today (None: it does)."""
    if today is None:
        return None
    if grant.end is not None and grant.end < today:
        return f"ended on {grant.end.isoformat()}"
    if grant.begin is not None and grant.begin > today:
        return f"begins on {grant.begin.isoformat()}"
    return None


def _merge_grants(
    users: list[Record],
    grants: Iterable[RoleGrant],
    errors: list[RowError],
    warnings: list[RowError],
    failed: set[str],
    today: date | None,
    resolver: "_Resolver",
) -> None:
    by_sid = {u.sourced_id: u for u in users}
    granted: set[str] = set()
    for grant in grants:
        user = by_sid.get(grant.user_sourced_id)
        if user is None and grant.user_sourced_id in failed:
            continue  # the user's own row already carries the error
        if user is None:
            errors.append(
                RowError(
                    grant.file,
                    grant.line,
                    "userSourcedId",
                    f"no user {grant.user_sourced_id!r} in users.csv",
                )
            )
            continue
        if grant.status != "active":
            continue
        why_not = _in_effect(grant, today)
        if why_not is not None:
            field = "endDate" if why_not.startswith("ended") else "beginDate"
            warnings.append(
                RowError(
                    grant.file,
                    grant.line,
                    field,
                    f"the {grant.role} role of {grant.user_sourced_id!r} {why_not}: not granted",
                )
            )
            resolver.roles_out_of_date.add(grant.user_sourced_id)
            continue
        granted.add(grant.user_sourced_id)
        user.roles.add(grant.role)
        if grant.org_sourced_id not in user.org_refs:
            user.org_refs.append(grant.org_sourced_id)
    resolver.roles_out_of_date -= granted


def make_plan(
    records: dict[str, list[Record]],
    modes: dict[str, FileMode],
    snapshot: Snapshot,
    *,
    grants: Iterable[RoleGrant] = (),
    errors: Iterable[RowError] = (),
    failed: dict[str, set[str]] | None = None,
    failed_lines: Mapping[str, Mapping[str, int]] | None = None,
    skipped: int = 0,
    other_orgs: Mapping[str, OtherOrg] | None = None,
    today: date | None = None,
    new_id: Callable[[], uuid.UUID],
) -> Plan:
    """``records`` by kind (rows that read cleanly); ``failed`` holds the sourcedIds of rows that
    did not, so a bulk file does not delete what it merely failed to read (``failed_lines``:
    their lines, for the messages of rows naming them); ``other_orgs`` are orgs of the file set
    that are not schools (the district org, departments), which classes and users may name;
    roles.csv rows grant their role only if ``today`` is within their dates (None: all do)."""
    all_errors = list(errors)
    warnings: list[RowError] = []
    failed = {kind: set(ids) for kind, ids in (failed or {}).items()}
    resolver = _Resolver(snapshot)
    for kind, lines in (failed_lines or {}).items():
        resolver.failed_at[kind].update((sid, (FILE_OF[kind], n)) for sid, n in lines.items())
    _merge_grants(
        records.get("users", []),
        grants,
        all_errors,
        warnings,
        failed.get("users", set()),
        today,
        resolver,
    )
    resolver.org_info = dict(other_orgs or {})
    # Without orgs.csv we cannot tell a district or department org from a typo: let it pass.
    resolver.orgs_complete = modes.get("orgs", "absent") != "absent"
    resolver.courses_sent = modes.get("courses", "absent") != "absent"
    stand_ins = _stand_in_schools(records, resolver, warnings)
    if stand_ins:
        records = {**records, "schools": [*records.get("schools", []), *stand_ins]}
        skipped -= len(stand_ins)  # their rows are stored after all
    kinds: dict[str, KindPlan] = {}
    for kind in KINDS:
        mode = modes.get(FILE_OF[kind], "absent")
        if mode == "absent" and not records.get(kind):
            continue
        kinds[kind] = _plan_kind(
            kind,
            mode,
            records.get(kind, []),
            snapshot,
            resolver,
            all_errors,
            warnings,
            failed.setdefault(kind, set()),
            new_id,
        )
    links = _plan_links(records.get("users", []), snapshot, resolver, all_errors, new_id)
    return Plan(kinds=kinds, errors=all_errors, skipped=skipped, links=links, warnings=warnings)


def _stand_in_schools(
    records: Mapping[str, list[Record]], resolver: _Resolver, warnings: list[RowError]
) -> list[Record]:
    """Departments that stand in for a school the file set does not have.

    Some SIS (and the OneRoster fixtures of a public Moodle plugin) send a department as the
    only org, its school absent or not named at all, and name it as every class's school. A
    department is part of a school, so when nothing above it is a school, the topmost such
    department is kept as the school: its classes and users then have one, instead of every
    class and enrollment failing. Only a department that something names is kept, and only if
    its chain ends in nothing or in an org unknown to us; a chain reaching a district (or any
    org above the schools) is an office, which stays an error. A later file set that sends the
    school and puts the department under it moves the classes there (a bulk one also deletes
    the stand-in)."""
    file_schools = {r.sourced_id for r in records.get("schools", []) if r.status == "active"}

    def is_school(org: str) -> bool:
        return org in file_schools or org in resolver.ids["schools"]

    def top_department(org: str) -> OtherOrg | None:
        top: OtherOrg | None = None
        seen: set[str] = set()
        current: str | None = org
        while current is not None:
            if current in seen:
                return None  # a cycle: the message of ``_unresolved`` names it
            seen.add(current)
            info = resolver.org_info.get(current)
            if info is None:
                # above the departments: a school (then none is missing), the district's own
                # org, or one we know nothing of (the missing school, most likely)
                return None if is_school(current) or current in resolver.other_orgs else top
            if info.type != "department" or info.status != "active" or not info.name:
                return None
            top = info
            current = info.parent
        return top

    named: list[str | None] = [r.refs.get("school_id") for r in records.get("classes", [])]
    named += [r.refs.get("school_id?") for r in records.get("courses", [])]
    for user in records.get("users", []):
        named += user.org_refs
    promoted: dict[str, OtherOrg] = {}
    for org in named:
        if org is None or org not in resolver.org_info:
            continue
        top = top_department(org)
        if top is not None and len(top.name or "") <= 255:
            promoted.setdefault(top.sourced_id, top)
    stand_ins: list[Record] = []
    for sid, info in promoted.items():
        identifier = info.identifier if info.identifier and len(info.identifier) <= 100 else None
        values: dict[str, object] = {"name": info.name, "identifier": identifier}
        stand_ins.append(Record("schools", sid, "active", values, file="orgs", line=info.line))
        where = (
            "it has no parentSourcedId"
            if info.parent is None
            else f"its parent {info.parent!r} is in neither this file set nor your district"
        )
        warnings.append(
            RowError(
                "orgs",
                info.line,
                "type",
                f"department {sid!r} has no school above it ({where}); it is kept as a school "
                "so the classes and users naming it have one",
            )
        )
        del resolver.org_info[sid]
    return stand_ins


def _plan_links(
    users: list[Record],
    snapshot: Snapshot,
    resolver: _Resolver,
    errors: list[RowError],
    new_id: Callable[[], uuid.UUID],
) -> list[Link]:
    """Guardian links from OneRoster agents: a student naming a guardian or the other way round.
    Links are only added (or set active again); removing one is an API call."""
    ids = resolver.ids["users"]
    roles: dict[str, frozenset[str] | set[str]] = {
        sid: e.roles for sid, e in snapshot.by_kind.get("users", {}).items()
    }
    relationship: dict[str, str] = {}
    for record in users:
        if record.status == "active":
            roles[record.sourced_id] = record.roles
            relationship[record.sourced_id] = record.relationship
    links: list[Link] = []
    seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for record in users:
        me = ids.get(record.sourced_id)
        if record.status != "active" or me is None:
            continue
        for agent in record.agent_refs:
            other = ids.get(agent)
            if other is None:
                errors.append(
                    RowError(
                        record.file,
                        record.line,
                        "agentSourcedIds",
                        f"no user with sourcedId {agent!r}",
                    )
                )
                continue
            theirs = roles.get(agent, frozenset())
            if "student" in record.roles and "guardian" in theirs:
                pair, kind = (other, me), relationship.get(agent, "guardian")
            elif "guardian" in record.roles and "student" in theirs:
                pair, kind = (me, other), record.relationship
            else:
                continue  # agents that are not a guardian/student pair (a teacher, a sibling)
            if pair in seen:
                continue
            seen.add(pair)
            existing = snapshot.links.get(pair)
            if existing is None:
                links.append(Link(new_id(), pair[0], pair[1], kind))
            elif existing[1] != "active":
                links.append(Link(existing[0], pair[0], pair[1], kind, reactivate=True))
    return links


def _plan_kind(
    kind: str,
    mode: FileMode,
    records: list[Record],
    snapshot: Snapshot,
    resolver: _Resolver,
    errors: list[RowError],
    warnings: list[RowError],
    failed: set[str],
    new_id: Callable[[], uuid.UUID],
) -> KindPlan:
    existing = snapshot.by_kind.get(kind, {})
    plan = KindPlan()
    seen: set[str] = set(failed)
    valid: list[Record] = []
    for record in records:
        if record.sourced_id in seen:
            errors.append(
                RowError(
                    record.file,
                    record.line,
                    "sourcedId",
                    f"{record.sourced_id!r} appears more than once",
                )
            )
            continue
        seen.add(record.sourced_id)
        valid.append(record)
    # Ids first, so records of this kind can refer to each other (session parents).
    for record in valid:
        if record.status == "tobedeleted":
            resolver.deleted_at[kind][record.sourced_id] = (record.file, record.line)
        elif record.sourced_id not in resolver.ids[kind]:
            resolver.ids[kind][record.sourced_id] = new_id()
    usernames = dict(snapshot.usernames) if kind == "users" else {}
    dropped: dict[uuid.UUID, Record] = {}  # new rows that failed to plan, by the id they had
    for record in valid:
        before = existing.get(record.sourced_id)
        if record.status == "tobedeleted":
            if before is not None and before.status == "active":
                plan.deletes.append(_deleted(before, record.sourced_id))
            elif before is not None:
                plan.unchanged += 1
            continue
        write = _resolve(kind, record, resolver, errors, warnings, usernames)
        if write is None:
            resolver.failed_at[kind][record.sourced_id] = (record.file, record.line)
            if before is None:
                dropped[resolver.ids[kind].pop(record.sourced_id)] = record
            continue
        if kind == "classes":
            resolver.class_school[write.id] = write.values["school_id"]
        if before is None:
            plan.creates.append(write)
            continue
        changed = _changed(before, write)
        if changed:
            write.changed = changed
            write.before = before
            plan.updates.append(write)
        else:
            plan.unchanged += 1
    if mode == "bulk":
        for sid, before in existing.items():
            if sid not in seen and before.status == "active":
                plan.deletes.append(_deleted(before, sid))
    if kind == "sessions":
        _drop_orphans(plan, dropped, valid, resolver, errors)
        plan.creates = _parents_first(plan.creates)
    return plan


def _drop_orphans(
    plan: KindPlan,
    dropped: dict[uuid.UUID, Record],
    records: list[Record],
    resolver: _Resolver,
    errors: list[RowError],
) -> None:
    """Sessions whose parent, new in this file set, failed after they were resolved (it came
    later in the file): they would point at a row never written, so they fail too, naming it."""
    by_sid = {record.sourced_id: record for record in records}
    while dropped:
        parents, dropped = dropped, {}
        for writes in (plan.creates, plan.updates):
            for write in list(writes):
                parent = parents.get(write.values.get("parent_id"))  # type: ignore[arg-type]
                if parent is None:
                    continue
                writes.remove(write)
                record = by_sid[write.sourced_id]
                errors.append(
                    RowError(
                        record.file,
                        record.line,
                        "parentSourcedId",
                        _failed_parent(parent.sourced_id, f"{parent.file}.csv line {parent.line}"),
                    )
                )
                resolver.failed_at["sessions"][record.sourced_id] = (record.file, record.line)
                if write.before is None:
                    resolver.ids["sessions"].pop(record.sourced_id, None)
                    dropped[write.id] = record


def _failed_parent(sid: str, where: str) -> str:
    return (
        f"parent academic session {sid!r} failed to import ({where}); fix that row and this "
        "one imports too"
    )


def _deleted(before: Existing, sourced_id: str) -> Write:
    return Write(
        before.id,
        sourced_id,
        "tobedeleted",
        dict(before.values),
        before.roles,
        before.school_ids,
        ("status",),
        before,
    )


def _resolve(
    kind: str,
    record: Record,
    resolver: _Resolver,
    errors: list[RowError],
    warnings: list[RowError],
    usernames: dict[str, uuid.UUID],
) -> Write | None:
    my_id = resolver.ids[kind][record.sourced_id]
    values = dict(record.values)
    problems: list[RowError] = []

    def problem(column: str, message: str) -> None:
        problems.append(RowError(record.file, record.line, column, message))

    for column, target in record.refs.items():
        soft = column.endswith("?")
        name = column.rstrip("?")
        if target is None:
            values[name] = None
            continue
        target_kind = REF_KIND[name]
        column_name = REF_FIELD.get((kind, name), name)
        deleted = resolver.deleted(target_kind, target)
        if deleted is not None:
            found = None  # stored perhaps, but this very file set deletes it
        elif target_kind == "schools":
            found = resolver.school_of(target)
        else:
            found = resolver.ids[target_kind].get(target)
        values[name] = found
        if found is not None or soft:
            continue
        if name == "parent_id" and resolver.failed(target_kind, target) is None:
            # A parent only arranges sessions in a tree: a term is as usable without its
            # school year, and refusing it would fail every class of the term as well.
            why = (
                f"is marked tobedeleted ({deleted})"
                if deleted is not None
                else "is in neither this file set nor your district"
            )
            warnings.append(
                RowError(
                    record.file,
                    record.line,
                    column_name,
                    f"parent academic session {target!r} {why}; the session is imported "
                    "without a parent",
                )
            )
        elif name == "course_id" and deleted is None and not resolver.courses_sent:
            warnings.append(
                RowError(
                    record.file,
                    record.line,
                    column_name,
                    f"no course with sourcedId {target!r} in your district, and this file set "
                    "has no courses.csv; the class is kept without a course",
                )
            )
        elif deleted is not None:
            problem(
                column_name,
                f"{SINGULAR[target_kind]} {target!r} is marked tobedeleted ({deleted}); "
                f"an active {SINGULAR[kind]} cannot refer to it",
            )
        else:
            problem(column_name, _unresolved(target_kind, name, target, resolver))
    if kind == "enrollments" and values.get("class_id") is not None:
        values["school_id"] = resolver.class_school.get(values["class_id"])
    school_ids: set[uuid.UUID] = set()
    if kind == "users":
        if not record.roles and record.sourced_id in resolver.roles_out_of_date:
            problem(
                "role",
                "the user has no role in effect: every roles.csv row of theirs has ended or "
                "not begun (their lines say which)",
            )
        elif not record.roles:
            problem("role", "the user has no role (users.csv role or roles.csv)")
        for org in record.org_refs:
            school = resolver.school_of(org)
            if school is not None:
                school_ids.add(school)
            elif not resolver.is_known_org(org) and resolver.orgs_complete:
                problem("orgSourcedIds", f"no org with sourcedId {org!r}")
        if not school_ids and record.roles & NEED_A_SCHOOL and not problems:
            orgs = ", ".join(resolver.chain(org) for org in record.org_refs) or "none"
            warnings.append(
                RowError(
                    record.file,
                    record.line,
                    "orgSourcedIds",
                    f"no school among the user's orgs or above them (orgs: {orgs}); the user "
                    "is kept without a school, so no school admin sees them",
                )
            )
        holder = usernames.get(values["username"])
        if holder is not None and holder != my_id:
            problem("username", f"{values['username']!r} is taken by another user")
        else:
            usernames[values["username"]] = my_id
    if problems:
        errors.extend(problems)
        return None
    return Write(
        my_id, record.sourced_id, "active", values, frozenset(record.roles), frozenset(school_ids)
    )


def _unresolved(kind: str, column: str, target: str, resolver: _Resolver) -> str:
    """Why a reference to ``target`` (a ``kind``) resolves to nothing, as precisely as we know."""
    where = resolver.failed(kind, target)
    if where is not None and column == "parent_id":
        return _failed_parent(target, where)
    if where is not None:
        return (
            f"{SINGULAR[kind]} {target!r} failed to import ({where}); fix that row and this one "
            "imports too"
        )
    if kind == "schools" and resolver.is_known_org(target):
        return (
            f"org {resolver.chain(target)} is not a school and has no school above it; name the "
            "school (or a department of it)"
        )
    return f"no {SINGULAR[kind]} with sourcedId {target!r} in this file set or your district"


def _changed(before: Existing, write: Write) -> tuple[str, ...]:
    fields = [k for k, v in write.values.items() if before.values.get(k) != v]
    if before.status != write.status:
        fields.append("status")
    if write.roles != before.roles:
        fields.append("roles")
    if write.school_ids != before.school_ids:
        fields.append("school_ids")
    return tuple(fields)


def _parents_first(creates: list[Write]) -> list[Write]:
    """Sessions whose parent is created in the same run come after that parent."""
    new = {w.id for w in creates}
    placed: set[uuid.UUID] = set()
    ordered: list[Write] = []
    pending = creates
    while pending:
        rest = [w for w in pending if w.values.get("parent_id") in new - placed]
        ready = [w for w in pending if w not in rest]
        if not ready:  # a cycle: keep the file order, the database will say what is wrong
            ordered.extend(rest)
            break
        ordered.extend(ready)
        placed.update(w.id for w in ready)
        pending = rest
    return ordered
