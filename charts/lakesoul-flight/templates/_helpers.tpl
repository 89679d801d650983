{{/* Name of the chart, or nameOverride. */}}
{{- define "lakesoul-flight.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name prefix: release and chart name, or fullnameOverride. */}}
{{- define "lakesoul-flight.fullname" -}}
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

{{- define "lakesoul-flight.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "lakesoul-flight.labels" -}}
app.kubernetes.io/name: {{ include "lakesoul-flight.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "lakesoul-flight.metaLabels" . }}
{{- end }}

{{/* Labels that never select: chart, version, manager. */}}
{{- define "lakesoul-flight.metaLabels" -}}
helm.sh/chart: {{ include "lakesoul-flight.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lakesoul-flight
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "query"). */}}
{{- define "lakesoul-flight.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lakesoul-flight.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "lakesoul-flight.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lakesoul-flight.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "lakesoul-flight.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The chart's own Secret: generated signing key, password and MinIO credentials. */}}
{{- define "lakesoul-flight.secretName" -}}
{{- include "lakesoul-flight.fullname" . }}
{{- end }}

{{/* Whether the chart's Secret is needed at all. */}}
{{- define "lakesoul-flight.ownSecret" -}}
{{- if or (not .Values.auth.signingSecret.existingSecret) (and (not .Values.auth.usersFile.existingSecret) .Values.auth.user.name (not .Values.auth.user.existingSecret)) .Values.minioBundled.enabled }}true{{ end }}
{{- end }}

{{- define "lakesoul-flight.etcdEndpoints" -}}
{{- if .Values.etcdBundled.enabled }}
{{- printf "http://%s-etcd:2379" (include "lakesoul-flight.fullname" .) }}
{{- else }}
{{- if not .Values.etcd.endpoints }}
{{- fail "etcd.endpoints must list the external etcd cluster when etcdBundled.enabled is false" }}
{{- end }}
{{- join "," .Values.etcd.endpoints }}
{{- end }}
{{- end }}

{{- define "lakesoul-flight.minioHost" -}}
{{- printf "%s-minio" (include "lakesoul-flight.fullname" .) }}
{{- end }}

{{- define "lakesoul-flight.warehouse" -}}
{{- if .Values.warehouse.uri }}
{{- .Values.warehouse.uri }}
{{- else if .Values.minioBundled.enabled }}
{{- printf "s3://%s/warehouse" .Values.minioBundled.bucket }}
{{- else }}
{{- fail "warehouse.uri (s3://bucket/prefix) is required when minioBundled.enabled is false" }}
{{- end }}
{{- end }}

{{/*
Flags and environment shared by the query replicas and the compactor:
catalog, warehouse, logging. Secrets only through secretKeyRef and mounted files.
*/}}
{{- define "lakesoul-flight.commonArgs" -}}
- --data-dir=/tmp/lakesoul-data
- --etcd-endpoints={{ include "lakesoul-flight.etcdEndpoints" . }}
- --etcd-prefix={{ .Values.etcd.prefix }}
{{- if and .Values.etcd.tls.enabled (not .Values.etcdBundled.enabled) }}
{{- if .Values.etcd.tls.caKey }}
- --etcd-ca=/etc/lakesoul/etcd-tls/{{ .Values.etcd.tls.caKey }}
{{- end }}
{{- if .Values.etcd.tls.certKey }}
- --etcd-cert=/etc/lakesoul/etcd-tls/{{ .Values.etcd.tls.certKey }}
- --etcd-key=/etc/lakesoul/etcd-tls/{{ .Values.etcd.tls.keyKey }}
{{- end }}
{{- end }}
- --warehouse={{ include "lakesoul-flight.warehouse" . }}
{{- if .Values.minioBundled.enabled }}
- --s3-endpoint={{ include "lakesoul-flight.minioHost" . }}:9000
- --s3-insecure
{{- else }}
{{- with .Values.s3.endpoint }}
- --s3-endpoint={{ . }}
{{- end }}
{{- if .Values.s3.insecure }}
- --s3-insecure
{{- end }}
{{- end }}
{{- with .Values.s3.region }}
- --s3-region={{ . }}
{{- end }}
- --orphan-grace={{ .Values.orphanGrace }}
- --metrics-listen=0.0.0.0:{{ .Values.service.metricsPort }}
- --log-level={{ .Values.log.level }}
- --log-format={{ .Values.log.format }}
- --shutdown-timeout={{ .Values.shutdownTimeoutSeconds }}s
{{- end }}

{{- define "lakesoul-flight.commonEnv" -}}
- name: TMPDIR
  value: /tmp
{{- if and .Values.etcd.auth.existingSecret (not .Values.etcdBundled.enabled) }}
- name: LAKESOUL_ETCD_USER
  valueFrom:
    secretKeyRef:
      name: {{ .Values.etcd.auth.existingSecret }}
      key: {{ .Values.etcd.auth.usernameKey }}
- name: LAKESOUL_ETCD_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.etcd.auth.existingSecret }}
      key: {{ .Values.etcd.auth.passwordKey }}
{{- end }}
{{- if .Values.minioBundled.enabled }}
- name: LAKESOUL_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "lakesoul-flight.secretName" . }}
      key: minio-root-user
- name: LAKESOUL_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "lakesoul-flight.secretName" . }}
      key: minio-root-password
{{- else if .Values.s3.existingSecret }}
- name: LAKESOUL_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.s3.existingSecret }}
      key: {{ .Values.s3.accessKeyKey }}
- name: LAKESOUL_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.s3.existingSecret }}
      key: {{ .Values.s3.secretKeyKey }}
{{- end }}
{{- end }}

{{/* Volumes both deployments mount: scratch and the etcd client certificates. */}}
{{- define "lakesoul-flight.commonVolumes" -}}
- name: scratch
  emptyDir:
    {{- with .Values.scratchSizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- if and .Values.etcd.tls.enabled (not .Values.etcdBundled.enabled) }}
- name: etcd-tls
  secret:
    secretName: {{ required "etcd.tls.existingSecret is required when etcd.tls.enabled" .Values.etcd.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "lakesoul-flight.commonVolumeMounts" -}}
- name: scratch
  mountPath: /tmp
{{- if and .Values.etcd.tls.enabled (not .Values.etcdBundled.enabled) }}
- name: etcd-tls
  mountPath: /etc/lakesoul/etcd-tls
  readOnly: true
{{- end }}
{{- end }}

{{/* Probes on /healthz of the metrics port. */}}
{{- define "lakesoul-flight.probes" -}}
readinessProbe:
  httpGet:
    path: /healthz
    port: metrics
  initialDelaySeconds: {{ .Values.readinessProbe.initialDelaySeconds }}
  periodSeconds: {{ .Values.readinessProbe.periodSeconds }}
  timeoutSeconds: {{ .Values.readinessProbe.timeoutSeconds }}
  failureThreshold: {{ .Values.readinessProbe.failureThreshold }}
livenessProbe:
  httpGet:
    path: /healthz
    port: metrics
  initialDelaySeconds: {{ .Values.livenessProbe.initialDelaySeconds }}
  periodSeconds: {{ .Values.livenessProbe.periodSeconds }}
  timeoutSeconds: {{ .Values.livenessProbe.timeoutSeconds }}
  failureThreshold: {{ .Values.livenessProbe.failureThreshold }}
{{- end }}

{{- define "lakesoul-flight.terminationGracePeriodSeconds" -}}
{{- add .Values.preStopSleepSeconds .Values.shutdownTimeoutSeconds .Values.terminationGraceMarginSeconds }}
{{- end }}

{{/* Init step creating the bundled MinIO's bucket, so that servers find it at start. */}}
{{- define "lakesoul-flight.bucketInit" -}}
{{- if .Values.minioBundled.enabled -}}
- name: create-bucket
  image: "{{ .Values.minioBundled.mcImage.repository }}:{{ .Values.minioBundled.mcImage.tag }}"
  imagePullPolicy: {{ .Values.minioBundled.mcImage.pullPolicy }}
  command:
    - /bin/sh
    - -ec
    - |
      until mc --config-dir /tmp/mc alias set bundled "http://{{ include "lakesoul-flight.minioHost" . }}:9000" "$MINIO_USER" "$MINIO_PASSWORD" >/dev/null; do
        echo "waiting for MinIO"; sleep 2
      done
      mc --config-dir /tmp/mc mb --ignore-existing "bundled/{{ .Values.minioBundled.bucket }}"
  env:
    - name: MINIO_USER
      valueFrom:
        secretKeyRef:
          name: {{ include "lakesoul-flight.secretName" . }}
          key: minio-root-user
    - name: MINIO_PASSWORD
      valueFrom:
        secretKeyRef:
          name: {{ include "lakesoul-flight.secretName" . }}
          key: minio-root-password
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    requests:
      cpu: 10m
      memory: 32Mi
    limits:
      memory: 128Mi
  volumeMounts:
    - name: scratch
      mountPath: /tmp
{{- end }}
{{- end }}

{{/* Refuse settings the server would refuse at start. */}}
{{- define "lakesoul-flight.validate" -}}
{{- $authn := or .Values.auth.usersFile.existingSecret .Values.auth.user.name (and .Values.tls.existingSecret .Values.tls.clientCAKey) }}
{{- if and (not $authn) (not .Values.auth.insecureNoAuth) }}
{{- fail "no authentication: set auth.usersFile.existingSecret, auth.user.name, or tls.clientCAKey (mutual TLS); or auth.insecureNoAuth=true on a trusted network" }}
{{- end }}
{{- if and $authn .Values.auth.insecureNoAuth }}
{{- fail "auth.insecureNoAuth contradicts the authentication that is configured" }}
{{- end }}
{{- if and .Values.etcd.tls.enabled .Values.etcd.tls.certKey (not .Values.etcd.tls.keyKey) }}
{{- fail "etcd.tls.keyKey is required with etcd.tls.certKey" }}
{{- end }}
{{- end }}
