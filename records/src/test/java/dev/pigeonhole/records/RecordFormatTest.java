package dev.pigeonhole.records;

import dev.pigeonhole.protocol.ClientFrame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RecordFormatTest {
    private static final Entry MESSAGE = Entry.message("m-\u00e9", "alice", "phone", "group:team", 1_795_823_061_360L,
            true, "{\"text\":\"hi\"}".getBytes(StandardCharsets.UTF_8)).withSeq(42);

    @Test
    void everyOperationAndPushReadsBackAsWritten() {
        List<InboxOp> ops = List.of(new InboxOp.Append(MESSAGE), new InboxOp.Connect("laptop", "delivery-0", "c-1", 17L),
                new InboxOp.Connect("laptop", "delivery-0", "c-2", null), new InboxOp.Refresh("laptop", "delivery-0", "c-1"),
                new InboxOp.Disconnect("laptop", "c-1"), new InboxOp.Remove("laptop"),
                new InboxOp.Ack("laptop", Long.MAX_VALUE, true, 3, 9), new InboxOp.Lease("delivery-0", 1_795_823_061_360L));
        for (InboxOp op : ops) {
            assertThat(InboxOp.decode(InboxOp.encode(op))).isEqualTo(op);
        }
        List<Push> pushes = List.of(new Push.NewEntry("bob", 99, 42, MESSAGE), new Push.Head("bob", 99, 42, "c-1"), new Push.Head("bob", 99, 42, "c-1", 42L),
                new Push.Close("bob", "laptop", "c-1", Push.Close.Reason.REMOVED),
                new Push.Close("bob", "laptop", "c-1", Push.Close.Reason.TOO_MANY_DEVICES));
        for (Push p : pushes) {
            assertThat(Push.decode(Push.encode(p))).isEqualTo(p);
        }
        InboxPage page = new InboxPage(99, 42, 40, 3, new InboxPage.Gap(1, 2, "expired"), List.of(MESSAGE, MESSAGE.withSeq(43)));
        assertThat(InboxPage.decode(page.encode())).isEqualTo(page);
        assertThat(Entry.decode(MESSAGE.encode())).isEqualTo(MESSAGE);
    }

    @Test
    void shadowOperationsAnswersAndEntriesReadBackAsWritten() {
        InboxOp.Shadow update = new InboxOp.Shadow("phone", "delivery-0", "r-1", ClientFrame.ShadowOp.UPDATE, "thermostat", "",
                "c-1", 7L, "{\"desired\":{\"t\":21}}".getBytes(StandardCharsets.UTF_8));
        assertThat(InboxOp.decode(InboxOp.encode(update))).usingRecursiveComparison().isEqualTo(update);
        InboxOp.Shadow get = new InboxOp.Shadow("phone", "delivery-0", "r-2", ClientFrame.ShadowOp.GET, "thermostat", "config",
                null, null, null);
        assertThat(InboxOp.decode(InboxOp.encode(get))).usingRecursiveComparison().isEqualTo(get);
        InboxOp.Shadow stateless = new InboxOp.Shadow("phone", "delivery-0", "r-3", ClientFrame.ShadowOp.UPDATE, "t", "", null,
                null, null);
        assertThatThrownBy(() -> InboxOp.decode(InboxOp.encode(stateless))).isInstanceOf(RecordFormatException.class);
        Push answer = new Push.ShadowAnswer("bob", "r-1", "{\"type\":\"shadow_accepted\"}");
        assertThat(Push.decode(Push.encode(answer))).isEqualTo(answer);
        Entry delta = Entry.shadow(Entry.Kind.SHADOW_DELTA, "delta:t/@3", "bob", "phone", "t", 5,
                "{}".getBytes(StandardCharsets.UTF_8)).withSeq(9);
        assertThat(Entry.decode(delta.encode())).isEqualTo(delta);
        assertThat(Entry.decode(delta.superseded().encode())).extracting(Entry::kind, Entry::seq, Entry::id)
                .containsExactly(Entry.Kind.SUPERSEDED, 9L, "delta:t/@3");
    }

    @Test
    void fieldsANewerWriterAppendedAreSkippedEvenInsideNestedStructures() {
        RecordWriter w = RecordWriter.record(1, 64);
        w.nested(inner -> {
            MESSAGE.write(inner);
            inner.string("a field of a newer build").varLong(7);
        });
        w.string("another trailing field");
        assertThat(InboxOp.decode(w.toByteArray())).isEqualTo(new InboxOp.Append(MESSAGE));
    }

    @Test
    void aMemberRecordFromBeforeInvitationsReadsAsAJoinedMemberAndAnInvitationReadsBack() {
        var serde = Topics.GROUPS.valueSerde();
        byte[] old = "{\"member\":{\"role\":\"MEMBER\",\"addedAt\":5}}".getBytes(StandardCharsets.UTF_8);
        assertThat(serde.deserializer().deserialize("t", old))
                .isEqualTo(new GroupRecord(null, GroupRecord.Member.joined(GroupRecord.Role.MEMBER, 5)));
        GroupRecord invited = new GroupRecord(null, new GroupRecord.Member(GroupRecord.Role.ADMIN, 6, true, "alice"));
        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", invited))).isEqualTo(invited);
    }

    @Test
    void unknownFormatsTypesAndKindsAreRefusedByName() {
        assertThatThrownBy(() -> InboxOp.decode(new byte[] {2, 1})).isInstanceOf(RecordFormatException.class)
                .hasMessageContaining("format version 2");
        assertThatThrownBy(() -> InboxOp.decode(new byte[] {1, 99})).hasMessageContaining("unknown inbox operation type 99");
        assertThatThrownBy(() -> Push.decode(new byte[] {1, 77})).hasMessageContaining("unknown push type 77");
        byte[] entry = MESSAGE.encode();
        entry[2] = 9; // kind
        assertThatThrownBy(() -> Entry.decode(entry)).hasMessageContaining("unknown entry kind 9");
    }

    @Test
    void anyCorruptionIsARecordFormatExceptionNeverAnythingElse() {
        byte[] valid = InboxOp.encode(new InboxOp.Append(MESSAGE));
        SplittableRandom random = new SplittableRandom(20261129);
        for (int i = 0; i < 20_000; i++) {
            byte[] bad = Arrays.copyOf(valid, random.nextInt(valid.length + 4));
            for (int flips = random.nextInt(4); flips > 0 && bad.length > 0; flips--) {
                bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            }
            try {
                InboxOp.decode(bad);
            } catch (RecordFormatException expected) {
                // the router moves such a record to the dead letters
            }
        }
    }

    @Test
    void attachmentsReadBackAndAnEntryWrittenWithoutThemStillDecodes() {
        byte[] attachments = "[{\"ref\":\"sha256:00\",\"size\":3,\"type\":\"image/jpeg\"}]".getBytes(StandardCharsets.UTF_8);
        Entry with = Entry.message("m-1", "alice", "phone", "bob", 5, false,
                "{}".getBytes(StandardCharsets.UTF_8), attachments).withSeq(3);
        InboxOp.Append back = (InboxOp.Append) InboxOp.decode(InboxOp.encode(new InboxOp.Append(with)));
        assertThat(back.entry()).isEqualTo(with);
        assertThat(Entry.decode(with.encode()).attachments()).isEqualTo(attachments);
        assertThat(with.superseded().attachments()).isNull();

        // bytes exactly as the build before attachments wrote them: the same fields, nothing after the body
        RecordWriter w = RecordWriter.record(1, 64);
        w.nested(inner -> inner.u8(1).varLong(0).string("m-1").string("alice").string("phone").string("bob")
                .varLong(5).bool(false).block("{}".getBytes(StandardCharsets.UTF_8)));
        InboxOp.Append old = (InboxOp.Append) InboxOp.decode(w.toByteArray());
        assertThat(old.entry()).isEqualTo(Entry.message("m-1", "alice", "phone", "bob", 5, false,
                "{}".getBytes(StandardCharsets.UTF_8)));
        assertThat(old.entry().attachments()).isNull();
    }
}
