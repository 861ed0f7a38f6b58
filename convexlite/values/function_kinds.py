"""The three kinds of Convex function, named as the wire protocol and errors name them."""

from __future__ import annotations

from enum import Enum


class FunctionKind(Enum):
    QUERY = "Query"
    MUTATION = "Mutation"
    ACTION = "Action"
