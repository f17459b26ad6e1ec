package dev.pigeonhole.router;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.records.InboxPage;
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

    /** Returns an encoded {@link InboxPage}. */
    public byte[] read(String user, Long after, String device, int limit, long maxBytes, boolean localOnly)
            throws UnavailableException {
        StringBuilder query = new StringBuilder("inbox/").append(user).append("?local=true&limit=").append(limit)
                .append("&maxBytes=").append(maxBytes);
        if (after != null) {
            query.append("&after=").append(after);
        }
        if (device != null) {
            query.append("&device=").append(device);
        }
        return query(user, localOnly, query.toString(), (meta, partition) -> {
            InboxPage page = InboxPages.read(meta, store(RouterTopology.INBOX_STORE, partition), user, after, device, limit,
                    maxBytes);
            if (page == null) {
                throw new UnavailableException("device " + device + " is not registered yet (its connect is on the way)");
            }
            return page.encode();
        });
    }

    /** Returns the JSON of a {@link dev.pigeonhole.records.DeviceList}. */
    public byte[] devices(String user, boolean localOnly) throws UnavailableException {
        return query(user, localOnly, "devices/" + user + "?local=true",
                (meta, partition) -> Json.writeBytes(InboxPages.devices(meta, user)));
    }

    private interface LocalRead {
        byte[] read(ReadOnlyKeyValueStore<String, InboxMeta> meta, int partition) throws UnavailableException;
    }

    /** Answers from the local stores when this instance owns the user, else forwards {@code path} to the owner. */
    private byte[] query(String user, boolean localOnly, String path, LocalRead local) throws UnavailableException {
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
            try {
                return local.read(store(RouterTopology.META_STORE, owner.partition()), owner.partition());
            } catch (InvalidStateStoreException e) {
                throw new UnavailableException("inbox store not queryable: " + e.getMessage());
            }
        }
        if (localOnly) {
            throw new UnavailableException("inbox moved to " + owner.activeHost());
        }
        return forward(owner.activeHost(), path);
    }

    private <K, V> ReadOnlyKeyValueStore<K, V> store(String name, int partition) throws UnavailableException {
        try {
            return streams.store(StoreQueryParameters
                    .fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore())
                    .withPartition(partition));
        } catch (InvalidStateStoreException e) {
            throw new UnavailableException("inbox store not queryable: " + e.getMessage());
        }
    }

    private byte[] forward(HostInfo owner, String path) throws UnavailableException {
        URI uri = URI.create("http://" + owner.host() + ':' + owner.port() + "/internal/v1/" + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET();
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
