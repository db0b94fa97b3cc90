#!/usr/bin/env bash
# Rebuilds the .deb the Tauri bundler made with dpkg-deb's own defaults (docs/packaging.md): the
# bundler compresses with gzip; dpkg-deb, like every package in Debian and Ubuntu, with xz, which
# makes the download about a third smaller (6.3 → 4.4 MiB). The files, their modes, the control
# file and the md5sums stay exactly as the bundler wrote them; owner and group become root.
#
#   scripts/finish-deb.sh FILE.deb      rewrites FILE.deb in place
#
# The updater signature of the old file (FILE.deb.sig) no longer matches and is removed: sign the
# new file afterwards. Needs dpkg-deb.
set -euo pipefail
deb=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -R "$deb" "$work/root"
dpkg-deb --root-owner-group -Zxz -b "$work/root" "$work/new.deb" >/dev/null
# Same files (mode, size, path; the order and a leading ./ may differ) and the same control data,
# or nothing is replaced.
listing() { dpkg-deb -c "$1" | awk '{ print $1, $3, $0 }' | sed -E 's/^([^ ]+ [^ ]+ )([^ ]+ +){5}(\.\/)?/\1/; s/\/$//; /^[^ ]+ [^ ]+ $/d' | sort; }
diff <(listing "$deb") <(listing "$work/new.deb") >/dev/null ||
  { echo "finish-deb: the rebuilt package's files differ from $deb" >&2; exit 1; }
cmp -s <(dpkg-deb -f "$deb") <(dpkg-deb -f "$work/new.deb") ||
  { echo "finish-deb: the rebuilt package's control data differs from $deb" >&2; exit 1; }
mv "$work/new.deb" "$deb"
rm -f "$deb.sig"
