#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Amo Connect needs to build, run and test.
# Package list verified in shared/feasibility.md §2 (Tauri prerequisites + Xvfb, WebKitWebDriver,
# gnome-keyring for a real Secret Service, xdotool/imagemagick for screenshots).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(
  # Tauri / WebKitGTK build prerequisites
  libwebkit2gtk-4.1-dev build-essential curl file pkg-config libdbus-1-dev
  libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  # Running the real window headless, WebDriver E2E, real Secret Service
  xvfb xauth dbus dbus-x11 webkit2gtk-driver gnome-keyring libsecret-tools at-spi2-core
  # Desktop integration checks and screenshots
  xdg-utils desktop-file-utils libglib2.0-bin xdotool imagemagick
  # Front end (Node 18+ with npm); skipped below when a usable node is already present
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${#missing[@]} packages"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "==> system packages already installed"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: no Rust toolchain (cargo) on PATH; install rustup's stable toolchain first" >&2
  exit 1
fi
