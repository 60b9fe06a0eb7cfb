"""A login name a home path gives away is replaced wherever else the conversation shows it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from forge.artifacts import ArtifactStore
from forge.ingest.stage import IngestConfig, run_ingest
from forge.records import Conversation, Message, SourceRef, ToolCall
from forge.scrub import Scrubber, known_names

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def test_names_come_from_every_home_path_shape_and_listing_and_short_or_shared_ones_stay():
    texts = [
        "cd /Users/alicejones/code/app",
        r"C:\Users\bobsmith\AppData",
        "~/.claude/projects/-home-carolwu-repo",
        "drwxr-xr-x@ 9 daveking  staff  288 May 27 12:00 .",
        "/home/dev/x and /home/runner/work and /Users/Shared/y",  # short, CI's and macOS's shared
        "/home/coder/project and /home/gitpod/.bashrc",  # dev environments' default users
        "-rw-r--r-- 1 root root 12 Jan 1 x and -rw-r--r-- 1 _www _www 5 y",  # system accounts
    ]

    def names(scrubber):
        found: set[str] = set()
        with scrubber.collecting_names(found):
            scrubber.scrub_texts(texts)
        return found

    assert names(Scrubber()) == {"alicejones", "bobsmith", "carolwu", "daveking"}
    assert names(Scrubber(detectors=["email"])) == set()  # the name detectors off
    assert names(Scrubber(allowlist=["bobsmith"])) == {"alicejones", "carolwu", "daveking"}
    # a string the scrubber remembers gives its names again
    s = Scrubber()
    s.scrub_texts(texts)
    assert names(s) == {"alicejones", "bobsmith", "carolwu", "daveking"}


def test_a_name_is_replaced_as_a_whole_word_only():
    pattern = known_names.pattern_for({"alice"})
    text = "alice staff alice.xcuserdatad /alice/ @alice malice alice_2 dev-alice alicejones"
    assert known_names.replace(text, pattern, "<U>") == (
        "<U> staff <U>.xcuserdatad /<U>/ @<U> malice alice_2 dev-alice alicejones",
        4,
    )
    assert known_names.pattern_for(set()) is None


def test_a_listing_and_a_folder_tree_in_tool_output_lose_the_name():
    conv = Conversation(
        "s1",
        [
            Message("user", "list the project"),
            Message("assistant", "", [ToolCall("c1", "bash", {"command": "ls -la /Users/alicejones/app"})]),
            Message(
                "tool",
                "drwxr-xr-x@ 9 alicejones  staff  288 May 27 12:00 .\n- Users/\n  - alicejones/\n    - app/",
                tool_call_id="c1",
                name="bash",
            ),
        ],
        SourceRef("s.jsonl", 1),
    )
    clean, tally = Scrubber().scrub_conversation_tallied(conv)
    assert "alicejones" not in json.dumps(clean.to_dict())
    assert clean.messages[2].content == (
        "drwxr-xr-x@ 9 <SECRET:user>  staff  288 May 27 12:00 .\n- Users/\n  - <SECRET:user>/\n    - app/"
    )
    assert tally.by_detector == {"home_user": 1, "ls_owner": 1, "known_user": 1} and tally.by_kind == {"user": 3}
    # with the name allowlisted, it stays everywhere
    kept, _ = Scrubber(allowlist=["alicejones"]).scrub_conversation_tallied(conv)
    assert kept.messages[2].content == conv.messages[2].content


def test_real_sessions_keep_no_user_name_in_tool_output(tmp_path):
    """OpenCode's real database shows its user's name in `ls -l` owners, a folder tree, Xcode's
    per-user folders and a changelog's @mention; a real Gemini CLI session in an `ls -l` line."""
    for name in ("opencode_go", "gemini_cli"):
        shutil.copytree(REAL / name, tmp_path / "in" / name)
    corpus = run_ingest(ArtifactStore(tmp_path / "a"), [tmp_path / "in"], IngestConfig(workers=1))
    rows = corpus.file("conversations.jsonl").read_text()
    assert "cschmatzler" not in rows and "peytonmontei" not in rows
    report = json.loads(corpus.file("report.json").read_text())
    by_detector = report["scrub"]["by_detector"]
    assert by_detector["ls_owner"] == 50 and by_detector["known_user"] == 10


def test_forge_scrub_copies_lose_the_name_too(tmp_path):
    """`forge scrub` on the real Gemini CLI file: its user's name leaves the `ls -l` lines of a
    tool result in the copy too."""
    from forge.scrub.files import scrub_path

    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(REAL / "gemini_cli" / "entire-checkpoint-full.jsonl", src / "s.jsonl")
    assert "peytonmontei  staff" in (src / "s.jsonl").read_text()
    s = Scrubber()
    scrub_path(src, tmp_path / "out", s, workers=1)
    copy = (tmp_path / "out" / "s.jsonl").read_text()
    assert "peytonmontei" not in copy and "<SECRET:user>  staff" in copy
    assert s.report()["by_detector"]["ls_owner"] == 2


def test_forge_scrub_replaces_a_name_seen_in_an_earlier_line(tmp_path):
    lines = [
        {"type": "user", "cwd": "/Users/alicejones/app", "message": {"role": "user", "content": "show the tree"}},
        {"type": "user", "message": {"role": "user", "content": [{"type": "tool_result", "content": "- alicejones/"}]}},
    ]
    src = tmp_path / "in"
    src.mkdir()
    (src / "s.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    s = Scrubber()
    from forge.scrub.files import scrub_path

    scrub_path(src, tmp_path / "out", s, workers=1)
    copy = [json.loads(line) for line in (tmp_path / "out" / "s.jsonl").read_text().splitlines()]
    assert copy[0]["cwd"] == "/Users/<SECRET:user>/app"
    assert copy[1]["message"]["content"][0]["content"] == "- <SECRET:user>/"
    assert s.report()["by_detector"] == {"home_user": 1, "known_user": 1}


def test_forge_scrub_streams_plain_text_without_the_name(tmp_path):
    """A plain-text file is scrubbed as a stream of blocks: the real OpenCode session, saved as a
    text log (every message's text, one after another), loses its user's name from the block the
    name first shows in on, in folder trees and listings as in home paths. Small blocks, so the
    name is learned in one block and met again in later ones."""
    from forge.ingest.crush import read
    from forge.scrub.files import scrub_file

    shutil.copytree(REAL / "opencode_go", tmp_path / "db")
    convs = list(read(tmp_path / "db" / ".opencode" / "opencode.db", lambda *a, **k: None))
    log = "\n\n".join(
        m.content + "".join(json.dumps(c.arguments) for c in m.tool_calls) for c in convs for m in c.messages
    )
    assert log.count("cschmatzler") > 50
    first_path = log.index("/Users/cschmatzler")
    assert log.index("cschmatzler") == first_path + len("/Users/")  # learned from a home path first
    src = tmp_path / "session.log"
    src.write_text(log, encoding="utf-8")
    s = Scrubber()
    scrub_file(src, tmp_path / "clean.log", s, block_chars=4096, overlap=1024)
    clean = (tmp_path / "clean.log").read_text(encoding="utf-8")
    assert "cschmatzler" not in clean
    assert s.report()["by_detector"]["known_user"] > 0
    # nothing else moved: the placeholders stand where the findings were
    assert clean.count("<SECRET:user>") == sum(
        n for d, n in s.report()["by_detector"].items() if d in ("home_user", "ls_owner", "ls_group", "known_user")
    )


def test_a_shell_shows_the_name_without_a_home_path_and_the_rest_of_the_file_loses_it(tmp_path):
    # a terminal capture: a prompt, id, whoami, the login variables, ~NAME/, a WSL path
    shown = {
        "prompt_user": "alicejones@laptop:~/src$ make test",
        "id_output_user": "uid=1000(alicejones) gid=1000(alicejones) groups=1000(alicejones),27(sudo)",
        "whoami_user": "$ whoami\nalicejones\n",
        "login_variable_user": "USER=alicejones\nSHELL=/bin/zsh",
        "tilde_user": "cp ~alicejones/notes.txt .",
        "wsl_home_user": "\\\\wsl$\\Ubuntu\\home\\alicejones\\src and /mnt/c/Users/alicejones/Desktop",
    }
    for detector, text in shown.items():
        found: set[str] = set()
        scrubber = Scrubber()
        with scrubber.collecting_names(found):
            scrubber.scrub_texts([text])
        assert found == {"alicejones"}, detector
        assert detector in scrubber.counts().by_detector, detector
    # in a transcript, the name a prompt shows goes from the lines after it too
    lines = [
        {"type": "user", "message": {"content": "alicejones@laptop:~/src$ git log -1"}},
        {"type": "assistant", "message": {"content": "The commit is by alicejones, as git config says."}},
    ]
    src = tmp_path / "in" / "s.jsonl"
    src.parent.mkdir()
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    from forge.scrub.files import scrub_path

    scrub_path(src.parent, tmp_path / "out", Scrubber())
    assert "alicejones" not in (tmp_path / "out" / "s.jsonl").read_text(encoding="utf-8")


def test_shared_accounts_and_non_prompts_give_no_name():
    texts = [
        "root@server:~# apt update",  # root, ubuntu, node: no person's
        "ubuntu@ip-10-0-0-5:~$ ls",
        "node@3f2a:/app$ npm test",
        "git clone git@github.com:acme/app.git",  # an ssh URL, not a prompt
        "uid=0(root) gid=0(root)",
        "USERNAME=deploy",  # a service account's setting, not the login variable
        "the ~/.config folder and ~ alone",
    ]
    for text in texts:
        found: set[str] = set()
        scrubber = Scrubber()
        with scrubber.collecting_names(found):
            out = scrubber.scrub_texts([text])
        assert found == set() and out == [text], text
