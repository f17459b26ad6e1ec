package dev.pigeonhole.testkit;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Pigeonhole in one container: the standalone image, which runs a KRaft Kafka broker, the router, the gateway and
 * delivery in one JVM. Sends go to {@link #sendUrl()}, inboxes are read at {@link #inboxUrl()}; the Java SDK takes
 * {@link #wsUrl()}.
 *
 * <p>Host networking: the container shares the host's network and listens on 127.0.0.1 only, on free ports picked
 * when this object is created ({@link #port()}, {@link #managementPort()}, and the broker's). They stay the same
 * when the same object is stopped and started again. Needs a Linux Docker engine on this machine (Docker Desktop:
 * enable host networking); see the testkit's DESIGN.md.
 *
 * <p>Identity: by default only bearer tokens are accepted, minted by {@link #mintToken} (signed with a dev key the
 * container keeps in its data directory; production servers refuse them). {@link #withDevIdentity()} also accepts
 * {@code ?user=&device=} with no proof, as the standalone mode does outside containers.
 *
 * <p>Data (Kafka log, router state, the dev key) lives in {@code /data}: without {@link #withDataVolume} it goes
 * with the container; with a named volume, a new container on the same volume finds every message and still accepts
 * tokens minted before.
 *
 * <p>Ready once the readiness probe answers ({@code /q/health/ready} on the management port): the broker is up, the
 * topics exist and the router serves.
 */
public class PigeonholeContainer extends GenericContainer<PigeonholeContainer> {
    /** Where the image keeps its data. */
    public static final String DATA_DIR = "/data";

    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");
    private final int port = Loopback.freePort();
    private final int managementPort = Loopback.freePort();
    private final int kafkaPort = Loopback.freePort();

    /** The standalone image named by {@link Images#standalone()}. */
    public PigeonholeContainer() {
        this(Images.standalone());
    }

    /** A given standalone image, e.g. from your registry. */
    public PigeonholeContainer(DockerImageName image) {
        super(image);
        withNetworkMode("host");
        withImagePullPolicy(Images.pullPolicy());
        withEnv("PIGEONHOLE_HOST", Loopback.HOST);
        withEnv("PIGEONHOLE_PORT", Integer.toString(port));
        withEnv("PIGEONHOLE_MANAGEMENT_PORT", Integer.toString(managementPort));
        withEnv("PIGEONHOLE_KAFKA_PORT", Integer.toString(kafkaPort));
        withEnv("PIGEONHOLE_DEV_IDENTITY", "false");
        waitingFor(new Loopback.HealthWait(managementPort).withStartupTimeout(Duration.ofMinutes(3)));
    }

    /** Also accept the dev identity: {@code ?user=alice&device=phone} on any URL, no token needed. */
    public PigeonholeContainer withDevIdentity() {
        return withEnv("PIGEONHOLE_DEV_IDENTITY", "true");
    }

    /**
     * Keeps {@code /data} in the named Docker volume {@code volume} (created if missing, never removed by the kit:
     * {@code docker volume rm} it when done). A new container on the same volume continues where the last stopped.
     */
    public PigeonholeContainer withDataVolume(String volume) {
        // Set on the create command, not through Testcontainers' binds: with any bind there, Testcontainers first
        // checks that file mounting works by running a helper image, which it pulls (a long hang without a registry).
        Bind data = new Bind(volume, new Volume(DATA_DIR));
        return withCreateContainerCmdModifier(cmd -> {
            Bind[] binds = cmd.getHostConfig().getBinds();
            Bind[] all = binds == null ? new Bind[1] : Arrays.copyOf(binds, binds.length + 1);
            all[all.length - 1] = data;
            cmd.getHostConfig().withBinds(all);
        });
    }

    /** Base WebSocket URL, {@code ws://127.0.0.1:<port>}: what the Java SDK's {@code ClientOptions} take. */
    public String wsUrl() {
        return "ws://" + Loopback.HOST + ":" + port;
    }

    /** Base HTTP URL, {@code http://127.0.0.1:<port>} ({@code POST /v1/messages}, {@code /v1/groups}, ...). */
    public String httpUrl() {
        return "http://" + Loopback.HOST + ":" + port;
    }

    /** The send WebSocket, {@code ws://127.0.0.1:<port>/v1/send} (add credentials: a token or the dev identity). */
    public String sendUrl() {
        return wsUrl() + "/v1/send";
    }

    /** The inbox WebSocket, {@code ws://127.0.0.1:<port>/v1/inbox}. */
    public String inboxUrl() {
        return wsUrl() + "/v1/inbox";
    }

    /** Health and metrics, {@code http://127.0.0.1:<management port>} ({@code /q/health/ready}, {@code /q/metrics}). */
    public String managementUrl() {
        return "http://" + Loopback.HOST + ":" + managementPort;
    }

    /** The embedded broker, {@code 127.0.0.1:<port>}: read the topics your app's messages went through. */
    public String bootstrapServers() {
        return Loopback.HOST + ":" + kafkaPort;
    }

    /** The public HTTP and WebSocket port. */
    public int port() {
        return port;
    }

    public int managementPort() {
        return managementPort;
    }

    /**
     * A bearer token for {@code user}/{@code device}, valid 24 hours, from the container's {@code POST /dev/tokens}
     * (send it as {@code Authorization: Bearer <token>}, or give it to the SDK's {@code ClientOptions.Builder#token}).
     *
     * @throws IllegalStateException when the container is not running or refuses (invalid user or device name)
     */
    public String mintToken(String user, String device) {
        String url = httpUrl() + "/dev/tokens?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "&device="
                + URLEncoder.encode(device, StandardCharsets.UTF_8);
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            Matcher token = TOKEN.matcher(response.body());
            if (response.statusCode() != 200 || !token.find()) {
                throw new IllegalStateException("POST /dev/tokens answered " + response.statusCode() + ": " + response.body());
            }
            return token.group(1);
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach " + url + " (is the container running?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
