#!/usr/bin/env bash
# make image: build IMAGE (default seed-operator:<version>) from the unmodified Dockerfile.
#
# Two ways, chosen by SEED_IMAGE_ENGINE (default auto):
#   docker  a usable Docker engine (`docker info` answers, e.g. Docker Desktop, a CI runner with
#           Docker, DOCKER_HOST): plain `docker build -t IMAGE .`, the base image is pulled from
#           your registry (PYTHON_IMAGE=... overrides the Dockerfile's FROM, e.g. a mirror).
#   local   no engine answers, but dockerd is installed (tools/install-node-deps.sh) and we are
#           root, as on this project's machines, which reach no image registry:
#           1. starts a private dockerd (--iptables=false --bridge=none, data under
#              $SEED_CACHE/docker, socket in a temp dir), stopped by its PID when the script ends;
#           2. makes the base image if it is missing: an mmdebstrap bookworm rootfs with Debian's
#              python3.11, trusting this host's CA bundle (outbound TLS here goes through a proxy
#              whose CA only the host trusts), imported as $LOCAL_PYTHON_IMAGE and passed to the
#              Dockerfile as PYTHON_IMAGE (cached as $SEED_CACHE/images/base-<hash>.tar);
#           3. `docker build --network host`, then `docker save` to
#              $SEED_CACHE/images/<image name>-<hash>.tar, <hash> covering the build context, the
#              Dockerfile and the base: a warm run finds the tarball and builds nothing.
#           The last line printed is the tarball's path (tests/node loads it into containerd).
#
# Env: IMAGE, DOCKER (client, default docker), SEED_CACHE, SEED_IMAGE_ENGINE=auto|docker|local,
#      PYTHON_IMAGE (docker engine only), DOCKERD (default dockerd).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SEED_CACHE="${SEED_CACHE:-$HOME/.cache/seed-operator}"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/pyproject.toml")"
IMAGE="${IMAGE:-seed-operator:$VERSION}"
DOCKER="${DOCKER:-docker}"
DOCKERD="${DOCKERD:-dockerd}"
ENGINE="${SEED_IMAGE_ENGINE:-auto}"
LOCAL_PYTHON_IMAGE="seed-local/python:3.11-bookworm"
IMAGES_DIR="$SEED_CACHE/images"

say() { echo "build-image: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

if [[ "$ENGINE" == auto ]]; then
  if command -v "$DOCKER" >/dev/null 2>&1 && "$DOCKER" info >/dev/null 2>&1; then
    ENGINE=docker
  elif command -v "$DOCKERD" >/dev/null 2>&1 && [[ $EUID -eq 0 ]]; then
    ENGINE=local
  else
    die "no usable '$DOCKER' engine and no dockerd to start (as root): install Docker, or run
  tools/install-node-deps.sh as root (Debian) and retry"
  fi
fi

if [[ "$ENGINE" == docker ]]; then
  args=()
  [[ -n "${PYTHON_IMAGE:-}" ]] && args+=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
  say "docker build -t $IMAGE ${args[*]} ."
  exec "$DOCKER" build "${args[@]}" -t "$IMAGE" "$REPO"
fi
[[ "$ENGINE" == local ]] || die "SEED_IMAGE_ENGINE=$ENGINE: expected auto, docker or local"

# --- content hashes ------------------------------------------------------------------------------
# The base: this recipe (the lines between the markers below) and the CA bundle it copies in.
base_recipe() { sed -n '/^# BASE-RECIPE-BEGIN/,/^# BASE-RECIPE-END/p' "${BASH_SOURCE[0]}"; }
host_cas() { find /usr/local/share/ca-certificates -name '*.crt' -type f 2>/dev/null | sort; }
base_key="$( { base_recipe; host_cas | xargs -r cat; } | sha256sum | cut -c1-16)"
BASE_TAR="$IMAGES_DIR/base-$base_key.tar"
# The image: what .dockerignore lets into the context, the Dockerfile, the base.
context_key="$(
  cd "$REPO"
  {
    find pyproject.toml constraints.txt README.md seedlib operator Dockerfile .dockerignore \
      -type f ! -name '*.pyc' ! -path '*/__pycache__/*' ! -path '*.egg-info/*' -print0 \
      | LC_ALL=C sort -z | xargs -0 sha256sum
    echo "base $base_key image $IMAGE"
  } | sha256sum | cut -c1-16
)"
TAR_STEM="$(tr -c 'A-Za-z0-9._\n-' '_' <<<"$IMAGE")"   # seed-operator_0.1.0
IMAGE_TAR="$IMAGES_DIR/$TAR_STEM-$context_key.tar"
mkdir -p "$IMAGES_DIR"
# One build at a time per cache (two dockerds cannot share a data root).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$IMAGES_DIR/.build-image.lock"
  flock 9
fi
if [[ -s "$IMAGE_TAR" ]]; then
  say "cached: $IMAGE ($IMAGE_TAR)"
  echo "$IMAGE_TAR"
  exit 0
fi

# --- a private dockerd ---------------------------------------------------------------------------
RUN_DIR="$(mktemp -d /tmp/seed-dockerd.XXXXXX)"
DOCKERD_PID=""
stop_dockerd() {
  if [[ -n "$DOCKERD_PID" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    kill -TERM "$DOCKERD_PID"
    for _ in $(seq 150); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID"
    wait "$DOCKERD_PID" 2>/dev/null || true
  fi
  # dockerd leaves its netns mount behind; unmount what is below the run dir before removing it.
  awk -v d="$RUN_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r \
    | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$RUN_DIR"
}
trap stop_dockerd EXIT
mkdir -p "$SEED_CACHE/docker"
export DOCKER_HOST="unix://$RUN_DIR/docker.sock"
# No bridge and no iptables: the daemon touches no host network; builds use --network host.
"$DOCKERD" --data-root "$SEED_CACHE/docker" --exec-root "$RUN_DIR/exec" \
  --pidfile "$RUN_DIR/dockerd.pid" -H "$DOCKER_HOST" \
  --iptables=false --ip-masq=false --bridge=none \
  >"$RUN_DIR/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 300); do
  "$DOCKER" info >/dev/null 2>&1 && break
  kill -0 "$DOCKERD_PID" 2>/dev/null || break
  sleep 0.1
done
if ! "$DOCKER" info >/dev/null 2>&1; then
  tail -n 30 "$RUN_DIR/dockerd.log" >&2
  die "the private dockerd (pid $DOCKERD_PID) did not answer (its log is above)"
fi
say "private dockerd pid $DOCKERD_PID, data in $SEED_CACHE/docker"
# The classic builder: dockerd 20.10 from Debian has no buildx plugin beside a newer client.
export DOCKER_BUILDKIT=0

# --- the base image ------------------------------------------------------------------------------
if ! "$DOCKER" image inspect "$LOCAL_PYTHON_IMAGE" >/dev/null 2>&1 \
    || [[ "$("$DOCKER" image inspect -f '{{index .Config.Labels "seed.base-key"}}' "$LOCAL_PYTHON_IMAGE")" != "$base_key" ]]; then
  if [[ ! -s "$BASE_TAR" ]]; then
    command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: run tools/install-node-deps.sh"
    say "making the base $LOCAL_PYTHON_IMAGE with mmdebstrap (about a minute) ..."
    started=$(date +%s)
# BASE-RECIPE-BEGIN (hashed: a change here rebuilds the base)
    mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
      --include=python3.11,python3.11-venv,python-is-python3,ca-certificates \
      --customize-hook='mkdir -p "$1/usr/local/share/ca-certificates/host"' \
      --customize-hook='for f in /usr/local/share/ca-certificates/*.crt; do [ -f "$f" ] && cp "$f" "$1/usr/local/share/ca-certificates/host/"; done; true' \
      --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
      --customize-hook='printf "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n" > "$1/etc/pip.conf"' \
      --customize-hook='rm -rf "$1/var/cache/apt/"* "$1/var/lib/apt/lists/"*' \
      bookworm "$BASE_TAR.tmp" \
      "deb http://deb.debian.org/debian bookworm main" \
      "deb http://deb.debian.org/debian bookworm-updates main" \
      "deb http://deb.debian.org/debian-security bookworm-security main"
# BASE-RECIPE-END
    mv -f "$BASE_TAR.tmp" "$BASE_TAR"
    say "base rootfs made in $(( $(date +%s) - started )) s: $BASE_TAR"
  fi
  "$DOCKER" import \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
    --change "LABEL seed.base-key=$base_key" \
    "$BASE_TAR" "$LOCAL_PYTHON_IMAGE" >/dev/null
  say "imported $LOCAL_PYTHON_IMAGE from $BASE_TAR"
fi

# --- the image -----------------------------------------------------------------------------------
started=$(date +%s)
previous_id="$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
say "docker build --network host --build-arg PYTHON_IMAGE=$LOCAL_PYTHON_IMAGE -t $IMAGE ."
"$DOCKER" build --network host --build-arg "PYTHON_IMAGE=$LOCAL_PYTHON_IMAGE" -t "$IMAGE" "$REPO" >&2
"$DOCKER" save -o "$IMAGE_TAR.tmp" "$IMAGE"
# The image this build superseded (its build-stage layers stay: they are the next build's cache).
if [[ -n "$previous_id" && "$previous_id" != "$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE")" ]]; then
  "$DOCKER" image rm "$previous_id" >/dev/null 2>&1 || true
fi
mv -f "$IMAGE_TAR.tmp" "$IMAGE_TAR"
# Older tarballs of this image name are superseded.
find "$IMAGES_DIR" -maxdepth 1 -name "$TAR_STEM-*.tar" ! -path "$IMAGE_TAR" -delete
say "built $IMAGE in $(( $(date +%s) - started )) s: $IMAGE_TAR"
echo "$IMAGE_TAR"
