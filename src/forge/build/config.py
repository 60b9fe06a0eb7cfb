"""BuildConfig: what the dataset build keeps, how it splits, and the default system prompts."""

from __future__ import annotations

from dataclasses import dataclass, field

# Claude Code and most CLI transcripts carry no system message; a model trained on them should
# still know which Gas Town role it plays, so the build adds one that names the role.
DEFAULT_SYSTEM_PROMPTS: dict[str, str] = {
    "mayor": (
        "You are the Gas Town mayor. You plan work for the town: break goals into beads "
        "with clear dependencies, sling them to polecats, and track convoys to completion."
    ),
    "polecat": (
        "You are a Gas Town polecat. You take one bead, do the work on its branch, keep "
        "the bead's status current with the bd CLI, run the hooks and tests, and never "
        "force-push."
    ),
    "witness": (
        "You are a Gas Town witness. You watch the polecats of a rig, report stuck or "
        "failing work, and nudge or escalate; you do not do the work yourself."
    ),
    "deacon": (
        "You are the Gas Town deacon. You keep the town healthy: run patrols, check the "
        "agents' heartbeats, and restart what is stuck without destroying work."
    ),
    "crew": (
        "You are a Gas Town crew member. You work on the rig with a human, follow the "
        "project's CLAUDE.md conventions, and track your work as beads."
    ),
}
UNLABELLED_POLICIES = ("drop", "include", "weighted", "successful_turns")
GENERIC_SYSTEM_PROMPT = (
    "You are a coding agent in a multi-agent setup. Follow the project's "
    "conventions and track your work with the bd CLI."
)


@dataclass
class BuildConfig:
    roles: list[str] = field(default_factory=list)  # keep only these agent roles (empty: all)
    tasks: list[str] = field(default_factory=list)  # keep only these task categories (empty: all)
    # curator: no SFT rows from beads (or role+task pools) with a lower success rate
    min_success: float = 0.0
    # sessions whose outcome stays unknown (see unlabelled.py): "drop" (no SFT rows),
    # "include" (whole sessions), "weighted" (whole sessions, row weight unlabelled_weight),
    # "successful_turns" (the session up to its last assistant turn whose tool results all
    # succeeded; earlier turns that failed carry weight 0)
    unlabelled: str = "successful_turns"
    unlabelled_weight: float = 0.5
    # labels less trusted than this count as unknown (outcome_confidence, ingest/outcome.py)
    min_outcome_confidence: float = 0.0
    eval_fraction: float = 0.2
    split_salt: str = "forge-split-v1"  # changing it reshuffles the split: keep it fixed
    dedupe: bool = True
    near_dup_threshold: float = 0.9  # estimated Jaccard similarity of word shingles
    shingle_words: int = 5
    minhash_permutations: int = 128
    max_messages: int | None = None  # truncate long sessions (always ending on an assistant turn)
    include_system_prompt: bool = True  # add the role's system prompt where a session has none
    system_prompts: dict[str, str] = field(default_factory=dict)  # per-role overrides
    dpo: bool = True
    # processes that fingerprint sessions for the dedupe; None: one per CPU. Output does not
    # depend on it (and the dataset id leaves it out)
    workers: int | None = None

    def problems(self) -> list[str]:
        out = []
        if not 0.0 <= self.min_success <= 1.0:
            out.append(f"'min_success': must be between 0 and 1, got {self.min_success}")
        if self.unlabelled not in UNLABELLED_POLICIES:
            out.append(f"'unlabelled': must be one of {', '.join(UNLABELLED_POLICIES)}, got {self.unlabelled!r}")
        if not 0.0 < self.unlabelled_weight <= 1.0:
            out.append(f"'unlabelled_weight': must be in (0, 1], got {self.unlabelled_weight}")
        if not 0.0 <= self.min_outcome_confidence <= 1.0:
            out.append(f"'min_outcome_confidence': must be between 0 and 1, got {self.min_outcome_confidence}")
        if not 0.0 <= self.eval_fraction < 1.0:
            out.append(f"'eval_fraction': must be in [0, 1), got {self.eval_fraction}")
        if not 0.0 < self.near_dup_threshold <= 1.0:
            out.append(f"'near_dup_threshold': must be in (0, 1], got {self.near_dup_threshold}")
        if self.shingle_words < 1:
            out.append(f"'shingle_words': must be at least 1, got {self.shingle_words}")
        if self.minhash_permutations < 16 or self.minhash_permutations % 8:
            out.append(f"'minhash_permutations': must be a multiple of 8, at least 16, got {self.minhash_permutations}")
        if self.max_messages is not None and self.max_messages < 2:
            out.append(f"'max_messages': must be at least 2, got {self.max_messages}")
        if self.workers is not None and self.workers < 1:
            out.append(f"'workers': must be at least 1, got {self.workers}")
        for role, prompt in self.system_prompts.items():
            if not isinstance(prompt, str) or not prompt.strip():
                out.append(f"'system_prompts.{role}': must be a non-empty string")
        return out

    def system_prompt_for(self, role: str | None) -> str:
        if role and role in self.system_prompts:
            return self.system_prompts[role]
        return DEFAULT_SYSTEM_PROMPTS.get(role or "", GENERIC_SYSTEM_PROMPT)
