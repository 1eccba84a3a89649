"""The gateway's public OpenAPI document, built in-process (no running stack): the four apps are
created, each service's document is read from its app and the gateway merges them exactly as it
does at run time from the documents the services serve.

``python -m pathwise_devstack.public_openapi --out openapi.json`` writes it (``make openapi-check``
lints it and generates clients from it); ``tests/test_openapi_product.py`` checks its rules.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["build", "main"]


def build() -> dict[str, Any]:
    """The public document, as the gateway serves it once it has read every service's."""
    # Test settings: no secrets or databases needed to build an app and read its document.
    os.environ.setdefault("PATHWISE_ENV", "test")
    from pathwise_assessment.app import create_app as assessment_app
    from pathwise_gateway.app import create_app as gateway_app
    from pathwise_gateway.proxy.api.openapi import public_openapi
    from pathwise_pathways.app import create_app as pathways_app
    from pathwise_profiles.app import create_app as profiles_app

    services = {
        "profiles": profiles_app().openapi(),
        "pathways": pathways_app().openapi(),
        "assessment": assessment_app().openapi(),
    }
    return public_openapi(gateway_app(), services)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="write here (default: standard output)")
    args = parser.parse_args(argv)
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
