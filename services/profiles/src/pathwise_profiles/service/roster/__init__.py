"""Roster use cases, one module per resource: create, read, list, change and (soft) delete,
scoped to the caller's district.

School admins manage only their own schools' records; district admins the whole district; a
teacher reads. Every reference in a body (school, course, session, user, class) must exist in the
caller's district, or the request is refused before anything is written. What the resources share
(the list parameters, the district-scoped get and insert, the school-admin check) is in
``common``.
"""
