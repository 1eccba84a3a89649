"""``python -m pathwise_devstack`` (what ``make run`` calls): migrate, seed, start, wait for Ctrl-C."""

import argparse
import signal
import sys
import time
from types import FrameType

from pathwise_devstack.seed import seed_demo, seed_demo_live
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack, StackConfig


def _config_from_settings() -> StackConfig:
    ports: dict[str, int] = {}
    urls: dict[str, str] = {}
    host = "127.0.0.1"
    for spec in SERVICES:
        settings = spec.settings_class()
        ports[spec.name] = settings.port
        urls[spec.name] = settings.database_url
        host = settings.host if spec.name == "gateway" else host
    return StackConfig(ports=ports, database_urls=urls, host=host)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m pathwise_devstack")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo district")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for readiness")
    args = parser.parse_args()

    config = _config_from_settings()
    print("Migrating the four databases …", flush=True)
    stack = Stack(config)
    stack.migrate()
    if not args.no_seed:
        print("Seeding the demo district …", flush=True)
        for line in seed_demo(config):
            print(f"  {line}", flush=True)

    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stack.start()
    try:
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
