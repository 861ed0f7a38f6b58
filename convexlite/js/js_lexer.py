"""A tokenizer for the JavaScript that esbuild emits, just precise enough to
recognise module-level syntax.

The ESM rewrite must find `import`/`export` statements and refuse what it does
not understand, without being fooled by the same words inside strings,
comments, template literals or regular expressions. A full parser is not
needed for that: tracking bracket depth and skipping literals is. The one
ambiguity of JavaScript lexing (`/` as division or as a regex) is resolved by
the classic previous-token rule, which is exact for esbuild's output.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import NamedTuple

_SKIP = re.compile(r"(?:\s+|//[^\n\r\u2028\u2029]*|/\*[\s\S]*?\*/)*")
_SIMPLE = re.compile(
    r"(?P<ident>[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)"
    r"|(?P<string>\"(?:[^\"\\\n\r]|\\[\s\S])*\"|'(?:[^'\\\n\r]|\\[\s\S])*')"
    r"|(?P<number>(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)n?)"
    r"|(?P<punct>>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\|"
    r"|\?\?|\?\.(?!\d)|\+\+|--|\+=|-=|\*=|/=|%=|&=|\|=|\^=|<<|>>|\*\*"
    r"|[{}()\[\];,<>+\-*/%&|^!~?:=.@#])"
)
_OPENERS = frozenset("{([")
_CLOSERS = {"}": "{", ")": "(", "]": "["}
# After these keywords an expression starts, so a `/` begins a regex literal.
_REGEX_AFTER_KEYWORDS = frozenset(
    [
        *("return", "typeof", "instanceof", "in", "of", "new", "delete"),
        *("void", "throw", "case", "do", "else", "yield", "await"),
    ]
)


class LexError(ValueError):
    """The text is not JavaScript this tokenizer understands (e.g. an unterminated string)."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset


class Token(NamedTuple):
    """One significant token; `depth` counts the brackets ({[( and `${`) open before it."""

    kind: str  # "ident", "string", "number", "template", "regex", "punct"
    text: str
    start: int
    end: int
    depth: int


class LineIndex:
    """Maps offsets to 1-based line numbers, for `file:line` in error messages."""

    def __init__(self, source: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r|\u2028|\u2029", source)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def column(self, offset: int) -> int:
        return offset - self._starts[self.line(offset) - 1]


def tokens(source: str, start: int = 0) -> Iterator[Token]:
    """Yield the significant tokens of `source` from `start`, skipping comments and whitespace."""
    pos, n = start, len(source)
    stack: list[str] = []  # "{", "(", "[" or "${" (a template substitution)
    prev: Token | None = None
    skip, simple = _SKIP.match, _SIMPLE.match
    while True:
        pos = skip(source, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            break
        ch = source[pos]
        depth = len(stack)
        if ch == "`" or (ch == "}" and stack and stack[-1] == "${"):
            if ch == "}":
                stack.pop()
                depth = len(stack)
            end, opens = _template_end(source, pos)
            if opens:
                stack.append("${")
            token = Token("template", source[pos:end], pos, end, depth)
        elif ch == "/" and _regex_allowed(prev):
            if source.startswith("/*", pos):
                raise LexError(pos, "unterminated comment")
            end = _regex_end(source, pos)
            token = Token("regex", source[pos:end], pos, end, depth)
        elif (match := simple(source, pos)) is not None:
            kind, text = match.lastgroup or "", match.group()
            if kind == "punct":
                if text in _OPENERS:
                    stack.append(text)
                elif text in _CLOSERS:
                    if not stack or stack[-1] != _CLOSERS[text]:
                        raise LexError(pos, f"unbalanced {text!r}")
                    stack.pop()
                    depth = len(stack)
            token = Token(kind, text, pos, match.end(), depth)
        elif ch in "\"'":
            raise LexError(pos, "unterminated string literal")
        elif source.startswith("/*", pos):
            raise LexError(pos, "unterminated comment")
        else:
            raise LexError(pos, f"unexpected character {ch!r}")
        yield token
        prev = token
        pos = token.end
    if stack:
        raise LexError(n, f"unclosed {stack[-1]!r} at end of module")


def _template_end(source: str, pos: int) -> tuple[int, bool]:
    """End of a template chunk starting at "`" or "}"; True if it stops at a `${`."""
    i = pos + 1
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c == "`":
            return i + 1, False
        if c == "$" and source.startswith("${", i):
            return i + 2, True
        i += 1
    raise LexError(pos, "unterminated template literal")


def _regex_allowed(prev: Token | None) -> bool:
    if prev is None:
        return True
    if prev.kind == "punct":
        return prev.text not in (")", "]", "}")
    if prev.kind == "ident":
        return prev.text in _REGEX_AFTER_KEYWORDS
    return False


def _regex_end(source: str, pos: int) -> int:
    i, in_class = pos + 1, False
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c in "\n\r":
            break
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "/":
            match = re.compile(r"[A-Za-z]*").match(source, i + 1)
            assert match is not None
            return match.end()
        i += 1
    raise LexError(pos, "unterminated regular expression")
