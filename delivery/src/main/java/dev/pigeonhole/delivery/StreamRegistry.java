package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.records.Push;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The device streams open on this instance, by user. Registration changes of one user are atomic together with
 * their announcement callback, so "connected" and "disconnected" announcements of a user leave this instance in
 * the order the registry changed.
 */
final class StreamRegistry {
    private final ConcurrentHashMap<String, Set<DeviceStream>> byUser = new ConcurrentHashMap<>();

    /**
     * Adds the stream, closing (4103) and dropping the other streams of the same device here — one live socket per
     * device (S7); the router displaces those on other instances — then runs {@code announce} while the user's
     * entry is locked.
     */
    void add(DeviceStream stream, Runnable announce) {
        byUser.compute(stream.identity().user(), (user, streams) -> {
            Set<DeviceStream> set = streams == null ? new CopyOnWriteArraySet<>() : streams;
            for (DeviceStream other : set) {
                if (other.identity().equals(stream.identity())) {
                    set.remove(other);
                    other.close(CloseCode.DISPLACED, "a newer connection of this device opened");
                }
            }
            set.add(stream);
            announce.run();
            return set;
        });
    }

    /** Removes the stream; if it was registered (not displaced), runs {@code withdraw} while the user's entry is locked. */
    void remove(DeviceStream stream, Runnable withdraw) {
        byUser.computeIfPresent(stream.identity().user(), (user, streams) -> {
            if (streams.remove(stream)) {
                withdraw.run();
            }
            return streams.isEmpty() ? null : streams;
        });
    }

    void dispatch(Push push) {
        Set<DeviceStream> streams = byUser.get(push.user());
        if (streams == null) {
            return;
        }
        if (push instanceof Push.Close c) {
            for (DeviceStream s : streams) {
                if (s.connection().equals(c.connection()) && s.identity().device().equals(c.device())) {
                    switch (c.reason()) {
                        case DISPLACED -> s.close(CloseCode.DISPLACED, "a newer connection of this device opened");
                        case REMOVED -> s.close(CloseCode.DEVICE_REMOVED, "this device was removed");
                        case TOO_MANY_DEVICES -> s.close(CloseCode.TOO_MANY_DEVICES,
                                "too many devices: remove one (DELETE /v1/devices/{device}) to register this one");
                    }
                }
            }
        } else {
            for (DeviceStream s : streams) {
                s.onPush(push);
            }
        }
    }

    List<DeviceStream> all() {
        return byUser.values().stream().flatMap(Set::stream).toList();
    }
}
