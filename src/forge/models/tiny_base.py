"""The tiny default base model `forge/tiny-llama`: a real Llama, shipped in the package.

No machine here reaches the Hugging Face Hub, and a base built on each machine came out
different on each (float rounding varies with CPU and threads), so the default base is built
once by `tools/tiny_base/build.py` from committed, licence-clean text (see tiny_corpus) and its
files ship in `forge/models/tiny_llama/`. `forge_base.json` there records the recipe and the
SHA-256 of every file; `ensure_base_model` checks them before handing the folder out, so a
damaged or edited copy fails with the file named instead of training something else.

Other recipes (tests use smaller, faster ones; FORGE_TINY_PRETRAIN_STEPS changes the steps) are
built from the same text on first use and cached under `<FORGE_HOME>/models/<name>-<hash>/`.
Any other ref (a Hub id, a local path) is returned unchanged and takes the same code path.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from forge.errors import ForgeError
from forge.models.chat_format import BOS_EOS, CHAT_TEMPLATE, IM_END, SPECIAL_TOKENS
from forge.progress import NULL_PROGRESS, Progress
from forge.settings import Settings

DEFAULT_BASE_MODEL = "forge/tiny-llama"
TINY_MODELS = {"forge/tiny-llama": "tiny-llama"}
PRETRAIN_STEPS_ENV = "FORGE_TINY_PRETRAIN_STEPS"
FORMAT_VERSION = 3  # bump when the build recipe changes in a way the config does not show
SHIPPED_DIR = Path(__file__).resolve().parent / "tiny_llama"
RECORD = "forge_base.json"
# Added tokens that must survive decoding with skip_special_tokens=True (tool-call parsing).
NON_SPECIAL = {"<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"}


@dataclass(frozen=True)
class TinyBaseConfig:
    vocab_size: int = 4096
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 352
    max_position_embeddings: int = 2048
    corpus_chars: int = 1_500_000
    chat_fraction: float = 0.3
    pretrain_steps: int = 1200
    pretrain_batch: int = 4
    pretrain_seq_len: int = 512
    pretrain_lr: float = 3e-3
    seed: int = 0

    def digest(self) -> str:
        key = json.dumps([asdict(self), FORMAT_VERSION], sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()[:12]


def tiny_config_from_env(config: TinyBaseConfig | None = None) -> TinyBaseConfig:
    """The default config, with FORGE_TINY_PRETRAIN_STEPS applied (tests build a faster base)."""
    config = config or TinyBaseConfig()
    steps = os.environ.get(PRETRAIN_STEPS_ENV)
    return replace(config, pretrain_steps=int(steps)) if steps else config


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_shipped(folder: Path = SHIPPED_DIR) -> dict:
    """The shipped base's record, after checking every file it lists against its SHA-256."""
    restore = "reinstall forge; in a checkout, `git checkout src/forge/models/tiny_llama` restores it"
    record_path = folder / RECORD
    if not record_path.is_file():
        raise ForgeError(f"the tiny base model is missing: no {RECORD} in {folder}", hint=restore)
    record = json.loads(record_path.read_text())
    for name, want in sorted(record["files"].items()):
        path = folder / name
        if not path.is_file():
            raise ForgeError(f"the tiny base model is incomplete: {path} is missing", hint=restore)
        got = sha256_of(path)
        if got != want:
            raise ForgeError(
                f"the tiny base model file {path} does not match its recorded SHA-256 "
                f"(recorded {want[:16]}…, found {got[:16]}…)",
                hint="the file was changed or damaged: " + restore + " (tools/tiny_base/build.py rebuilds it)",
            )
    return record


def base_identity(path: Path) -> str:
    """What names a tiny base's bytes: the shipped record's digest, or the built recipe's folder."""
    if path == SHIPPED_DIR:
        return "shipped-" + hashlib.sha256((path / RECORD).read_bytes()).hexdigest()[:12]
    return path.name


def ensure_base_model(
    ref: str | Path, settings: Settings, progress: Progress = NULL_PROGRESS, config: TinyBaseConfig | None = None
) -> Path | str:
    """Resolve a base model ref: the shipped tiny default (verified), a tiny recipe built and
    cached (an explicit config or FORGE_TINY_PRETRAIN_STEPS), anything else unchanged."""
    if str(ref) not in TINY_MODELS:
        return ref
    if config is None and not os.environ.get(PRETRAIN_STEPS_ENV):
        verify_shipped()
        return SHIPPED_DIR
    config = tiny_config_from_env(config)
    target = settings.models_cache / f"{TINY_MODELS[str(ref)]}-{config.digest()}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        build_tiny_base(staging, config, progress)
        (staging / "forge_base.json").write_text(
            json.dumps({"ref": str(ref), "config": asdict(config), "format_version": FORMAT_VERSION}, indent=2)
        )
        try:
            os.replace(staging, target)
        except OSError:  # another process finished the same build first: keep theirs
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def build_tiny_base(out: Path, config: TinyBaseConfig, progress: Progress = NULL_PROGRESS) -> None:
    """Train the tokenizer, create the model, pre-train it, save both into `out`."""
    from forge.models.tiny_corpus import pretraining_documents

    out.mkdir(parents=True, exist_ok=True)
    docs = pretraining_documents(config.corpus_chars, config.chat_fraction, config.seed)
    tokenizer = train_tokenizer(docs, config.vocab_size)
    model = make_model(config, tokenizer)
    stats = pretrain(model, tokenizer, docs, config, progress)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "pretrain_log.json").write_text(json.dumps(stats, indent=2))


def train_tokenizer(texts: list[str], vocab_size: int):
    """Byte-level BPE with the GPT-2 pre-tokeniser, ChatML specials, chat template attached."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = [t for t in SPECIAL_TOKENS if t not in NON_SPECIAL]
    plain = [t for t in SPECIAL_TOKENS if t in NON_SPECIAL]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(plain),
        min_frequency=2,
        show_progress=False,
        special_tokens=[AddedToken(t, special=True, normalized=False) for t in specials],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer)
    # The trainer marks every token it is given as special; tool-call tags are added after it
    # as plain added tokens (as Qwen2.5 does) so they survive skip_special_tokens decoding.
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in plain])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=BOS_EOS,
        model_max_length=2048,
        clean_up_tokenization_spaces=False,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def make_model(config: TinyBaseConfig, tokenizer):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(config.seed)
    eos = tokenizer.convert_tokens_to_ids(IM_END)
    pad = tokenizer.convert_tokens_to_ids(BOS_EOS)
    cfg = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_heads,
        max_position_embeddings=config.max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    model = LlamaForCausalLM(cfg)
    model.generation_config.eos_token_id = [eos, pad]
    model.generation_config.pad_token_id = pad
    model.generation_config.bos_token_id = None
    return model


def token_stream(tokenizer, docs: list[str]) -> list[int]:
    """All documents tokenised and joined, each followed by <|endoftext|>."""
    sep = tokenizer.convert_tokens_to_ids(BOS_EOS)
    ids: list[int] = []
    for enc in tokenizer(docs, add_special_tokens=False)["input_ids"]:
        ids.extend(enc)
        ids.append(sep)
    return ids


def pretrain(model, tokenizer, docs: list[str], config: TinyBaseConfig, progress: Progress = NULL_PROGRESS) -> dict:
    """Plain next-token training on random windows of the stream; returns a small log."""
    import math

    import torch

    stream = torch.tensor(token_stream(tokenizer, docs), dtype=torch.long)
    n, seq = len(stream), config.pretrain_seq_len
    gen = torch.Generator().manual_seed(config.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=config.pretrain_lr, weight_decay=0.01, betas=(0.9, 0.95))
    warmup = max(1, config.pretrain_steps // 10)

    def lr_at(step: int) -> float:  # linear warm-up, cosine decay to 10%
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, config.pretrain_steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    task = progress.task("base_model", total=config.pretrain_steps)
    model.train()
    losses: list[float] = []
    # A model this small gains nothing from intra-op threads (measured: same speed on 1 or 2),
    # and two threads slow down 10x or more when another process holds a core.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seconds = _pretrain_loop(model, stream, opt, sched, gen, config, task, losses)
    finally:
        torch.set_num_threads(threads)
    task.done()
    model.eval()
    tokens = config.pretrain_steps * config.pretrain_batch * seq
    return {
        "stream_tokens": n,
        "steps": config.pretrain_steps,
        "tokens_trained": tokens,
        "seconds": round(seconds, 2),
        "tokens_per_second": round(tokens / max(seconds, 1e-9)),
        "losses": losses,
    }


def _pretrain_loop(model, stream, opt, sched, gen, config: TinyBaseConfig, task, losses: list[float]) -> float:
    import torch

    n, seq = len(stream), config.pretrain_seq_len
    start = time.perf_counter()
    for _ in range(config.pretrain_steps):
        starts = torch.randint(0, n - seq - 1, (config.pretrain_batch,), generator=gen)
        batch = torch.stack([stream[s : s + seq] for s in starts.tolist()])
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(round(loss.item(), 4))
        task.advance(1, loss=losses[-1])
    return time.perf_counter() - start
