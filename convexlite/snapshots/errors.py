"""Why an import is refused, with upstream's error codes (spec/database.md §8)."""

from __future__ import annotations

from convexlite.errors import BadRequestError


class ImportFailed(BadRequestError):
    """The input cannot be read as the format it claims to be."""

    code = "InvalidImport"


class NotAnObject(BadRequestError):
    code = "NotAnObject"


class Utf8BomNotSupported(BadRequestError):
    code = "Utf8BomNotSupported"


class TableExists(BadRequestError):
    code = "TableExists"


class TableConflict(BadRequestError):
    code = "TableConflict"


class ImportConflict(BadRequestError):
    code = "ImportConflict"


class DuplicateId(BadRequestError):
    code = "DuplicateId"


class ImportTableNumberConflict(BadRequestError):
    code = "InvalidId"
