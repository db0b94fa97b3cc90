#!/usr/bin/env bash
# Budgets, measured side by side (not a test tier: numbers, not pass/fail). Builds Amo Connect
# and an empty Tauri app of the same Tauri version and release profile (tests/bench/empty-app,
# a workspace member, so the same lockfile), then, in one run on one machine, under Xvfb with a
# private D-Bus and an unlocked keyring (scripts/with-keyring.sh):
#
#   launch → first paint   median of BENCH_RUNS launches: from exec until the window shows more
#                          than one colour (index.html's static shell: the header), and, printed
#                          beside it without a target, until the tab strip is drawn (the app
#                          mounted), both against the empty app's first paint
#   idle memory            PSS of every process of the app (WebKit's web and network processes
#                          included), 10 s after start
#   idle CPU               user+system CPU seconds of those processes from 10 s to 40 s
#
# as ratios to the empty app, plus the gzipped JS and CSS of the UI, the .deb size and the CLI's
# `status --json` latency (median of 20, beside `--version`, the bare process start), and the
# highest requests per second and the 429s a 7 requests/s simulator saw from (a) the window's
# worker and three CLI processes on one data directory, (b) three data directories on one account. Targets
# (issue 13 §11): launch ≤ 1.15×, memory ≤ 1.15×, initial JS ≤ 45 kB gzipped (issue 23; the other tabs load when first opened), .deb ≤ 6 MiB, idle CPU ≈ 0.
#
# The copy of the account's people (docs/people-copy.md), by crates/amo-core/examples/people_bench.rs
# in release mode against a simulator at amoCRM's real 7 requests/s, each beside a baseline of the
# same run:
#   first sync of 50 000 contacts   pages per second against the rate the app's limiter grants
#                                   answers that take no time (amocrm::limiter: 5 in any 1.1 s,
#                                   in front of amocrm::budget's 6 in any 1.2 s: ≈ 4.55/s) —
#                                   target ≥ 0.85×; the 429s the simulator answered — target 0
#   lookup from the copy            p95 of an offline find by phone in-process (500 random seeded
#                                   numbers) at 50 000 contacts, beside the same at 1 000 — target
#                                   ≤ 50 ms; `contact find NUMBER --offline` as a whole process
#                                   (median of 20) beside `--version`
#   disk                            the SQLite file after the sync minus a freshly opened empty
#                                   database — target ≤ 60 MiB
#
#   scripts/bench.sh            build, measure, print; the table also goes to artifacts/bench/
#   BENCH_RUNS=9 scripts/bench.sh
#   BENCH_ONLY=people scripts/bench.sh   only the people copy (builds the binary, no window; ~2 min)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${AMO_ARTIFACTS:-$ROOT/artifacts}/bench
RUNS=${BENCH_RUNS:-5}
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}

# ------------------------------------------------------------------ inside Xvfb + keyring
if [ "${1:-}" = "--measure" ]; then
  APP=$2 EMPTY=$3
  export NO_AT_BRIDGE=1 AMO_CONNECT_LANG=en
  TICKS=$(getconf CLK_TCK)

  # The process and everything it started (WebKit's processes are the app's children).
  tree_pids() {
    local all=" $1 " added=1
    while [ $added = 1 ]; do
      added=0
      while read -r pid ppid; do
        if [[ "$all" == *" $ppid "* && "$all" != *" $pid "* ]]; then all+="$pid "; added=1; fi
      done < <(ps -e -o pid=,ppid=)
    done
    echo "$all"
  }
  pss_kib() {
    local sum=0 p v
    for p in $(tree_pids "$1"); do
      v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
      sum=$((sum + ${v:-0}))
    done
    echo "$sum"
  }
  cpu_ticks() {
    local sum=0 p
    for p in $(tree_pids "$1"); do
      # utime and stime: fields 14 and 15, counted after the ") " that ends the command name.
      sum=$((sum + $(sed -E 's/^.*\) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
    done
    echo "$sum"
  }
  now_ms() { date +%s%3N; }

  # Starts BIN with a fresh data directory; prints "pid".
  start() {
    local bin=$1 data
    data=$(mktemp -d)
    AMO_CONNECT_DATA_DIR=$data XDG_DATA_HOME=$data "$bin" >/dev/null 2>&1 &
    echo $!
  }
  stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null || true; sleep 0.5; }

  # "PAINT UI": milliseconds from exec until the window named TITLE shows more than one colour
  # (first paint), and until its tab strip is drawn (the Svelte app mounted; index.html's static
  # shell has the header but no tabs). For the empty app, whose page is static, both are equal.
  colourful() { # IMAGE-ON-STDIN [CROP]
    local sd
    sd=$(convert png:- ${1:+-crop "$1" +repage} -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)
    awk -v s="$sd" 'BEGIN { exit !(s > 0.01) }'
  }
  first_paint_ms() {
    local bin=$1 title=$2 crop=${3:-} t0 pid wid shot paint=""
    t0=$(now_ms)
    pid=$(start "$bin")
    wid=$(timeout 30 xdotool search --sync --onlyvisible --name "^$title\$" | head -n 1) || { stop "$pid"; echo "nan nan"; return; }
    shot=$(mktemp)
    while :; do
      import -silent -window "$wid" png:"$shot" 2>/dev/null || true
      if [ -z "$paint" ] && colourful <"$shot"; then paint=$(( $(now_ms) - t0 )); fi
      if [ -n "$paint" ] && { [ -z "$crop" ] || colourful "$crop" <"$shot"; }; then break; fi
      if [ $(( $(now_ms) - t0 )) -gt 30000 ]; then stop "$pid"; rm -f "$shot"; echo "nan nan"; return; fi
    done
    rm -f "$shot"
    echo "$paint $(( $(now_ms) - t0 ))"
    stop "$pid"
  }
  median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

  # Launches alternate between the two apps so drift on the machine hits both alike.
  # The app's tab strip, in its 960×700 window (the header's nav: the line under the title).
  TABS=620x30+60+54
  : >"$OUT/paint-empty" ; : >"$OUT/paint-app" ; : >"$OUT/ui-app"
  first_paint_ms "$EMPTY" "Empty Tauri App" >/dev/null # warm the page cache for both
  first_paint_ms "$APP" "Amo Connect" "$TABS" >/dev/null
  for _ in $(seq "$RUNS"); do
    first_paint_ms "$EMPTY" "Empty Tauri App" | cut -d' ' -f1 >>"$OUT/paint-empty"
    read -r paint ui < <(first_paint_ms "$APP" "Amo Connect" "$TABS")
    echo "$paint" >>"$OUT/paint-app"
    echo "$ui" >>"$OUT/ui-app"
  done
  echo "paint_empty=$(median <"$OUT/paint-empty")"
  echo "paint_app=$(median <"$OUT/paint-app")"
  echo "ui_app=$(median <"$OUT/ui-app")"

  # The app draws without WebKit's compositor on Linux (src-tauri/src/main.rs); the empty app
  # given the same setting (empty_nc, memory only) is the like-for-like line beside the plain one.
  # One app at a time: PSS splits the pages two processes share.
  for which in empty empty_nc app; do
    bin=$EMPTY; [ $which = app ] && bin=$APP
    if [ $which = empty_nc ]; then pid=$(WEBKIT_DISABLE_COMPOSITING_MODE=1 start "$bin"); else pid=$(start "$bin"); fi
    sleep 10
    echo "pss_$which=$(pss_kib "$pid")"
    if [ $which = empty_nc ]; then stop "$pid"; continue; fi
    c0=$(cpu_ticks "$pid")
    sleep 30
    c1=$(cpu_ticks "$pid")
    echo "cpu_$which=$(awk -v a="$c0" -v b="$c1" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')"
    stop "$pid"
  done

  data=$(mktemp -d)
  for cmd in "status --json" "--version"; do
    : >"$OUT/cli"
    for _ in $(seq 20); do
      t0=$(date +%s%N)
      # shellcheck disable=SC2086
      AMO_CONNECT_DATA_DIR=$data "$APP" $cmd >/dev/null 2>&1 || true
      echo $(( ($(date +%s%N) - t0) / 1000 )) >>"$OUT/cli"
    done
    key=status; [ "$cmd" = "--version" ] && key=version
    echo "cli_${key}_us=$(median <"$OUT/cli")"
  done
  exit 0
fi

# ------------------------------------------------------------------ the caller's card, in Xvfb
# `--measure-card APP DATA`: DATA holds a connected account's 50 000-contact copy (no tokens:
# the lookup answers offline, from the copy). Prints card_ms (from exec of `amo-connect new
# --phone N` until the window changes: the card drawn), switch_ms (the same for `amo-connect new`,
# the tab switch alone: the baseline), and the idle PSS of the app with the copy beside an empty
# data directory.
if [ "${1:-}" = "--measure-card" ]; then
  APP=$2 DATA=$3
  export NO_AT_BRIDGE=1 AMO_CONNECT_LANG=en
  tree_pss() {
    local all=" $1 " added=1 sum=0 p v
    while [ $added = 1 ]; do
      added=0
      while read -r pid ppid; do
        if [[ "$all" == *" $ppid "* && "$all" != *" $pid "* ]]; then all+="$pid "; added=1; fi
      done < <(ps -e -o pid=,ppid=)
    done
    for p in $all; do
      v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
      sum=$((sum + ${v:-0}))
    done
    echo "$sum"
  }
  now_ms() { date +%s%3N; }
  median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
  # Until the window differs from SHOT (ms since T0), or "nan" after 10 s.
  changed_after() {
    local wid=$1 before=$2 t0=$3 now
    now=$(mktemp)
    while :; do
      import -silent -window "$wid" png:"$now" 2>/dev/null || true
      if ! compare -metric AE "$before" "$now" null: 2>/dev/null; then echo $(( $(now_ms) - t0 )); break; fi
      if [ $(( $(now_ms) - t0 )) -gt 10000 ]; then echo nan; break; fi
    done
    rm -f "$now"
  }
  # One run: the app on DATA (a fresh copy of it), settled on its first screen; then ARGS.
  one() {
    local dir pid wid before t0
    dir=$(mktemp -d)
    cp "$DATA"/* "$dir"/
    AMO_CONNECT_DATA_DIR=$dir "$APP" >/dev/null 2>&1 &
    pid=$!
    wid=$(timeout 30 xdotool search --sync --onlyvisible --name '^Amo Connect$' | head -n 1)
    sleep 3
    before=$(mktemp)
    import -silent -window "$wid" png:"$before"
    t0=$(now_ms)
    AMO_CONNECT_DATA_DIR=$dir "$APP" "$@" >/dev/null 2>&1 || true
    changed_after "$wid" "$before" "$t0"
    rm -f "$before"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
  }
  : >"$OUT/card"; : >"$OUT/switch"
  for _ in $(seq "${BENCH_RUNS:-5}"); do
    one new --phone "+7 916 555-01-10" >>"$OUT/card"
    one new >>"$OUT/switch"
  done
  echo "card_ms=$(median <"$OUT/card")"
  echo "switch_ms=$(median <"$OUT/switch")"
  for which in empty copy; do
    dir=$(mktemp -d)
    [ $which = copy ] && cp "$DATA"/* "$dir"/
    AMO_CONNECT_DATA_DIR=$dir "$APP" >/dev/null 2>&1 &
    pid=$!
    sleep 10
    echo "pss_${which}_kib=$(tree_pss "$pid")"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
  done
  exit 0
fi

# ------------------------------------------------------------------ shared by both modes
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a == a + 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v max="$2" 'BEGIN { if (v == "n/a") print "?"; else print (v + 0 <= max + 0 ? "ok" : "OVER") }'; }
at_least() { awk -v v="$1" -v min="$2" 'BEGIN { if (v == "n/a") print "?"; else print (v + 0 >= min + 0 ? "ok" : "UNDER") }'; }
mib() { awk -v b="$1" 'BEGIN { if (b == b + 0 && b != "") printf "%.1f", b / 1048576; else print "n/a" }'; }
row() { printf '%-28s %12s %12s %8s %10s %s\n' "$@"; }

# The copy of the account's people: crates/amo-core/examples/people_bench.rs prints key=value
# lines (people_*); the CLI it times is $1.
people_measure() {
  echo "==> the copy of the account's people: 50 000 contacts against a 7 requests/s simulator (~1.5 min)"
  rm -rf "$OUT/people-copy"
  if cargo run --release -q -p amo-core --example people_bench -- --cli "$1" --keep "$OUT/people-copy" \
    >"$OUT/people.env" 2>"$OUT/people.err"; then
    # shellcheck disable=SC1091
    . "$OUT/people.env"
    echo "==> the caller's card and idle memory with the copy, in Xvfb"
    if xvfb-run -a -s "-screen 0 1280x800x24" "$ROOT/scripts/with-keyring.sh" \
      env OUT="$OUT" bash "$ROOT/scripts/bench.sh" --measure-card "$1" "$OUT/people-copy" >"$OUT/card.env" 2>"$OUT/card.err"; then
      # shellcheck disable=SC1091
      . "$OUT/card.env"
    else
      tail -n 20 "$OUT/card.err"
    fi
  else
    tail -n 20 "$OUT/people.err"
    echo "people: the bench failed (log: $OUT/people.err)"
  fi
}
people_rows() {
  if [ -z "${people_sync_pps:-}" ]; then
    echo "people copy: not measured (the bench failed, see $OUT/people.err)"
    return
  fi
  local r_sync r_budget r_lookup delta
  r_sync=$(ratio "$people_sync_pps" "$people_ceiling_rps")
  r_budget=$(ratio "$people_sync_pps" 5)
  r_lookup=$(ratio "$people_lookup_p95_ms" "$people_lookup_small_p95_ms")
  delta=$((people_db_bytes - people_db_empty_bytes))
  row "people copy, $people_contacts contacts" "baseline" "measured" ratio target ""
  row "first sync, pages/s" "$people_ceiling_rps" "$people_sync_pps" "$r_sync" ">= 0.85x" \
    "$(at_least "$r_sync" 0.85) (baseline: the limiter's own rate; $people_sync_pages pages in $people_sync_s s; ${r_budget}x the budget's 6/1.2 s)"
  row "first sync, 429s" "" "$people_sync_429s" "" "0" \
    "$(verdict "$people_sync_429s" 0) (highest second at the simulator: $people_sync_max_second of 7)"
  row "lookup in copy p95, ms" "$people_lookup_small_p95_ms" "$people_lookup_p95_ms" "$r_lookup" "<= 50" \
    "$(verdict "$people_lookup_p95_ms" 50) (baseline: a copy of 1 000; p50 $people_lookup_p50_ms ms; $people_lookups lookups)"
  if [ -n "${people_cli_find_ms:-}" ]; then
    row "CLI contact find --offline" "$people_cli_version_ms" "$people_cli_find_ms" \
      "$(ratio "$people_cli_find_ms" "$people_cli_version_ms")" "" "(ms, median of 20; baseline: --version)"
  fi
  if [ -n "${card_ms:-}" ]; then
    local own
    own=$(awk -v a="$card_ms" -v b="$switch_ms" 'BEGIN { if (a == a + 0 && b == b + 0) print a - b; else print "n/a" }')
    row "caller's card drawn, ms" "$switch_ms" "$card_ms" "$(ratio "$card_ms" "$switch_ms")" "+<= 100" \
      "$(verdict "$own" 100) (from exec of new --phone; baseline: new alone, the tab switch; the card's own ${own} ms)"
    row "idle memory with copy, MiB" "$((pss_empty_kib / 1024))" "$((pss_copy_kib / 1024))" \
      "$(ratio "$pss_copy_kib" "$pss_empty_kib")" "<= 1.15x" "$(verdict "$(ratio "$pss_copy_kib" "$pss_empty_kib")" 1.15) (baseline: the app on an empty data directory)"
  fi
  row "copy on disk, MiB" "$(mib "$people_db_empty_bytes")" "$(mib "$delta")" "" "<= 60" \
    "$(verdict "$(mib "$delta")" 60) (baseline: an empty database; the file $(mib "$people_db_bytes") MiB, the copy's own estimate $(mib "$people_copy_estimate_bytes") MiB)"
}

if [ "${BENCH_ONLY:-}" = people ]; then
  mkdir -p "$OUT"
  echo "==> building amo-connect (release profile)"
  cargo build --release -p amo-connect --features tauri/custom-protocol >"$OUT/build.log" 2>&1 ||
    { tail -n 30 "$OUT/build.log"; exit 1; }
  people_measure "$ROOT/target/release/amo-connect"
  {
    echo "Amo Connect: the copy of the account's people, $(date -u +%Y-%m-%d), $(nproc) cores"
    people_rows
  } | tee "$OUT/people.txt"
  exit 0
fi

# ------------------------------------------------------------------ build both, same profile
mkdir -p "$OUT"
echo "==> building Amo Connect (.deb) and the empty Tauri app (release profile)"
ui/node_modules/.bin/tauri build --ci --bundles deb >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log"; exit 1; }
cargo build --release -p amo-bench-empty --features tauri/custom-protocol >>"$OUT/build.log" 2>&1 ||
  { tail -n 30 "$OUT/build.log"; exit 1; }
APP=$ROOT/target/release/amo-connect
EMPTY=$ROOT/target/release/amo-bench-empty
VERSION=$(node -p 'require("./src-tauri/tauri.conf.json").version')
DEB="$ROOT/target/release/bundle/deb/Amo Connect_${VERSION}_amd64.deb"
# The size a user downloads: the .deb as the release ships it (xz, docs/packaging.md).
bash "$ROOT/scripts/finish-deb.sh" "$DEB"

echo "==> measuring ($RUNS launches each, then 40 s idle each)"
xvfb-run -a -s "-screen 0 1280x800x24" "$ROOT/scripts/with-keyring.sh" \
  env OUT="$OUT" bash "$ROOT/scripts/bench.sh" --measure "$APP" "$EMPTY" >"$OUT/measure.env" 2>"$OUT/measure.err" ||
  { cat "$OUT/measure.err"; exit 1; }
# shellcheck disable=SC1091
. "$OUT/measure.env"

echo "==> the shared request budget: processes and desks against a 7 requests/s simulator"
# crates/amo-core/tests/limiter_processes.rs prints the highest second and the 429s it saw (after
# the test's name on the same line: libtest prints "test NAME ... " before the test's output).
limiter=$(cargo test --release -p amo-core --test limiter_processes -- --nocapture --test-threads=1 2>&1 |
  grep -o 'limiter (.*' || echo "limiter: the test failed (run it to see why)")

people_measure "$APP"

gz_sum() {
  local sum=0 f
  for f in ui/dist/assets/*."$1"; do [ -f "$f" ] && sum=$((sum + $(gzip -9 -c "$f" | wc -c))); done
  echo "$sum"
}
read -r js js_all <<<"$(node scripts/ui-js-size.mjs ui/dist | sed -E 's/initial=([0-9]+) all=([0-9]+).*/\1 \2/')"
css=$(gz_sum css)
deb=$(stat -c %s "$DEB")
bin_app=$(stat -c %s "$APP")
bin_empty=$(stat -c %s "$EMPTY")

r_paint=$(ratio "$paint_app" "$paint_empty")
r_ui=$(ratio "$ui_app" "$paint_empty")
r_pss=$(ratio "$pss_app" "$pss_empty")
deb_mib=$(awk -v b="$deb" 'BEGIN { printf "%.2f", b / 1048576 }')
js_kb=$(awk -v b="$js" 'BEGIN { printf "%.1f", b / 1000 }')
{
  echo "Amo Connect $VERSION vs an empty Tauri app, $(date -u +%Y-%m-%d), $(nproc) cores, $RUNS launches"
  printf '%-28s %12s %12s %8s %10s %s\n' metric "empty app" "amo-connect" ratio target ""
  printf '%-28s %12s %12s %8s %10s %s\n' "launch to first paint, ms" "$paint_empty" "$paint_app" "$r_paint" "<= 1.15x" "$(verdict "$r_paint" 1.15)"
  printf '%-28s %12s %12s %8s %10s %s\n' "launch to tabs drawn, ms" "$paint_empty" "$ui_app" "$r_ui" "" "(the app mounted)"
  printf '%-28s %12s %12s %8s %10s %s\n' "idle memory (PSS), MiB" "$((pss_empty / 1024))" "$((pss_app / 1024))" "$r_pss" "<= 1.15x" "$(verdict "$r_pss" 1.15)"
  printf '%-28s %12s %12s %8s %10s %s\n' "  like for like, MiB" "$((pss_empty_nc / 1024))" "$((pss_app / 1024))" "$(ratio "$pss_app" "$pss_empty_nc")" "" "(both drawing without WebKit's compositor)"
  printf '%-28s %12s %12s %8s %10s %s\n' "idle CPU 10-40 s, s" "$cpu_empty" "$cpu_app" "" "~ 0" ""
  printf '%-28s %12s %12s %8s %10s %s\n' "binary, MiB" "$(awk -v b="$bin_empty" 'BEGIN { printf "%.1f", b / 1048576 }')" \
    "$(awk -v b="$bin_app" 'BEGIN { printf "%.1f", b / 1048576 }')" "$(ratio "$bin_app" "$bin_empty")" "" ""
  printf '%-28s %12s %12s %8s %10s %s\n' "initial JS gzipped, kB" "" "$js_kb" "" "<= 45" "$(verdict "$js_kb" 45)"
  printf '%-28s %12s %12s %8s %10s %s\n' "all JS gzipped, kB" "" "$(awk -v b="$js_all" 'BEGIN { printf "%.1f", b / 1000 }')" "" "" "(tabs load when first opened)"
  printf '%-28s %12s %12s %8s %10s %s\n' "CSS gzipped, kB" "" "$(awk -v b="$css" 'BEGIN { printf "%.1f", b / 1000 }')" "" "" ""
  printf '%-28s %12s %12s %8s %10s %s\n' ".deb, MiB" "" "$deb_mib" "" "<= 6" "$(verdict "$deb_mib" 6)"
  printf '%-28s %12s %12s %8s %10s %s\n' "CLI status --json, ms" "" "$(awk -v u="$cli_status_us" 'BEGIN { printf "%.1f", u / 1000 }')" \
    "" "" "(--version: $(awk -v u="$cli_version_us" 'BEGIN { printf "%.1f", u / 1000 }') ms)"
  echo "$limiter"
  people_rows
} | tee "$OUT/latest.txt"
