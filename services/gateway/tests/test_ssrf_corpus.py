"""The SSRF guard against its corpus (data/ssrf_corpus.txt): every URL allowed or refused, and
for a refusal the reason. Host names resolve through a fake DNS so the corpus never depends on
the network, and can include names that resolve to internal addresses (DNS rebinding)."""

from pathlib import Path

import pytest

from pathwise_gateway.webhooks.service.ssrf import UnsafeUrlError, resolve_target

CORPUS = Path(__file__).parent / "data" / "ssrf_corpus.txt"
MODES = {
    "dev": {"allow_http": True, "allow_loopback": True},
    "test": {"allow_http": True, "allow_loopback": False},
    "prod": {"allow_http": False, "allow_loopback": False},
}
DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "v6.example.com": ["2606:2800:220:1::1"],
    "rebind.example.com": ["10.0.0.5"],
    "mixed.example.com": ["93.184.216.34", "127.0.0.1"],
    "metadata.example.com": ["169.254.169.254"],
    "mapped.example.com": ["::ffff:10.0.0.1"],
    "nat64.example.com": ["64:ff9b::a9fe:a9fe"],
    "scoped.example.com": ["fe80::1%eth0"],
    "localhost": ["127.0.0.1", "::1"],
}


async def fake_dns(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise OSError(f"no such host {host}")
    return DNS[host]


def _corpus() -> list[tuple[str, str, str]]:
    cases = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        mode, verdict, url = line.split(" ", 2)
        cases.append((mode, verdict, url))
    return cases


CASES = _corpus()


def test_the_corpus_is_large_and_covers_both_answers() -> None:
    assert len(CASES) >= 60
    assert {verdict == "ok" for _, verdict, _ in CASES} == {True, False}
    assert {mode for mode, _, _ in CASES} == set(MODES)


@pytest.mark.parametrize(("mode", "verdict", "url"), CASES, ids=[f"{m}:{u}" for m, _, u in CASES])
async def test_corpus(mode: str, verdict: str, url: str) -> None:
    if verdict == "ok":
        target = await resolve_target(url, resolver=fake_dns, **MODES[mode])
        assert target.url.startswith(("http://", "https://"))
        return
    with pytest.raises(UnsafeUrlError) as refused:
        await resolve_target(url, resolver=fake_dns, **MODES[mode])
    assert refused.value.reason == verdict, str(refused.value)


async def test_a_name_is_checked_at_every_resolution() -> None:
    """DNS rebinding: the same name public at registration, internal at delivery, is refused
    at delivery (the dispatcher calls resolve_target for every batch)."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    first = await resolve_target(
        "https://hooks.example.com/x", allow_http=False, allow_loopback=False, resolver=rebinding
    )
    assert first.address == "93.184.216.34"
    assert first.server_name == "hooks.example.com"  # TLS still checks the name
    with pytest.raises(UnsafeUrlError) as refused:
        await resolve_target(
            "https://hooks.example.com/x",
            allow_http=False,
            allow_loopback=False,
            resolver=rebinding,
        )
    assert refused.value.reason == "loopback"
