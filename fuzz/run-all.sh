#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS each (default 600), starting from the committed
# seeds (corpus/<target>/seed-*) plus whatever the corpus folder already holds, and prints the
# last libFuzzer status line (execs, cov:, ft:) of each. Crashes land in artifacts/<target>/.
#
# Usage: fuzz/run-all.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and, on stable Rust,
# RUSTC_BOOTSTRAP=1 (set here) for the nightly-only sanitizer flags.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-600}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(wim_read xpress_decode xpress_roundtrip answer_roundtrip provxml ddf profile_toml cert_pfx validate_answer)
fi
export RUSTC_BOOTSTRAP=1
cd "$here"
cargo fuzz build -a || exit 2
status=0
mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="logs/$t.log"
  cargo fuzz run -a "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -max_len=1048576 -timeout=10 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  last="$(grep -E '^#[0-9]+' "$log" | tail -n1)"
  execs="$(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}')"
  printf '%-18s rc=%s execs=%s %s\n' "$t" "$rc" "${execs:-?}" "$last"
  if [[ $rc -ne 0 ]]; then
    status=1
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -n 5
  fi
done
exit $status
