package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.topics.PushRecord;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/** The device streams open on this instance, by user. */
final class StreamRegistry {
    private final ConcurrentHashMap<String, Set<DeviceStream>> byUser = new ConcurrentHashMap<>();

    void add(DeviceStream stream) {
        byUser.computeIfAbsent(stream.identity().user(), u -> new CopyOnWriteArraySet<>()).add(stream);
    }

    /** Removes the stream; true if no other stream of the same device remains here. */
    boolean remove(DeviceStream stream) {
        Identity id = stream.identity();
        boolean[] lastOfDevice = {true};
        byUser.computeIfPresent(id.user(), (u, streams) -> {
            streams.remove(stream);
            lastOfDevice[0] = streams.stream().noneMatch(s -> s.identity().equals(id));
            return streams.isEmpty() ? null : streams;
        });
        return lastOfDevice[0];
    }

    void dispatch(PushRecord push) {
        Set<DeviceStream> streams = byUser.get(push.user());
        if (streams != null) {
            for (DeviceStream s : streams) {
                s.onPush(push);
            }
        }
    }

    /** Distinct identities with at least one open stream. */
    Collection<Identity> identities() {
        return byUser.values().stream().flatMap(Set::stream).map(DeviceStream::identity).distinct().toList();
    }

    List<DeviceStream> all() {
        return byUser.values().stream().flatMap(Set::stream).toList();
    }
}
