#!/usr/bin/env bash
# Fill .gpu_wheels/ (git-ignored) with the pure-Python wheels the GPU machine lacks; it has no
# network, so they travel with the working tree (name .gpu_wheels in the run's carry list).
#
# Forge's training path needs nothing beyond torch, transformers, peft, accelerate, tokenizers and
# safetensors, which that machine has. These are for the TRL baseline only (trl_* sections):
#   trl, datasets (trl needs it), dill and multiprocess (datasets needs them).
# pyarrow, pandas, xxhash, fsspec, psutil, accelerate are already there (binary wheels stay home).
# bitsandbytes (QLoRA) and vllm are large binary CUDA wheels: not carried; their sections say
# "skipped: ... absent".
#
#     bash tools/gpu_check/download_wheels.sh        # PYVER=3.12: the device's python3 (3.12.3)
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PYTHON:-.venv/bin/python}
PYVER=${PYVER:-3.12}
DEST=.gpu_wheels
# pinned as in pyproject.toml; dill/multiprocess within datasets' bounds (dill<0.4.2, multiprocess<0.70.20)
WHEELS=(trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19)

mkdir -p "$DEST"
"$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --python-version "$PYVER" -d "$DEST" "${WHEELS[@]}"

# pure Python only: anything built for a platform would not be what we mean to carry
for w in "$DEST"/*.whl; do
  case "$w" in
    *-none-any.whl) ;;
    *) echo "not a pure-Python wheel, removing: $w" >&2; rm -f "$w" ;;
  esac
done
ls -l "$DEST"
du -sh "$DEST"
