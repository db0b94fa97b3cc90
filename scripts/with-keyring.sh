#!/usr/bin/env bash
# Runs "$@" inside the current D-Bus session (start one with `dbus-run-session --`) with a
# throwaway, unlocked gnome-keyring: the real Secret Service the app talks to. The data and runtime
# directories are fresh per run; the password only unlocks this keyring.
set -euo pipefail
export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
echo -n test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
exec "$@"
