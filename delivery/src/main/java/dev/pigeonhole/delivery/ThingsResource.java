package dev.pigeonhole.delivery;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ProtocolException;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.protocol.ShadowFrameException;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET/POST/DELETE /v1/things/{thing}/shadow[?name=]}: the caller's device shadows (docs/shadow.md). Here, not on
 * the gateway, because the answer comes from the router as a push to this instance, as for the socket frames.
 */
@Path("/v1/things/{thing}/shadow")
@Produces(MediaType.APPLICATION_JSON)
public class ThingsResource {
    private final DeliveryService service;
    private final Authenticator authenticator;

    ThingsResource(DeliveryService service, Authenticator authenticator) {
        this.service = service;
        this.authenticator = authenticator;
    }

    @GET
    public CompletionStage<Response> get(@Context UriInfo uri, @HeaderParam("Authorization") String authorization,
                                         @PathParam("thing") String thing, @QueryParam("name") String name,
                                         @QueryParam("owner") String owner) {
        return handle(uri, authorization, ClientFrame.ShadowOp.GET, thing, name, owner, null, null);
    }

    @POST
    public CompletionStage<Response> update(@Context UriInfo uri, @HeaderParam("Authorization") String authorization,
                                            @PathParam("thing") String thing, @QueryParam("name") String name,
                                            @QueryParam("owner") String owner, String body) {
        return handle(uri, authorization, ClientFrame.ShadowOp.UPDATE, thing, name, owner, null, body);
    }

    @DELETE
    public CompletionStage<Response> delete(@Context UriInfo uri, @HeaderParam("Authorization") String authorization,
                                            @PathParam("thing") String thing, @QueryParam("name") String name,
                                            @QueryParam("owner") String owner, @QueryParam("version") String version) {
        return handle(uri, authorization, ClientFrame.ShadowOp.DELETE, thing, name, owner, version, null);
    }

    private CompletionStage<Response> handle(UriInfo uri, String authorization, ClientFrame.ShadowOp op, String thing,
                                             String name, String owner, String version, String body) {
        Identity caller;
        try {
            caller = Callers.authenticate(authenticator, uri, authorization);
        } catch (AuthException e) {
            return CompletableFuture.completedFuture(Callers.unauthorized(e));
        }
        ClientFrame.Shadow request;
        try {
            request = Frames.parseShadowHttp(op, thing, name, owner, version, body);
        } catch (ShadowFrameException e) {
            return CompletableFuture.completedFuture(response(e.rejection()));
        } catch (ProtocolException e) {
            return CompletableFuture.completedFuture(error(e.code(), e.getMessage(), null).build());
        }
        return service.shadow(caller, request).thenApply(ThingsResource::response);
    }

    private static Response response(String frame) {
        return response(Frames.decodeServer(frame));
    }

    private static Response response(ServerFrame frame) {
        if (frame instanceof ServerFrame.ShadowAccepted a) {
            return Response.ok(Json.write(a.document())).build();
        }
        ServerFrame.ShadowRejected r = (ServerFrame.ShadowRejected) frame;
        Response.ResponseBuilder b = error(r.code(), r.message(), r.version());
        if (r.retryAfterMs() != null) {
            b.header("Retry-After", Math.max(1, (r.retryAfterMs() + 999) / 1000));
        }
        return b.build();
    }

    private static Response.ResponseBuilder error(ErrorCode code, String message, Long version) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("type", "error").put("code", code.wire()).put("message", message);
        if (version != null) {
            body.put("version", version);
        }
        return Response.status(status(code)).entity(Json.write(body));
    }

    static int status(ErrorCode code) {
        return switch (code) {
            case MALFORMED_JSON, INVALID_FIELD -> 400;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case VERSION_CONFLICT -> 409;
            case TOO_LARGE -> 413;
            case RATE_LIMITED -> 429;
            case UNAVAILABLE -> 503;
            default -> 500;
        };
    }
}
