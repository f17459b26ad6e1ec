package dev.pigeonhole.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.jboss.logging.Logger;

/**
 * Keeps this pod's {@code controller.kubernetes.io/pod-deletion-cost} annotation at its number of open sockets, so
 * that when the Deployment scales in, Kubernetes removes the emptiest delivery pods first and the fewest clients
 * have to reconnect. Patched through the Kubernetes API with the pod's service account (the chart grants it
 * {@code patch} on pods of its namespace only when this is on), at most once per interval and only when the count
 * moved by more than a tenth: the annotation is a hint, and the API server should not see a write per socket.
 */
final class PodDeletionCost {
    static final String ANNOTATION = "controller.kubernetes.io/pod-deletion-cost";
    private static final Logger LOG = Logger.getLogger(PodDeletionCost.class);
    private static final Path ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

    private final HttpClient http;
    private final URI pod;
    private final Supplier<String> token;
    private long published = -1;
    private boolean inFlight;
    private boolean failing;

    PodDeletionCost(HttpClient http, URI pod, Supplier<String> token) {
        this.http = http;
        this.pod = pod;
        this.token = token;
    }

    /** In a pod: the API server, namespace, token and CA the kubelet mounts for the service account. */
    static PodDeletionCost inCluster(String podName) throws IOException, GeneralSecurityException {
        String host = System.getenv("KUBERNETES_SERVICE_HOST");
        String port = System.getenv().getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        if (host == null || !Files.exists(ACCOUNT.resolve("token"))) {
            throw new IOException("not in a Kubernetes pod with a service account token (automountServiceAccountToken)");
        }
        String namespace = Files.readString(ACCOUNT.resolve("namespace")).trim();
        HttpClient http = HttpClient.newBuilder().sslContext(trusting(ACCOUNT.resolve("ca.crt")))
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI pod = URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port
                + "/api/v1/namespaces/" + namespace + "/pods/" + podName);
        return new PodDeletionCost(http, pod, () -> {
            try {
                return Files.readString(ACCOUNT.resolve("token")).trim(); // rotated by the kubelet: read each time
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * Publishes {@code connections} unless the published value is within a tenth of it (and at least 10), or a
     * publication is still under way. Never blocks the caller.
     */
    synchronized void update(long connections) {
        if (inFlight || published >= 0 && Math.abs(connections - published) <= Math.max(10, published / 10)) {
            return;
        }
        String body = "{\"metadata\":{\"annotations\":{\"" + ANNOTATION + "\":\"" + connections + "\"}}}";
        HttpRequest request = HttpRequest.newBuilder(pod).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token.get())
                .header("Content-Type", "application/merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body)).build();
        inFlight = true;
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
            synchronized (this) {
                inFlight = false;
                if (error != null) {
                    fail(error.toString());
                } else if (response.statusCode() / 100 != 2) {
                    fail("the API server answered " + response.statusCode() + ": " + response.body());
                } else {
                    published = connections;
                    if (failing) {
                        LOG.infof("pod-deletion-cost is published again (%d)", connections);
                        failing = false;
                    }
                }
            }
        });
    }

    synchronized long published() {
        return published;
    }

    /** Logged once per run of failures: scale-in then picks pods without the hint, nothing else breaks. */
    private void fail(String why) {
        if (!failing) {
            LOG.warnf("cannot publish pod-deletion-cost on %s: %s", pod, why);
            failing = true;
        }
    }

    private static SSLContext trusting(Path caFile) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            int i = 0;
            for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + i++, ca);
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
