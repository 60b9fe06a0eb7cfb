"""Where callers that are not the machine's owner (MCP clients, API tokens) may publish.

FORGE_HOME/registry.toml:

    [publish]
    allowed = ["my-org/*", "me/polecat"]   # ORG/* for an organisation, ORG/NAME for one repository
    allow_public = false                   # remote callers publish private repositories only

Nothing configured: remote publishing is refused (the owner can still `forge model publish`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from forge.errors import Forbidden
from forge.registry.rollout import load_registry_section


@dataclass
class PublishPolicy:
    allowed: list[str] = field(default_factory=list)
    allow_public: bool = False

    def problems(self) -> list[str]:
        out = []
        for entry in self.allowed:
            org, sep, name = entry.partition("/")
            if not sep or not org or not name or "/" in name or (("*" in name) and name != "*") or "*" in org:
                out.append(f"'publish.allowed': {entry!r} must be ORG/NAME or ORG/*")
        return out

    def allows(self, repo: str) -> bool:
        org, _, _name = repo.partition("/")
        return any(entry == repo or entry == f"{org}/*" for entry in self.allowed)

    def check(self, repo: str, *, private: bool) -> None:
        if not self.allows(repo):
            allowed = ", ".join(self.allowed) or "none configured"
            raise Forbidden(
                f"publishing to {repo!r} is not allowed for remote callers (allowed: {allowed})",
                hint="the machine's owner lists repositories or ORG/* under [publish] allowed "
                "in FORGE_HOME/registry.toml",
            )
        if not private and not self.allow_public:
            raise Forbidden(
                f"remote callers publish private repositories only; {repo!r} was asked public",
                hint="publish with private=true, or set [publish] allow_public = true in FORGE_HOME/registry.toml",
            )


def load_publish_policy(home: Path) -> PublishPolicy:
    policy: PublishPolicy = load_registry_section(home, "publish", PublishPolicy)
    return policy
