#!/usr/bin/env bash
# Checks that the private key in TAURI_SIGNING_PRIVATE_KEY (+ _PASSWORD) is the one whose public
# half the app trusts (plugins.updater.pubkey of CONFIG, default src-tauri/tauri.conf.json), by
# signing a scratch file and comparing key ids. Updates signed by any other key would be refused
# by every installed app, so the release workflow runs this before it builds anything.
#
#   TAURI_SIGNING_PRIVATE_KEY=... scripts/check-updater-key.sh [CONFIG]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-src-tauri/tauri.conf.json}
: "${TAURI_SIGNING_PRIVATE_KEY:?TAURI_SIGNING_PRIVATE_KEY is not set}"
export TAURI_SIGNING_PRIVATE_KEY_PASSWORD=${TAURI_SIGNING_PRIVATE_KEY_PASSWORD:-}
KEY=$TAURI_SIGNING_PRIVATE_KEY
# The bundler accepts a path or the key itself; `signer sign` wants the key itself.
[ -f "$KEY" ] && KEY=$(cat "$KEY")
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
echo "key check" >"$SCRATCH/probe"
if ! TAURI_SIGNING_PRIVATE_KEY=$KEY ui/node_modules/.bin/tauri signer sign "$SCRATCH/probe" >"$SCRATCH/sign.log" 2>&1; then
  echo "error: the updater private key cannot sign (wrong password, or not a Tauri signing key):" >&2
  tail -n 3 "$SCRATCH/sign.log" >&2
  exit 1
fi
node -e '
  const fs = require("fs");
  const [config, sigFile] = process.argv.slice(1);
  const b64 = (s) => Buffer.from(s.trim(), "base64");
  const pubkey = JSON.parse(fs.readFileSync(config, "utf8")).plugins?.updater?.pubkey;
  if (!pubkey) { console.error(`error: no plugins.updater.pubkey in ${config}`); process.exit(1); }
  // A minisign public key: "untrusted comment: ..." then base64 of "Ed" + key id (8 bytes, LE) + key.
  const pub = b64(b64(pubkey).toString("utf8").split("\n")[1]);
  const sig = b64(b64(fs.readFileSync(sigFile, "utf8")).toString("utf8").split("\n")[1]);
  const id = (buf) => Buffer.from(buf.subarray(2, 10)).reverse().toString("hex").toUpperCase();
  if (id(pub) !== id(sig)) {
    console.error(`error: the updater private key (key id ${id(sig)}) does not match the public key in ${config} (key id ${id(pub)}).`);
    console.error("Installed apps would refuse every update. Run scripts/new-updater-key.sh and update both the config and the secret.");
    process.exit(1);
  }
  console.log(`updater key matches ${config} (key id ${id(pub)})`);
' "$CONFIG" "$SCRATCH/probe.sig"
