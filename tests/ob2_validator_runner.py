"""Runs the 1EdTech Open Badges 2.0 validator (PyPI `openbadges`) on one badge.

Executed by tests/test_ob2_validator.py with the Python of .venv-ob-validator (the
validator pins libraries the project cannot share). Usage:

    python ob2_validator_runner.py URL_OR_IMAGE_PATH RECIPIENT_EMAIL

Prints the validator's report as JSON. Every fetch goes to the live test server on
this machine, except the JSON-LD context https://w3id.org/openbadges/v2, which is served
from the copy the validator ships (this network cannot reach w3id.org).
"""

import json
import sys

import responses
from openbadges import verify
from openbadges.verifier.openbadges_context import (
    OPENBADGES_CONTEXT_V2_DICT,
    OPENBADGES_CONTEXT_V2_URI,
)


def main(target: str, email: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")
        mock.add_passthru("http://localhost")  # pytest-django's live server
        mock.add(responses.GET, OPENBADGES_CONTEXT_V2_URI, json=OPENBADGES_CONTEXT_V2_DICT)
        if target.startswith("http"):
            report = verify(target, recipient_profile={"email": email})
        else:
            with open(target, "rb") as image:
                report = verify(image, recipient_profile={"email": email})
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
