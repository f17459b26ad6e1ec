package dev.pigeonhole.delivery;

import dev.pigeonhole.records.InboxPage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** Reads inbox pages and device lists through the router's read API, which answers from (or forwards to) the owning instance. */
final class RouterClient implements DeviceStream.Store {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Same header name as the router's {@code InboxResource.SECRET_HEADER}. */
    private static final String SECRET_HEADER = "X-Pigeonhole-Internal";

    private final String base;
    private final Optional<String> secret;

    RouterClient(String routerUrl, Optional<String> secret) {
        this.base = routerUrl.endsWith("/") ? routerUrl.substring(0, routerUrl.length() - 1) : routerUrl;
        this.secret = secret;
    }

    /** The JSON of the user's {@code DeviceList}. */
    CompletionStage<byte[]> devices(String user) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/internal/v1/devices/" + user))
                .timeout(Duration.ofSeconds(5)).GET();
        secret.ifPresent(s -> request.header(SECRET_HEADER, s));
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new CompletionException(new IOException("router answered " + response.statusCode()));
            }
            return response.body();
        });
    }

    @Override
    public CompletionStage<InboxPage> read(String user, Long after, String device, int limit, long maxBytes) {
        StringBuilder uri = new StringBuilder(base).append("/internal/v1/inbox/").append(user)
                .append("?device=").append(device).append("&limit=").append(limit).append("&maxBytes=").append(maxBytes);
        if (after != null) {
            uri.append("&after=").append(after);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri.toString())).timeout(Duration.ofSeconds(5)).GET();
        secret.ifPresent(s -> request.header(SECRET_HEADER, s));
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new CompletionException(new IOException("router answered " + response.statusCode()));
            }
            return InboxPage.decode(response.body());
        });
    }
}
