#!/usr/bin/env bash
# Makes a Debian unstable root at $1 (see README.md). Needs root and debootstrap.
set -euo pipefail
root="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The host's Debian mirror: the one its apt already uses, so no address is written here.
mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
if [ -z "$mirror" ]; then
  mirror="$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)"
fi
rm -rf "$root"
debootstrap --variant=minbase sid "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
  || { tail -20 "$root.debootstrap.log"; exit 1; }

# The host's own certificate authorities and pip configuration: a machine behind a
# proxy that re-signs TLS needs them for pip to reach the package index.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
for conf in /etc/pip.conf /etc/xdg/pip; do
  if [ -e "$conf" ]; then
    mkdir -p "$root$(dirname "$conf")"
    cp -r "$conf" "$root$conf"
  fi
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The README's packages, and NumPy and h5py built against the root's HDF5.
# Unstable's Release file may be past its Valid-Until date on a mirror snapshot.
readme_packages="$(sed -n 's/^sudo apt-get update && sudo apt-get install -y //p' "$here/../../README.md")"
if [ -z "$readme_packages" ]; then
  echo "make-root.sh: no 'sudo apt-get install -y' line found in README.md" >&2
  exit 1
fi
packages="$readme_packages python3-numpy python3-h5py ca-certificates"
"$here/in-root.sh" "$root" sh -c "
  apt-get -o Acquire::Check-Valid-Until=false update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null &&
  update-ca-certificates >/dev/null"
# shellcheck disable=SC2016  # expanded inside the root
"$here/in-root.sh" "$root" sh -c 'echo "root: $(. /etc/os-release; echo "$PRETTY_NAME"), $(g++ --version | head -1), $(python3 --version), HDF5 $(dpkg-query -W -f "\${Version}" libhdf5-dev)"'
