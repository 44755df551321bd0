#!/bin/bash
# Runs docs/backbones.md's export recipes where PyTorch is installed (Debian: apt-get install python3-torch
# python3-torchvision) with random weights (no model hub offline), then the app's own steps on each network:
# `manifest` proposes it, `build` learns 5 good images, `inspect` scores two, `export` writes the ONNX graph.
# Usage: bash scripts/recipes/check.sh [GOOD_IMAGES_DIR] (default: 8 of ../shared/data/bottle/train/good)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
"$PY" -c 'import torch, torchvision' 2>/dev/null || { echo "skipped: PyTorch and torchvision are not installed for $PY"; exit 0; }
out=$(mktemp -d)
good=${1:-}
if [ -z "$good" ]; then
  src=${PATCHCORE_DATA:-../shared/data}/bottle/train/good
  [ -d "$src" ] || { echo "skipped: no good images (give a folder, or set PATCHCORE_DATA)"; exit 0; }
  good=$out/good; mkdir -p "$good"
  ls "$src" | head -8 | while read -r f; do ln -s "$(realpath "$src/$f")" "$good/$f"; done
fi
test_images=$(ls "$good"/* | head -2)
"$PY" scripts/recipes/torchvision_l2l3.py resnet18 "$out"
"$PY" scripts/recipes/torchvision_l2l3.py wide_resnet50_2 "$out"
"$PY" scripts/recipes/torchvision_vit_tokens.py "$out"
for net in resnet18_l2l3 wide_resnet50_2_l2l3 vit_b16_tokens; do
  echo "== $net"
  b=(--backbone-onnx "$out/$net.onnx" --backbone-manifest "$out/$net.json")
  npx patchcore-web manifest "$out/$net.onnx" --out "$out/$net.json"
  npx patchcore-web build "$good" --out "$out/$net.patchcore" "${b[@]}" | tail -2
  npx patchcore-web inspect "$out/$net.patchcore" $test_images "${b[@]}" | tail -1
  npx patchcore-web export "$out/$net.patchcore" --out "$out/$net-export" "${b[@]}" | tail -1
done
echo "all three recipes exported, proposed, built, inspected and exported (files in $out)"
