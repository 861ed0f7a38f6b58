"""What a read-only admin key may do with the system functions (spec/platform.md §1.6).

Upstream's system functions each require a deployment operation, and a read-only key is
allowed only the viewing ones: it reads everything the dashboard shows, but the system
mutations (the dashboard's edits of documents and files) refuse it. User functions are
not restricted, as upstream does not restrict them.
"""

from __future__ import annotations

from convexlite.auth.identity import Caller
from convexlite.errors import BadRequestError
from convexlite.functions.definitions import FunctionKind


class OperationNotPermitted(BadRequestError):
    code = "OperationNotPermitted"
    status = 403


def check_system_write(caller: Caller, kind: FunctionKind, path: str) -> None:
    """Refuse a system mutation or action to a read-only admin key."""
    if caller.admin is None or not caller.admin.read_only or kind is FunctionKind.QUERY:
        return
    if path.rpartition("|")[2].lstrip("/").startswith("_system/"):
        raise OperationNotPermitted(
            "You do not have permission to perform this operation (WriteData): "
            "the admin key is read-only."
        )
