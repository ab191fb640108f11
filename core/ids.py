"""Public identifiers.

Every object that appears in a URL gets an `entity_id`: the 16 random bytes of a uuid4
in url-safe base64 without padding, 22 characters, the format of Badgr's `entityId`.
Sequential primary keys never leave the database.
"""

import base64
import re
import uuid

ENTITY_ID_LENGTH = 22
ENTITY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_entity_id() -> str:
    # Never starting with "-": such ids read as options on a command line and as
    # formulas in a spreadsheet. Redrawing costs 1 bit of the uuid's 122.
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if value[0] != "-":
            return value


def is_entity_id(value: object) -> bool:
    return isinstance(value, str) and ENTITY_ID_RE.match(value) is not None
