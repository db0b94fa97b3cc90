#!/usr/bin/env bash
# Sets everything up on a fresh Debian/Ubuntu machine and opens Amo Connect connected to the local
# amoCRM simulator, so a newcomer can try it without an amoCRM account. This is the README's first
# command.
#
# What it does: installs the system packages, the UI's npm packages and builds the app with the
# Tauri CLI; starts the simulator on 127.0.0.1:8765 with the demo account (a furniture shop: 300
# customers, 40 companies, leads in two pipelines, notes, calls, tasks due today and overdue —
# tests/simulator/src/demo.rs) and answering amoCRM's authorize page with "Allow" by itself;
# configures a separate demo profile (its own data directory and keychain namespace, never your
# real one); connects it through the CLI; prints commands to try; opens the window. Press
# Reconnect in the window to watch the browser round trip. Closing the window stops the simulator.
#
# Without a display (a server, CI) it runs the window under Xvfb with a private keyring, saves a
# screenshot and exits.
#
# `scripts/demo.sh --app-link` connects through the amoconnect:// app link instead of loopback:
# the simulator's integration gets that Redirect URI, and the link amoCRM redirects to is opened
# with xdg-open, so the desktop's link handler starts the app, which finishes the sign-in (the
# waiting CLI sees it). The handler is registered for the demo build only, in the demo profile's
# own XDG directories — your MIME defaults are not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIM_PORT=${AMO_SIM_PORT:-8765}
DEMO_DATA=${AMO_DEMO_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/amo-connect-demo}

APP=$ROOT/target/release/amo-connect
APP_LINK=0
[ "${1:-}" = "--app-link" ] || [ "${2:-}" = "--app-link" ] || [ "${AMO_DEMO_APP_LINK:-}" = 1 ] && APP_LINK=1
export AMO_DEMO_APP_LINK=$APP_LINK

# The demo build as the amoconnect:// handler, in the demo profile's own XDG directories (xdg-open
# reads the handler from XDG_CONFIG_HOME/mimeapps.list and XDG_DATA_HOME/applications).
register_demo_link_handler() {
  export XDG_DATA_HOME=$DEMO_DATA/xdg-data XDG_CONFIG_HOME=$DEMO_DATA/xdg-config
  mkdir -p "$XDG_DATA_HOME/applications" "$XDG_CONFIG_HOME"
  cat >"$XDG_DATA_HOME/applications/amo-connect-demo.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=Amo Connect (demo)
Exec=env AMO_CONNECT_DATA_DIR=$DEMO_DATA AMO_CONNECT_SERVER=http://127.0.0.1:$SIM_PORT $APP %u
NoDisplay=true
MimeType=x-scheme-handler/amoconnect;
DESKTOP
  printf '[Default Applications]\nx-scheme-handler/amoconnect=amo-connect-demo.desktop\n' >"$XDG_CONFIG_HOME/mimeapps.list"
  echo "==> amoconnect:// opens the demo build (registered in $DEMO_DATA only)"
}

# What to try next against the demo account, printed as commands and never run here: a code or
# token the simulator issues goes from curl straight into the app, never to the screen or a log.
print_try_these() {
  local sim=http://127.0.0.1:$SIM_PORT returning
  # Дмитрий Соколов's id, for --contact-id (the first id of `contact find --json`).
  returning=$("$APP" contact find "+7 916 555-01-02" --json 2>/dev/null |
    sed -n 's/^ *"id": \([0-9][0-9]*\),$/\1/p' | head -n 1 || true)
  cat <<TRY
==> try these in another terminal while the window is open (closing it stops the simulator):
  export AMO_CONNECT_DATA_DIR='$DEMO_DATA' AMO_CONNECT_SERVER=$sim
  alias amo-connect='$APP'
  amo-connect new --phone "+7 916 555-01-00"    # a ringing phone: Игорь Смирнов, ООО «Северный ветер»
  amo-connect new --phone "+7 916 555-01-50"    # a caller the account does not know
  amo-connect contact find "Смирнов"            # Find by name (Смирнов and Смирнова)
  amo-connect lead add --name "Кресло «Берген»" --phone "+7 916 555-01-02"
      # an existing customer's number: refused, naming Дмитрий Соколов; then on him:
  amo-connect lead add --name "Кресло «Берген»" --price 42000 --contact-id ${returning:-<his id from contact find>}
  amo-connect outbox
  amo-connect task list --today                 # My tasks: what is due today, overdue first
  amo-connect lead show \$(amo-connect task list --json | sed -n 's/^ *"entity_id": \([0-9][0-9]*\),\{0,1\}$/\1/p' | head -n 1)
      # the card of the lead the first task is on: stage, fields, notes, open tasks
  amo-connect task done ID --result "Договорились на пятницу"   # ID from task list: closes it in amoCRM
  amo-connect task move ID --due "tomorrow 10:00"
  amo-connect lead lost ID --reason "Дорого"     # or: lead move ID --status "Переговоры", lead won ID,
                                                 # lead set ID --price 52000 --tag vip
  A colleague's change: open a lead's Card in the window, then change it "as Борис Петров":
  curl -fs -X POST $sim/_sim/leads/ID/as-colleague -H 'content-type: application/json' -d '{"price": 99000}'
      # now save a new price on the card: nothing is sent, History shows both versions;
  amo-connect outbox send-mine ENTRY             # or Send mine there (or outbox discard ENTRY: keep theirs)
  Sign in without the browser, with what the integration's Keys tab gives (here: the simulator):
  curl -fs -X POST $sim/_sim/keys/code | sed 's/.*"code":"\([^"]*\)".*/\1/' |
    amo-connect connect --code-stdin --domain acme.amocrm.ru
  curl -fs -X POST '$sim/_sim/keys/long-lived?seconds=86400' | sed 's/.*"token":"\([^"]*\)".*/\1/' |
    amo-connect connect --long-lived-token-stdin --domain acme.amocrm.ru
TRY
}

run_demo() {
  export AMO_CONNECT_DATA_DIR=$DEMO_DATA AMO_CONNECT_SERVER=http://127.0.0.1:$SIM_PORT
  local redirect=http://127.0.0.1:53682/callback
  if [ "$APP_LINK" = 1 ]; then
    redirect=amoconnect://oauth/callback
    register_demo_link_handler
  fi
  "$ROOT/target/release/amo-sim" --port "$SIM_PORT" --auto approve --redirect-uri "$redirect" --demo-account >/dev/null &
  SIM_PID=$!
  trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$SIM_PORT/_sim/stats" >/dev/null && break; sleep 0.1; done
  if ! kill -0 "$SIM_PID" 2>/dev/null; then
    echo "error: the simulator could not listen on 127.0.0.1:$SIM_PORT (busy?); set AMO_SIM_PORT to another port" >&2
    exit 1
  fi

  # The simulator's demo integration (values also in README.md; none of them is a real secret).
  "$APP" config set platform amocrm >/dev/null
  "$APP" config set client-id 5c0e6b5e-6a0e-4c55-9a3e-2b8d6a1e7f10 >/dev/null
  "$APP" config set redirect-uri "$redirect" >/dev/null
  printf '%s' sim-demo-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ | "$APP" config set-secret >/dev/null

  # Connect through the CLI, with curl as the browser (the simulator approves by itself).
  local url_file
  url_file=$(mktemp)
  "$APP" connect --no-browser --timeout 60 >"$url_file" &
  local connect=$!
  for _ in $(seq 50); do [ -s "$url_file" ] && break; sleep 0.1; done
  if [ "$APP_LINK" = 1 ]; then
    # amoCRM answers the approval with a redirect to amoconnect://…; a browser would hand that
    # to the desktop, as xdg-open does here: the app starts with the link and signs in.
    local link
    link=$(curl -fs -o /dev/null -w '%{redirect_url}' "$(head -n 1 "$url_file")")
    case "$link" in amoconnect://*) ;; *) echo "error: amoCRM did not redirect to the app link" >&2; exit 1 ;; esac
    xdg-open "$link" &
    local opened=$!
  else
    curl -fsL "$(head -n 1 "$url_file")" >/dev/null
  fi
  wait "$connect"
  rm -f "$url_file"
  "$APP" status

  if [ "$APP_LINK" = 1 ]; then
    # The window is the one the link started (xdg-open waits for it).
    echo "==> signed in through the app link; its window stays open (close it to stop the simulator)"
    local win
    win=$(xdotool search --sync --onlyvisible --name '^Amo Connect$' | head -n 1)
    if [ -n "${AMO_DEMO_SCREENSHOT:-}" ]; then
      sleep 3
      import -window root "$AMO_DEMO_SCREENSHOT"
      echo "screenshot: $AMO_DEMO_SCREENSHOT"
      kill "$(xdotool getwindowpid "$win")"
    else
      print_try_these
    fi
    wait "$opened" 2>/dev/null || true
    return
  fi

  # Something to see in History: a lead sent with its contact, note and task (each a step with
  # its link), and a contact whose company amoCRM does not have — the contact is in amoCRM, the
  # company link waits for Edit (docs/outbox.md).
  echo "==> two entries for History: a lead with its note and task, and a contact to fix with Edit"
  "$APP" lead add --name "Demo: 3 chairs" --price 15000 --contact-name "Anna Petrova" --phone "+7 916 555-01-03" \
    --note "Wants delivery on Friday" --task "Call back" --task-due "tomorrow 10:00" --timeout 30 >/dev/null || true
  "$APP" contact add --name "Ivan Gromov" --company-id 999999 --timeout 30 >/dev/null 2>&1 || true

  # The phone desk: the demo account's customers (+7 916 555-01-00 is Игорь Смирнов, -01 Ольга
  # Кузнецова, -02 Дмитрий Соколов), this computer's copy of them, a call logged once although its
  # hook ran twice, and — below — the window opened by a ringing phone, showing the caller's card
  # (docs/people-copy.md).
  echo "==> the phone desk: the demo account's customers, their copy on this computer, a logged call"
  "$APP" sync
  for _ in 1 2; do
    "$APP" call log --phone "8 916 555-01-00" --direction in --duration 95 --status talked \
      --result "Asked for the price list" --uniq demo-call-1 --timeout 30 >/dev/null 2>&1 || true
  done
  "$APP" contact find "+7 916 555 01 01" --offline
  "$APP" outbox
  print_try_these

  echo "==> opening the window (close it to stop the simulator)"
  if [ -n "${AMO_DEMO_SCREENSHOT:-}" ]; then
    "$APP" new --phone "+7 916 555-01-01" &
    local app=$!
    xdotool search --sync --onlyvisible --name '^Amo Connect$' >/dev/null
    sleep 3
    import -window root "$AMO_DEMO_SCREENSHOT"
    echo "screenshot: $AMO_DEMO_SCREENSHOT"
    kill "$app"
  else
    # As a softphone would on a ringing call: the window opens with the caller's card.
    "$APP" new --phone "+7 916 555-01-01"
  fi
}

if [ "${1:-}" = "--inner" ]; then
  run_demo
  exit 0
fi

echo "==> system packages"
bash scripts/install-system-deps.sh
echo "==> UI packages"
npm --prefix ui ci --no-audit --no-fund >/dev/null
echo "==> building the app (first time: about 10 minutes on 2 cores)"
ui/node_modules/.bin/tauri build --ci --no-bundle
cargo build --release -p amo-sim

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  run_demo
else
  echo "==> no display: running under Xvfb with a private keyring"
  export AMO_DEMO_SCREENSHOT=${AMO_DEMO_SCREENSHOT:-$ROOT/artifacts/demo.png}
  mkdir -p "$(dirname "$AMO_DEMO_SCREENSHOT")"
  xvfb-run -a -s "-screen 0 1280x800x24" "$ROOT/scripts/with-keyring.sh" "$ROOT/scripts/demo.sh" --inner
fi
