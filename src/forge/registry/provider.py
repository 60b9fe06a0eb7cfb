"""Gas Town town-settings entry for a deployed model (the provider integration).

Gas Town picks an agent per role from town settings: `agents` names a command line per agent,
`role_agents` maps a role to an agent. For a target running a Forge model we print the agent
entry that serves that exact version with its task adapters, so rollback = re-print after
`forge model rollback` (the entry names the version the target runs now).

By default the entry runs `forge serve --model NAME [--adapters ...]`, Forge's own
OpenAI-compatible endpoint (forge/serve.py). Another server can be configured in
<FORGE_HOME>/registry.toml:

    [provider]
    name = "forge"                      # the provider type registered in town settings
    command = "node0-inference"
    args = []                           # leading arguments; --model/--adapters are appended
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.errors import NotFound
from forge.registry.rollout import load_registry_section


@dataclass
class ProviderConfig:
    name: str = "forge"
    command: str = "forge"
    args: list[str] = field(default_factory=lambda: ["serve"])

    def problems(self) -> list[str]:
        return [f"'provider.{k}': must not be empty" for k in ("name", "command") if not getattr(self, k).strip()]


def load_provider(home: Path) -> ProviderConfig:
    return load_registry_section(home, "provider", ProviderConfig)


def agent_name(provider: ProviderConfig, target: str) -> str:
    return f"{provider.name}-{target}"


def provider_entry(
    target: str, model: Any, adapter_names: list[str], *, is_role: bool, provider: ProviderConfig | None = None
) -> dict[str, Any]:
    if model is None:
        raise NotFound(f"nothing is deployed to {target!r}", hint="`forge model deploy NAME --to TARGET` first")
    provider = provider or ProviderConfig()
    args = [*provider.args, "--model", model.display_name]
    if adapter_names:
        args += ["--adapters", ",".join(adapter_names)]
    agent = agent_name(provider, target)
    entry: dict[str, Any] = {"agents": {agent: {"command": provider.command, "args": args, "provider": provider.name}}}
    if is_role:
        entry["role_agents"] = {target: agent}
    return entry
