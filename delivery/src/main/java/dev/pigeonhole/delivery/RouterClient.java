package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.topics.InboxPage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** Reads inbox pages through the router's read API, which answers from (or forwards to) the owning instance. */
final class RouterClient implements DeviceStream.Store {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String base;

    RouterClient(String routerUrl) {
        this.base = routerUrl.endsWith("/") ? routerUrl.substring(0, routerUrl.length() - 1) : routerUrl;
    }

    @Override
    public CompletionStage<InboxPage> read(String user, Long after, String device, int limit) {
        StringBuilder uri = new StringBuilder(base).append("/internal/v1/inbox/").append(user)
                .append("?device=").append(device).append("&limit=").append(limit);
        if (after != null) {
            uri.append("&after=").append(after);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri.toString())).timeout(Duration.ofSeconds(5)).GET()
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new CompletionException(new IOException("router answered " + response.statusCode()));
            }
            return Json.read(response.body(), InboxPage.class);
        });
    }
}
