"""Validators (`v.*`) for function arguments, return values and documents.

A validator is an immutable description (`v.object({...})`) that knows three
things: its validator JSON (spec/functions.md §1.6.3, the form pushed JS
functions export, so both kinds of function share one implementation), its
display form (`v.object({author: v.string()})`, as the server prints it in
messages) and how to check a Python value.

Checking runs on every function call and every write, so each validator is
compiled once, lazily, into a closure (object validators into generated,
unrolled code); the closures dispatch on `type(x)` and only build error text
after a failure. Errors reproduce the server's
ValidationError texts (crates/common/src/schemas/validator.rs): the first
failure in field-name order, with a `Path:` built while the failure unwinds.

Checking also normalises: a plain Python `int` accepted by `v.number()` comes
back as a `float`, because convexlite's value model makes `int` a float64 and
handlers should see the same type a JS client would send. `v.any()` leaves its
value untouched; the value layer owns conversions of unvalidated data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, ClassVar

from convexlite.errors import BadRequestError
from convexlite.values.display import format_float_literal, render_value
from convexlite.values.identifiers import identifier_problem
from convexlite.values.ids import InvalidIdError, decode_id
from convexlite.values.int64 import Int64
from convexlite.values.json_codec import ConvexJsonError, decode, encode

__all__ = [
    "InvalidValidatorError",
    "TableNameOf",
    "ValidationError",
    "Validator",
    "VAny",
    "VArray",
    "VBoolean",
    "VBytes",
    "VCommitTs",
    "VFloat64",
    "VId",
    "VInt64",
    "VLiteral",
    "VNull",
    "VObject",
    "VRecord",
    "VString",
    "VUnion",
    "args_validator",
    "document_prechecker",
    "iter_validators",
    "returns_validator",
    "v",
    "validate_args",
    "validate_returns",
    "validator_from_json",
]

TableNameOf = Callable[[int], "str | None"]
"""Maps a table number to the table's name, or None when no such table exists."""

_Checker = Callable[[Any, "TableNameOf | None"], Any]
_MISSING: Any = object()
_NoneType = type(None)


class ValidationError(BadRequestError):
    """A value did not match its validator.

    `detail` is the server's multi-line explanation; `prefix` names the check
    (`ArgumentValidationError`, `ReturnsValidationError`) and, when present,
    leads the message as `<prefix>: <detail>`, which is what clients display.
    """

    def __init__(self, detail: str, prefix: str | None = None) -> None:
        self.detail = detail
        self.prefix = prefix
        super().__init__(f"{prefix}: {detail}" if prefix else detail)

    def with_prefix(self, prefix: str) -> ValidationError:
        return ValidationError(self.detail, prefix)


class InvalidValidatorError(BadRequestError):
    """A validator definition is malformed (in Python code or in pushed JSON).

    `code` is the upstream error code where one exists (`InvalidRecordType`,
    `UnsupportedFloatLiteral`), so the push endpoint can report it as is.
    """

    def __init__(self, message: str, code: str = "InvalidValidator") -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]


class _Fail(Exception):
    """Internal: a mismatch on its way up, collecting the path as it unwinds."""

    def __init__(self, make: Callable[[str], str]) -> None:
        self.make = make
        self.path: list[str] = []

    def detail(self, path_prefix: str = "") -> str:
        if self.path or path_prefix:
            context = "Path: " + path_prefix + "".join(reversed(self.path))
        else:
            context = ""
        return self.make(context)


def _no_match(value: Any, validator: Validator) -> _Fail:
    return _Fail(
        lambda ctx: (
            f"Value does not match validator.\n{ctx}\n"
            f"Value: {render_value(value)}\nValidator: {validator._display()}"
        )
    )


def _missing_field(obj: Any, field: str, validator: VObject) -> _Fail:
    return _Fail(
        lambda ctx: (
            f"Object is missing the required field `{field}`. Consider wrapping the field "
            f"validator in `v.optional(...)` if this is expected.\n{ctx}\n"
            f"Object: {render_value(obj)}\nValidator: {validator._display()}"
        )
    )


def _extra_field(obj: Any, field: Any, validator: VObject) -> _Fail:
    return _Fail(
        lambda ctx: (
            f"Object contains extra field `{field}` that is not in the validator.\n{ctx}\n"
            f"Object: {render_value(obj)}\nValidator: {validator._display()}"
        )
    )


def _literal_mismatch(value: Any, validator: VLiteral) -> _Fail:
    return _Fail(
        lambda ctx: (
            f"`{render_value(value)}` does not match literal validator "
            f"`v.literal({validator._literal_display()})`.{ctx}"
        )
    )


def _table_mismatch(id_: str, found: str, table: str) -> _Fail:
    if found.startswith("_"):
        return _Fail(
            lambda ctx: (
                f'Found ID "{id_}" from a system table, which does not match the table name '
                f'in validator `v.id("{table}")`.{ctx}'
            )
        )
    return _Fail(
        lambda ctx: (
            f'Found ID "{id_}" from table `{found}`, which does not match the table name in '
            f'validator `v.id("{table}")`.{ctx}'
        )
    )


@lru_cache(maxsize=8192)
def _id_table_number(s: str) -> int | None:
    """Table number of a document id string, or None if it is not an id."""
    try:
        table_number, _ = decode_id(s)
    except InvalidIdError:
        return None
    return table_number


class Validator:
    """Base of all validators; compare with `==`, render with `str()`."""

    kind: ClassVar[str]
    __slots__ = ("is_optional", "_checker_cache", "_key_cache")

    def __init__(self, *, optional: bool = False) -> None:
        self.is_optional = optional
        self._checker_cache: _Checker | None = None
        self._key_cache: tuple | None = None

    def as_optional(self) -> Validator:
        """This validator as an optional object field (`v.optional(...)`)."""
        if self.is_optional:
            return self
        clone = self._clone()
        clone.is_optional = True
        return clone

    def _clone(self) -> Validator:
        cls = type(self)
        clone = cls.__new__(cls)
        for klass in cls.__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if hasattr(self, slot):
                    setattr(clone, slot, getattr(self, slot))
        clone._key_cache = None
        return clone

    def validate(
        self, value: Any, *, table_name_of: TableNameOf | None = None, path: str = ""
    ) -> Any:
        """Check `value` and return it normalised (plain `int` → `float` where a number is
        expected, tuples → lists).

        `table_name_of` resolves table numbers so `v.id("t")` can reject ids of
        other tables; without it an id only has to be well formed. `path` is
        prepended to the reported `Path:`.
        """
        try:
            return self._checker(value, table_name_of)
        except _Fail as failure:
            raise ValidationError(failure.detail(path)) from None

    def is_valid(self, value: Any, *, table_name_of: TableNameOf | None = None) -> bool:
        try:
            self._checker(value, table_name_of)
        except _Fail:
            return False
        return True

    @property
    def _checker(self) -> _Checker:
        checker = self._checker_cache
        if checker is None:
            checker = self._checker_cache = self._compile()
        return checker

    def to_json(self) -> dict[str, Any]:
        """Validator JSON (spec/functions.md §1.6.3); optionality lives in the parent."""
        return {"type": self.kind}

    def _compile(self) -> _Checker:
        raise NotImplementedError

    def _display(self) -> str:
        return f"v.{self.kind}()"

    def _payload(self) -> tuple:
        return ()

    def _py_types(self) -> frozenset[type] | None:
        """The Python types this validator may accept; None means any type."""
        return None

    def _fast_type(self) -> type | None:
        """A type whose instances pass unchanged, letting containers skip the call."""
        return None

    @property
    def _key(self) -> tuple:
        key = self._key_cache
        if key is None:
            key = self._key_cache = (self.kind, self.is_optional, self._payload())
        return key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Validator):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __str__(self) -> str:
        inner = self._display()
        return f"v.optional({inner})" if self.is_optional else inner

    __repr__ = __str__


class VString(Validator):
    kind = "string"
    __slots__ = ()

    def _py_types(self) -> frozenset[type]:
        return frozenset((str,))

    def _fast_type(self) -> type:
        return str

    def _compile(self) -> _Checker:
        def check(value: Any, resolve: Any) -> Any:
            if type(value) is str:
                return value
            if isinstance(value, str):
                return str.__str__(value)
            raise _no_match(value, self)

        return check


class VFloat64(Validator):
    kind = "number"
    __slots__ = ()

    def _display(self) -> str:
        return "v.float64()"

    def _py_types(self) -> frozenset[type]:
        return frozenset((float, int))

    def _fast_type(self) -> type:
        return float

    def _compile(self) -> _Checker:
        def check(value: Any, resolve: Any) -> Any:
            t = type(value)
            if t is float:
                return value
            if t is int or (
                isinstance(value, int | float) and t is not bool and not isinstance(value, Int64)
            ):
                try:
                    return float(value)
                except OverflowError:
                    pass
            raise _no_match(value, self)

        return check


class VInt64(Validator):
    kind = "bigint"
    __slots__ = ()

    def _display(self) -> str:
        return "v.int64()"

    def _py_types(self) -> frozenset[type]:
        return frozenset((Int64,))

    def _fast_type(self) -> type:
        return Int64

    def _compile(self) -> _Checker:
        def check(value: Any, resolve: Any) -> Any:
            if isinstance(value, Int64):
                return value
            raise _no_match(value, self)

        return check


class VCommitTs(VInt64):
    """An int64 that mutations may leave for the committer to fill in (JS `v.commitTs()`)."""

    kind = "commitTs"
    __slots__ = ()

    def _display(self) -> str:
        return "v.commitTs()"


class VBoolean(Validator):
    kind = "boolean"
    __slots__ = ()

    def _py_types(self) -> frozenset[type]:
        return frozenset((bool,))

    def _fast_type(self) -> type:
        return bool

    def _compile(self) -> _Checker:
        def check(value: Any, resolve: Any) -> Any:
            if value is True or value is False:
                return value
            raise _no_match(value, self)

        return check


class VNull(Validator):
    kind = "null"
    __slots__ = ()

    def _py_types(self) -> frozenset[type]:
        return frozenset((_NoneType,))

    def _fast_type(self) -> type:
        return _NoneType

    def _compile(self) -> _Checker:
        def check(value: Any, resolve: Any) -> Any:
            if value is None:
                return None
            raise _no_match(value, self)

        return check


class VBytes(Validator):
    kind = "bytes"
    __slots__ = ()

    def _py_types(self) -> frozenset[type]:
        return frozenset((bytes, bytearray, memoryview))

    def _fast_type(self) -> type:
        return bytes

    def _compile(self) -> _Checker:
        def check(value: Any, resolve: Any) -> Any:
            if type(value) is bytes:
                return value
            if isinstance(value, bytes | bytearray | memoryview):
                return bytes(value)
            raise _no_match(value, self)

        return check


class VAny(Validator):
    kind = "any"
    __slots__ = ()

    def _compile(self) -> _Checker:
        def check(value: Any, resolve: Any) -> Any:
            return value

        return check


class VId(Validator):
    kind = "id"
    __slots__ = ("table_name",)

    def __init__(self, table_name: str, *, optional: bool = False) -> None:
        if not isinstance(table_name, str):
            raise InvalidValidatorError("v.id(tableName) requires a string")
        problem = identifier_problem(table_name)
        if problem is not None:
            raise InvalidValidatorError(
                f'Invalid table name: "{table_name}". Identifiers must start with a letter '
                "and can only contain letters, digits, and underscores.",
                "InvalidTableName",
            )
        super().__init__(optional=optional)
        self.table_name = table_name

    def to_json(self) -> dict[str, Any]:
        return {"type": "id", "tableName": self.table_name}

    def _display(self) -> str:
        return f'v.id("{self.table_name}")'

    def _payload(self) -> tuple:
        return (self.table_name,)

    def _py_types(self) -> frozenset[type]:
        return frozenset((str,))

    def _compile(self) -> _Checker:
        table = self.table_name

        def check(value: Any, resolve: TableNameOf | None) -> Any:
            if type(value) is not str:
                if not isinstance(value, str):
                    raise _no_match(value, self)
                value = str.__str__(value)
            number = _id_table_number(value)
            if number is None:
                raise _no_match(value, self)
            if resolve is None:
                return value
            found = resolve(number)
            if found is None:
                raise _no_match(value, self)
            if found != table:
                raise _table_mismatch(value, found, table)
            return value

        return check


def _literal_key(value: Any) -> Any:
    """Identity of a literal value: equal keys iff the Convex values are equal."""
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return (bool, value)
    if isinstance(value, Int64):
        return (Int64, int(value))
    if isinstance(value, int | float):
        try:
            f = float(value)
        except OverflowError:
            return None
        return (float, f, math.copysign(1.0, f) < 0)
    if isinstance(value, str):
        return str.__str__(value)
    return None


class VLiteral(Validator):
    kind = "literal"
    __slots__ = ("value", "_lit_key")

    def __init__(self, value: str | float | bool | Int64, *, optional: bool = False) -> None:
        if isinstance(value, str):
            value = str.__str__(value)
        elif isinstance(value, bool | Int64):
            pass
        elif isinstance(value, int | float):
            value = float(value)
            if not math.isfinite(value):
                raise InvalidValidatorError(
                    "Infinite or NaN values are not supported in literal validators.",
                    "UnsupportedFloatLiteral",
                )
        else:
            raise InvalidValidatorError("v.literal(value) must be a string, number, or boolean")
        super().__init__(optional=optional)
        self.value = value
        self._lit_key = _literal_key(value)

    def to_json(self) -> dict[str, Any]:
        return {"type": "literal", "value": encode(self.value)}

    def _literal_display(self) -> str:
        value = self.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Int64):
            return "<bigint>"
        if isinstance(value, float):
            return format_float_literal(value)
        return json.dumps(value, ensure_ascii=False)

    def _display(self) -> str:
        return f"v.literal({self._literal_display()})"

    def _payload(self) -> tuple:
        return (self._lit_key,)

    def _py_types(self) -> frozenset[type]:
        value = self.value
        if isinstance(value, bool):
            return frozenset((bool,))
        if isinstance(value, Int64):
            return frozenset((Int64,))
        if isinstance(value, float):
            return frozenset((float, int))
        return frozenset((str,))

    def _compile(self) -> _Checker:
        key = self._lit_key
        canonical = self.value

        def check(value: Any, resolve: Any) -> Any:
            if value is canonical or _literal_key(value) == key:
                return canonical
            raise _literal_mismatch(value, self)

        return check


class VArray(Validator):
    kind = "array"
    __slots__ = ("element",)

    def __init__(self, element: Validator, *, optional: bool = False) -> None:
        _require_validator(element, "v.array()")
        if element.is_optional:
            raise InvalidValidatorError(
                "v.array() elements cannot be optional; v.optional(...) is only allowed "
                "for object fields"
            )
        super().__init__(optional=optional)
        self.element = element

    def to_json(self) -> dict[str, Any]:
        return {"type": "array", "value": self.element.to_json()}

    def _display(self) -> str:
        return f"v.array({self.element})"

    def _payload(self) -> tuple:
        return (self.element._key,)

    def _py_types(self) -> frozenset[type]:
        return frozenset((list, tuple))

    def _compile(self) -> _Checker:
        fast = self.element._fast_type()
        check_element = self.element._checker

        def check(value: Any, resolve: Any) -> Any:
            if type(value) is not list and not isinstance(value, list | tuple):
                raise _no_match(value, self)
            out: list[Any] = []
            append = out.append
            for i, item in enumerate(value):
                if type(item) is fast:
                    append(item)
                    continue
                try:
                    append(check_element(item, resolve))
                except _Fail as failure:
                    failure.path.append(f"[{i}]")
                    raise
            return out

        return check


class VObject(Validator):
    kind = "object"
    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, Validator], *, optional: bool = False) -> None:
        if not isinstance(fields, Mapping):
            raise InvalidValidatorError("v.object() expects a dict of field validators")
        for name, field in fields.items():
            if not isinstance(name, str):
                raise InvalidValidatorError(f"v.object() field names must be strings: {name!r}")
            _require_validator(field, "v.object()", name)
            problem = identifier_problem(name)
            if problem is not None:
                raise InvalidValidatorError(f"Invalid field name `{name}` in v.object(): {problem}")
        super().__init__(optional=optional)
        self.fields: dict[str, Validator] = dict(fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "object",
            "value": {
                name: {"fieldType": field.to_json(), "optional": field.is_optional}
                for name, field in self.fields.items()
            },
        }

    def _display(self) -> str:
        inner = ", ".join(f"{name}: {self.fields[name]}" for name in sorted(self.fields))
        return "v.object({" + inner + "})"

    def _payload(self) -> tuple:
        return tuple(sorted((name, field._key) for name, field in self.fields.items()))

    def _py_types(self) -> frozenset[type]:
        return frozenset((dict,))

    def extend(self, fields: Mapping[str, Validator]) -> VObject:
        return VObject({**self.fields, **fields}, optional=self.is_optional)

    def pick(self, *names: str) -> VObject:
        return VObject({n: self.fields[n] for n in names}, optional=self.is_optional)

    def omit(self, *names: str) -> VObject:
        dropped = set(names)
        return VObject(
            {n: f for n, f in self.fields.items() if n not in dropped}, optional=self.is_optional
        )

    def partial(self) -> VObject:
        return VObject(
            {n: f.as_optional() for n, f in self.fields.items()}, optional=self.is_optional
        )

    def _compile(self) -> _Checker:
        return _generate_object_checker(self, document=False)


def _first_extra(value: dict, known: frozenset[str]) -> Any:
    return min((k for k in value if k not in known), key=str)


def _generate_object_checker(obj: VObject, *, document: bool) -> _Checker:
    """Straight-line Python for one object validator, compiled with `exec`.

    Objects are the hot path (every argument object, every document), and an
    unrolled function with the field names as constants runs about twice as
    fast as a loop over field specs. Field names are identifiers, so `repr`
    quotes them safely.

    `document=True` builds a pre-check for stored documents: it tolerates the
    `_id`/`_creationTime` system fields, builds no output, and reports any
    failure without detail so the caller re-checks the filtered document with
    the ordinary checker to get upstream's exact message.
    """
    env: dict[str, Any] = {
        "_Fail": _Fail,
        "_no_match": _no_match,
        "_missing_field": _missing_field,
        "_extra_field": _extra_field,
        "_first_extra": _first_extra,
    }
    fields = sorted(obj.fields.items())
    bound = {"MISSING": _MISSING, "known": frozenset(obj.fields), "self": obj}
    required = sum(1 for _, field in fields if not field.is_optional)
    lines = [
        "    def check(value, resolve):",
        "        if type(value) is not dict and not isinstance(value, dict):",
        "            raise _no_match(value, self)",
        "        get = value.get",
        f"        n = {required}",
    ]
    if not document:
        lines.append("        out = {}")
    for i, (name, field) in enumerate(fields):
        key = repr(name)
        fast = field._fast_type()
        bound[f"c{i}"] = field._checker
        bound[f"t{i}"] = fast
        lines.append(f"        x = get({key}, MISSING)")
        if field.is_optional:
            lines.append("        if x is not MISSING:")
            body = ["n += 1"]
        else:
            lines.append("        if x is MISSING:")
            lines.append(f"            raise _missing_field(value, {key}, self)")
            lines.append("        else:")
            body = []
        call = f"c{i}(x, resolve)" if document else f"out[{key}] = c{i}(x, resolve)"
        guarded = [
            "try:",
            f"    {call}",
            "except _Fail as f:",
            f"    f.path.append({'.' + name!r})",
            "    raise",
        ]
        if isinstance(field, VAny):
            body.append("pass" if document else f"out[{key}] = x")
        elif fast is None:
            body += guarded
        elif document:
            body.append(f"if type(x) is not t{i}:")
            body += ["    " + line for line in guarded]
        else:
            body += [f"if type(x) is t{i}:", f"    out[{key}] = x", "else:"]
            body += ["    " + line for line in guarded]
        if not body:
            body = ["pass"]
        lines += ["            " + line for line in body]
    if document:
        lines += [
            '        if n + ("_id" in value) + ("_creationTime" in value) != len(value):',
            "            raise _Fail(str)",
            "        return None",
        ]
    else:
        lines += [
            "        if n != len(value):",
            "            raise _extra_field(value, _first_extra(value, known), self)",
            "        return out",
        ]
    names = ", ".join(bound)
    source = "\n".join([f"def make({names}):", *lines, "    return check"])
    exec(compile(source, f"<validator {obj._display()[:60]}>", "exec"), env)
    return env["make"](**bound)


def document_prechecker(validator: Validator) -> _Checker | None:
    """A fast yes/no check of a stored document against a table validator.

    Returns None for `v.any()`. On any failure the checker raises without a
    useful message; callers then strip the top-level `_` fields and run the
    ordinary checker, which is what upstream validates and reports.
    """
    if isinstance(validator, VAny):
        return None
    if isinstance(validator, VObject):
        return _generate_object_checker(validator, document=True)
    if isinstance(validator, VUnion) and all(isinstance(m, VObject) for m in validator.members):
        members = tuple(
            _generate_object_checker(m, document=True)  # type: ignore[arg-type]
            for m in validator.members
        )

        def check(value: Any, resolve: Any) -> Any:
            for member in members:
                try:
                    return member(value, resolve)
                except _Fail:
                    pass
            raise _Fail(str)

        return check
    raise InvalidValidatorError(f"Not a document validator: {validator}")


def _is_string_subtype(validator: Validator) -> bool:
    if isinstance(validator, VString | VId):
        return True
    if isinstance(validator, VLiteral):
        return isinstance(validator.value, str)
    if isinstance(validator, VUnion):
        return all(_is_string_subtype(m) for m in validator.members)
    return False


def _has_string_literal(validator: Validator) -> bool:
    if isinstance(validator, VLiteral):
        return isinstance(validator.value, str)
    if isinstance(validator, VUnion):
        return any(_has_string_literal(m) for m in validator.members)
    return False


class VRecord(Validator):
    kind = "record"
    __slots__ = ("key", "value")

    def __init__(self, key: Validator, value: Validator, *, optional: bool = False) -> None:
        _require_validator(key, "v.record()", "key")
        _require_validator(value, "v.record()", "value")
        if key.is_optional:
            raise InvalidValidatorError(
                "Record validator cannot have optional keys", "InvalidRecordType"
            )
        if value.is_optional:
            raise InvalidValidatorError("Records cannot have optional values", "InvalidRecordType")
        if not _is_string_subtype(key):
            raise InvalidValidatorError(
                "Records can only have string keys. Your validator contains a record with key "
                f"typed as `{key}`, which is not a subtype of `v.string()`",
                "InvalidRecordType",
            )
        if _has_string_literal(key):
            raise InvalidValidatorError(
                "Records cannot have string literal keys", "InvalidRecordType"
            )
        super().__init__(optional=optional)
        self.key = key
        self.value = value

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "record",
            "keys": self.key.to_json(),
            "values": {"fieldType": self.value.to_json(), "optional": False},
        }

    def _display(self) -> str:
        return f"v.record({self.key}, {self.value})"

    def _payload(self) -> tuple:
        return (self.key._key, self.value._key)

    def _py_types(self) -> frozenset[type]:
        return frozenset((dict,))

    def _compile(self) -> _Checker:
        check_key = self.key._checker
        check_value = self.value._checker
        value_fast = self.value._fast_type()

        def check(value: Any, resolve: Any) -> Any:
            if not isinstance(value, dict):
                raise _no_match(value, self)
            out = {}
            try:
                for k, item in value.items():
                    check_key(k, resolve)
                    out[k] = item if type(item) is value_fast else check_value(item, resolve)
                return out
            except _Fail:
                pass
            for k in sorted(value, key=str):
                try:
                    check_key(k, resolve)
                except _Fail as failure:
                    failure.path.append(".keys()")
                    raise
                try:
                    check_value(value[k], resolve)
                except _Fail as failure:
                    failure.path.append(".values()")
                    raise
            raise AssertionError("record check failed without a reportable failure")

        return check


_DISPATCH_TYPES: tuple[type, ...] = (
    _NoneType,
    bool,
    str,
    float,
    int,
    Int64,
    bytes,
    list,
    tuple,
    dict,
)


class VUnion(Validator):
    kind = "union"
    __slots__ = ("members",)

    def __init__(self, *members: Validator, optional: bool = False) -> None:
        for i, member in enumerate(members):
            _require_validator(member, "v.union()", f"member at index {i}")
            if member.is_optional:
                raise InvalidValidatorError(
                    "v.union() members cannot be optional; wrap the whole union in "
                    "v.optional(...) instead"
                )
        super().__init__(optional=optional)
        self.members: tuple[Validator, ...] = members

    def to_json(self) -> dict[str, Any]:
        return {"type": "union", "value": [m.to_json() for m in self.members]}

    def _display(self) -> str:
        return "v.union(" + ", ".join(str(m) for m in self.members) + ")"

    def _payload(self) -> tuple:
        return tuple(m._key for m in self.members)

    def _py_types(self) -> frozenset[type] | None:
        types: set[type] = set()
        for m in self.members:
            member_types = m._py_types()
            if member_types is None:
                return None
            types |= member_types
        return frozenset(types)

    def _compile(self) -> _Checker:
        members = self.members
        if len(members) == 1:
            return members[0]._checker
        if members and all(isinstance(m, VLiteral) for m in members):
            return self._compile_literals()
        checkers = tuple(m._checker for m in members)
        by_type: dict[type, tuple[_Checker, ...]] = {}
        for t in _DISPATCH_TYPES:
            by_type[t] = tuple(
                c
                for m, c in zip(members, checkers, strict=True)
                if (types := m._py_types()) is None or t in types
            )

        def check(value: Any, resolve: Any) -> Any:
            for candidate in by_type.get(type(value), checkers):
                try:
                    return candidate(value, resolve)
                except _Fail:
                    pass
            raise _no_match(value, self)

        return check

    def _compile_literals(self) -> _Checker:
        accepted: dict[Any, Any] = {}
        for m in self.members:
            assert isinstance(m, VLiteral)
            accepted.setdefault(m._lit_key, m.value)

        def check(value: Any, resolve: Any) -> Any:
            try:
                return accepted[_literal_key(value)]
            except (KeyError, TypeError):
                raise _no_match(value, self) from None

        return check


def _require_validator(candidate: Any, context: str, what: str | None = None) -> None:
    if isinstance(candidate, Validator):
        return
    where = f' for field "{what}"' if what is not None and context == "v.object()" else ""
    if candidate is None:
        raise InvalidValidatorError(f"A validator is undefined{where} in {context}.")
    raise InvalidValidatorError(f"{context} arguments must be validators, got {candidate!r}")


def _literal_from_json(raw: Any) -> Any:
    """A literal's value from validator JSON: numbers are float64s, and `$integer`/`$float`
    are decoded by the value codec."""
    if isinstance(raw, bool | str):
        return raw
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, dict) and len(raw) == 1:
        ((tag, _),) = raw.items()
        if tag in ("$integer", "$float"):
            try:
                return decode(raw)
            except ConvexJsonError:
                raise InvalidValidatorError(
                    f"Invalid {tag} encoding in literal validator: {raw!r}"
                ) from None
    raise InvalidValidatorError(f"Value {json.dumps(raw)} is not a valid literal.")


_SIMPLE: dict[str, Callable[[], Validator]] = {
    "string": VString,
    "number": VFloat64,
    "bigint": VInt64,
    "boolean": VBoolean,
    "null": VNull,
    "bytes": VBytes,
    "any": VAny,
    "map": VAny,
    "set": VAny,
    "commitTs": VCommitTs,
}


def analyzed_validator(raw: Any) -> Validator | None:
    """An analysed function's `args` or `returns`: None where the push recorded none."""
    if raw is None or raw == "null":
        return None
    return validator_from_json(raw)


def validator_from_json(obj: Mapping[str, Any] | str) -> Validator:
    """Build a validator from validator JSON, as exported by pushed JS functions.

    Accepts the parsed JSON or its text. Raises `InvalidValidatorError` for
    anything the server would refuse at push time.
    """
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except ValueError as exc:
            raise InvalidValidatorError(f"Invalid validator JSON: {exc}") from None
    if not isinstance(obj, Mapping):
        raise InvalidValidatorError(f"Validator JSON must be an object, got {obj!r}")
    kind = obj.get("type")
    simple = _SIMPLE.get(kind) if isinstance(kind, str) else None
    if simple is not None:
        return simple()
    try:
        if kind == "literal":
            return VLiteral(_literal_from_json(obj["value"]))
        if kind == "id":
            return VId(obj["tableName"])
        if kind == "array":
            return VArray(validator_from_json(obj["value"]))
        if kind == "union":
            members = obj["value"]
            if not isinstance(members, list):
                raise InvalidValidatorError("Union validator JSON needs a list of members")
            return VUnion(*(validator_from_json(m) for m in members))
        if kind == "record":
            keys = validator_from_json(obj["keys"])
            values, optional = _field_from_json(obj["values"])
            record = VRecord(keys, values)
            if optional:
                raise InvalidValidatorError(
                    "Records cannot have optional values", "InvalidRecordType"
                )
            return record
        if kind == "object":
            raw_fields = obj["value"]
            if not isinstance(raw_fields, Mapping):
                raise InvalidValidatorError("Object validator JSON needs a map of fields")
            fields = {}
            for name, raw in raw_fields.items():
                try:
                    field, optional = _field_from_json(raw)
                    fields[name] = field.as_optional() if optional else field
                except InvalidValidatorError as exc:
                    raise InvalidValidatorError(
                        f"Invalid validator for key `{name}`: {exc.message}", exc.code
                    ) from None
            return VObject(fields)
    except KeyError as exc:
        raise InvalidValidatorError(
            f"Validator JSON of type {kind!r} is missing {exc.args[0]!r}"
        ) from None
    raise InvalidValidatorError(f"Unknown validator type {kind!r}")


def _field_from_json(raw: Any) -> tuple[Validator, bool]:
    if not isinstance(raw, Mapping) or "fieldType" not in raw:
        raise InvalidValidatorError(f"Field validator JSON needs a fieldType: {raw!r}")
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise InvalidValidatorError(f"Field validator `optional` must be a boolean: {raw!r}")
    return validator_from_json(raw["fieldType"]), optional


class _Builders:
    """The `v` namespace: one builder per Convex validator, named as in the JS library."""

    __slots__ = ()

    @staticmethod
    def string() -> VString:
        return VString()

    @staticmethod
    def number() -> VFloat64:
        return VFloat64()

    @staticmethod
    def float64() -> VFloat64:
        return VFloat64()

    @staticmethod
    def int64() -> VInt64:
        return VInt64()

    @staticmethod
    def bigint() -> VInt64:
        return VInt64()

    @staticmethod
    def commit_ts() -> VCommitTs:
        return VCommitTs()

    @staticmethod
    def boolean() -> VBoolean:
        return VBoolean()

    @staticmethod
    def null() -> VNull:
        return VNull()

    @staticmethod
    def bytes() -> VBytes:
        return VBytes()

    @staticmethod
    def any() -> VAny:
        return VAny()

    @staticmethod
    def id(table_name: str) -> VId:
        return VId(table_name)

    @staticmethod
    def literal(value: str | float | bool | Int64) -> VLiteral:
        return VLiteral(value)

    @staticmethod
    def array(element: Validator) -> VArray:
        return VArray(element)

    @staticmethod
    def object(fields: Mapping[str, Validator]) -> VObject:
        return VObject(fields)

    @staticmethod
    def record(keys: Validator, values: Validator) -> VRecord:
        return VRecord(keys, values)

    @staticmethod
    def union(*members: Validator) -> VUnion:
        return VUnion(*members)

    @staticmethod
    def optional(inner: Validator) -> Validator:
        _require_validator(inner, "v.optional()")
        return inner.as_optional()

    @staticmethod
    def nullable(inner: Validator) -> VUnion:
        return VUnion(inner, VNull())


v = _Builders()


def args_validator(spec: Validator | Mapping[str, Validator] | None) -> VObject | VAny | None:
    """Normalise a function's `args=` declaration once, at registration.

    A dict means `v.object(dict)` as in Convex's `args: {...}`; None means the
    arguments are not validated. Convex only allows object or `any` argument
    validators.
    """
    if spec is None:
        return None
    if isinstance(spec, VObject | VAny):
        return spec
    if isinstance(spec, Validator):
        raise InvalidValidatorError("Args validator must be an object or any")
    return VObject(spec)


def validate_args(
    spec: Validator | Mapping[str, Validator] | None,
    args: Any,
    *,
    table_name_of: TableNameOf | None = None,
) -> Any:
    """Check a function's arguments object; return it normalised.

    Failures raise `ValidationError` whose message is exactly what the server
    sends (`ArgumentValidationError: ...`, or the unprefixed texts for a
    non-object argument). Pass a pre-built validator from `args_validator` on
    hot paths; a dict is converted on every call.
    """
    if type(spec) is VObject:
        checker = spec._checker_cache or spec._checker
    else:
        validator = args_validator(spec)
        if validator is None or isinstance(validator, VAny):
            return args
        checker = validator._checker
    if type(args) is not dict and not isinstance(args, dict):
        raise ValidationError(
            "Expected to receive an object as the function's argument. "
            f"Instead received: {render_value(args)}"
        )
    try:
        return checker(args, table_name_of)
    except _Fail as failure:
        raise ValidationError(failure.detail(), "ArgumentValidationError") from None


def returns_validator(spec: Validator | Mapping[str, Validator] | None) -> Validator | None:
    """Normalise a function's `returns=` declaration once, at registration (dict → object)."""
    if spec is None or isinstance(spec, Validator):
        return spec
    return VObject(spec)


def validate_returns(
    spec: Validator | Mapping[str, Validator] | None,
    value: Any,
    *,
    table_name_of: TableNameOf | None = None,
) -> Any:
    """Check a function's return value (`ReturnsValidationError: ...` on failure)."""
    if spec is None:
        return value
    validator = spec if isinstance(spec, Validator) else VObject(spec)
    checker = validator._checker_cache or validator._checker
    try:
        return checker(value, table_name_of)
    except _Fail as failure:
        raise ValidationError(failure.detail(), "ReturnsValidationError") from None


def iter_validators(validator: Validator) -> Iterable[Validator]:
    """Every validator nested in `validator`, itself first (for foreign-key scans)."""
    yield validator
    if isinstance(validator, VArray):
        yield from iter_validators(validator.element)
    elif isinstance(validator, VObject):
        for field in validator.fields.values():
            yield from iter_validators(field)
    elif isinstance(validator, VRecord):
        yield from iter_validators(validator.key)
        yield from iter_validators(validator.value)
    elif isinstance(validator, VUnion):
        for member in validator.members:
            yield from iter_validators(member)
