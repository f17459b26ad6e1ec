#!/usr/bin/env bash
# Makes a JRE 17 base image without any registry: a Debian bookworm rootfs with openjdk-17-jre-headless
# (debootstrap, from the configured Debian mirror) imported as pigeonhole/jre17-base:local. About a minute.
set -euo pipefail
IMAGE=${1:-pigeonhole/jre17-base:local}
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE exists"; exit 0
fi
MIRROR=${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ROOTFS=$(mktemp -d)
trap 'rm -rf "$ROOTFS"' EXIT
debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$ROOTFS" "$MIRROR" >/dev/null
tar -C "$ROOTFS" -c . | docker import - "$IMAGE"
echo "built $IMAGE"
