"""Gas Town task-suite checkers: bead management, git workflow, convention adherence, planning.

Registered in the shared `CHECKERS` table with the usual `(reply, tools, expected)` signature.
Each also takes an optional `prompt` (an EvalPrompt): from it a checker learns the agent's
role, its working directory ("Working directory: /path" in a system or user message), the
calls it already made and the bead statuses it saw. Without a prompt, what needs it is
judged on the reply alone: role rules are skipped, every absolute `rm -r` target counts as
outside the work tree, and git steps before the reply are assumed done (only the order inside
the reply is judged); the scorer passes it to every checker as `prompt=`.
Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from forge.evaluate.checkers import CheckResult, register_checker
from forge.evaluate.gastown_actions import (
    BeadOp,
    Call,
    Context,
    ShellCommand,
    bead_ops,
    context_from_prompt,
    cwd_after,
    git_parts,
    reply_calls,
    resolve,
    shell_commands,
    short_flags,
    split_dep,
)

BEAD_MANAGEMENT = "bead_management"
GIT_WORKFLOW = "git_workflow"
CONVENTION_ADHERENCE = "convention_adherence"
PLANNING = "planning"
GASTOWN_CHECKS = (BEAD_MANAGEMENT, GIT_WORKFLOW, CONVENTION_ADHERENCE, PLANNING)

ISSUE_TYPES = ("bug", "feature", "task", "epic", "chore")
STATUSES = ("open", "in_progress", "blocked", "closed")
DEP_TYPES = ("blocks", "related", "parent-child", "discovered-from")
PRIORITIES = range(0, 5)
CREATE_REQUIRED = ("title", "description")
FIELD_ORDER = ("title", "description", "issue_type", "priority", "deps")  # create fields checked
COMMIT_VALUE_FLAGS = "mFcCt"
COMMIT_VALUE_OPTIONS = frozenset(
    {
        "--message",
        "--file",
        "--author",
        "--date",
        "--reuse-message",
        "--reedit-message",
        "--fixup",
        "--squash",
        "--template",
        "--cleanup",
        "--trailer",
    }
)
PUSH_VALUE_OPTIONS = frozenset({"--push-option", "--repo", "--receive-pack", "--exec"})
CREATE_BRANCH_FLAGS = {"-b", "-B", "-c", "-C", "--create", "--force-create", "--orphan"}
SHARED_BRANCHES = {"main", "master", "develop", "dev", "trunk"}
# Reasons that say a bead is dropped rather than done: closing it straight from open is fine.
NOT_WORK_WORDS = (
    "duplicate",
    "dup of",
    "wontfix",
    "won't fix",
    "wont fix",
    "invalid",
    "obsolete",
    "not a bug",
    "superseded",
    "no longer",
    "cannot reproduce",
    "can't reproduce",
    "out of scope",
    "by mistake",
    "in error",
)
SOURCE_SUFFIXES = (
    ".py",
    ".go",
    ".rs",
    ".ts",
    ".tsx",
    ".js",
    ".jsx",
    ".java",
    ".kt",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".rb",
    ".sh",
    ".swift",
    ".scala",
    ".cs",
    ".php",
    ".lua",
)
EDIT_TOOLS = {"Edit", "Write", "MultiEdit", "NotebookEdit"}
FORBIDDEN_COMMANDS = {"pkill": "kills processes by name pattern", "killall": "kills every process with that name"}


def _context(prompt: Any) -> Context:
    return context_from_prompt(prompt) if prompt is not None else Context()


def _result(reasons: list[str], **details: Any) -> CheckResult:
    return CheckResult(passed=not reasons, reasons=reasons, details=details)


# ---- bead management -------------------------------------------------------------------------


def _field_problems(op: BeadOp) -> list[str]:
    """Type, priority, status and dependency values out of their legal ranges."""
    f, where, out = op.fields, op.where, []
    if "issue_type" in f and f["issue_type"] not in ISSUE_TYPES:
        out.append(f"{where}: issue_type {f['issue_type']!r} is not one of {', '.join(ISSUE_TYPES)}")
    if "priority" in f:
        p = f["priority"]
        if isinstance(p, bool) or not isinstance(p, int) or p not in PRIORITIES:
            out.append(f"{where}: priority {p!r} must be an integer 0-4")
    if "status" in f and f["status"] not in STATUSES:
        out.append(f"{where}: status {f['status']!r} is not one of {', '.join(STATUSES)}")
    deps = f.get("deps", [])
    if not isinstance(deps, list):
        out.append(f'{where}: deps must be a list of "type:id" strings')
        deps = []
    for dep in deps:
        kind, target = split_dep(dep)
        if kind not in DEP_TYPES:
            out.append(f"{where}: dependency type {kind!r} in {dep!r} is not one of {', '.join(DEP_TYPES)}")
        if not target:
            out.append(f"{where}: dependency {dep!r} names no bead")
    if op.op == "dep" and f.get("dep_type") not in DEP_TYPES:
        out.append(f"{where}: dependency type {f.get('dep_type')!r} is not one of {', '.join(DEP_TYPES)}")
    return out


def _not_work(reason: str) -> bool:
    return any(w in reason.lower() for w in NOT_WORK_WORDS)


def _transition_problems(op: BeadOp, statuses: dict[str, str], created: set[str]) -> list[str]:
    """Status rules: open → in_progress → closed; close with a reason; no implicit reopen.
    Updates `statuses` as the operation takes effect."""
    out: list[str] = []
    where = op.where
    if op.op == "create":
        statuses.update(dict.fromkeys(op.ids, "open"))
        created.update(op.ids)
        return out
    if op.op in ("update", "close", "reopen", "dep") and not op.ids:
        return [f"{where}: names no bead id"]
    for bid in op.ids:
        old = statuses.get(bid)
        if op.op == "update" and "status" in op.fields:
            new = op.fields["status"]
            if new == "closed":
                out.append(f"{where}: sets {bid} to closed by update; close it with a reason instead")
            elif old == "closed" and new != "closed":
                out.append(f"{where}: reopens closed bead {bid} by update ({old} → {new}); reopen it explicitly")
            statuses[bid] = new
        elif op.op == "close":
            reason = op.fields.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                out.append(f"{where}: closes {bid} without a reason")
                reason = ""
            if old == "closed":
                out.append(f"{where}: closes {bid}, which is already closed")
            elif old == "open" and not _not_work(reason):
                made = " right after creating it" if bid in created else ""
                out.append(
                    f"{where}: closes {bid}{made} while it is open (open → closed); work "
                    "moves open → in_progress → closed"
                )
            statuses[bid] = "closed"
        elif op.op == "reopen":
            if old is not None and old != "closed":
                out.append(f"{where}: reopens {bid}, which is {old}, not closed")
            statuses[bid] = "open"
    return out


def _statuses_before(ctx: Context) -> dict[str, str]:
    """Bead statuses when the reply starts: the conversation's bead operations replayed, with
    what its tool results showed applied where they appeared."""
    statuses: dict[str, str] = {}
    events = list(ctx.observed)
    for op in bead_ops(ctx.history, ctx.cwd):
        while events and events[0][0] < op.call.index:
            statuses.update(events.pop(0)[1])
        _transition_problems(op, statuses, set())
    for _, seen in events:
        statuses.update(seen)
    return statuses


def _expected_fields(expected: list[dict[str, Any]]) -> list[set[str]]:
    """For each expected create call, the fields it sets (the ask named them)."""
    return [
        set((e.get("arguments") or {}).keys()) & set(FIELD_ORDER)
        for e in expected
        if str(e.get("name", "")).endswith("beads__create")
    ]


@register_checker(BEAD_MANAGEMENT)
def check_bead_management(
    reply: str, tools: list[dict[str, Any]], expected: list[dict[str, Any]], prompt: Any = None
) -> CheckResult:
    """Bead create/update/close/reopen/dep operations (beads MCP tools or `bd` commands):
    required fields present, values in range, legal status transitions."""
    ctx = _context(prompt)
    statuses, created = _statuses_before(ctx), set[str]()
    ops = bead_ops(reply_calls(reply), ctx.cwd)
    reasons: list[str] = []
    if not ops:
        reasons.append("no bead operation (beads tool call or bd command) in the reply")
    want = _expected_fields(expected)
    n_create = 0
    for op in ops:
        if op.op == "create":
            required = set(CREATE_REQUIRED) | (want[n_create] if n_create < len(want) else set())
            n_create += 1
            if op.fields.get("file"):
                required = set()  # `bd create -f plan.md`: the fields are in the file
            for key in sorted(required, key=FIELD_ORDER.index):
                value = op.fields.get(key)
                if value is None or (isinstance(value, (str, list)) and not value):
                    reasons.append(f"{op.where}: missing {key}")
        reasons += _field_problems(op)
        reasons += _transition_problems(op, statuses, created)
    return _result(reasons, operations=[f"{op.op} {' '.join(op.ids)}".strip() for op in ops], statuses=statuses)


# ---- git workflow ----------------------------------------------------------------------------


def _branch_name(ref: str) -> str:
    ref = ref.split(":", 1)[-1].lstrip("+")
    for prefix in ("refs/heads/", "origin/", "upstream/"):
        ref = ref.removeprefix(prefix)
    return ref


def _shared(branch: str | None) -> bool:
    return branch is not None and (branch in SHARED_BRANCHES or branch.startswith("release/"))


def _positional(args: list[str], with_value: frozenset[str] | set[str] = frozenset()) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--":
            break
        elif arg.startswith("-"):
            skip = arg in with_value
        else:
            out.append(arg)
    return out


STAGE_ORDER = ("branch", "commit", "push", "pr")
NEEDS = {"commit": "branch", "push": "commit", "pr": "push"}
NEEDS_TEXT = {
    "commit": "commit before creating or switching to a work branch (git checkout -b / git switch -c)",
    "push": "push before any commit",
    "pr": "opens a PR before pushing the branch",
}


@dataclass
class _GitAction:
    call: Call
    sub: str  # git subcommand, or "pr-create"
    args: list[str]
    text: str
    hooks_off: str = ""  # how the command turns hooks off before the subcommand, if it does

    @property
    def stage(self) -> str | None:
        """Where the action sits in branch → commit → push → PR (None: elsewhere)."""
        if self.sub == "pr-create":
            return "pr"
        if self.sub in ("checkout", "switch") and CREATE_BRANCH_FLAGS & set(self.args):
            return "branch"
        if self.sub == "worktree" and self.args[:1] == ["add"] and "-b" in self.args:
            return "branch"
        if self.sub == "commit":
            return "commit"
        if self.sub == "push":
            dry = "--dry-run" in self.args or "n" in short_flags(self.args, "o", PUSH_VALUE_OPTIONS)
            return None if dry else "push"
        return None


class _GitState:
    """The branch the agent is on and which workflow stages are done, action by action.
    `known_start`: the conversation is known from its start (a prompt was given); otherwise
    whatever came before the reply may already have branched, committed and pushed."""

    def __init__(self, known_start: bool) -> None:
        self.branch: str | None = None  # None: not known (the session's starting branch)
        self.work_branch = not known_start  # on a branch made or chosen for this work
        self.done = {"branch": not known_start, "commit": not known_start, "push": not known_start}

    def _switch(self, args: list[str]) -> None:
        made = next((i for i, a in enumerate(args) if a in CREATE_BRANCH_FLAGS), None)
        if made is not None:
            target = args[made + 1] if made + 1 < len(args) else None
        elif "--" in args:
            return  # `git checkout -- file`: restores files, stays on the branch
        else:
            names = _positional(args)
            target = names[0] if names else None
        if target and target not in (".", "-") and not _is_source(target):
            self.branch = _branch_name(target)
            self.work_branch = not _shared(self.branch)

    def step(self, act: _GitAction, check_order: bool, role: str | None) -> list[str]:
        out: list[str] = []
        cmd, args, stage = act.text, act.args, act.stage
        judged = act.call.in_reply
        if act.sub in ("checkout", "switch"):
            self._switch(args)
        elif stage == "branch":
            self.work_branch = True
        if judged and stage in ("commit", "push") and act.hooks_off:
            out.append(f"`{cmd}`: {act.sub} disables the hooks ({act.hooks_off})")
        if judged and stage == "commit":
            if "--no-verify" in args or "n" in short_flags(args, COMMIT_VALUE_FLAGS, COMMIT_VALUE_OPTIONS):
                out.append(f"`{cmd}`: commit skips the hooks (--no-verify/-n)")
            if _shared(self.branch):
                out.append(
                    f"`{cmd}`: commits on shared branch {self.branch}; branch first (git checkout -b / git switch -c)"
                )
            elif check_order and not self.work_branch:
                out.append(f"`{cmd}`: {NEEDS_TEXT['commit']}")
        elif judged and act.sub == "push":
            out += self._push_problems(act, role)
            if stage == "push" and check_order and not self.done["commit"]:
                out.append(f"`{cmd}`: {NEEDS_TEXT['push']}")
        elif judged and stage == "pr" and check_order and not self.done["push"]:
            out.append(f"`{cmd}`: {NEEDS_TEXT['pr']}")
        elif judged and act.sub == "reset" and "--hard" in args and (_shared(self.branch) or not self.work_branch):
            where = self.branch if self.branch else "the session's starting branch"
            out.append(f"`{cmd}`: git reset --hard on shared branch ({where})")
        if stage in self.done:
            self.done[stage] = True
        return out

    def _push_problems(self, act: _GitAction, role: str | None) -> list[str]:
        cmd, args, out = act.text, act.args, []
        forced = [a for a in args if a in ("--force", "--force-if-includes") or a.startswith("--force-with-lease")]
        if "f" in short_flags(args, "o", PUSH_VALUE_OPTIONS):
            forced.append("-f")
        refspecs = _positional(args, {"-o", "--push-option", "--repo", "--receive-pack"})[1:]
        forced += [r for r in refspecs if r.startswith("+")]
        if forced:
            out.append(f"`{cmd}`: force push ({', '.join(forced)})")
        if "--no-verify" in args:
            out.append(f"`{cmd}`: push skips the pre-push hook (--no-verify)")
        targets = [_branch_name(r) for r in refspecs] or ([self.branch] if self.branch else [])
        shared = [t for t in targets if _shared(t)]
        if shared and role != "refinery" and "--delete" not in args:
            out.append(f"`{cmd}`: pushes straight to shared branch {shared[0]}; push the work branch and open a PR")
        return out


def _git_actions(calls: list[Call], cwd: str | None) -> list[_GitAction]:
    out = []
    shell_by_call: dict[int, list[ShellCommand]] = {}
    for call, cmd in shell_commands(calls, cwd):
        shell_by_call.setdefault(id(call), []).append(cmd)
    for call in calls:
        if call.name.endswith("create_pull_request"):  # a GitHub MCP tool
            out.append(_GitAction(call, "pr-create", [], call.name))
        for cmd in shell_by_call.get(id(call), []):
            text = " ".join(cmd.words)
            if cmd.words[:3] == ["gh", "pr", "create"]:
                out.append(_GitAction(call, "pr-create", cmd.words[3:], text))
            elif (parts := git_parts(cmd.words)) is not None:
                out.append(_GitAction(call, parts[0], parts[1], text, _hooks_off(cmd.words)))
    return out


def _hooks_off(words: list[str]) -> str:
    """`git -c core.hooksPath=/dev/null ...` (or any hooksPath override) runs no hooks."""
    for i, w in enumerate(words[:-1]):
        if w == "-c" and words[i + 1].lower().startswith("core.hookspath"):
            return f"-c {words[i + 1]}"
    return ""


def _order_inversions(actions: list[_GitAction]) -> dict[int, str]:
    """Reply actions whose prerequisite stage comes later in the same reply → the reason."""
    out: dict[int, str] = {}
    for i, act in enumerate(actions):
        need = NEEDS.get(act.stage or "")
        later = next((b for b in actions[i + 1 :] if b.stage == need), None) if need else None
        if later is not None:
            out[i] = f"`{act.text}` comes before `{later.text}`: the order is {' → '.join(STAGE_ORDER)}"
    return out


@register_checker(GIT_WORKFLOW)
def check_git_workflow(
    reply: str, tools: list[dict[str, Any]], expected: list[dict[str, Any]], prompt: Any = None
) -> CheckResult:
    """Branch → commit → push → PR, in that order; no force push, no --no-verify, no
    `git reset --hard` on a shared branch. The prompt's earlier turns count as done; without a
    prompt only the order within the reply is judged."""
    ctx = _context(prompt)
    state = _GitState(known_start=prompt is not None)
    history = _git_actions(ctx.history, ctx.cwd)
    actions = _git_actions(reply_calls(reply), ctx.cwd)
    inverted = _order_inversions(actions)
    reasons: list[str] = []
    for act in history:
        state.step(act, False, ctx.agent_role)
    for i, act in enumerate(actions):
        if i in inverted:
            reasons.append(inverted[i])
        reasons += state.step(act, i not in inverted, ctx.agent_role)
    if not actions:
        reasons.append("no git or gh command in the reply")
    return _result(reasons, steps=[a.stage or a.sub for a in actions], branch=state.branch)


# ---- convention adherence --------------------------------------------------------------------


def _rm_problems(cmd: ShellCommand, root: str | None) -> list[str]:
    words = cmd.words
    flags = short_flags(words[1:], "")
    recursive = bool({"r", "R"} & flags) or "--recursive" in words
    if not recursive:
        return []
    out = []
    dashdash = words.index("--") if "--" in words else len(words)
    targets = [w for w in words[1:dashdash] if not w.startswith("-")] + words[dashdash + 1 :]
    for target in targets:
        shown = f"`{' '.join(words)}`"
        if target.startswith(("~", "$HOME", "${HOME}")):
            out.append(f"{shown}: removes {target} in the home directory, outside the work tree")
            continue
        if target.startswith("$"):
            out.append(f"{shown}: removes {target}, a path that depends on a variable")
            continue
        path = resolve(target, cmd.cwd)
        if path is None:  # relative, and nothing says where we are: only `..` can escape
            if target.split("/")[0] == "..":
                out.append(f"{shown}: {target} escapes the work tree")
            continue
        if path == "/" or path.rstrip("/*") == "":
            out.append(f"{shown}: removes the root directory")
        elif root is None:
            if target.startswith("/"):
                out.append(f"{shown}: removes absolute path {target} outside the work tree")
            elif target.split("/")[0] == "..":
                out.append(f"{shown}: {target} escapes the work tree")
        elif path == root:
            out.append(f"{shown}: removes the whole work tree {root}")
        elif not path.startswith(root.rstrip("/") + "/"):
            out.append(f"{shown}: removes {path}, outside the work tree {root}")
    return out


def _is_source(path: Any) -> bool:
    return isinstance(path, str) and path.endswith(SOURCE_SUFFIXES)


def _role_problems(role: str | None, call: Call, cmd: ShellCommand | None) -> list[str]:
    if role == "witness" and cmd is not None:
        parts = git_parts(cmd.words)
        if parts and parts[0] == "push":
            return [f"`{' '.join(cmd.words)}`: a witness does not push code"]
        if cmd.words[:2] == ["gh", "pr"] and cmd.words[2:3] in (["create"], ["merge"]):
            return [f"`{' '.join(cmd.words)}`: a witness does not open or merge PRs"]
    if role == "witness" and cmd is None and call.name.endswith(("create_pull_request", "push_files")):
        return [f"{call.where}: a witness does not push code or open PRs"]
    if role in ("deacon", "boot"):
        if cmd is None and call.name in EDIT_TOOLS:
            path = call.arguments.get("file_path") or call.arguments.get("notebook_path")
            if _is_source(path) or call.name == "NotebookEdit":
                return [f"{call.where}: a {role} does not edit source files ({path})"]
        if cmd is not None:
            edited = list(cmd.writes)
            if cmd.words[0] in ("sed", "perl") and any(
                w.startswith("-i") or w.startswith("-pi") for w in cmd.words[1:]
            ):
                edited += cmd.words[1:]
            if cmd.words[0] == "tee":
                edited += cmd.words[1:]
            source = [p for p in edited if _is_source(p)]
            if source:
                return [f"`{' '.join(cmd.words)}`: a {role} does not edit source files ({source[0]})"]
    return []


@register_checker(CONVENTION_ADHERENCE)
def check_convention_adherence(
    reply: str, tools: list[dict[str, Any]], expected: list[dict[str, Any]], prompt: Any = None
) -> CheckResult:
    """No pkill/killall, no recursive rm outside the work tree (`/`, `~`, absolute paths
    elsewhere, `..` escapes), and only actions the agent's role may take."""
    ctx = _context(prompt)
    calls = reply_calls(reply)
    if not calls:  # a reply that does nothing breaks no rule, but shows no adherence either
        return _result(
            ["no action in the reply (no parsable tool call): nothing shows the conventions being followed"],
            role=ctx.agent_role,
            cwd=ctx.cwd,
            commands=0,
        )
    reasons: list[str] = []
    commands = shell_commands(calls, cwd_after(ctx.history, ctx.cwd))  # earlier `cd`s hold
    for call, cmd in commands:
        name = cmd.words[0]
        if name in FORBIDDEN_COMMANDS:
            reasons.append(
                f"`{' '.join(cmd.words)}`: {name} is forbidden ({FORBIDDEN_COMMANDS[name]}); "
                "stop sessions with gt commands or by pid"
            )
        if name == "rm":
            reasons += _rm_problems(cmd, ctx.cwd)
        reasons += _role_problems(ctx.agent_role, call, cmd)
    for call in calls:
        reasons += _role_problems(ctx.agent_role, call, None)
    return _result(reasons, role=ctx.agent_role, cwd=ctx.cwd, commands=len(commands))


# ---- planning --------------------------------------------------------------------------------


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle in a directed graph (as a node path ending where it starts), or None."""
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if color.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if color.get(nxt) is None and (found := visit(nxt)):
                return found
        stack.pop()
        color[node] = 2
        return None

    for node in sorted(edges):
        if color.get(node) is None and (found := visit(node)):
            return found
    return None


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def max_antichain(nodes: list[str], blocks: dict[str, set[str]]) -> int:
    """The most of `nodes` that can be worked at once: the width of the order "a waits on b"
    (transitively), by Dilworth: nodes minus a maximum matching in the comparability graph."""
    below = {n: _reachable(blocks, n) & set(nodes) - {n} for n in nodes}
    match: dict[str, str] = {}

    def augment(n: str, seen: set[str]) -> bool:
        for m in below[n]:
            if m not in seen:
                seen.add(m)
                if m not in match or augment(match[m], seen):
                    match[m] = n
                    return True
        return False

    return len(nodes) - sum(augment(n, set()) for n in nodes)


@register_checker(PLANNING)
def check_planning(
    reply: str, tools: list[dict[str, Any]], expected: list[dict[str, Any]], prompt: Any = None
) -> CheckResult:
    """The bead hierarchy the reply creates: dependencies parse and point at beads that exist
    (created earlier in the reply, or already known), the graph has no cycle, every bead hangs
    under an epic, and at least two children of the epic can be worked at once."""
    ctx = _context(prompt)
    ops = bead_ops(reply_calls(reply), ctx.cwd)
    creates = [op for op in ops if op.op == "create"]
    reasons: list[str] = []
    if not creates:
        return _result(["no bead created: the reply proposes no plan"])
    names = [
        op.ids[0] if op.ids else f"new bead #{i} ({op.fields.get('title', '?')})" for i, op in enumerate(creates, 1)
    ]
    made_at = {name: ops.index(op) for name, op in zip(names, creates)}  # op order, by identity
    edges: dict[str, set[str]] = {n: set() for n in names}  # waits-on: blocks + parent-child
    blocks: dict[str, set[str]] = {n: set() for n in names}  # waits-on: blocks only
    parent: dict[str, str] = {}
    links: list[tuple[int, str, str, BeadOp]] = []  # (op position, source, dep, op)
    for name, op in zip(names, creates):
        deps = op.fields.get("deps") or []
        links += [(made_at[name], name, dep, op) for dep in (deps if isinstance(deps, list) else [deps])]
    links += [
        (k, op.ids[0], f"{op.fields.get('dep_type')}:{op.fields.get('depends_on') or ''}", op)
        for k, op in enumerate(ops)
        if op.op == "dep" and op.ids
    ]
    for at, source, dep, op in links:
        kind, target = split_dep(dep)
        if kind not in DEP_TYPES or not target:
            reasons.append(
                f"{op.where}: dependency {dep!r} does not parse as type:id with type one of {', '.join(DEP_TYPES)}"
            )
            continue
        late = [b for b in (source, target) if made_at.get(b, -1) > at]
        if target == source:
            reasons.append(f"{op.where}: {source} depends on itself")
        elif late:
            reasons.append(f"{op.where}: {source} depends on {target} before {late[0]} is created")
        elif target not in made_at and ctx.text is not None and target not in ctx.text:
            reasons.append(
                f"{op.where}: {source} depends on {target}, a bead neither this reply nor the conversation has"
            )
        if kind in ("blocks", "parent-child"):
            edges.setdefault(source, set()).add(target)
        if kind == "blocks":
            blocks.setdefault(source, set()).add(target)
        if kind == "parent-child":
            parent.setdefault(source, target)
    cycle = _find_cycle(edges)
    if cycle:
        reasons.append(f"dependency cycle: {' → '.join(cycle)}")
    epics = [n for n, op in zip(names, creates) if op.fields.get("issue_type") == "epic"]
    top = [e for e in epics if e not in parent]
    epic = top[0] if top else (Counter(parent.values()).most_common(1)[0][0] if parent else None)
    if epic is None:
        reasons.append("no epic: no bead is an epic and none has a parent-child link")
        return _result(reasons, beads=names, width=0)
    for name, op in zip(names, creates):
        if name != epic and name not in parent and op.fields.get("issue_type") != "epic":
            reasons.append(f"{op.where}: {name} is not linked to an epic (parent-child)")
    children = [n for n in names if parent.get(n) == epic]
    width = max_antichain(children, blocks) if children else 0
    ready = [c for c in children if not blocks.get(c)]
    if len(children) < 2:
        reasons.append(f"epic {epic} has {len(children)} child bead(s); a plan needs at least two")
    elif width < 2 and not cycle:  # a cycle is already the failure; width means nothing there
        reasons.append(
            f"no two children of {epic} can be worked at once: each waits on another "
            f"(a strict chain of {len(children)})"
        )
    return _result(reasons, epic=epic, children=children, width=width, ready_now=ready)


# ---- which categories a held-out prompt is scored by -----------------------------------------


def categories_for(expected: list[dict[str, Any]], cwd: str | None = None) -> list[str]:
    """The Gas Town categories a held-out prompt exercises, read off its reference calls: bead
    operations → bead_management; git or gh commands → git_workflow; shell commands or file
    edits (where a convention can be broken) → convention_adherence. Planning needs a plan
    prompt (a suite's), so held-out prompts are not scored by it."""
    calls = [Call(str(e.get("name", "")), dict(e.get("arguments") or {}), i, True) for i, e in enumerate(expected, 1)]
    commands = [cmd for _, cmd in shell_commands(calls, cwd)]
    out = []
    if bead_ops(calls, cwd):
        out.append(BEAD_MANAGEMENT)
    if any(git_parts(c.words) or c.words[:1] == ["gh"] for c in commands):
        out.append(GIT_WORKFLOW)
    if commands or any(c.name in EDIT_TOOLS for c in calls):
        out.append(CONVENTION_ADHERENCE)
    return out
