from forge.build.dpo import make_pair, pair_attempts, prompt_cut, validate_pair
from forge.records import Conversation, Message, PreferencePair, SourceRef, ToolCall

SYSTEM = Message("system", "You are a Gas Town polecat.")


def attempt(
    cid: str,
    outcome: str,
    command: str,
    *,
    work_item: str | None = "gt-1",
    user: str = "Push the fix for gt-1",
    task: str = "git-workflow",
    shared_step: bool = True,
) -> Conversation:
    messages = [SYSTEM, Message("user", user)]
    if shared_step:  # both attempts look at the bead first, identically
        messages += [
            Message("assistant", "", tool_calls=[ToolCall(f"{cid}-0", "bd_show", {"id": "gt-1"})]),
            Message("tool", "gt-1: fix login", tool_call_id=f"{cid}-0", name="bd_show"),
        ]
    messages += [
        Message("assistant", "", tool_calls=[ToolCall(f"{cid}-1", "bash", {"command": command})]),
        Message("tool", "ok", tool_call_id=f"{cid}-1", name="bash"),
        Message("assistant", "Pushed."),
    ]
    return Conversation(
        id=cid,
        messages=messages,
        source=SourceRef("s.jsonl", 1),
        agent_role="polecat",
        task=task,
        outcome=outcome,
        work_item=work_item,
    )


def split_all_train(conv: Conversation) -> str:
    return "train"


def test_prompt_is_the_shared_prefix_up_to_the_divergence():
    good = attempt("good", "success", "git push origin fix")
    bad = attempt("bad", "failure", "git push --force origin fix")
    pair = make_pair(good, bad)
    assert isinstance(pair, PreferencePair)
    # system, user, the identical bd_show call and its result (ids differ, content does not)
    assert [m.role for m in pair.prompt] == ["system", "user", "assistant", "tool"]
    assert pair.prompt[-1].role == "tool"
    assert pair.chosen[0].tool_calls[0].arguments == {"command": "git push origin fix"}
    assert pair.rejected[0].tool_calls[0].arguments == {"command": "git push --force origin fix"}
    assert pair.chosen_id == "good" and pair.rejected_id == "bad"
    assert validate_pair(pair) is None


def test_prompt_never_ends_on_an_assistant_message():
    # identical up to and including an assistant call whose results then differ
    a = attempt("a", "success", "git push")
    b = attempt("b", "failure", "git push")
    b.messages[5] = Message("tool", "rejected: hook failed", tool_call_id="b-1", name="bash")
    cut = prompt_cut(a.messages, b.messages)
    assert a.messages[cut - 1].role in ("user", "tool")
    pair = make_pair(a, b)
    assert isinstance(pair, PreferencePair)
    assert pair.chosen[0].role == pair.rejected[0].role == "assistant"


def test_rejects_are_named():
    same = attempt("x", "success", "git push")
    twin = attempt("y", "failure", "git push")
    assert make_pair(same, twin) == "identical"
    other_prompt = attempt("z", "failure", "git push -f", user="Something else entirely")
    assert make_pair(same, other_prompt) == "no_shared_prompt"
    assert (
        validate_pair(
            PreferencePair(prompt=[SYSTEM, Message("user", "u")], chosen=[], rejected=[Message("assistant", "no")])
        )
        == "empty_chosen"
    )
    assert (
        validate_pair(
            PreferencePair(
                prompt=[SYSTEM, Message("user", "u")],
                chosen=[Message("user", "x")],
                rejected=[Message("assistant", "no")],
            )
        )
        == "chosen_not_assistant"
    )
    assert (
        validate_pair(
            PreferencePair(
                prompt=[SYSTEM, Message("user", "u"), Message("assistant", "a")],
                chosen=[Message("assistant", "b")],
                rejected=[Message("assistant", "c")],
            )
        )
        == "prompt_end"
    )


def test_pairs_same_bead_first_then_same_role_and_task():
    ok_1 = attempt("ok-1", "success", "git push origin a", work_item="gt-1")
    bad_1 = attempt("bad-1", "failure", "git push -f origin a", work_item="gt-1")
    # gt-2 has no success; same role/task and the same opening prompt: paired with ok-1
    bad_2 = attempt("bad-2", "failure", "git push -f origin b", work_item="gt-2")
    # gt-3's prompt differs from every success's: cannot be paired
    bad_3 = attempt("bad-3", "failure", "git push -f", work_item="gt-3", user="Rebase gt-3")
    # a different task with no success at all
    bad_4 = attempt("bad-4", "failure", "bd close", work_item="gt-4", task="bead-creation")
    pairs, rejected = pair_attempts([ok_1], [bad_1, bad_2, bad_3, bad_4], split_all_train)
    assert [(p.pair.chosen_id, p.pair.rejected_id, p.match) for p in pairs] == [
        ("ok-1", "bad-1", "work_item"),
        ("ok-1", "bad-2", "role_task"),
    ]
    assert pairs[0].work_item == "gt-1" and pairs[1].work_item is None
    assert rejected == {"no_shared_prompt": 1, "no_success": 1}


def test_fallback_pairs_stay_within_a_split():
    ok = attempt("ok", "success", "git push origin a", work_item="gt-1")
    bad = attempt("bad", "failure", "git push -f", work_item="gt-2")
    splits = {"gt-1": "train", "gt-2": "eval"}
    pairs, rejected = pair_attempts([ok], [bad], lambda c: splits[c.work_item])
    assert pairs == [] and rejected == {"no_success": 1}


def test_the_success_sharing_the_longest_prefix_is_chosen():
    short = attempt("short", "success", "git push", shared_step=False)
    long = attempt("long", "success", "git push origin main")
    bad = attempt("bad", "failure", "git push --force")
    pairs, _ = pair_attempts([short, long], [bad], split_all_train)
    assert pairs[0].pair.chosen_id == "long"
    assert len(pairs[0].pair.prompt) == 4
