"""District provisioning (``python -m pathwise_profiles.provision``) against the real stack: the
command runs as an operator would run it (a subprocess, the database from the environment),
then the new admin logs in through the real gateway and sees their own district only."""

import json
import subprocess
import sys
import uuid

import httpx

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login
from pathwise_profiles.seed import DEMO_DISTRICT


def _provision(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = stack.config.process_env()  # PROFILES_DATABASE_URL of the running stack
    return subprocess.run(
        [sys.executable, "-m", "pathwise_profiles.provision", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_provisioned_admin_logs_in_and_sees_only_their_district(
    stack: Stack, gw: httpx.Client
) -> None:
    suffix = uuid.uuid4().hex[:8]
    username = f"admin-north-{suffix}"
    args = [
        "--name", f"Northfield {suffix}",
        "--admin-username", username,
        "--admin-given-name", "Nora",
        "--admin-family-name", "North",
        "--admin-email", f"{username}@example.org",
    ]  # fmt: skip
    first = _provision(stack, *args)
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["district_created"] and made["admin_created"]

    # Idempotent: a second run finds both and prints the same ids.
    again = _provision(stack, *args)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {**made, "district_created": False, "admin_created": False}

    headers = dev_login(gw, username)
    me = gw.get("/v1/auth/me", headers=headers).json()
    assert me["district_id"] == made["district_id"]
    assert me["roles"] == ["district_admin"]
    districts = gw.get("/v1/districts", headers=headers)
    assert districts.status_code == 200, districts.text
    assert [d["id"] for d in districts.json()["items"]] == [made["district_id"]]
    users = gw.get("/v1/users", headers=headers).json()["items"]
    assert [u["id"] for u in users] == [made["admin_user_id"]]
    # The demo district is someone else's: not even its existence shows.
    other = gw.get(f"/v1/districts/{DEMO_DISTRICT}", headers=headers)
    assert other.status_code == 404
    # And the new admin can work in their district through the API (a school of their own).
    school = gw.post("/v1/schools", headers=headers, json={"name": "North Elementary"})
    assert school.status_code == 201, school.text


def test_provisioning_refuses_bad_input_and_a_non_admin_namesake(stack: Stack) -> None:
    bad = _provision(
        stack, "--name", "", "--admin-username", "x", "--admin-given-name", "X",
        "--admin-family-name", "Y",
    )  # fmt: skip
    assert bad.returncode == 2
    assert "invalid name" in bad.stderr
    # teacher-01 exists in the demo district and is not an admin: never promoted silently.
    taken = _provision(
        stack, "--name", "Riverside Unified", "--admin-username", "teacher-01",
        "--admin-given-name", "T", "--admin-family-name", "One",
    )  # fmt: skip
    assert taken.returncode == 1
    assert "not a district admin" in taken.stderr
