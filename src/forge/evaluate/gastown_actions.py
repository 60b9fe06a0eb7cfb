"""What an agent did, read out of its tool calls: shell commands (split with shlex), git steps,
and bead operations from both the beads MCP tools and `bd` commands. Pure: no I/O.

The Gas Town checkers (gastown.py) judge these actions. A prompt's earlier assistant turns are
read the same way as "history", so a reply is judged in the state its conversation left.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from forge.models.tool_calls import parse_reply

# ---- shell -----------------------------------------------------------------------------------

WRAPPERS = {"sudo", "env", "command", "nohup", "time", "exec", "xargs", "nice"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


@dataclass
class ShellCommand:
    words: list[str]  # wrappers (sudo, env, VAR=x) stripped
    text: str  # the whole Bash command it came from, for reasons
    cwd: str | None  # the directory it runs in, as tracked through `cd`
    writes: list[str] = field(default_factory=list)  # targets of > and >> redirections


def _strip_heredocs(command: str) -> str:
    """Drop heredoc bodies: their lines are data (commit messages, files), not commands."""
    out, pos = [], 0
    for m in _HEREDOC.finditer(command):
        if m.start() < pos:
            continue
        line_end = command.find("\n", m.end())
        if line_end < 0:
            break
        end = re.compile(rf"\n[ \t]*{re.escape(m.group(2))}[ \t]*(?:\n|$)").search(command, line_end)
        if not end:
            break
        out.append(command[pos:line_end])
        pos = end.end() - (1 if command[end.end() - 1 : end.end()] == "\n" else 0)
    out.append(command[pos:])
    return "".join(out)


def _unquoted_newlines_and_comments(command: str) -> str:
    """Unquoted newlines become `;`, unquoted comments go, backslash-newline joins lines."""
    out: list[str] = []
    quote: str | None = None
    i, n = 0, len(command)
    while i < n:
        ch = command[i]
        if quote:
            if ch == "\\" and quote == '"' and i + 1 < n:
                out.append(command[i : i + 2])
                i += 2
                continue
            if ch == quote:
                quote = None
            out.append(ch)
        elif ch == "\\" and i + 1 < n:
            if command[i + 1] != "\n":
                out.append(command[i : i + 2])
            i += 2
            continue
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "\n":
            out.append(" ; ")
        elif ch == "#" and (not out or out[-1][-1:] in " \t;&|("):
            while i < n and command[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _tokens(command: str) -> list[str]:
    text = _unquoted_newlines_and_comments(_strip_heredocs(command))
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|<>()")
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError:  # unbalanced quotes: fall back to a plain split
        return text.split()


def _strip_wrappers(words: list[str]) -> list[str]:
    words = list(words)
    while words:
        if _ASSIGNMENT.match(words[0]):
            words.pop(0)
        elif words[0] in WRAPPERS:
            words.pop(0)
            while words and words[0].startswith("-"):
                words.pop(0)
        elif words[0] == "timeout" and len(words) > 1:
            words = words[2:]
        else:
            break
    return words


def split_commands(command: str, depth: int = 0) -> list[tuple[list[str], list[str]]]:
    """A Bash command line → its simple commands as (words, redirect write targets); the
    commands of an inline `sh -c` script follow the shell command itself."""
    commands: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    writes: list[str] = []
    tokens = _tokens(command)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        punct = tok and all(c in ";&|<>()" for c in tok)
        if punct and ("<" in tok or ">" in tok):
            if words and words[-1].isdigit():  # `2>` : the fd number is not an argument
                words.pop()
            if i + 1 < len(tokens) and ">" in tok and "&" not in tok.replace("&>", ""):
                writes.append(tokens[i + 1])
            i += 2
            continue
        if punct:
            if words:
                commands.append((_strip_wrappers(words), writes))
            words, writes = [], []
        else:
            words.append(tok)
        i += 1
    if words:
        commands.append((_strip_wrappers(words), writes))
    out: list[tuple[list[str], list[str]]] = []
    for w, r in commands:
        if not w:
            continue
        out.append((w, r))
        script = _inline_script(w)
        if script is not None and depth < 3:  # `sh -c '...'` runs commands too: judge them
            out += split_commands(script, depth + 1)
    return out


SHELLS = {"sh", "bash", "zsh", "dash"}


def _inline_script(words: list[str]) -> str | None:
    """The script of `bash -c 'script'` (also `-lc`, `-ec`), else None."""
    if words[0].rsplit("/", 1)[-1] not in SHELLS:
        return None
    for i, w in enumerate(words[1:], 1):
        if w.startswith("-") and not w.startswith("--") and "c" in w[1:]:
            return words[i + 1] if i + 1 < len(words) else None
        if not w.startswith("-"):
            return None
    return None


def resolve(path: str, cwd: str | None) -> str | None:
    """An absolute normalised path, or None when it cannot be known (no cwd, `~`, `$VAR`)."""
    if path.startswith(("~", "$")):
        return None
    if path.startswith("/"):
        return posixpath.normpath(path)
    if cwd is None:
        return None
    return posixpath.normpath(posixpath.join(cwd, path))


# ---- tool calls and history ------------------------------------------------------------------


@dataclass
class Call:
    name: str
    arguments: dict[str, Any]
    index: int  # 1-based position in the reply (or in the history)
    in_reply: bool

    @property
    def where(self) -> str:
        return f"call {self.index} ({self.name})" if self.in_reply else f"earlier {self.name}"


@dataclass
class Context:
    """What the prompt tells a checker: the agent's role and cwd, the calls it already made,
    bead statuses it saw, and its text (to tell pre-existing bead ids from invented ones)."""

    agent_role: str | None = None
    cwd: str | None = None
    history: list[Call] = field(default_factory=list)
    # (number of history calls made before it, {bead id: status}) per tool result with beads
    observed: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    text: str | None = None


_CWD_RE = re.compile(r"(?im)^\s*[-*]?\s*(?:working directory|cwd)\s*[:=]\s*(/\S+)")


def _message_calls(msg: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for call in msg.get("tool_calls") or []:
        fn = call.get("function", call) if isinstance(call, dict) else {}
        args = fn.get("arguments", {})
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError:
                args = {}
        if isinstance(fn.get("name"), str) and isinstance(args, dict):
            out.append((fn["name"], args))
    return out


def _statuses_in(text: str) -> dict[str, str]:
    """Bead statuses from a tool result holding beads JSON (an object or a list of them)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return {}
    items = data if isinstance(data, list) else [data]
    return {
        d["id"]: d["status"]
        for d in items
        if isinstance(d, dict) and isinstance(d.get("id"), str) and isinstance(d.get("status"), str)
    }


def context_from_prompt(prompt: Any) -> Context:
    """A Context from an EvalPrompt (or anything with `messages` and `agent_role`)."""
    messages = list(getattr(prompt, "messages", None) or [])
    ctx = Context(agent_role=getattr(prompt, "agent_role", None))
    texts: list[str] = []
    for msg in messages:
        content = msg.get("content")
        content = content if isinstance(content, str) else json.dumps(content or "")
        texts.append(content)
        if ctx.cwd is None and msg.get("role") in ("system", "user"):
            m = _CWD_RE.search(content)
            if m:
                ctx.cwd = posixpath.normpath(m.group(1))
        for name, args in _message_calls(msg):
            ctx.history.append(Call(name, args, len(ctx.history) + 1, False))
            texts.append(json.dumps(args))
        if msg.get("role") == "tool" and (seen := _statuses_in(content)):
            ctx.observed.append((len(ctx.history), seen))
    ctx.text = "\n".join(texts)
    return ctx


def reply_calls(reply: str) -> list[Call]:
    """The reply's tool calls, read in the current tool-call format (the evaluated model's own:
    see models.tool_calls.reply_format)."""
    return [Call(c["name"], c["arguments"], i, True) for i, c in enumerate(parse_reply(reply).calls, 1)]


def shell_commands(calls: list[Call], cwd: str | None) -> list[tuple[Call, ShellCommand]]:
    """Every simple command of every Bash call, with the directory it runs in (`cd` carries
    over from one Bash call to the next, as in Claude Code's shell)."""
    return _walk_shell(calls, cwd)[0]


def cwd_after(calls: list[Call], cwd: str | None) -> str | None:
    """The shell's directory once `calls` have run."""
    return _walk_shell(calls, cwd)[1]


def _walk_shell(calls: list[Call], cwd: str | None) -> tuple[list[tuple[Call, ShellCommand]], str | None]:
    out = []
    for call in calls:
        command = call.arguments.get("command") if call.name == "Bash" else None
        if not isinstance(command, str):
            continue
        for words, writes in split_commands(command):
            if words[0] == "cd":
                target = words[1] if len(words) > 1 else "~"
                cwd = resolve(target, cwd)
                continue
            out.append((call, ShellCommand(words, command, cwd, writes)))
    return out, cwd


# ---- git -------------------------------------------------------------------------------------

_GIT_GLOBAL_WITH_VALUE = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"}


def git_parts(words: list[str]) -> tuple[str, list[str]] | None:
    """`git [global options] <sub> <args>` → (sub, args); None for non-git commands."""
    if not words or words[0] != "git":
        return None
    i = 1
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in _GIT_GLOBAL_WITH_VALUE else 1
    if i >= len(words):
        return None
    return words[i], words[i + 1 :]


def short_flags(args: list[str], takes_value: str, long_with_value: frozenset[str] = frozenset()) -> set[str]:
    """Letters of short-option clusters (`-am msg` → {a, m}). A letter in `takes_value` ends
    its cluster, and when it is the cluster's last letter the next argument is its value (so
    `-m "-n"` is a message, not -n); so is the argument after a long option in
    `long_with_value`."""
    letters: set[str] = set()
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--":
            break
        if arg in long_with_value:
            skip = True
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            for i, ch in enumerate(arg[1:], 1):
                letters.add(ch)
                if ch in takes_value:
                    skip = i == len(arg) - 1
                    break
    return letters


# ---- beads -----------------------------------------------------------------------------------


@dataclass
class BeadOp:
    op: str  # create | update | close | reopen | dep
    ids: list[str]  # the beads it acts on (create: its explicit id, if any)
    fields: dict[str, Any]  # normalised: title, description, issue_type, priority,
    # status, reason, deps ["type:id"], assignee, depends_on, dep_type
    call: Call
    text: str = ""  # the bd command as written, when it came from Bash

    @property
    def where(self) -> str:
        if self.text:
            return (
                f"{self.call.where}: `{self.text}`"
                if len(self.text) <= 80
                else f"{self.call.where}: `{self.text[:77]}...`"
            )
        return self.call.where


_MCP_OPS = {"create", "update", "close", "reopen", "dep"}


def _mcp_op(call: Call) -> BeadOp | None:
    if not (call.name.startswith("mcp__") and "beads" in call.name):
        return None
    op = call.name.rsplit("__", 1)[-1]
    if op not in _MCP_OPS:
        return None
    a = dict(call.arguments)
    if op == "create":
        ids = [a["id"]] if isinstance(a.get("id"), str) and a["id"] else []
        return BeadOp(op, ids, a, call)
    if op == "reopen":
        ids = a["issue_ids"] if isinstance(a.get("issue_ids"), list) else []
        return BeadOp(op, [str(i) for i in ids], a, call)
    ids = [a["issue_id"]] if isinstance(a.get("issue_id"), str) and a["issue_id"] else []
    if op == "dep":
        a.setdefault("dep_type", "blocks")
    return BeadOp(op, ids, a, call)


# bd flags: alias → (field, takes a value)
_BD_FLAGS: dict[str, tuple[str, bool]] = {
    "--title": ("title", True),
    "-d": ("description", True),
    "--description": ("description", True),
    "-t": ("issue_type", True),
    "--type": ("issue_type", True),
    "-p": ("priority", True),
    "--priority": ("priority", True),
    "--deps": ("deps", True),
    "--parent": ("parent", True),
    "--id": ("id", True),
    "-a": ("assignee", True),
    "--assignee": ("assignee", True),
    "-l": ("labels", True),
    "--labels": ("labels", True),
    "--label": ("labels", True),
    "--design": ("design", True),
    "--acceptance": ("acceptance", True),
    "--external-ref": ("external_ref", True),
    "-f": ("file", True),
    "--file": ("file", True),
    "-s": ("status", True),
    "--status": ("status", True),
    "--notes": ("notes", True),
    "-r": ("reason", True),
    "--reason": ("reason", True),
    "--blocks": ("blocks", True),
    "--db": ("db", True),
    "--actor": ("actor", True),
    "-e": ("estimate", True),
    "--estimate": ("estimate", True),
    "--claim": ("claim", False),
    "--json": ("json", False),
    "--force": ("force", False),
    "--silent": ("silent", False),
    "-q": ("quiet", False),
}


def _bd_options(args: list[str]) -> tuple[list[str], dict[str, Any]]:
    positional: list[str] = []
    opts: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        key, value = arg, None
        if arg.startswith("--") and "=" in arg:
            key, value = arg.split("=", 1)
        elif (
            arg.startswith("-") and not arg.startswith("--") and len(arg) > 2 and _BD_FLAGS.get(arg[:2], ("", False))[1]
        ):
            key, value = arg[:2], arg[2:]  # -p1
        if key in _BD_FLAGS:
            name, takes = _BD_FLAGS[key]
            if takes and value is None:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            opts[name] = value if takes else True
        elif not arg.startswith("-") or arg == "-":
            positional.append(arg)
        i += 1
    return positional, opts


def _bd_priority(value: Any) -> Any:
    """bd takes 0-4 or P0-P4; anything else is kept as given (and reported)."""
    m = re.fullmatch(r"[Pp]?([0-9]+)", str(value).strip())
    return int(m.group(1)) if m else value


def _bd_op(call: Call, words: list[str], text: str) -> BeadOp | None:
    if not words or words[0] != "bd":
        return None
    args = words[1:]
    while args and args[0].startswith("-"):  # global flags before the subcommand
        args = args[2:] if args[0] in ("--db", "--actor") else args[1:]
    if not args:
        return None
    sub, rest = args[0], args[1:]
    shown = " ".join(shlex.quote(w) for w in words)
    if sub in ("create", "new"):
        pos, o = _bd_options(rest)
        fields: dict[str, Any] = {
            k: v
            for k, v in o.items()
            if k in ("title", "description", "issue_type", "assignee", "design", "acceptance", "external_ref", "file")
        }
        if "title" not in fields and pos:
            fields["title"] = pos[0]
        if "priority" in o:
            fields["priority"] = _bd_priority(o["priority"])
        deps = [d.strip() for d in str(o.get("deps", "")).split(",") if d.strip()]
        if o.get("parent"):
            deps.append(f"parent-child:{o['parent']}")
        if deps:
            fields["deps"] = deps
        return BeadOp("create", [o["id"]] if o.get("id") else [], fields, call, shown)
    if sub == "update":
        pos, o = _bd_options(rest)
        fields = {
            k: v
            for k, v in o.items()
            if k in ("status", "assignee", "title", "description", "notes", "design", "acceptance")
        }
        if "priority" in o:
            fields["priority"] = _bd_priority(o["priority"])
        if o.get("claim") and "status" not in fields:
            fields["status"] = "in_progress"
        return BeadOp("update", pos, fields, call, shown)
    if sub in ("close", "reopen"):
        pos, o = _bd_options(rest)
        fields = {"reason": o["reason"]} if "reason" in o else {}
        return BeadOp(sub, pos, fields, call, shown)
    if sub == "dep":
        pos, o = _bd_options(rest)
        if pos[:1] == ["add"] and len(pos) >= 3:
            return BeadOp(
                "dep", [pos[1]], {"depends_on": pos[2], "dep_type": o.get("issue_type", "blocks")}, call, shown
            )
        if o.get("blocks") and pos and pos[0] not in ("add", "remove", "rm", "tree", "cycles", "list"):
            # `bd dep <blocker> --blocks <blocked>`: the blocked bead depends on the blocker
            return BeadOp("dep", [o["blocks"]], {"depends_on": pos[0], "dep_type": "blocks"}, call, shown)
    return None


def bead_ops(calls: list[Call], cwd: str | None = None) -> list[BeadOp]:
    """Bead operations in call order, from beads MCP tools and `bd` commands in Bash calls."""
    out: list[BeadOp] = []
    shell: dict[int, list[ShellCommand]] = {id(c): [] for c in calls}
    for call, cmd in shell_commands(calls, cwd):
        shell[id(call)].append(cmd)
    for call in calls:
        op = _mcp_op(call)
        if op is not None:
            if op.op == "dep":
                op.fields["depends_on"] = op.fields.get("depends_on_id")
            out.append(op)
        for cmd in shell[id(call)]:
            op = _bd_op(call, cmd.words, cmd.text)
            if op is not None:
                out.append(op)
    return out


def split_dep(dep: Any) -> tuple[str, str]:
    """`"type:id"` → (type, id); a bare id is a `blocks` dependency, as in bd."""
    text = str(dep).strip()
    if ":" in text:
        kind, target = text.split(":", 1)
        return kind.strip(), target.strip()
    return "blocks", text
