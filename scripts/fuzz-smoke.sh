#!/usr/bin/env bash
# The fuzz smoke (docs/fuzzing.md): builds every cargo-fuzz target in fuzz/ once and runs each for
# a few seconds, so CI notices a target that no longer builds or a parser that now panics on its
# seeds or on what a few seconds of fuzzing find. Prints one line per target,
#   PASS <target> <executions>     or     FAIL <target> <why>
# and exits non-zero if any failed. Long runs: docs/fuzzing.md.
#
# Works from a clean clone with only a Rust toolchain: cargo-fuzz (pinned) is installed into
# target/tools if it is missing; crates come from crates.io. The toolchain is stable, so
# RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass the sanitizer and coverage flags it needs.
#
# Environment: FUZZ_SECONDS (per target, default 5), FUZZ_TARGETS (space-separated subset),
# FUZZ_BUILD_ARGS (extra `cargo fuzz build` arguments).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=$ROOT/target/tools
CARGO_FUZZ_VERSION=0.13.2
SECONDS_EACH=${FUZZ_SECONDS:-5}
FUZZ=$ROOT/fuzz
TRIPLE=x86_64-unknown-linux-gnu

started=$(date +%s)
if ! "$TOOLS/bin/cargo-fuzz" --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "fuzz-smoke: installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS"
  cargo install --locked --quiet cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$TOOLS"
fi
export RUSTC_BOOTSTRAP=1

# The dev profile of fuzz/Cargo.toml (opt-level 1, debug assertions and overflow checks) with
# AddressSanitizer: about 60 % of the CPU time of cargo-fuzz's default release build, with targets
# nearly as fast — what a run of seconds needs. Long runs use the release build (docs/fuzzing.md).
cd "$FUZZ"
built=$(date +%s)
if ! "$TOOLS/bin/cargo-fuzz" build --dev ${FUZZ_BUILD_ARGS:-}; then
  echo "FAIL build: cargo fuzz build failed (see above)"
  exit 1
fi
echo "fuzz-smoke: built in $(( $(date +%s) - built )) s"

targets=${FUZZ_TARGETS:-$("$TOOLS/bin/cargo-fuzz" list)}
failed=0
for t in $targets; do
  bin=$FUZZ/target/$TRIPLE/debug/$t
  log=$FUZZ/artifacts/$t/smoke.log
  mkdir -p "$FUZZ/generated/$t" "$FUZZ/artifacts/$t"
  dict=()
  [ -f "$FUZZ/dict/$t.dict" ] && dict=("-dict=$FUZZ/dict/$t.dict")
  # Inputs found go to generated/ (git-ignored); the committed seeds in corpus/ are only read.
  if "$bin" -max_total_time="$SECONDS_EACH" -rss_limit_mb=1024 -malloc_limit_mb=1024 -timeout=10 -max_len=4096 \
      -print_final_stats=1 -artifact_prefix="$FUZZ/artifacts/$t/" "${dict[@]}" \
      "$FUZZ/generated/$t" "$FUZZ/corpus/$t" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    echo "PASS $t ${execs:-?}"
  else
    failed=$((failed + 1))
    why=$(grep -m 1 -E "^(==[0-9]+==ERROR|thread .* panicked|SUMMARY|ERROR)" "$log" || tail -n 1 "$log")
    echo "FAIL $t ${why} (log: ${log#"$ROOT"/}; crash input in fuzz/artifacts/$t/)"
  fi
done
echo "fuzz-smoke: $(( $(date +%s) - started )) s in all, $failed failed"
[ "$failed" -eq 0 ]
