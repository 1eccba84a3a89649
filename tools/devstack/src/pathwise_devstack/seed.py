"""The demo district of ``make run``: each service seeds its part, idempotently.

A service takes part by providing ``pathwise_<service>.seed`` with either or both of:

- ``async def seed_demo(database_url: str) -> list[str]``: before the services start, straight
  into its own database (roster, items, frameworks); the gateway's also takes
  ``webhook_url``, where the demo integration client's endpoint delivers when the stack runs the
  demo webhook receiver;
- ``async def seed_demo_live(urls: dict[str, str], secret: str) -> list[str]``: once all four
  services answer, through their APIs (work that needs another service, e.g. planning pathways,
  or that should take the real paths, e.g. a learner's answers earning badges). The services'
  live seeds run concurrently, so one must not wait on another's (they seed different learners).

Both return lines worth printing. A service may also provide
``async def seed_district_b(database_url: str) -> list[str]``: its part of the small second
district ("district B", Lakeside Unified) of the cross-tenant security tests, seeded only on request
(``seed_second_district``; ``testing.start_stack(second_district=True)``), never by ``make run``. Seeds use deterministic ids (``pathwise_shared.demo.demo_id``),
so running ``make run`` again keeps the data and adds nothing twice.
"""

import asyncio
import importlib
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any

from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import StackConfig

__all__ = ["seed_demo", "seed_demo_live", "seed_second_district"]

SeedFn = Callable[[str], Coroutine[Any, Any, list[str]]]
GatewaySeedFn = Callable[[str, str], Coroutine[Any, Any, list[str]]]
LiveSeedFn = Callable[[dict[str, str], str], Coroutine[Any, Any, list[str]]]


def _seed_modules() -> list[tuple[str, Any]]:
    found = []
    for spec in SERVICES:
        module_name = f"{spec.package}.seed"
        if importlib.util.find_spec(module_name) is not None:
            found.append((spec.name, importlib.import_module(module_name)))
    return found


def seed_demo(config: StackConfig) -> list[str]:
    lines: list[str] = []
    for name, module in _seed_modules():
        seed: SeedFn | None = getattr(module, "seed_demo", None)
        if seed is None:
            continue
        if name == "gateway" and config.webhook_url is not None:
            lines.extend(
                asyncio.run(_gateway_seed(module)(config.database_urls[name], config.webhook_url))
            )
        else:
            lines.extend(asyncio.run(seed(config.database_urls[name])))
    return lines


def _gateway_seed(module: Any) -> GatewaySeedFn:
    seed: GatewaySeedFn = module.seed_demo
    return seed


def seed_demo_live(config: StackConfig, secret: str) -> list[str]:
    """Each service's live seed, all at once: they touch different learners and each waits
    mostly on the network, so the phase takes as long as the longest (pathways' planning)
    rather than the sum (assessment's demo practice alone adds over a second in sequence)."""
    urls = {spec.name: config.url(spec.name) for spec in SERVICES}
    seeds: list[LiveSeedFn] = [
        module.seed_demo_live
        for _name, module in _seed_modules()
        if getattr(module, "seed_demo_live", None) is not None
    ]

    async def run_all() -> list[list[str]]:
        return list(await asyncio.gather(*(seed(urls, secret) for seed in seeds)))

    return [line for lines in asyncio.run(run_all()) for line in lines]


def seed_second_district(config: StackConfig) -> list[str]:
    """District B, straight into each taking-part service's database (before the services start)."""
    lines: list[str] = []
    for name, module in _seed_modules():
        seed: SeedFn | None = getattr(module, "seed_district_b", None)
        if seed is not None:
            lines.extend(asyncio.run(seed(config.database_urls[name])))
    return lines
