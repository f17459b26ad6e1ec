package dev.pigeonhole.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * How a load client authenticates: the dev identity ({@code ?user=&device=}, accepted by the standalone mode) or dev
 * tokens minted by the standalone's {@code POST /dev/tokens} (sent as {@code Authorization: Bearer}).
 */
public sealed interface Auth {
    static Auth devIdentity() {
        return new DevIdentity();
    }

    /** @param tokenUrl e.g. {@code http://127.0.0.1:8080/dev/tokens} */
    static Auth devTokens(URI tokenUrl) {
        return new DevTokens(tokenUrl);
    }

    /** The credentials of one device: query parameters and an optional bearer token (null: none). */
    Credentials credentials(String user, String device);

    record Credentials(String query, String bearer) {}

    record DevIdentity() implements Auth {
        @Override
        public Credentials credentials(String user, String device) {
            return new Credentials("user=" + enc(user) + "&device=" + enc(device), null);
        }

        @Override
        public String toString() {
            return "dev identity";
        }
    }

    /** Mints one token per device, blocking (call it off the event loop: scenarios do, while they create clients). */
    record DevTokens(URI tokenUrl) implements Auth {
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        @Override
        public Credentials credentials(String user, String device) {
            URI uri = URI.create(tokenUrl + "?user=" + enc(user) + "&device=" + enc(device) + "&ttl=PT24H");
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody())
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("POST " + uri + ": " + r.statusCode() + " " + r.body());
                }
                return new Credentials("", Json.read(r.body(), JsonNode.class).path("token").asText());
            } catch (IOException e) {
                throw new IllegalStateException("POST " + uri + ": " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return "dev tokens from " + tokenUrl;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
