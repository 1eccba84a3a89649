"""``python -m pathwise_profiles.provision``: create a district and its first district admin.

For operators (docs/operations.md, "Provisioning a district"): the public API has no way to make
a tenant (``POST /v1/districts`` is for system principals only), so a new district starts here,
on the profiles database the environment configures (``PROFILES_DATABASE_URL``), with the same
service functions and validation as the API. Everything else (schools, users, clients) the new
admin then does through the gateway.

Idempotent: the district is found again by its sourced id when one is given, else by its exact
name, and the admin by username in that district; a second run creates nothing and prints the
same ids. An existing user of that name who is not a district admin is an error, never promoted
silently. The answer is one JSON object on stdout (ids and what was created).
"""

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import outbox
from pathwise_profiles.repository import provisioning as repo
from pathwise_profiles.schemas.roster import DistrictCreate, UserCreate
from pathwise_profiles.service.roster.districts import create_district
from pathwise_profiles.service.roster.users import create_user
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work

__all__ = ["Provisioned", "ProvisioningError", "main", "provision_district", "run"]

ADMIN_ROLE = "district_admin"


class ProvisioningError(Exception):
    """The request cannot be carried out as asked (nothing was written)."""


@dataclass(frozen=True)
class Provisioned:
    district_id: str
    admin_user_id: str
    district_created: bool
    admin_created: bool


async def provision_district(
    session: AsyncSession,
    district: DistrictCreate,
    admin: UserCreate,
) -> Provisioned:
    """Find or create ``district``, then find or create ``admin`` in it (flush only)."""
    district_id = await repo.find_district(
        session, name=district.name, sourced_id=district.sourced_id
    )
    district_created = district_id is None
    if district_id is None:
        district_id = (await create_district(session, district)).id
    # The same principal the API would need: a system operator acting in that district.
    operator = Principal(subject="system:provision", kind="system", district_id=district_id)
    user_id = await repo.find_user(session, district_id, admin.username)
    admin_created = user_id is None
    if user_id is None:
        user_id = (await create_user(session, operator, admin)).id
    elif ADMIN_ROLE not in await repo.roles_of(session, user_id):
        raise ProvisioningError(
            f"{admin.username!r} already exists in that district and is not a district admin."
        )
    return Provisioned(str(district_id), str(user_id), district_created, admin_created)


async def run(database_url: str, district: DistrictCreate, admin: UserCreate) -> Provisioned:
    # With the outbox, so an event the service functions publish lands where the relay reads.
    db = Database(database_url, outbox=outbox)
    try:
        async with unit_of_work(db) as session:
            return await provision_district(session, district, admin)
    finally:
        await db.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pathwise_profiles.provision",
        description="Create a district and its first district admin (idempotent).",
    )
    parser.add_argument("--name", required=True, help="the district's name")
    parser.add_argument("--sourced-id", help="the district's id in the SIS (finds it again)")
    parser.add_argument("--admin-username", required=True)
    parser.add_argument("--admin-given-name", required=True)
    parser.add_argument("--admin-family-name", required=True)
    parser.add_argument("--admin-email")
    parser.add_argument(
        "--database-url", help="the profiles database (default: PROFILES_DATABASE_URL)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        district = DistrictCreate(name=args.name, sourced_id=args.sourced_id)
        admin = UserCreate(
            username=args.admin_username,
            given_name=args.admin_given_name,
            family_name=args.admin_family_name,
            email=args.admin_email,
            roles=[ADMIN_ROLE],
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            print(f"invalid {field}: {error['msg']}", file=sys.stderr)
        return 2
    database_url = args.database_url or ProfilesSettings().database_url
    try:
        done = asyncio.run(run(database_url, district, admin))
    except ProvisioningError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(json.dumps(asdict(done)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
