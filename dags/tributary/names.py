"""Qualified names (``schema.table``, ``instance.schema.table``) quoted the way PostgreSQL quotes them.

The Python twin of the worker's ``io.tributary.catalog.TableRef``; both are held to the same examples,
``docs/qualified-names.json`` (``tests/test_names.py`` and ``QualifiedNamesFollowTheSharedVectorsTest``), so the
DAGs, the config and the worker never read a name differently. An unquoted part is taken exactly as written
(case-sensitive, no folding to lower case); a part in double quotes may hold anything, with ``""`` for a quote.
A part needs the quotes when it holds a dot, a quote, ``=`` or ``@`` (separators of the worker's
``SOURCE:SCHEMA.TABLE=SCHEMA.TABLE@TARGET``), a line break, tab or other control character, or when it starts or
ends with a space (a space inside, as in ``Sales.Order Lines``, may stand unquoted); :func:`qualified` quotes exactly
those, so what it writes into plans and XCom parses back to the same names and plain names look as they always did.
"""

from __future__ import annotations

import unicodedata

# Unicode categories an unquoted name cannot hold: line and paragraph separators, controls, formats.
_QUOTED_CATEGORIES = {"Zl", "Zp", "Cc", "Cf"}
_SEPARATORS = {".", '"', "=", "@"}


class QualifiedNameError(ValueError):
    """Not a qualified name; the message says what is wrong and where."""


def _ends_unquoted(c: str) -> bool:
    return c in _SEPARATORS or unicodedata.category(c) in _QUOTED_CATEGORIES


def _is_space(c: str) -> bool:
    """A space (Unicode Zs): allowed inside an unquoted name, not at its start or end."""
    return unicodedata.category(c) == "Zs"


def needs_quotes(identifier: str) -> bool:
    """True when ``identifier`` must be written in double quotes to read back as itself."""
    return (identifier == "" or any(_ends_unquoted(c) for c in identifier)
            or _is_space(identifier[0]) or _is_space(identifier[-1]))


def quote_if_needed(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"' if needs_quotes(identifier) else identifier


def qualified(*parts: str) -> str:
    """``qualified("public", "a.b")`` -> ``public."a.b"``: what :func:`parse` reads back."""
    return ".".join(quote_if_needed(p) for p in parts)


def _shape(parts: int) -> str:
    return "instance.schema.table" if parts == 3 else "schema.table"


def _visible(text: str) -> str:
    return "'" + "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) == "Cc" else c for c in text) + "'"


def _bad(text: str, parts: int, what: str, why: str) -> QualifiedNameError:
    return QualifiedNameError(f"{what} {_visible(text)} must be {_shape(parts)} (double-quote a name holding dots, quotes, "
                      f'spaces or newlines, e.g. "My Schema"."a.b"): {why}')


def scan(text: str, start: int, parts: int, what: str = "name") -> tuple[list[str], int]:
    """Read ``parts`` dot-separated identifiers at ``start``; return them and the index right after the name."""
    out: list[str] = []
    i = start
    while True:
        part: list[str] = []
        if i < len(text) and text[i] == '"':
            i += 1
            while True:
                if i >= len(text):
                    raise _bad(text, parts, what, "a double quote is not closed")
                if text[i] == '"':
                    if i + 1 < len(text) and text[i + 1] == '"':
                        part.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                part.append(text[i])
                i += 1
            if not part:
                raise _bad(text, parts, what, '"" is an empty name')
        else:
            while i < len(text) and not _ends_unquoted(text[i]):
                part.append(text[i])
                i += 1
            if part and (_is_space(part[0]) or _is_space(part[-1])):
                raise _bad(text, parts, what, 'a space at the start or end of a name must be inside double quotes'
                                              ' (e.g. "my table ")')
            if not part:
                if i >= len(text):
                    why = "a name is missing at the end"
                elif text[i] == ".":
                    why = f"a name is missing before a dot at position {i + 1}"
                else:
                    why = f'{_visible(text[i])} at position {i + 1} must be inside double quotes (e.g. "my table")'
                raise _bad(text, parts, what, why)
        name = "".join(part)
        if "\0" in name:
            raise _bad(text, parts, what, "a name contains a NUL character")
        out.append(name)
        if len(out) == parts:
            return out, i
        if i >= len(text) or text[i] != ".":
            why = (f"it has {len(out)} part(s), not {parts}" if i >= len(text)
                   else f'{_visible(text[i])} at position {i + 1} must be inside double quotes (e.g. "my table")')
            raise _bad(text, parts, what, why)
        i += 1


def parse(text: str, parts: int = 2, what: str = "name") -> tuple[str, ...]:
    """``'"Sp1eCial .Char"."Tabl e.1testing"'`` -> ``("Sp1eCial .Char", "Tabl e.1testing")``; ValueError if not."""
    if not text:
        raise QualifiedNameError(f"{what} is required, as {_shape(parts)}")
    names, end = scan(text, 0, parts, what)
    if end != len(text):
        raise _bad(text, parts, what, f"unexpected {_visible(text[end])} at position {end + 1}")
    return tuple(names)


def split_table(text: str, what: str = "table") -> tuple[str, str]:
    """``schema.table`` -> ``(schema, table)``."""
    schema, table = parse(text, 2, what)
    return schema, table


def key_segment(name: str) -> str:
    """``name`` as one S3 key segment, as the worker writes it (``S3Location.segment``): kept as it is except ``/``,
    ``%`` and control characters (written ``%XX``, UTF-8 bytes) and the segments ``.`` and ``..`` (``%2E``), so a
    table ``"a/b"`` never reads as two segments and two tables never share a prefix."""
    if name in (".", ".."):
        return name.replace(".", "%2E")
    return "".join("".join(f"%{b:02X}" for b in c.encode()) if c in "/%" or unicodedata.category(c) == "Cc" else c
                   for c in name)
