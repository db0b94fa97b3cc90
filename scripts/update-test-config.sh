#!/usr/bin/env bash
# Prepares the updater part of a TEST build (issue 5 §4) in DIR: a throwaway signing key and
# tauri.test.json, a config overlay that makes the packages trust that key, sign their updater
# artifacts with it, and look for updates at http://127.0.0.1:PORT/latest.json (plain http is
# allowed for this loopback test source only). The committed tauri.conf.json keeps the release
# key and no update source; the release workflow adds the real one.
#
#   scripts/update-test-config.sh DIR     then build with
#   TAURI_SIGNING_PRIVATE_KEY=DIR/test.key TAURI_SIGNING_PRIVATE_KEY_PASSWORD= \
#     tauri build --config DIR/tauri.test.json
#
# Also a throwaway OpenPGP key, rpm-test.key, which signs the test .rpm (scripts/sign-rpm.sh) as
# the release's key signs the published one.
#
# The keys and port are kept between runs (same config, no needless rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:?usage: update-test-config.sh DIR}
mkdir -p "$DIR"
if ! [ -s "$DIR/test.key" ]; then
  ui/node_modules/.bin/tauri signer generate --ci -p "" -f -w "$DIR/test.key" >/dev/null
fi
if ! [ -s "$DIR/rpm-test.key" ]; then
  gnupg=$(mktemp -d)
  GNUPGHOME=$gnupg gpg --batch --quiet --passphrase '' \
    --quick-gen-key "Amo Connect test packages <packages@amo-connect.invalid>" rsa3072 sign never 2>/dev/null
  GNUPGHOME=$gnupg gpg --batch --armor --export-secret-keys >"$DIR/rpm-test.key"
  GNUPGHOME=$gnupg gpgconf --kill all >/dev/null 2>&1 || true
  rm -rf "$gnupg"
fi
if ! [ -s "$DIR/port" ]; then
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >"$DIR/port"
fi
node -e '
  const fs = require("fs");
  const [dir] = process.argv.slice(1);
  const port = fs.readFileSync(dir + "/port", "utf8").trim();
  const overlay = {
    bundle: { createUpdaterArtifacts: true },
    plugins: {
      updater: {
        pubkey: fs.readFileSync(dir + "/test.key.pub", "utf8").trim(),
        endpoints: [`http://127.0.0.1:${port}/latest.json`],
        dangerousInsecureTransportProtocol: true,
      },
    },
  };
  fs.writeFileSync(dir + "/tauri.test.json", JSON.stringify(overlay, null, 2) + "\n");
' "$DIR"
echo "update test config: $DIR/tauri.test.json (port $(cat "$DIR/port"))"
