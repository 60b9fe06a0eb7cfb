import random

from forge.build.dedupe import MinHasher, dedupe, lsh_rows_per_band, shingles, similarity
from forge.records import Conversation, Message, SourceRef, ToolCall

WORDS = [
    "bead",
    "branch",
    "commit",
    "push",
    "hook",
    "test",
    "polecat",
    "witness",
    "mayor",
    "convoy",
    "rig",
    "sling",
    "status",
    "close",
    "open",
    "review",
    "merge",
    "rebase",
    "deps",
    "epic",
    "priority",
    "label",
    "assignee",
    "title",
    "fix",
    "bug",
]


def text(seed: int, n: int = 120) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n))


def conv(cid: str, body: str, outcome: str = "success", call_id: str = "c1") -> Conversation:
    return Conversation(
        id=cid,
        source=SourceRef("s.jsonl", 1),
        outcome=outcome,
        messages=[
            Message("user", body),
            Message("assistant", "", tool_calls=[ToolCall(call_id, "bd_create", {"title": "x"})]),
            Message("tool", "created gt-1", tool_call_id=call_id, name="bd_create"),
            Message("assistant", "Done."),
        ],
    )


def test_exact_duplicates_ignore_whitespace_case_and_tool_call_ids():
    a = conv("a", "Create a bead for the login bug")
    b = conv("b", "  create a   BEAD for the login bug ", call_id="toolu_other")
    c = conv("c", "Create a bead for the logout bug")
    result = dedupe([a, b, c], near_threshold=None)
    assert [x.id for x in result.kept] == ["a", "c"]
    assert result.exact_duplicates == 1 and result.near_duplicates == 0
    assert result.duplicate_of == {"b": "a"}


def test_near_duplicates_are_dropped_and_distinct_sessions_kept():
    base = text(1, 300)
    words = base.split()
    words[150] = "CHANGED"  # one word differs: Jaccard of 5-shingles ≈ 0.97
    near = " ".join(words)
    result = dedupe([conv("a", base), conv("b", near), conv("c", text(2, 300))], near_threshold=0.9)
    assert [x.id for x in result.kept] == ["a", "c"]
    assert result.near_duplicates == 1 and result.exact_duplicates == 0
    assert result.duplicate_of["b"] == "a"


def test_moderately_similar_sessions_are_not_near_duplicates():
    words = text(3, 300).split()
    for i in range(0, 300, 10):  # every tenth word changed: Jaccard of 5-shingles well below 0.9
        words[i] = f"w{i}"
    result = dedupe([conv("a", text(3, 300)), conv("b", " ".join(words))], near_threshold=0.9)
    assert len(result.kept) == 2


def test_a_failure_is_never_a_duplicate_of_a_success():
    body = text(4, 200)
    result = dedupe([conv("ok", body, "success"), conv("bad", body, "failure")], near_threshold=0.9)
    assert [x.id for x in result.kept] == ["ok", "bad"]


def test_minhash_estimates_jaccard():
    hasher = MinHasher(256)
    a = shingles(text(5, 400).split(), 3)
    b = set(list(a)[: len(a) // 2]) | shingles(text(6, 200).split(), 3)
    true = len(a & b) / len(a | b)
    assert abs(similarity(hasher.signature(a), hasher.signature(b)) - true) < 0.1
    assert similarity(hasher.signature(a), MinHasher(256).signature(a)) == 1.0  # deterministic


def test_lsh_bands_catch_pairs_at_the_threshold():
    rows = lsh_rows_per_band(128, 0.9)
    bands = 128 // rows
    assert 1 - (1 - 0.9**rows) ** bands > 0.999
