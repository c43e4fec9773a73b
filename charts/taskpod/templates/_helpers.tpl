{{/* The chart's name, at most 63 characters. */}}
{{- define "taskpod.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name when it already holds the chart's name, else release-chart. */}}
{{- define "taskpod.fullname" -}}
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

{{- define "taskpod.selectorLabels" -}}
app.kubernetes.io/name: {{ include "taskpod.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "taskpod.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "taskpod.selectorLabels" . }}
app.kubernetes.io/part-of: taskpod
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "taskpod.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "taskpod.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "taskpod.secretName" -}}
{{- default (include "taskpod.fullname" .) .Values.secret.name }}
{{- end }}

{{/* Where task Pods run and the Lease lives. */}}
{{- define "taskpod.taskNamespace" -}}
{{- default .Release.Namespace .Values.config.namespace }}
{{- end }}

{{- define "taskpod.replicas" -}}
{{- if eq .Values.store "sqlite" }}
{{- if and (not (kindIs "invalid" .Values.replicaCount)) (ne (int .Values.replicaCount) 1) }}
{{- fail (printf "store=sqlite runs exactly one replica (a SQLite file has one writer), not replicaCount=%v; use store=postgres for more" .Values.replicaCount) }}
{{- end }}
{{- 1 }}
{{- else if kindIs "invalid" .Values.replicaCount }}
{{- 2 }}
{{- else }}
{{- int .Values.replicaCount }}
{{- end }}
{{- end }}

{{- define "taskpod.leaderElect" -}}
{{- and (eq .Values.store "postgres") .Values.leaderElection }}
{{- end }}

{{- define "taskpod.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The config file: the user's config values, then the keys the chart manages. */}}
{{- define "taskpod.configFile" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config "namespace" (include "taskpod.taskNamespace" .) }}
{{- $_ := set $config "pod_template_file" "/etc/taskpod/pod-template.yaml" }}
{{- $_ := set $config "listen" (printf "0.0.0.0:%d" 8080) }}
{{- $_ := set $config "api_token_file" "/var/run/secrets/taskpod/api-token" }}
{{- $_ := set $config "leader_elect" (eq (include "taskpod.leaderElect" .) "true") }}
{{- if eq .Values.rbac.scope "cluster" }}
{{- $_ := set $config "multi_namespace_mode" true }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* The chart refuses combinations a schema cannot express. */}}
{{- define "taskpod.validate" -}}
{{- $grace := int .Values.config.shutdown_grace_period }}
{{- if le (int .Values.terminationGracePeriodSeconds) (add $grace 5) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be above config.shutdown_grace_period + 5 s (%d): the Lease release and the store's close need the 5 s" .Values.terminationGracePeriodSeconds (add $grace 5)) }}
{{- end }}
{{- if and (eq .Values.store "postgres") (gt (int (include "taskpod.replicas" .)) 1) (not .Values.leaderElection) }}
{{- fail "more than one replica needs leaderElection: true (two active controllers would both launch Pods)" }}
{{- end }}
{{- end }}
