package dev.pigeonhole.gateway;

import dev.pigeonhole.access.SendLimiter;
import dev.pigeonhole.access.SendBudget;
import dev.pigeonhole.gateway.uploads.Attachments;
import dev.pigeonhole.gateway.uploads.BlobAccess;
import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ProtocolException;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxOp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jboss.logging.Logger;

/**
 * Turns a client's send into an accepted envelope in Kafka, or a coded refusal. Shared by the WebSocket and HTTP
 * endpoints, which only map frames and status codes.
 */
@Startup // its meters exist from the start, so dashboards show 0 rather than no data
@ApplicationScoped
public class SendService {
    private static final Logger LOG = Logger.getLogger(SendService.class);

    private final Frames frames;
    private final SendLimiter limiter;
    private final InboxOpsWriter writer;
    private final GroupDirectory groups;
    private final BlobAccess blobs;
    private final MeterRegistry registry;
    private final Counter accepted;
    private final Counter groupSends;
    private final Counter groupCopies;
    private final ConcurrentMap<ErrorCode, Counter> rejected = new ConcurrentHashMap<>();

    SendService(GatewayConfig config, InboxOpsWriter writer, MeterRegistry registry, SendLimiter limiter,
                GroupDirectory groups, BlobAccess blobs) {
        this.groups = groups;
        this.blobs = blobs;
        this.frames = new Frames(config.maxBodyBytes());
        this.limiter = limiter;
        this.writer = writer;
        this.registry = registry;
        this.accepted = Counter.builder("pigeonhole.gateway.sends").tag("result", "accepted").tag("code", "none")
                .description("Sends answered by the gateway").register(registry);
        this.groupSends = Counter.builder("pigeonhole.gateway.group.sends")
                .description("Sends to groups accepted").register(registry);
        this.groupCopies = Counter.builder("pigeonhole.gateway.group.copies")
                .description("Copies written for group members (the fan-out cost)").register(registry);
    }

    /**
     * Handles one frame of {@code /v1/send}. Completes with the frame to answer: {@code accepted} only after the
     * Kafka acknowledgement; {@code rejected} (with the id) or {@code error} (without) otherwise; {@code pong} at
     * once for a {@code ping}. Never fails.
     */
    public CompletionStage<ServerFrame> handleFrame(Identity sender, String text, SendBudget connectionBudget,
                                                    InboxOpsWriter.Lane lane) {
        ClientFrame.Send send;
        try {
            ClientFrame frame = frames.parseSendSocket(text);
            if (frame instanceof ClientFrame.Ping) {
                return done(ServerFrame.Pong.INSTANCE); // free: bounded by the socket's pending-bytes limit, not the budget
            }
            send = (ClientFrame.Send) frame;
        } catch (ProtocolException e) {
            long wait = connectionBudget.take(e.id()); // bad frames count too
            return done(wait > 0 ? rateLimited(e.id(), wait) : refuse(e));
        }
        String first = connectionBudget.mustResendFirst(send.id());
        if (first != null) {
            return done(refuse(new ProtocolException(ErrorCode.UNAVAILABLE,
                    "message " + first + " was not stored: send it again first, then this one", send.id())));
        }
        Plan plan = plan(sender, send);
        long wait = connectionBudget.take(send.id(), plan.cost());
        if (wait > 0) {
            return done(rateLimited(send.id(), wait));
        }
        long userWait = limiter.takeForUser(sender.user(), plan.cost());
        if (userWait > 0) {
            connectionBudget.refusedElsewhere(send.id(), userWait, plan.cost());
            return done(rateLimited(send.id(), userWait));
        }
        return accept(sender, send, plan, lane).thenApply(reply -> {
            if (reply instanceof ServerFrame.Rejected r && r.code() == ErrorCode.UNAVAILABLE) {
                connectionBudget.notStored(send.id()); // later sends of this connection wait for it: order kept
            }
            return reply;
        });
    }

    /** Handles the JSON body of {@code POST /v1/messages}; only the per-user rate applies. */
    public CompletionStage<ServerFrame> handleBody(Identity sender, String body) {
        ClientFrame.Send send;
        try {
            send = frames.parseSendBody(body);
        } catch (ProtocolException e) {
            return done(refuse(e));
        }
        Plan plan = plan(sender, send);
        long wait = limiter.takeForUser(sender.user(), plan.cost());
        return wait > 0 ? done(rateLimited(send.id(), wait)) : accept(sender, send, plan, null);
    }

    /**
     * Whom a send goes to ({@code members} null: its one recipient), or why it is refused. It costs one token of each
     * send budget per recipient copy, the sender's own copy being free as in a one-to-one send: a group send to N
     * other members costs N. A refusal costs one, like a bad frame.
     */
    private record Plan(List<String> members, int cost, ProtocolException refusal) {}

    private Plan plan(Identity sender, ClientFrame.Send send) {
        if (!Ids.isGroup(send.to())) {
            return new Plan(null, 1, null);
        }
        Optional<GroupDirectory.Group> group = groups.get(send.to().substring(Ids.GROUP_PREFIX.length()));
        ProtocolException refusal = groupRefusal(sender, send, group);
        if (refusal != null) {
            return new Plan(null, 1, refusal);
        }
        List<String> members = group.get().recipients();
        int others = (int) members.stream().filter(m -> !m.equals(sender.user())).count();
        return new Plan(members, Math.max(1, others), null);
    }

    private ServerFrame rateLimited(String id, long retryAfterMs) {
        count(ErrorCode.RATE_LIMITED);
        return id == null
                ? new ServerFrame.Error(ErrorCode.RATE_LIMITED, "too many frames; retry in " + retryAfterMs + " ms", retryAfterMs)
                : ServerFrame.Rejected.rateLimited(id, retryAfterMs);
    }

    private void count(ErrorCode code) {
        rejected.computeIfAbsent(code, c -> Counter.builder("pigeonhole.gateway.sends")
                .tag("result", "rejected").tag("code", c.wire())
                .description("Sends answered by the gateway").register(registry)).increment();
    }

    private static CompletionStage<ServerFrame> done(ServerFrame frame) {
        return CompletableFuture.completedFuture(frame);
    }

    private CompletionStage<ServerFrame> accept(Identity sender, ClientFrame.Send send, Plan plan, InboxOpsWriter.Lane lane) {
        if (plan.refusal() != null) {
            return done(refuse(plan.refusal()));
        }
        if (!send.attachments().isEmpty()) {
            ProtocolException refusal = attach(sender, send, plan.members());
            if (refusal != null) {
                return done(refuse(refusal));
            }
        }
        long now = System.currentTimeMillis();
        List<InboxOpsWriter.Copy> copies = copies(sender, send, plan.members(), now);
        return writer.write(copies, now, lane).handle((ok, error) -> {
            if (error == null) {
                accepted.increment();
                if (Ids.isGroup(send.to())) {
                    groupSends.increment();
                    groupCopies.increment(copies.size() - 1);
                }
                return new ServerFrame.Accepted(send.id());
            }
            LOG.warnf("Kafka did not acknowledge send %s of %s: %s", send.id(), sender.user(), error.toString());
            return refuse(new ProtocolException(ErrorCode.UNAVAILABLE,
                    "the message could not be stored; send it again", send.id()));
        });
    }

    /**
     * Checks the attachments and grants them to every inbox the message goes to (the members of a group at send time),
     * before the write: a recipient never reads a message whose blobs it may not download yet. A grant whose write
     * then fails costs nothing but a download right the sender meant to give.
     */
    private ProtocolException attach(Identity sender, ClientFrame.Send send, List<String> members) {
        if (blobs.store().isEmpty()) { // uploads are off too, so no upload of the sender can exist: final, not unavailable
            return new ProtocolException(ErrorCode.INVALID_ATTACHMENT, "attachments are not available on this server", send.id());
        }
        Attachments attachments = new Attachments(blobs.store().get());
        try {
            ProtocolException refusal = attachments.refusal(sender.user(), send);
            if (refusal != null) {
                return refusal;
            }
            attachments.grant(sender.user(), send, grantees(sender.user(), send.to(), members));
            return null;
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warnf("blob store failed checking the attachments of send %s of %s: %s", send.id(), sender.user(), e.toString());
            return new ProtocolException(ErrorCode.UNAVAILABLE, "the blob store failed; send it again", send.id());
        }
    }

    /** Who may download a send's blobs: every inbox it goes to (a group's members at send time) and the sender's. */
    static java.util.Set<String> grantees(String sender, String to, List<String> members) {
        java.util.Set<String> users = new java.util.LinkedHashSet<>(members == null ? List.of(to) : members);
        users.add(sender);
        return users;
    }

    /**
     * One copy per inbox, each keyed by its user: the recipient's (or every group member's but the sender's) and the
     * sender's own (S9), so each copy is appended in one step on its inbox's partition. The copies are one message
     * (same sender, device and id): each inbox drops a copy it already holds, so a resend after a partial write
     * completes it without duplicates.
     */
    static List<InboxOpsWriter.Copy> copies(Identity sender, ClientFrame.Send send, List<String> members, long now) {
        byte[] body = send.body().getBytes(StandardCharsets.UTF_8);
        byte[] attachments = send.attachments().isEmpty() ? null : Json.writeBytes(send.attachments());
        byte[] theirs = InboxOp.encode(new InboxOp.Append(
                Entry.message(send.id(), sender.user(), sender.device(), send.to(), now, false, body, attachments)));
        byte[] own = InboxOp.encode(new InboxOp.Append(
                Entry.message(send.id(), sender.user(), sender.device(), send.to(), now, true, body, attachments)));
        List<InboxOpsWriter.Copy> copies = new ArrayList<>(members == null ? 2 : members.size() + 1);
        for (String recipient : members == null ? List.of(send.to()) : members) {
            if (!recipient.equals(sender.user())) {
                copies.add(new InboxOpsWriter.Copy(recipient, theirs));
            }
        }
        copies.add(new InboxOpsWriter.Copy(sender.user(), own));
        return copies;
    }

    /**
     * Checks a group send against this gateway's view. A group the sender may not see answers as a missing one
     * (no existence oracle); an invitee sees it but posts only after accepting (unless anyone may post).
     */
    private ProtocolException groupRefusal(Identity sender, ClientFrame.Send send, Optional<GroupDirectory.Group> group) {
        if (!groups.ready()) {
            return new ProtocolException(ErrorCode.UNAVAILABLE, "groups are loading; send it again", send.id());
        }
        if (group.isPresent() && (group.get().anyoneMayPost() || group.get().isMember(sender.user()))) {
            return null;
        }
        if (group.isPresent() && group.get().isInvited(sender.user())) {
            return new ProtocolException(ErrorCode.FORBIDDEN, "accept the invitation to " + send.to() + " first", send.id());
        }
        return new ProtocolException(ErrorCode.NOT_FOUND, GroupsResource.NOT_FOUND, send.id());
    }

    private ServerFrame refuse(ProtocolException e) {
        count(e.code());
        return e.id() == null
                ? new ServerFrame.Error(e.code(), e.getMessage())
                : new ServerFrame.Rejected(e.id(), e.code(), e.getMessage());
    }
}
