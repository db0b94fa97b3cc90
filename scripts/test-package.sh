#!/usr/bin/env bash
# The Linux packages as a user gets them: checks the built .deb and .rpm as Debian and Fedora
# check theirs (lintian: no errors or warnings; rpmlint: no errors), their signatures, shared
# library dependencies, man pages, changelog and copyright; installs the .deb with
# apt-get, checks what it placed (binary, desktop entry with %u, icons, scheme handler), launches
# the INSTALLED app in a real window (Xvfb, private D-Bus, unlocked keyring), signs in through an
# amoconnect:// link opened by the desktop's URL handler (gio), and removes the package cleanly.
#
# Run by scripts/test-all.sh after the Tauri CLI built the bundles. Prints one "PASS name" or
# "FAIL name" line per check; exits non-zero if any failed. Needs root (apt-get install).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ARTIFACTS=${AMO_ARTIFACTS:-$ROOT/artifacts}/package
mkdir -p "$ARTIFACTS"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
FAILS=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; FAILS=$((FAILS + 1)); }
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi; }

# The version in tauri.conf.json names the packages (the bundle folders may also hold the newer
# test version from an earlier run).
VERSION=$(node -p 'require("./src-tauri/tauri.conf.json").version')
DEB="$ROOT/target/release/bundle/deb/Amo Connect_${VERSION}_amd64.deb"
# The .rpm as scripts/finish-rpm.sh rebuilt it (scripts/test-all.sh, release workflow).
RPM="$ROOT/target/release/bundle/rpm/amo-connect-${VERSION}-1.x86_64.rpm"
UPDATE_DIR=$ROOT/target/update-test
[ -f "$RPM" ] || RPM=""
[ -f "$DEB" ] || { fail deb-built "no $DEB"; exit 1; }
pass deb-built
# Updater artifacts: the bundler signs each package (the test key here, the release key in CI).
check deb-updater-signature bash -c "base64 -d '$DEB.sig' | grep -q 'version:$VERSION'"

# ------------------------------------------------------------------ the files, before installing
X=$(mktemp -d)
dpkg-deb -x "$DEB" "$X"
DESKTOP="$X/usr/share/applications/Amo Connect.desktop"
check deb-desktop-exec-passes-url grep -qx 'Exec=amo-connect %u' "$DESKTOP"
check deb-desktop-registers-scheme grep -qx 'MimeType=x-scheme-handler/amoconnect' "$DESKTOP"
check deb-desktop-valid desktop-file-validate "$DESKTOP"
for size in 32x32 128x128 256x256@2; do
  check "deb-icon-$size" test -s "$X/usr/share/icons/hicolor/$size/apps/amo-connect.png"
done
check deb-compressed-like-debian bash -c "ar t '$DEB' | grep -qx data.tar.xz"
check deb-maintainer bash -c "dpkg-deb -f '$DEB' Maintainer | grep -q '@'"
check deb-depends-webkit bash -c "dpkg-deb -f '$DEB' Depends | grep -q libwebkit2gtk-4.1-0"
check deb-man-pages bash -c "zcat '$X/usr/share/man/man1/amo-connect.1.gz' | grep -q '^.TH amo-connect 1' &&
  zcat '$X/usr/share/man/man1/amo-connect-outbox-edit.1.gz' | grep -q 'FIELD=VALUE'"
check deb-changelog bash -c "zcat '$X/usr/share/doc/amo-connect/changelog.gz' | head -n 1 | grep -q '^amo-connect ($VERSION) '"
check deb-copyright grep -q '^License: MIT' "$X/usr/share/doc/amo-connect/copyright"

# Depends must cover what the program really links, with at least the versions dpkg-shlibdeps
# derives from the symbols it uses (tauri.conf.json lists them; the bundler adds none of its own
# beyond WebKitGTK and GTK).
deps_cover_shlibs() {
  local dir need declared pkg ver have
  dir=$(mktemp -d)
  mkdir -p "$dir/debian"
  printf 'Source: amo-connect\n\nPackage: amo-connect\nArchitecture: any\n' >"$dir/debian/control"
  need=$(cd "$dir" && dpkg-shlibdeps -O "$X/usr/bin/amo-connect" 2>/dev/null | sed 's/^shlibs:Depends=//')
  rm -rf "$dir"
  [ -n "$need" ] || { echo "dpkg-shlibdeps found nothing"; return 1; }
  declared=$(dpkg-deb -f "$DEB" Depends)
  while IFS= read -r dep; do
    pkg=${dep%% *}
    ver=$(sed -nE 's/.*\(>= ([^)]+)\).*/\1/p' <<<"$dep")
    have=$(tr ',' '\n' <<<"$declared" | sed 's/^ *//' | grep -E "^$pkg( |$)" | sed -nE 's/.*\(>= ([^)]+)\).*/\1/p' | sort -V | tail -n 1)
    tr ',' '\n' <<<"$declared" | sed 's/^ *//' | grep -qE "^$pkg( |$)" || { echo "missing: $dep"; return 1; }
    if [ -n "$ver" ] && ! { [ -n "$have" ] && dpkg --compare-versions "$have" ge "$ver"; }; then
      echo "too low: $pkg ${have:-(any)} < $ver"; return 1
    fi
  done < <(tr ',' '\n' <<<"$need" | sed 's/^ *//')
}
if out=$(deps_cover_shlibs 2>&1); then pass deb-depends-cover-shared-libraries; else fail deb-depends-cover-shared-libraries "$out"; fi

# Debian's own package checker: no error and no warning (info tags are advice, listed in the log).
lintian --fail-on error,warning --display-info "$DEB" >"$ARTIFACTS/lintian.log" 2>&1
lintian_rc=$?
if [ "$lintian_rc" -eq 0 ]; then pass lintian-clean; else fail lintian-clean "$(grep -E '^[EW]: ' "$ARTIFACTS/lintian.log" | head -n 5)"; fi
echo "    lintian: $(grep -c '^E: ' "$ARTIFACTS/lintian.log") errors, $(grep -c '^W: ' "$ARTIFACTS/lintian.log") warnings, $(grep -c '^I: ' "$ARTIFACTS/lintian.log") info"

if [ -n "$RPM" ] && command -v rpm >/dev/null; then
  check rpm-has-binary bash -c "rpm -qlp '$RPM' | grep -qx /usr/bin/amo-connect"
  check rpm-has-desktop-entry bash -c "rpm -qlp '$RPM' | grep -q '/usr/share/applications/Amo Connect.desktop'"
  check rpm-has-man-pages bash -c "rpm -qlp '$RPM' | grep -qx /usr/share/man/man1/amo-connect-outbox-edit.1.gz"
  check rpm-metadata bash -c "rpm -qip '$RPM' | grep -q 'License *: MIT' && rpm -qip '$RPM' | grep -q '^Packager *: .*@'"
  check rpm-requires-libc bash -c "rpm -qp --requires '$RPM' | grep -q '^libc.so.6(GLIBC_'"
  check rpm-changelog bash -c "rpm -qp --changelog '$RPM' | head -n 1 | grep -q -- '- $VERSION-1\$'"
  # The signature, checked as a user who imported the project's key would (a private rpm
  # database: the machine's stays untouched); rpmlint then also knows the key.
  RPMDB_HOME=$(mktemp -d)
  if [ -s "$UPDATE_DIR/rpm-test.pub.asc" ] && HOME=$RPMDB_HOME rpmkeys --import "$UPDATE_DIR/rpm-test.pub.asc" &&
      HOME=$RPMDB_HOME rpmkeys -K "$RPM" | grep -q 'digests signatures OK'; then
    pass rpm-signature-valid
  else
    fail rpm-signature-valid "$(HOME=$RPMDB_HOME rpmkeys -K "$RPM" 2>&1 | tail -n 1)"
  fi
  HOME=$RPMDB_HOME rpmlint -c "$ROOT/scripts/rpmlint.toml" "$RPM" >"$ARTIFACTS/rpmlint.log" 2>&1
  if ! grep -q ': E: ' "$ARTIFACTS/rpmlint.log" && grep -q '0 errors' "$ARTIFACTS/rpmlint.log"; then
    pass rpmlint-no-errors
  else
    fail rpmlint-no-errors "$(grep ': E: ' "$ARTIFACTS/rpmlint.log" | head -n 5)"
  fi
  echo "    rpmlint: $(grep -oE '[0-9]+ errors, [0-9]+ warnings' "$ARTIFACTS/rpmlint.log")"
  rm -rf "$RPMDB_HOME"
else
  fail rpm-built "no .rpm or no rpm tool"
fi

# ------------------------------------------------------------------ install
start=$(date +%s.%N)
if $SUDO apt-get install -y -qq "$DEB" >"$ARTIFACTS/install.log" 2>&1; then pass deb-installs; else fail deb-installs "$(tail -n 3 "$ARTIFACTS/install.log")"; exit 1; fi
echo "    install took $(echo "$(date +%s.%N) - $start" | awk '{printf "%.1f", $1 - $3}') s; installed size $(dpkg-query -W -f='${Installed-Size}' amo-connect) KiB; .deb $(du -h "$DEB" | cut -f1)"
check installed-binary test -x /usr/bin/amo-connect
check installed-desktop-entry test -f "/usr/share/applications/Amo Connect.desktop"
check installed-icons test -s /usr/share/icons/hicolor/128x128/apps/amo-connect.png
check installed-man-page test -s /usr/share/man/man1/amo-connect-lead-add.1.gz
check scheme-handler-xdg-mime bash -c "xdg-mime query default x-scheme-handler/amoconnect | grep -qx 'Amo Connect.desktop'"
check scheme-handler-gio bash -c "gio mime x-scheme-handler/amoconnect | grep -q 'Amo Connect.desktop'"

# ------------------------------------------------------------------ the installed app, for real
# The simulator picks a free port and prints its URL on its first line.
"$ROOT/target/release/amo-sim" --port 0 --auto approve --redirect-uri amoconnect://oauth/callback >"$ARTIFACTS/sim.url" 2>/dev/null &
SIM=$!
for _ in $(seq 50); do [ -s "$ARTIFACTS/sim.url" ] && break; sleep 0.1; done
SIM_PORT=$(head -n 1 "$ARTIFACTS/sim.url" | sed -E 's/.*:([0-9]+)$/\1/')
[ -n "$SIM_PORT" ] || fail simulator-started
trap 'kill $SIM 2>/dev/null || true' EXIT
cat >"$ARTIFACTS/inner.sh" <<'INNER'
#!/usr/bin/env bash
# Inside Xvfb, a private D-Bus session and an unlocked keyring (scripts/with-keyring.sh): a
# fresh profile and the installed app.
set -uo pipefail
export XDG_CONFIG_HOME=$(mktemp -d)
export AMO_CONNECT_DATA_DIR=$(mktemp -d) AMO_CONNECT_SERVER=http://127.0.0.1:$SIM_PORT AMO_CONNECT_LANG=en
APP=/usr/bin/amo-connect
$APP config set client-id 5c0e6b5e-6a0e-4c55-9a3e-2b8d6a1e7f10 >/dev/null
$APP config set redirect-uri amoconnect://oauth/callback >/dev/null
printf '%s' sim-demo-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ | $APP config set-secret >/dev/null
t0=$(date +%s.%N)
$APP >"$OUT/app.log" 2>&1 &
GUI=$!
if timeout 30 xdotool search --sync --onlyvisible --name '^Amo Connect$' >/dev/null; then
  echo "PASS installed-app-window"
  echo "    launch to window: $(echo "$(date +%s.%N) $t0" | awk '{printf "%.2f", $1 - $2}') s"
else
  echo "FAIL installed-app-window"
fi
sleep 2
import -window root "$OUT/installed-app.png" && echo "    screenshot: $OUT/installed-app.png"
# Sign in: the CLI starts it and waits; the browser part goes to the simulator; the desktop's
# URL handler (gio) opens the amoconnect:// link, which reaches the running window.
$APP connect --no-browser --timeout 60 >"$OUT/connect.out" 2>"$OUT/connect.err" &
CONNECT=$!
for _ in $(seq 50); do [ -s "$OUT/connect.out" ] && break; sleep 0.1; done
LINK=$(curl -s -o /dev/null -w '%{redirect_url}' "$(head -n 1 "$OUT/connect.out")")
case "$LINK" in amoconnect://oauth/callback\?*) echo "PASS simulator-redirects-to-deep-link" ;; *) echo "FAIL simulator-redirects-to-deep-link" ;; esac
gio open "$LINK" >"$OUT/gio.log" 2>&1 && echo "PASS gio-opens-the-link" || echo "FAIL gio-opens-the-link"
if wait "$CONNECT" && grep -q '^Connected: Acme Trading' "$OUT/connect.out"; then
  echo "PASS deep-link-through-desktop-handler-connects"
else
  echo "FAIL deep-link-through-desktop-handler-connects: $(tail -n 1 "$OUT/connect.err")"
fi
$APP status --json >"$OUT/status.json" 2>&1; grep -q '"connected": true' "$OUT/status.json" && echo "PASS installed-status-connected" || echo "FAIL installed-status-connected: $(head -c 300 "$OUT/status.json")"
kill $GUI 2>/dev/null; wait $GUI 2>/dev/null
exit 0
INNER
chmod +x "$ARTIFACTS/inner.sh"
while IFS= read -r line; do
  echo "$line"
  case "$line" in FAIL*) FAILS=$((FAILS + 1)) ;; esac
done < <(SIM_PORT=$SIM_PORT OUT=$ARTIFACTS xvfb-run -a -s "-screen 0 1280x800x24" \
  "$ROOT/scripts/with-keyring.sh" "$ARTIFACTS/inner.sh" 2>/dev/null)

# ------------------------------------------------------------------ the installed app updates itself
# A newer version built like the installed one (same test key and update source), a package
# signed by another key, and the test driving the installed window (tests/e2e/tests/update.rs).
NEW_VERSION=$(echo "$VERSION" | awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }')
if [ -s "$UPDATE_DIR/tauri.test.json" ]; then
  cp "$DEB.sig" "$UPDATE_DIR/old.deb.sig"
  node -e '
    const fs = require("fs");
    const [dir, version] = process.argv.slice(1);
    const conf = JSON.parse(fs.readFileSync(dir + "/tauri.test.json", "utf8"));
    fs.writeFileSync(dir + "/tauri.newer.json", JSON.stringify({ ...conf, version }));
  ' "$UPDATE_DIR" "$NEW_VERSION"
  t0=$(date +%s)
  if env TAURI_SIGNING_PRIVATE_KEY="$UPDATE_DIR/test.key" TAURI_SIGNING_PRIVATE_KEY_PASSWORD= \
      "$ROOT/ui/node_modules/.bin/tauri" build --ci --bundles deb --config "$UPDATE_DIR/tauri.newer.json" \
      >"$ARTIFACTS/newer-build.log" 2>&1; then
    pass newer-version-built
    echo "    newer version $NEW_VERSION built in $(( $(date +%s) - t0 )) s"
  else
    fail newer-version-built "$(tail -n 3 "$ARTIFACTS/newer-build.log")"
  fi
  # The update source as the release publishes it: the package, its .sig and a latest.json made
  # by the release workflow's own script; old.deb (unsigned here) only serves the forged offers.
  NEW_DEB="$ROOT/target/release/bundle/deb/Amo Connect_${NEW_VERSION}_amd64.deb"
  SERVED=$UPDATE_DIR/served
  rm -rf "$SERVED" && mkdir -p "$SERVED"
  cp "$NEW_DEB" "$NEW_DEB.sig" "$SERVED/" && cp "$DEB" "$SERVED/old.deb"
  printf -- '- Faster lead form\n- <b>Markup stays text</b>\n' >"$UPDATE_DIR/notes.md"
  if node scripts/updater-manifest.mjs "$SERVED" "$NEW_VERSION" "http://127.0.0.1:$(cat "$UPDATE_DIR/port")/packages" \
      "$UPDATE_DIR/notes.md" >"$UPDATE_DIR/latest.json"; then
    pass update-manifest-written
  else
    fail update-manifest-written
  fi
  # The same package signed by a key the app does not trust.
  FORGED=$(mktemp -d)
  cp "$NEW_DEB" "$FORGED/new.deb"
  "$ROOT/ui/node_modules/.bin/tauri" signer generate --ci -p "" -w "$FORGED/other.key" >/dev/null
  TAURI_SIGNING_PRIVATE_KEY=$(cat "$FORGED/other.key") TAURI_SIGNING_PRIVATE_KEY_PASSWORD= \
    "$ROOT/ui/node_modules/.bin/tauri" signer sign "$FORGED/new.deb" >/dev/null 2>&1
  cp "$FORGED/new.deb.sig" "$UPDATE_DIR/forged.sig"
  rm -rf "$FORGED"
  if xvfb-run -a -s "-screen 0 1280x800x24" "$ROOT/scripts/with-keyring.sh" \
      env AMO_CONNECT_APP=/usr/bin/amo-connect AMO_UPDATE_DIR="$UPDATE_DIR" \
      TAURI_DRIVER="${TAURI_DRIVER:-$ROOT/target/tools/bin/tauri-driver}" AMO_E2E_ARTIFACTS="$ARTIFACTS" \
      cargo test --release -p amo-e2e --test update -- --ignored --nocapture >"$ARTIFACTS/update.log" 2>&1; then
    pass installed-app-updates-itself
    grep -E '^update ' "$ARTIFACTS/update.log" | sed 's/^/    /'
  else
    fail installed-app-updates-itself "$(grep -E '^Error|panicked|^Caused|^    ' "$ARTIFACTS/update.log" | head -n 4)"
  fi
  check deb-updated-in-place bash -c "[ \"\$(dpkg-query -W -f='\${Version}' amo-connect)\" = '$NEW_VERSION' ]"
else
  fail installed-app-updates-itself "no $UPDATE_DIR/tauri.test.json (scripts/update-test-config.sh)"
fi

# ------------------------------------------------------------------ remove
if $SUDO apt-get remove -y -qq amo-connect >"$ARTIFACTS/remove.log" 2>&1; then pass deb-removes; else fail deb-removes; fi
check removed-binary test ! -e /usr/bin/amo-connect
check removed-desktop-entry test ! -e "/usr/share/applications/Amo Connect.desktop"
check removed-scheme-handler bash -c "! gio mime x-scheme-handler/amoconnect 2>/dev/null | grep -q 'Amo Connect.desktop'"

[ "$FAILS" -eq 0 ]
