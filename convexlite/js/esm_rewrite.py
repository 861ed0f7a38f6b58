"""Turn a pushed isolate ES module into a classic script that registers a module factory.

mini-racer compiles scripts only (functions.md §4.3), so at push time every
module of the CLI's esbuild bundle is rewritten (§4.4) into

    __cvx.define("<path>", [<deps>], function (__cvx$import) {"use strict"; <imports>
    <module body, byte for byte, on its original lines and columns>
    return {__proto__: null, get <exported>() { return <local>; }, ...};
    });
    //# sourceURL=convex:/<path>

Recognition is strict on purpose: the CLI output has a fixed shape (§2.2) and
anything else (dynamic `import()`, `import.meta`, bare specifiers, `export *`,
exports outside the final list, imports after the first statement) is refused
with `UnsupportedModuleSyntax` rather than guessed at. Top-level `await` is
refused by V8 when the script is compiled (the factory is not async), which the
loader reports as the same error type.

Bindings: exports are getters, so an importer reading through a module
namespace sees later reassignments; an imported binding that the module
re-exports is forwarded through the dependency's namespace and stays live too.
Imported bindings *used inside the body* are bound once, after the dependency
finished evaluating (§4.4 "by snapshot"): exact for esbuild's chunk DAG unless
an exported `let`/`var` is reassigned after its module evaluated.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from convexlite.js.js_lexer import LexError, LineIndex, Token, tokens

LOADER_GLOBAL = "__cvx"
_IMPORT_FN = "__cvx$import"


class InvalidModulePath(ValueError):
    """A module path that cannot name a pushed module (it ends up in code and in URLs)."""


_MODULE_PATH = re.compile(r"[\w.$@~+-]+(?:/[\w.$@~+-]+)*\.js")


class UnsupportedModuleSyntax(ValueError):
    """A pushed module has syntax outside the recognised esbuild output shape."""

    def __init__(self, path: str, line: int, found: str) -> None:
        super().__init__(f"{path}:{line}: unsupported module syntax: {found}")
        self.path = path
        self.line = line
        self.found = found


@dataclass(frozen=True, slots=True)
class ImportBinding:
    """`imported as local`; `imported` is None for a namespace import (`* as local`)."""

    imported: str | None
    local: str


@dataclass(frozen=True, slots=True)
class ImportStatement:
    """One static import of the module header, its specifier resolved to a module path."""

    specifier: str
    module: str
    bindings: tuple[ImportBinding, ...]


@dataclass(frozen=True, slots=True)
class RewrittenModule:
    """The script for one module, plus what the loader and the push need to know about it."""

    path: str
    deps: tuple[str, ...]
    exports: tuple[str, ...]
    script: str


def rewrite_module(path: str, source: str, modules: Collection[str]) -> RewrittenModule:
    """Rewrite the ES module `source` pushed at `path` into a factory-defining script.

    `modules` holds the paths of every pushed module: each import must resolve to one.
    """
    if not _MODULE_PATH.fullmatch(path) or ".." in path.split("/"):
        raise InvalidModulePath(f"invalid module path {path!r}")
    lines = LineIndex(source)
    try:
        toks = list(tokens(source))
    except LexError as exc:
        raise UnsupportedModuleSyntax(path, lines.line(exc.offset), str(exc)) from None
    reader = _Reader(path, source, toks, lines)
    imports = reader.imports(modules)
    body_start = reader.pos_offset()
    exports, export_start = reader.body_and_exports()
    return _emit(path, source, lines, imports, body_start, exports, export_start)


class _Reader:
    """Walks the token list of one module: header imports, body, final export list."""

    def __init__(self, path: str, source: str, toks: list[Token], lines: LineIndex) -> None:
        self.path, self.source, self.toks, self.lines = path, source, toks, lines
        self.i = 0

    def refuse(self, token: Token | None, found: str) -> UnsupportedModuleSyntax:
        offset = token.start if token is not None else len(self.source)
        return UnsupportedModuleSyntax(self.path, self.lines.line(offset), found)

    def string(self, token: Token) -> str:
        """A string literal's value; one JSON cannot read (a raw control character, an
        escape esbuild never writes) is refused like any other unknown syntax."""
        try:
            return _string_value(token.text)
        except ValueError:
            raise self.refuse(token, f"string literal {token.text!r}") from None

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def at(self, text: str) -> bool:
        """Whether the next token is `text`."""
        token = self.peek()
        return token is not None and token.text == text

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.refuse(None, "unexpected end of module")
        self.i += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.take()
        if token.text != text:
            raise self.refuse(token, f"expected {text!r} but found {token.text!r}")
        return token

    def pos_offset(self) -> int:
        """Offset where the body starts: just after the last header token."""
        return self.toks[self.i - 1].end if self.i else 0

    # -- header ---------------------------------------------------------------------------

    def imports(self, modules: Collection[str]) -> list[ImportStatement]:
        token = self.peek()
        # A directive prologue ("use strict" / "use node") may precede the imports.
        while token is not None and token.kind == "string" and self._is_directive(self.i):
            self.i += 2 if (nxt := self.peek(1)) is not None and nxt.text == ";" else 1
            token = self.peek()
        found: list[ImportStatement] = []
        while (token := self.peek()) is not None and token.text == "import" and token.depth == 0:
            nxt = self.peek(1)
            if nxt is not None and nxt.text in ("(", "."):
                break  # an expression statement; the body scan refuses it
            found.append(self._import_statement(modules))
        return found

    def _is_directive(self, j: int) -> bool:
        nxt = self.toks[j + 1] if j + 1 < len(self.toks) else None
        text = self.toks[j].text[1:-1]
        return text in ("use strict", "use node") and (
            nxt is None
            or nxt.text == ";"
            or (self.lines.line(nxt.start) > self.lines.line(self.toks[j].end))
        )

    def _import_statement(self, modules: Collection[str]) -> ImportStatement:
        start = self.expect("import")
        bindings: list[ImportBinding] = []
        token = self.take()
        if token.kind != "string":
            if token.kind == "ident" and token.text != "from":
                bindings.append(ImportBinding("default", token.text))
                if self.at(","):
                    self.take()
                    token = self.take()
                else:
                    token = self.take()
            if token.text == "*":
                self.expect("as")
                bindings.append(ImportBinding(None, self._identifier()))
                token = self.take()
            elif token.text == "{":
                bindings.extend(self._import_list())
                token = self.take()
            if token.text != "from":
                raise self.refuse(token, f"import clause not understood at {token.text!r}")
            token = self.take()
            if token.kind != "string":
                raise self.refuse(token, f"import specifier must be a string, found {token.text!r}")
        if (nxt := self.peek()) is not None and nxt.text == "with":
            raise self.refuse(nxt, "import attributes (`with {...}`)")
        self.expect(";")
        specifier = self.string(token)
        return ImportStatement(specifier, self._resolve(start, specifier, modules), tuple(bindings))

    def _import_list(self) -> list[ImportBinding]:
        found: list[ImportBinding] = []
        while (token := self.take()).text != "}":
            if token.kind == "string":
                imported = self.string(token)
                self.expect("as")
                local = self._identifier()
            elif token.kind == "ident":
                imported = local = token.text
                if self.at("as"):
                    self.take()
                    local = self._identifier()
            else:
                raise self.refuse(token, f"import list not understood at {token.text!r}")
            found.append(ImportBinding(imported, local))
            if self.at(","):
                self.take()
        return found

    def _identifier(self) -> str:
        token = self.take()
        if token.kind != "ident":
            raise self.refuse(token, f"expected an identifier but found {token.text!r}")
        return token.text

    def _resolve(self, token: Token, specifier: str, modules: Collection[str]) -> str:
        if not specifier.startswith(("./", "../")):
            raise self.refuse(token, f"import of bare specifier {specifier!r} (not in the bundle)")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(self.path), specifier))
        if resolved.startswith("../") or resolved not in modules:
            raise self.refuse(token, f"cannot resolve import {specifier!r} to a pushed module")
        return resolved

    # -- body and exports -----------------------------------------------------------------

    def body_and_exports(self) -> tuple[list[tuple[str, str]], int]:
        """Scan the body for module syntax; return the final export list and where it starts."""
        exports: list[tuple[str, str]] | None = None
        export_start = len(self.source)
        while (token := self.peek()) is not None:
            if exports is not None:
                raise self.refuse(token, f"code after the final export list: {token.text!r}")
            prev = self.toks[self.i - 1] if self.i else None
            member = prev is not None and prev.text in (".", "?.")
            if token.kind == "ident" and not member:
                if token.text == "import":
                    self._refuse_import(token)
                if token.text == "export" and token.depth == 0:
                    export_start = token.start
                    exports = self._export_list()
                    continue
                if token.depth == 0:
                    self._refuse_function_only(token)
            self.i += 1
        return exports or [], export_start

    def _refuse_function_only(self, token: Token) -> None:
        """Refuse what is legal in the factory function but not at the top of a module,
        where it would silently change meaning (a `return` would cut the module short)."""
        nxt = self.peek(1)
        if token.text == "return":
            raise self.refuse(token, "top-level return")
        if token.text == "arguments":
            raise self.refuse(token, "top-level `arguments`")
        if token.text == "new" and nxt is not None and nxt.text == ".":
            raise self.refuse(token, "top-level new.target")

    def _refuse_import(self, token: Token) -> None:
        nxt = self.peek(1)
        if nxt is not None and nxt.text == "(":
            raise self.refuse(token, "dynamic import()")
        if nxt is not None and nxt.text == ".":
            raise self.refuse(token, "import.meta")
        if token.depth == 0:
            raise self.refuse(token, "import statement after the first statement of the module")

    def _export_list(self) -> list[tuple[str, str]]:
        token = self.take()  # `export`
        nxt = self.take()
        if nxt.text != "{":
            rest = self.peek()
            what = f"export {nxt.text}" + (f" {rest.text}" if rest is not None else "")
            raise self.refuse(
                token, f"{what!r} (only a final `export {{ ... }};` list is accepted)"
            )
        found: list[tuple[str, str]] = []
        while (item := self.take()).text != "}":
            if item.kind != "ident":
                raise self.refuse(item, f"export list not understood at {item.text!r}")
            exported = item.text
            if self.at("as"):
                self.take()
                name = self.take()
                if name.kind not in ("ident", "string"):
                    raise self.refuse(name, f"export name not understood: {name.text!r}")
                exported = name.text if name.kind == "ident" else self.string(name)
            if exported in (name for _, name in found):
                raise self.refuse(item, f"duplicate export {exported!r}")
            found.append((item.text, exported))
            if self.at(","):
                self.take()
        if (after := self.peek()) is not None and after.text == "from":
            raise self.refuse(token, "re-export `export { ... } from`")
        self.expect(";")
        return found


def rewrite_hand_written_module(
    path: str, source: str, builtins: Mapping[str, str]
) -> RewrittenModule:
    """Rewrite a module a person wrote rather than esbuild (a one-off test query: the
    dashboard's transpiled TypeScript, `npx convex run --inline-query`).

    Its imports may name only `builtins` (specifier → module path of a host module), and
    it may export anywhere at the top level: `export default <expression>`, `export
    const|let|var|function|class <name>` and `export { ... }` lists. Everything else is
    refused as in `rewrite_module`.
    """
    lines = LineIndex(source)
    try:
        toks = list(tokens(source))
    except LexError as exc:
        raise UnsupportedModuleSyntax(path, lines.line(exc.offset), str(exc)) from None
    reader = _HandWrittenReader(path, source, toks, lines, builtins)
    imports = reader.imports(builtins.values())
    body_start = reader.pos_offset()
    body, exports = reader.exports_removed()
    return _emit(path, body, lines, imports, body_start, exports, len(body))


_DEFAULT_LOCAL = "__cvx$default"


class _HandWrittenReader(_Reader):
    """A `_Reader` that resolves host modules and takes `export` wherever it stands."""

    def __init__(
        self,
        path: str,
        source: str,
        toks: list[Token],
        lines: LineIndex,
        builtins: Mapping[str, str],
    ) -> None:
        super().__init__(path, source, toks, lines)
        self.builtins = builtins

    def _resolve(self, token: Token, specifier: str, modules: Collection[str]) -> str:
        module = self.builtins.get(specifier)
        if module is None:
            allowed = ", ".join(repr(name) for name in self.builtins)
            raise self.refuse(token, f"import of {specifier!r} (only {allowed} can be imported)")
        return module

    def exports_removed(self) -> tuple[str, list[tuple[str, str]]]:
        """The source with its `export` keywords rewritten into plain declarations, and the
        exports as (local, exported) pairs."""
        edits: list[tuple[int, int, str]] = []
        exports: list[tuple[str, str]] = []
        while (token := self.peek()) is not None:
            prev = self.toks[self.i - 1] if self.i else None
            member = prev is not None and prev.text in (".", "?.")
            if token.kind == "ident" and not member and token.depth == 0:
                if token.text == "export":
                    edits.append(self._export(token, exports))
                    continue
                self._refuse_function_only(token)
            if token.kind == "ident" and not member and token.text == "import":
                self._refuse_import(token)
            self.i += 1
        body = self.source
        for start, end, text in reversed(edits):
            body = body[:start] + text + body[end:]
        names = [name for _, name in exports]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate is not None:
            raise self.refuse(None, f"duplicate export {duplicate!r}")
        return body, exports

    def _export(self, token: Token, exports: list[tuple[str, str]]) -> tuple[int, int, str]:
        """One `export ...` at the token `export`: the edit that removes it."""
        self.take()
        nxt = self.take()
        if nxt.text == "default":
            exports.append((_DEFAULT_LOCAL, "default"))
            return token.start, nxt.end, f"const {_DEFAULT_LOCAL} ="
        if nxt.text == "{":
            self.i -= 2
            exports.extend(self._export_list())
            return token.start, self.toks[self.i - 1].end, ""
        declaration = nxt
        if nxt.text == "async" and self.at("function"):
            nxt = self.take()
        if nxt.text not in ("const", "let", "var", "function", "class"):
            raise self.refuse(token, f"'export {declaration.text}' is not supported")
        if nxt.text == "function" and self.at("*"):
            self.take()
        name = self.peek()
        if name is None or name.kind != "ident":
            found = "end of module" if name is None else repr(name.text)
            raise self.refuse(token, f"export of {found} (export plain names)")
        exports.append((name.text, name.text))
        return token.start, declaration.start, ""


def _string_value(literal: str) -> str:
    """The value of an esbuild string literal (JSON-compatible escapes; quotes either way)."""
    if literal.startswith("'"):
        literal = '"' + literal[1:-1].replace('\\"', '"').replace('"', '\\"') + '"'
        literal = literal.replace("\\'", "'")
    value = json.loads(literal)
    assert isinstance(value, str)
    return value


def _emit(
    path: str,
    source: str,
    lines: LineIndex,
    imports: list[ImportStatement],
    body_start: int,
    exports: list[tuple[str, str]],
    export_start: int,
) -> RewrittenModule:
    deps: list[str] = []
    prologue: list[str] = []
    forwarded: dict[str, str] = {}  # import local -> expression reading it live
    for statement in imports:
        if statement.module not in deps:
            deps.append(statement.module)
            prologue.append(
                f"const __cvx$m{len(deps) - 1} = {_IMPORT_FN}({json.dumps(statement.module)});"
            )
        namespace = f"__cvx$m{deps.index(statement.module)}"
        pairs = []
        for binding in statement.bindings:
            if binding.imported is None:
                prologue.append(f"const {binding.local} = {namespace};")
                forwarded[binding.local] = namespace
            else:
                pairs.append(f"{json.dumps(binding.imported)}: {binding.local}")
                forwarded[binding.local] = f"{namespace}[{json.dumps(binding.imported)}]"
        if pairs:
            prologue.append(f"const {{{', '.join(pairs)}}} = {namespace};")
    getters = ", ".join(
        f"get {json.dumps(exported)}() {{ return {forwarded.get(local, local)}; }}"
        for local, exported in exports
    )
    padding = "\n" * (lines.line(body_start) - 1) + " " * lines.column(body_start)
    script = (
        f"{LOADER_GLOBAL}.define({json.dumps(path)}, {json.dumps(deps)}, "
        f'function ({_IMPORT_FN}) {{"use strict"; {" ".join(prologue)}{padding}'
        f"{source[body_start:export_start]}"
        f"\nreturn {{__proto__: null{', ' if getters else ''}{getters}}};\n}});\n"
        f"//# sourceURL=convex:/{path}\n"
    )
    return RewrittenModule(path, tuple(deps), tuple(e for _, e in exports), script)
