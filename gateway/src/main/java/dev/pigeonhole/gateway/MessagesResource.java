package dev.pigeonhole.gateway;

import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ServerFrame;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /v1/messages} for senders without a socket: the body of a {@code send} frame; 202 with an
 * {@code accepted} frame only after the Kafka acknowledgement, 400/413 with a {@code rejected} or {@code error}
 * frame for bad input, 503 when Kafka did not acknowledge, 401 without identity.
 */
@Path("/v1/messages")
public class MessagesResource {
    private final SendService service;
    private final Identities identities;

    MessagesResource(SendService service, Identities identities) {
        this.service = service;
        this.identities = identities;
    }

    @POST
    @Blocking
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> post(@Context UriInfo uri, String body) {
        Optional<Identity> sender = identities.resolve(uri.getRequestUri().getRawQuery());
        if (sender.isEmpty()) {
            return CompletableFuture.completedFuture(Response.status(401)
                    .entity(Frames.encode(new ServerFrame.Error(ErrorCode.UNAUTHORIZED, identities.refusal()))).build());
        }
        return service.handleBody(sender.get(), body == null ? "" : body)
                .thenApply(reply -> Response.status(status(reply)).entity(Frames.encode(reply)).build());
    }

    private static int status(ServerFrame reply) {
        ErrorCode code = reply instanceof ServerFrame.Rejected r ? r.code()
                : reply instanceof ServerFrame.Error e ? e.code() : null;
        if (code == null) {
            return 202;
        }
        return switch (code) {
            case TOO_LARGE -> 413;
            case UNAVAILABLE, INTERNAL -> 503;
            default -> 400;
        };
    }
}
