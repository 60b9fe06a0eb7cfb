"""A PEFT LoRA adapter as a GGUF LoRA adapter, for llama.cpp to stack on the GGUF of the model
it was trained on (llama_adapter_lora_init; set per request with llama_set_adapters_lora).

The layout is what llama.cpp's convert_lora_to_gguf.py writes: `general.type = adapter`,
`adapter.type = lora`, `adapter.lora.alpha`, and per wrapped projection two tensors named
after the base tensor — `blk.N.attn_q.weight.lora_a` (A: rank × in) and `.lora_b` (B: out ×
rank). llama.cpp scales B·A by alpha / rank, as PEFT does (rsLoRA's alpha / √rank is folded
into alpha). Llama's q/k rows are permuted like the base weights (gguf_writer.permute_rope).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from forge.errors import InputError
from forge.export.gguf_writer import ARCHITECTURES, ModelFacts, permute_rope

_PEFT_NAME = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.default)?\.weight$")


def write_gguf_lora(adapter_dir: Path, base_model_dir: Path, out_path: Path) -> dict[str, Any]:
    """Convert the PEFT adapter in `adapter_dir` (trained on `base_model_dir`) to `out_path`."""
    import gguf
    import numpy as np
    from safetensors import safe_open

    adapter_dir, config_path = Path(adapter_dir), Path(adapter_dir) / "adapter_config.json"
    if not config_path.is_file():
        raise InputError("not a PEFT adapter (no adapter_config.json)", path=str(adapter_dir))
    cfg = json.loads(config_path.read_text())
    if cfg.get("peft_type", "LORA") != "LORA" or cfg.get("modules_to_save"):
        raise InputError("only plain LoRA adapters convert to GGUF LoRA", path=str(config_path))
    rank, alpha = int(cfg["r"]), float(cfg.get("lora_alpha", cfg["r"]))
    if cfg.get("rank_pattern") or cfg.get("alpha_pattern"):
        raise InputError("per-module ranks or alphas do not convert to GGUF LoRA", path=str(config_path))
    if cfg.get("use_rslora"):
        alpha *= math.sqrt(rank)  # PEFT scales by alpha/√r; llama.cpp by alpha'/r
    facts = ModelFacts.read(Path(base_model_dir))
    arch = getattr(gguf.MODEL_ARCH, ARCHITECTURES[facts.arch])
    names = gguf.get_tensor_name_map(arch, facts.n_layers)
    writer = gguf.GGUFWriter(str(out_path), gguf.MODEL_ARCH_NAMES[arch])
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    files = sorted(adapter_dir.glob("*.safetensors"))
    if not files:
        raise InputError("no .safetensors weights in the adapter directory", path=str(adapter_dir))
    count = 0
    for file in files:
        with safe_open(str(file), framework="pt") as f:
            for key in sorted(f.keys()):
                m = _PEFT_NAME.match(key)
                if not m:
                    raise InputError(f"tensor {key!r} is not a LoRA factor", path=str(file))
                hf_name = m["module"] + ".weight"
                gname = names.get_name(hf_name, try_suffixes=(".weight",))
                if gname is None:
                    raise InputError(f"LoRA on {hf_name!r} has no GGUF tensor for {facts.arch}", path=str(file))
                data = f.get_tensor(key).float().numpy()
                if m["ab"] == "B" and facts.arch == "llama" and hf_name.endswith("q_proj.weight"):
                    data = permute_rope(data, facts.n_head)
                elif m["ab"] == "B" and facts.arch == "llama" and hf_name.endswith("k_proj.weight"):
                    data = permute_rope(data, facts.n_head_kv)
                writer.add_tensor(f"{gname}.lora_{m['ab'].lower()}", np.ascontiguousarray(data, dtype=np.float32))
                count += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"arch": facts.arch, "rank": rank, "alpha": alpha, "tensors": count}
