#!/usr/bin/env bash
# Smoke test of the envtest-style control plane: etcd + kube-apiserver (no
# kubelet, no controller-manager) on 127.0.0.1 with throw-away certificates,
# driven with kubectl (and helm, if built). Starts everything, checks, stops it and removes its temp
# dir. Exit status 0 = pass.
#
# Binaries: ${SEED_CACHE:-$HOME/.cache/seed-operator}/bin/<name>-<version>
# (tools/build-binaries.sh), or override with ETCD_BIN, KUBE_APISERVER_BIN, KUBECTL_BIN,
# HELM_BIN.
set -euo pipefail
# shellcheck source=smoke-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-common.sh"
smoke_init smoke-control-plane

ETCD="$(bin_path etcd "$ETCD_VERSION" "${ETCD_BIN:-}")"
APISERVER="$(bin_path kube-apiserver "$KUBERNETES_VERSION" "${KUBE_APISERVER_BIN:-}")"
KUBECTL="$(bin_path kubectl "$KUBERNETES_VERSION" "${KUBECTL_BIN:-}")"
T="$SMOKE_TMP"
PKI="$T/pki"
mkdir -p "$PKI" "$T/home"
# Keep kubectl's discovery cache and config out of $HOME.
export HOME="$T/home" KUBECONFIG="$T/kubeconfig" KUBECACHEDIR="$T/kube-cache"

read -r ETCD_CLIENT_PORT ETCD_PEER_PORT API_PORT < <(free_ports 3)
smoke_log "ports: etcd client=$ETCD_CLIENT_PORT peer=$ETCD_PEER_PORT apiserver=$API_PORT; tmp=$T"

# --- certificates (openssl) -------------------------------------------------
smoke_log "generating certificates"
ossl() { openssl "$@" 2>>"$T/openssl.log" >/dev/null || smoke_fail "openssl $1 failed (see openssl.log)"; }
ossl req -x509 -newkey rsa:2048 -nodes -sha256 -days 1 \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=seed-smoke-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
sign() {  # sign NAME SUBJECT EXTFILE_CONTENT
  ossl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$1.key" -out "$PKI/$1.csr" -subj "$2"
  printf '%s\n' "$3" > "$PKI/$1.ext"
  ossl x509 -req -sha256 -days 1 -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -out "$PKI/$1.crt" -extfile "$PKI/$1.ext"
}
sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.0.0.1"
sign admin "/O=system:masters/CN=seed-smoke-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
ossl genrsa -out "$PKI/sa.key" 2048
ossl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"

# --- etcd ---------------------------------------------------------------------
smoke_log "starting etcd $ETCD_VERSION"
"$ETCD" \
  --name=smoke \
  --data-dir="$T/etcd-data" \
  --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="smoke=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync=true \
  > "$T/etcd.log" 2>&1 &
SMOKE_PIDS+=($!)
wait_until 60 "etcd /health" bash -c \
  "curl -sf http://127.0.0.1:$ETCD_CLIENT_PORT/health | grep -q '\"health\":\"true\"'"
smoke_log "etcd healthy"

# --- kube-apiserver -----------------------------------------------------------
APISERVER_FLAGS=(
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT"
  --bind-address=127.0.0.1
  --advertise-address=127.0.0.1
  --secure-port="$API_PORT"
  --tls-cert-file="$PKI/apiserver.crt"
  --tls-private-key-file="$PKI/apiserver.key"
  --client-ca-file="$PKI/ca.crt"
  --authorization-mode=RBAC
  --service-cluster-ip-range=10.0.0.0/24
  --service-account-issuer=https://kubernetes.default.svc
  --service-account-key-file="$PKI/sa.pub"
  --service-account-signing-key-file="$PKI/sa.key"
  --disable-admission-plugins=ServiceAccount
  --allow-privileged=true
)
smoke_log "starting kube-apiserver $KUBERNETES_VERSION"
START=$(date +%s)
"$APISERVER" "${APISERVER_FLAGS[@]}" > "$T/kube-apiserver.log" 2>&1 &
SMOKE_PIDS+=($!)
CURL_AUTH=(--cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")
wait_until 180 "kube-apiserver /readyz" bash -c \
  "[[ \"\$(curl -s ${CURL_AUTH[*]} https://127.0.0.1:$API_PORT/readyz)\" == ok ]]"
smoke_log "kube-apiserver ready after $(( $(date +%s) - START ))s"

# --- kubeconfig -----------------------------------------------------------------
k() { "$KUBECTL" --request-timeout=30s "$@"; }
k config set-cluster smoke --server="https://127.0.0.1:$API_PORT" \
  --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
k config set-credentials admin --client-certificate="$PKI/admin.crt" \
  --client-key="$PKI/admin.key" --embed-certs=true >/dev/null
k config set-context smoke --cluster=smoke --user=admin >/dev/null
k config use-context smoke >/dev/null

# --- checks -----------------------------------------------------------------------
check() {  # check DESCRIPTION CMD... (prints the command output)
  local what="$1" out; shift
  if out="$("$@" 2>&1)"; then
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    smoke_log "ok: $what"
  else
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    smoke_fail "$what"
  fi
}
check "kubectl version (server $KUBERNETES_VERSION)" bash -c \
  "'$KUBECTL' version -o json | grep -q '\"gitVersion\": \"v$KUBERNETES_VERSION\"' && '$KUBECTL' version"
check "kubectl get ns" bash -c "'$KUBECTL' get ns && '$KUBECTL' get ns default"
check "kubectl create ns x" k create ns x
check "namespace x listed" k get ns x

# RBAC through impersonation: the default SA of x may not create pods, then is
# granted a Role that allows it and may. (auth can-i exits 1 on "no").
# NB: a Role with explicit rules, not the aggregated 'edit'/'admin'/'view'
# ClusterRoles: their rules are filled in by kube-controller-manager's
# clusterrole-aggregation controller, which envtest does not run.
ans="$(k auth can-i create pods --as=system:serviceaccount:x:default -n x 2>&1 || true)"
[[ "$ans" == "no" ]] || smoke_fail "can-i before binding: expected 'no', got '$ans'"
smoke_log "ok: auth can-i create pods --as=system:serviceaccount:x:default -> no"
check "role + rolebinding for x:default" bash -c \
  "'$KUBECTL' create role pod-creator -n x --verb=create,get,list --resource=pods && \
   '$KUBECTL' create rolebinding pod-creator -n x --role=pod-creator --serviceaccount=x:default"
ans=""
for _ in $(seq 1 20); do  # the RBAC authorizer's informer needs a moment
  ans="$(k auth can-i create pods --as=system:serviceaccount:x:default -n x 2>&1 || true)"
  [[ "$ans" == "yes" ]] && break
  sleep 0.5
done
[[ "$ans" == "yes" ]] || smoke_fail "can-i after binding: expected 'yes', got '$ans'"
smoke_log "ok: auth can-i create pods --as=system:serviceaccount:x:default -n x -> yes"
ans="$(k auth can-i delete pods --as=system:serviceaccount:x:default -n x 2>&1 || true)"
[[ "$ans" == "no" ]] || smoke_fail "can-i delete pods: expected 'no', got '$ans'"
smoke_log "ok: auth can-i delete pods (not granted) -> no"
smoke_log "info: rules of aggregated clusterrole 'edit' without controller-manager: $(
  k get clusterrole edit -o jsonpath='{.rules}' 2>&1 || true)"

# Service-account tokens are signed with --service-account-signing-key-file.
# (No controller-manager runs, so the SA object is created by hand.)
check "create serviceaccount" k create serviceaccount smoke -n x
TOKEN="$(k create token smoke -n x --duration=10m)" || smoke_fail "kubectl create token"
k config set-credentials sa-smoke --token="$TOKEN" >/dev/null
who="$(k --user=sa-smoke auth whoami -o jsonpath='{.status.userInfo.username}' 2>&1 || true)"
[[ "$who" == system:serviceaccount:x:smoke ]] || smoke_fail "token authn: whoami gave '$who'"
smoke_log "ok: create token + authenticate with it (whoami = $who)"
# Objects without controllers still persist (pods stay Pending: no scheduler/kubelet).
check "create configmap + pod" bash -c \
  "'$KUBECTL' -n x create configmap smoke --from-literal=a=b && \
   '$KUBECTL' -n x run smoke --image=example.invalid/none --restart=Never && \
   '$KUBECTL' -n x get pod smoke -o jsonpath='{.status.phase}'"
check "CRD round trip" bash -c "cat <<'EOF' | '$KUBECTL' apply -f - && '$KUBECTL' wait --for=condition=Established crd/widgets.smoke.seed.example --timeout=60s
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.seed.example
spec:
  group: smoke.seed.example
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
EOF"
check "custom resource create/get" bash -c "cat <<'EOF' | '$KUBECTL' apply -f - && '$KUBECTL' -n x get widgets.smoke.seed.example w1 -o jsonpath='{.spec.size}'
apiVersion: smoke.seed.example/v1
kind: Widget
metadata: {name: w1, namespace: x}
spec: {size: 3}
EOF"
# helm against this API server (if helm is built): install/list/uninstall a
# chart with a single ConfigMap (no --wait: nothing would ever become Ready).
HELM="${HELM_BIN:-$SEED_CACHE/bin/helm-$HELM_VERSION}"
if [[ -x "$HELM" ]]; then
  export HELM_CACHE_HOME="$T/helm/cache" HELM_CONFIG_HOME="$T/helm/config" HELM_DATA_HOME="$T/helm/data"
  mkdir -p "$T/chart/templates"
  printf 'apiVersion: v2\nname: smoke\nversion: 0.1.0\n' > "$T/chart/Chart.yaml"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  k: v\n' \
    > "$T/chart/templates/cm.yaml"
  check "helm install" "$HELM" install r1 "$T/chart" -n x
  check "helm list" bash -c "'$HELM' list -n x -q | grep -qx r1"
  check "helm-created configmap" k get configmap r1-cm -n x
  check "helm uninstall" "$HELM" uninstall r1 -n x
else
  smoke_log "skip: helm checks ($HELM not built)"
fi

check "kubectl delete ns x" k delete ns x --wait=false
# Without kube-controller-manager nothing finalizes the namespace.
smoke_log "info: phase of ns x after delete (no namespace controller): $(
  k get ns x -o jsonpath='{.status.phase}' 2>&1 || true)"

SMOKE_OK=1
smoke_log "all control-plane checks passed"
