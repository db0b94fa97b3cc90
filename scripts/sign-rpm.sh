#!/usr/bin/env bash
# Signs .rpm packages with an OpenPGP key, as `rpm -K` and dnf/zypper check them
# (docs/packaging.md). The key comes from the environment, never from argv:
#
#   RPM_SIGNING_KEY=<ASCII-armoured secret key> [RPM_SIGNING_KEY_PASSPHRASE=…] \
#     scripts/sign-rpm.sh FILE.rpm… [--public-key-out KEY.asc]
#
# A throwaway GnuPG home holds the key for the duration of the command only. The release's
# sign job calls this with the project's key; the test tier with a throwaway one
# (scripts/test-all.sh). With --public-key-out the matching public key is written for users
# (`rpm --import`) and for the check in scripts/test-package.sh.
set -euo pipefail
: "${RPM_SIGNING_KEY:?RPM_SIGNING_KEY (an ASCII-armoured OpenPGP secret key) is not set}"
files=()
pub_out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --public-key-out) pub_out=$2; shift 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
[ ${#files[@]} -gt 0 ] || { echo "usage: sign-rpm.sh FILE.rpm… [--public-key-out KEY.asc]" >&2; exit 2; }

export GNUPGHOME
GNUPGHOME=$(mktemp -d)
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
chmod 700 "$GNUPGHOME"
printf '%s\n' "$RPM_SIGNING_KEY" | gpg --batch --quiet --import 2>/dev/null
fpr=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$fpr" ] || { echo "sign-rpm: RPM_SIGNING_KEY holds no secret key" >&2; exit 1; }

# rpm names gpg by a macro that may point elsewhere (gpg2 on some systems).
sign_args=(--define "_gpg_name $fpr" --define "_gpg_path $GNUPGHOME" --define "__gpg $(command -v gpg)")
if [ -n "${RPM_SIGNING_KEY_PASSPHRASE:-}" ]; then
  pass_file="$GNUPGHOME/passphrase"
  printf '%s' "$RPM_SIGNING_KEY_PASSPHRASE" >"$pass_file"
  sign_args+=(--define "_gpg_sign_cmd_extra_args --pinentry-mode loopback --passphrase-file $pass_file")
fi
for f in "${files[@]}"; do
  # rpmsign warns that stdin is no terminal (GPG_TTY); nothing here needs one.
  rpmsign --addsign "${sign_args[@]}" "$f" >/dev/null 2> >(grep -v "GPG_TTY" >&2)
  echo "signed $(basename "$f") with key $fpr"
done
[ -z "$pub_out" ] || gpg --batch --armor --export "$fpr" >"$pub_out"
