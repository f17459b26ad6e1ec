package dev.pigeonhole.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntryFramesTest {

    @Test
    void aMessageIsTheFrameTheProtocolDescribesWithTheBodyAsSent() {
        String body = "{\"text\":\"h\u00e9 \\\"quoted\\\"\",\"n\":1.50}";
        Entry e = Entry.message("m-\"1\\", "alice", "phone", "bob", 1234, true, body.getBytes(StandardCharsets.UTF_8))
                .withSeq(7);
        String frame = EntryFrames.encode(e);
        assertThat(frame).isEqualTo(Frames.encode(new ServerFrame.Message(7, "m-\"1\\", "alice", "phone", "bob",
                Json.read(body, JsonNode.class), 1234, true)));
        assertThat(frame).contains("\"body\":" + body + ",");
    }

    @Test
    void attachmentsFollowTheBodyAsTheGatewayWroteThem() {
        String attachments = "[{\"ref\":\"sha256:" + "ab".repeat(32) + "\",\"size\":3,\"type\":\"image/jpeg\",\"name\":\"a.jpg\"}]";
        Entry e = Entry.message("m-1", "alice", "phone", "bob", 1234, false, "{}".getBytes(StandardCharsets.UTF_8),
                attachments.getBytes(StandardCharsets.UTF_8)).withSeq(7);
        String frame = EntryFrames.encode(e);
        assertThat(frame).contains("\"body\":{},\"attachments\":" + attachments + ",\"sentAt\":1234");
        ServerFrame.Message m = (ServerFrame.Message) Frames.decodeServer(frame);
        assertThat(m.attachments()).containsExactly(new dev.pigeonhole.protocol.ClientFrame.Attachment(
                "sha256:" + "ab".repeat(32), 3, "image/jpeg", "a.jpg", null));
        assertThat(frame).isEqualTo(Frames.encode(m));
    }

    @Test
    void noticesAreReceiptAndUndeliveredFrames() {
        ServerFrame.Receipt.Item item = new ServerFrame.Receipt.Item("m-1", "group:team", 2, 3);
        Entry receipt = Entry.notice(Entry.Kind.RECEIPT, "delivered:bob:phone:1:1-1", "bob", 99,
                new Entry.Receipt(ServerFrame.Receipt.Status.DELIVERED, List.of(item))).withSeq(5);
        assertThat(Frames.decodeServer(EntryFrames.encode(receipt)))
                .isEqualTo(new ServerFrame.Receipt(5, "bob", ServerFrame.Receipt.Status.DELIVERED, List.of(item), 99));
        assertThat(EntryFrames.encode(receipt)).isEqualTo(Frames.encode(
                new ServerFrame.Receipt(5, "bob", ServerFrame.Receipt.Status.DELIVERED, List.of(item), 99)));

        ServerFrame.Undelivered.Item lost = new ServerFrame.Undelivered.Item("m-2", "bob", 42);
        Entry undelivered = Entry.notice(Entry.Kind.UNDELIVERED, "undelivered:bob:1:m-2", "bob", 100,
                new Entry.Undelivered("expired", List.of(lost))).withSeq(6);
        assertThat(EntryFrames.encode(undelivered)).isEqualTo(Frames.encode(
                new ServerFrame.Undelivered(6, "bob", "expired", List.of(lost), 100)));
    }

    @Test
    void aHistoryFrameCarriesItsEntries() {
        Entry a = Entry.message("a", "alice", "phone", "bob", 1, false, "1".getBytes(StandardCharsets.UTF_8)).withSeq(1);
        Entry b = Entry.message("b", "alice", "phone", "bob", 2, false, "[2]".getBytes(StandardCharsets.UTF_8)).withSeq(2);
        ServerFrame decoded = Frames.decodeServer(EntryFrames.history(1, 5, 1, List.of(a, b)));
        assertThat(decoded).isInstanceOfSatisfying(ServerFrame.History.class, h -> {
            assertThat(h.to()).isEqualTo(5);
            assertThat(h.entries()).extracting(ServerFrame.Entry::seq).containsExactly(1L, 2L);
        });
    }

    @Test
    void shadowEntriesAreTheirFramesAndSupersededOnesAreLeftOutOfHistory() {
        String delta = "{\"thing\":\"thermostat\",\"name\":\"\",\"version\":7,\"state\":{\"temperature\":21},"
                + "\"metadata\":{\"temperature\":{\"timestamp\":5}},\"clientToken\":\"c-1\"}";
        Entry d = Entry.shadow(Entry.Kind.SHADOW_DELTA, "delta:thermostat/@7", "alice", "phone", "thermostat", 5,
                delta.getBytes(StandardCharsets.UTF_8)).withSeq(3);
        assertThat(Frames.decodeServer(EntryFrames.encode(d))).isEqualTo(new ServerFrame.ShadowDelta(3, "thermostat", "",
                7, Json.read("{\"temperature\":21}", JsonNode.class), Json.read("{\"temperature\":{\"timestamp\":5}}",
                JsonNode.class), "c-1", 5));
        String docs = "{\"thing\":\"thermostat\",\"name\":\"\",\"by\":\"phone\",\"previous\":null,\"current\":{\"version\":1}}";
        Entry c = Entry.shadow(Entry.Kind.SHADOW_DOCUMENTS, "documents:thermostat/@1", "alice", "phone", "thermostat", 6,
                docs.getBytes(StandardCharsets.UTF_8)).withSeq(4);
        String frame = EntryFrames.encode(c);
        assertThat(frame).isEqualTo("{\"type\":\"shadow_documents\",\"seq\":4,\"thing\":\"thermostat\",\"name\":\"\","
                + "\"by\":\"phone\",\"previous\":null,\"current\":{\"version\":1},\"at\":6}");
        assertThat(Frames.decodeServer(frame)).isInstanceOfSatisfying(ServerFrame.ShadowDocuments.class, f -> {
            assertThat(f.by()).isEqualTo("phone");
            assertThat(f.current().path("version").asLong()).isEqualTo(1);
        });
        ServerFrame history = Frames.decodeServer(EntryFrames.history(2, 4, 1, List.of(d.withSeq(2).superseded(), d, c)));
        assertThat(((ServerFrame.History) history).entries()).extracting(ServerFrame.Entry::seq).containsExactly(3L, 4L);
    }
}
