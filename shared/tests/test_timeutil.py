"""The injectable clock: ``utcnow()`` follows the clock a test installed, only inside its context,
and a manual clock moves only forward and only when told."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pathwise_shared.timeutil import ManualClock, as_utc, use_clock, utcnow

START = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)


def test_utcnow_is_the_system_time_by_default() -> None:
    before = datetime.now(UTC)
    now = utcnow()
    assert before <= now <= datetime.now(UTC)
    assert now.tzinfo is UTC


def test_a_manual_clock_moves_only_when_advanced() -> None:
    clock = ManualClock(START)
    with use_clock(clock):
        assert utcnow() == START
        assert utcnow() == START  # no drift between reads
        clock.advance(90)
        assert utcnow() == START + timedelta(seconds=90)
        clock.advance(hours=1)
        assert utcnow() == START + timedelta(hours=1, seconds=90)
    # The block is over: real time again.
    assert utcnow().year != 2030


def test_a_manual_clock_does_not_run_backwards() -> None:
    with pytest.raises(ValueError, match="backwards"):
        ManualClock(START).advance(-1)


def test_naive_start_is_taken_as_utc() -> None:
    assert ManualClock(datetime(2030, 1, 1, 8, 0)).now() == START


def test_clocks_nest_and_restore() -> None:
    outer, inner = ManualClock(START), ManualClock(START + timedelta(days=1))
    with use_clock(outer):
        with use_clock(inner):
            assert utcnow() == inner.now()
        assert utcnow() == outer.now()


async def test_tasks_started_inside_see_the_clock_and_others_do_not() -> None:
    """Requests served in process and gathered calls inherit the clock; a loop started before
    (an app's relay) keeps real time."""
    seen: list[datetime] = []
    release = asyncio.Event()

    async def background() -> None:
        await release.wait()
        seen.append(utcnow())

    async def read() -> datetime:
        return utcnow()

    before = asyncio.create_task(background())
    with use_clock(ManualClock(START)):
        inside = await asyncio.gather(asyncio.to_thread(utcnow), read())
        release.set()
        await before
    assert list(inside) == [START, START]
    assert seen[0].year != 2030


def test_as_utc() -> None:
    assert as_utc(datetime(2030, 1, 1, 8, 0)) == START
    shifted = START.astimezone(timezone(timedelta(hours=2)))
    assert as_utc(shifted) == START and as_utc(shifted).tzinfo is UTC
