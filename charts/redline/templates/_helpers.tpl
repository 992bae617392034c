{{/* Names and labels. */}}
{{- define "redline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "redline.fullname" -}}
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

{{- define "redline.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "redline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "redline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "redline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "redline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "redline.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "redline.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret the pods read: the one named in values, or the chart's own. */}}
{{- define "redline.secretName" -}}
{{- default (include "redline.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Secret environment, least privilege: the web pods verify deliveries (webhook secrets,
the API token), the workers talk to the hosts (tokens, the App key); both reach the store and
the queue. A key is optional when its feature is off. */}}
{{- define "redline.secretEnv" -}}
{{- $secret := include "redline.secretName" .root }}
{{- $v := .root.Values }}
{{- $github := $v.github.enabled }}
{{- $gitlab := $v.gitlab.enabled }}
{{- $entries := list }}
{{- if eq .component "web" }}
{{- $entries = list
  (list "REDLINE_GITHUB_WEBHOOK_SECRET" "github-webhook-secret" $github)
  (list "REDLINE_GITLAB_WEBHOOK_TOKEN" "gitlab-webhook-token" $gitlab)
  (list "REDLINE_API_TOKEN" "api-token" false) }}
{{- else if eq .component "worker" }}
{{- $entries = list
  (list "REDLINE_GITHUB_PRIVATE_KEY" "github-private-key" (and $github (eq $v.github.auth "app")))
  (list "REDLINE_GITHUB_TOKEN" "github-token" (and $github (eq $v.github.auth "token")))
  (list "REDLINE_GITLAB_TOKEN" "gitlab-token" $gitlab) }}
{{- end }}
{{- if and (eq .component "worker") $github (eq $v.github.auth "app") }}
# With its private key only: settings refuse one without the other.
- name: REDLINE_GITHUB_APP_ID
  value: {{ $v.github.appId | toString | quote }}
{{- end }}
{{- range $entries }}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ index . 1 }}
      optional: {{ not (index . 2) }}
{{- end }}
{{- include "redline.storeEnv" . }}
{{- end }}

{{/* The store and the queue: from the Secret, or composed from the subcharts' Secrets. */}}
{{- define "redline.storeEnv" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- if $v.postgresql.enabled }}
- name: PG_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-postgresql" $root.Release.Name }}
      key: password
- name: REDLINE_DATABASE_URL
  value: {{ printf "postgresql://%s:$(PG_PASSWORD)@%s-postgresql:5432/%s" $v.postgresql.auth.username $root.Release.Name $v.postgresql.auth.database | quote }}
{{- else }}
- name: REDLINE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secret | default (include "redline.secretName" $root) }}
      key: database-url
{{- end }}
{{- if ne .component "migrate" }}
{{- if $v.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-redis" $root.Release.Name }}
      key: redis-password
- name: REDLINE_QUEUE_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s-redis-master:6379/0" $root.Release.Name | quote }}
{{- else }}
- name: REDLINE_QUEUE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "redline.secretName" $root }}
      key: queue-url
{{- end }}
{{- end }}
{{- end }}

{{/* What every redline container shares: settings, secrets, writable scratch space. */}}
{{- define "redline.container" -}}
image: {{ include "redline.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "redline.fullname" .root }}
env:
  # The root filesystem is read-only: caches and settings (semgrep's) go to /tmp.
  - {name: HOME, value: /tmp}
  - {name: XDG_CACHE_HOME, value: /tmp/.cache}
  {{- include "redline.secretEnv" . | trim | nindent 2 }}
  {{- with .extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{- define "redline.pod" -}}
serviceAccountName: {{ include "redline.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
