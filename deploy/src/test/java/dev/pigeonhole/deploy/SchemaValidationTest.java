package dev.pigeonhole.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every object the chart renders, with several value sets, is valid for the API schemas of the supported clusters
 * (Kubernetes 1.32, Strimzi 0.51 and 1.2, prometheus-operator, KEDA, Gateway API; shipped in
 * src/test/resources/schemas, see {@link Schemas}), strictly: a field the schema does not declare fails, where the
 * API server would silently drop it.
 */
class SchemaValidationTest {
    /** As {@link Chart#render}. */
    private static final String KUBE_VERSION = "1.30.0";
    private static final String HOOK_RENAMED = "pigeonhole.test/rendered-helm-hook";
    private static final Pattern SOURCE = Pattern.compile("^# Source: pigeonhole/templates/(\\S+)$", Pattern.MULTILINE);

    /** A way to install the chart: release, namespace, values file, --set values. */
    record ValueSet(String name, String release, String namespace, Path values, Map<String, Object> sets) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Turns on every optional object and every optional branch of the templates (their ifs and withs). */
    private static final Map<String, Object> OPTIONAL_ON = ordered(
            "namespace.create", true,
            "serviceAccount.create", true,
            "tests.enabled", true,
            "tests.tokenSecret", "helm-test-token",
            "delivery.keda.enabled", true,
            "delivery.podDeletionCost.enabled", true,
            "httpRoute.enabled", true,
            "httpRoute.parentRefs[0].name", "public",
            "httpRoute.parentRefs[0].namespace", "gateways",
            "httpRoute.parentRefs[0].sectionName", "https",
            "httpRoute.hostnames[0]", "chat.example.com",
            "networkPolicy.enabled", true,
            "serviceMonitor.enabled", true,
            "serviceMonitor.labels.release", "kube-prometheus-stack",
            "prometheusRule.enabled", true,
            "prometheusRule.labels.release", "kube-prometheus-stack",
            "grafanaDashboard.enabled", true,
            "ingress.tls.enabled", true,
            "auth.issuer", "https://id.example.com/realms/chat",
            "auth.audience", "pigeonhole",
            "auth.publicKeyPem", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
            "internalSecret.value", "not-so-secret",
            "kafka.security.caSecret", "kafka-ca",
            "kafka.security.credentials.router", "router-kafka-login",
            "kafka.strimzi.storage.class", "fast-ssd",
            "router.storage.class", "fast-ssd",
            "router.zoneAwareStandbys", true,
            "router.priorityClassName", "pigeonhole-high",
            "router.nodeSelector.pool", "stateful",
            "router.tolerations[0].key", "dedicated",
            "router.tolerations[0].operator", "Exists",
            "router.tolerations[0].effect", "NoSchedule",
            "gateway.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
            "kubernetes.io/hostname",
            "gateway.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector"
                    + ".matchLabels.app\\.kubernetes\\.io/component", "gateway",
            "delivery.topologySpreadConstraints[0].maxSkew", 1,
            "delivery.topologySpreadConstraints[0].topologyKey", "topology.kubernetes.io/zone",
            "delivery.topologySpreadConstraints[0].whenUnsatisfiable", "DoNotSchedule",
            "image.pullSecrets[0].name", "registry-credentials",
            "javaToolOptions", "-XX:+UseG1GC");

    static List<ValueSet> valueSets() {
        return List.of(
                new ValueSet("defaults", Chart.RELEASE, Chart.RELEASE, null, Map.of()),
                new ValueSet("production", Chart.RELEASE, Chart.RELEASE, Chart.PRODUCTION_VALUES, Map.of()),
                new ValueSet("external Kafka", Chart.RELEASE, Chart.RELEASE, null,
                        ordered("kafka.strimzi.enabled", false, "kafka.bootstrapServers", "kafka.example:9092")),
                new ValueSet("optional features on", Chart.RELEASE, Chart.RELEASE, null, OPTIONAL_ON),
                new ValueSet("optional features off", Chart.RELEASE, Chart.RELEASE, null, ordered(
                        "gateway.hpa.enabled", false,
                        "delivery.hpa.enabled", false,
                        "kafka.topics.create", false,
                        "kafka.strimzi.rackTopologyKey", "",
                        "ingress.enabled", false,
                        "networkPolicy.enabled", false,
                        "serviceAccount.create", false,
                        "serviceAccount.name", "existing",
                        "tests.enabled", false,
                        "serviceMonitor.enabled", false,
                        "prometheusRule.enabled", false,
                        "grafanaDashboard.enabled", false,
                        "internalSecret.existingSecret", "pigeonhole-internal")),
                new ValueSet("second release (chat-eu in messaging, production values)", "chat-eu", "messaging",
                        Chart.PRODUCTION_VALUES, Map.of()));
    }

    private static final Map<ValueSet, List<Schemas.Rendered>> RENDERED = new ConcurrentHashMap<>();
    private static Path chartWithHooksAsManifests;

    /**
     * helm template (helm-java) leaves hooks such as the {@code helm test} pod out of its output: render a copy of the
     * chart whose {@code helm.sh/hook*} annotations are renamed, so hooks are rendered (and checked) like the rest.
     */
    @BeforeAll
    static void copyChart() throws IOException {
        chartWithHooksAsManifests = Files.createTempDirectory("pigeonhole-chart-").resolve(Chart.DIR.getFileName());
        try (Stream<Path> files = Files.walk(Chart.DIR)) {
            for (Path from : files.toList()) {
                Path to = chartWithHooksAsManifests.resolve(Chart.DIR.relativize(from).toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else if (from.getParent().getFileName().toString().equals("templates")) {
                    Files.writeString(to, Files.readString(from).replace("helm.sh/hook", HOOK_RENAMED));
                } else {
                    Files.copy(from, to);
                }
            }
        }
    }

    @AfterAll
    static void deleteChartCopy() throws IOException {
        if (chartWithHooksAsManifests == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(chartWithHooksAsManifests.getParent())) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static List<Schemas.Rendered> render(ValueSet set) {
        return RENDERED.computeIfAbsent(set, s -> {
            TemplateCommand template = new Helm(chartWithHooksAsManifests).template().withName(s.release())
                    .withNamespace(s.namespace()).withKubeVersion(KUBE_VERSION);
            if (s.values() != null) {
                template = template.withValuesFile(s.values());
            }
            for (Map.Entry<String, Object> e : s.sets().entrySet()) {
                template = template.set(e.getKey(), e.getValue());
            }
            return split(template.call());
        });
    }

    /** The rendered documents, each with the template it came from (by helm's "# Source:" headers). */
    static List<Schemas.Rendered> split(String rendered) {
        List<Schemas.Rendered> out = new ArrayList<>();
        for (String part : rendered.split("(?m)^---\\s*$")) {
            Matcher source = SOURCE.matcher(part);
            if (!source.find() || part.replaceAll("(?m)^#.*$", "").isBlank()) {
                continue;
            }
            try {
                out.add(new Schemas.Rendered(source.group(1), Schemas.parse(part)));
            } catch (RuntimeException e) {
                throw new AssertionError("template " + source.group(1) + " renders invalid YAML: " + e.getMessage(), e);
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void everyRenderedObjectIsValidForTheSchemaOfItsKind(ValueSet set) {
        List<Schemas.Rendered> objects = render(set);
        assertThat(objects).as("rendered objects").isNotEmpty();
        List<String> problems = new ArrayList<>();
        for (Schemas.Rendered object : objects) {
            if (!(object.object() instanceof ObjectNode)) {
                problems.add("template " + object.template() + ": not a YAML mapping: " + object.object());
                continue;
            }
            problems.addAll(Schemas.get().validate(object));
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " schema problem(s) with value set \"" + set.name() + "\" (release "
                    + set.release() + ", values " + set.values() + ", --set " + set.sets() + "):\n  "
                    + String.join("\n  ", problems));
        }
    }

    /** A new template (or a new flag) must be switched on by some value set above, or it would go unchecked. */
    @Test
    void everyTemplateIsRenderedBySomeValueSet() throws IOException {
        Set<String> templates;
        try (Stream<Path> files = Files.list(Chart.DIR.resolve("templates"))) {
            templates = files.map(f -> f.getFileName().toString())
                    .filter(f -> f.endsWith(".yaml") && !f.startsWith("_")).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> rendered = valueSets().stream().flatMap(s -> render(s).stream()).map(Schemas.Rendered::template)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(templates).as("templates no value set of SchemaValidationTest renders (add the --set that switches "
                + "them on to OPTIONAL_ON)").isSubsetOf(rendered);
    }

    /** The check is strict: a field of a value that the chart copies into an object and no schema declares fails. */
    @Test
    void aRenderedFieldTheSchemaDoesNotDeclareFails() {
        List<Schemas.Rendered> objects = split(Chart.render("chat-eu", "messaging", null,
                Map.of("image.pullSecrets[0].nam", "typo")));
        List<String> problems = objects.stream().flatMap(o -> Schemas.get().validate(o).stream()).toList();
        assertThat(problems).as("typo image.pullSecrets[0].nam")
                .anySatisfy(p -> assertThat(p).contains("StatefulSet chat-eu-router", "040-StatefulSet-router.yaml",
                        "$.spec.template.spec.imagePullSecrets[0]", "nam"));
    }

    @Test
    void builtInKindsAreCheckedStrictlyAgainstTheKubernetesSchema() {
        Schemas schemas = Schemas.get();
        assertThat(schemas.validate(rendered("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, labels: {app: web}}
                spec:
                  selector: {matchLabels: {app: web}}
                  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 25%}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers:
                        - name: web
                          image: web:1
                          ports: [{containerPort: 8080}]
                          resources: {requests: {cpu: 0.5, memory: 1Gi}, limits: {cpu: 1}}
                          readinessProbe: {httpGet: {path: /q/health/ready, port: http}}
                """))).isEmpty();
        // a typo deep inside a pod template, a wrong type, a missing required field, a label that is not a string
        assertThat(schemas.validate(rendered("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, labels: {replicas: 3}}
                spec:
                  selector: {matchLabels: {app: web}}
                  template:
                    spec:
                      containers:
                        - name: web
                          imagePullPolicyy: Always
                          ports: [{containerPort: "8080"}, {containerPort: 80800000000}]
                        - image: no-name:1
                """))).anySatisfy(p -> assertThat(p).contains("Deployment web (apps/v1, template t.yaml)",
                        "$.spec.template.spec.containers[0]", "imagePullPolicyy"))
                .anySatisfy(p -> assertThat(p).contains("$.spec.template.spec.containers[0].ports[0].containerPort"))
                .anySatisfy(p -> assertThat(p).contains("$.spec.template.spec.containers[0].ports[1].containerPort",
                        "int32"))
                .anySatisfy(p -> assertThat(p).contains("$.spec.template.spec.containers[1]", "name"))
                .anySatisfy(p -> assertThat(p).contains("$.metadata.labels.replicas"));
        assertThat(schemas.validate(rendered("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: web}
                spec: {maxUnavailable: 50%, selector: {matchLabels: {app: web}}}
                """))).isEmpty();
        assertThat(schemas.validate(rendered("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: web}
                spec: {maxUnavailable: [1], selector: {matchLabels: {app: web}}}
                """))).anySatisfy(p -> assertThat(p).contains("$.spec.maxUnavailable"));
        assertThat(schemas.validate(rendered("""
                apiVersion: v1
                kind: Secret
                metadata: {name: s}
                data: {ok: c2VjcmV0, bad: "secret!"}
                """))).singleElement().asString().contains("$.data.bad");
        // kubectl refuses a key twice in one mapping; Jackson would silently keep the last one
        assertThatThrownBy(() -> split("# Source: pigeonhole/templates/t.yaml\nkind: A\nkind: B\n"))
                .hasMessageContaining("template t.yaml").hasMessageContaining("kind");
    }

    @Test
    void strimziObjectsMustBeValidForBothSupportedStrimziVersions() {
        Schemas schemas = Schemas.get();
        String topic = """
                apiVersion: kafka.strimzi.io/v1
                kind: KafkaTopic
                metadata: {name: t, labels: {strimzi.io/cluster: c}}
                spec: {partitions: 3, replicas: 3, config: {min.insync.replicas: 2, retention.ms: -1}}
                """;
        assertThat(schemas.validate(rendered(topic))).isEmpty();
        assertThat(schemas.validate(rendered(topic.replace("partitions:", "partitionz:"))))
                .anySatisfy(p -> assertThat(p).contains("[Strimzi 0.51", "$.spec", "partitionz"))
                .anySatisfy(p -> assertThat(p).contains("[Strimzi 1.2", "$.spec", "partitionz"));
        // metadata of custom resources is an ObjectMeta
        assertThat(schemas.validate(rendered(topic.replace("labels:", "label:"))))
                .anySatisfy(p -> assertThat(p).contains("$.metadata", "label"));
        // v1beta2 is gone in Strimzi 1.2
        assertThat(schemas.validate(rendered(topic.replace("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2"))))
                .singleElement().asString().contains("[Strimzi 1.2]", "kafka.strimzi.io/v1beta2 is not served");
    }

    @Test
    void aKindWithoutSchemaFails() {
        assertThat(Schemas.get().validate(rendered("""
                apiVersion: storage.k8s.io/v1
                kind: StorageClass
                metadata: {name: r}
                """))).singleElement().asString().contains("no shipped schema defines storage.k8s.io StorageClass");
    }

    private static Schemas.Rendered rendered(String yaml) {
        JsonNode node = Schemas.parse(yaml);
        return new Schemas.Rendered("t.yaml", node);
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
