package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.topics.PushRecord;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;

/**
 * The device streams open on this instance, by user. Registration changes of one user are atomic together with
 * their announcement callback, so "connected" and "disconnected" announcements of a user leave this instance in
 * the order the registry changed.
 */
final class StreamRegistry {
    private final ConcurrentHashMap<String, Set<DeviceStream>> byUser = new ConcurrentHashMap<>();

    /** Adds the stream, then runs {@code announce} while the user's entry is locked. */
    void add(DeviceStream stream, Runnable announce) {
        byUser.compute(stream.identity().user(), (user, streams) -> {
            Set<DeviceStream> set = streams == null ? new CopyOnWriteArraySet<>() : streams;
            set.add(stream);
            announce.run();
            return set;
        });
    }

    /**
     * Removes the stream; if it was registered and no other stream of the same device remains here, runs
     * {@code lastOfDevice} while the user's entry is locked.
     */
    void remove(DeviceStream stream, Runnable lastOfDevice) {
        Identity id = stream.identity();
        byUser.computeIfPresent(id.user(), (user, streams) -> {
            if (streams.remove(stream) && streams.stream().noneMatch(s -> s.identity().equals(id))) {
                lastOfDevice.run();
            }
            return streams.isEmpty() ? null : streams;
        });
    }

    void dispatch(PushRecord push) {
        Set<DeviceStream> streams = byUser.get(push.user());
        if (streams != null) {
            for (DeviceStream s : streams) {
                s.onPush(push);
            }
        }
    }

    /** Runs {@code announce} for each identity with an open stream, each user's entry locked meanwhile. */
    void forEachIdentity(Consumer<Identity> announce) {
        for (String user : byUser.keySet()) {
            byUser.computeIfPresent(user, (u, streams) -> {
                streams.stream().map(DeviceStream::identity).distinct().forEach(announce);
                return streams;
            });
        }
    }

    List<DeviceStream> all() {
        return byUser.values().stream().flatMap(Set::stream).toList();
    }
}
