package dev.pigeonhole.delivery;

import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.QueryParams;
import dev.pigeonhole.protocol.ServerFrame;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/** Who calls delivery's HTTP endpoints ({@code /v1/devices}, {@code /v1/things}): a token, or the dev identity. */
final class Callers {
    private Callers() {}

    static Identity authenticate(Authenticator authenticator, UriInfo uri, String authorization) throws AuthException {
        return authenticator.authenticate(authorization, QueryParams.parse(uri.getRequestUri().getRawQuery()));
    }

    static Response unauthorized(AuthException e) {
        return Response.status(401).header("WWW-Authenticate", "Bearer")
                .entity(Frames.encode(new ServerFrame.Error(ErrorCode.UNAUTHORIZED, e.getMessage()))).build();
    }
}
