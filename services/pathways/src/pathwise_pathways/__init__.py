"""Pathwise pathways service: Skill frameworks and prerequisite graphs, activities, learner pathways with choice boards, mastery-gated advance, class grouping and insights."""

__all__: list[str] = []
