package dev.pigeonhole.router;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.InboxPage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Serves inbox pages from the instance that owns the user: read locally when this instance is the active owner,
 * otherwise forwarded once to the owner ({@code application.server}). Never scans other instances.
 */
@ApplicationScoped
public class InboxQueries {
    /** The store cannot answer now (rebalance, restoration, owner unreachable); try again shortly. */
    public static final class UnavailableException extends Exception {
        UnavailableException(String message) {
            super(message, null, false, false);
        }
    }

    private final KafkaStreams streams;
    private final HostInfo self;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Optional<String> secret;

    InboxQueries(KafkaStreams streams, @ConfigProperty(name = "quarkus.kafka-streams.application-server") String self,
                 @ConfigProperty(name = "pigeonhole.internal.secret") Optional<String> secret) {
        this.streams = streams;
        this.self = HostInfo.buildFromEndpoint(self);
        this.secret = secret;
    }

    /** Returns the JSON of an {@link InboxPage}. */
    public byte[] read(String user, Long after, String device, int limit, boolean localOnly)
            throws UnavailableException {
        KeyQueryMetadata owner;
        try {
            owner = streams.queryMetadataForKey(RouterTopology.META_STORE, user, Serdes.String().serializer());
        } catch (IllegalStateException | StreamsException e) { // not started, shutting down, or failed
            throw new UnavailableException("Kafka Streams is " + streams.state());
        }
        if (owner == null || KeyQueryMetadata.NOT_AVAILABLE.equals(owner) || owner.activeHost() == null) {
            throw new UnavailableException("no active owner for the inbox yet");
        }
        if (owner.activeHost().equals(self)) {
            return Json.writeBytes(readLocal(owner.partition(), user, after, device, limit));
        }
        if (localOnly) {
            throw new UnavailableException("inbox moved to " + owner.activeHost());
        }
        return forward(owner.activeHost(), user, after, device, limit);
    }

    private InboxPage readLocal(int partition, String user, Long after, String device, int limit)
            throws UnavailableException {
        try {
            ReadOnlyKeyValueStore<String, InboxMeta> meta = streams.store(StoreQueryParameters
                    .fromNameAndType(RouterTopology.META_STORE, QueryableStoreTypes.<String, InboxMeta>keyValueStore())
                    .withPartition(partition));
            ReadOnlyKeyValueStore<String, InboxEntry> inbox = streams.store(StoreQueryParameters
                    .fromNameAndType(RouterTopology.INBOX_STORE, QueryableStoreTypes.<String, InboxEntry>keyValueStore())
                    .withPartition(partition));
            return InboxPages.read(meta, inbox, user, after, device, limit);
        } catch (InvalidStateStoreException e) {
            throw new UnavailableException("inbox store not queryable: " + e.getMessage());
        }
    }

    private byte[] forward(HostInfo owner, String user, Long after, String device, int limit)
            throws UnavailableException {
        StringBuilder uri = new StringBuilder("http://").append(owner.host()).append(':').append(owner.port())
                .append("/internal/v1/inbox/").append(user).append("?local=true&limit=").append(limit);
        if (after != null) {
            uri.append("&after=").append(after);
        }
        if (device != null) {
            uri.append("&device=").append(device);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri.toString())).timeout(Duration.ofSeconds(5)).GET();
        secret.ifPresent(s -> request.header(InboxResource.SECRET_HEADER, s));
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new UnavailableException("owner " + owner + " answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new UnavailableException("owner " + owner + " unreachable: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted");
        }
    }
}
