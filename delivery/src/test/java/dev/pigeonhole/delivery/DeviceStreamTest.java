package dev.pigeonhole.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxPage;
import dev.pigeonhole.records.Push;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class DeviceStreamTest {
    private static final Identity BOB = new Identity("bob", "laptop");
    private static final long EPOCH = 1000;

    /** The inbox as the router holds it. */
    private final List<Entry> inbox = new ArrayList<>();
    private long storeCursor;
    /** Entries up to here were removed by retention. */
    private long trimmedTo;
    private boolean storeDown;
    private final Queue<Runnable> pendingReads = new ArrayDeque<>();
    private final List<Long> readsAfter = new ArrayList<>();
    private final List<ServerFrame> frames = new ArrayList<>();
    private CloseCode closedWith;
    private final List<Long> acked = new ArrayList<>();
    private final List<Long> readMarks = new ArrayList<>();
    private final List<ServerFrame.Range> skipped = new ArrayList<>();
    private final Queue<Runnable> timers = new ArrayDeque<>();
    private final List<Long> readBytes = new ArrayList<>();
    private final Queue<Runnable> wakeups = new ArrayDeque<>();
    private StreamBuffers buffers = new StreamBuffers(Long.MAX_VALUE / 4, wakeups::add);
    private long now;
    private final DeliveryMetrics metrics = new DeliveryMetrics(new SimpleMeterRegistry());

    private final DeviceStream.Store store = new DeviceStream.Store() {
        @Override
        public CompletionStage<InboxPage> read(String user, Long after, String device, int limit, long maxBytes) {
            CompletableFuture<InboxPage> f = new CompletableFuture<>();
            long from = after == null ? storeCursor : after;
            readsAfter.add(from);
            readBytes.add(maxBytes);
            pendingReads.add(() -> {
                if (storeDown) {
                    f.completeExceptionally(new IOException("router answered 503"));
                    return;
                }
                long start = Math.max(from, trimmedTo);
                List<Entry> page = new ArrayList<>();
                long bytes = 0;
                for (Entry e : inbox) {
                    long counted = page.stream().filter(x -> x.kind() != Entry.Kind.SUPERSEDED).count();
                    if (e.seq() > start && counted < limit && (page.isEmpty() || bytes + DeviceStream.size(e) <= maxBytes)) {
                        page.add(e);
                        bytes += DeviceStream.size(e);
                    }
                }
                InboxPage.Gap gap = from < trimmedTo ? new InboxPage.Gap(from + 1, trimmedTo, "expired") : null;
                f.complete(new InboxPage(inbox.isEmpty() ? 0 : EPOCH, inbox.size(), from, trimmedTo + 1, gap, page));
            });
            return f;
        }
    };

    private DeviceStream stream(Long after, int window, int pageSize) {
        return stream(new DeviceStream.Params(after, null, window, pageSize, Duration.ofSeconds(30)));
    }

    private DeviceStream stream(DeviceStream.Params params) {
        DeviceStream.Outbound out = new DeviceStream.Outbound() {
            @Override
            public void send(String frame, Runnable written) {
                frames.add(Frames.decodeServer(frame));
                written.run();
            }

            @Override
            public void close(CloseCode code, String reason) {
                closedWith = code;
            }
        };
        return new DeviceStream(BOB, params, out, store, (id, seq, read, skip) -> {
            (read ? readMarks : acked).add(seq);
            skipped.add(skip);
        }, (task, delay) -> timers.add(task),
                () -> now, metrics, buffers);
    }

    private void addEntries(int n) {
        for (int i = 0; i < n; i++) {
            long seq = inbox.size() + 1;
            inbox.add(Entry.message("m-" + seq, "alice", "phone", "bob", seq * 10, false, Json.writeBytes("body " + seq))
                    .withSeq(seq));
        }
    }

    /** Starts a stream and confirms its connect, as the router does once it applied it. */
    private DeviceStream start(DeviceStream s) {
        s.start();
        timers.clear(); // the confirmation timeout, a no-op once confirmed (tested on its own)
        s.onPush(new Push.Head("bob", inbox.isEmpty() ? 0 : EPOCH, inbox.size(), s.connection()));
        return s;
    }

    @Test
    void nothingIsReadUntilTheRouterConfirmsTheConnectAndAStreamItNeverConfirmsIsClosed() {
        addEntries(3);
        DeviceStream s = stream(null, 100, 100);
        s.start();
        s.onPush(new Push.NewEntry("bob", EPOCH, 3, inbox.get(2)));
        s.onPush(new Push.Head("bob", EPOCH, 3, "another-socket-of-bob"));
        serveReads();
        assertThat(readsAfter).as("the device may not be registered yet: no read").isEmpty();
        assertThat(frames).isEmpty();
        timers.poll().run();
        assertThat(closedWith).isEqualTo(CloseCode.STORE_UNAVAILABLE);

        DeviceStream confirmed = stream(null, 100, 100);
        confirmed.start();
        confirmed.onPush(new Push.Head("bob", EPOCH, 3, confirmed.connection()));
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 3));
        closedWith = null;
        timers.poll().run();
        assertThat(closedWith).isNull();
    }

    @Test
    void howLongASocketTookToOpenCountsToItsFirstPageOrTheServersCloseButNotWhenTheClientLeftFirst() {
        addEntries(3);
        DeviceStream slow = stream(null, 100, 100);
        metrics.opened(); // as DeliveryService does
        slow.start();
        now += 8_000;
        slow.onPush(new Push.Head("bob", EPOCH, 3, slow.connection()));
        assertThat(metrics.opening()).as("announced, confirmed, first page not read yet").isEqualTo(1);
        serveReads();
        assertThat(metrics.opening()).isZero();
        assertThat(metrics.recentOpeningMillis()).as("8,000 ms, weighted 1/20").isEqualTo(400.0);

        DeviceStream left = stream(null, 100, 100);
        metrics.opened();
        left.start();
        now += 60_000;
        left.closed();
        assertThat(metrics.recentOpeningMillis()).as("the client went away: says nothing about this instance")
                .isEqualTo(400.0);

        timers.clear();
        DeviceStream unconfirmed = stream(null, 100, 100);
        metrics.opened();
        unconfirmed.start();
        now += 30_000;
        timers.poll().run();
        assertThat(closedWith).isEqualTo(CloseCode.STORE_UNAVAILABLE);
        assertThat(metrics.recentOpeningMillis()).as("the store timeout counts").isEqualTo(400.0 + (30_000 - 400.0) / 20);
        assertThat(metrics.opening()).isZero();
    }

    @Test
    void aConfirmationSayingNothingWaitsStartsTheStreamWithoutReadingTheStoreAndLiveEntriesFollow() {
        addEntries(3);
        DeviceStream s = stream(null, 100, 100);
        s.start();
        s.onPush(new Push.Head("bob", EPOCH, 3, s.connection(), 3L));
        assertThat(readsAfter).as("the push is the first page").isEmpty();
        assertThat(frames).containsExactly(new ServerFrame.Backlog(0, null, null, 3, EPOCH, null),
                new ServerFrame.CaughtUp(3, EPOCH));
        assertThat(s.lastSent()).isEqualTo(3);

        addEntries(1);
        s.onPush(new Push.NewEntry("bob", EPOCH, 4, inbox.get(3)));
        assertThat(messageSeqs()).containsExactly(4L);
        assertThat(readsAfter).isEmpty();
        s.onAck(4);
        assertThat(acked).containsExactly(4L);
    }

    private void serveReads() {
        while (!pendingReads.isEmpty()) {
            pendingReads.poll().run();
        }
    }

    private List<Long> messageSeqs() {
        return frames.stream().filter(f -> f instanceof ServerFrame.Message).map(f -> ((ServerFrame.Message) f).seq()).toList();
    }

    private static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    @Test
    void sendsTheBacklogInPagesThenCaughtUpThenLive() {
        addEntries(25);
        DeviceStream s = stream(0L, 100, 10);
        start(s);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 25));
        assertThat(frames.get(frames.size() - 1)).isEqualTo(new ServerFrame.CaughtUp(25, EPOCH));
        assertThat(readsAfter).containsExactly(0L, 10L, 20L);

        addEntries(1);
        s.onPush(new Push.NewEntry("bob", EPOCH, 26, inbox.get(25)));
        assertThat(messageSeqs()).isEqualTo(range(1, 26));
        assertThat(pendingReads).as("the next entry is sent from the push, no read").isEmpty();
    }

    @Test
    void firstSaysWhatIsWaiting() {
        addEntries(25);
        start(stream(20L, 100, 10));
        serveReads();
        assertThat(frames.get(0)).isEqualTo(new ServerFrame.Backlog(5, 21L, 210L, 25, EPOCH, null));
        assertThat(messageSeqs()).isEqualTo(range(21, 25));
    }

    @Test
    void entriesRetentionRemovedAreAnnouncedAsAGapThenTheStreamContinues() {
        addEntries(10);
        trimmedTo = 4;
        DeviceStream s = stream(1L, 100, 100);
        start(s);
        serveReads();
        assertThat(frames.subList(0, 2)).containsExactly(new ServerFrame.Backlog(6, 5L, 50L, 10, EPOCH, null),
                new ServerFrame.Gap(2, 4, "expired"));
        assertThat(messageSeqs()).isEqualTo(range(5, 10));
        s.onAck(4); // the end of a gap may be acked
        assertThat(acked).containsExactly(4L);

        // a slow reader overtaken by retention mid-stream: the window is full at 12 when 11..14 go
        DeviceStream slow = stream(10L, 2, 2);
        frames.clear();
        addEntries(10);
        start(slow);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(11, 12));
        trimmedTo = 14;
        slow.onAck(12);
        serveReads();
        assertThat(frames).contains(new ServerFrame.Gap(13, 14, "expired"));
        assertThat(messageSeqs()).isEqualTo(List.of(11L, 12L, 15L, 16L));
    }

    @Test
    void supersededShadowEntriesGoAsOneGapPerRunAndTakeNoWindowSpace() {
        addEntries(1);
        for (int i = 0; i < 30; i++) { // 2..31: superseded shadow entries, then one live delta
            long seq = inbox.size() + 1;
            inbox.add(Entry.shadow(Entry.Kind.SHADOW_DELTA, "delta:t/@" + seq, "bob", "phone", "t", seq,
                    Json.writeBytes(java.util.Map.of("thing", "t"))).withSeq(seq).superseded());
        }
        inbox.add(Entry.shadow(Entry.Kind.SHADOW_DELTA, "delta:t/@32", "bob", "phone", "t", 32,
                "{\"thing\":\"t\",\"name\":\"\",\"version\":31,\"state\":{\"temperature\":21}}".getBytes(java.nio.charset.StandardCharsets.UTF_8)).withSeq(32));
        addEntries(1);
        DeviceStream s = stream(0L, 3, 100);
        start(s);
        serveReads();
        assertThat(frames.get(1)).isEqualTo(new ServerFrame.Message(1, "m-1", "alice", "phone", "bob",
                Json.MAPPER.valueToTree("body 1"), 10, false));
        assertThat(frames.get(2)).isEqualTo(new ServerFrame.Gap(2, 31, "superseded"));
        assertThat(frames.get(3)).isInstanceOfSatisfying(ServerFrame.ShadowDelta.class, d -> {
            assertThat(d.seq()).isEqualTo(32);
            assertThat(d.state().path("temperature").asInt()).isEqualTo(21);
            assertThat(d.version()).isEqualTo(31);
        });
        assertThat(messageSeqs()).isEqualTo(List.of(1L, 33L));
        assertThat(frames.get(frames.size() - 1)).isEqualTo(new ServerFrame.CaughtUp(33, EPOCH));
        s.onAck(33);
        assertThat(acked).containsExactly(33L);
    }

    @Test
    void newestFirstSkipsAnOldBacklogAndFetchesItOnDemand() {
        addEntries(100);
        DeviceStream s = stream(new DeviceStream.Params(0L, null, 10, 64, 256, Duration.ofSeconds(30)));
        start(s);
        serveReads();
        assertThat(frames.get(0)).isEqualTo(new ServerFrame.Backlog(100, 1L, 10L, 100, EPOCH, new ServerFrame.Range(1, 90)));
        assertThat(messageSeqs()).isEqualTo(range(91, 100));
        assertThat(frames.get(frames.size() - 1)).isEqualTo(new ServerFrame.CaughtUp(100, EPOCH));

        s.onAck(100);
        assertThat(acked).containsExactly(100L);
        assertThat(skipped).as("entries 1..90 were skipped, not delivered").containsExactly(new ServerFrame.Range(1, 90));

        frames.clear();
        s.onFetch(81, 90);
        s.onFetch(1, 5); // one at a time
        serveReads();
        assertThat(frames.get(0)).isInstanceOfSatisfying(ServerFrame.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED));
        assertThat(frames.get(1)).isInstanceOfSatisfying(ServerFrame.History.class, h -> {
            assertThat(h.from()).isEqualTo(81);
            assertThat(h.to()).isEqualTo(90);
            assertThat(h.entries()).extracting(ServerFrame.Entry::seq).containsExactlyElementsOf(range(81, 90));
        });
        s.onFetch(1, 5000); // at most a page (256 here)
        serveReads();
        assertThat(frames.get(2)).isInstanceOfSatisfying(ServerFrame.History.class, h -> {
            assertThat(h.to()).isEqualTo(100);
            assertThat(h.entries()).hasSize(100);
        });
    }

    @Test
    void readMarkersMayNotPassWhatWasSent() {
        addEntries(5);
        DeviceStream s = stream(0L, 100, 100);
        start(s);
        serveReads();
        s.onRead(3);
        s.onRead(2); // behind: nothing to store
        s.onRead(9);
        assertThat(readMarks).containsExactly(3L);
        assertThat(frames.get(frames.size() - 1)).isInstanceOfSatisfying(ServerFrame.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ACK));
    }

    @Test
    void resumesAfterTheGivenSeqOrTheAckedCursor() {
        addEntries(10);
        DeviceStream s = stream(7L, 100, 100);
        start(s);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(8, 10));

        frames.clear();
        storeCursor = 4;
        DeviceStream fromCursor = stream(null, 100, 100);
        start(fromCursor);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(5, 10));
    }

    @Test
    void keepsAtMostAWindowOfUnackedEntriesInFlight() {
        addEntries(50);
        DeviceStream s = stream(0L, 8, 100);
        start(s);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 8));
        assertThat(frames).noneMatch(f -> f instanceof ServerFrame.CaughtUp);

        s.onAck(5);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 13));
        assertThat(acked).containsExactly(5L);

        for (long seq = 13; seq <= 50; seq++) {
            s.onAck(seq);
            serveReads();
        }
        assertThat(messageSeqs()).isEqualTo(range(1, 50));
        assertThat(frames.get(frames.size() - 1)).isEqualTo(new ServerFrame.CaughtUp(50, EPOCH));
    }

    @Test
    void aPushPastAGapReadsTheGapFromTheStore() {
        addEntries(3);
        DeviceStream s = stream(0L, 100, 100);
        start(s);
        serveReads();
        addEntries(3); // 4 and 5 were routed before the router learnt of the session: no push for them
        s.onPush(new Push.NewEntry("bob", EPOCH, 6, inbox.get(5)));
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 6));
    }

    @Test
    void aHeadNotificationAloneTriggersARead() {
        DeviceStream s = stream(0L, 100, 100);
        start(s);
        serveReads();
        assertThat(frames).containsExactly(new ServerFrame.Backlog(0, null, null, 0, 0, null), new ServerFrame.CaughtUp(0, 0));
        addEntries(2);
        s.onPush(new Push.Head("bob", EPOCH, 2, "other-socket"));
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 2));
    }

    @Test
    void duplicateAndLatePushesAreNotResent() {
        addEntries(5);
        DeviceStream s = stream(0L, 100, 100);
        start(s);
        s.onPush(new Push.NewEntry("bob", EPOCH, 3, inbox.get(2))); // arrives before the first page
        serveReads();
        s.onPush(new Push.NewEntry("bob", EPOCH, 4, inbox.get(3)));
        s.onPush(new Push.NewEntry("bob", EPOCH, 5, inbox.get(4)));
        assertThat(messageSeqs()).isEqualTo(range(1, 5));
    }

    @Test
    void anAckBeyondWhatWasSentIsAnErrorAndChangesNothing() {
        addEntries(3);
        DeviceStream s = stream(0L, 100, 100);
        start(s);
        serveReads();
        s.onAck(10);
        assertThat(frames.get(frames.size() - 1)).isInstanceOfSatisfying(ServerFrame.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ACK));
        assertThat(acked).isEmpty();
        s.onAck(3);
        s.onAck(2);
        assertThat(acked).containsExactly(3L);
        assertThat(closedWith).isNull();
    }

    @Test
    void anEpochOtherThanTheClientsMeansResync() {
        addEntries(3);
        DeviceStream s = stream(new DeviceStream.Params(3L, 999L, 100, 100, Duration.ofSeconds(30)));
        start(s);
        serveReads();
        assertThat(closedWith).isEqualTo(CloseCode.RESYNC);
        assertThat(frames).isEmpty();
    }

    @Test
    void anEpochChangeWhileConnectedMeansResync() {
        addEntries(2);
        DeviceStream s = stream(0L, 100, 100);
        start(s);
        serveReads();
        s.onPush(new Push.Head("bob", EPOCH + 1, 1, "other-socket"));
        assertThat(closedWith).isEqualTo(CloseCode.RESYNC);
    }

    @Test
    void aCursorBeyondTheHeadOfAnotherHistoryMeansResync() {
        addEntries(3);
        DeviceStream s = stream(10L, 100, 100);
        start(s);
        serveReads();
        assertThat(closedWith).isEqualTo(CloseCode.RESYNC);
        assertThat(frames).isEmpty();
    }

    @Test
    void aCursorBeyondTheHeadInTheSameEpochWaitsForTheStore() {
        addEntries(3);
        DeviceStream s = stream(new DeviceStream.Params(5L, EPOCH, 100, 100, Duration.ofSeconds(30)));
        start(s);
        serveReads();
        assertThat(closedWith).isNull();
        assertThat(frames).containsExactly(new ServerFrame.Backlog(0, null, null, 3, EPOCH, null),
                new ServerFrame.CaughtUp(5, EPOCH));
        addEntries(3); // the store caught up: 4 and 5 were already processed by the client
        s.onPush(new Push.NewEntry("bob", EPOCH, 6, inbox.get(5)));
        assertThat(messageSeqs()).containsExactly(6L);
    }

    @Test
    void anAckAtOrBelowTheStartIsStoredForTheCursorButChangesNothingElse() {
        addEntries(5);
        DeviceStream s = stream(3L, 100, 100);
        start(s);
        s.onAck(2); // the client could not send it before its last connection dropped
        s.onAck(3);
        s.onAck(3);
        assertThat(frames).isEmpty();
        assertThat(acked).containsExactly(2L, 3L);
        s.onAck(4);
        assertThat(frames).singleElement().isInstanceOfSatisfying(ServerFrame.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ACK));
    }

    @Test
    void aPageWithoutProgressBacksOffInsteadOfSpinning() {
        addEntries(2);
        DeviceStream s = stream(0L, 100, 100);
        start(s);
        serveReads();
        // A push announces head 4, but the store (e.g. a stale owner during a rebalance) still ends at 2.
        s.onPush(new Push.Head("bob", EPOCH, 4, "other-socket"));
        serveReads();
        assertThat(readsAfter).containsExactly(0L, 2L);
        assertThat(timers).hasSize(1);
        addEntries(2);
        timers.poll().run();
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 4));
    }

    @Test
    void aBackedUpSocketPausesTheStreamUntilItDrains() {
        addEntries(10);
        boolean[] writable = {true};
        DeviceStream s = new DeviceStream(BOB, new DeviceStream.Params(0L, null, 100, 100, Duration.ofSeconds(30)),
                new DeviceStream.Outbound() {
                    @Override
                    public void send(String frame, Runnable written) {
                        frames.add(Frames.decodeServer(frame));
                        if (frames.size() == 4) {
                            writable[0] = false; // the socket's queue is full after four frames (backlog, 1, 2, 3)
                        }
                    }

                    @Override
                    public boolean writable() {
                        return writable[0];
                    }

                    @Override
                    public void close(CloseCode code, String reason) {
                        closedWith = code;
                    }
                }, store, (id, seq, read, skip) -> { }, (t, d) -> { }, () -> now, new DeliveryMetrics(new SimpleMeterRegistry()),
                buffers);
        start(s);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 3));
        assertThat(buffers.held()).as("a socket that does not read pins no fetched entries").isZero();
        addEntries(1);
        s.onPush(new Push.NewEntry("bob", EPOCH, 11, inbox.get(10)));
        assertThat(buffers.held()).as("nor pushed ones").isZero();
        writable[0] = true;
        s.onWritable();
        serveReads();
        assertThat(readsAfter).as("what it dropped is read again").containsExactly(0L, 3L);
        assertThat(messageSeqs()).isEqualTo(range(1, 11));
        assertThat(frames.get(frames.size() - 1)).isEqualTo(new ServerFrame.CaughtUp(11, EPOCH));
    }

    @Test
    void readsPagesByBytes() {
        for (int i = 0; i < 20; i++) {
            long seq = inbox.size() + 1;
            inbox.add(Entry.message("m-" + seq, "alice", "phone", "bob", seq, false, Json.writeBytes("x".repeat(840)))
                    .withSeq(seq));
        }
        long entry = DeviceStream.size(inbox.get(0));
        // a page of three entries' bytes per read, though the window and the page size would take more
        DeviceStream s = stream(new DeviceStream.Params(0L, null, null, 10, 100, 3 * entry, Duration.ofSeconds(30)));
        start(s);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 10));
        assertThat(readsAfter).containsExactly(0L, 3L, 6L, 9L);
        assertThat(readBytes).allMatch(b -> b <= 3 * entry);
        s.onAck(10);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 20));
        assertThat(readsAfter).containsExactly(0L, 3L, 6L, 9L, 10L, 13L, 16L, 19L);
        assertThat(buffers.held()).isZero();
    }

    @Test
    void whenTheInstanceHoldsItsLimitReadsWaitForOtherStreamsToHandEntriesOn() {
        addEntries(10);
        long entry = DeviceStream.size(inbox.get(0));
        buffers = new StreamBuffers(4 * entry, wakeups::add);
        DeviceStream.Params params = new DeviceStream.Params(0L, null, null, 4, 100, 4 * entry, Duration.ofSeconds(30));
        DeviceStream first = start(stream(params));
        assertThat(buffers.held()).as("the first stream's read is in flight, with its bytes").isEqualTo(4 * entry);

        DeviceStream second = stream(params);
        int reads = readsAfter.size();
        start(second);
        assertThat(readsAfter).as("no room for another read: it waits").hasSize(reads);
        assertThat(wakeups).isEmpty();
        serveReads();
        assertThat(first.lastSent()).isEqualTo(4);
        assertThat(wakeups).as("the first stream handed its entries on: the waiting read is woken").hasSize(1);

        for (int step = 0; step < 100 && (first.lastSent() < 10 || second.lastSent() < 10); step++) {
            while (!wakeups.isEmpty()) {
                wakeups.poll().run();
            }
            serveReads();
            first.onAck(first.lastSent());
            second.onAck(second.lastSent());
        }
        assertThat(first.lastSent()).isEqualTo(10);
        assertThat(second.lastSent()).as("the waiting stream got its turn").isEqualTo(10);
        assertThat(buffers.peak()).as("never more than the instance's limit").isLessThanOrEqualTo(4 * entry);
        assertThat(buffers.held()).isZero();
    }

    @Test
    void aClientThatDoesNotAckHoldsNothingBeyondItsWindow() {
        addEntries(20);
        DeviceStream s = start(stream(0L, 5, 100));
        serveReads();
        assertThat(readsAfter).as("the first read asks for no more than the window").containsExactly(0L);
        assertThat(messageSeqs()).isEqualTo(range(1, 5));
        addEntries(1);
        s.onPush(new Push.NewEntry("bob", EPOCH, 21, inbox.get(20)));
        assertThat(buffers.held()).as("nothing waits in memory for an ack that may never come").isZero();
        s.onAck(5);
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 10));
    }

    @Test
    void retriesTheStoreThenGivesUpWithStoreUnavailable() {
        addEntries(2);
        storeDown = true;
        DeviceStream s = stream(0L, 100, 100);
        start(s);
        serveReads();
        now += 1_000;
        timers.poll().run();
        serveReads();
        assertThat(closedWith).isNull();
        storeDown = false;
        timers.poll().run();
        serveReads();
        assertThat(messageSeqs()).isEqualTo(range(1, 2));

        storeDown = true;
        s.onPush(new Push.Head("bob", EPOCH, 5, "other-socket"));
        serveReads();
        now += 31_000;
        timers.poll().run();
        serveReads();
        assertThat(closedWith).isEqualTo(CloseCode.STORE_UNAVAILABLE);
    }
}
