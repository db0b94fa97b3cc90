#!/usr/bin/env bash
# Runs "$@" with a throwaway home: HOME and the XDG directories point into a new temporary folder,
# so a test tier neither reads nor leaves anything in the real home (keyrings, caches, data
# directories, autostart entries). The toolchains stay where they are installed (CARGO_HOME,
# RUSTUP_HOME are pinned to the real ones first). The folder is removed afterwards unless
# AMO_KEEP_HOME=1.
set -euo pipefail
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
base=$(mktemp -d -t amo-home.XXXXXX)
export HOME=$base/home XDG_CONFIG_HOME=$base/config XDG_CACHE_HOME=$base/cache \
  XDG_DATA_HOME=$base/data XDG_STATE_HOME=$base/state XDG_RUNTIME_DIR=$base/run
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# Nothing of the real session leaks in: its bus, keyring and agent.
# XDG_SESSION_ID: gnome-keyring quits when the login session it belongs to closes.
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK XDG_SESSION_ID
rc=0
"$@" || rc=$?
[ "${AMO_KEEP_HOME:-}" = 1 ] || rm -rf "$base"
exit "$rc"
