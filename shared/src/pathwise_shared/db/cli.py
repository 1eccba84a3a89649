"""The migration command each service exposes as ``python -m pathwise_<service>.migrate``."""

import argparse
import sys
from collections.abc import Sequence

from alembic import command

from pathwise_shared.db.migrations import MigrationSpec

__all__ = ["main"]


def main(spec: MigrationSpec, database_url: str, argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m pathwise_{spec.service}.migrate")
    parser.add_argument("--url", default=database_url, help="database URL (default: from settings)")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("upgrade").add_argument("revision", nargs="?", default="heads")
    sub.add_parser("downgrade").add_argument("revision", nargs="?", default="base")
    sub.add_parser("check", help="fail if the models and the migrations differ")
    sub.add_parser("current")
    sub.add_parser("history")
    rev = sub.add_parser("revision", help="write a new date-prefixed revision file")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--autogenerate", action="store_true")
    args = parser.parse_args(argv)

    cfg = spec.config(args.url)
    if args.action == "upgrade":
        command.upgrade(cfg, args.revision)
    elif args.action == "downgrade":
        command.downgrade(cfg, args.revision)
    elif args.action == "check":
        command.check(cfg)
    elif args.action == "current":
        command.current(cfg, verbose=True)
    elif args.action == "history":
        command.history(cfg)
    elif args.action == "revision":
        command.revision(cfg, message=args.message, autogenerate=args.autogenerate)
    else:  # pragma: no cover - argparse refuses other actions
        sys.exit(2)
