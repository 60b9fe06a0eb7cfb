"""Who may do what over the network: API tokens, the authorization rule, the server's limits,
where API callers may train from, and where remote callers may publish."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from forge.errors import Forbidden, InputError
from forge.service.base import ForgeHome

if TYPE_CHECKING:
    from forge.service.facade import Forge


class AccessAPI(ForgeHome):
    # -- tokens ------------------------------------------------------------------------------
    def create_token(self, name: str, scope: str = "read", *, actor: str | None = None) -> dict[str, Any]:
        """A new bearer token. The secret is in the answer once and never stored (only its hash)."""
        from forge.auth import TokenStore
        from forge.service.jobs import default_actor

        info, secret = TokenStore(self.engine).create(name, scope, actor=actor or default_actor())
        return {**info.to_dict(), "token": secret}

    def list_tokens(self) -> list[dict[str, Any]]:
        from forge.auth import TokenStore

        return [t.to_dict() for t in TokenStore(self.engine).list()]

    def revoke_token(self, ref: str) -> dict[str, Any]:
        """Revoke by id (tok-…) or name; a revoked token is refused at once."""
        from forge.auth import TokenStore

        return TokenStore(self.engine).revoke(ref).to_dict()

    # -- the rule ----------------------------------------------------------------------------
    def authorize(self, authorization: str | None, need: str, *, loopback: bool) -> Any:
        """The caller (forge.auth.Principal) behind an `Authorization` header value, if it may do
        what needs scope `need` (read | write | admin) on a server bound to loopback or not.
        Raises Unauthorized (no or bad token: HTTP 401) or Forbidden (too small a scope: 403)."""
        from forge.auth import TokenStore, authorize, bearer_token

        return authorize(
            TokenStore(self.engine), self.server_config(), bearer_token(authorization), need, loopback=loopback
        )

    def server_config(self) -> Any:
        """FORGE_HOME/server.toml: [auth], [limits], [api] (forge.auth.ServerConfig)."""
        from forge.auth import load_server_config

        return load_server_config(self.settings.home)

    @staticmethod
    def is_loopback(host: str) -> bool:
        from forge.auth import is_loopback

        return is_loopback(host)

    # -- what API callers may read -----------------------------------------------------------
    def check_api_sources(self, sources: list[str]) -> list[str]:
        """Training sources an API caller names must lie in the bundled example corpus or under
        a folder listed in server.toml [api] source_roots: a token holder must not be able to
        turn any file this server can read into a corpus."""
        from forge.bundled import example_sources

        roots = [Path(p).resolve() for p in example_sources()]
        roots += [Path(r).resolve() for r in self.server_config().api.source_roots]
        out = []
        for src in sources:
            if any(ord(c) < 32 for c in src):  # NUL and friends: no file has such a name
                raise InputError("a training source contains a control character", hint="send the path as plain text")
            path = Path(src).resolve()
            if not any(path == r or r in path.parents for r in roots):
                raise Forbidden(
                    f"source {src!r} is outside the folders API callers may train from",
                    hint=f"add its folder to [api] source_roots in {self.settings.home / 'server.toml'}",
                )
            if not path.exists():
                raise InputError(f"source {src!r} does not exist")
            out.append(str(path))
        return out

    def check_api_ingest_options(self, options: dict[str, Any] | None) -> dict[str, Any] | None:
        """Ingest options from an API caller: rule files (`scrub_rules`) are read from the same
        folders as training sources, never from anywhere else on this server."""
        if not options or "scrub_rules" not in options:
            return options
        rules = options["scrub_rules"]
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            raise InputError("ingest.scrub_rules must be a list of paths")
        return {**options, "scrub_rules": self.check_api_sources(rules)}

    # -- where remote callers may publish ----------------------------------------------------
    def publish_policy(self) -> Any:
        """FORGE_HOME/registry.toml [publish] (forge.registry.publish_policy.PublishPolicy)."""
        from forge.registry.publish_policy import load_publish_policy

        return load_publish_policy(self.settings.home)

    def publish_remote(
        self, job_id: str, repo: str, *, private: bool = True, actor: str, card_text: str | None = None
    ) -> dict[str, Any]:
        """Publish for a caller that is not the machine's owner (MCP, the API): only to the
        repositories or organisations registry.toml [publish] allows, private unless it allows
        public; then the same rule as any publish (TESTS_PASSED first)."""
        self.publish_policy().check(repo, private=private)
        forge = cast("Forge", self)  # a mixin of Forge: publish_job is RegistryAPI's
        return forge.publish_job(
            job_id,
            repo,
            private=private,
            actor=actor,
            card_text=card_text,
        )
