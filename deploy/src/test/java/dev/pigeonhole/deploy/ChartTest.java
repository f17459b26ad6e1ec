package dev.pigeonhole.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.pigeonhole.records.KafkaAcls;
import dev.pigeonhole.records.Topic;
import dev.pigeonhole.records.Topics;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Helm chart: lint, render, typed parse, and the invariants the services rely on. */
class ChartTest {
    private static final Set<String> HEALTH_PATHS = Set.of("/q/health/started", "/q/health/ready", "/q/health/live");

    static Stream<Arguments> valueSets() {
        return Stream.of(Arguments.of("default", null), Arguments.of("production", Chart.PRODUCTION_VALUES));
    }

    private static List<Chart.Doc> render(Path values) {
        return Chart.renderDocs(values, Map.of());
    }

    @Test
    void lintsCleanlyInStrictMode() {
        LintResult lint = new Helm(Chart.DIR).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    void rendersIntoTypedObjectsWithoutUnknownFields(String name, Path values) {
        List<Chart.Doc> docs = render(values);
        assertThat(docs).hasSizeGreaterThan(15);
        for (Chart.Doc doc : docs) {
            String expectedKind = doc.template().split("-")[1];
            assertThat(doc.resource().getKind()).as("file names say the kind: " + doc.template()).isEqualTo(expectedKind);
            if (doc.resource().getApiVersion().startsWith("kafka.strimzi.io/")) {
                continue; // no typed model of Strimzi's v1 API runs on Java 17: SchemaValidationTest checks them against the CRDs
            }
            assertThat(doc.resource().getClass().getSimpleName()).as(doc.template())
                    .isNotEqualTo("GenericKubernetesResource");
            assertThat(Chart.unknownFields(doc.resource())).as(doc.template()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    @SuppressWarnings("unchecked")
    void everyTopicTheCodeUsesHasAKafkaTopicWithThePartitionsTheRouterExpects(String name, Path values) {
        List<Chart.Doc> docs = render(values);
        Map<String, String> config = Chart.one(docs, ConfigMap.class, "pigeonhole-config").getData();
        int partitions = Integer.parseInt(config.get("PIGEONHOLE_ROUTER_PARTITIONS"));
        int pushPartitions = Integer.parseInt(config.get("PIGEONHOLE_ROUTER_PUSH_PARTITIONS"));
        assertThat(config.get("PIGEONHOLE_TOPIC_PREFIX")).isEqualTo(Chart.RELEASE + "-");
        Map<String, Map<String, Object>> topics = Chart.all(docs, GenericKubernetesResource.class).stream()
                .filter(r -> r.getKind().equals("KafkaTopic"))
                .collect(Collectors.toMap(t -> (String) ((Map<String, Object>) t.getAdditionalProperties().get("spec")).get("topicName"),
                        t -> {
                            assertThat(t.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", Chart.RELEASE);
                            return (Map<String, Object>) t.getAdditionalProperties().get("spec");
                        }));
        // the test JVM runs with the default prefix, which is the release name's here
        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(Topics.ALL.stream().map(Topic::name).toList());
        for (Topic<?, ?> topic : Topics.ALL) {
            Map<String, Object> spec = topics.get(topic.name());
            assertThat(spec.get("partitions")).as(topic.name())
                    .isEqualTo(topic == Topics.PUSH ? pushPartitions : topic == Topics.DEAD_LETTERS ? 1 : partitions);
            assertThat(spec.get("replicas")).isEqualTo(Integer.parseInt(config.get("PIGEONHOLE_ROUTER_REPLICATION_FACTOR")));
            Map<String, Object> topicConfig = (Map<String, Object>) spec.get("config");
            topic.config().forEach((key, value) ->
                    assertThat(String.valueOf(topicConfig.get(key))).as(topic.name() + " " + key).isEqualTo(value));
            assertThat(String.valueOf(topicConfig.get("min.insync.replicas")))
                    .isEqualTo(config.get("PIGEONHOLE_ROUTER_MIN_INSYNC_REPLICAS"));
        }
    }

    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    void theRouterKeepsItsStateOnAVolumeAndAdvertisesItsOwnAddress(String name, Path values) {
        List<Chart.Doc> docs = render(values);
        StatefulSet router = Chart.one(docs, StatefulSet.class, "pigeonhole-router");
        String stateDir = Chart.one(docs, ConfigMap.class, "pigeonhole-config").getData().get("PIGEONHOLE_ROUTER_STATE_DIR");
        assertThat(router.getSpec().getVolumeClaimTemplates()).extracting(c -> c.getMetadata().getName()).containsExactly("state");
        Container container = router.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("state");
            assertThat(stateDir).startsWith(m.getMountPath() + "/");
        });
        Map<String, String> env = env(container);
        assertThat(router.getSpec().getServiceName()).isEqualTo("pigeonhole-router-headless");
        assertThat(env.get("PIGEONHOLE_ROUTER_ADVERTISED_HOST"))
                .isEqualTo("$(POD_NAME).pigeonhole-router-headless.pigeonhole.svc.cluster.local");
        assertThat(env.get("JAVA_TOOL_OPTIONS")).contains("-Dkafka-streams.group.instance.id=$(POD_NAME)");
        assertThat(env).containsKey("PIGEONHOLE_INTERNAL_SECRET");
        assertThat(Chart.one(docs, io.fabric8.kubernetes.api.model.Service.class, "pigeonhole-router-headless")
                .getSpec().getClusterIP()).isEqualTo("None");
    }

    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    void probesPointAtTheHealthEndpointsTheServicesServe(String name, Path values) {
        for (Container c : containers(render(values))) {
            for (Probe probe : new Probe[] {c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe()}) {
                assertThat(probe).as(c.getName()).isNotNull();
                assertThat(probe.getHttpGet().getPath()).as(c.getName()).isIn(HEALTH_PATHS);
                assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("management");
            }
            assertThat(c.getPorts()).extracting(p -> p.getName() + ":" + p.getContainerPort()).containsExactly("http:8080", "management:9000");
        }
    }

    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    void nothingRunsAsRootAndEveryContainerHasLimits(String name, Path values) {
        List<Chart.Doc> docs = render(values);
        for (PodSpec pod : pods(docs)) {
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).isNotZero();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            for (Container c : pod.getContainers()) {
                assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(c.getName()).isFalse();
                assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(c.getName()).isTrue();
                assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
                assertThat(c.getResources().getRequests()).as(c.getName()).containsKeys("cpu", "memory");
                assertThat(c.getResources().getRequests().get("memory")).as(c.getName() + ": memory requests = limits")
                        .isEqualTo(c.getResources().getLimits().get("memory"));
                if (c.getName().equals("router")) {
                    assertThat(c.getResources().getLimits()).as("no CPU throttling of commits").doesNotContainKey("cpu");
                } else {
                    assertThat(c.getResources().getLimits()).as(c.getName()).containsKey("cpu");
                }
            }
            assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        }
        assertThat(pods(docs)).hasSize(3);
    }

    /**
     * Each service's Strimzi KafkaUser grants exactly {@link KafkaAcls} (what KafkaAclsIT runs the services with), for a
     * release's own prefix, with and without the router creating the topics.
     */
    @ParameterizedTest(name = "topics created by Strimzi: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    @SuppressWarnings("unchecked")
    void eachServiceLogsInToKafkaWithExactlyTheAclsItNeeds(boolean topicsCreated) {
        List<Chart.Doc> docs = Chart.parse(Chart.render("chat", "apps", null, Map.of("kafka.topics.create", topicsCreated)));
        Map<String, Map<String, Object>> users = Chart.all(docs, GenericKubernetesResource.class).stream()
                .filter(r -> r.getKind().equals("KafkaUser"))
                .collect(Collectors.toMap(r -> r.getMetadata().getName(), r -> (Map<String, Object>) r.getAdditionalProperties().get("spec")));
        assertThat(users.keySet()).containsExactlyInAnyOrder("chat-router", "chat-gateway", "chat-delivery");
        for (KafkaAcls.Service service : KafkaAcls.Service.values()) {
            String user = "chat-" + service.name().toLowerCase();
            Map<String, Object> spec = users.get(user);
            assertThat(((Map<String, Object>) spec.get("authentication")).get("type")).isEqualTo("scram-sha-512");
            Set<String> granted = new java.util.TreeSet<>();
            for (Map<String, Object> acl : (List<Map<String, Object>>) ((Map<String, Object>) spec.get("authorization")).get("acls")) {
                Map<String, Object> resource = (Map<String, Object>) acl.get("resource");
                for (Object op : (List<Object>) acl.get("operations")) {
                    granted.add(resource.get("type") + " " + resource.get("name") + " " + resource.get("patternType") + " " + op);
                }
            }
            Set<String> needed = new java.util.TreeSet<>();
            for (KafkaAcls.Acl acl : KafkaAcls.of(service, "chat-", !topicsCreated)) {
                String type = switch (acl.type()) {
                    case TOPIC -> "topic";
                    case GROUP -> "group";
                    case TRANSACTIONAL_ID -> "transactionalId";
                    default -> throw new AssertionError(acl);
                };
                String pattern = acl.pattern() == org.apache.kafka.common.resource.PatternType.PREFIXED ? "prefix" : "literal";
                acl.operations().forEach(op -> needed.add(type + " " + acl.name() + " " + pattern + " "
                        + op.name().charAt(0) + op.name().substring(1).toLowerCase()));
            }
            assertThat(granted).as(user).isEqualTo(needed);
            // and the pods log in as that user
            Container c = containers(docs).stream().filter(x -> x.getName().equals(service.name().toLowerCase())).findFirst().orElseThrow();
            assertThat(c.getEnv()).anySatisfy(e -> {
                assertThat(e.getName()).isEqualTo("KAFKA_SASL_JAAS_CONFIG");
                assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(user);
            });
        }
        Map<String, String> config = Chart.one(docs, ConfigMap.class, "chat-config").getData();
        assertThat(config).containsEntry("KAFKA_SECURITY_PROTOCOL", "SASL_SSL").containsEntry("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
                .containsEntry("KAFKA_BOOTSTRAP_SERVERS", "chat-kafka-bootstrap:9093").containsEntry("PIGEONHOLE_TOPIC_PREFIX", "chat-");
    }

    /** Two releases on one Kafka share no topic, application id, consumer group, transactional id or object name. */
    @Test
    @SuppressWarnings("unchecked")
    void twoReleasesOnOneKafkaShareNoName() {
        List<Chart.Doc> a = Chart.parse(Chart.render("chat", "apps", null, Map.of("kafka.strimzi.enabled", false,
                "kafka.bootstrapServers", "kafka:9092")));
        List<Chart.Doc> b = Chart.parse(Chart.render("support", "apps", null, Map.of("kafka.strimzi.enabled", false,
                "kafka.bootstrapServers", "kafka:9092")));
        assertThat(Chart.one(a, ConfigMap.class, "chat-config").getData()).containsEntry("PIGEONHOLE_TOPIC_PREFIX", "chat-")
                .containsEntry("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT");
        assertThat(Chart.one(b, ConfigMap.class, "support-config").getData()).containsEntry("PIGEONHOLE_TOPIC_PREFIX", "support-");
        Set<String> namesA = a.stream().map(d -> d.resource().getKind() + "/" + d.resource().getMetadata().getName()).collect(Collectors.toSet());
        assertThat(b).noneMatch(d -> namesA.contains(d.resource().getKind() + "/" + d.resource().getMetadata().getName()));
    }

    /**
     * Graceful rollouts: a pod's grace period covers preStop + drain + close callbacks + closing Kafka; PDBs say maxUnavailable; a pod
     * counts as available only after minReadySeconds; every port of every pod is covered by a NetworkPolicy rule.
     */
    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    void podsStopGracefullyAndOnlyTheRightPeersReachThem(String name, Path values) {
        List<Chart.Doc> docs = render(values);
        Map<String, String> config = Chart.one(docs, ConfigMap.class, "pigeonhole-config").getData();
        for (Deployment d : Chart.all(docs, Deployment.class)) {
            String service = d.getMetadata().getName().substring("pigeonhole-".length()).toUpperCase();
            long drain = java.time.Duration.parse(config.get("PIGEONHOLE_" + service + "_DRAIN_TIMEOUT")).toSeconds();
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            long preStop = pod.getContainers().get(0).getLifecycle().getPreStop().getSleep().getSeconds();
            assertThat(pod.getTerminationGracePeriodSeconds()).as(service).isGreaterThanOrEqualTo(preStop + drain + 10);
            assertThat(d.getSpec().getMinReadySeconds()).as(service).isPositive();
            assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
        }
        assertThat(Chart.one(docs, StatefulSet.class, "pigeonhole-router").getSpec().getMinReadySeconds()).isPositive();
        assertThat(Chart.one(docs, StatefulSet.class, "pigeonhole-router").getSpec().getTemplate().getSpec().getSecurityContext()
                .getFsGroupChangePolicy()).isEqualTo("OnRootMismatch");
        assertThat(Chart.all(docs, io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class)).hasSize(3)
                .allSatisfy(pdb -> {
                    assertThat(pdb.getSpec().getMaxUnavailable()).isNotNull();
                    assertThat(pdb.getSpec().getMinAvailable()).isNull();
                });
        List<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy> policies =
                Chart.all(docs, io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class);
        List<PodTemplateLabels> workloads = new ArrayList<>();
        Chart.all(docs, Deployment.class).forEach(x -> workloads.add(new PodTemplateLabels(x.getSpec().getTemplate())));
        Chart.all(docs, StatefulSet.class).forEach(x -> workloads.add(new PodTemplateLabels(x.getSpec().getTemplate())));
        for (PodTemplateLabels w : workloads) {
            var covering = policies.stream().filter(p -> w.labels().entrySet().containsAll(
                    p.getSpec().getPodSelector().getMatchLabels().entrySet())).toList();
            assertThat(covering).as(w.name()).singleElement().satisfies(p -> {
                assertThat(p.getSpec().getPolicyTypes()).containsExactly("Ingress");
                Set<String> ports = p.getSpec().getIngress().stream().flatMap(r -> r.getPorts().stream())
                        .map(port -> port.getPort().getStrVal()).collect(Collectors.toSet());
                Set<String> exposed = w.template().getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
                        .map(io.fabric8.kubernetes.api.model.ContainerPort::getName).collect(Collectors.toSet());
                assertThat(ports).as(w.name() + ": every port has a rule naming who may connect").isEqualTo(exposed);
                assertThat(p.getSpec().getIngress()).allSatisfy(r -> assertThat(r.getFrom()).as("no rule open to all").isNotEmpty());
            });
        }
    }

    private record PodTemplateLabels(io.fabric8.kubernetes.api.model.PodTemplateSpec template) {
        Map<String, String> labels() {
            return template.getMetadata().getLabels();
        }

        String name() {
            return labels().get("app.kubernetes.io/component");
        }
    }

    /** Heap, direct memory, metaspace (and the router's RocksDB budget) plus 256 MiB of JVM overhead fit the limit. */
    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    void eachJvmFitsItsContainersMemoryLimit(String name, Path values) {
        List<Chart.Doc> docs = render(values);
        long rocksdb = Long.parseLong(Chart.one(docs, ConfigMap.class, "pigeonhole-config").getData().get("PIGEONHOLE_ROUTER_ROCKSDB_MEMORY"));
        for (Container c : containers(docs)) {
            String opts = env(c).get("JAVA_OPTS");
            assertThat(opts).as(c.getName()).contains("-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError");
            long limit = io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(c.getResources().getLimits().get("memory")).longValueExact();
            long heap = limit * Long.parseLong(flag(opts, "MaxRAMPercentage")) / 100;
            long budget = heap + bytes(flag(opts, "MaxDirectMemorySize")) + bytes(flag(opts, "MaxMetaspaceSize")) + (256L << 20)
                    + (c.getName().equals("router") ? rocksdb : 0);
            assertThat(budget).as(c.getName() + ": heap " + (heap >> 20) + " MiB + direct + metaspace + overhead"
                    + (c.getName().equals("router") ? " + RocksDB" : "") + " within " + (limit >> 20) + " MiB").isLessThanOrEqualTo(limit);
        }
    }

    private static String flag(String opts, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-XX:" + name + "=(\\S+)").matcher(opts);
        assertThat(m.find()).as(name + " in " + opts).isTrue();
        return m.group(1);
    }

    private static long bytes(String jvmSize) {
        long n = Long.parseLong(jvmSize.replaceAll("[kmg]$", ""));
        return switch (jvmSize.charAt(jvmSize.length() - 1)) {
            case 'k' -> n << 10;
            case 'm' -> n << 20;
            case 'g' -> n << 30;
            default -> n;
        };
    }

    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    void theIngressRoutesOnlyThePublicEndpoints(String name, Path values) {
        Ingress ingress = Chart.one(render(values), Ingress.class, "pigeonhole");
        Map<String, String> routes = new HashMap<>();
        for (HTTPIngressPath path : ingress.getSpec().getRules().get(0).getHttp().getPaths()) {
            routes.put(path.getPath(), path.getBackend().getService().getName());
        }
        assertThat(routes).containsExactlyInAnyOrderEntriesOf(Map.of("/v1/send", "pigeonhole-gateway",
                "/v1/messages", "pigeonhole-gateway", "/v1/groups", "pigeonhole-gateway", "/v1/uploads", "pigeonhole-gateway",
                "/v1/blobs", "pigeonhole-gateway",
                "/v1/inbox", "pigeonhole-delivery", "/v1/devices", "pigeonhole-delivery", "/v1/things", "pigeonhole-delivery"));
    }

    /**
     * Every setting the services declare ({@code @ConfigMapping} interfaces) reaches the pods — as a chart value in
     * the settings ConfigMap or as per-pod environment — and every setting in the ConfigMap is one they declare.
     */
    /** The settings of a config interface; a method returning a nested interface is a group of settings. */
    private static void declare(Class<?> config, String prefix, Set<String> declared) {
        for (Method m : config.getDeclaredMethods()) {
            if (m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String name = prefix + "." + kebab(m.getName());
            if (m.getReturnType().isInterface() && m.getReturnType().getEnclosingClass() == config) {
                declare(m.getReturnType(), name, declared);
            } else {
                declared.add(envName(name));
            }
        }
    }

    @Test
    void everyServiceSettingIsAChartValue() throws Exception {
        List<Chart.Doc> docs = render(Chart.PRODUCTION_VALUES);
        Set<String> provided = new java.util.HashSet<>(Chart.one(docs, ConfigMap.class, "pigeonhole-config").getData().keySet());
        for (Container c : containers(docs)) {
            provided.addAll(env(c).keySet());
        }
        Set<String> declared = new java.util.TreeSet<>();
        for (Class<?> config : List.of(dev.pigeonhole.router.RouterConfig.class, dev.pigeonhole.gateway.GatewayConfig.class,
                dev.pigeonhole.delivery.DeliveryConfig.class, dev.pigeonhole.access.AuthConfig.class,
                dev.pigeonhole.access.LimitsConfig.class, dev.pigeonhole.gateway.uploads.BlobsConfig.class)) {
            declare(config, config.getAnnotation(io.smallrye.config.ConfigMapping.class).prefix(), declared);
        }
        Set<String> passThrough = Set.of("PIGEONHOLE_GATEWAY_PRODUCER", // a map of Kafka producer properties
                // S3 credentials come as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from blobs.s3.existingSecret
                "PIGEONHOLE_BLOBS_S3_ACCESS_KEY", "PIGEONHOLE_BLOBS_S3_SECRET_KEY");
        Set<String> missing = new java.util.TreeSet<>(declared);
        missing.removeAll(provided);
        missing.removeAll(passThrough);
        assertThat(missing).as("settings without a chart value").isEmpty();
        Set<String> unknown = provided.stream().filter(k -> k.startsWith("PIGEONHOLE_") && !k.equals("PIGEONHOLE_INTERNAL_SECRET")
                        && !k.equals("PIGEONHOLE_TOPIC_PREFIX")) // read by records' Topics itself
                .filter(k -> !declared.contains(k)).collect(Collectors.toCollection(java.util.TreeSet::new));
        assertThat(unknown).as("chart values no service reads").isEmpty();
    }

    @Test
    void deliveryScalesOnCpuAndOptionallyOnOpenConnectionsNeverOnMemory() {
        HorizontalPodAutoscaler cpuOnly = Chart.one(Chart.renderDocs(null, Map.of()), HorizontalPodAutoscaler.class,
                Chart.RELEASE + "-delivery");
        assertThat(cpuOnly.getSpec().getMetrics()).singleElement()
                .satisfies(m -> assertThat(m.getResource().getName()).isEqualTo("cpu"));

        HorizontalPodAutoscaler withConnections = Chart.one(Chart.renderDocs(null,
                Map.of("delivery.hpa.connectionsPerPod", 15000)), HorizontalPodAutoscaler.class, Chart.RELEASE + "-delivery");
        assertThat(withConnections.getSpec().getMetrics()).extracting(m -> m.getType()).containsExactly("Resource", "Pods");
        var pods = withConnections.getSpec().getMetrics().get(1).getPods();
        assertThat(pods.getMetric().getName()).isEqualTo("pigeonhole_delivery_connections");
        assertThat(pods.getTarget().getType()).isEqualTo("AverageValue");
        assertThat(pods.getTarget().getAverageValue().getAmount()).isEqualTo("15000");

        List<Chart.Doc> keda = Chart.renderDocs(null, Map.of("delivery.keda.enabled", true));
        assertThat(Chart.all(keda, HorizontalPodAutoscaler.class)).as("KEDA makes the delivery HPA itself")
                .extracting(h -> h.getMetadata().getName()).containsExactly(Chart.RELEASE + "-gateway");
        Chart.Doc scaled = keda.stream().filter(d -> d.template().equals("064-ScaledObject-delivery.yaml")).findFirst()
                .orElseThrow();
        assertThat(scaled.yaml()).contains("kind: ScaledObject", "name: " + Chart.RELEASE + "-delivery",
                "type: cpu", "type: prometheus", "threshold: \"10000\"",
                "sum(pigeonhole_delivery_connections{namespace=\\\"" + Chart.RELEASE + "\\\",service=\\\""
                        + Chart.RELEASE + "-delivery\\\"})");
    }

    @Test
    void theInternalSecretIsTheValueGivenAndPodsRollWhenThatValueChanges() {
        List<Chart.Doc> first = Chart.renderDocs(null, Map.of("internalSecret.value", "first-secret"));
        List<Chart.Doc> again = Chart.renderDocs(null, Map.of("internalSecret.value", "first-secret"));
        List<Chart.Doc> changed = Chart.renderDocs(null, Map.of("internalSecret.value", "second-secret"));
        assertThat(internalSecret(first)).isEqualTo("first-secret").isEqualTo(internalSecret(again));
        assertThat(internalSecret(changed)).isEqualTo("second-secret");
        Map<String, String> rollFirst = rollAnnotations(first);
        assertThat(rollFirst).as("router, gateway and delivery").hasSize(3)
                .allSatisfy((pod, checksum) -> assertThat(checksum).isNotBlank());
        assertThat(rollAnnotations(again)).as("the same value: no rollout").isEqualTo(rollFirst);
        rollAnnotations(changed).forEach((pod, checksum) ->
                assertThat(checksum).as(pod + " rolls").isNotEqualTo(rollFirst.get(pod)));

        List<Chart.Doc> generated = Chart.renderDocs(null, Map.of());
        assertThat(internalSecret(generated)).as("no value and none in the cluster: a random one").hasSize(40);
        assertThat(rollAnnotations(generated)).as("a kept or generated value never rolls the pods").isEmpty();
        assertThat(Chart.all(Chart.renderDocs(null, Map.of("internalSecret.existingSecret", "mine")), Secret.class))
                .as("an existing Secret is the user's").noneMatch(s -> s.getMetadata().getName().endsWith("-internal"));
    }

    private static String internalSecret(List<Chart.Doc> docs) {
        return new String(java.util.Base64.getDecoder().decode(
                Chart.one(docs, Secret.class, Chart.RELEASE + "-internal").getData().get("internal-secret")),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /** checksum/internal-secret of each workload's pod template that has one. */
    private static Map<String, String> rollAnnotations(List<Chart.Doc> docs) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Chart.Doc doc : docs) {
            io.fabric8.kubernetes.api.model.PodTemplateSpec pod = doc.resource() instanceof StatefulSet s ? s.getSpec().getTemplate()
                    : doc.resource() instanceof Deployment d ? d.getSpec().getTemplate() : null;
            if (pod != null && pod.getMetadata().getAnnotations().containsKey("checksum/internal-secret")) {
                out.put(doc.resource().getMetadata().getName(), pod.getMetadata().getAnnotations().get("checksum/internal-secret"));
            }
        }
        return out;
    }

    @Test
    void blobStoreSettingsReachTheGatewayWithCredentialsFromTheExistingSecret() {
        List<Chart.Doc> docs = Chart.renderDocs(null, Map.of("blobs.s3.bucket", "media", "blobs.s3.endpoint",
                "http://minio.storage:9000", "blobs.s3.pathStyle", true, "blobs.s3.existingSecret", "media-s3"));
        Map<String, String> config = Chart.one(docs, ConfigMap.class, "pigeonhole-config").getData();
        assertThat(config).containsEntry("PIGEONHOLE_BLOBS_STORE", "s3").containsEntry("PIGEONHOLE_BLOBS_S3_BUCKET", "media")
                .containsEntry("PIGEONHOLE_BLOBS_S3_ENDPOINT", "http://minio.storage:9000")
                .containsEntry("PIGEONHOLE_BLOBS_S3_PATH_STYLE", "true")
                .containsEntry("PIGEONHOLE_BLOBS_QUOTA_BYTES_PER_USER", "1073741824");
        Deployment gateway = Chart.one(docs, Deployment.class, "pigeonhole-gateway");
        Container c = gateway.getSpec().getTemplate().getSpec().getContainers().get(0);
        for (String key : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
            assertThat(c.getEnv()).filteredOn(e -> e.getName().equals(key)).singleElement().satisfies(e -> {
                assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("media-s3");
                assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(key);
            });
        }
        Deployment delivery = Chart.one(docs, Deployment.class, "pigeonhole-delivery");
        assertThat(delivery.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .noneMatch(e -> e.getName().startsWith("AWS_"));
        Container noSecret = Chart.one(Chart.renderDocs(null, Map.of()), Deployment.class, "pigeonhole-gateway")
                .getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(noSecret.getEnv()).noneMatch(e -> e.getName().startsWith("AWS_"));
    }

    @Test
    void theFsBlobStoreMountsAnEmptyDirAndIsRefusedWithSeveralGatewayPods() {
        Deployment one = Chart.one(Chart.renderDocs(null, Map.of("blobs.store", "fs", "gateway.replicas", 1,
                "gateway.hpa.enabled", false)), Deployment.class, "pigeonhole-gateway");
        assertThat(one.getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts())
                .anyMatch(m -> m.getName().equals("blobs") && m.getMountPath().equals("/var/lib/pigeonhole/blobs"));
        assertThat(one.getSpec().getTemplate().getSpec().getVolumes())
                .anyMatch(v -> v.getName().equals("blobs") && v.getEmptyDir() != null);
        assertThatThrownBy(() -> Chart.render(null, Map.of("blobs.store", "fs")))
                .hasMessageContaining("blobs.store=fs");
    }

    @Test
    void theChartReadmeDocumentsEveryValue() throws Exception {
        Map<String, Object> values = new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readValue(Chart.DIR.resolve("values.yaml").toFile(),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        String readme = java.nio.file.Files.readString(Chart.DIR.resolve("README.md"));
        List<String> keys = new ArrayList<>();
        flatten("", values, keys);
        assertThat(keys).hasSizeGreaterThan(50).allSatisfy(k -> assertThat(readme).as(k).contains("`" + k + "`"));
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> map, List<String> out) {
        map.forEach((k, v) -> {
            String key = prefix.isEmpty() ? k : prefix + "." + k;
            boolean free = key.endsWith("annotations") || key.endsWith("labels")
                    || key.endsWith(".resources.requests") || key.endsWith(".resources.limits");
            if (v instanceof Map<?, ?> m && !m.isEmpty() && !free) {
                flatten(key, (Map<String, Object>) m, out);
            } else {
                out.add(key);
            }
        });
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }

    private static String envName(String property) {
        return property.toUpperCase().replaceAll("[^A-Z0-9]", "_");
    }

    static Map<String, String> env(Container c) {
        Map<String, String> env = new HashMap<>();
        for (EnvVar e : c.getEnv()) {
            env.put(e.getName(), e.getValue());
        }
        return env;
    }

    static List<PodSpec> pods(List<Chart.Doc> docs) {
        List<PodSpec> pods = new ArrayList<>();
        Chart.all(docs, Deployment.class).forEach(d -> pods.add(d.getSpec().getTemplate().getSpec()));
        Chart.all(docs, StatefulSet.class).forEach(s -> pods.add(s.getSpec().getTemplate().getSpec()));
        return pods;
    }

    static List<Container> containers(List<Chart.Doc> docs) {
        return pods(docs).stream().flatMap(p -> p.getContainers().stream()).toList();
    }
}
