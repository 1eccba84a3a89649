"""The fault suite (issue 11): each test starts and kills a stack of its own on PostgreSQL.

It is not part of ``make test`` (``norecursedirs`` in pyproject.toml keeps a plain ``pytest`` out
of this folder); ``make test-faults`` runs it by path, and ``.ci/run`` calls that."""
