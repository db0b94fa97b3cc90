#!/usr/bin/env bash
# Makes the key pair that signs app updates (issue 5 §4) and puts its PUBLIC half into
# src-tauri/tauri.conf.json (plugins.updater.pubkey). The private half is written outside the
# repository and must become the repository secrets TAURI_SIGNING_PRIVATE_KEY (the file's
# contents) and TAURI_SIGNING_PRIVATE_KEY_PASSWORD; the release workflow refuses to publish
# updates signed by any other key.
#
# Run once, before the first release, by the person who keeps the release secrets. Installed
# apps trust only the key they were built with: losing the private key, or running this again
# after a release, means existing installs never update by themselves again.
#
#   scripts/new-updater-key.sh [PRIVATE_KEY_FILE]     (default ~/.tauri/amo-connect-updater.key)
set -euo pipefail
cd "$(dirname "$0")/.."
KEY=${1:-$HOME/.tauri/amo-connect-updater.key}
[ -e "$KEY" ] && { echo "error: $KEY exists; move it away or name another file" >&2; exit 1; }
mkdir -p "$(dirname "$KEY")"
[ -x ui/node_modules/.bin/tauri ] || npm --prefix ui ci --no-audit --no-fund >/dev/null
if [ -t 0 ]; then
  read -r -s -p "Password for the private key (empty for none): " PASS; echo
else
  IFS= read -r PASS || PASS=""
fi
ui/node_modules/.bin/tauri signer generate --ci -p "$PASS" -w "$KEY" >/dev/null
chmod 600 "$KEY"
# Only the pubkey line changes, so the file keeps its layout.
node -e '
  const fs = require("fs");
  const path = "src-tauri/tauri.conf.json";
  const text = fs.readFileSync(path, "utf8");
  const key = fs.readFileSync(process.argv[1], "utf8").trim();
  const next = text.replace(/("pubkey":\s*)"[^"]*"/, (_, lead) => lead + JSON.stringify(key));
  if (next === text || JSON.parse(next).plugins.updater.pubkey !== key) {
    console.error("error: no plugins.updater.pubkey line in " + path); process.exit(1);
  }
  fs.writeFileSync(path, next);
' "$KEY.pub"
echo "Public key written to src-tauri/tauri.conf.json (key id $(base64 -d "$KEY.pub" | head -n 1 | awk '{print $NF}'))."
echo "Private key: $KEY — store it as the secret TAURI_SIGNING_PRIVATE_KEY, e.g."
echo "  gh secret set TAURI_SIGNING_PRIVATE_KEY < '$KEY'"
echo "  gh secret set TAURI_SIGNING_PRIVATE_KEY_PASSWORD   (the password you typed)"
echo "and keep a copy offline: it cannot be recovered."
