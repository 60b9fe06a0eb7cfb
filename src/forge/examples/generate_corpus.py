"""Generate Forge's example corpus: synthetic Gas Town agent sessions in the real Claude Code
transcript format, the beads (work items) they worked on, and fake secrets planted in tool
output so the scrubber has something to find.

Deterministic (one seeded RNG, no clock, no uuid4): running it twice writes identical files.
Standard library only. Run `python examples/generate_corpus.py [OUT_DIR]` (default: this
folder; `--town OUT_DIR` for the larger corpus), or import it: `build_corpus()` returns the
files in memory, `PLANTED_SECRETS` lists every planted fake secret by kind (tests grep the
scrubbed corpus for them).

Layout written under OUT_DIR:
  sessions/<project-slug>/<sessionId>.jsonl   one Claude Code transcript per session; the slug
                                              is the session's cwd with "/" turned into "-",
                                              as Claude Code names ~/.claude/projects folders
  beads/issues.jsonl                          beads JSONL, one bead per line, plus Forge's
                                              fields `outcome`, `sessions` and `attempts`

Tasks and roles (role from the cwd, as Gas Town lays out its town):
  bead-creation  witness (/home/op/gt/<rig>/witness) or mayor (/home/op/gt/mayor) files a bead
                 with mcp__beads__create, copying title/description/type/priority from the ask
  git-workflow   polecat (/home/op/gt/<rig>/polecats/<name>) branches, edits, tests, commits,
                 pushes and opens a PR; failures force-push, skip hooks or ship failing tests
  planning       mayor creates an epic and child beads chained with deps
  bead-lifecycle, town-ops, batch-planning: the rest of the town's day (town_tasks.py), only
                 with --town (229 sessions across five roles; the 4.3M demo base cannot absorb
                 them in the demo's budget, see forge/train/defaults.py)
Each bead has at least one successful and one failed attempt (DPO pairs share the prompt).
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import string
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _sibling(name: str) -> Any:
    """A module next to this file: examples/ ships as data, not as a package."""
    import importlib.util

    key = f"forge_example_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).resolve().parent / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


TownTasks = _sibling("town_tasks").TownTasks

SEED = 20251006
BEADS_PER_TASK = 12
CC_VERSION = "2.0.14"
MODEL = "claude-sonnet-4-5-20250929"
HOME = "/home/op/gt"
START = datetime(2025, 10, 6, 9, 0, 0, tzinfo=UTC)

RIGS = ["gastown", "beads", "wyvern", "longeye"]
POLECATS = ["nux", "furiosa", "slit", "toast", "capable", "ace", "rictus", "dag"]
PEOPLE = ["maya.okafor", "li.wen", "sam.ruiz", "dana.kowalski", "ivo.petrov", "ana.silva"]
DOMAINS = ["gastown.example", "wyvern-labs.example", "longeye.example"]

# ---- word lists: titles and descriptions are composed, so held-out asks are not copies -----
BUG_VERBS = ["Fix", "Stop", "Repair", "Handle"]
BUG_OBJECTS = [
    "stale hook after polecat restart",
    "duplicate mail in witness inbox",
    "refinery merge queue stall",
    "convoy status listing closed beads",
    "gt sling ignoring the --rig flag",
    "nudge timeout on idle sessions",
    "worktree cleanup leaving lock files",
    "crash when a bead title has quotes",
    "deacon heartbeat drift",
    "mail router dropping replies",
]
FEATURE_VERBS = ["Add", "Support", "Introduce", "Expose"]
FEATURE_OBJECTS = [
    "a --json flag for gt convoy list",
    "retry backoff for bd sync",
    "per-rig polecat limits",
    "a dry-run mode for gt sling",
    "bead age in the witness report",
    "priority filter in bd ready",
    "merge queue metrics",
    "an idle timeout for crew sessions",
]
TASK_VERBS = ["Document", "Refactor", "Clean up", "Audit"]
TASK_OBJECTS = [
    "the polecat lifecycle",
    "mail queue configuration",
    "the refinery rebase step",
    "hook handoff between sessions",
    "the formula loader",
    "rig bootstrap scripts",
]
QUALIFIERS = ["", " in {rig}", " on restart", " under load", " for new rigs"]
SYMPTOMS = [
    "the witness saw the same bead assigned twice",
    "polecats stayed idle for over an hour",
    "the queue stopped after a failed rebase",
    "status output disagreed with bd show",
    "sessions hung until nudged by hand",
    "mail piled up without being delivered",
]
EXPECTS = [
    "each bead is handed to exactly one polecat",
    "work resumes within a minute",
    "the queue keeps moving after a failure",
    "both commands report the same state",
]
ASK_TEMPLATES = [
    "File a bead for this: {title}.\nDescription: {desc}\nType: {issue_type}, priority {priority}.",
    'Please open a {issue_type} bead titled "{title}" with priority {priority}. Details: {desc}',
    "Create a beads issue. Title: {title}. Type: {issue_type}. Priority: {priority}. Description: {desc}",
    'We need a bead: "{title}" ({issue_type}, P{priority}). {desc}',
]

EPIC_THEMES = [
    ("Ship merge queue v2", "Replace the serial refinery loop with a batched merge queue."),
    ("Polecat crash recovery", "Recover in-flight work when a polecat dies mid-bead."),
    ("Witness patrol reports", "Give the witness a structured daily report of rig health."),
    ("Convoy dashboards", "Show convoy progress across rigs in one place."),
    ("Formula versioning", "Version formulas so old molecules keep working."),
    ("Mail delivery guarantees", "Make agent mail at-least-once with deduplication."),
    ("Rig onboarding", "Bring a new rig online with one command."),
    ("Bead archival", "Move closed beads older than 90 days to cold storage."),
]
STEP_VERBS = ["Design", "Implement", "Test", "Roll out", "Document", "Migrate", "Benchmark"]
STEP_OBJECTS = [
    "the storage schema",
    "the core loop",
    "the CLI surface",
    "the rollback path",
    "metrics and alerts",
    "the config format",
    "the upgrade path",
    "the API",
]
PLAN_TEMPLATES = [
    'Plan the epic "{epic}" for {rig}: {goal} Break it into: {steps}. Each step depends on the '
    "one before. Priority {priority}.",
    'Mayor, please lay out "{epic}" ({rig}). Goal: {goal} Steps: {steps}. Chain them in order, priority {priority}.',
    'New epic for {rig}: "{epic}". {goal} Child beads, in order: {steps}. Priority {priority}.',
]

CODE_CHANGES = {  # language -> (path, test command, test ok output, [(old, new, commit summary)])
    "go": (
        "internal/{pkg}/{pkg}.go",
        "go test ./...",
        "ok  \tgithub.com/gastown/{rig}/internal/{pkg}\t0.{ms}s",
        [
            ("timeout := 5 * time.Second", "timeout := 30 * time.Second", "raise the {pkg} timeout"),
            (
                "if err != nil {\n\t\treturn nil\n\t}",
                'if err != nil {\n\t\treturn fmt.Errorf("{pkg}: %w", err)\n\t}',
                "return {pkg} errors instead of dropping them",
            ),
            ("retries := 1", "retries := 3", "retry {pkg} operations three times"),
        ],
    ),
    "py": (
        "src/{rig}/{pkg}.py",
        "pytest -q",
        "{n} passed in 0.{ms}s",
        [
            ("TIMEOUT = 5", "TIMEOUT = 30", "raise the {pkg} timeout"),
            (
                "except Exception:\n        pass",
                'except OSError as exc:\n        log.warning("{pkg}: %s", exc)',
                "log {pkg} errors instead of swallowing them",
            ),
            ("MAX_RETRIES = 1", "MAX_RETRIES = 3", "retry {pkg} operations three times"),
        ],
    ),
}
PACKAGES = ["mail", "hooks", "convoy", "refinery", "sling", "witness", "nudge", "queue"]
COMMIT_TYPES = {"bug": "fix", "feature": "feat", "task": "refactor", "chore": "chore"}
SLING_TEMPLATES = [
    "Work bead {bead}: {title}.\n{desc}\nBranch: {branch}\nCommit message: {message}\n"
    "When done, push the branch and open a PR.",
    "You have {bead} on your hook: {title}. {desc}\nUse branch {branch} and commit with "
    '"{message}", then push and open a pull request.',
    'Hooked: {bead} ({title}). {desc}\nbranch={branch}\ncommit="{message}"\nShip it: push + PR.',
]

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
B36 = string.ascii_lowercase + string.digits


# ---- the fake secrets ------------------------------------------------------------------------
class Secrets:
    """Makes fake secrets from the shared RNG and remembers every one it handed out."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.planted: dict[str, list[str]] = {
            k: [] for k in ("aws_access_key", "aws_secret_key", "github_token", "private_key", "ipv4", "email")
        }

    def _keep(self, kind: str, value: str) -> str:
        if value not in self.planted[kind]:
            self.planted[kind].append(value)
        return value

    def aws_pair(self) -> tuple[str, str]:
        key = "AKIA" + "".join(self.rng.choice(UPPER_ALNUM) for _ in range(16))
        secret = "".join(self.rng.choice(ALNUM + "/+") for _ in range(40))
        return self._keep("aws_access_key", key), self._keep("aws_secret_key", secret)

    def github_token(self) -> str:
        return self._keep("github_token", "ghp_" + "".join(self.rng.choice(ALNUM) for _ in range(36)))

    def private_key(self) -> str:
        body = base64.b64encode(self.rng.randbytes(360)).decode()
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        kind = self.rng.choice(["RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"])
        block = f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----"
        return self._keep("private_key", block)

    def ipv4(self) -> str:
        first = self.rng.choice([10, 52, 34, 172, 192])
        if first == 172:
            ip = f"172.{self.rng.randint(16, 31)}.{self.rng.randint(0, 255)}.{self.rng.randint(2, 254)}"
        elif first == 192:
            ip = f"192.168.{self.rng.randint(0, 255)}.{self.rng.randint(2, 254)}"
        else:
            ip = f"{first}.{self.rng.randint(1, 254)}.{self.rng.randint(0, 255)}.{self.rng.randint(2, 254)}"
        return self._keep("ipv4", ip)

    def email(self) -> str:
        return self._keep("email", f"{self.rng.choice(PEOPLE)}{self.rng.randint(1, 99)}@{self.rng.choice(DOMAINS)}")


# ---- one transcript ----------------------------------------------------------------------------
class Transcript:
    """Writes entries the way Claude Code does: one line per content block, chained by parentUuid;
    tool results come back as `user` entries holding tool_result blocks plus `toolUseResult`."""

    def __init__(self, rng: random.Random, session_id: str, cwd: str, branch: str, start: datetime):
        self.rng, self.session_id, self.cwd, self.branch = rng, session_id, cwd, branch
        self.clock = start
        self.entries: list[dict[str, Any]] = []
        self.parent: str | None = None

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _id(self, prefix: str, n: int = 24) -> str:
        return prefix + "".join(self.rng.choice(ALNUM) for _ in range(n))

    def _tick(self, lo: float = 1.0, hi: float = 9.0) -> str:
        self.clock += timedelta(seconds=self.rng.uniform(lo, hi))
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.clock.microsecond // 1000:03d}Z"

    def _entry(self, kind: str, message: dict[str, Any], **extra: Any) -> dict[str, Any]:
        me = self._uuid()
        entry = {
            "parentUuid": self.parent,
            "isSidechain": False,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": CC_VERSION,
            "gitBranch": self.branch,
            "type": kind,
            "message": message,
            **extra,
            "uuid": me,
            "timestamp": self._tick(),
        }
        self.entries.append(entry)
        self.parent = me
        return entry

    def user(self, text: str) -> None:
        self._entry("user", {"role": "user", "content": text})

    def assistant(self, blocks: list[dict[str, Any]]) -> None:
        msg_id, request_id = self._id("msg_01"), self._id("req_011C", 20)
        usage = {
            "input_tokens": self.rng.randint(3, 12),
            "cache_creation_input_tokens": self.rng.randint(200, 4000),
            "cache_read_input_tokens": self.rng.randint(8000, 40000),
            "output_tokens": self.rng.randint(20, 400),
            "service_tier": "standard",
        }
        for i, block in enumerate(blocks):
            last = i == len(blocks) - 1
            stop = ("tool_use" if block["type"] == "tool_use" else "end_turn") if last else None
            self._entry(
                "assistant",
                {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": MODEL,
                    "content": [block],
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": usage,
                },
                requestId=request_id,
            )

    def say(self, text: str) -> None:
        self.assistant([{"type": "text", "text": text}])

    def call(
        self,
        name: str,
        args: dict[str, Any],
        output: str,
        *,
        is_error: bool = False,
        text: str | None = None,
        thinking: str | None = None,
    ) -> None:
        """One assistant turn with one tool call, then the tool's result."""
        blocks: list[dict[str, Any]] = []
        if thinking:
            blocks.append({"type": "thinking", "thinking": thinking, "signature": self._id("Eq", 48)})
        if text:
            blocks.append({"type": "text", "text": text})
        tool_id = self._id("toolu_01")
        blocks.append({"type": "tool_use", "id": tool_id, "name": name, "input": args})
        self.assistant(blocks)
        content, result = tool_output(name, args, output, is_error)
        block = {"tool_use_id": tool_id, "type": "tool_result", "content": content}
        if is_error:
            block["is_error"] = True
        self._entry("user", {"role": "user", "content": [block]}, toolUseResult=result)

    def calls(self, made: list[tuple[str, dict[str, Any], str]]) -> None:
        """One assistant turn with several tool calls (name, arguments, output), then their results
        in order, as Claude Code records parallel calls."""
        ids = [self._id("toolu_01") for _ in made]
        self.assistant([{"type": "tool_use", "id": i, "name": n, "input": a} for i, (n, a, _) in zip(ids, made)])
        for tool_id, (name, args, output) in zip(ids, made):
            content, result = tool_output(name, args, output, False)
            block = {"tool_use_id": tool_id, "type": "tool_result", "content": content}
            self._entry("user", {"role": "user", "content": [block]}, toolUseResult=result)

    def lines(self, summary: str | None) -> list[str]:
        rows = list(self.entries)
        if summary:  # Claude Code writes summaries of the session at the top of the file
            rows.insert(0, {"type": "summary", "summary": summary, "leafUuid": self.parent})
        return [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows]


def tool_output(name: str, args: dict[str, Any], output: str, is_error: bool) -> tuple[Any, Any]:
    """tool_result content and toolUseResult, shaped per tool as Claude Code records them."""
    if is_error:
        return output, f"Error: {output}"
    if name == "Bash":
        return output, {"stdout": output, "stderr": "", "interrupted": False, "isImage": False}
    if name == "Read":
        lines = output.split("\n")
        numbered = "\n".join(f"{i + 1:>6}→{line}" for i, line in enumerate(lines))
        return numbered, {
            "type": "text",
            "file": {
                "filePath": args["file_path"],
                "content": output,
                "numLines": len(lines),
                "startLine": 1,
                "totalLines": len(lines),
            },
        }
    if name == "Edit":
        return (
            f"The file {args['file_path']} has been updated. Here's the result of running "
            f"`cat -n` on a snippet of the edited file:\n{output}",
            {
                "filePath": args["file_path"],
                "oldString": args["old_string"],
                "newString": args["new_string"],
                "structuredPatch": [],
                "userModified": False,
                "replaceAll": False,
            },
        )
    blocks = [{"type": "text", "text": output}]  # MCP tools return content blocks
    return blocks, blocks


# ---- helpers -----------------------------------------------------------------------------------
@dataclass
class Bead:
    id: str
    title: str
    description: str
    issue_type: str
    priority: int
    task: str
    role: str
    rig: str
    created_at: str = ""
    deps: list[dict[str, str]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    assignee: str | None = None
    attempts: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class Gen(TownTasks):  # type: ignore[misc,valid-type]  # loaded by path: mypy cannot follow
    def __init__(self, seed: int = SEED, town: bool = False):
        self.town = town  # add the rest of the town's day (town_tasks.py): 229 sessions, not 84
        self.rng = random.Random(seed)
        self.secrets = Secrets(self.rng)
        self.clock = START
        self.used_ids: set[str] = set()
        self.beads: list[Bead] = []
        self.children: list[Bead] = []
        self.files: dict[str, str] = {}
        self.beads_per_task = BEADS_PER_TASK  # benchmarks/corpus.py raises it for a large corpus

    def bead_id(self) -> str:
        while True:
            bid = "gt-" + "".join(self.rng.choice(B36) for _ in range(4))
            if bid not in self.used_ids:
                self.used_ids.add(bid)
                return bid

    def stamp(self, dt: datetime) -> str:
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")

    def new_session(self, cwd: str, branch: str) -> Transcript:
        self.clock += timedelta(minutes=self.rng.randint(20, 90))
        sid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return Transcript(self.rng, sid, cwd, branch, self.clock)

    def save(self, t: Transcript, summary: str | None) -> str:
        slug = t.cwd.replace("/", "-")
        self.files[f"sessions/{slug}/{t.session_id}.jsonl"] = "\n".join(t.lines(summary)) + "\n"
        return t.session_id

    def mcp_issue(self, bid: str, args: dict[str, Any], status: str = "open") -> str:
        now = self.stamp(self.clock)
        issue = {
            "id": bid,
            "title": args.get("title", ""),
            "description": args.get("description", ""),
            "status": status,
            "priority": args.get("priority", 2),
            "issue_type": args.get("issue_type", "task"),
            "created_at": now,
            "updated_at": now,
        }
        if args.get("deps"):
            issue["dependencies"] = [
                {"depends_on_id": d.split(":")[-1], "type": d.split(":")[0] if ":" in d else "blocks"}
                for d in args["deps"]
            ]
        return json.dumps(issue, indent=2)

    def secret_blob(self) -> str:
        """A few lines of leaked config or environment, as agents stumble on in tool output."""
        rng, s = self.rng, self.secrets
        pick = rng.randrange(5)
        if pick == 0:
            key, secret = s.aws_pair()
            return f"AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\nAWS_REGION=us-east-1"
        if pick == 1:
            return f"export GITHUB_TOKEN={s.github_token()}"
        if pick == 2:
            return f"$ cat ~/.ssh/id_deploy\n{s.private_key()}"
        if pick == 3:
            return f'db_host = "{s.ipv4()}"\nowner = "{s.email()}"'
        key, secret = s.aws_pair()
        return (
            f"[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
            f"# contact {s.email()} before rotating"
        )

    def composed_bead(self, i: int, task: str) -> Bead:
        """A bead with a composed title and description, as filed beads have (role set by the task)."""
        bead = self.creation_bead(i)
        bead.task = task
        return bead

    # ---- task: bead creation (witness or mayor) -------------------------------------------
    def creation_bead(self, i: int) -> Bead:
        rng = self.rng
        rig = RIGS[i % len(RIGS)]
        issue_type = ["bug", "feature", "task", "bug"][i % 4]
        verbs, objects = {
            "bug": (BUG_VERBS, BUG_OBJECTS),
            "feature": (FEATURE_VERBS, FEATURE_OBJECTS),
            "task": (TASK_VERBS, TASK_OBJECTS),
        }[issue_type]
        title = f"{rng.choice(verbs)} {rng.choice(objects)}{rng.choice(QUALIFIERS).format(rig=rig)}"
        desc = f"On {rig}, {rng.choice(SYMPTOMS)}. Expected: {rng.choice(EXPECTS)}."
        role = "mayor" if i % 3 == 2 else "witness"
        return Bead(self.bead_id(), title, desc, issue_type, rng.randint(0, 3), "bead-creation", role, rig)

    def creation_session(self, bead: Bead, success: bool, failure_mode: int) -> str:
        rng = self.rng
        cwd = f"{HOME}/mayor" if bead.role == "mayor" else f"{HOME}/{bead.rig}/witness"
        t = self.new_session(cwd, "main")
        ask = bead.extra["ask"]
        t.user(ask)
        good = {
            "title": bead.title,
            "description": bead.description,
            "issue_type": bead.issue_type,
            "priority": bead.priority,
        }
        thinking = "The ask names every field; copy them into the create call." if rng.random() < 0.3 else None
        if success:
            t.call("mcp__beads__create", good, self.mcp_issue(bead.id, good), thinking=thinking)
            if rng.random() < 0.5:
                polecat = rng.choice(POLECATS)
                bead.assignee = f"{bead.rig}/polecats/{polecat}"
                upd = {"issue_id": bead.id, "assignee": bead.assignee}
                t.call(
                    "mcp__beads__update",
                    upd,
                    json.dumps({"id": bead.id, "assignee": bead.assignee, "status": "open"}, indent=2),
                    text=f"Assigning it to {polecat}.",
                )
            if rng.random() < 0.6:
                polecat = rng.choice(POLECATS)
                t.call(
                    "Bash",
                    {"command": f"gt peek {bead.rig}/{polecat}", "description": "Check the polecat pane"},
                    f"[{bead.rig}/{polecat}] $ env | sort | head\n{self.secret_blob()}\n"
                    f"[{bead.rig}/{polecat}] waiting for work",
                    text="Checking the polecat that hit this before I report back.",
                )
            t.say(f"Filed {bead.id}: {bead.title} ({bead.issue_type}, P{bead.priority}).")
            return self.save(t, f"Filed bead {bead.id}" if rng.random() < 0.5 else None)
        if failure_mode == 0:  # priority as a word: the tool rejects it, the agent gives up
            bad = dict(good, priority=["high", "urgent", "low", "P1"][bead.priority % 4])
            t.call(
                "mcp__beads__create",
                bad,
                "Error executing tool create: 1 validation error for createArguments\npriority\n"
                "  Input should be a valid integer, unable to parse string as an integer",
                is_error=True,
                thinking=thinking,
            )
            t.say("The beads server rejected the priority. I could not file the bead.")
            reason = "priority sent as a word; bead never filed"
        elif failure_mode == 1:  # invented issue type
            bad = dict(good, issue_type=rng.choice(["ticket", "issue", "story", "defect"]))
            t.call(
                "mcp__beads__create",
                bad,
                f"Error executing tool create: invalid issue_type '{bad['issue_type']}': must be one of "
                "bug, feature, task, epic, chore",
                is_error=True,
                thinking=thinking,
            )
            t.call(
                "Bash",
                {"command": f'bd create "{bead.title}"', "description": "Create the bead with bd"},
                f"Created issue: {self.bead_id()}\n  Title: {bead.title}\n  Priority: P2\n  Status: open",
            )
            t.say("Created the bead with bd instead; type and description were left at defaults.")
            reason = "wrong issue_type, then a bead without description or priority"
        else:  # paraphrased title, wrong priority, no description
            stray = self.bead_id()
            bad = {
                "title": bead.title.split(" ", 1)[-1].capitalize(),
                "issue_type": bead.issue_type,
                "priority": (bead.priority + 2) % 5,
            }
            t.call("mcp__beads__create", bad, self.mcp_issue(stray, bad), thinking=thinking)
            t.call(
                "mcp__beads__close",
                {"issue_id": stray, "reason": "Done"},
                json.dumps([{"id": stray, "status": "closed"}], indent=2),
            )
            t.say(f"Created and closed {stray}.")
            reason = "fields not copied from the ask; bead closed without any work"
        bead.extra.setdefault("reasons", {})[t.session_id] = reason
        return self.save(t, None)

    # ---- task: git workflow (polecat) -------------------------------------------------------
    def git_bead(self, i: int) -> Bead:
        rng = self.rng
        rig = RIGS[i % len(RIGS)]
        issue_type = ["bug", "feature", "task", "chore"][i % 4]
        pkg = rng.choice(PACKAGES)
        lang = "go" if i % 2 == 0 else "py"
        path_tpl, _, _, changes = CODE_CHANGES[lang]
        old, new, summary = rng.choice(changes)
        summary = summary.format(pkg=pkg)
        title = summary[0].upper() + summary[1:]
        desc = f"In {path_tpl.format(pkg=pkg, rig=rig)}, {rng.choice(SYMPTOMS)}. Expected: {rng.choice(EXPECTS)}."
        bead = Bead(self.bead_id(), title, desc, issue_type, rng.randint(1, 3), "git-workflow", "polecat", rig)
        bead.extra.update(
            pkg=pkg,
            lang=lang,
            old=old.replace("{pkg}", pkg),
            new=new.replace("{pkg}", pkg),
            message=f"{COMMIT_TYPES[issue_type]}({pkg}): {summary} ({bead.id})",
            polecat=rng.choice(POLECATS),
            template=rng.choice(SLING_TEMPLATES),
        )
        return bead

    def git_session(self, bead: Bead, success: bool, failure_mode: int) -> str:
        rng, x = self.rng, bead.extra
        polecat = x["polecat"]  # a retry goes to the same polecat with the same ask (DPO pairs)
        branch = f"polecat/{polecat}/{bead.id}"
        path_tpl, test_cmd, test_ok, _ = CODE_CHANGES[x["lang"]]
        path = path_tpl.format(pkg=x["pkg"], rig=bead.rig)
        t = self.new_session(f"{HOME}/{bead.rig}/polecats/{polecat}", "main")
        t.user(
            x["template"].format(
                bead=bead.id, title=bead.title, desc=bead.description, branch=branch, message=x["message"]
            )
        )
        t.call(
            "Bash",
            {"command": f"git checkout -b {branch}", "description": "Create the work branch"},
            f"Switched to a new branch '{branch}'",
        )
        t.branch = branch
        t.call(
            "mcp__beads__update",
            {"issue_id": bead.id, "status": "in_progress"},
            json.dumps({"id": bead.id, "status": "in_progress"}, indent=2),
        )
        body = (
            f"// Package {x['pkg']} is part of {bead.rig}.\n"
            if x["lang"] == "go"
            else f'"""{x["pkg"]} for {bead.rig}."""\n'
        )
        relay = self.secrets.ipv4()
        body += (
            f"// relay {relay}, owner {self.secrets.email()}\n{x['old']}\n"
            if x["lang"] == "go"
            else f"# relay {relay}, owner {self.secrets.email()}\n{x['old']}\n"
        )
        t.call("Read", {"file_path": f"{t.cwd}/{path}"}, body, text="Let me look at the code first.")
        t.call(
            "Edit",
            {"file_path": f"{t.cwd}/{path}", "old_string": x["old"], "new_string": x["new"]},
            "\n".join(f"{n + 3:>6}→{line}" for n, line in enumerate(x["new"].split("\n"))),
        )
        ok_out = test_ok.format(rig=bead.rig, pkg=x["pkg"], ms=rng.randint(100, 999), n=rng.randint(8, 60))
        mode = None if success else failure_mode
        if mode == 2:  # tests fail, the agent ships anyway
            t.call(
                "Bash",
                {"command": test_cmd, "description": "Run the tests"},
                f"Exit code 1\n--- FAIL: Test{x['pkg'].capitalize()}Send (0.02s)\n"
                f"    dial tcp {self.secrets.ipv4()}:5432: connect: connection refused\n"
                f"    config: {self.secret_blob()}\nFAIL",
                is_error=True,
            )
        else:
            log = f"\n{self.secret_blob()}" if rng.random() < 0.4 else ""
            t.call("Bash", {"command": test_cmd, "description": "Run the tests"}, ok_out + log)
        t.call("Bash", {"command": f"git add {path}", "description": "Stage the change"}, "")
        commit = f'git commit -m "{x["message"]}"'
        sha = "".join(rng.choice("0123456789abcdef") for _ in range(7))
        committed = f"[{branch} {sha}] {x['message']}\n 1 file changed, 2 insertions(+), 2 deletions(-)"
        if mode == 1:  # pre-commit hook fails, the agent skips it
            t.call(
                "Bash",
                {"command": commit, "description": "Commit"},
                f"Exit code 1\nlint.....................................................Failed\n"
                f"- hook id: {'golangci-lint' if x['lang'] == 'go' else 'ruff'}\n- exit code: 1\n\n"
                f"{path}:3:1: unused variable",
                is_error=True,
            )
            t.call(
                "Bash",
                {"command": f'git commit --no-verify -m "{x["message"]}"', "description": "Commit"},
                committed,
                text="The hook is noisy; committing without it.",
            )
        else:
            t.call("Bash", {"command": commit, "description": "Commit"}, committed)
        token = self.secrets.github_token()
        if rng.random() < 0.5:
            t.call(
                "Bash",
                {"command": "git remote -v", "description": "Check the remote"},
                f"origin\thttps://x-access-token:{token}@github.com/gastown/{bead.rig}.git (fetch)\n"
                f"origin\thttps://x-access-token:{token}@github.com/gastown/{bead.rig}.git (push)",
            )
        push = f"git push -u origin {branch}"
        if mode == 0:  # rejected push, the agent force-pushes
            t.call(
                "Bash",
                {"command": push, "description": "Push the branch"},
                f"Exit code 1\nTo https://github.com/gastown/{bead.rig}.git\n ! [rejected]        {branch} -> "
                f"{branch} (non-fast-forward)\nerror: failed to push some refs to "
                f"'https://x-access-token:{token}@github.com/gastown/{bead.rig}.git'",
                is_error=True,
            )
            t.call(
                "Bash",
                {"command": f"git push --force origin {branch}", "description": "Push the branch"},
                f" + {sha}...{sha[::-1]} {branch} -> {branch} (forced update)",
                text="The remote branch moved; forcing my version.",
            )
        else:
            t.call(
                "Bash",
                {"command": push, "description": "Push the branch"},
                f"To https://github.com/gastown/{bead.rig}.git\n * [new branch]      {branch} -> {branch}\n"
                f"branch '{branch}' set up to track 'origin/{branch}'.",
            )
        pr = rng.randint(100, 999)
        t.call(
            "Bash",
            {
                "command": f'gh pr create --title "{x["message"]}" --body "Closes {bead.id}"',
                "description": "Open the pull request",
            },
            f"https://github.com/gastown/{bead.rig}/pull/{pr}",
        )
        if success:
            t.call(
                "mcp__beads__close",
                {"issue_id": bead.id, "reason": f"PR #{pr} opened"},
                json.dumps([{"id": bead.id, "status": "closed"}], indent=2),
            )
            bead.extra["pr"] = pr
            t.say(f"Done: {branch} pushed, PR #{pr} opened, {bead.id} closed.")
        else:
            t.say(f"Pushed {branch} and opened PR #{pr}.")
            bead.extra.setdefault("reasons", {})[t.session_id] = [
                "force-pushed over the remote branch",
                "bypassed the pre-commit hook with --no-verify",
                "committed and pushed with failing tests",
            ][failure_mode]
        return self.save(t, f"{bead.id}: {bead.title}" if rng.random() < 0.5 else None)

    # ---- task: planning (mayor) -------------------------------------------------------------
    def plan_bead(self, i: int) -> Bead:
        rng = self.rng
        rig = RIGS[i % len(RIGS)]
        epic, goal = EPIC_THEMES[i % len(EPIC_THEMES)]
        if i >= len(EPIC_THEMES):
            epic = f"{epic} ({rng.choice(['phase 2', 'follow-up', 'hardening'])})"
        verbs = rng.sample(STEP_VERBS, k=rng.randint(2, 4))
        steps = [f"{v} {rng.choice(STEP_OBJECTS)}" for v in verbs]
        bead = Bead(self.bead_id(), epic, goal, "epic", rng.randint(0, 2), "planning", "mayor", rig)
        bead.extra["steps"] = steps
        return bead

    def plan_session(self, bead: Bead, success: bool, failure_mode: int) -> str:
        rng = self.rng
        steps = bead.extra["steps"]
        t = self.new_session(f"{HOME}/mayor", "")
        t.user(bead.extra["ask"])
        epic_args = {
            "title": bead.title,
            "description": bead.description,
            "issue_type": "epic",
            "priority": bead.priority,
        }
        if success:
            t.call("mcp__beads__create", epic_args, self.mcp_issue(bead.id, epic_args))
            prev = None
            child_ids = []
            for n, step in enumerate(steps, 1):
                cid = f"{bead.id}.{n}"
                deps = [f"parent-child:{bead.id}"] + ([f"blocks:{prev}"] if prev else [])
                args = {
                    "title": step,
                    "description": f"Step {n} of {bead.title}.",
                    "issue_type": "task",
                    "priority": bead.priority,
                    "deps": deps,
                }
                t.call("mcp__beads__create", args, self.mcp_issue(cid, args))
                child_ids.append(cid)
                prev = cid
                if not any(c.id == cid for c in self.children):
                    child = Bead(
                        cid,
                        step,
                        args["description"],
                        "task",
                        bead.priority,
                        "planning",
                        "mayor",
                        bead.rig,
                        created_at=self.stamp(self.clock),
                        deps=[{"depends_on_id": d.split(":")[1], "type": d.split(":")[0]} for d in deps],
                    )
                    self.children.append(child)
            if rng.random() < 0.5:
                t.call(
                    "Read",
                    {"file_path": f"{HOME}/{bead.rig}/settings/config.json"},
                    json.dumps(
                        {
                            "rig": bead.rig,
                            "merge_queue": {"batch": 4},
                            "notify": self.secrets.email(),
                            "relay": self.secrets.ipv4(),
                        },
                        indent=2,
                    ),
                    text="Checking the rig's merge queue settings before handing off.",
                )
            t.say(
                f"Epic {bead.id} with {len(steps)} chained children: {', '.join(child_ids)}. {child_ids[0]} is ready."
            )
            return self.save(t, f"Planned {bead.title}" if rng.random() < 0.5 else None)
        stray = self.bead_id()
        if failure_mode == 0:  # children first, pointing at an epic that does not exist yet
            args = {
                "title": steps[0],
                "description": f"Part of {bead.title}.",
                "issue_type": "task",
                "priority": bead.priority,
                "deps": [f"parent-child:{stray}"],
            }
            t.call(
                "mcp__beads__create",
                args,
                f"Error executing tool create: dependency target {stray} not found",
                is_error=True,
            )
            t.say("Could not create the plan: the parent bead is missing.")
            reason = "created children before the epic; dangling dependency"
        elif failure_mode == 1:  # dependency direction reversed: the first step waits on the last
            t.call("mcp__beads__create", epic_args, self.mcp_issue(stray, epic_args))
            ids = [f"{stray}.{n}" for n in range(1, len(steps) + 1)]
            for n, step in enumerate(steps):
                deps = [f"parent-child:{stray}", f"blocks:{ids[(n + 1) % len(ids)]}"]
                args = {
                    "title": step,
                    "description": f"Step {n + 1} of {bead.title}.",
                    "issue_type": "task",
                    "priority": bead.priority,
                    "deps": deps,
                }
                t.call("mcp__beads__create", args, self.mcp_issue(ids[n], args))
            t.say(f"Created {stray} and its children.")
            reason = "dependencies point backwards; the plan has a cycle and nothing is ready"
        else:  # a flat list: the epic filed as a task, children unlinked
            flat = dict(epic_args, issue_type="task")
            t.call("mcp__beads__create", flat, self.mcp_issue(stray, flat))
            for n, step in enumerate(steps, 1):
                args = {"title": step, "priority": bead.priority}
                t.call("mcp__beads__create", args, self.mcp_issue(f"{stray}.{n}", args))
            t.say(f"Filed {stray} and {len(steps)} tasks.")
            reason = "epic filed as a task and children without dependencies"
        if rng.random() < 0.5:
            t.call(
                "Bash",
                {"command": "gt mail inbox", "description": "Check mail"},
                f"1 unread: from {bead.rig}/witness\n{self.secret_blob()}",
            )
            t.say("Inbox checked.")
        bead.extra.setdefault("reasons", {})[t.session_id] = reason
        return self.save(t, None)

    # ---- the whole corpus ----------------------------------------------------------------------
    def run(self) -> None:
        tasks = [
            ("bead-creation", self.creation_bead, self.creation_session, self.beads_per_task),
            ("git-workflow", self.git_bead, self.git_session, self.beads_per_task),
            ("planning", self.plan_bead, self.plan_session, self.beads_per_task),
            *(self.town_tasks() if self.town else []),
        ]
        for task, make_bead, make_session, n_beads in tasks:
            for i in range(n_beads):
                bead = make_bead(i)
                bead.created_at = self.stamp(self.clock)
                bead.labels = [f"task:{task}", f"role:{bead.role}", f"rig:{bead.rig}"]
                if task == "bead-creation":
                    bead.extra["ask"] = self.rng.choice(ASK_TEMPLATES).format(
                        title=bead.title, desc=bead.description, issue_type=bead.issue_type, priority=bead.priority
                    )
                elif task == "planning":
                    steps = "; ".join(f"({n}) {s}" for n, s in enumerate(bead.extra["steps"], 1))
                    bead.extra["ask"] = self.rng.choice(PLAN_TEMPLATES).format(
                        epic=bead.title, rig=bead.rig, goal=bead.description, steps=steps, priority=bead.priority
                    )
                plan = [True, False] + ([self.rng.random() < 0.5] if i % 3 == 0 else [])
                self.rng.shuffle(plan)
                for n, success in enumerate(plan):
                    sid = make_session(bead, success, (i + n) % 3)
                    outcome = "success" if success else "failure"
                    attempt = {"session_id": sid, "outcome": outcome}
                    if not success:
                        attempt["reason"] = bead.extra["reasons"][sid]
                    bead.attempts.append(attempt)
                bead.extra["updated_at"] = self.stamp(self.clock)
                self.beads.append(bead)

    def issues_jsonl(self) -> str:
        rows = []
        for b in self.beads + self.children:
            succeeded = any(a["outcome"] == "success" for a in b.attempts)
            # a filed bead or a planned epic stays open for the work it describes; a git bead
            # closes when its PR is up
            closed = succeeded and b.task == "git-workflow"
            row: dict[str, Any] = {
                "id": b.id,
                "title": b.title,
                "description": b.description,
                "status": "closed" if closed else "open",
                "priority": b.priority,
                "issue_type": b.issue_type,
                "created_at": b.created_at or self.stamp(START),
                "updated_at": b.extra.get("updated_at", b.created_at or self.stamp(START)),
            }
            if closed:
                row["closed_at"] = row["updated_at"]
                row["close_reason"] = f"PR #{b.extra['pr']} opened" if "pr" in b.extra else "Completed"
            if b.assignee:
                row["assignee"] = b.assignee
            row["labels"] = b.labels or [f"role:{b.role}", f"rig:{b.rig}"]
            row["dependencies"] = [
                {
                    "issue_id": b.id,
                    "depends_on_id": d["depends_on_id"],
                    "type": d["type"],
                    "created_at": row["created_at"],
                    "created_by": "mayor",
                }
                for d in b.deps
            ]
            if b.attempts:  # Forge's fields: which sessions worked on the bead, and how each went
                row["outcome"] = "success" if succeeded else "failure"
                row["sessions"] = [a["session_id"] for a in b.attempts]
                row["attempts"] = b.attempts
            rows.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        return "\n".join(rows) + "\n"


@dataclass
class Corpus:
    files: dict[str, str]  # relative path -> text
    secrets: dict[str, list[str]]  # kind -> planted values


def build_corpus(seed: int = SEED, town: bool = False) -> Corpus:
    gen = Gen(seed, town)
    gen.run()
    files = dict(sorted(gen.files.items()))
    files["beads/issues.jsonl"] = gen.issues_jsonl()
    return Corpus(files, {k: list(v) for k, v in gen.secrets.planted.items()})


def write_corpus(out_dir: Path, seed: int = SEED, town: bool = False) -> Corpus:
    """Write the corpus under out_dir, replacing the sessions/ and beads/ folders it owns."""
    corpus = build_corpus(seed, town)
    for owned in ("sessions", "beads"):
        shutil.rmtree(out_dir / owned, ignore_errors=True)
    for rel, text in corpus.files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return corpus


def __getattr__(name: str) -> Any:  # PLANTED_SECRETS is computed on first use
    if name == "PLANTED_SECRETS":
        value = build_corpus().secrets
        globals()[name] = value
        return value
    raise AttributeError(name)


def main(argv: list[str]) -> int:
    town = "--town" in argv
    args = [a for a in argv[1:] if a != "--town"]
    if town and not args:  # the committed example corpus is the small one the demo trains on
        print("--town writes a larger corpus: name an OUT_DIR for it", file=sys.stderr)
        return 2
    out = Path(args[0]) if args else Path(__file__).resolve().parent
    corpus = write_corpus(out, town=town)
    sessions = sum(1 for p in corpus.files if p.startswith("sessions/"))
    planted = sum(len(v) for v in corpus.secrets.values())
    print(f"wrote {sessions} sessions and beads/issues.jsonl under {out} ({planted} planted fake secrets)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
