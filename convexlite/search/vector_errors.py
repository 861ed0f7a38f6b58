"""The errors of a vector search, with upstream's codes and messages (crates/vector)."""

from __future__ import annotations

from convexlite.errors import BadRequestError

MAX_VECTOR_DIMENSIONS = 4096


class VectorDimensionsMismatch(BadRequestError):
    code = "VectorDimensionsMismatch"

    def __init__(self, received: int, expected: int) -> None:
        super().__init__(f"Expected a vector with dimensions {expected}, received {received}.")


class IncorrectVectorFilterField(BadRequestError):
    code = "IncorrectVectorFilterField"

    def __init__(self, index_name: str, field: str) -> None:
        super().__init__(
            f'Vector query against {index_name} contains a filter on "{field}" but that field '
            "isn't indexed for filtering in `filterFields`."
        )


class TooManyElementsInVectorQueryError(BadRequestError):
    code = "TooManyElementsInVectorQueryError"


class InvalidVectorSearchFilter(BadRequestError):
    code = "InvalidVectorSearchFilter"


class VectorLimitTooLargeError(BadRequestError):
    code = "VectorLimitTooLargeError"


class InvalidVectorQuery(BadRequestError):
    """The query JSON itself is malformed (upstream fails to deserialize it)."""

    code = "InvalidVectorQuery"
