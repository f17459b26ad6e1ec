package dev.pigeonhole.gateway;

import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.QueryParams;
import dev.pigeonhole.protocol.ServerFrame;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /v1/messages} for senders without a socket: the body of a {@code send} frame; 202 with an
 * {@code accepted} frame only after the Kafka acknowledgement, 400/413 with a {@code rejected} or {@code error}
 * frame for bad input, 429 when rate limited, 503 when Kafka did not acknowledge, 401 without credentials.
 */
@Path("/v1/messages")
public class MessagesResource {
    private final SendService service;
    private final Authenticator authenticator;

    MessagesResource(SendService service, Authenticator authenticator) {
        this.service = service;
        this.authenticator = authenticator;
    }

    @POST
    @Blocking
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> post(@Context UriInfo uri, @HeaderParam("Authorization") String authorization,
                                          String body) {
        Identity sender;
        try {
            sender = authenticator.authenticate(authorization, QueryParams.parse(uri.getRequestUri().getRawQuery()));
        } catch (AuthException e) {
            return CompletableFuture.completedFuture(Response.status(401).header("WWW-Authenticate", "Bearer")
                    .entity(Frames.encode(new ServerFrame.Error(ErrorCode.UNAUTHORIZED, e.getMessage()))).build());
        }
        return service.handleBody(sender, body == null ? "" : body).thenApply(MessagesResource::response);
    }

    private static Response response(ServerFrame reply) {
        ErrorCode code = reply instanceof ServerFrame.Rejected r ? r.code()
                : reply instanceof ServerFrame.Error e ? e.code() : null;
        if (code == null) {
            return Response.status(202).entity(Frames.encode(reply)).build();
        }
        Response.ResponseBuilder response = Response.status(switch (code) {
            case TOO_LARGE -> 413;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case RATE_LIMITED -> 429;
            case UNAVAILABLE, INTERNAL -> 503;
            default -> 400;
        }).entity(Frames.encode(reply));
        if (reply instanceof ServerFrame.Rejected r && r.retryAfterMs() != null) {
            response.header("Retry-After", Long.toString((r.retryAfterMs() + 999) / 1000));
        }
        return response.build();
    }
}
