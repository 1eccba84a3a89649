"""Every query of the assessment service, in one place. Repositories only flush."""

__all__: list[str] = []
