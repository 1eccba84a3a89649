"""Learner pathways, one module per use case.

- ``planning``: plan or replan from the live profile and mastery; approve a draft.
- ``progress``: the learner's choice of activity, and advance/reopen on ``mastery.changed``.
- ``overrides``: a teacher's pin, skip, insert, reorder, lock.
- ``read``: the pathway as shown (steps, pace), its version history, the parts hidden from a caller.

Under them: ``replan`` (steps from goals, mastery and overrides), ``boards`` (choice boards) and
``history`` (every change bumps the version and writes a ``PathwayVersion`` naming who and why).
"""

__all__: list[str] = []
