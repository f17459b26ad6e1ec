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

{{- define "pigeonhole.imageTag" -}}
{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "pigeonhole.image" -}}
{{ .root.Values.image.registry }}{{ .root.Values.image.repository }}/{{ .component }}:{{ include "pigeonhole.imageTag" .root }}
{{- end }}

{{/* A -SNAPSHOT tag moves: pull it always; a release tag does not. */}}
{{- define "pigeonhole.pullPolicy" -}}
{{- .Values.image.pullPolicy | default (ternary "Always" "IfNotPresent" (hasSuffix "-SNAPSHOT" (include "pigeonhole.imageTag" .))) -}}
{{- end }}

{{- define "pigeonhole.kafkaBootstrap" -}}
{{- if .Values.kafka.bootstrapServers -}}{{ .Values.kafka.bootstrapServers }}{{- else -}}{{ .Release.Name }}-kafka-bootstrap:9093{{- end -}}
{{- end }}

{{/* Topic names and the router's application id start with this. */}}
{{- define "pigeonhole.topicPrefix" -}}
{{- .Values.kafka.topics.prefix | default (printf "%s-" .Release.Name) -}}
{{- end }}

{{- define "pigeonhole.kafkaProtocol" -}}
{{- if .Values.kafka.security.protocol -}}{{ .Values.kafka.security.protocol }}
{{- else if .Values.kafka.strimzi.enabled -}}SASL_SSL
{{- else -}}PLAINTEXT{{- end -}}
{{- end }}

{{/* The Secret with a service's sasl.jaas.config: the one given, else its Strimzi KafkaUser's; empty: none. */}}
{{- define "pigeonhole.kafkaCredentials" -}}
{{- $given := index .root.Values.kafka.security.credentials .service -}}
{{- if $given -}}{{ $given }}
{{- else if and .root.Values.kafka.strimzi.enabled (hasPrefix "SASL_" (include "pigeonhole.kafkaProtocol" .root)) -}}
{{ .root.Release.Name }}-{{ .service }}
{{- end -}}
{{- end }}

{{- define "pigeonhole.kafkaCaSecret" -}}
{{- .Values.kafka.security.caSecret | default (printf "%s-cluster-ca-cert" .Release.Name) -}}
{{- end }}

{{- define "pigeonhole.kafkaTls" -}}
{{- if has (include "pigeonhole.kafkaProtocol" .) (list "SSL" "SASL_SSL") }}true{{ end -}}
{{- end }}

{{/* Per service: its Kafka login (protocol, mechanism and trust store are in the ConfigMap). */}}
{{- define "pigeonhole.kafkaEnv" -}}
{{- with include "pigeonhole.kafkaCredentials" . }}
- name: KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: sasl.jaas.config}
{{- end }}
{{- end }}

{{- define "pigeonhole.kafkaCaMount" -}}
{{- if include "pigeonhole.kafkaTls" . }}
- name: kafka-ca
  mountPath: /etc/pigeonhole/kafka-ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "pigeonhole.kafkaCaVolume" -}}
{{- if include "pigeonhole.kafkaTls" . }}
- name: kafka-ca
  secret:
    secretName: {{ include "pigeonhole.kafkaCaSecret" . }}
    items:
      - {key: {{ .Values.kafka.security.caKey }}, path: ca.crt}
{{- end }}
{{- end }}

{{/* "true" renders; "auto" renders when the cluster serves the API (.Capabilities). */}}
{{- define "pigeonhole.wanted" -}}
{{- $v := toString .value -}}
{{- if or (eq $v "true") (and (eq $v "auto") (.root.Capabilities.APIVersions.Has .api)) }}true{{ end -}}
{{- end }}

{{/* JAVA_OPTS: G1, heap/direct/metaspace bounded inside the container's memory limit (values <service>.jvm). */}}
{{- define "pigeonhole.javaOpts" -}}
-XX:+UseG1GC -XX:MaxRAMPercentage={{ .heapPercent }} -XX:InitialRAMPercentage={{ .heapPercent }} -XX:MaxDirectMemorySize={{ .maxDirectMemory | trimSuffix "i" | lower }} -XX:MaxMetaspaceSize={{ .maxMetaspace | trimSuffix "i" | lower }} -XX:+ExitOnOutOfMemoryError -Djava.util.logging.manager=org.jboss.logmanager.LogManager
{{- end }}

{{/* Scheduling of a component's pods: nodeSelector, tolerations, priority, anti-affinity and spread by default. */}}
{{- define "pigeonhole.scheduling" -}}
{{- $v := .values -}}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
affinity:
{{- if $v.affinity }}
  {{- toYaml $v.affinity | nindent 2 }}
{{- else }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "pigeonhole.selector" . | nindent 14 }}
{{- end }}
topologySpreadConstraints:
{{- if $v.topologySpreadConstraints }}
  {{- toYaml $v.topologySpreadConstraints | nindent 2 }}
{{- else }}
{{- range list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "pigeonhole.selector" $ | nindent 8 }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pigeonhole.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default .Release.Name -}}
{{- end }}

{{/* Partition counts and the topic prefix cannot change once topics exist: refuse an upgrade that changes them. */}}
{{- define "pigeonhole.immutableTopics" -}}
{{- if .Release.IsUpgrade -}}
{{- $old := lookup "v1" "ConfigMap" .Release.Namespace (printf "%s-config" .Release.Name) -}}
{{- if and $old $old.data -}}
{{- $new := dict "PIGEONHOLE_ROUTER_PARTITIONS" (toString .Values.kafka.topics.partitions) "PIGEONHOLE_ROUTER_PUSH_PARTITIONS" (toString .Values.kafka.topics.pushPartitions) "PIGEONHOLE_TOPIC_PREFIX" (include "pigeonhole.topicPrefix" .) -}}
{{- range $key, $value := $new -}}
{{- $was := index $old.data $key | default (ternary "pigeonhole-" "" (eq $key "PIGEONHOLE_TOPIC_PREFIX")) -}}
{{- if and $was (ne $was $value) -}}
{{- fail (printf "%s is %s in the running release and cannot change to %s: topics keep their partitions and names (docs/operations.md, \"Growing partitions\")" $key $was $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
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
fsGroupChangePolicy: OnRootMismatch
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
