"""Filter expressions: the tree, its JSON form and its evaluation (spec/database.md §7.1, §7.2).

Filters run once per scanned row, so a tree is compiled on first use into
nested closures: evaluation is then plain Python calls with no dispatch on
node types, and comparisons against literals reuse the literal's sort key.

Comparisons follow Convex's total order rather than Python's: `undefined` is
smallest, NaN equals NaN, -0.0 differs from 0.0, and `Int64(1)` differs from
`1.0`. Python's own `==`/`<` are used only where they provably agree.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from convexlite.errors import BadRequestError
from convexlite.values import UNDEFINED, Int64, decode, encode, parse_field_path, sort_key_maybe
from convexlite.values.display import render_value

__all__ = [
    "And",
    "Arithmetic",
    "Compare",
    "EvalError",
    "Expression",
    "Field",
    "InvalidQueryJson",
    "Literal",
    "Neg",
    "Not",
    "Or",
    "display_value",
    "normalize_value",
    "parse_expression",
    "type_name",
]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
MAX_EXPRESSION_DEPTH = 128

Evaluator = Callable[[dict], Any]


class EvalError(BadRequestError):
    """A filter expression could not be evaluated for some document."""

    code = "EvalError"


class InvalidQueryJson(BadRequestError):
    """Query or expression JSON does not have the shape the Convex library produces."""

    code = "BadRequest"


def normalize_value(value: Any) -> Any:
    """Turn plain Python ints (float64 by convention) into floats, recursively.

    Doing this once when a query is built keeps JSON and fingerprints of
    `1` and `1.0` identical, as they are the same Convex value.
    """
    t = type(value)
    if t is int:
        return float(value)
    if t is list or t is tuple:
        return [normalize_value(v) for v in value]
    if t is dict:
        return {k: normalize_value(v) for k, v in value.items()}
    return value


def type_name(value: Any) -> str:
    """Convex's name for the type of `value`, as used in error messages."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, Int64):
        return "Int64"
    if isinstance(value, (int, float)):
        return "Float64"
    if isinstance(value, str):
        return "String"
    if isinstance(value, (bytes, bytearray)):
        return "Bytes"
    if isinstance(value, (list, tuple)):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def display_value(value: Any) -> str:
    """Render a value for an error message the way Convex does (e.g. `"a"`, `1.0`, `2`)."""
    if value is UNDEFINED:
        return "undefined"
    return render_value(value)


# Type rank in the total order; types that share a rank (int and float are
# both float64) or are unknown must be compared by sort key.
_RANK: dict[type, int] = {
    type(UNDEFINED): 0,
    type(None): 1,
    Int64: 2,
    int: 3,
    float: 3,
    bool: 4,
    str: 5,
    bytes: 6,
    list: 7,
    dict: 8,
}


def _cmp(a: Any, b: Any) -> int:
    ta = type(a)
    tb = type(b)
    if ta is tb:
        if ta is str or ta is Int64 or ta is bool or ta is bytes:
            return (a > b) - (a < b)
        if ta is float:
            if a < b:
                return -1
            if a > b:
                return 1
            if a == b and a != 0.0:
                return 0
    else:
        ra = _RANK.get(ta)
        rb = _RANK.get(tb)
        if ra is not None and rb is not None and ra != rb:
            return -1 if ra < rb else 1
    ka = sort_key_maybe(a)
    kb = sort_key_maybe(b)
    return (ka > kb) - (ka < kb)


def _equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    ta = type(a)
    tb = type(b)
    if ta is tb:
        if ta is str or ta is Int64 or ta is bool or ta is bytes:
            return a == b
        if ta is float and a == a and b == b and (a != 0.0 or b != 0.0):
            return a == b
    else:
        ra = _RANK.get(ta)
        rb = _RANK.get(tb)
        if ra is not None and rb is not None and ra != rb:
            return False
    return sort_key_maybe(a) == sort_key_maybe(b)


def _as_bool(value: Any) -> bool:
    if value is True:
        return True
    if value is False:
        return False
    raise EvalError(
        f"Cannot use value {display_value(value)} (type {type_name(value)}) as a Boolean"
    )


def _float_div(a: float, b: float) -> float:
    if b == 0.0:
        if a == 0.0 or a != a:
            return math.nan
        negative = (math.copysign(1.0, a) < 0) != (math.copysign(1.0, b) < 0)
        return -math.inf if negative else math.inf
    return a / b


def _float_mod(a: float, b: float) -> float:
    if b == 0.0 or math.isinf(a) or a != a or b != b:
        return math.nan
    return math.fmod(a, b)


def _int_div(a: int, b: int) -> int | None:
    if b == 0:
        return None
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _int_mod(a: int, b: int) -> int | None:
    q = _int_div(a, b)
    if q is None or q > INT64_MAX:
        return None
    return a - b * q


_INT_OPS: dict[str, Callable[[int, int], int | None]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": _int_div,
    "mod": _int_mod,
}

_FLOAT_OPS: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": _float_div,
    "mod": _float_mod,
}

_VERBS = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "divide", "mod": "mod"}


def _as_float(value: Any) -> float | None:
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int) and not isinstance(value, (bool, Int64)):
        return float(value)
    return None


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, Int64) and isinstance(b, Int64):
        result = _INT_OPS[op](int(a), int(b))
        if result is None or result < INT64_MIN or result > INT64_MAX:
            if b == 0:
                raise EvalError(f"Cannot {_VERBS[op]} {int(a)} by zero")
            raise EvalError(
                f"Cannot {_VERBS[op]} {int(a)} and {int(b)}: the result is out of range for Int64"
            )
        return Int64(result)
    fa = _as_float(a)
    fb = _as_float(b)
    if fa is not None and fb is not None:
        return _FLOAT_OPS[op](fa, fb)
    raise EvalError(
        f"Cannot {_VERBS[op]} {display_value(a)} (type {type_name(a)}) "
        f"and {display_value(b)} (type {type_name(b)})"
    )


def _negate(x: Any) -> Any:
    if isinstance(x, Int64):
        if x == INT64_MIN:
            raise EvalError(f"Cannot negate {int(x)}: the result is out of range for Int64")
        return Int64(-int(x))
    fx = _as_float(x)
    if fx is not None:
        return -fx
    raise EvalError(f"Cannot negate {display_value(x)} (type {type_name(x)})")


class Expression:
    """A node of a filter expression. Subclasses are immutable after construction."""

    __slots__ = ("_fn",)
    _fn: Evaluator

    def evaluate(self, document: dict) -> Any:
        """Value of the expression for `document`, possibly `UNDEFINED`."""
        return self.compiled()(document)

    def matches(self, document: dict) -> bool:
        """Whether a filter with this expression keeps `document` (must be a boolean)."""
        return _as_bool(self.compiled()(document))

    def compiled(self) -> Evaluator:
        try:
            return self._fn
        except AttributeError:
            fn = self._fn = self._compile()
            return fn

    def predicate(self) -> Callable[[dict], bool]:
        """A fast `matches` for the per-row loop of a filter operator."""
        fn = self.compiled()

        def keep(document: dict) -> bool:
            value = fn(document)
            if value is True:
                return True
            if value is False:
                return False
            return _as_bool(value)

        return keep

    def _compile(self) -> Evaluator:
        raise NotImplementedError

    def to_json(self) -> dict:
        raise NotImplementedError

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self), self._key()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({json.dumps(self.to_json(), ensure_ascii=False)})"


class Field(Expression):
    """The value at a dotted path in the document; undefined when any step is missing."""

    __slots__ = ("path", "parts")

    def __init__(self, path: str | Sequence[str]) -> None:
        parts = tuple(parse_field_path(path)) if isinstance(path, str) else tuple(path)
        if not parts:
            raise InvalidQueryJson(f"Invalid field path {path!r}")
        self.parts: tuple[str, ...] = parts
        self.path: str = ".".join(parts)

    def _compile(self) -> Evaluator:
        parts = self.parts
        if len(parts) == 1:
            (name,) = parts

            def get_top(doc: dict) -> Any:
                return doc.get(name, UNDEFINED)

            return get_top

        def get_nested(doc: Any) -> Any:
            for name in parts:
                if type(doc) is not dict:
                    return UNDEFINED
                doc = doc.get(name, UNDEFINED)
            return doc

        return get_nested

    def to_json(self) -> dict:
        return {"$field": self.path}

    def _key(self) -> tuple:
        return (self.parts,)


class Literal(Expression):
    """A constant; plain Python ints are stored as float64."""

    __slots__ = ("value", "sort_key")

    def __init__(self, value: Any) -> None:
        self.value: Any = normalize_value(value)
        self.sort_key: bytes = sort_key_maybe(self.value)

    def _compile(self) -> Evaluator:
        value = self.value
        return lambda doc: value

    def to_json(self) -> dict:
        if self.value is UNDEFINED:
            return {"$literal": {"$undefined": None}}
        return {"$literal": encode(self.value)}

    def _key(self) -> tuple:
        return (self.sort_key,)


_COMPARISONS = ("eq", "neq", "lt", "lte", "gt", "gte")
_ORDERED_TYPES = (str, Int64, bool, bytes)
_ORDER_OPS = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}
_SIMPLE_TYPES = (*_ORDERED_TYPES, type(None))


class Compare(Expression):
    """`left <op> right` in Convex's total order; always a boolean, never an error."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expression, right: Expression) -> None:
        if op not in _COMPARISONS:
            raise ValueError(f"unknown comparison {op!r}")
        self.op = op
        self.left = left
        self.right = right

    def _compile(self) -> Evaluator:
        lf = self.left.compiled()
        op = self.op
        if isinstance(self.right, Literal):
            return _compile_compare_literal(op, lf, self.right)
        rf = self.right.compiled()
        if op == "eq":
            return lambda doc: _equal(lf(doc), rf(doc))
        if op == "neq":
            return lambda doc: not _equal(lf(doc), rf(doc))
        if op == "lt":
            return lambda doc: _cmp(lf(doc), rf(doc)) < 0
        if op == "lte":
            return lambda doc: _cmp(lf(doc), rf(doc)) <= 0
        if op == "gt":
            return lambda doc: _cmp(lf(doc), rf(doc)) > 0
        return lambda doc: _cmp(lf(doc), rf(doc)) >= 0

    def to_json(self) -> dict:
        return {f"${self.op}": [self.left.to_json(), self.right.to_json()]}

    def _key(self) -> tuple:
        return (self.op, self.left, self.right)


def _compile_compare_literal(op: str, lf: Evaluator, literal: Literal) -> Evaluator:
    """Comparison against a constant: the common `q.eq(q.field(...), value)` shape."""
    lit = literal.value
    lit_key = literal.sort_key
    lit_type = type(lit)
    rank = _RANK.get(lit_type)

    if op in ("eq", "neq"):
        negate = op == "neq"
        if lit_type in _SIMPLE_TYPES or (lit_type is float and lit == lit and lit != 0.0):

            def eq_simple(doc: dict) -> bool:
                v = lf(doc)
                tv = type(v)
                if tv is lit_type:
                    return (v == lit) is not negate
                r = _RANK.get(tv)
                if r is not None and r != rank:
                    return negate
                return (sort_key_maybe(v) == lit_key) is not negate

            return eq_simple

        def eq_general(doc: dict) -> bool:
            return (sort_key_maybe(lf(doc)) == lit_key) is not negate

        return eq_general

    py_op = _ORDER_OPS[op]
    direct = lit_type in _ORDERED_TYPES
    ieee = lit_type is float and lit == lit

    def order(doc: dict) -> bool:
        v = lf(doc)
        tv = type(v)
        if tv is lit_type:
            if direct:
                return py_op(v, lit)
            # IEEE comparison agrees with the total order unless NaN or ±0.0 == ±0.0.
            if ieee and v == v and (v != lit or v != 0.0):
                return py_op(v, lit)
        else:
            r = _RANK.get(tv)
            if r is not None and rank is not None and r != rank:
                return py_op(r, rank)
        return py_op(sort_key_maybe(v), lit_key)

    return order


_ARITHMETIC = ("add", "sub", "mul", "div", "mod")


class Arithmetic(Expression):
    """Checked int64 or IEEE float64 arithmetic; mixing the two is an error."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expression, right: Expression) -> None:
        if op not in _ARITHMETIC:
            raise ValueError(f"unknown arithmetic operator {op!r}")
        self.op = op
        self.left = left
        self.right = right

    def _compile(self) -> Evaluator:
        lf = self.left.compiled()
        rf = self.right.compiled()
        op = self.op
        fast = {
            "add": float.__add__,
            "sub": float.__sub__,
            "mul": float.__mul__,
        }.get(op)
        if fast is not None:

            def arith_fast(doc: dict) -> Any:
                a = lf(doc)
                b = rf(doc)
                if type(a) is float and type(b) is float:
                    return fast(a, b)
                return _arithmetic(op, a, b)

            return arith_fast

        def arith(doc: dict) -> Any:
            return _arithmetic(op, lf(doc), rf(doc))

        return arith

    def to_json(self) -> dict:
        return {f"${self.op}": [self.left.to_json(), self.right.to_json()]}

    def _key(self) -> tuple:
        return (self.op, self.left, self.right)


class Neg(Expression):
    __slots__ = ("operand",)

    def __init__(self, operand: Expression) -> None:
        self.operand = operand

    def _compile(self) -> Evaluator:
        f = self.operand.compiled()
        return lambda doc: _negate(f(doc))

    def to_json(self) -> dict:
        return {"$neg": self.operand.to_json()}

    def _key(self) -> tuple:
        return (self.operand,)


class Not(Expression):
    __slots__ = ("operand",)

    def __init__(self, operand: Expression) -> None:
        self.operand = operand

    def _compile(self) -> Evaluator:
        f = self.operand.compiled()

        def not_(doc: dict) -> bool:
            v = f(doc)
            if v is True:
                return False
            if v is False:
                return True
            return not _as_bool(v)

        return not_

    def to_json(self) -> dict:
        return {"$not": self.operand.to_json()}

    def _key(self) -> tuple:
        return (self.operand,)


class And(Expression):
    """True unless some operand is false; stops at the first false operand."""

    __slots__ = ("operands",)

    def __init__(self, operands: Sequence[Expression]) -> None:
        self.operands: tuple[Expression, ...] = tuple(operands)

    def _compile(self) -> Evaluator:
        fns = tuple(e.compiled() for e in self.operands)

        def and_(doc: dict) -> bool:
            for f in fns:
                v = f(doc)
                if v is False:
                    return False
                if v is not True:
                    _as_bool(v)
            return True

        return and_

    def to_json(self) -> dict:
        return {"$and": [e.to_json() for e in self.operands]}

    def _key(self) -> tuple:
        return self.operands


class Or(Expression):
    """False unless some operand is true; stops at the first true operand."""

    __slots__ = ("operands",)

    def __init__(self, operands: Sequence[Expression]) -> None:
        self.operands: tuple[Expression, ...] = tuple(operands)

    def _compile(self) -> Evaluator:
        fns = tuple(e.compiled() for e in self.operands)

        def or_(doc: dict) -> bool:
            for f in fns:
                v = f(doc)
                if v is True:
                    return True
                if v is not False:
                    _as_bool(v)
            return False

        return or_

    def to_json(self) -> dict:
        return {"$or": [e.to_json() for e in self.operands]}

    def _key(self) -> tuple:
        return self.operands


def parse_expression(obj: Any) -> Expression:
    """Build an expression from the externally tagged JSON the Convex library sends."""
    return _parse(obj, 0)


def _parse(obj: Any, depth: int) -> Expression:
    if depth > MAX_EXPRESSION_DEPTH:
        raise InvalidQueryJson(f"Filter expression is nested more than {MAX_EXPRESSION_DEPTH} deep")
    if not isinstance(obj, dict) or len(obj) != 1:
        raise InvalidQueryJson(f"Invalid filter expression: {_short(obj)}")
    ((tag, arg),) = obj.items()
    if not isinstance(tag, str) or not tag.startswith("$"):
        raise InvalidQueryJson(f"Invalid filter expression: {_short(obj)}")
    name = tag[1:]
    if name == "field":
        if not isinstance(arg, str):
            raise InvalidQueryJson(f"$field expects a string, got {_short(arg)}")
        try:
            return Field(arg)
        except BadRequestError:
            raise
        except Exception as exc:
            raise InvalidQueryJson(f"Invalid field path {arg!r}: {exc}") from exc
    if name == "literal":
        try:
            value = decode(arg, allow_undefined=True)
        except BadRequestError:
            raise
        except Exception as exc:
            raise InvalidQueryJson(f"Invalid $literal {_short(arg)}: {exc}") from exc
        return Literal(value)
    if name in _COMPARISONS or name in _ARITHMETIC:
        if not isinstance(arg, list) or len(arg) != 2:
            raise InvalidQueryJson(f"{tag} expects an array of two expressions")
        left = _parse(arg[0], depth + 1)
        right = _parse(arg[1], depth + 1)
        if name in _COMPARISONS:
            return Compare(name, left, right)
        return Arithmetic(name, left, right)
    if name == "neg":
        return Neg(_parse(arg, depth + 1))
    if name == "not":
        return Not(_parse(arg, depth + 1))
    if name in ("and", "or"):
        if not isinstance(arg, list):
            raise InvalidQueryJson(f"{tag} expects an array of expressions")
        operands = [_parse(e, depth + 1) for e in arg]
        return And(operands) if name == "and" else Or(operands)
    raise InvalidQueryJson(f"Unknown filter expression {tag!r}")


def _short(obj: Any) -> str:
    try:
        text = json.dumps(obj, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(obj)
    return text if len(text) <= 200 else text[:197] + "..."
