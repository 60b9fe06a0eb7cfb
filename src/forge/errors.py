"""Error types. Core code raises these; the edges (CLI, MCP, API) turn them into messages.

Every error carries a message that says what went wrong and, where possible, what to do next.
"""

from __future__ import annotations


class ForgeError(Exception):
    """Base for every error Forge expects and reports without a traceback."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:  # message, then the hint on its own line
        base = super().__str__()
        return f"{base}\n  hint: {self.hint}" if self.hint else base


class InputError(ForgeError):
    """Bad user input: a file, a line, a value. Names where and what."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None):
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}", hint=hint)
        self.path, self.line = path, line


class ConfigError(ForgeError):
    """A config or recipe key is wrong. `problems` lists every problem found, each naming its key."""

    def __init__(self, problems: list[str], *, source: str | None = None):
        head = f"{source}: " if source else ""
        super().__init__(head + "invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


class IllegalTransition(ForgeError):
    """A job state change the state machine does not allow."""


class IntegrityError(ForgeError):
    """A file's SHA-256 does not match its manifest."""


class NotFound(ForgeError):
    """A job, model or artifact that does not exist."""


class GateFailed(ForgeError):
    """The eval gate rejected a candidate model."""


class ResourceError(ForgeError):
    """A job or run would not fit in the memory or disk that is free."""


class Unauthorized(ForgeError):
    """No credentials, or credentials that are not valid (HTTP 401)."""


class Forbidden(ForgeError):
    """Valid credentials without the scope the action needs (HTTP 403)."""
