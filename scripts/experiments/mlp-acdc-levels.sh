#!/bin/bash
# Why ELSA × AC/DC on the MLP misses the bar at levels 3-5 (docs/results.md#mlp-acdc-long): for one seed, the
# level-gap probes at 24 epochs per phase, level 3 → 4 → 5, each level's prefix taken from the previous level's
# v0 checkpoint (--prefix-from, no retraining): v0 (ELSA), unfrozen (what freezing costs), then cycles-L3 and
# cycles-L4 (the level's network alone in ELSA's phase shape: the phase split). Resumable (results.jsonl).
#
#   scripts/experiments/mlp-acdc-levels.sh SEED [OUT]      one seed; run seeds 1, 2, 3 side by side (~50 min)
#   node --import tsx scripts/experiments/level-gap.ts --freezing --out OUT/L3     the freezing table of a level
set -euo pipefail
cd "$(dirname "$0")/../.."
S=${1:?usage: mlp-acdc-levels.sh SEED [OUT]}
D=${2:-runs/experiments/mlp-acdc-pp24}
B=(nice -n 5 node --import tsx scripts/experiments/level-gap.ts --sparsifier acdc --per-phase 24 --seeds "$S")
"${B[@]}" --level 3 --only v0,unfrozen --out "$D/L3"
"${B[@]}" --level 4 --prefix-from "$D/L3" --only v0,unfrozen --out "$D/L4"
"${B[@]}" --level 5 --prefix-from "$D/L4" --only v0,unfrozen --out "$D/L5"
"${B[@]}" --level 3 --only cycles-L3 --out "$D/L3"
"${B[@]}" --level 4 --only cycles-L4 --out "$D/L4"
