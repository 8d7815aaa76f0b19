{{/* Names, labels and the values every template derives the same way. */}}

{{- define "jjj-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of the release's resources, at most 63 characters (a DNS label). */}}
{{- define "jjj-gateway.fullname" -}}
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

{{- define "jjj-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels every resource carries (Kubernetes recommended labels). */}}
{{- define "jjj-gateway.labels" -}}
helm.sh/chart: {{ include "jjj-gateway.chart" . }}
app.kubernetes.io/name: {{ include "jjj-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: jjj-gateway
{{- end }}

{{- define "jjj-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jjj-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of the gateway pods (not the adapter servers' or the migration Job's). */}}
{{- define "jjj-gateway.gatewaySelectorLabels" -}}
{{ include "jjj-gateway.selectorLabels" . }}
app.kubernetes.io/component: gateway
{{- end }}

{{/* Selector of every adapter server pod of the release. */}}
{{- define "jjj-gateway.adapterSelectorLabels" -}}
{{ include "jjj-gateway.selectorLabels" . }}
app.kubernetes.io/component: adapter-server
{{- end }}

{{- define "jjj-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "jjj-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "jjj-gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* Where the container image keeps its writable state, and where the chart mounts things. */}}
{{- define "jjj-gateway.instancePath" -}}/var/lib/jjj-gateway{{- end }}
{{- define "jjj-gateway.configRoot" -}}/etc/jjj-gateway{{- end }}

{{/* GATEWAY_ISSUER: set, or the first ingress host, or the service inside the cluster. */}}
{{- define "jjj-gateway.issuer" -}}
{{- if .Values.gateway.issuer }}
{{- .Values.gateway.issuer | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) $host }}
{{- else }}
{{- include "jjj-gateway.serviceUrl" . }}
{{- end }}
{{- end }}

{{- define "jjj-gateway.serviceUrl" -}}
{{- printf "http://%s.%s.svc:%v" (include "jjj-gateway.fullname" .) .Release.Namespace .Values.service.port }}
{{- end }}

{{/* -- which optional parts are configured ------------------------------------------------ */}}

{{- define "jjj-gateway.databaseConfigured" -}}
{{- if or .Values.database.existingSecret .Values.database.url }}true{{- end }}
{{- end }}

{{- define "jjj-gateway.databaseSecretName" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{- define "jjj-gateway.redisConfigured" -}}
{{- if or .Values.redis.existingSecret .Values.redis.url }}true{{- end }}
{{- end }}

{{- define "jjj-gateway.redisSecretName" -}}
{{- .Values.redis.existingSecret | default (printf "%s-redis" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{- define "jjj-gateway.serverSecretName" -}}
{{- .Values.serverSecret.existingSecret | default (printf "%s-server" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{- define "jjj-gateway.keysConfigured" -}}
{{- if or .Values.signingKeys.existingSecret .Values.signingKeys.files }}true{{- end }}
{{- end }}

{{- define "jjj-gateway.keysSecretName" -}}
{{- .Values.signingKeys.existingSecret | default (printf "%s-signing-keys" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{- define "jjj-gateway.catalogConfigured" -}}
{{- if or (include "jjj-gateway.catalogFromConfigMaps" .) .Values.catalog.volume }}true{{- end }}
{{- end }}

{{- define "jjj-gateway.catalogFromConfigMaps" -}}
{{- if or .Values.catalog.datasets .Values.catalog.existingDatasetsConfigMap }}true{{- end }}
{{- end }}

{{- define "jjj-gateway.catalogDatasetsName" -}}
{{- .Values.catalog.existingDatasetsConfigMap | default (printf "%s-catalog-datasets" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{- define "jjj-gateway.catalogRegionsName" -}}
{{- .Values.catalog.existingRegionsConfigMap | default (printf "%s-catalog-regions" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{- define "jjj-gateway.catalogCategoriesName" -}}
{{- .Values.catalog.existingCategoriesConfigMap | default (printf "%s-catalog-categories" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{- define "jjj-gateway.nodesConfigured" -}}
{{- if or .Values.nodes.files .Values.nodes.existingConfigMap }}true{{- end }}
{{- end }}

{{- define "jjj-gateway.nodesName" -}}
{{- .Values.nodes.existingConfigMap | default (printf "%s-nodes" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{- define "jjj-gateway.policiesConfigured" -}}
{{- if or .Values.policies.files .Values.policies.existingConfigMap }}true{{- end }}
{{- end }}

{{- define "jjj-gateway.policiesName" -}}
{{- .Values.policies.existingConfigMap | default (printf "%s-policies" (include "jjj-gateway.fullname" .)) }}
{{- end }}

{{/* The migration Job runs when there is a shared database to migrate. */}}
{{- define "jjj-gateway.migrationJob" -}}
{{- if and .Values.migrations.enabled (include "jjj-gateway.databaseConfigured" .) }}true{{- end }}
{{- end }}

{{/* Refuse settings that would break a gateway of several replicas. */}}
{{- define "jjj-gateway.validate" -}}
{{- $several := or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) }}
{{- if $several }}
{{- if not (include "jjj-gateway.databaseConfigured" .) }}
{{- fail "several gateway replicas need one shared database: set database.existingSecret or database.url" }}
{{- end }}
{{- if not (include "jjj-gateway.keysConfigured" .) }}
{{- fail "several gateway replicas need the same signing keys: set signingKeys.existingSecret or signingKeys.files" }}
{{- end }}
{{- end }}
{{- if and .Values.catalog.volume (or (include "jjj-gateway.catalogFromConfigMaps" .) .Values.catalog.regions .Values.catalog.categories .Values.catalog.existingRegionsConfigMap .Values.catalog.existingCategoriesConfigMap) }}
{{- fail "catalog.volume holds the whole catalogue: set it or the catalogue's documents and ConfigMaps, not both" }}
{{- end }}
{{- if and .Values.catalog.datasets (not .Values.catalog.regions) (not .Values.catalog.existingRegionsConfigMap) }}
{{- fail "catalog.datasets needs the region registry too: set catalog.regions or catalog.existingRegionsConfigMap" }}
{{- end }}
{{- if and .Values.catalog.existingDatasetsConfigMap (not .Values.catalog.regions) (not .Values.catalog.existingRegionsConfigMap) }}
{{- fail "catalog.existingDatasetsConfigMap needs the region registry too: set catalog.regions or catalog.existingRegionsConfigMap" }}
{{- end }}
{{- if and (include "jjj-gateway.catalogFromConfigMaps" .) (not .Values.catalog.categories) (not .Values.catalog.existingCategoriesConfigMap) }}
{{- fail "a catalogue needs the category taxonomy too: set catalog.categories or catalog.existingCategoriesConfigMap" }}
{{- end }}
{{- end }}

{{/* OTEL_* variables of a pod: .root is the chart's context, .serviceName the service name to
set (empty: the process's own default, jjj-gateway or jjj-adapter-<node>). */}}
{{- define "jjj-gateway.otelEnv" -}}
{{- $root := .root }}
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- with $root.Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $root.Values.otel.protocol | quote }}
{{- end }}
{{- with .serviceName }}
- name: OTEL_SERVICE_NAME
  value: {{ . | quote }}
{{- end }}
{{- $attributes := list (printf "k8s.namespace.name=%s" $root.Release.Namespace) "k8s.pod.name=$(K8S_POD_NAME)" "k8s.node.name=$(K8S_NODE_NAME)" }}
{{- range $key, $value := $root.Values.otel.resourceAttributes }}
{{- $attributes = append $attributes (printf "%s=%v" $key $value) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attributes | quote }}
{{- with $root.Values.otel.tracesSampler }}
- name: OTEL_TRACES_SAMPLER
  value: {{ . | quote }}
{{- end }}
{{- with $root.Values.otel.tracesSamplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ . | quote }}
{{- end }}
{{- if $root.Values.otel.headers.existingSecret }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.otel.headers.existingSecret }}
      key: {{ $root.Values.otel.headers.existingSecretKey }}
{{- end }}
{{- end }}

{{/* The pod's writable scratch volumes (the root filesystem is read-only). */}}
{{- define "jjj-gateway.scratchVolumes" -}}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: {{ .Values.scratch.tmpSizeLimit }}
- name: instance
  emptyDir:
    sizeLimit: {{ .Values.scratch.instanceSizeLimit }}
{{- end }}
