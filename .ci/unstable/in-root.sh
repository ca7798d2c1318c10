#!/usr/bin/env bash
# Runs a command inside the root at $1 with /proc, /dev and /sys mounted in a
# private mount namespace: the mounts end with the command, even if it fails.
set -euo pipefail
root="$1"
shift
# shellcheck disable=SC2016  # the inner shell expands its own arguments
exec unshare --mount --propagation private -- sh -c '
  root="$1"; shift
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --rbind /sys "$root/sys"
  exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb "$@"
' sh "$root" "$@"
