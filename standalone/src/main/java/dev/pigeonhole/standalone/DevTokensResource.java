package dev.pigeonhole.standalone;

import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.protocol.Json;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * DEV ONLY, standalone mode only (this class is not part of any service image):
 * {@code POST /dev/tokens?user=alice&device=phone&ttl=PT24H} answers {@code {"token": "..."}}.
 */
@Path("/dev/tokens")
public class DevTokensResource {
    private final DevKeys keys;

    DevTokensResource(@ConfigProperty(name = "pigeonhole.standalone.data-dir") String dataDir) {
        this.keys = DevKeys.loadOrCreate(java.nio.file.Path.of(dataDir));
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public Response mint(@QueryParam("user") String user, @QueryParam("device") String device,
                         @QueryParam("ttl") @DefaultValue("PT24H") String ttl) {
        Duration lifetime;
        try {
            lifetime = Duration.parse(ttl);
        } catch (RuntimeException e) {
            lifetime = null;
        }
        if (!Ids.validName(user) || !Ids.validName(device) || lifetime == null || lifetime.isNegative()) {
            return Response.status(400).entity(Json.write(Map.of("code", "invalid_field",
                    "message", "user and device (1-64 of A-Z a-z 0-9 . _ @ -) and an ISO-8601 ttl required"))).build();
        }
        return Response.ok(Json.write(Map.of("token", keys.mint(user, device, lifetime), "user", user, "device", device,
                "expiresInSeconds", lifetime.toSeconds()))).build();
    }
}
