#!/usr/bin/env bash
# Regenerate requirements/lock.txt from requirements/in.txt with uv (`uv pip compile`).
# uv is installed into a throwaway venv under /tmp; nothing in the project's env is touched.
#
# Why --find-links /opt/wheels: that folder holds this machine's torch-2.13.0+cpu wheel.
# Resolving against its metadata keeps the lock CPU-only; the index's plain torch 2.13.0
# is the CUDA build whose metadata pulls nvidia-*, cuda-toolkit and triton.
# --emit-find-links writes that --find-links line into lock.txt, so plain pip finds the wheel.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
TOOL=/tmp/locktool
if [ ! -x "$TOOL/bin/uv" ] || [ "$("$TOOL/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    python3 -m venv "$TOOL"
    "$TOOL/bin/pip" install --quiet "uv==$UV_VERSION"
fi

"$TOOL/bin/uv" pip compile requirements/in.txt \
    --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --find-links /opt/wheels --emit-find-links \
    --upgrade \
    -o requirements/lock.txt

# Guard: the lock must stay CPU-only and torchvision-free.
if grep -Eiq '^(nvidia-|cuda-|triton|torchvision)' requirements/lock.txt; then
    echo "refresh.sh: lock pulled CUDA/torchvision packages; is /opt/wheels/torch-*+cpu there?" >&2
    exit 1
fi
grep -q '^torch==2\.13\.0' requirements/lock.txt || { echo "refresh.sh: torch is not 2.13.0" >&2; exit 1; }
