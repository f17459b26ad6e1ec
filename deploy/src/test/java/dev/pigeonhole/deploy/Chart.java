package dev.pigeonhole.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Renders the chart (helm-java, offline) and reads the output into typed Kubernetes objects (fabric8). */
final class Chart {
    static final Path ROOT = Path.of(System.getProperty("pigeonhole.root", "..")).toAbsolutePath().normalize();
    static final Path DIR = ROOT.resolve("deploy/helm/pigeonhole");
    static final Path PRODUCTION_VALUES = ROOT.resolve("deploy/src/test/resources/production-values.yaml");
    static final String RELEASE = "pigeonhole";
    private static final Pattern SOURCE = Pattern.compile("^# Source: pigeonhole/templates/(\\S+)$", Pattern.MULTILINE);

    /** One rendered resource with the template file it came from. */
    record Doc(String template, String yaml, HasMetadata resource) {}

    private Chart() {}

    static String render(Path valuesFile, Map<String, Object> sets) {
        return render(RELEASE, RELEASE, valuesFile, sets);
    }

    /** Renders as the release {@code release} installed into {@code namespace}. */
    static String render(String release, String namespace, Path valuesFile, Map<String, Object> sets) {
        TemplateCommand template = new Helm(DIR).template().withName(release).withNamespace(namespace).withKubeVersion("1.30.0");
        if (valuesFile != null) {
            template = template.withValuesFile(valuesFile);
        }
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            template = template.set(set.getKey(), set.getValue());
        }
        return template.call();
    }

    static List<Doc> renderDocs(Path valuesFile, Map<String, Object> sets) {
        return parse(render(valuesFile, sets));
    }

    static KubernetesSerialization serialization() {
        KubernetesSerialization s = new KubernetesSerialization();
        s.registerKubernetesResource(ServiceMonitor.class);
        s.registerKubernetesResource(io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule.class);
        return s;
    }

    /** Splits a multi-document YAML by its "# Source:" headers. */
    static List<Doc> parse(String rendered) {
        KubernetesSerialization serialization = serialization();
        List<Doc> docs = new ArrayList<>();
        for (String part : rendered.split("(?m)^---\\s*$")) {
            Matcher source = SOURCE.matcher(part);
            if (!source.find() || part.replaceAll("(?m)^#.*$", "").isBlank()) {
                continue;
            }
            String yaml = part.strip() + "\n";
            docs.add(new Doc(source.group(1), yaml, serialization.unmarshal(yaml)));
        }
        return docs;
    }

    /**
     * Paths of fields the typed model did not know (kept in {@code additionalProperties}): a typo or a field of
     * another API version. Empty when the object is fully typed.
     */
    static List<String> unknownFields(Object model) {
        List<String> found = new ArrayList<>();
        walk(model, "", found, new IdentityHashMap<>());
        return found;
    }

    private static void walk(Object value, String path, List<String> found, IdentityHashMap<Object, Boolean> seen) {
        if (value == null || seen.put(value, Boolean.TRUE) != null) {
            return;
        }
        if (value instanceof Collection<?> c) {
            int i = 0;
            for (Object v : c) {
                walk(v, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> m) {
            m.forEach((k, v) -> walk(v, path + "." + k, found, seen));
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!(pkg.startsWith("io.fabric8.kubernetes.api.model") || pkg.startsWith("io.fabric8.openshift.api.model")
                )) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + " " + extra.keySet());
                }
                continue;
            }
            walk(child, path + "." + getter.getName().substring(3), found, seen);
        }
    }

    static <T extends KubernetesResource> List<T> all(List<Doc> docs, Class<T> type) {
        return docs.stream().map(Doc::resource).filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T one(List<Doc> docs, Class<T> type, String name) {
        return all(docs, type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    static Map<String, String> templates(List<Doc> docs) {
        Map<String, String> out = new LinkedHashMap<>();
        docs.forEach(d -> out.put(d.template(), d.yaml()));
        return out;
    }
}
