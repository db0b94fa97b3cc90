#!/usr/bin/env bash
# Turns the .rpm the Tauri bundler made into one a distribution would accept (docs/packaging.md):
# the bundler's RPM writer sets no Packager, Group, Build host or %changelog, lists only two of
# the program's shared libraries, and names the file with a space. This rebuilds the same files
# with rpmbuild from a spec written here: rpm's own dependency generator reads the ELF for the
# real library requirements (libc.so.6(GLIBC_…) included), the changelog and packager come from
# src-tauri/linux/generated/rpm-changelog (made from CHANGELOG.md), the copyright is marked
# %license and the changelog %doc, and the result is named NAME-VERSION-RELEASE.ARCH.rpm.
#
#   scripts/finish-rpm.sh BUNDLER.rpm OUT_DIR     prints the path of the new .rpm
#
# The input is removed (with its updater .sig, which no longer matches): sign the new file for
# the updater (and with rpmsign) afterwards. Needs rpm, rpm2cpio and cpio (the `rpm` package).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
in=$(realpath "$1")
out=$(realpath -m "$2")
mkdir -p "$out"

q() { rpm -qp --qf "$1" "$in"; }
name=$(q '%{NAME}')
version=$(q '%{VERSION}')
release=$(q '%{RELEASE}')
arch=$(q '%{ARCH}')
changelog="$ROOT/src-tauri/linux/generated/rpm-changelog"
# "* Fri Nov 27 2026 Name <mail> - 0.1.0-1" → "Name <mail>"
packager=$(head -n 1 "$changelog" | sed -E 's/^\* [A-Za-z]{3} [A-Za-z]{3} [0-9]{2} [0-9]{4} (.*) - [^ ]+$/\1/')
[ -n "$packager" ] && [ "$packager" != "$(head -n 1 "$changelog")" ] || {
  echo "finish-rpm: cannot read the packager from $changelog" >&2
  exit 1
}
grep -q "^\* .* - $version-$release\$" "$changelog" || {
  echo "finish-rpm: $changelog has no entry for $version-$release (CHANGELOG.md, then cargo test -p amo-cli --test packaging_files)" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/files" "$work/top"
# rpm2cpio exits 1 on the bundler's packages although it writes the whole payload (the rpm
# crate's header layout), so its status is not the check: every listed file must come out.
rpm2cpio "$in" >"$work/payload.cpio" 2>/dev/null || true
(cd "$work/files" && cpio -idm --quiet <"$work/payload.cpio")
rpm -qlp "$in" | while IFS= read -r path; do
  [ -e "$work/files$path" ] || { echo "finish-rpm: $path did not come out of $in" >&2; exit 1; }
done

# Every file the bundler packed, in %files: the copyright as %license, the changelog as %doc,
# names with spaces quoted.
files_section() {
  rpm -qlp "$in" | while IFS= read -r path; do
    case "$path" in
      /usr/share/doc/*/copyright) printf '%%license "%s"\n' "$path" ;;
      /usr/share/doc/*) printf '%%doc "%s"\n' "$path" ;;
      *) printf '"%s"\n' "$path" ;;
    esac
  done
}

cat >"$work/$name.spec" <<SPEC
# Written by scripts/finish-rpm.sh from the Tauri bundler's package; not edited by hand.
%global debug_package %{nil}
%global _build_id_links none
# The program is already stripped and the man pages compressed; repack the files as they are.
%global __os_install_post %{nil}

Name:      $name
Version:   $version
Release:   $release
Summary:   $(q '%{SUMMARY}')
License:   $(q '%{LICENSE}')
URL:       $(q '%{URL}')
Group:     Applications/Internet
Packager:  $packager
AutoReqProv: yes
$(rpm -qp --requires "$in" | grep -v '^rpmlib(' | sed 's/^/Requires:  /')

%description
$(q '%{DESCRIPTION}')

%install
cp -a "$work/files/." "%{buildroot}/"

%files
$(files_section)

%changelog
$(cat "$changelog")
SPEC

rpmbuild -bb --quiet --target "$arch" \
  --define "_topdir $work/top" \
  --define "_buildhost $(hostname -f 2>/dev/null || hostname)" \
  "$work/$name.spec" >"$work/rpmbuild.log" 2>&1 || {
  cat "$work/rpmbuild.log" >&2
  exit 1
}
built="$work/top/RPMS/$arch/$name-$version-$release.$arch.rpm"
[ -f "$built" ] || { echo "finish-rpm: rpmbuild made no $built" >&2; exit 1; }
mv "$built" "$out/"
rm -f "$in" "$in.sig"
echo "$out/$name-$version-$release.$arch.rpm"
