from forge.build.split import EVAL, TRAIN, split_key, split_of
from forge.records import Conversation, Message, SourceRef


def conv(cid: str, work_item: str | None = None) -> Conversation:
    return Conversation(
        id=cid,
        messages=[Message("user", "hi"), Message("assistant", "hello")],
        source=SourceRef("s.jsonl", 1),
        work_item=work_item,
    )


def test_same_key_same_split_and_roughly_the_asked_fraction():
    keys = [f"gt-{i:04d}" for i in range(2000)]
    first = [split_of(k, 0.2, "salt") for k in keys]
    assert first == [split_of(k, 0.2, "salt") for k in keys]
    share = first.count(EVAL) / len(keys)
    assert 0.15 < share < 0.25


def test_adding_rows_never_moves_old_ones():
    old = {f"gt-{i}": split_of(f"gt-{i}", 0.2, "s") for i in range(300)}
    # a bigger corpus: the split of each old key is computed the same way, independent of the rest
    new = {f"gt-{i}": split_of(f"gt-{i}", 0.2, "s") for i in range(1000)}
    assert all(new[k] == v for k, v in old.items())


def test_all_attempts_at_a_bead_land_together():
    attempts = [conv(f"session-{i}", work_item="gt-42") for i in range(20)]
    splits = {split_of(split_key(c), 0.5, "s") for c in attempts}
    assert len(splits) == 1
    # without a bead each session is its own key, so with a 50% split they spread out
    loose = {split_of(split_key(conv(f"session-{i}")), 0.5, "s") for i in range(20)}
    assert loose == {TRAIN, EVAL}


def test_salt_changes_the_split_and_fraction_zero_keeps_all_in_train():
    keys = [f"k{i}" for i in range(200)]
    assert [split_of(k, 0.5, "a") for k in keys] != [split_of(k, 0.5, "b") for k in keys]
    assert {split_of(k, 0.0, "a") for k in keys} == {TRAIN}
