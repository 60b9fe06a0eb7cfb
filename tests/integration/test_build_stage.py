import json
from pathlib import Path

import pytest

from forge.artifacts import Artifact, ArtifactStore, sha256_file
from forge.build import DATASET_FILES, BuildConfig, chat_token_counter, run_build
from forge.errors import InputError, IntegrityError
from forge.records import Conversation, Message, SourceRef, ToolCall, WorkItem

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "bash",
            "description": "Run a shell command",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
        },
    }
]


def attempt(cid: str, bead: str, outcome: str, command: str) -> Conversation:
    return Conversation(
        id=cid,
        source=SourceRef("sessions.jsonl", 1),
        tools=TOOLS,
        agent_role="polecat",
        task="git-workflow",
        outcome=outcome,
        work_item=bead,
        messages=[
            Message("user", f"Commit and push the fix for {bead}."),
            Message("assistant", "", tool_calls=[ToolCall(f"{cid}-1", "bash", {"command": command})]),
            Message("tool", "done", tool_call_id=f"{cid}-1", name="bash"),
            Message("assistant", f"Pushed the fix for {bead}."),
        ],
    )


def corpus_sessions() -> list[Conversation]:
    out = []
    for i in range(12):
        bead = f"gt-{i}"
        out.append(attempt(f"s{i}-ok", bead, "success", f"git push origin fix-{i}"))
        out.append(attempt(f"s{i}-bad", bead, "failure", f"git push --force origin fix-{i}"))
    out.append(attempt("s0-ok-dup", "gt-0", "success", "git push origin fix-0"))  # exact duplicate
    return out


def write_corpus(store: ArtifactStore, sessions: list[Conversation], lines: list[str] = ()) -> Artifact:
    staging = store.staging("corpus")
    with open(staging / "conversations.jsonl", "w") as f:
        for conv in sessions:
            f.write(json.dumps(conv.to_dict()) + "\n")
        for line in lines:
            f.write(line + "\n")
    items = {c.work_item for c in sessions}
    with open(staging / "work_items.jsonl", "w") as f:
        for bead in sorted(items):
            f.write(json.dumps(WorkItem(id=bead, title="fix", status="closed").__dict__) + "\n")
    (staging / "report.json").write_text(json.dumps({"conversations": len(sessions)}))
    return store.commit(staging, kind="corpus", aid=f"corpus-{len(sessions):04d}{len(lines)}", config={}, inputs=[])


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_build_stage_writes_a_verified_dataset_and_returns_it_on_rerun(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    corpus = write_corpus(store, corpus_sessions())
    config = BuildConfig(eval_fraction=0.25)
    dataset = run_build(store, corpus, config)

    assert dataset.kind == "dataset"
    assert sorted(dataset.manifest["files"]) == sorted(DATASET_FILES)
    dataset.verify()
    assert dataset.manifest["inputs"] == [{"id": corpus.id, "kind": "corpus", "sha256": corpus.digest}]
    for name, digest in dataset.manifest["files"].items():
        assert sha256_file(dataset.file(name)) == digest

    stats = json.loads(dataset.file("stats.json").read_text())
    assert stats["conversations_in"] == 25 and stats["exact_duplicates"] == 1
    assert stats["sft"]["train"] + stats["sft"]["eval"] == 12
    assert stats["dpo"]["train"] + stats["dpo"]["eval"] == 12
    assert stats["by_role_task"] == {"polecat/git-workflow": 12}
    assert dataset.manifest["summary"]["sft_train"] == stats["sft"]["train"]

    # every bead sits wholly in one split, for SFT and DPO alike
    split_of_bead: dict[str, str] = {}
    for family in ("sft", "dpo"):
        for split in ("train", "eval"):
            for row in read_jsonl(dataset.file(f"{family}_{split}.jsonl")):
                assert split_of_bead.setdefault(row["work_item"], split) == split
    dpo_row = read_jsonl(dataset.file("dpo_train.jsonl"))[0]
    assert "--force" in dpo_row["rejected"][0]["tool_calls"][0]["function"]["arguments"]

    # same corpus and config: the finished artifact comes back, untouched
    again = run_build(store, corpus, config)
    assert again.id == dataset.id and again.manifest == dataset.manifest
    assert not any((store.root / ".staging").iterdir())
    # a different config is a different dataset
    assert run_build(store, corpus, BuildConfig(eval_fraction=0.5)).id != dataset.id


def test_adding_sessions_keeps_old_rows_in_their_split(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    small = corpus_sessions()
    big = small + [attempt(f"n{i}", f"gt-new-{i}", "success", "git push") for i in range(20)]
    config = BuildConfig(eval_fraction=0.3)
    splits = []
    for sessions in (small, big):
        ds = run_build(store, write_corpus(store, sessions), config)
        splits.append(
            {row["id"]: split for split in ("train", "eval") for row in read_jsonl(ds.file(f"sft_{split}.jsonl"))}
        )
    old, new = splits
    assert all(new[rid] == split for rid, split in old.items())


def test_bad_corpus_line_names_file_and_line_and_leaves_nothing(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    corpus = write_corpus(store, corpus_sessions()[:2], lines=["{not json"])
    with pytest.raises(InputError, match=r"conversations\.jsonl:3: invalid JSON"):
        run_build(store, corpus, BuildConfig())
    assert not any((store.root / ".staging").iterdir())
    assert not (store.root / "dataset").exists()


def test_a_changed_corpus_is_refused(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    corpus = write_corpus(store, corpus_sessions())
    with open(corpus.file("conversations.jsonl"), "a") as f:
        f.write(json.dumps(attempt("sneaky", "gt-x", "success", "rm -rf /").to_dict()) + "\n")
    with pytest.raises(IntegrityError):
        run_build(store, corpus, BuildConfig())


def test_only_a_corpus_can_be_built(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    dataset = run_build(store, write_corpus(store, corpus_sessions()), BuildConfig())
    with pytest.raises(InputError, match="needs a corpus"):
        run_build(store, dataset, BuildConfig())


@pytest.mark.slow
def test_token_statistics_with_a_real_tokenizer(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from forge.models.chat_format import CHAT_TEMPLATE, SPECIAL_TOKENS

    texts = [json.dumps(c.to_dict()) for c in corpus_sessions()]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL_TOKENS))
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>")
    tok.chat_template = CHAT_TEMPLATE
    counter = chat_token_counter(tok, name="tiny-bpe")

    store = ArtifactStore(tmp_path / "artifacts")
    corpus = write_corpus(store, corpus_sessions())
    plain = run_build(store, corpus, BuildConfig())
    with_tokens = run_build(store, corpus, BuildConfig(), tokenizer=counter)
    assert with_tokens.id != plain.id and with_tokens.config["tokenizer"] == "tiny-bpe"
    tokens = json.loads(with_tokens.file("stats.json").read_text())["tokens"]
    assert tokens["tokenizer"] == "tiny-bpe"
    assert tokens["sft"]["rows"] == 12 and tokens["dpo_chosen"]["rows"] == 12
    row = read_jsonl(with_tokens.file("sft_train.jsonl"))[0]
    rendered = tok.apply_chat_template(row["messages"], tools=row["tools"], tokenize=False)
    assert tokens["sft"]["max"] >= len(tok(rendered)["input_ids"]) > 0
    assert tokens["sft"]["p50"] <= tokens["sft"]["max"]


REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def test_real_transcripts_of_every_format_become_sft_rows(tmp_path):
    """Ingest + build on the real public samples (tests/fixtures/real/SOURCES.md): rows from
    every format, and the outcome coverage reported by the corpus and the dataset."""
    from forge.ingest.stage import IngestConfig, run_ingest

    store = ArtifactStore(tmp_path / "artifacts")
    corpus = run_ingest(store, [REAL], IngestConfig(workers=1))
    ingest = json.loads(corpus.file("report.json").read_text())["ingest"]
    coverage = ingest["outcome_coverage"]
    # every file of every format is read (266 sessions are ShareGPT records; 10 are convention files)
    assert ingest["files_by_reader"] == {
        "adp": 2,
        "aider": 1,
        "beads": 5,
        "beads_backup": 4,
        "claude_code": 17,
        "codex": 3,
        "codex_exec": 2,
        "context_files": 10,
        "crush": 2,
        "gemini_cli": 3,
        "goose": 1,
        "openai_chat": 1,
        "openhands": 3,
        "sharegpt": 2,
        "swe_agent": 3,
    }
    assert coverage["sessions"] == ingest["conversations"] == 330
    assert coverage["labelled"] + coverage["unknown"] == 330
    assert coverage["labelled"] == sum(n for k, n in ingest["outcome_sources"].items() if k != "none")
    assert ingest["outcome_sources"]["transcript:tests_passed"] >= 1  # the real Rust port's tests
    dataset = run_build(store, corpus, BuildConfig(), require="sft")
    stats = json.loads(dataset.file("stats.json").read_text())
    rows = stats["sft_by_format"]
    # a `codex exec --json` stream records no prompt: its session makes no row (no_prompt)
    assert "codex_exec" not in rows and stats["filtered"]["no_prompt"] == 1
    assert stats["outcomes"]["by_format"]["codex_exec"]["sessions"] == 1
    for fmt in (
        "claude_code",
        "codex",
        "crush",
        "gemini_cli",
        "goose",
        "openhands",
        "swe_agent",
        "adp",
        "aider",
        "sharegpt",
        "openai_chat",
    ):
        assert rows.get(fmt, 0) > 0, f"no SFT rows from {fmt}: {stats['filtered']}"
    with_turn = stats["outcomes"]["sessions"]
    assert sum(rows.values()) >= 0.8 * with_turn  # most sessions with an assistant turn give a row
    assert stats["outcomes"]["by_format"]["claude_code"]["sessions"] == 18
    assert stats["corpus"]["ingest"]["outcome_coverage"] == coverage
    assert stats["unlabelled"]["policy"] == "successful_turns" and stats["unlabelled"]["rows"] > 0


def test_a_build_without_the_rows_its_method_needs_fails_fast_and_stores_nothing(tmp_path):
    from forge.errors import ForgeError

    store = ArtifactStore(tmp_path / "artifacts")
    sessions = [attempt(f"s{i}", f"gt-{i}", "unknown", "git push") for i in range(21)]
    sessions.append(attempt("s-bad", "gt-x", "failure", "git push --force"))
    corpus = write_corpus(store, sessions)
    config = BuildConfig(unlabelled="drop")
    with pytest.raises(ForgeError) as err:
        run_build(store, corpus, config, require="sft")
    assert str(err.value).splitlines()[0] == (
        'the build made 0 SFT rows from 22 sessions: 21 have no known outcome; 1 failed (build.unlabelled = "drop")'
    )
    assert err.value.hint and "build.unlabelled" in err.value.hint
    assert not list(store.root.glob("dataset/*")) and not list(store.root.glob(".staging/*"))
    with pytest.raises(ForgeError, match="0 DPO pairs: 0 successful and 1 failed"):
        run_build(store, corpus, BuildConfig(), require="dpo")
    # without a requirement the same build is a valid (empty) dataset; asked again, it fails again
    empty = run_build(store, corpus, config)
    assert json.loads(empty.file("stats.json").read_text())["sft"] == {"train": 0, "eval": 0}
    with pytest.raises(ForgeError, match="0 SFT rows"):
        run_build(store, corpus, config, require="sft+dpo")
