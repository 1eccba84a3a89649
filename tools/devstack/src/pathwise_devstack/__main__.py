"""``python -m pathwise_devstack`` (what ``make run`` calls): migrate, seed, start, wait for Ctrl-C.

Besides the four services it runs the demo webhook receiver (``pathwise_devstack.receiver``, on
``PATHWISE_DEMO_RECEIVER_PORT``, default 8010): the demo integration client's webhook endpoint
delivers every event there, signed, and the receiver prints each one it verified.
"""

import argparse
import multiprocessing
import os
import signal
import sys
import time
from types import FrameType

from pathwise_devstack.receiver import HOOK_PATH
from pathwise_devstack.seed import seed_demo, seed_demo_live
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import RECEIVER, Stack, StackConfig
from pathwise_gateway.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

DEFAULT_RECEIVER_PORT = 8010
DEMO_USERS = (
    ("a teacher", "teacher-01"),
    ("a student", "learner-01"),
    ("a guardian", "guardian-01"),
    ("the district admin", "admin-district"),
)


def _config_from_settings(with_receiver: bool) -> StackConfig:
    ports: dict[str, int] = {}
    urls: dict[str, str] = {}
    host = "127.0.0.1"
    production = False
    for spec in SERVICES:
        settings = spec.settings_class()
        ports[spec.name] = settings.port
        urls[spec.name] = settings.database_url
        host = settings.host if spec.name == "gateway" else host
        production = production or settings.is_production
    # The receiver needs the SSRF guard's loopback allowance, which production refuses.
    receiver_port = None
    if with_receiver and not production:
        receiver_port = int(os.environ.get("PATHWISE_DEMO_RECEIVER_PORT", DEFAULT_RECEIVER_PORT))
    return StackConfig(ports=ports, database_urls=urls, host=host, receiver_port=receiver_port)


def how_to_log_in(config: StackConfig) -> list[str]:
    """curl lines for a token of each kind of demo caller (printed on every run)."""
    token = f"{config.url('gateway')}/v1/auth/token"
    lines = ["Tokens (development login, no password; use as Authorization: Bearer <token>):"]
    for who, username in DEMO_USERS:
        lines.append(f"  # {who}")
        lines.append(f"  curl -s {token} -d grant_type=password -d username={username}")
    lines.append("  # the demo integration client (manages webhooks: GET /v1/webhooks)")
    lines.append(
        f"  curl -s {token} -d grant_type=client_credentials "
        f"-d client_id={DEMO_CLIENT_ID} -d client_secret={DEMO_CLIENT_SECRET}"
    )
    if config.receiver_port is not None:
        receiver = config.url(RECEIVER)
        lines += [
            "",
            f"Demo webhook receiver: {receiver}{HOOK_PATH} (verifies Standard Webhooks "
            "signatures, prints each event below)",
            f"  curl -s '{receiver}/events?type=mastery.changed'   # the last verified events",
        ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m pathwise_devstack")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo district")
    parser.add_argument(
        "--no-receiver", action="store_true", help="do not run the demo webhook receiver"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for readiness")
    args = parser.parse_args()

    config = _config_from_settings(with_receiver=not args.no_receiver)
    print("Migrating the four databases …", flush=True)
    stack = Stack(config, fork=True)
    # The migrations run in a child while this process builds the four apps (the services are
    # forked from it, pathwise_devstack.forked): two cores, two seconds saved.
    migration = multiprocessing.get_context("fork").Process(target=stack.migrate, name="migrate")
    migration.start()
    stack.prepare()
    migration.join()
    if migration.exitcode != 0:
        print("The migrations failed (see above); nothing was started.", file=sys.stderr)
        return 1

    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    # The services start before the seed: their first seconds are spent importing, while the
    # seed writes straight into their (migrated) databases beside them. Nothing a service does
    # at start-up reads the demo data; the first request comes after the seed and readiness.
    stack.start()
    try:
        if not args.no_seed:
            print("Seeding the demo district …", flush=True)
            for line in seed_demo(config):
                print(f"  {line}", flush=True)
        stack.wait_ready(args.timeout)
        if not args.no_seed:
            secret = SERVICES[0].settings_class().internal_token_secret.get_secret_value()
            for line in seed_demo_live(config, secret):
                print(f"  {line}", flush=True)
        gateway = config.url("gateway")
        print("\nPathwise is running.", flush=True)
        for spec in SERVICES:
            print(f"  {spec.name:<11} {config.url(spec.name)}", flush=True)
        print(f"\n  Gateway:   {gateway}\n  API docs:  {gateway}/docs\n", flush=True)
        if not args.no_seed:
            print("\n".join(how_to_log_in(config)) + "\n", flush=True)
        print("Press Ctrl-C to stop every service.", flush=True)
        while not stopping:
            for name, proc in stack.processes.items():
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping.", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        print("Stopping …", flush=True)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
