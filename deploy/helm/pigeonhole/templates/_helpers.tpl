{{/* Common names and fragments. Resource names are <release>-<component>. */}}

{{- define "pigeonhole.name" -}}{{ .Release.Name }}{{- end }}

{{- define "pigeonhole.labels" -}}
app.kubernetes.io/name: pigeonhole
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: pigeonhole
{{- end }}

{{- define "pigeonhole.selector" -}}
app.kubernetes.io/name: pigeonhole
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "pigeonhole.image" -}}
{{ .root.Values.image.registry }}{{ .root.Values.image.repository }}/{{ .component }}:{{ .root.Values.image.tag }}
{{- end }}

{{- define "pigeonhole.kafkaBootstrap" -}}
{{- if .Values.kafka.bootstrapServers -}}{{ .Values.kafka.bootstrapServers }}{{- else -}}{{ .Release.Name }}-kafka-bootstrap:9092{{- end -}}
{{- end }}

{{- define "pigeonhole.internalSecretName" -}}
{{- if .Values.internalSecret.existingSecret -}}{{ .Values.internalSecret.existingSecret }}{{- else -}}{{ .Release.Name }}-internal{{- end -}}
{{- end }}

{{/* The internal secret the chart manages: the value given, else (on upgrade) the one already in the cluster, else random. */}}
{{- define "pigeonhole.internalSecretValue" -}}
{{- if .Values.internalSecret.value -}}
{{- .Values.internalSecret.value -}}
{{- else -}}
{{- $existing := dict -}}
{{- if .Release.IsUpgrade -}}
{{- $existing = lookup "v1" "Secret" .Release.Namespace (printf "%s-internal" .Release.Name) -}}
{{- end -}}
{{- if and $existing $existing.data (hasKey $existing.data "internal-secret") -}}
{{- index $existing.data "internal-secret" | b64dec -}}
{{- else -}}
{{- randAlphaNum 40 -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/* Pod annotations that roll the pods when a setting they read at start changes. */}}
{{- define "pigeonhole.rollOn" -}}
checksum/config: {{ include (print .Template.BasePath "/030-ConfigMap-config.yaml") . | sha256sum }}
{{- if .Values.internalSecret.value }}
checksum/internal-secret: {{ .Values.internalSecret.value | sha256sum }}
{{- end }}
{{- end }}

{{/* Restricted pod security: non-root, no privilege escalation, read-only root, no capabilities. */}}
{{- define "pigeonhole.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 185
runAsGroup: 185
fsGroup: 185
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "pigeonhole.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end }}

{{/* Probes on the services' SmallRye Health endpoints. */}}
{{- define "pigeonhole.probes" -}}
startupProbe:
  httpGet: {path: /q/health/started, port: management}
  periodSeconds: 5
  failureThreshold: 60
readinessProbe:
  httpGet: {path: /q/health/ready, port: management}
  periodSeconds: 10
  failureThreshold: 3
livenessProbe:
  httpGet: {path: /q/health/live, port: management}
  periodSeconds: 10
  failureThreshold: 6
{{- end }}

{{/* The pod's own name, for instance ids and DNS names. */}}
{{- define "pigeonhole.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef: {fieldPath: metadata.name}
{{- end }}

{{/* The internal API secret: only the router (checks it) and delivery (presents it) get it. */}}
{{- define "pigeonhole.internalSecretEnv" -}}
- name: PIGEONHOLE_INTERNAL_SECRET
  valueFrom:
    secretKeyRef: {name: {{ include "pigeonhole.internalSecretName" . }}, key: internal-secret}
{{- end }}

{{- define "pigeonhole.authMount" -}}
{{- if and .Values.auth.publicKeyPem (not .Values.auth.publicKeyLocation) }}
- name: auth-key
  mountPath: /etc/pigeonhole/auth
  readOnly: true
{{- end }}
{{- end }}

{{- define "pigeonhole.authVolume" -}}
{{- if and .Values.auth.publicKeyPem (not .Values.auth.publicKeyLocation) }}
- name: auth-key
  configMap:
    name: {{ .Release.Name }}-auth-key
{{- end }}
{{- end }}
