"""Every query of the profiles service (SQLAlchemy Core), in one place."""

__all__: list[str] = []
