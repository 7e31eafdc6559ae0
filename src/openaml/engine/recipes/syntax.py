"""The syntax of one recipe expression string: tokens and an untyped tree that remembers columns.

Grammar (whitespace between tokens is ignored)::

    expression := NUMBER | name | name "(" [expression ("," expression)*] ")"
    name       := BARE | QUOTED

* A bare name starts with a letter and runs up to the next ``, ( ) ' " \\``, tab or line break;
  inner spaces belong to it (``fixed acidity``) and spaces around it are trimmed.
* A quoted name is enclosed in single quotes and may contain anything; ``\\'`` and ``\\\\`` escape a
  quote and a backslash. Names that do not start with a letter must be quoted (``'2nd_reading'``).
* A number is a run of decimal digits; it is only meaningful as the last argument of ``ngram``,
  ``osb`` and ``quantile_bin``.
* ``//`` starts a comment that runs to the end of the string; only output strings may carry one.

Columns in errors are 1-based positions in the expression string.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from openaml.engine.recipes.expressions import SPECIAL_NAME_CHARACTERS


class ExpressionError(Exception):
    """A problem at a column of one expression string; the recipe parser adds where the string is."""

    def __init__(self, column: int, reason: str) -> None:
        super().__init__(f"at column {column}: {reason}")
        self.column = column
        self.reason = reason


@dataclass(frozen=True)
class NameNode:
    """A reference to an attribute, group or assignment."""

    name: str
    column: int
    quoted: bool


@dataclass(frozen=True)
class NumberNode:
    """A whole-number literal (a function parameter)."""

    value: int
    column: int


@dataclass(frozen=True)
class CallNode:
    """A function call; ``function`` is the name as written, checked later against the known functions."""

    function: str
    column: int
    arguments: tuple[SyntaxNode, ...]


SyntaxNode = NameNode | NumberNode | CallNode


class _TokenType(enum.Enum):
    NAME = "name"
    QUOTED = "quoted name"
    NUMBER = "number"
    OPEN = "("
    CLOSE = ")"
    COMMA = ","


@dataclass(frozen=True)
class _Token:
    type: _TokenType
    text: str
    column: int


_PUNCTUATION = {"(": _TokenType.OPEN, ")": _TokenType.CLOSE, ",": _TokenType.COMMA}
_WHITESPACE = " \t\r\n"


def parse_expression(text: str, *, allow_comment: bool) -> SyntaxNode:
    """Parse one expression string into a syntax tree; ``ExpressionError`` says what is wrong and where."""
    tokens = _tokenize(text, allow_comment=allow_comment)
    if not tokens:
        raise ExpressionError(1, "the expression is empty")
    parser = _Parser(tokens, end_column=len(text.rstrip()) + 1)
    node = parser.expression()
    parser.expect_end()
    return node


def _tokenize(text: str, *, allow_comment: bool) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        character = text[position]
        column = position + 1
        if character in _WHITESPACE:
            position += 1
        elif text.startswith("//", position):
            if not allow_comment:
                raise ExpressionError(column, "comments (//) are only allowed at the end of an output")
            break
        elif character in _PUNCTUATION:
            tokens.append(_Token(_PUNCTUATION[character], character, column))
            position += 1
        elif character == "'":
            name, position = _read_quoted(text, position)
            tokens.append(_Token(_TokenType.QUOTED, name, column))
        elif character == '"':
            raise ExpressionError(column, "quote names with single quotes ('like this'), not double quotes")
        elif character == "\\":
            raise ExpressionError(column, "a backslash may only appear inside a single-quoted name")
        else:
            bare, position = _read_bare(text, position)
            tokens.append(_classify_bare(bare, column))
    return tokens


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a single-quoted name starting at ``text[start] == "'"``; return it and the next position."""
    characters: list[str] = []
    position = start + 1
    while position < len(text):
        character = text[position]
        if character == "\\" and position + 1 < len(text):
            characters.append(text[position + 1])
            position += 2
        elif character == "'":
            if not characters:
                raise ExpressionError(start + 1, "a quoted name cannot be empty")
            return "".join(characters), position + 1
        else:
            characters.append(character)
            position += 1
    raise ExpressionError(start + 1, "the quoted name is not closed with a single quote")


def _read_bare(text: str, start: int) -> tuple[str, int]:
    """Read a bare name or number; inner spaces are kept, trailing ones trimmed."""
    position = start
    while (
        position < len(text)
        and text[position] not in SPECIAL_NAME_CHARACTERS
        and not text.startswith("//", position)
    ):
        position += 1
    return text[start:position].rstrip(" "), position


def _classify_bare(bare: str, column: int) -> _Token:
    if bare.isascii() and bare.isdigit():
        return _Token(_TokenType.NUMBER, bare, column)
    if bare[0].isalpha():
        return _Token(_TokenType.NAME, bare, column)
    raise ExpressionError(
        column,
        f"{bare!r} is neither a whole number nor a name; "
        "names that do not start with a letter must be single-quoted",
    )


class _Parser:
    """Recursive-descent parser over the token list of one expression."""

    def __init__(self, tokens: list[_Token], *, end_column: int) -> None:
        self._tokens = tokens
        self._index = 0
        self._end_column = end_column

    def _peek(self) -> _Token | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def _next(self, expected: str) -> _Token:
        token = self._peek()
        if token is None:
            raise ExpressionError(self._end_column, f"the expression ends where {expected} was expected")
        self._index += 1
        return token

    def expression(self) -> SyntaxNode:
        token = self._next("a name")
        if token.type is _TokenType.NUMBER:
            return NumberNode(int(token.text), token.column)
        if token.type not in (_TokenType.NAME, _TokenType.QUOTED):
            raise ExpressionError(token.column, f"unexpected {token.text!r} where a name was expected")
        following = self._peek()
        if following is None or following.type is not _TokenType.OPEN:
            return NameNode(token.text, token.column, quoted=token.type is _TokenType.QUOTED)
        if token.type is _TokenType.QUOTED:
            raise ExpressionError(token.column, "a quoted name cannot be called as a function")
        self._index += 1
        return CallNode(token.text, token.column, self._arguments())

    def _arguments(self) -> tuple[SyntaxNode, ...]:
        following = self._peek()
        if following is not None and following.type is _TokenType.CLOSE:
            self._index += 1
            return ()
        arguments = [self.expression()]
        while True:
            separator = self._next("',' or ')'")
            if separator.type is _TokenType.CLOSE:
                return tuple(arguments)
            if separator.type is not _TokenType.COMMA:
                raise ExpressionError(separator.column, f"expected ',' or ')' but found {separator.text!r}")
            arguments.append(self.expression())

    def expect_end(self) -> None:
        token = self._peek()
        if token is not None:
            raise ExpressionError(token.column, f"unexpected {token.text!r} after the end of the expression")
