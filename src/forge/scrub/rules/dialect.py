"""Go (RE2) and Rust regexes, as gitleaks and Kingfisher rules are written, in Python's `re` syntax.

What differs and is translated:
- a flag group in the middle of a pattern, `(?i)` or `(?-i)`, sets flags to the end of its group
  in RE2 and Rust (across `|`); Python takes flags only at the very start or scoped, `(?i:...)`.
  So each becomes a scoped group closed at its group's end and reopened after each `|`;
- `(?<name>...)` is `(?P<name>...)`; `\\z` is `\\Z`; `\\x{1F600}` is a code point;
- POSIX classes inside brackets (`[[:alnum:]_]`) are spelled out; a `[`, or a doubled `-&~|`,
  inside brackets is escaped (Python reads those as the start of nested-set syntax);
- in verbose mode (`(?x)`, Rust only) Rust ignores whitespace inside brackets too.
What Python's `re` cannot express (`\\p{L}` Unicode classes, `(?U)` ungreedy mode, `\\Q...\\E`)
is an error naming the construct, never a silently different pattern.
Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Any

_POSIX = {
    "alnum": "A-Za-z0-9",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_FLAGS_ONLY = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)")
_SUPPORTED_FLAGS = set("imsx")


class RegexDialectError(ValueError):
    """A construct Python's re has no equivalent for."""


def _escape_code(pattern: str, i: int) -> tuple[str, int]:
    """The escape at pattern[i] (a backslash) as Python writes it, and the index after it."""
    if i + 1 >= len(pattern):
        raise RegexDialectError("the pattern ends with a lone backslash")
    c = pattern[i + 1]
    if c in "pP":
        raise RegexDialectError(f"\\{c} Unicode classes are not supported by Python's re")
    if c == "Q":
        end = pattern.find("\\E", i + 2)
        literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
        return re.escape(literal), len(pattern) if end < 0 else end + 2
    if c == "z":
        return "\\Z", i + 2
    if c == "x" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        digits = pattern[i + 3 : end] if end > 0 else ""
        if not digits or not all(ch in "0123456789abcdefABCDEF" for ch in digits) or int(digits, 16) > 0x10FFFF:
            raise RegexDialectError(f"bad code point escape \\x{{{digits}}}")
        return f"\\U{int(digits, 16):08x}", end + 1
    if c == "C":
        raise RegexDialectError("\\C (any byte) is not supported by Python's re")
    return pattern[i : i + 2], i + 2


def _char_class(pattern: str, i: int, verbose: bool) -> tuple[str, int]:
    """The bracket expression starting at pattern[i] ('['), translated; and the index after it."""
    out = ["["]
    j = i + 1
    if pattern.startswith("^", j):
        out.append("^")
        j += 1
    first = True
    while j < len(pattern):
        c = pattern[j]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), j + 1
        first = False
        if c == "[" and pattern.startswith("[:", j):
            end = pattern.find(":]", j + 2)
            name = pattern[j + 2 : end] if end > 0 else ""
            negated = name.startswith("^")
            if name.lstrip("^") not in _POSIX:
                raise RegexDialectError(f"unknown POSIX class [:{name}:]")
            if negated:
                raise RegexDialectError(f"negated POSIX class [:{name}:] inside brackets is not supported")
            out.append(_POSIX[name])
            j = end + 2
        elif c == "\\":
            code, j = _escape_code(pattern, j)
            out.append(code)
        elif c == "[":
            out.append("\\[")
            j += 1
        elif c in "-&~|" and pattern.startswith(c * 2, j):
            out.append("\\" + c)
            j += 1
        elif verbose and c in " \t\n\r\f\v":
            j += 1  # Rust's verbose mode ignores whitespace inside brackets too
        else:
            out.append(c)
            j += 1
    raise RegexDialectError("a bracket expression is never closed")


def to_python(pattern: str) -> str:
    """`pattern` (RE2 or Rust syntax) in Python's `re` syntax; raises RegexDialectError."""
    out: list[str] = []
    # per open group: the flag groups opened inside it so far (closed at its end, reopened after |)
    stack: list[list[str]] = [[]]
    verbose = False
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            code, i = _escape_code(pattern, i)
            out.append(code)
        elif c == "[":
            code, i = _char_class(pattern, i, verbose)
            out.append(code)
        elif verbose and c == "#":
            end = pattern.find("\n", i)
            i = n if end < 0 else end + 1  # a comment: dropped (it may hold brackets or parens)
        elif c == "(" and pattern.startswith("(?#", i):
            end = pattern.find(")", i)
            if end < 0:
                raise RegexDialectError("a (?# comment is never closed")
            i = end + 1  # a comment group: dropped
        elif c == "(":
            flags = _FLAGS_ONLY.match(pattern, i)
            if flags is not None:
                on, off = flags.group(1) or "", flags.group(2) or ""
                bad = sorted(set(on + off) - _SUPPORTED_FLAGS)
                if bad:
                    raise RegexDialectError(f"flag {''.join(bad)!r} ({flags.group(0)}) is not supported by Python's re")
                if "x" in on:
                    verbose = True
                if "x" in off:
                    verbose = False
                # (verbose mode is applied here: whitespace and comments are dropped as read)
                on, off = on.replace("x", ""), off.replace("x", "")
                if i == 0 and not off:
                    out.append(f"(?{on})" if on else "")  # leading flags: Python takes them as they are
                elif on or off:
                    scoped = "(?" + on + ("-" + off if off else "") + ":"
                    out.append(scoped)
                    stack[-1].append(scoped)
                i = flags.end()
                continue
            if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
                out.append("(?P<")
                i += 3
            elif pattern.startswith("(?", i):
                close = pattern.find(":", i)
                head = pattern[i + 2 : close] if close > 0 else ""
                if head and re.fullmatch(r"[a-zA-Z]*(?:-[a-zA-Z]*)?", head):
                    bad = sorted(set(head.replace("-", "")) - _SUPPORTED_FLAGS)
                    if "x" in head:
                        raise RegexDialectError(f"scoped verbose mode ({pattern[i : close + 1]}) is not supported")
                    if bad:
                        raise RegexDialectError(f"flag {''.join(bad)!r} is not supported by Python's re")
                    out.append(pattern[i : close + 1])
                    i = close + 1
                else:
                    out.append("(?")
                    i += 2
            else:
                out.append("(")
                i += 1
            stack.append([])
        elif c == ")":
            if len(stack) == 1:
                raise RegexDialectError("a ')' closes no group")
            out.append(")" * len(stack.pop()))
            out.append(")")
            i += 1
        elif c == "|":
            opened = stack[-1]
            out.append(")" * len(opened) + "|" + "".join(opened))
            i += 1
        elif verbose and c in " \t\n\r\f\v":
            i += 1
        else:
            out.append(c)
            i += 1
    if len(stack) > 1:
        raise RegexDialectError("a '(' is never closed")
    out.append(")" * len(stack[0]))
    return "".join(out)


def compile_rule(pattern: str, *, ascii_classes: bool) -> re.Pattern[str]:
    """Translate and compile. ascii_classes: \\w, \\d, \\s and \\b are ASCII, as in RE2 (gitleaks);
    Rust's (Kingfisher) are Unicode, as Python's. Raises RegexDialectError or re.error."""
    return re.compile(to_python(pattern), re.ASCII if ascii_classes else 0)


def compile_go(pattern: str) -> Any:
    """A gitleaks (Go) regex with RE2 itself where it is installed: Go's regexp is RE2's syntax and
    semantics, and RE2 runs in linear time, where Python's backtracking takes 30 times longer on
    gitleaks' generic rule (measured). Without it, translated for Python's re. The result has
    re's `finditer`/`search`/`groups`/`pattern`. Raises RegexDialectError or re.error."""
    try:
        import re2
    except ImportError:  # (a platform without its wheel)
        return compile_rule(pattern, ascii_classes=True)
    options = re2.Options()
    options.log_errors = False  # (RE2 logs to stderr otherwise; the problem is reported to the user)
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise RegexDialectError(detail) from None
