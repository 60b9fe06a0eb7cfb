#!/usr/bin/env bash
# Entry point on the GPU machine (no network):  bash tools/gpu_check/run.sh
# Installs the carried wheels in .gpu_wheels/ that this python lacks (into a private folder, no
# index, no dependencies resolved), then runs cuda_paths.py with --out "$OUT". Extra arguments go
# to cuda_paths.py (e.g. --timed 60). Exit status: cuda_paths.py's (1: a section failed).
set -uo pipefail
cd "$(dirname "$0")/../.."

PY=${PYTHON:-python3}
DEST=${OUT:-/tmp/gpu_check_out}
SITE=/tmp/gpu_check_site
mkdir -p "$DEST"

missing=()
for w in .gpu_wheels/*.whl; do
  [ -e "$w" ] || continue
  name=$(basename "$w" | cut -d- -f1)
  # only what is absent: never shadow a package the machine already has
  "$PY" -c 'import importlib.metadata as m, sys; m.version(sys.argv[1])' "$name" 2>/dev/null || missing+=("$w")
done
# one at a time: a wheel this python cannot take (another version's tag) stops only itself
installed=()
for w in "${missing[@]}"; do
  if "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$w"; then
    installed+=("${w##*/}")
  else
    echo "could not install $w; the sections that need it will say so" >&2
  fi
done
if [ ${#installed[@]} -gt 0 ]; then
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
  export GPU_CHECK_WHEELS="${installed[*]}"
fi

PYTHONUNBUFFERED=1 "$PY" tools/gpu_check/cuda_paths.py --out "$DEST" "$@" 2>&1 | tee "$DEST/stdout.txt"
exit "${PIPESTATUS[0]}"
