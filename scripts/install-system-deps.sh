#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Amo Connect needs to build, run and test.
# Package list verified in docs/testing-on-linux.md §2.1 (Tauri prerequisites + Xvfb, WebKitWebDriver,
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
  # A real notification daemon on the tests' private D-Bus (dunstctl reads its history)
  dunst
  # Desktop integration checks, screenshots, package checks
  xdg-utils desktop-file-utils libglib2.0-bin xdotool imagemagick
  # An XEmbed system tray for the tray E2E test (the app docks its icon there under Xvfb)
  trayer
  # The packages as distributions check them: rpmbuild/rpmsign and cpio (scripts/finish-rpm.sh,
  # scripts/sign-rpm.sh), gpg for the test signing key, lintian and rpmlint, dpkg-shlibdeps
  rpm cpio gnupg lintian rpmlint dpkg-dev
  # actionlint (PyPI) for the workflows
  python3-venv
  # The updater installs a .deb through pkexec, a graphical sudo prompt, or sudo
  # (tauri-plugin-updater); the update test runs as root, where sudo asks nothing
  sudo
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${#missing[@]} packages"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "==> system packages already installed"
fi

# Toolchains are not apt packages we can rely on: Debian's nodejs is 18, too old for Vite 7, and
# Debian's rustc is older than Tauri 2.12 needs. Say so clearly instead of failing later.
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: no Rust toolchain (cargo) on PATH; install the stable toolchain with rustup (Rust >= 1.90)" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "error: Node.js >= 20.19 with npm is needed for the UI build; install it (e.g. from nodejs.org or NodeSource)" >&2
  exit 1
fi
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)')
if [ "$node_ok" != 1 ]; then
  echo "error: Node.js $(node --version) is too old; the UI build (Vite 7) needs >= 20.19" >&2
  exit 1
fi
