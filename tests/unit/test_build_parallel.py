"""The build's fingerprints computed in worker processes give exactly the in-process dataset."""

from __future__ import annotations

import json
import random

from forge.artifacts import ArtifactStore
from forge.build.config import BuildConfig
from forge.build.fingerprint import PARALLEL_MIN_LINES
from forge.build.stage import run_build
from forge.records import Conversation, Message, SourceRef, ToolCall

WORDS = [
    "bead",
    "polecat",
    "witness",
    "refinery",
    "convoy",
    "hook",
    "mail",
    "queue",
    "rig",
    "sling",
    "nudge",
    "deacon",
    "mayor",
]


def session(i: int, rng: random.Random, outcome: str) -> Conversation:
    bead_rng = random.Random(i // 2)  # both attempts at a bead get the same ask (DPO pairs)
    ask = " ".join(bead_rng.choice(WORDS) for _ in range(40))
    out = " ".join(rng.choice(WORDS) for _ in range(60))
    call = ToolCall(f"t{i}", "Bash", {"command": f"gt sling {rng.choice(WORDS)}"})
    msgs = [
        Message("user", ask),
        Message("assistant", "", [call]),
        Message("tool", out, tool_call_id=f"t{i}", name="Bash"),
        Message("assistant", "done " + out[:80]),
    ]
    return Conversation(
        f"s{i}",
        msgs,
        SourceRef("x.jsonl", i + 1),
        agent_role="polecat",
        task="git-workflow",
        outcome=outcome,
        work_item=f"gt-{i // 2}",
    )


def corpus(store: ArtifactStore, n: int):
    rng = random.Random(3)
    convs = [session(i, rng, "success" if i % 2 else "failure") for i in range(n)]
    for i in range(0, n, 10):  # exact duplicates: the same session again under a new id
        convs.append(Conversation(f"dup{i}", convs[i].messages, SourceRef("y.jsonl", i + 1), outcome=convs[i].outcome))
    for i in range(5, n, 10):  # near duplicates: one word of the tool output changed
        msgs = list(convs[i].messages)
        msgs[2] = Message(
            "tool", msgs[2].content.replace(" ", " x ", 1), tool_call_id=msgs[2].tool_call_id, name="Bash"
        )
        convs.append(Conversation(f"near{i}", msgs, SourceRef("z.jsonl", i + 1), outcome=convs[i].outcome))
    with store.staged("corpus") as staging:
        (staging / "conversations.jsonl").write_text("".join(json.dumps(c.to_dict()) + "\n" for c in convs))
        return store.commit(staging, kind="corpus", aid="corpus-test", config={}, inputs=[])


def test_parallel_fingerprints_give_the_same_dataset(tmp_path):
    store_a, store_b = ArtifactStore(tmp_path / "a"), ArtifactStore(tmp_path / "b")
    n = PARALLEL_MIN_LINES + 40
    one = run_build(store_a, corpus(store_a, n), BuildConfig(workers=1))
    two = run_build(store_b, corpus(store_b, n), BuildConfig(workers=2))
    assert one.id == two.id
    assert one.manifest["files"] == two.manifest["files"]
    stats = json.loads(two.file("stats.json").read_text())
    assert stats["exact_duplicates"] == len(range(0, n, 10))
    assert stats["near_duplicates"] > len(range(5, n, 10)) // 2, stats["near_duplicates"]


def test_streaming_stage_writes_what_the_in_memory_build_returns(tmp_path):
    """run_build streams (skeletons in pass 1, rows reloaded by byte offset in pass 2); the
    in-memory build_dataset runs the same passes over a list. Same rows, same stats."""
    from forge.build.builder import build_dataset
    from forge.build.stage import read_conversations

    store = ArtifactStore(tmp_path / "s")
    src = corpus(store, 120)
    for _i, cfg in enumerate(({}, {"max_messages": 3, "eval_fraction": 0.5}, {"dedupe": False, "min_success": 0.6})):
        art = run_build(store, src, BuildConfig(workers=1, **cfg))
        mem = build_dataset(read_conversations(src.file("conversations.jsonl")), BuildConfig(**cfg))
        for family, rows in (("sft", mem.sft), ("dpo", mem.dpo)):
            for split in ("train", "eval"):
                written = [json.loads(x) for x in art.file(f"{family}_{split}.jsonl").read_text().splitlines()]
                assert written == rows[split], (cfg, family, split)
        stats = json.loads(art.file("stats.json").read_text())
        stats.pop("corpus")
        assert stats == json.loads(json.dumps(mem.stats)), cfg
        assert stats["dpo"]["train"] + stats["dpo"]["eval"] > 0, cfg
