"""The smoke test of the generated Python client (``make openapi-check``): a real stack, and a
script that knows nothing but the client generated from the public document.

``python -m pathwise_devstack.openapi_smoke --python <client venv python> --script <script>``
starts the four services (the demo district seeded, fresh databases), writes what the script
needs to know about the demo (who to log in as, which skill check, the right answers; nothing
about the API) to a JSON file, runs the script with the client's interpreter and stops the stack.
The script's exit status is ours.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]

# learner-06 (grade 3 math, no accommodations) and a skill of their pathway, as the learning-loop
# test uses them; the stack is the smoke test's own, so nothing else sees its writes.
LEARNER = "learner-06"
SKILL = "3.NF.A.1"


def _answer(spec: dict[str, object]) -> dict[str, object]:
    """The right answer to a demo item (docs/assessment.md, "Answers")."""
    kind = spec["type"]
    if kind == "single_choice":
        return {"choice": spec["correct"]}
    if kind == "numeric":
        value: dict[str, object] = {"value": spec["value"]}
        return {**value, "unit": spec["unit"]} if spec.get("unit") else value
    if kind == "short_text":
        accepted = spec["accepted"]
        assert isinstance(accepted, list)
        return {"text": accepted[0]}
    if kind == "multiple_select":
        return {"choices": spec["correct"]}
    if kind == "ordering":
        return {"order": spec["order"]}
    raise ValueError(f"no demo answer for {kind}")


def _facts(gateway_url: str, roster: Path) -> dict[str, object]:
    from pathwise_assessment.seed import check_id, item_id
    from pathwise_assessment.seed_items import DEMO_ITEMS
    from pathwise_shared.demo import demo_id

    return {
        "gateway_url": gateway_url,
        "admin": "admin-district",
        "learner": LEARNER,
        "learner_id": str(demo_id("learner", LEARNER)),
        "skill_check_id": str(check_id(SKILL)),
        "answers": {
            str(item_id(SKILL, n)): _answer(raw["spec"])
            for n, raw in enumerate(DEMO_ITEMS[SKILL], start=1)
        },
        "roster_zip": str(roster),
    }


def _roster_zip(target: Path) -> Path:
    """A one-student OneRoster delta: small, and a real zip the import reads and reports."""
    from pathwise_profiles.oneroster_samples import manifest, zipped

    target.write_bytes(
        zipped(
            {
                "manifest.csv": manifest(users="delta"),
                "users.csv": "sourcedId,username,givenName,familyName,role,orgSourcedIds,grades\n"
                "smoke-0001,smoke.one,Sam,Oke,student,riverside-elementary,03\n",
            }
        )
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--python", required=True, help="the interpreter with the client")
    parser.add_argument("--script", required=True, type=Path)
    args = parser.parse_args(argv)
    from pathwise_devstack.testing import start_stack

    with tempfile.TemporaryDirectory(prefix="openapi-smoke-") as tmp:
        root = Path(tmp)
        with start_stack(root / "stack") as stack:
            facts = _facts(stack.config.url("gateway"), _roster_zip(root / "roster.zip"))
            (root / "facts.json").write_text(json.dumps(facts), encoding="utf-8")
            done = subprocess.run(  # noqa: S603 - our own interpreter and script
                [args.python, str(args.script), str(root / "facts.json")], check=False
            )
    sys.stdout.flush()
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
