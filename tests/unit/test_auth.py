"""API tokens and the network rule (forge.auth through the facade): tokens are stored hashed,
shown once, scoped read < write < admin, revocable; writes need a write token on any bind,
every request needs a token off loopback, loopback reads are open only as server.toml says."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from typer.testing import CliRunner

from forge.cli import app
from forge.errors import ConfigError, Forbidden, InputError, Unauthorized
from forge.service import Forge


def test_token_secret_is_shown_once_and_stored_only_as_its_hash(forge, forge_home):
    made = forge.create_token("ci", "write", actor="pytest")
    secret = made["token"]
    assert secret.startswith("forge_") and len(secret) > 40 and made["scope"] == "write"
    rows = sqlite3.connect(forge_home / "forge.db").execute("SELECT * FROM api_tokens").fetchall()
    flat = repr(rows)
    assert secret not in flat and secret[6:] not in flat  # neither the secret nor its random part
    assert hashlib.sha256(secret.encode()).hexdigest() in flat
    listed = forge.list_tokens()
    assert [t["name"] for t in listed] == ["ci"] and "token" not in listed[0]
    assert listed[0]["prefix"] == secret[:12] and listed[0]["last_used_at"] is None
    who = forge.authorize(f"Bearer {secret}", "write", loopback=False)
    assert (who.name, who.scope, who.actor) == ("ci", "write", "token:ci")
    assert forge.list_tokens()[0]["last_used_at"] is not None


def test_the_rule_on_loopback_and_off(forge):
    read = forge.create_token("viewer", "read", actor="t")["token"]
    write = forge.create_token("writer", "write", actor="t")["token"]
    admin = forge.create_token("root", "admin", actor="t")["token"]
    # loopback: reads open by default, writes need a write token
    assert forge.authorize(None, "read", loopback=True).scope == "read"
    with pytest.raises(Unauthorized, match="this needs scope write"):
        forge.authorize(None, "write", loopback=True)
    with pytest.raises(Forbidden, match="has scope read; this needs write"):
        forge.authorize(f"Bearer {read}", "write", loopback=True)
    assert forge.authorize(f"Bearer {write}", "write", loopback=True).name == "writer"
    with pytest.raises(Forbidden, match="needs admin"):
        forge.authorize(f"Bearer {write}", "admin", loopback=True)
    assert forge.authorize(f"bearer {admin}", "admin", loopback=False).name == "root"  # scheme: any case
    # off loopback: every request needs a token
    with pytest.raises(Unauthorized, match="not bound to loopback"):
        forge.authorize(None, "read", loopback=False)
    assert forge.authorize(f"Bearer {read}", "read", loopback=False).name == "viewer"
    for bad in ("Bearer forge_nope", f"Basic {write}", "Bearer", "Bearer  "):
        with pytest.raises(Unauthorized):
            forge.authorize(bad, "read", loopback=False)


def test_revoked_tokens_are_refused_and_names_are_reusable(forge):
    secret = forge.create_token("laptop", "write", actor="t")["token"]
    with pytest.raises(InputError, match="an active token named 'laptop' exists"):
        forge.create_token("laptop", "read", actor="t")
    assert forge.revoke_token("laptop")["active"] is False
    with pytest.raises(Unauthorized, match="unknown or revoked"):
        forge.authorize(f"Bearer {secret}", "read", loopback=True)
    again = forge.create_token("laptop", "read", actor="t")
    assert forge.revoke_token(again["id"])["id"] == again["id"]
    with pytest.raises(InputError, match="scope 'root'"):
        forge.create_token("x", "root", actor="t")
    with pytest.raises(InputError, match="token name"):
        forge.create_token("a b", "read", actor="t")


def test_server_toml_closes_loopback_reads_and_names_bad_keys(forge, forge_home):
    (forge_home / "server.toml").write_text("[auth]\nopen_loopback_reads = false\n[limits]\nmax_body_bytes = 1000\n")
    with pytest.raises(Unauthorized):
        forge.authorize(None, "read", loopback=True)
    assert forge.server_config().limits.max_body_bytes == 1000
    (forge_home / "server.toml").write_text("[limits]\nmax_body_byte = 5\n[apii]\n")
    with pytest.raises(ConfigError) as e:
        forge.server_config()
    assert "'apii': unknown section" in str(e.value)
    (forge_home / "server.toml").write_text("[limits]\nmax_body_byte = 5\n")
    with pytest.raises(ConfigError, match="did you mean 'limits.max_body_bytes'"):
        forge.server_config()


def test_loopback_addresses():
    assert all(Forge.is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(Forge.is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.com", ""))


def test_api_sources_must_lie_under_allowed_roots(forge, forge_home, tmp_path):
    from forge.service import example_sources

    assert forge.check_api_sources(example_sources()) == [
        str(__import__("pathlib").Path(p).resolve()) for p in example_sources()
    ]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(Forbidden, match="outside the folders API callers may train from"):
        forge.check_api_sources([str(outside)])
    with pytest.raises(Forbidden):
        forge.check_api_sources([example_sources()[0] + "/../../../../etc"])
    with pytest.raises(InputError, match="control character"):  # not a ValueError from the OS
        forge.check_api_sources([example_sources()[0] + "/x\x00y"])
    (forge_home / "server.toml").write_text(f'[api]\nsource_roots = ["{tmp_path}"]\n')
    assert forge.check_api_sources([str(outside)]) == [str(outside.resolve())]


def test_token_cli_prints_the_secret_once(forge_home):
    r = CliRunner().invoke(app, ["token", "create", "--name", "alice", "--scope", "write"])
    assert r.exit_code == 0, r.output
    secret = next(line for line in r.output.splitlines() if line.startswith("forge_"))
    listed = CliRunner().invoke(app, ["token", "list"])
    assert listed.exit_code == 0 and "alice" in listed.output and secret not in listed.output
    assert Forge().authorize(f"Bearer {secret}", "write", loopback=False).name == "alice"
    r = CliRunner().invoke(app, ["token", "revoke", "alice", "--json"])
    assert r.exit_code == 0 and '"active": false' in r.output
    r = CliRunner().invoke(app, ["token", "create", "--name", "bob", "--scope", "god"])
    assert r.exit_code == 1 and "must be one of read, write, admin" in r.output


def test_api_callers_rule_files_are_confined_like_their_sources(forge, forge_home, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rules]]\nid = 'x'\nregex = 'x_[0-9]{8}'\n")
    options = {"scrub_rules": [str(rules)], "min_messages": 2}
    with pytest.raises(Forbidden, match="outside the folders API callers may train from"):
        forge.check_api_ingest_options(options)
    with pytest.raises(InputError, match="must be a list of paths"):
        forge.check_api_ingest_options({"scrub_rules": str(rules)})
    assert forge.check_api_ingest_options({"min_messages": 3}) == {"min_messages": 3}
    (forge_home / "server.toml").write_text(f'[api]\nsource_roots = ["{tmp_path}"]\n')
    assert forge.check_api_ingest_options(options) == {**options, "scrub_rules": [str(rules.resolve())]}
