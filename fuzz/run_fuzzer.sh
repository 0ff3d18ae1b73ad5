#!/usr/bin/env bash
# Runs one libFuzzer target for a number of seconds:
#   fuzz/run_fuzzer.sh BINARY SECONDS SCRATCH_CORPUS SEEDS REGRESSIONS [more libFuzzer flags]
# New inputs go to SCRATCH_CORPUS (created, kept between runs); SEEDS (fuzz/corpus/<target>) and REGRESSIONS
# (fuzz/regressions/<target>) are read, never written. A finding is written to SCRATCH_CORPUS/../../artifacts/<target>/
# and the script exits non-zero; to keep it, copy the file to fuzz/regressions/<target>/ (docs/security.md).
set -euo pipefail
binary=$1 seconds=$2 scratch=$3 seeds=$4 regressions=$5
shift 5
target=$(basename "$binary")
target=${target%_fuzz}
here=$(cd "$(dirname "$0")" && pwd)
artifacts="$(dirname "$(dirname "$scratch")")/artifacts/$target"
mkdir -p "$scratch" "$artifacts"
flags=(
  -max_total_time="$seconds"
  -timeout=25            # one input running 25 s is a finding (a hang); the slowest legitimate ones take ~1 s
  -rss_limit_mb=2048
  -malloc_limit_mb=1024  # one allocation above 1 GiB is a finding: limits must refuse absurd sizes before allocating
  -print_final_stats=1
  -artifact_prefix="$artifacts/"
)
if [ -f "$here/dictionaries/$target.dict" ]; then flags+=(-dict="$here/dictionaries/$target.dict"); fi
inputs=("$scratch" "$seeds")
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions" 2>/dev/null)" ]; then inputs+=("$regressions"); fi
exec "$binary" "${flags[@]}" "$@" "${inputs[@]}"
