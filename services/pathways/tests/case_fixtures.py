"""The CASE fixture packages (``fixtures/case``, see its README) and a revision of one."""

import copy
import json
from pathlib import Path
from typing import Any

__all__ = ["FIXTURES", "PLACEHOLDER_1", "PLACEHOLDER_2", "load", "revised"]

FIXTURES = Path(__file__).parent / "fixtures" / "case"
PLACEHOLDER_1 = "e1000001-aaaa-4bbb-8ccc-000000000001"
PLACEHOLDER_2 = "e1000001-aaaa-4bbb-8ccc-000000000002"


def load(name: str) -> dict[str, Any]:
    package: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return package


def revised(package: dict[str, Any]) -> dict[str, Any]:
    """The next version of the 1.0 fixture: one statement changed, LV.1.OA.6 removed (with its
    associations), LV.K.CC.3 added after LV.K.CC.2."""
    new = copy.deepcopy(package)
    new["CFDocument"]["lastChangeDateTime"] = "2024-06-01T09:00:00+00:00"
    gone = "c5fb10a4-d7cb-11e8-824f-0242ac160002"
    new["CFItems"] = [i for i in new["CFItems"] if i["identifier"] != gone]
    new["CFItems"][1]["fullStatement"] = "Count to 120 by ones and by tens."
    added = "c5fb10a6-d7cb-11e8-824f-0242ac160002"
    new["CFItems"].append(
        {
            "identifier": added,
            "uri": f"https://case.example.org/uri/{added}",
            "fullStatement": "Write numbers from 0 to 20.",
            "humanCodingScheme": "LV.K.CC.3",
            "lastChangeDateTime": "2024-06-01T09:00:00+00:00",
        }
    )
    new["CFAssociations"] = [
        a
        for a in new["CFAssociations"]
        if gone not in (a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])
    ]
    new["CFAssociations"].append(
        {
            "identifier": "d0000099-d7cb-11e8-824f-0242ac160002",
            "associationType": "precedes",
            "uri": "https://case.example.org/uri/d0000099-d7cb-11e8-824f-0242ac160002",
            "originNodeURI": {
                "title": "LV.K.CC.2",
                "identifier": "c5fb10a3-d7cb-11e8-824f-0242ac160002",
                "uri": "https://case.example.org/uri/c5fb10a3-d7cb-11e8-824f-0242ac160002",
            },
            "destinationNodeURI": {
                "title": "LV.K.CC.3",
                "identifier": added,
                "uri": f"https://case.example.org/uri/{added}",
            },
            "lastChangeDateTime": "2024-06-01T09:00:00+00:00",
        }
    )
    return new
