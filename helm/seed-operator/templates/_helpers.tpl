{{/*
Names and labels shared by every template. Objects that the operator looks up by name (the runner
ServiceAccount, the runner Secret and ConfigMap) take their names from values, never from the
release name, so the operator's settings and the objects always agree.
*/}}

{{- define "seed-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "seed-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Cluster-scoped names carry the release namespace: two releases must not share a ClusterRole. */}}
{{- define "seed-operator.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "seed-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "seed-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object, without the selector labels (pod templates add those). */}}
{{- define "seed-operator.commonLabels" -}}
helm.sh/chart: {{ include "seed-operator.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: seed-operator
{{- end }}

{{- define "seed-operator.labels" -}}
{{ include "seed-operator.commonLabels" . }}
app.kubernetes.io/name: {{ include "seed-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "seed-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "seed-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "seed-operator.serviceAccountName" -}}
{{- default (include "seed-operator.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* The image of the operator, of its Jobs and of the purge CronJob: one image for all. */}}
{{- define "seed-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The namespaces whose SeedRuns the operator reconciles (empty watchNamespaces: the release's). */}}
{{- define "seed-operator.watchNamespaces" -}}
{{- $namespaces := .Values.watchNamespaces | default (list .Release.Namespace) }}
{{- toJson (uniq $namespaces) }}
{{- end }}

{{/*
Where batch Jobs (and the purge CronJob) run, so where the runner ServiceAccount, its ConfigMap
and the NetworkPolicy must exist: the watched namespaces plus the release namespace.
*/}}
{{- define "seed-operator.runnerNamespaces" -}}
{{- $watched := include "seed-operator.watchNamespaces" . | fromJsonArray }}
{{- toJson (uniq (prepend $watched .Release.Namespace)) }}
{{- end }}

{{/* Restricted Pod Security for every container the chart starts. */}}
{{- define "seed-operator.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "seed-operator.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
fsGroup: {{ .Values.podSecurity.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}
