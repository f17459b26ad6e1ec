package dev.pigeonhole.delivery;

import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.protocol.ServerFrame;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A user's devices: {@code GET /v1/devices} lists the registered ones (cursor, read marker, connected);
 * {@code DELETE /v1/devices/{device}} removes one (its cursor goes, its socket is closed with 4104). Both act on
 * the caller's own user.
 */
@Path("/v1/devices")
@Produces(MediaType.APPLICATION_JSON)
public class DevicesResource {
    private final DeliveryService service;
    private final Authenticator authenticator;

    DevicesResource(DeliveryService service, Authenticator authenticator) {
        this.service = service;
        this.authenticator = authenticator;
    }

    @GET
    public CompletionStage<Response> list(@Context UriInfo uri, @HeaderParam("Authorization") String authorization) {
        Identity caller;
        try {
            caller = authenticate(uri, authorization);
        } catch (AuthException e) {
            return CompletableFuture.completedFuture(unauthorized(e));
        }
        return service.devices(caller.user()).handle((json, error) -> error == null ? Response.ok(json).build()
                : error(503, ErrorCode.UNAVAILABLE, "the inbox store is not available; retry shortly"));
    }

    @DELETE
    @Path("{device}")
    @Blocking
    public Response remove(@Context UriInfo uri, @HeaderParam("Authorization") String authorization,
                           @PathParam("device") String device) {
        Identity caller;
        try {
            caller = authenticate(uri, authorization);
        } catch (AuthException e) {
            return unauthorized(e);
        }
        if (!Ids.validName(device)) {
            return error(400, ErrorCode.INVALID_FIELD, "invalid device id");
        }
        try {
            service.removeDevice(new Identity(caller.user(), device));
        } catch (Exception e) {
            return error(503, ErrorCode.UNAVAILABLE, "could not store the removal; retry");
        }
        return Response.noContent().build();
    }

    private Identity authenticate(UriInfo uri, String authorization) throws AuthException {
        return Callers.authenticate(authenticator, uri, authorization);
    }

    private static Response unauthorized(AuthException e) {
        return Callers.unauthorized(e);
    }

    private static Response error(int status, ErrorCode code, String message) {
        return Response.status(status).entity(Frames.encode(new ServerFrame.Error(code, message))).build();
    }
}
