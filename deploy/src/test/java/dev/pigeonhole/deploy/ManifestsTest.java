package dev.pigeonhole.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * deploy/k8s holds the chart rendered with its defaults, one resource per file, for kubectl users. It must stay
 * exactly the rendered chart: to regenerate after a chart change run
 * {@code ./mvnw -pl deploy test -Dtest=ManifestsTest -Dpigeonhole.updateManifests=true}.
 */
class ManifestsTest {
    static final Path K8S = Chart.ROOT.resolve("deploy/k8s");
    private static final String HEADER = "# Generated from deploy/helm/pigeonhole with its default values (namespace pigeonhole,\n"
            + "# internal secret from the existing Secret pigeonhole-internal, ServiceMonitor and PrometheusRule\n"
            + "# included: skip 08[02]-* without the Prometheus Operator). Do not edit: change the chart and\n"
            + "# run ./mvnw -pl deploy test -Dtest=ManifestsTest -Dpigeonhole.updateManifests=true\n";

    static Map<String, String> expected() {
        List<Chart.Doc> docs = Chart.renderDocs(null, Map.of("namespace.create", true,
                "internalSecret.existingSecret", "pigeonhole-internal", "serviceMonitor.enabled", true,
                "prometheusRule.enabled", true));
        Map<String, String> files = new TreeMap<>();
        for (Chart.Doc doc : docs) {
            String body = doc.yaml().replaceFirst("(?m)^# Source: .*\\n", "");
            files.put(doc.template(), HEADER + body);
        }
        return files;
    }

    @Test
    void thePlainManifestsAreTheRenderedChart() throws IOException {
        Map<String, String> expected = expected();
        if (Boolean.getBoolean("pigeonhole.updateManifests")) {
            Files.createDirectories(K8S);
            try (Stream<Path> old = Files.list(K8S)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
            for (Map.Entry<String, String> e : expected.entrySet()) {
                Files.writeString(K8S.resolve(e.getKey()), e.getValue());
            }
        }
        Map<String, String> actual = new TreeMap<>();
        try (Stream<Path> files = Files.list(K8S)) {
            for (Path p : files.toList()) {
                actual.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        expected.forEach((file, content) -> assertThat(actual.get(file)).as(file + " is stale: regenerate").isEqualTo(content));
    }

    @Test
    void eachPlainManifestIsOneTypedResourceNamedAfterItsKind() throws IOException {
        try (Stream<Path> files = Files.list(K8S)) {
            for (Path p : files.toList()) {
                HasMetadata resource = Chart.serialization().unmarshal(Files.readString(p));
                String[] parts = p.getFileName().toString().split("-", 3);
                assertThat(parts[0]).as(p.toString()).matches("\\d{3}");
                assertThat(resource.getKind()).as(p.toString()).isEqualTo(parts[1]);
                if (!resource.getApiVersion().startsWith("kafka.strimzi.io/")) { // SchemaValidationTest checks those
                    assertThat(Chart.unknownFields(resource)).as(p.toString()).isEmpty();
                }
                if (!resource.getKind().equals("Namespace")) {
                    assertThat(resource.getMetadata().getNamespace()).isEqualTo("pigeonhole");
                }
            }
        }
    }
}
