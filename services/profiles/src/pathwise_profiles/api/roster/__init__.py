"""Public roster operations, one router per resource (``/v1/districts``, ``/v1/schools``,
``/v1/sessions``, ``/v1/courses``, ``/v1/classes``, ``/v1/enrollments``, ``/v1/users``,
``/v1/guardians``), all under the ``roster`` tag; app.py includes them in this order (the order
of the OpenAPI and of the generated access tables).

The scopes are here, once, because every roster router checks the same two.
"""

__all__ = ["READ", "WRITE"]

READ = ("roster:read",)
WRITE = ("roster:write",)
