package dev.pigeonhole.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxOp;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SendCopiesTest {
    private static final Identity ALICE = new Identity("alice", "phone");

    @Test
    void aSendIsOneCopyForTheRecipientAndOneForTheSendersOwnInbox() {
        List<InboxOpsWriter.Copy> copies = SendService.copies(ALICE, new ClientFrame.Send("m-1", "bob", "{\"t\": 1}"), null, 77);
        assertThat(copies).extracting(InboxOpsWriter.Copy::user, c -> entry(c).own())
                .containsExactly(tuple("bob", false), tuple("alice", true));
        Entry bob = entry(copies.get(0));
        assertThat(bob.dedupKey()).as("one message: each inbox drops a copy it holds").isEqualTo(entry(copies.get(1)).dedupKey());
        assertThat(new String(bob.body(), StandardCharsets.UTF_8)).isEqualTo("{\"t\": 1}");
        assertThat(bob).extracting(Entry::id, Entry::from, Entry::fromDevice, Entry::to, Entry::sentAt, Entry::seq)
                .containsExactly("m-1", "alice", "phone", "bob", 77L, 0L);
    }

    @Test
    void aNoteToSelfIsOneCopy() {
        assertThat(SendService.copies(ALICE, new ClientFrame.Send("n", "alice", "1"), null, 1))
                .extracting(InboxOpsWriter.Copy::user, c -> entry(c).own()).containsExactly(tuple("alice", true));
    }

    @Test
    void aGroupSendIsOneCopyPerMemberButTheSenderPlusTheOwnCopy() {
        List<InboxOpsWriter.Copy> copies = SendService.copies(ALICE, new ClientFrame.Send("g", "group:team", "\"hi\""),
                List.of("alice", "bob", "carol"), 5);
        assertThat(copies).extracting(InboxOpsWriter.Copy::user, c -> entry(c).own(), c -> entry(c).to())
                .containsExactly(tuple("bob", false, "group:team"), tuple("carol", false, "group:team"),
                        tuple("alice", true, "group:team"));
        // a non-member posting to an open group still gets its own copy
        assertThat(SendService.copies(ALICE, new ClientFrame.Send("g", "group:open", "1"), List.of("bob"), 5))
                .extracting(InboxOpsWriter.Copy::user).containsExactly("bob", "alice");
    }

    private static Entry entry(InboxOpsWriter.Copy c) {
        return ((InboxOp.Append) InboxOp.decode(c.op())).entry();
    }

    @org.junit.jupiter.api.Test
    void blobsAreGrantedToEveryInboxTheMessageGoesTo() {
        org.assertj.core.api.Assertions.assertThat(SendService.grantees("alice", "bob", null))
                .containsExactly("bob", "alice");
        org.assertj.core.api.Assertions.assertThat(SendService.grantees("alice", "group:team", List.of("alice", "bob", "dave")))
                .containsExactly("alice", "bob", "dave");
    }
}
