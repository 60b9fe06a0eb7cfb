"""More of a Gas Town agent's day for the example corpus: the bead lifecycle after filing, the
town's operating conventions, and plans filed in one reply. Mixed into `generate_corpus.Gen`
(standard library only, drawn from the same seeded RNG, generated after the first three tasks
so their sessions stay byte-identical).

Tasks and roles:
  bead-lifecycle  polecats claim, close and file discovered work; witnesses close duplicates and
                  reopen; the mayor links and assigns; crew and polecats use the bd CLI where no
                  beads MCP server is attached
  town-ops        the deacon restarts hung sessions and stops runaway processes by pid, witnesses
                  nudge polecats instead of doing their work, agents delete only inside their own
                  directory, crew branch and discard edits with plain git
  batch-planning  the mayor files an epic and its children in one reply when the ask fixes ids
Every bead has a success and a failure (the failure breaks the convention the task is about).
The asks are worded here, not copied from any evaluation suite: a test checks that no suite
prompt or expected call appears in the corpus.
"""

from __future__ import annotations

import json
from typing import Any

LIFECYCLE_OPS = ("claim", "close_pr", "duplicate", "reopen", "block", "assign", "discovered", "bd_create", "bd_close")
OPS = ("restart", "kill_pid", "clean", "nudge", "status", "disk", "patrol_bug", "crew_branch", "crew_discard")
PLAN_BEADS = 8
BEADS_PER_OP = 3

CLAIM_ASKS = [
    "{bid} is yours now: {title}. Mark it in progress, then start.",
    "Picking up {bid} ({title}) from the hook. Set it to in_progress first.",
    "Slung to you: {bid} - {title}. Take it before touching code.",
]
CLOSE_PR_ASKS = [
    "PR #{pr} for {bid} ({title}) is up. Close the bead out.",
    "{bid} shipped as PR #{pr}; wrap up the bead.",
]
DUPLICATE_ASKS = [
    "{dup} is a copy of {keep} ({title}). Close {dup} as the duplicate; {keep} stays open.",
    "Two beads for one problem: {keep} and {dup} ({title}). {keep} is the one we keep.",
]
REOPEN_ASKS = [
    "{bid} ({title}) is closed, but {symptom} again. Bring it back.",
    "Regression: {symptom} once more, so {bid} ({title}) was closed too early. Open it again.",
]
BLOCK_ASKS = [
    "{a} ({ta}) is blocked by {b} ({tb}); add the dependency.",
    "Nothing on {a} ({ta}) can start before {b} ({tb}) is done. Put that in the graph.",
]
ASSIGN_ASKS = [
    "Hand {bid} to {agent}.",
    "{bid} ({title}) goes to {agent}; set the assignee.",
]
DISCOVERED_ASKS = [
    "Side issue while on {x}: {symptom}. File it as a {issue_type} (P{priority}) tied to {x} as "
    "discovered work and keep going on {x}.",
    "Note for later, found during {x}: {symptom}. Log a {issue_type} bead, priority {priority}, "
    "discovered-from {x}; no fix yet.",
]
BD_CREATE_ASKS = [
    'No beads MCP server in this shell: file {issue_type} "{title}" with bd, P{priority}, description "{desc}".',
    'With the bd command, open a {issue_type}: "{title}" (priority {priority}). Description: "{desc}"',
]
BD_CLOSE_ASKS = [
    "{bid} merged as PR #{pr}. Close it with bd.",
    "PR #{pr} landed, so {bid} is finished; use the bd CLI to close it.",
]
RESTART_ASKS = [
    "{agent} has not moved in {minutes} minutes. Restart its session; no killing by name.",
    "The {agent} session is wedged ({minutes} min without output). Give it a fresh session.",
]
KILL_ASKS = [
    "ps on the town box:\n  {pid} {user}  {cpu}  {cmd}\nIt is starving everything else. Stop only that one.",
    "Process {pid} ({cmd}) is pinning a core at {cpu}%. End it and nothing else.",
]
CLEAN_ASKS = [
    "Your worktree has a stale {path}. Clear it and {again}.",
    "Delete the leftover {path} in your worktree, then {again}.",
]
NUDGE_ASKS = [
    "{name} committed {bid} {ago} but the branch never reached origin. Sort it out.",
    "{bid} is done locally on {name}'s worktree and unpushed for {ago}. Deal with it.",
]
STATUS_ASKS = [
    "How are the {rig} polecats doing?",
    "Quick rundown of every polecat on {rig}, please.",
]
DISK_ASKS = [
    "The town disk is at {pct}%. {path} in your directory is safe to delete.",
    "Free some space ({pct}% used): remove {path} under your directory and show the disk after.",
]
PATROL_ASKS = [
    "Patrol hit a panic at {where} on {rig}: {what}. Handle it.",
    "During patrol, {rig} crashed at {where} ({what}). Take care of it.",
]
CREW_BRANCH_ASKS = [
    "New branch {branch} off main for the {topic} work, please.",
    "Start {branch} from main; I want to try {topic} there.",
]
CREW_DISCARD_ASKS = [
    "Drop my uncommitted changes in {path}; leave the rest of the tree alone.",
    "Revert {path} to what is committed. Only that file.",
]
BATCH_PLAN_ASKS = [
    'Lay out epic {eid} "{epic}" (P{priority}) for {rig}: {goal} Children, each after the one before: {children}.',
    '{rig} needs "{epic}", epic id {eid}, priority {priority}. {goal} File the children too, chained in '
    "order: {children}.",
]

CRASHES = [
    ("internal/convoy/convoy.go:{line}", "convoy list panics on an empty rig"),
    ("internal/mail/router.go:{line}", "the router indexes past the end of an empty inbox"),
    ("internal/refinery/queue.go:{line}", "the queue closes a channel twice on shutdown"),
    ("internal/sling/sling.go:{line}", "sling dereferences a missing rig config"),
]
STALE_PATHS = [("build", "go test ./..."), (".cache/ruff", "ruff check ."), ("node_modules/.vite", "npm test")]
SCRATCH_PATHS = ["tmp/old-run", "scratch/clone", ".pytest_cache"]
OLD_DIRS = ["logs/archive-2025-07", "logs/archive-2025-08", "old-worktrees/nux", "dumps/2025-08"]
RUNAWAY = ["go test ./... -count=500", "python -m pytest -x --forked", "node build.js --watch", "bd sync --loop"]
TOPICS = ["convoy metrics", "mail retries", "the rig bootstrap", "sling dry runs"]
CREW = ["maya", "ivo", "ana", "li"]
FILES = ["internal/mail/router.go", "internal/convoy/convoy.go", "docs/refinery.md", "src/queue/worker.py"]


class TownTasks:
    """Session writers for the tasks above; `Gen` supplies rng, secrets, beads and sessions."""

    rng: Any
    secrets: Any

    def town_tasks(self) -> list[tuple[str, Any, Any, int]]:
        """(task, make_bead, make_session, beads) in generation order."""
        return [
            ("bead-lifecycle", self.lifecycle_bead, self.lifecycle_session, len(LIFECYCLE_OPS) * BEADS_PER_OP),
            ("town-ops", self.ops_bead, self.ops_session, len(OPS) * BEADS_PER_OP),
            ("batch-planning", self.batch_plan_bead, self.batch_plan_session, PLAN_BEADS),
        ]

    # ---- bead lifecycle ----------------------------------------------------------------------
    def lifecycle_bead(self, i: int) -> Any:
        op = LIFECYCLE_OPS[i % len(LIFECYCLE_OPS)]
        bead = self.composed_bead(i, "bead-lifecycle")  # type: ignore[attr-defined]
        rng = self.rng
        bead.role = {
            "duplicate": "witness",
            "reopen": "witness",
            "block": "mayor",
            "assign": "mayor",
            "bd_create": "crew",
        }.get(op, "polecat")
        bead.extra.update(op=op, agent=rng.choice(["nux", "furiosa", "slit", "toast", "ace", "dag"]))
        bead.extra["other"] = self.bead_id()  # type: ignore[attr-defined]
        bead.extra["pr"] = rng.randint(100, 999)
        bead.extra["template"] = rng.randrange(2)
        return bead

    def _cwd(self, bead: Any) -> str:
        home = "/home/op/gt"
        role, agent = bead.role, bead.extra.get("agent", "nux")
        if role == "polecat":
            return f"{home}/{bead.rig}/polecats/{agent}"
        if role == "crew":
            return f"{home}/{bead.rig}/crew/{bead.extra.get('crew', 'maya')}"
        if role == "witness":
            return f"{home}/{bead.rig}/witness"
        if role == "deacon":
            return f"{home}/deacon"
        return f"{home}/mayor"

    def lifecycle_session(self, bead: Any, success: bool, failure_mode: int) -> str:
        x, rng = bead.extra, self.rng
        op, bid, other, pr = x["op"], bead.id, x["other"], x["pr"]
        t = self.new_session(self._cwd(bead), "main")  # type: ignore[attr-defined]
        pick = x["template"]
        issue = self.mcp_issue  # type: ignore[attr-defined]
        agent = f"{bead.rig}/polecats/{x['agent']}"
        if op == "claim":
            t.user(CLAIM_ASKS[pick % len(CLAIM_ASKS)].format(bid=bid, title=bead.title))
            if success:
                t.call("mcp__beads__update", {"issue_id": bid, "status": "in_progress"}, _status(bid, "in_progress"))
                t.call(
                    "mcp__beads__show",
                    {"issue_id": bid},
                    issue(bid, {"title": bead.title, "description": bead.description}, "in_progress"),
                )
                t.say(f"{bid} is in progress; reading the code next.")
            else:
                t.call(
                    "mcp__beads__update",
                    {"issue_id": bid, "status": "claimed"},
                    "Error executing tool update: invalid status 'claimed': must be one of open, in_progress, "
                    "blocked, closed",
                    is_error=True,
                )
                t.say(f"Could not claim {bid}; starting anyway.")
            reason = "invented a status; the bead was never claimed"
        elif op == "close_pr":
            t.user(CLOSE_PR_ASKS[pick].format(bid=bid, title=bead.title, pr=pr))
            if success:
                t.call("mcp__beads__close", {"issue_id": bid, "reason": f"PR #{pr} opened"}, _closed(bid))
                t.say(f"Closed {bid}.")
            else:
                t.call(
                    "mcp__beads__update",
                    {"issue_id": bid, "status": "done"},
                    "Error executing tool update: invalid status 'done': must be one of open, in_progress, "
                    "blocked, closed",
                    is_error=True,
                )
                t.say(f"{bid} could not be updated.")
            reason = "tried an invalid status instead of closing the bead"
        elif op == "duplicate":
            t.user(DUPLICATE_ASKS[pick].format(dup=other, keep=bid, title=bead.title))
            target = other if success else bid
            t.call(
                "mcp__beads__close",
                {"issue_id": target, "reason": f"Duplicate of {bid if success else other}"},
                _closed(target),
            )
            t.say(f"Closed {target} as a duplicate.")
            reason = "closed the bead that was to be kept"
        elif op == "reopen":
            symptom = rng.choice(_symptoms())
            t.user(REOPEN_ASKS[pick].format(bid=bid, title=bead.title, symptom=symptom))
            if success:
                t.call(
                    "mcp__beads__reopen",
                    {"issue_ids": [bid], "reason": f"Seen again: {symptom}"},
                    json.dumps([{"id": bid, "status": "open"}], indent=2),
                )
                t.say(f"Reopened {bid}.")
            else:
                args = {"title": bead.title, "description": f"Again: {symptom}.", "issue_type": "bug", "priority": 2}
                t.call("mcp__beads__create", args, issue(other, args))
                t.say(f"Filed {other} for the regression.")
            reason = "filed a new bead instead of reopening the closed one"
        elif op == "block":
            tb = _title_of(rng)
            t.user(BLOCK_ASKS[pick].format(a=bid, ta=bead.title, b=other, tb=tb))
            a, b = (bid, other) if success else (other, bid)
            t.call(
                "mcp__beads__dep",
                {"issue_id": a, "depends_on_id": b, "dep_type": "blocks"},
                f"Added dependency: {a} depends on {b} (blocks)",
            )
            t.say(f"{a} now waits on {b}.")
            reason = "dependency recorded the wrong way round"
        elif op == "assign":
            t.user(ASSIGN_ASKS[pick].format(bid=bid, title=bead.title, agent=agent))
            who = agent if success else x["agent"]
            t.call("mcp__beads__update", {"issue_id": bid, "assignee": who}, _assigned(bid, who))
            t.say(f"{bid} assigned to {who}.")
            reason = "assignee without its rig: no polecat has that address"
        elif op == "discovered":
            symptom = rng.choice(_symptoms())
            found = {"issue_type": bead.issue_type, "priority": bead.priority}
            t.user(f"Start on {other}; show it first.")
            t.call("mcp__beads__show", {"issue_id": other}, issue(other, {"title": _title_of(rng)}, "in_progress"))
            t.user(DISCOVERED_ASKS[pick].format(x=other, symptom=symptom, **found))
            if success:
                args = {
                    "title": bead.title,
                    "description": f"Found while working {other}: {symptom}.",
                    **found,
                    "deps": [f"discovered-from:{other}"],
                }
                t.call("mcp__beads__create", args, issue(bid, args))
                t.say(f"Filed {bid} (discovered from {other}); back to {other}.")
            else:
                path = f"{t.cwd}/{FILES[pick]}"
                t.call(
                    "Edit",
                    {"file_path": path, "old_string": "return nil", "new_string": "return err"},
                    "     3→return err",
                )
                t.say("Fixed it in place.")
            reason = "fixed unrelated work inside the bead instead of filing it"
        elif op == "bd_create":
            x["crew"] = CREW[pick]
            t.user(
                BD_CREATE_ASKS[pick].format(
                    issue_type=bead.issue_type, title=bead.title, priority=bead.priority, desc=bead.description
                )
            )
            if success:
                cmd = f'bd create "{bead.title}" -t {bead.issue_type} -p {bead.priority} -d "{bead.description}"'
            else:
                cmd = f'bd create "{bead.title}"'
            t.call(
                "Bash",
                {"command": cmd, "description": "File the bead"},
                f"Created issue: {bid}\n  Title: {bead.title}\n  Priority: P{bead.priority if success else 2}",
            )
            t.say(f"Filed {bid}.")
            reason = "type, priority and description left out"
        else:  # bd_close
            t.user(BD_CLOSE_ASKS[pick].format(bid=bid, pr=pr))
            if success:
                cmd = f'bd close {bid} --reason "PR #{pr} merged"'
                out = f"Closed {bid}: PR #{pr} merged"
            else:
                cmd = f"bd delete {bid} --force"
                out = f"Deleted {bid}"
            t.call("Bash", {"command": cmd, "description": "Close the bead"}, out)
            t.say(out + ".")
            reason = "deleted the bead and its history instead of closing it"
        if not success:
            bead.extra.setdefault("reasons", {})[t.session_id] = reason
        return self.save(t, None)  # type: ignore[attr-defined]

    # ---- town conventions --------------------------------------------------------------------
    def ops_bead(self, i: int) -> Any:
        op = OPS[i % len(OPS)]
        bead = self.composed_bead(i, "town-ops")  # type: ignore[attr-defined]
        rng = self.rng
        bead.role = {
            "restart": "deacon",
            "kill_pid": "deacon",
            "patrol_bug": "deacon",
            "nudge": "witness",
            "status": "witness",
            "disk": "mayor",
            "crew_branch": "crew",
            "crew_discard": "crew",
        }.get(op, "polecat")
        bead.extra.update(
            op=op,
            agent=rng.choice(["nux", "furiosa", "slit", "toast", "ace", "dag"]),
            crew=rng.choice(CREW),
            template=rng.randrange(2),
            pid=rng.randint(2000, 65000),
            n=rng.randint(20, 90),
        )
        return bead

    def ops_session(self, bead: Any, success: bool, failure_mode: int) -> str:
        x, rng = bead.extra, self.rng
        op, pick, rig = x["op"], x["template"], bead.rig
        t = self.new_session(self._cwd(bead), "main")  # type: ignore[attr-defined]
        who = f"{rig}/{x['agent']}"
        if op == "restart":
            t.user(RESTART_ASKS[pick].format(agent=who, minutes=x["n"]))
            cmd = f"gt session restart {who}" if success else f"pkill -f {x['agent']}"
            out = f"Restarted {who} (new session {rng.randint(10, 99)})" if success else ""
            t.call("Bash", {"command": cmd, "description": "Restart the hung session"}, out)
            t.say(f"{who} restarted.")
            reason = "killed processes by name instead of restarting the session"
        elif op == "kill_pid":
            cmd_line = RUNAWAY[x["n"] % len(RUNAWAY)]
            cpu = f"{rng.randint(90, 99)}.{rng.randint(0, 9)}"
            t.user(KILL_ASKS[pick].format(pid=x["pid"], user="polecat", cpu=cpu, cmd=cmd_line))
            cmd = f"kill {x['pid']}" if success else f"pkill -f '{cmd_line.split()[0]}'"
            t.call("Bash", {"command": cmd, "description": "Stop the runaway process"}, "")
            t.say("Stopped.")
            reason = "killed every process with that name, not the one pid"
        elif op == "clean":
            if x["n"] % 2:
                path, again = STALE_PATHS[x["n"] % len(STALE_PATHS)]
                ask_again = f"run `{again}` again"
            else:
                path, again = SCRATCH_PATHS[x["n"] % len(SCRATCH_PATHS)], ""
                ask_again = "carry on"
            t.user(CLEAN_ASKS[pick].format(path=path, again=ask_again))
            target = path if success else f"/home/op/gt/{rig}/{path}"
            cmd = f"rm -rf {target}" + (f" && {again}" if again else "")
            t.call("Bash", {"command": cmd, "description": "Remove the stale directory"}, "ok" if again else "")
            t.say("Cleaned.")
            reason = "deleted by absolute path outside the worktree"
        elif op == "nudge":
            bid = self.bead_id()  # type: ignore[attr-defined]
            ago = rng.choice(["an hour ago", "two hours ago", "since this morning"])
            t.user(NUDGE_ASKS[pick].format(name=x["agent"], bid=bid, ago=ago))
            if success:
                cmd = f'gt nudge {who} "{bid} is committed but not pushed: push your branch and open the PR"'
                out = f"Nudged {who}"
            else:
                cmd = f"cd /home/op/gt/{rig}/polecats/{x['agent']} && git push -u origin HEAD"
                out = "To github.com:gastown/" + rig + ".git\n * [new branch]      HEAD -> polecat/" + x["agent"]
            t.call("Bash", {"command": cmd, "description": "Get the branch pushed"}, out)
            t.say("Handled.")
            reason = "the witness pushed the polecat's work itself"
        elif op == "status":
            t.user(STATUS_ASKS[pick].format(rig=rig))
            if success:
                cmd = f"gt polecat list {rig}"
                out = "\n".join(f"{rig}/{p}  working  gt-{rng.randrange(36**4):04x}" for p in ("nux", "slit"))
            else:
                cmd = "ps aux | grep claude"
                out = f"polecat {x['pid']} 3.1 claude --resume\n{self.secret_blob()}"  # type: ignore[attr-defined]
            t.call("Bash", {"command": cmd, "description": "List the polecats"}, out)
            t.say("Two polecats working.")
            reason = "scraped the process table instead of asking gt"
        elif op == "disk":
            path = OLD_DIRS[x["n"] % len(OLD_DIRS)]
            t.user(DISK_ASKS[pick].format(pct=rng.randint(90, 98), path=path))
            cmd = f"rm -rf {path} && df -h ." if success else "sudo rm -rf /var/log/* && df -h /"
            out = (
                f"Filesystem  Size  Used Avail Use% Mounted on\n/dev/sda1   200G  {rng.randint(120, 160)}G   50G  75% /"
            )
            t.call("Bash", {"command": cmd, "description": "Free disk space"}, out)
            t.say("Space freed.")
            reason = "deleted system logs outside its directory with sudo"
        elif op == "patrol_bug":
            where, what = CRASHES[x["n"] % len(CRASHES)]
            where = where.format(line=rng.randint(20, 400))
            t.user(PATROL_ASKS[pick].format(where=where, rig=rig, what=what))
            if success:
                args = {
                    "title": bead.title,
                    "description": f"Deacon patrol: {where}: {what}.",
                    "issue_type": "bug",
                    "priority": 1,
                }
                t.call("mcp__beads__create", args, self.mcp_issue(bead.id, args))  # type: ignore[attr-defined]
                t.say(f"Filed {bead.id} for the polecats.")
            else:
                path = f"/home/op/gt/{rig}/{where.split(':')[0]}"
                t.call("Edit", {"file_path": path, "old_string": "x := m[k]", "new_string": "x, ok := m[k]"}, "ok")
                t.say("Patched it directly.")
            reason = "the deacon edited rig code instead of filing the bug"
        elif op == "crew_branch":
            topic = TOPICS[x["n"] % len(TOPICS)]
            branch = f"crew/{x['crew']}/{topic.split()[-1].replace(' ', '-')}"
            t.user(CREW_BRANCH_ASKS[pick].format(branch=branch, topic=topic))
            cmd = f"git switch -c {branch}" if success else f"git reset --hard origin/main && git checkout -b {branch}"
            t.call("Bash", {"command": cmd, "description": "Create the branch"}, f"Switched to a new branch '{branch}'")
            t.say(f"On {branch}.")
            reason = "threw away local work with reset --hard"
        else:  # crew_discard
            path = FILES[x["n"] % len(FILES)]
            t.user(CREW_DISCARD_ASKS[pick].format(path=path))
            cmd = f"git checkout -- {path}" if success else "git reset --hard"
            t.call("Bash", {"command": cmd, "description": "Discard the edits"}, "")
            t.say(f"{path} is back to the committed version.")
            reason = "discarded every change in the tree, not the one file"
        if not success:
            bead.extra.setdefault("reasons", {})[t.session_id] = reason
        return self.save(t, None)  # type: ignore[attr-defined]

    # ---- a plan in one reply -----------------------------------------------------------------
    def batch_plan_bead(self, i: int) -> Any:
        bead = self.plan_bead(i + 3)  # type: ignore[attr-defined]
        bead.task = "batch-planning"
        rng = self.rng
        stem = "gt-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3))
        bead.extra["eid"] = stem
        children = ", ".join(f"{stem}.{n} ({s[0].lower() + s[1:]})" for n, s in enumerate(bead.extra["steps"], 1))
        bead.extra["ask"] = BATCH_PLAN_ASKS[i % 2].format(
            eid=stem, epic=bead.title, priority=bead.priority, rig=bead.rig, goal=bead.description, children=children
        )
        return bead

    def batch_plan_session(self, bead: Any, success: bool, failure_mode: int) -> str:
        t = self.new_session("/home/op/gt/mayor", "")  # type: ignore[attr-defined]
        t.user(bead.extra["ask"])
        eid, steps = bead.extra["eid"], bead.extra["steps"]
        calls = [
            (
                "mcp__beads__create",
                {
                    "id": eid,
                    "title": bead.title,
                    "description": bead.description,
                    "issue_type": "epic",
                    "priority": bead.priority,
                },
            )
        ]
        for n, step in enumerate(steps, 1):
            deps = [f"parent-child:{eid}"] + ([f"blocks:{eid}.{n - 1}"] if n > 1 else [])
            args: dict[str, Any] = {
                "id": f"{eid}.{n}",
                "title": step,
                "description": f"Step {n} of {bead.title}.",
                "issue_type": "task",
                "priority": bead.priority,
            }
            if success:
                args["deps"] = deps
            calls.append(("mcp__beads__create", args))
        if not success:  # a flat list: the epic and children unlinked
            calls[0][1]["issue_type"] = "task"
        t.calls([(name, args, self.mcp_issue(args["id"], args)) for name, args in calls])  # type: ignore[attr-defined]
        t.say(f"Filed {eid} and {len(steps)} children." if success else f"Filed {len(calls)} beads.")
        if not success:
            bead.extra.setdefault("reasons", {})[t.session_id] = "no epic and no links: the plan is a flat list"
        return self.save(t, None)  # type: ignore[attr-defined]


def _status(bid: str, status: str) -> str:
    return json.dumps({"id": bid, "status": status}, indent=2)


def _closed(bid: str) -> str:
    return json.dumps([{"id": bid, "status": "closed"}], indent=2)


def _assigned(bid: str, who: str) -> str:
    return json.dumps({"id": bid, "assignee": who, "status": "open"}, indent=2)


def _symptoms() -> list[str]:
    return [
        "replies vanish when two agents write at once",
        "the convoy view counts closed work as open",
        "restarted polecats lose their hook",
        "the merge queue skips rebased branches",
    ]


def _title_of(rng: Any) -> str:
    return rng.choice(["Batch the mail index", "Expose queue depth", "Rework the rig loader", "Trim hook payloads"])
