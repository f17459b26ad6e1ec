package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.blobs.BlobInfo;
import dev.pigeonhole.blobs.BlobRef;
import dev.pigeonhole.blobs.BlobStore;
import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.ProtocolException;
import java.io.IOException;
import java.util.Collection;
import java.util.Optional;

/**
 * A send's attachments against the blob store: each must be a finished upload of the sender (an owner mark) of the
 * stated size; once checked, every inbox the message goes to gets a download grant (gateway DESIGN.md, Attachments).
 */
public final class Attachments {
    private final BlobStore store;

    public Attachments(BlobStore store) {
        this.store = store;
    }

    /** Null when every attachment is the sender's finished upload of that size, else the refusal (final). */
    public ProtocolException refusal(String sender, ClientFrame.Send send) throws IOException {
        for (ClientFrame.Attachment a : send.attachments()) {
            BlobRef ref = BlobRef.parse(a.ref());
            Optional<BlobInfo> blob = store.blob(ref);
            if (blob.isEmpty() || !store.isOwner(ref, sender)) {
                return new ProtocolException(ErrorCode.INVALID_ATTACHMENT,
                        a.ref() + " is not a finished upload of " + sender, send.id());
            }
            if (blob.get().size() != a.size()) {
                return new ProtocolException(ErrorCode.INVALID_ATTACHMENT,
                        a.ref() + " has " + blob.get().size() + " bytes, not " + a.size(), send.id());
            }
        }
        return null;
    }

    /** Grants each of {@code users} (the recipients, the sender for their own copy) the send's blobs. */
    public void grant(String sender, ClientFrame.Send send, Collection<String> users) throws IOException {
        for (ClientFrame.Attachment a : send.attachments()) {
            BlobRef ref = BlobRef.parse(a.ref());
            String type = store.access(ref, sender).orElse(a.type());
            for (String user : users) {
                store.grant(ref, user, type);
            }
        }
    }
}
