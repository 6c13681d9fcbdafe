#!/usr/bin/env bash
# End to end on a real cluster, for people with Docker (`make kind-e2e`). NOT run in this repo's CI:
# CI has no Docker engine. It:
#   1. creates a kind cluster (KIND_CLUSTER, default seed-e2e) unless it exists,
#   2. builds the image (make image) and loads it into the cluster,
#   3. installs PostgreSQL 16, MinIO (a bucket with Object Lock) and OpenBao (dev mode, KV salt,
#      Transit key) from their upstream images with the plain manifests below,
#   4. migrates the database, creates the runner Secret, installs the chart,
#   5. applies the dev profile and a SeedRun and waits for Succeeded (and a seed-verify pass).
# Needs: docker, kind, kubectl, helm on PATH. KEEP=1 keeps the cluster afterwards.
set -euo pipefail

CLUSTER="${KIND_CLUSTER:-seed-e2e}"
NS="${SEED_NAMESPACE:-seeding}"
IMAGE="${IMAGE:-seed-operator:e2e}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POSTGRES_IMAGE="${POSTGRES_IMAGE:-postgres:16.9-bookworm}"
MINIO_IMAGE="${MINIO_IMAGE:-minio/minio:RELEASE.2025-04-22T22-12-26Z}"
MC_IMAGE="${MC_IMAGE:-minio/mc:RELEASE.2025-04-16T18-13-26Z}"
OPENBAO_IMAGE="${OPENBAO_IMAGE:-openbao/openbao:2.2.0}"
TIMEOUT="${TIMEOUT:-600s}"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'kind-e2e: %s\n' "$*" >&2; exit 1; }

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH (this script needs docker, kind, kubectl and helm)"
done
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (docker info failed)"

cleanup() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    say "FAILED (exit $rc): state for a post-mortem"
    kubectl -n "$NS" get seedruns,jobs,pods -o wide || true
    kubectl -n "$NS" describe seedruns || true
    kubectl -n "$NS" logs deployment/seed-operator --tail=200 || true
  fi
  if [[ "${KEEP:-0}" != 1 ]]; then
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  else
    say "KEEP=1: cluster $CLUSTER kept (kind delete cluster --name $CLUSTER)"
  fi
}
trap cleanup EXIT

say "kind cluster $CLUSTER"
kind get clusters 2>/dev/null | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --wait 120s
kubectl config use-context "kind-$CLUSTER" >/dev/null

say "image $IMAGE"
make -C "$REPO" image IMAGE="$IMAGE"
kind load docker-image "$IMAGE" --name "$CLUSTER"

say "dependencies: PostgreSQL, MinIO, OpenBao in namespace seed-deps"
kubectl create namespace seed-deps --dry-run=client -o yaml | kubectl apply -f -
kubectl -n seed-deps apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: postgres, labels: {app: postgres}}
spec:
  replicas: 1
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers:
        - name: postgres
          image: $POSTGRES_IMAGE
          env:
            - {name: POSTGRES_PASSWORD, value: e2e-only-password}
            - {name: POSTGRES_DB, value: app}
          ports: [{containerPort: 5432}]
          readinessProbe: {exec: {command: [pg_isready, -U, postgres]}, periodSeconds: 2}
---
apiVersion: v1
kind: Service
metadata: {name: postgres}
spec: {selector: {app: postgres}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: minio, labels: {app: minio}}
spec:
  replicas: 1
  selector: {matchLabels: {app: minio}}
  template:
    metadata: {labels: {app: minio}}
    spec:
      containers:
        - name: minio
          image: $MINIO_IMAGE
          args: [server, /data]
          env:
            - {name: MINIO_ROOT_USER, value: e2e-access-key}
            - {name: MINIO_ROOT_PASSWORD, value: e2e-secret-key}
          ports: [{containerPort: 9000}]
          readinessProbe: {httpGet: {path: /minio/health/ready, port: 9000}, periodSeconds: 2}
          volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: minio}
spec: {selector: {app: minio}, ports: [{port: 9000}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: openbao, labels: {app: openbao}}
spec:
  replicas: 1
  selector: {matchLabels: {app: openbao}}
  template:
    metadata: {labels: {app: openbao}}
    spec:
      containers:
        - name: openbao
          image: $OPENBAO_IMAGE
          args: [server, -dev, -dev-root-token-id=e2e-root-token, -dev-listen-address=0.0.0.0:8200]
          ports: [{containerPort: 8200}]
          readinessProbe: {httpGet: {path: /v1/sys/health, port: 8200}, periodSeconds: 2}
---
apiVersion: v1
kind: Service
metadata: {name: openbao}
spec: {selector: {app: openbao}, ports: [{port: 8200}]}
YAML
kubectl -n seed-deps rollout status deployment/postgres deployment/minio deployment/openbao --timeout="$TIMEOUT"

say "MinIO bucket with Object Lock; OpenBao salt and Transit key"
kubectl -n seed-deps delete pod setup-minio setup-openbao --ignore-not-found >/dev/null
kubectl -n seed-deps run setup-minio --image="$MC_IMAGE" --restart=Never --command -- sh -c '
  mc alias set e2e http://minio:9000 e2e-access-key e2e-secret-key &&
  mc mb --ignore-existing --with-lock e2e/seed-reports'
kubectl -n seed-deps run setup-openbao --image="$OPENBAO_IMAGE" --restart=Never \
  --env=BAO_ADDR=http://openbao:8200 --env=BAO_TOKEN=e2e-root-token --command -- sh -c '
  bao kv put secret/seeding/dev/tenant-a/salt salt=c2VlZC1vcGVyYXRvci1raW5kLWUyZS1zYWx0LXYx &&
  (bao secrets enable transit || true) &&
  bao write -f transit/keys/seeding-reports type=rsa-3072'
for pod in setup-minio setup-openbao; do
  kubectl -n seed-deps wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$pod" --timeout="$TIMEOUT"
done

# e2e only: the superuser login, which seedctl switches to the seed_writer role with SET ROLE.
# In production SEED_DATABASE_URL is a login that is a member of seed_writer.
DB_URL="postgresql://postgres:e2e-only-password@postgres.seed-deps.svc:5432/app"

say "namespace $NS: migrate the database, runner Secret"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl label namespace "$NS" seeding.iabank.io/tenant=tenant-a \
  pod-security.kubernetes.io/enforce=restricted --overwrite
kubectl -n "$NS" delete pod seed-migrate --ignore-not-found >/dev/null
kubectl -n "$NS" run seed-migrate --image="$IMAGE" --image-pull-policy=Never --restart=Never \
  --overrides='{"spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"seed-migrate","image":"'"$IMAGE"'","imagePullPolicy":"Never","command":["seedctl","db","migrate","--database-url","'"$DB_URL"'"],"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}'
kubectl -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded pod/seed-migrate --timeout="$TIMEOUT"
kubectl -n "$NS" create secret generic seed-runner-env \
  --from-literal=SEED_DATABASE_URL="$DB_URL" \
  --from-literal=SEED_VAULT_TOKEN=e2e-root-token \
  --from-literal=AWS_ACCESS_KEY_ID=e2e-access-key \
  --from-literal=AWS_SECRET_ACCESS_KEY=e2e-secret-key \
  --dry-run=client -o yaml | kubectl apply -f -

say "helm install seed-operator"
helm upgrade --install seed-operator "$REPO/helm/seed-operator" --namespace "$NS" --wait --timeout "$TIMEOUT" \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never \
  --set runner.vault.address=http://openbao.seed-deps.svc:8200 --set runner.vault.auth=token \
  --set runner.s3.endpoint=http://minio.seed-deps.svc:9000 --set runner.s3.region=us-east-1 \
  --set runner.s3.wormBucket=seed-reports \
  --set 'networkPolicy.postgres.to[0].namespaceSelector.matchLabels.kubernetes\.io/metadata\.name=seed-deps' \
  --set 'networkPolicy.vault.to[0].namespaceSelector.matchLabels.kubernetes\.io/metadata\.name=seed-deps' \
  --set 'networkPolicy.s3.to[0].namespaceSelector.matchLabels.kubernetes\.io/metadata\.name=seed-deps' \
  --set 'networkPolicy.s3.ports[0].port=9000'

say "the dev profile and a SeedRun (the dev window is open all day)"
sed "s/namespace: seeding/namespace: $NS/" "$REPO/manifests/profiles/dev/tenant-a.yaml" | kubectl apply -f -
sed "s/namespace: seeding/namespace: $NS/" "$REPO/manifests/runs/dev/tenant-a-baseline.yaml" | kubectl apply -f -
RUN="$(kubectl apply --dry-run=client -o jsonpath='{.metadata.name}' -f "$REPO/manifests/runs/dev/tenant-a-baseline.yaml")"
kubectl -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded "seedrun/$RUN" --timeout="$TIMEOUT"
kubectl -n "$NS" get seedruns
kubectl -n "$NS" describe seedrun "$RUN"

say "seed-verify: a dry run of every profile in $NS, as the Argo CD PostSync hook would"
sed "s/namespace: seeding/namespace: $NS/" "$REPO/manifests/argocd/verify/verify-hook.yaml" \
  | sed "s#registry.example.com/iabank/seed-operator:0.1.0#$IMAGE#; s#command: \[seed-verify#imagePullPolicy: Never\n          command: [seed-verify#" \
  | kubectl -n "$NS" create -f -
JOB="$(kubectl -n "$NS" get jobs -o name | grep seed-verify | tail -1)"
kubectl -n "$NS" wait --for=condition=Complete "$JOB" --timeout="$TIMEOUT"
kubectl -n "$NS" logs "$JOB"
say "kind-e2e passed"
