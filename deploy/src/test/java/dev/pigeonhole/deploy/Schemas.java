package dev.pigeonhole.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.Format;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationContext;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The API schemas of the clusters the chart supports, shipped in src/test/resources/schemas (see SOURCES.md; no
 * network): the Kubernetes 1.32 OpenAPI v3 documents and the CRDs of Strimzi 0.51 and 1.2, prometheus-operator,
 * KEDA and the Gateway API. {@link #validate} checks one rendered object against every catalog that defines its
 * group and kind: a Strimzi object must be valid for both Strimzi versions.
 *
 * <p>Strict like kubectl-validate / kubeconform -strict: the API server silently prunes fields a schema does not
 * declare, so when loading, every object schema with {@code properties} (and, in CRDs, every {@code type: object}
 * schema, whose content the server would prune entirely) that says nothing about additional properties and does not
 * set {@code x-kubernetes-preserve-unknown-fields} gets {@code additionalProperties: false}. A field set to
 * {@code null} is an error unless its schema is {@code nullable} (the API server would take it as unset in built-in
 * kinds but rejects it in custom resources). Kubernetes specifics: {@code x-kubernetes-int-or-string} and
 * {@code format: int-or-string} accept an integer or a string; {@code x-kubernetes-embedded-resource} implies
 * apiVersion, kind and metadata; the metadata of custom resources is checked as an ObjectMeta; formats are asserted
 * ({@code int32}, {@code date-time}, {@code byte}: base64). CEL rules ({@code x-kubernetes-validations}) are not
 * evaluated.
 */
final class Schemas {
    static final Path DIR = Chart.ROOT.resolve("deploy/src/test/resources/schemas");
    private static final String OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Rendered objects: a key twice in one mapping is an error, as for kubectl (go-yaml), not "the last one wins". */
    private static final ObjectMapper RENDERED_YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    /**
     * OpenAPI 3.0 schema objects (draft 4 plus nullable), asserting the formats Kubernetes decodes: "byte" (base64,
     * e.g. Secret.data) and "int32" besides the standard ones (date-time).
     */
    private static final JsonMetaSchema DIALECT = JsonMetaSchema.builder(OpenApi30.getInstance()).format(new Format() {
        @Override
        public String getName() {
            return "byte";
        }

        @Override
        public boolean matches(ExecutionContext context, String value) {
            try {
                Base64.getDecoder().decode(value);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
    }).format(new Format() {
        @Override
        public String getName() {
            return "int32";
        }

        @Override
        public boolean matches(ExecutionContext context, ValidationContext validationContext, JsonNode value) {
            return !value.isIntegralNumber() || value.canConvertToInt();
        }
    }).build();

    /** One object of a rendered chart: its template, the parsed document, and a name for messages. */
    record Rendered(String template, JsonNode object) {
        String describe() {
            return object.path("kind").asText("?") + " " + object.path("metadata").path("name").asText("?") + " ("
                    + object.path("apiVersion").asText("?") + ", template " + template + ")";
        }
    }

    /** A schema of one API version of one kind, from a catalog. */
    private record Entry(String catalog, String apiVersion, String kind, String location, JsonNode root) {}

    /** All the schemas of one project release, e.g. "Strimzi 0.51". */
    private record Catalog(String name, Map<String, Entry> byApiVersionKind) {
        /** The API versions this catalog serves for a group and kind (empty: it does not define the kind). */
        Set<String> versionsOf(String group, String kind) {
            Set<String> versions = new TreeSet<>();
            for (Entry e : byApiVersionKind.values()) {
                if (e.kind.equals(kind) && group(e.apiVersion).equals(group)) {
                    versions.add(e.apiVersion);
                }
            }
            return versions;
        }
    }

    private final List<Catalog> catalogs = new ArrayList<>();
    /** Compiled on first use, by catalog and API version and kind. */
    private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4,
            b -> b.metaSchema(DIALECT).defaultMetaSchemaIri(DIALECT.getIri()));
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().pathType(PathType.JSON_PATH)
            .formatAssertionsEnabled(true).nullableKeywordEnabled(true).typeLoose(false).build();
    /** ObjectMeta and the definitions it refers to, for the metadata of custom resources. */
    private final ObjectNode metaDefinitions;

    /** The schemas, read and tightened once per JVM. */
    static Schemas get() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final Schemas INSTANCE = new Schemas();
    }

    private Schemas() {
        Catalog kubernetes = new Catalog("Kubernetes 1.32", new LinkedHashMap<>());
        ObjectNode core = null;
        for (Path file : list(DIR.resolve("kubernetes-1.32"))) {
            // api__v1_openapi.json -> v1; apis__apps__v1_openapi.json -> apps/v1
            String name = file.getFileName().toString().replaceFirst("_openapi\\.json$", "");
            String groupVersion = name.replaceFirst("^apis?__", "").replace("__", "/");
            ObjectNode doc = (ObjectNode) read(JSON, file);
            ObjectNode schemas = (ObjectNode) doc.path("components").path("schemas");
            schemas.forEach(s -> tighten(s, false, false));
            ObjectNode components = JsonNodeFactory.instance.objectNode();
            components.putObject("components").set("schemas", schemas);
            for (Map.Entry<String, JsonNode> s : schemas.properties()) {
                for (JsonNode gvk : s.getValue().path("x-kubernetes-group-version-kind")) {
                    String apiVersion = apiVersion(gvk.path("group").asText(), gvk.path("version").asText());
                    if (apiVersion.equals(groupVersion)) {
                        String kind = gvk.path("kind").asText();
                        kubernetes.byApiVersionKind.put(apiVersion + " " + kind,
                                new Entry(kubernetes.name, apiVersion, kind, file.getFileName() + "#" + s.getKey(),
                                        wrapper(components, s.getKey())));
                    }
                }
            }
            if (groupVersion.equals("v1")) {
                core = schemas;
            }
        }
        if (core == null || !core.has(OBJECT_META)) {
            throw new IllegalStateException("no " + OBJECT_META + " in " + DIR.resolve("kubernetes-1.32"));
        }
        metaDefinitions = closure(core, OBJECT_META);
        catalogs.add(kubernetes);
        catalogs.add(crds("Strimzi 0.51", "strimzi-0.51"));
        catalogs.add(crds("Strimzi 1.2", "strimzi-1.2"));
        catalogs.add(crds("prometheus-operator 0.93", "prometheus-operator"));
        catalogs.add(crds("KEDA 2.20", "keda"));
        catalogs.add(crds("Gateway API 1.6", "gateway-api"));
    }

    /**
     * Everything wrong with one object, each problem a line naming the object, its template, the schema and the JSON
     * path. Empty when the object is valid for every catalog that defines its kind; an object whose kind no shipped
     * schema defines is a problem.
     */
    List<String> validate(Rendered rendered) {
        JsonNode object = rendered.object();
        String apiVersion = object.path("apiVersion").asText("");
        String kind = object.path("kind").asText("");
        List<String> problems = new ArrayList<>();
        if (apiVersion.isEmpty() || kind.isEmpty()) {
            problems.add(rendered.describe() + ": no apiVersion or kind");
            return problems;
        }
        boolean known = false;
        for (Catalog catalog : catalogs) {
            Set<String> versions = catalog.versionsOf(group(apiVersion), kind);
            if (versions.isEmpty()) {
                continue;
            }
            known = true;
            Entry entry = catalog.byApiVersionKind.get(apiVersion + " " + kind);
            if (entry == null) {
                problems.add(rendered.describe() + ": [" + catalog.name + "] apiVersion " + apiVersion
                        + " is not served for " + kind + "; served: " + versions);
                continue;
            }
            JsonSchema schema = compiled.computeIfAbsent(catalog.name + " " + apiVersion + " " + kind,
                    k -> compile(entry));
            schema.validate(object).stream().sorted(Comparator.comparing((ValidationMessage m) ->
                            m.getInstanceLocation().toString()).thenComparing(ValidationMessage::getMessage))
                    .forEach(m -> problems.add(rendered.describe() + ": [" + catalog.name + " " + entry.location
                            + "] " + m.getMessage()));
        }
        if (!known) {
            problems.add(rendered.describe() + ": no shipped schema defines " + group(apiVersion) + " " + kind
                    + " (add its OpenAPI document or CRD to " + DIR + " and to Schemas)");
        }
        return problems;
    }

    private JsonSchema compile(Entry entry) {
        return factory.getSchema(SchemaLocation.of("https://schemas.pigeonhole.test/" + entry.catalog.replace(' ', '-')
                + "/" + entry.apiVersion + "/" + entry.kind), entry.root, config);
    }

    private Catalog crds(String name, String dir) {
        Catalog catalog = new Catalog(name, new LinkedHashMap<>());
        for (Path file : list(DIR.resolve(dir))) {
            try (JsonParser parser = YAML.getFactory().createParser(file.toFile())) {
                Iterator<JsonNode> docs = YAML.readValues(parser, JsonNode.class);
                while (docs.hasNext()) {
                    JsonNode crd = docs.next();
                    if (!"CustomResourceDefinition".equals(crd.path("kind").asText())) {
                        continue;
                    }
                    String group = crd.path("spec").path("group").asText();
                    String kind = crd.path("spec").path("names").path("kind").asText();
                    for (JsonNode version : crd.path("spec").path("versions")) {
                        if (!version.path("served").asBoolean(false)) {
                            continue;
                        }
                        String apiVersion = apiVersion(group, version.path("name").asText());
                        if (!(version.path("schema").path("openAPIV3Schema") instanceof ObjectNode schema)) {
                            throw new IllegalStateException(file + ": no openAPIV3Schema for " + apiVersion + " " + kind);
                        }
                        ObjectNode root = schema.deepCopy();
                        tighten(root, true, false);
                        // the API server checks the metadata of custom resources as an ObjectMeta
                        root.withObjectProperty("properties").set("metadata", ref(OBJECT_META));
                        root.set("components", metaDefinitions.get("components"));
                        catalog.byApiVersionKind.put(apiVersion + " " + kind, new Entry(name, apiVersion, kind,
                                dir + "/" + file.getFileName() + " " + version.path("name").asText(), root));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (catalog.byApiVersionKind.isEmpty()) {
            throw new IllegalStateException("no CRDs in " + DIR.resolve(dir));
        }
        return catalog;
    }

    /**
     * Makes a schema strict and spells out the Kubernetes extensions the validator does not know, in place.
     *
     * @param crd a CRD schema (structural: an object without declared fields keeps none), not a built-in type
     * @param branch directly under allOf/anyOf/oneOf/not: constraints only, never closed (the outer schema lists
     *     the fields)
     */
    private static void tighten(JsonNode node, boolean crd, boolean branch) {
        if (!(node instanceof ObjectNode schema)) {
            return;
        }
        boolean intOrString = schema.path("x-kubernetes-int-or-string").asBoolean(false)
                || "int-or-string".equals(schema.path("format").asText());
        if (intOrString) {
            if ("int-or-string".equals(schema.path("format").asText())) {
                schema.remove("format");
            }
            if (!schema.has("oneOf") && !schema.has("anyOf")) {
                ArrayNode anyOf = schema.putArray("anyOf");
                anyOf.addObject().put("type", "integer");
                anyOf.addObject().put("type", "string");
            }
        }
        boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (schema.path("x-kubernetes-embedded-resource").asBoolean(false) && schema.has("properties")) {
            ObjectNode properties = (ObjectNode) schema.get("properties");
            if (!properties.has("apiVersion")) {
                properties.putObject("apiVersion").put("type", "string");
            }
            if (!properties.has("kind")) {
                properties.putObject("kind").put("type", "string");
            }
            if (!properties.has("metadata")) {
                properties.set("metadata", ref(OBJECT_META));
            }
        }
        if (!branch && !preserve && !schema.has("additionalProperties") && !intOrString
                && (schema.has("properties") || crd && "object".equals(schema.path("type").asText()))) {
            schema.put("additionalProperties", false);
        }
        if (schema.get("properties") instanceof ObjectNode properties) {
            properties.forEach(p -> tighten(p, crd, false));
        }
        tighten(schema.get("additionalProperties"), crd, false);
        JsonNode items = schema.get("items");
        if (items instanceof ArrayNode list) {
            list.forEach(i -> tighten(i, crd, false));
        } else {
            tighten(items, crd, false);
        }
        for (String junctor : List.of("allOf", "anyOf", "oneOf")) {
            schema.path(junctor).forEach(b -> tighten(b, crd, true));
        }
        tighten(schema.get("not"), crd, true);
    }

    /** A document whose root refers to one of the schemas, with all of them under components/schemas. */
    private static ObjectNode wrapper(ObjectNode components, String name) {
        ObjectNode root = ref(name);
        root.setAll(components);
        return root;
    }

    private static ObjectNode ref(String name) {
        return JsonNodeFactory.instance.objectNode().put("$ref", "#/components/schemas/" + name);
    }

    /** {"components": {"schemas": ...}} with the named schema and every schema it refers to, transitively. */
    private static ObjectNode closure(ObjectNode schemas, String name) {
        ObjectNode picked = JsonNodeFactory.instance.objectNode();
        Deque<String> todo = new ArrayDeque<>(List.of(name));
        Set<String> seen = new LinkedHashSet<>();
        while (!todo.isEmpty()) {
            String next = todo.pop();
            if (!seen.add(next)) {
                continue;
            }
            JsonNode schema = schemas.get(next);
            picked.set(next, schema);
            schema.findValuesAsText("$ref").forEach(r -> todo.push(r.substring(r.lastIndexOf('/') + 1)));
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.putObject("components").set("schemas", picked);
        return out;
    }

    private static String group(String apiVersion) {
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    private static String apiVersion(String group, String version) {
        return group.isEmpty() ? version : group + "/" + version;
    }

    private static JsonNode read(ObjectMapper mapper, Path file) {
        try {
            return mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".json") || f.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses one rendered YAML document. */
    static JsonNode parse(String yaml) {
        try {
            return RENDERED_YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
