package dev.pigeonhole.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
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
import io.strimzi.api.kafka.model.topic.KafkaTopic;
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
            assertThat(doc.resource().getClass().getSimpleName()).as(doc.template())
                    .isNotEqualTo("GenericKubernetesResource");
            assertThat(Chart.unknownFields(doc.resource())).as(doc.template()).isEmpty();
            String expectedKind = doc.template().split("-")[1];
            assertThat(doc.resource().getKind()).as("file names say the kind: " + doc.template()).isEqualTo(expectedKind);
        }
    }

    @ParameterizedTest(name = "{0} values")
    @MethodSource("valueSets")
    void everyTopicTheCodeUsesHasAKafkaTopicWithThePartitionsTheRouterExpects(String name, Path values) {
        List<Chart.Doc> docs = render(values);
        Map<String, String> config = Chart.one(docs, ConfigMap.class, "pigeonhole-config").getData();
        int partitions = Integer.parseInt(config.get("PIGEONHOLE_ROUTER_PARTITIONS"));
        int pushPartitions = Integer.parseInt(config.get("PIGEONHOLE_ROUTER_PUSH_PARTITIONS"));
        Map<String, KafkaTopic> topics = Chart.all(docs, KafkaTopic.class).stream()
                .collect(Collectors.toMap(t -> t.getMetadata().getName(), t -> t));
        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(Topics.ALL.stream().map(Topic::name).toList());
        for (Topic<?, ?> topic : Topics.ALL) {
            KafkaTopic kt = topics.get(topic.name());
            assertThat(kt.getSpec().getPartitions()).as(topic.name())
                    .isEqualTo(topic == Topics.PUSH ? pushPartitions : topic == Topics.DEAD_LETTERS ? 1 : partitions);
            assertThat(kt.getSpec().getReplicas()).isEqualTo(Integer.parseInt(config.get("PIGEONHOLE_ROUTER_REPLICATION_FACTOR")));
            topic.config().forEach((key, value) ->
                    assertThat(String.valueOf(kt.getSpec().getConfig().get(key))).as(topic.name() + " " + key).isEqualTo(value));
            assertThat(String.valueOf(kt.getSpec().getConfig().get("min.insync.replicas")))
                    .isEqualTo(config.get("PIGEONHOLE_ROUTER_MIN_INSYNC_REPLICAS"));
            assertThat(kt.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", Chart.RELEASE);
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
                assertThat(c.getResources().getLimits()).as(c.getName()).containsKeys("cpu", "memory");
                assertThat(c.getResources().getRequests()).as(c.getName()).containsKeys("cpu", "memory");
            }
        }
        assertThat(pods(docs)).hasSize(3);
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
                "/v1/messages", "pigeonhole-gateway", "/v1/groups", "pigeonhole-gateway",
                "/v1/inbox", "pigeonhole-delivery", "/v1/devices", "pigeonhole-delivery"));
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
                dev.pigeonhole.access.LimitsConfig.class)) {
            declare(config, config.getAnnotation(io.smallrye.config.ConfigMapping.class).prefix(), declared);
        }
        Set<String> passThrough = Set.of("PIGEONHOLE_GATEWAY_PRODUCER"); // a map of Kafka producer properties
        Set<String> missing = new java.util.TreeSet<>(declared);
        missing.removeAll(provided);
        missing.removeAll(passThrough);
        assertThat(missing).as("settings without a chart value").isEmpty();
        Set<String> unknown = provided.stream().filter(k -> k.startsWith("PIGEONHOLE_") && !k.equals("PIGEONHOLE_INTERNAL_SECRET"))
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
