#!/usr/bin/env bash
# Runs "$@" on a private D-Bus session bus with a throwaway gnome-keyring (the real Secret Service
# the app talks to) and a throwaway home (scripts/fresh-home.sh).
#
#   scripts/with-keyring.sh [--locked] COMMAND...
#     default    the keyring is unlocked, with a password only this run knows
#     --locked   the daemon owns the Secret Service but no keyring is unlocked (keychain_locked)
#
# Why it is built this way (a cold CI run once lost its keyring mid-tier; docs/testing-on-linux.md §5):
# - The bus has NO service activation, so nothing can D-Bus-activate a second Secret Service
#   (one that would use the real home's keyring directory and a locked keyring).
# - COMMAND starts only once our daemon owns org.freedesktop.secrets and, unlocked, a store/lookup
#   round trip through it works.
# - After COMMAND the same daemon must still own the name; if not, the run fails saying so.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "${AMO_KEYRING_STAGE:-}" ]; then
  mode=unlocked
  if [ "${1:-}" = --locked ]; then mode=locked; shift; fi
  [ $# -gt 0 ] || { echo "usage: $0 [--locked] COMMAND..." >&2; exit 2; }
  # A session bus with no servicedirs: no activation of anything.
  conf=$(mktemp -t amo-bus.XXXXXX.conf)
  cat >"$conf" <<'CONF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
  rc=0
  AMO_KEYRING_STAGE=$mode "$ROOT/scripts/fresh-home.sh" dbus-run-session --config-file="$conf" -- "$0" "$@" || rc=$?
  rm -f "$conf"
  exit "$rc"
fi

# ---- inside the private bus and the throwaway home
mode=$AMO_KEYRING_STAGE
unset AMO_KEYRING_STAGE
say() { echo "with-keyring: $*" >&2; }
bus_call() {
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus "$@" 2>/dev/null |
    sed -E 's/^[[:space:]]+//'
}
owner_pid() { bus_call org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '{print $NF}'; }

# The daemon runs in the foreground as our child, in a session of its own (setsid): no signal
# meant for this script's process group or terminal (a hangup, a `kill -- -PGID`) reaches it, and
# a watcher learns the moment it ends and how. A cold CI run once lost the keyring between two
# test binaries with nothing said; now the watcher says when, with what status, whether the bus
# was still there, and what was running (docs/testing-on-linux.md §5.4).
daemon_log=$(mktemp -t amo-keyring.XXXXXX.log)
finished=$(mktemp -u -t amo-keyring-done.XXXXXX)
daemon_pid_file=$(mktemp -t amo-keyring-pid.XXXXXX)
if [ "$mode" = unlocked ]; then
  password=$(head -c 18 /dev/urandom | base64)
  # Tests that lock the keyring mid-run unlock it again with this (a throwaway keyring).
  export AMO_TEST_KEYRING_PASSWORD=$password
fi
(
  if [ "$mode" = unlocked ]; then
    setsid -w gnome-keyring-daemon --foreground --unlock --components=secrets < <(printf '%s' "$password") >"$daemon_log" 2>&1 &
  else
    setsid -w gnome-keyring-daemon --foreground --components=secrets </dev/null >"$daemon_log" 2>&1 &
  fi
  daemon=$!
  echo "$daemon" >"$daemon_pid_file"
  rc=0
  wait "$daemon" || rc=$?
  [ -e "$finished" ] && exit 0
  {
    case $rc in
      0) how="it quit by itself (a SIGTERM or SIGHUP it caught, its bus closed, or its login session ended)" ;;
      129 | 1[3-9][0-9] | 2[0-4][0-9] | 25[0-5]) how="killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null))" ;;
      126 | 127) how="exit status $rc: gnome-keyring-daemon could not be run" ;;
      *) how="exit status $rc" ;;
    esac
    echo "with-keyring: FAILED at $(date +%T): the throwaway keyring (pid $daemon) ended: $how"
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1; then
      echo "with-keyring: the session bus is still up"
    else
      echo "with-keyring: the session bus is gone too"
    fi
    echo "with-keyring: the daemon's last output:"; tail -n 20 "$daemon_log" | sed 's/^/    /'
    echo "with-keyring: processes then:"; ps -eo pid,ppid,pgid,sid,stat,etime,args --sort=pid | grep -v '\[' | cut -c1-160 | sed 's/^/    /' | tail -n 60
  } >&2
) &
watcher=$!
# However this script ends, the watcher is told first, then our daemon is stopped.
stop_keyring() {
  touch "$finished"
  local p
  # Our own daemon, whoever owns the name now: left running it would keep the bus, and so
  # dbus-run-session and this run, alive.
  p=$(cat "$daemon_pid_file" 2>/dev/null || true)
  if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi
  wait "$watcher" 2>/dev/null || true
  rm -f "$finished" "$daemon_log" "$daemon_pid_file"
}
trap stop_keyring EXIT
export GNOME_KEYRING_CONTROL=$XDG_RUNTIME_DIR/keyring

pid=""
for _ in $(seq 100); do
  if [ "$(bus_call org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets)" = "boolean true" ]; then
    pid=$(owner_pid); break
  fi
  # The daemon already ended (its watcher said how): no use waiting.
  kill -0 "$watcher" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$pid" ]; then
  say "gnome-keyring-daemon did not take org.freedesktop.secrets (it ended, or not within 10 s); not running the tests"
  exit 1
fi
if [ "$mode" = unlocked ]; then
  probe=probe-$$-$RANDOM
  if ! printf '%s' "$probe" | secret-tool store --label=amo-connect-probe amo-probe "$probe" >/dev/null 2>&1 ||
    [ "$(secret-tool lookup amo-probe "$probe" 2>/dev/null)" != "$probe" ]; then
    say "the throwaway keyring (pid $pid) does not store and return a secret; not running the tests"
    exit 1
  fi
  secret-tool clear amo-probe "$probe" >/dev/null 2>&1 || true
fi
say "Secret Service ready: gnome-keyring-daemon pid $pid ($mode), home $HOME"

rc=0
"$@" || rc=$?

now=$(owner_pid || true)
touch "$finished"
if [ "$now" != "$pid" ]; then
  if [ -z "$now" ]; then
    say "FAILED: the throwaway keyring (pid $pid) is gone: nothing owns org.freedesktop.secrets any more"
  else
    say "FAILED: org.freedesktop.secrets is now owned by pid $now, not the throwaway keyring (pid $pid)"
  fi
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
