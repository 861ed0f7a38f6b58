"""The `q` object handed to `.filter(lambda q: ...)`, mirroring Convex's FilterBuilder.

Any argument that is not already an expression is taken as a literal value,
as in the JS library; plain Python ints are float64 like JS numbers.
`and`, `or` and `not` are Python keywords, hence `and_`, `or_`, `not_`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from convexlite.query.expressions import (
    And,
    Arithmetic,
    Compare,
    Expression,
    Field,
    Literal,
    Neg,
    Not,
    Or,
)

__all__ = ["FilterBuilder", "as_expression", "build_filter", "q"]


def as_expression(value: Any) -> Expression:
    """`value` itself if it is an expression, else a literal of it."""
    if isinstance(value, Expression):
        return value
    return Literal(value)


class FilterBuilder:
    """Stateless factory of expression nodes; one shared instance is enough."""

    __slots__ = ()

    def field(self, path: str) -> Expression:
        return Field(path)

    def eq(self, left: Any, right: Any) -> Expression:
        return Compare("eq", as_expression(left), as_expression(right))

    def neq(self, left: Any, right: Any) -> Expression:
        return Compare("neq", as_expression(left), as_expression(right))

    def lt(self, left: Any, right: Any) -> Expression:
        return Compare("lt", as_expression(left), as_expression(right))

    def lte(self, left: Any, right: Any) -> Expression:
        return Compare("lte", as_expression(left), as_expression(right))

    def gt(self, left: Any, right: Any) -> Expression:
        return Compare("gt", as_expression(left), as_expression(right))

    def gte(self, left: Any, right: Any) -> Expression:
        return Compare("gte", as_expression(left), as_expression(right))

    def add(self, left: Any, right: Any) -> Expression:
        return Arithmetic("add", as_expression(left), as_expression(right))

    def sub(self, left: Any, right: Any) -> Expression:
        return Arithmetic("sub", as_expression(left), as_expression(right))

    def mul(self, left: Any, right: Any) -> Expression:
        return Arithmetic("mul", as_expression(left), as_expression(right))

    def div(self, left: Any, right: Any) -> Expression:
        return Arithmetic("div", as_expression(left), as_expression(right))

    def mod(self, left: Any, right: Any) -> Expression:
        return Arithmetic("mod", as_expression(left), as_expression(right))

    def neg(self, operand: Any) -> Expression:
        return Neg(as_expression(operand))

    def and_(self, *operands: Any) -> Expression:
        return And([as_expression(e) for e in operands])

    def or_(self, *operands: Any) -> Expression:
        return Or([as_expression(e) for e in operands])

    def not_(self, operand: Any) -> Expression:
        return Not(as_expression(operand))


q = FilterBuilder()


def build_filter(fn: Callable[[FilterBuilder], Any]) -> Expression:
    """Run a user's filter lambda; like the JS library, a bare value it returns is a literal."""
    return as_expression(fn(q))
