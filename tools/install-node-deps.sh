#!/usr/bin/env bash
# Installs (as root, Debian) what `make image` and `make node-up` need beside the Go-built
# Kubernetes binaries: containerd, runc, the CNI plugins, dockerd (only to build the image),
# mmdebstrap (the local base image), iptables and conntrack (kube-proxy), iproute2 (the bridge).
# Idempotent: installs nothing when every command is already there (about 30 s otherwise).
set -euo pipefail

# command -> Debian package
declare -A NEEDED=(
  [containerd]=containerd
  [runc]=runc
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [dockerd]=docker.io
  [mmdebstrap]=mmdebstrap
  [iptables]=iptables
  [conntrack]=conntrack
  [ip]=iproute2
  [gcc]=gcc
)

missing=()
for command in "${!NEEDED[@]}"; do
  if [[ "$command" == /* ]]; then [[ -x "$command" ]] && continue
  else command -v "$command" >/dev/null 2>&1 && continue
  fi
  missing+=("${NEEDED[$command]}")
done
# libc.a: the pause binary is linked statically.
[[ -e /usr/lib/x86_64-linux-gnu/libc.a || -e /usr/lib/aarch64-linux-gnu/libc.a ]] || missing+=(libc6-dev)

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-node-deps: everything is installed" >&2
  exit 0
fi
[[ $EUID -eq 0 ]] || { echo "install-node-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install-node-deps: no apt-get: install ${missing[*]} yourself" >&2; exit 1; }
echo "install-node-deps: apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
