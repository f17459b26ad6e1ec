package dev.pigeonhole.router;

import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Internal read API, for delivery instances only (not routed by the ingress):
 * {@code GET /internal/v1/inbox/{user}?after=&device=&limit=&maxBytes=} answers an {@code InboxPage} (binary),
 * {@code GET /internal/v1/devices/{user}} a {@code DeviceList}; 503 with
 * {@code Retry-After} while the owning store is not queryable; 401 without the shared secret
 * ({@code pigeonhole.internal.secret}) when one is configured.
 */
@Path("/internal/v1")
public class InboxResource {
    /** Header carrying the shared secret of the internal API, when one is configured. */
    public static final String SECRET_HEADER = "X-Pigeonhole-Internal";

    private final InboxQueries queries;
    private final RouterConfig config;
    private final Optional<byte[]> secret;

    InboxResource(InboxQueries queries, RouterConfig config,
                  @ConfigProperty(name = "pigeonhole.internal.secret") Optional<String> secret) {
        this.queries = queries;
        this.config = config;
        this.secret = secret.map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @GET
    @Path("inbox/{user}")
    @Produces({MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
    public Response read(@PathParam("user") String user, @QueryParam("after") Long after,
                         @QueryParam("device") String device, @QueryParam("limit") @DefaultValue("256") int limit,
                         @QueryParam("maxBytes") Long maxBytes,
                         @QueryParam("local") boolean local, @HeaderParam(SECRET_HEADER) String presented) {
        if (!authorized(presented)) {
            return error(401, ErrorCode.UNAUTHORIZED, "internal API: secret required");
        }
        if (!Ids.validName(user) || (device != null && !Ids.validName(device))) {
            return error(400, ErrorCode.INVALID_FIELD, "invalid user or device id");
        }
        if ((after != null && after < 0) || limit < 1 || limit > config.maxPage() || (maxBytes != null && maxBytes < 1)) {
            return error(400, ErrorCode.INVALID_FIELD,
                    "after must be >= 0, limit in 1.." + config.maxPage() + " and maxBytes >= 1");
        }
        long bytes = maxBytes == null ? config.maxPageBytes() : Math.min(maxBytes, config.maxPageBytes());
        try {
            return Response.ok(queries.read(user, after, device, limit, bytes, local), MediaType.APPLICATION_OCTET_STREAM).build();
        } catch (InboxQueries.UnavailableException e) {
            return unavailable(e);
        }
    }

    /** {@code GET /internal/v1/devices/{user}}: the user's registered devices ({@code DeviceList}). */
    @GET
    @Path("devices/{user}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response devices(@PathParam("user") String user, @QueryParam("local") boolean local,
                            @HeaderParam(SECRET_HEADER) String presented) {
        if (!authorized(presented)) {
            return error(401, ErrorCode.UNAUTHORIZED, "internal API: secret required");
        }
        if (!Ids.validName(user)) {
            return error(400, ErrorCode.INVALID_FIELD, "invalid user id");
        }
        try {
            return Response.ok(queries.devices(user, local)).build();
        } catch (InboxQueries.UnavailableException e) {
            return unavailable(e);
        }
    }

    private boolean authorized(String presented) {
        return secret.isEmpty() || (presented != null
                && MessageDigest.isEqual(secret.get(), presented.getBytes(StandardCharsets.UTF_8)));
    }

    private static Response unavailable(InboxQueries.UnavailableException e) {
        return Response.status(503).header("Retry-After", "1").type(MediaType.APPLICATION_JSON)
                .entity(Json.write(new ServerFrame.Error(ErrorCode.UNAVAILABLE, e.getMessage()))).build();
    }

    private static Response error(int status, ErrorCode code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Json.write(new ServerFrame.Error(code, message))).build();
    }
}
