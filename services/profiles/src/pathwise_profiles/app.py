"""The profiles service application."""

import asyncio
import contextlib

from fastapi import FastAPI

from pathwise_profiles.api import (
    changes,
    imports,
    internal,
    messages,
    notifications,
    oneroster,
    profiles,
    retention,
    surveys,
    voice,
)
from pathwise_profiles.api.messages import make_message_store, message_upload_limit
from pathwise_profiles.api.roster import (
    classes,
    courses,
    districts,
    enrollments,
    guardians,
    schools,
    sessions,
    users,
)
from pathwise_profiles.api.upload_limit import upload_limit
from pathwise_profiles.learner_data import LEARNER_DATA
from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.models import outbox
from pathwise_profiles.service.import_runner import fail_abandoned_jobs_on_startup
from pathwise_profiles.service.notifications import run_notification_sweeps
from pathwise_profiles.service.retention import erase_guard, erase_known, run_retention_sweeps
from pathwise_profiles.settings import ProfilesSettings, get_settings
from pathwise_shared.app import create_service_app
from pathwise_shared.learner_export import learner_export_router

__all__ = ["create_app"]


def create_app(settings: ProfilesSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    async def start_sweeps(app: FastAPI) -> None:
        tasks: list[asyncio.Task[None]] = []
        # Background schedules stay off in tests: a test runs the sweep once, with its clock.
        if settings.environment != "test" and settings.notification_sweep_interval_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    run_notification_sweeps(
                        app.state.db, settings.notification_sweep_interval_seconds
                    )
                )
            )
        if settings.environment != "test" and settings.retention_sweep_interval_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    run_retention_sweeps(app.state.db, settings.retention_sweep_interval_seconds)
                )
            )
        app.state.background_tasks = tasks

    async def stop_sweeps(app: FastAPI) -> None:
        tasks: list[asyncio.Task[None]] = getattr(app.state, "background_tasks", [])
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    resolved = settings

    async def open_message_store(app: FastAPI) -> None:
        # Where message attachments live (PROFILES_STORAGE_*), as pathways' portfolio files.
        app.state.message_store = make_message_store(resolved)

    return create_service_app(
        settings,
        title="Pathwise profiles service",
        description="Districts, schools, classes, enrollments, users and guardian links; learner profiles and goals; OneRoster import; access checks.",
        routers=[
            # The hottest first: FastAPI tries included routers one by one, and the profile read
            # (and the gateway's access checks, internal.router) walked some eighty routes
            # before theirs. Order is otherwise free: no route hides another
            # (tests/test_route_order.py).
            profiles.router,
            internal.router,
            # The roster, one router per resource, then the rest.
            districts.router,
            schools.router,
            sessions.router,
            courses.router,
            classes.router,
            enrollments.router,
            users.router,
            guardians.router,
            changes.router,
            oneroster.router,
            imports.router,
            voice.router,
            surveys.router,
            notifications.router,
            messages.me_router,
            messages.router,
            retention.router,
            retention.internal_router,
            learner_export_router(
                LEARNER_DATA,
                lambda request: request.app.state.message_store,
                guard=erase_guard,
                known=erase_known,
            ),
        ],
        migrations=MIGRATIONS,
        outbox=outbox,
        on_startup=[fail_abandoned_jobs_on_startup, open_message_store, start_sweeps],
        on_shutdown=[stop_sweeps],
        # The roster upload's size, before its body is spooled (api/upload_limit.py).
        middleware=[
            upload_limit(settings.import_max_upload_bytes),
            # A message's attachment, before its body is spooled (api/messages.py).
            message_upload_limit(settings),
        ],
        openapi_tags=[
            {
                "name": "roster",
                "description": "Districts, schools, sessions, courses, classes, "
                "enrollments, users and guardian links",
            },
            {
                "name": "roster imports",
                "description": "OneRoster CSV imports: upload a zip, "
                "follow the job, read its report",
            },
            {
                "name": "learner profiles",
                "description": "A learner's profile, goals and sharing settings",
            },
            {
                "name": "learner voice",
                "description": "Teachers' comments and co-signs on a learner's goals; the "
                "learner's reflections (confidence and journal), teachers' replies, the latest "
                "confidence per skill",
            },
            {
                "name": "student voice surveys",
                "description": "Interest and learning-preference surveys sent by teachers and "
                "admins; the learner's answers, applied to their profile only with consent",
            },
            {
                "name": "oneroster",
                "description": "OneRoster 1.2 rostering, read only (REST binding): orgs, "
                "schools, academic sessions, courses, classes, users and enrollments with "
                "filter, sort, fields and paging",
            },
            {
                "name": "notifications",
                "description": "The caller's own notification feed (mastery milestones, goals "
                "completed, support notes, messages) and their preferences per kind and channel, "
                "with quiet hours",
            },
            {
                "name": "messages",
                "description": "Threads about a learner between their teachers, guardians and "
                "school staff, with read receipts and attachments",
            },
            {
                "name": "retention",
                "description": "Legal holds on learners; the district's retention policy and "
                "the report of its scheduled evaluation (who is due for deletion, who is held)",
            },
            {"name": "internal", "description": "For the other services"},
        ],
    )
