"""Pure parts of events and webhooks: signing, SSRF guard, retry schedule, catalog, planning."""

import ipaddress
import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from pathwise_gateway.events.domain.attempts import webhook_body
from pathwise_gateway.events.domain.catalog import (
    CATALOG,
    INTERNAL_SUBSCRIPTIONS,
    Subscription,
    becomes_mastered,
    catalog_entries,
    internal_subscribers,
    subscribers_of,
    thin_data,
)
from pathwise_gateway.events.domain.schedule import (
    Verdict,
    classify,
    next_delay,
    parse_retry_after,
    should_disable,
)
from pathwise_gateway.events.service.intake import EndpointFilter, plan_deliveries, wants
from pathwise_gateway.events.settings import DEFAULT_RETRY_SCHEDULE, EventHubSettings
from pathwise_gateway.webhooks.domain.signing import new_secret, sign, webhook_headers
from pathwise_gateway.webhooks.service.ssrf import (
    UnsafeUrlError,
    check_url,
    is_public_address,
    resolve_target,
)
from pathwise_shared.events import new_event

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


# --- signing -------------------------------------------------------------------------------


def test_signature_verifies_with_the_standardwebhooks_library() -> None:
    secret = new_secret()
    body = b'{"type":"mastery.changed"}'
    ts = int(datetime.now(UTC).timestamp())
    headers = webhook_headers("msg_1", ts, body, [secret])
    assert Webhook(secret).verify(body, headers) == {"type": "mastery.changed"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_rotation_signs_with_both_secrets() -> None:
    old, new = new_secret(), new_secret()
    body = b"{}"
    ts = int(datetime.now(UTC).timestamp())
    headers = webhook_headers("msg_2", ts, body, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)


@given(st.binary(max_size=200), st.text(min_size=1, max_size=40))
def test_sign_matches_the_library_for_any_body(body: bytes, msg_id: str) -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    text = body.decode("latin-1")
    ts = 1_700_000_000
    ours = sign(secret, msg_id, ts, text.encode())
    theirs = Webhook(secret).sign(msg_id, datetime.fromtimestamp(ts, UTC), text)
    assert ours == theirs


def test_secrets_are_whsec_and_unique() -> None:
    a, b = new_secret(), new_secret()
    assert a.startswith("whsec_") and a != b


# --- SSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::a00:1",
        "2001::1",
        "::",
    ],
)
def test_non_global_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "::ffff:8.8.8.8"])
def test_global_addresses_pass(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_loopback_allowance_is_loopback_only() -> None:
    assert is_public_address(ipaddress.ip_address("127.0.0.1"), allow_loopback=True)
    assert is_public_address(ipaddress.ip_address("::1"), allow_loopback=True)
    assert not is_public_address(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://017700000001/",
        "http://127.1/",
        "http://localhost:8080/hook",
        "http://[::1]/",
        "http://[::ffff:7f00:1]/",
        "http://169.254.169.254/latest/meta-data",
    ],
)
async def test_encoded_and_named_internal_hosts_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        await resolve_target(url, allow_http=True, allow_loopback=False)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "https://user:pw@example.com/",
        "https:///nohost",
        "https://example.com:0/",
        "https://exa mple.com/",
        "file:///etc/passwd",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        check_url(url, allow_http=True)


def test_http_is_refused_when_not_allowed() -> None:
    with pytest.raises(UnsafeUrlError, match="https"):
        check_url("http://example.com/", allow_http=False)
    check_url("https://example.com/", allow_http=False)


async def test_target_connects_to_the_checked_address() -> None:
    target = await resolve_target(
        "https://93.184.216.34:8443/hooks?x=1", allow_http=False, allow_loopback=False
    )
    assert target.url == "https://93.184.216.34:8443/hooks?x=1"
    assert target.host == "93.184.216.34:8443"
    assert target.server_name is None
    loop = await resolve_target("http://127.0.0.1:9000/h", allow_http=True, allow_loopback=True)
    assert loop.address == "127.0.0.1"


def test_production_refuses_the_loopback_allowance() -> None:
    with pytest.raises(ValueError, match="ALLOW_LOOPBACK"):
        EventHubSettings(environment="production", allow_loopback=True)
    assert not EventHubSettings(environment="production").allow_http
    assert EventHubSettings(environment="development", allow_loopback=True).allow_loopback


# --- schedule ---------------------------------------------------------------------------------


def test_classification() -> None:
    assert classify(200) is Verdict.SUCCESS and classify(204) is Verdict.SUCCESS
    assert classify(410) is Verdict.GONE
    for status in (301, 302, 307, 400, 404, 429, 500, 503, None):
        assert classify(status) is Verdict.RETRY


def test_schedule_without_jitter_is_the_issue_schedule() -> None:
    delays = [
        next_delay(n, DEFAULT_RETRY_SCHEDULE, jitter=0)
        for n in range(1, len(DEFAULT_RETRY_SCHEDULE))
    ]
    assert delays == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert next_delay(len(DEFAULT_RETRY_SCHEDULE), DEFAULT_RETRY_SCHEDULE) is None


@given(st.integers(1, 7), st.floats(0, 0.5))
def test_jitter_stays_within_its_band(attempts: int, jitter: float) -> None:
    base = DEFAULT_RETRY_SCHEDULE[attempts]
    delay = next_delay(attempts, DEFAULT_RETRY_SCHEDULE, jitter=jitter, rng=random.Random(attempts))
    assert delay is not None
    assert base * (1 - jitter) - 1e-9 <= delay <= base * (1 + jitter) + 1e-9


def test_retry_after_wins_when_longer_and_is_capped() -> None:
    assert next_delay(1, DEFAULT_RETRY_SCHEDULE, jitter=0, retry_after=60) == 60
    assert next_delay(1, DEFAULT_RETRY_SCHEDULE, jitter=0, retry_after=1) == 5
    assert next_delay(1, DEFAULT_RETRY_SCHEDULE, jitter=0, retry_after=10**6) == 36000
    assert next_delay(1, DEFAULT_RETRY_SCHEDULE, jitter=0, scale=0.001) == pytest.approx(0.005)


def test_retry_after_parsing() -> None:
    assert parse_retry_after("120", NOW) == 120
    later = (NOW + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, NOW) == 90
    for junk in (None, "", "soon", "-5", "Mon, 99 Foo"):
        assert parse_retry_after(junk, NOW) is None


def test_five_days_of_failure_disables() -> None:
    five_days = 5 * 86400
    assert not should_disable(None, NOW, five_days)
    assert not should_disable(NOW - timedelta(days=4, hours=23), NOW, five_days)
    assert should_disable(NOW - timedelta(days=5), NOW, five_days)


# --- catalog and planning ------------------------------------------------------------------------


def test_catalog_lists_every_contract_type_with_a_schema() -> None:
    contract_types = {
        "learner.created", "learner.updated", "learner.deleted", "profile.changed",
        "enrollment.changed", "roster.imported", "response.scored", "attempt.completed",
        "mastery.changed", "pathway.planned", "pathway.step_mastered", "pathway.step_reopened",
        "learner.flagged", "webhook.endpoint_disabled",
    }  # fmt: skip
    assert contract_types <= set(CATALOG)
    mastery = next(e for e in catalog_entries() if e["type"] == "mastery.changed")
    assert set(mastery["schema"]["required"]) >= {"learner_id", "skill_code", "p_known"}


def test_webhook_bodies_are_thin() -> None:
    data = {
        "learner_id": str(uuid.uuid4()),
        "parts": ["accommodations"],
        "version": 3,
        "accommodations": [{"term": "extended time"}],
        "notes": "private",
    }
    assert thin_data("profile.changed", data) == {
        "learner_id": data["learner_id"],
        "parts": ["accommodations"],
        "version": 3,
    }
    assert thin_data("no.such_type", data) == {}
    # Nested objects are thinned too, and a badly shaped field still lets only declared keys out.
    job = str(uuid.uuid4())
    imported = {"job_id": job, "users": {"created": 2, "samples": ["jane.doe"]}, "x": 1}
    assert thin_data("roster.imported", imported) == {"job_id": job, "users": {"created": 2}}
    odd = {"learner_id": data["learner_id"], "parts": "not-a-list", "notes": "private"}
    assert thin_data("profile.changed", odd) == {
        "learner_id": data["learner_id"],
        "parts": "not-a-list",
    }
    event = new_event("profile.changed", district_id=uuid.uuid4(), subject="learner/x", data=data)
    assert b"extended time" not in webhook_body(event.model_dump(mode="json"))


def test_deliveries_are_planned_per_subscriber_and_matching_endpoint() -> None:
    district, other = uuid.uuid4(), uuid.uuid4()
    all_types = EndpointFilter(uuid.uuid4(), district, ())
    only_flags = EndpointFilter(uuid.uuid4(), district, ("learner.flagged",))
    foreign = EndpointFilter(uuid.uuid4(), other, ())
    milestone = {"learner_id": str(uuid.uuid4()), "mastered": True, "previous_mastered": False}
    mastery = new_event("mastery.changed", district_id=district, subject="l", data=milestone)
    rows = plan_deliveries([mastery], [all_types, only_flags, foreign], NOW)
    assert {(r["subscriber"], r["endpoint_id"]) for r in rows} == {
        ("pathways", None),
        ("profiles", None),  # its notifications of mastery milestones
        (None, all_types.id),
    }
    # message.posted reaches profiles (notifications) and the district's endpoints (ids only).
    posted = new_event("message.posted", district_id=district, subject="m", data={})
    rows = plan_deliveries([posted], [all_types, foreign], NOW)
    assert {(r["subscriber"], r["endpoint_id"]) for r in rows} == {
        ("profiles", None),
        (None, all_types.id),
    }
    test_event = new_event("webhook.test", district_id=district, subject="x", data={})
    assert not wants(all_types, test_event)


@pytest.mark.parametrize(
    ("data", "profiles"),
    [
        ({"mastered": True, "previous_mastered": False}, True),
        ({"mastered": True, "previous_mastered": None}, True),  # first estimate of the skill
        ({"mastered": True}, True),
        ({"mastered": True, "previous_mastered": True}, False),  # P(known) moved, still mastered
        ({"mastered": False, "previous_mastered": False}, False),  # the common answer
        ({"mastered": False, "previous_mastered": True}, False),  # mastery lost
        ({"mastered": "true", "previous_mastered": False}, False),  # not a boolean
        ({}, False),
    ],
)
def test_profiles_gets_only_the_mastery_changes_it_acts_on(
    data: dict[str, Any], profiles: bool
) -> None:
    """A subscription's predicate decides, per event, whether its service is called at all;
    pathways (no predicate) gets every change and webhooks keep their own filters."""
    district = uuid.uuid4()
    endpoint = EndpointFilter(uuid.uuid4(), district, ("mastery.changed",))
    event = new_event("mastery.changed", district_id=district, subject="l", data=data)
    rows = plan_deliveries([event], [endpoint], NOW)
    subscribers = {r["subscriber"] for r in rows if r["subscriber"] is not None}
    assert subscribers == ({"pathways", "profiles"} if profiles else {"pathways"})
    assert [r["endpoint_id"] for r in rows if r["endpoint_id"] is not None] == [endpoint.id]
    # The same rule as profiles' own check (kept there: defence in depth).
    assert becomes_mastered(data) is profiles


def test_a_predicate_that_cannot_read_the_data_still_delivers() -> None:
    def broken(data: Mapping[str, Any]) -> bool:
        raise KeyError("mastered")

    assert Subscription("profiles", when=broken).wants({})
    assert not Subscription("profiles", when=lambda d: d.get("x") == 1).wants({"x": 2})
    assert Subscription("profiles").wants({})


def test_every_subscribed_type_is_catalogued_and_consent_reaches_profiles() -> None:
    assert set(INTERNAL_SUBSCRIPTIONS) <= set(CATALOG)
    assert subscribers_of("consent.requested", {}) == ["profiles"]
    assert internal_subscribers() == {"pathways", "profiles", "assessment"}
