package dev.pigeonhole.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.QueryParams;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.GroupRecord;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The group API (S10). Membership is written to the compacted groups topic; a send to {@code group:<id>} fans out
 * to the joined members of the moment. The creator owns the group; the owner and admins add and remove members;
 * with {@code group-consent=invite} (default) whoever they add is invited and joins by accepting; any member or
 * invitee may leave (decline); only the owner deletes the group. To a user who is neither member nor invitee a group
 * does not exist: every endpoint answers exactly as for a missing group (404 {@code not_found}). Errors are
 * {@code error} frames: 400 {@code invalid_field}, 401 {@code unauthorized}, 403 {@code forbidden}, 404
 * {@code not_found}, 409 {@code conflict}, 503 {@code unavailable}.
 */
@Path("/v1/groups")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class GroupsResource {
    /** A group as the API returns it. */
    public record GroupView(String id, String owner, boolean anyoneMayPost, long createdAt, List<MemberView> members) {
        static GroupView of(GroupDirectory.Group g) {
            return new GroupView(g.id(), g.owner(), g.anyoneMayPost(), g.createdAt(), g.members().entrySet().stream()
                    .map(e -> MemberView.of(e.getKey(), e.getValue())).toList());
        }
    }

    /** {@code status}: {@code joined}, or {@code invited} (by {@code invitedBy}) and not a recipient yet. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MemberView(String user, String role, String status, String invitedBy) {
        static MemberView of(String user, GroupRecord.Member m) {
            return new MemberView(user, m.role().name().toLowerCase(), m.invited() ? "invited" : "joined",
                    m.invited() ? m.invitedBy() : null);
        }
    }

    /** One of the caller's groups in {@code GET /v1/groups}: the caller's own membership. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MembershipView(String id, String owner, String role, String status, String invitedBy) {}

    public record MembershipsView(List<MembershipView> groups) {}

    /** The one answer for a group the caller may not see, whether it exists or not: no existence oracle. */
    static final String NOT_FOUND = "no such group";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final GroupDirectory directory;
    private final Authenticator authenticator;
    private final GatewayConfig config;

    GroupsResource(GroupDirectory directory, Authenticator authenticator, GatewayConfig config) {
        this.directory = directory;
        this.authenticator = authenticator;
        this.config = config;
    }

    /**
     * {@code {"id":"g1","members":["bob"],"anyoneMayPost":false}}: the caller becomes the owner and a member, the
     * others are invited (members at once with {@code group-consent=open}). Without {@code id} the gateway picks an
     * unguessable one; a chosen id answers 409 when taken, which tells anyone that it exists.
     */
    @POST
    public Response create(@Context UriInfo uri, @HeaderParam("Authorization") String authorization, String body) {
        return call(uri, authorization, caller -> {
            JsonNode req = parse(body);
            String id = req.has("id") ? text(req, "id") : randomId();
            if (!Ids.validName(id)) {
                throw new ApiError(400, ErrorCode.INVALID_FIELD, "field 'id': 1-64 of A-Z a-z 0-9 . _ @ -");
            }
            Set<String> users = new LinkedHashSet<>();
            users.add(caller.user());
            JsonNode list = req.path("members");
            if (!list.isMissingNode() && !list.isArray()) {
                throw new ApiError(400, ErrorCode.INVALID_FIELD, "field 'members' must be an array of user ids");
            }
            for (JsonNode m : list) {
                if (!m.isTextual() || !Ids.validName(m.textValue())) {
                    throw new ApiError(400, ErrorCode.INVALID_FIELD, "field 'members' must be an array of user ids");
                }
                users.add(m.textValue());
            }
            if (users.size() > config.groupMaxMembers()) {
                throw new ApiError(400, ErrorCode.INVALID_FIELD, "a group has at most " + config.groupMaxMembers() + " members");
            }
            JsonNode anyone = req.path("anyoneMayPost");
            if (!anyone.isMissingNode() && !anyone.isBoolean()) {
                throw new ApiError(400, ErrorCode.INVALID_FIELD, "field 'anyoneMayPost' must be a boolean");
            }
            if (directory.get(id).isPresent()) {
                throw new ApiError(409, ErrorCode.CONFLICT, "group " + id + " exists");
            }
            long now = System.currentTimeMillis();
            Map<String, GroupRecord> records = new LinkedHashMap<>();
            for (String orphan : directory.orphanMembers(id)) {
                if (!users.contains(orphan)) {
                    records.put(GroupRecord.memberKey(id, orphan), null); // never inherit an old group's members
                }
            }
            records.put(GroupRecord.groupKey(id), new GroupRecord(new GroupRecord.Group(caller.user(), anyone.asBoolean(false), now), null));
            for (String u : users) {
                records.put(GroupRecord.memberKey(id, u), new GroupRecord(null, u.equals(caller.user())
                        ? GroupRecord.Member.joined(GroupRecord.Role.OWNER, now)
                        : added(GroupRecord.Role.MEMBER, now, caller)));
            }
            write(records);
            return Response.status(201).entity(GroupView.of(directory.get(id).orElseThrow())).build();
        });
    }

    /** The caller's groups, joined or invited to (pending invitations: {@code status} {@code invited}), by id. */
    @GET
    public Response list(@Context UriInfo uri, @HeaderParam("Authorization") String authorization) {
        return call(uri, authorization, caller -> Response.ok(new MembershipsView(directory.of(caller.user()).stream()
                .map(g -> {
                    MemberView m = MemberView.of(caller.user(), g.members().get(caller.user()));
                    return new MembershipView(g.id(), g.owner(), m.role(), m.status(), m.invitedBy());
                }).toList())).build());
    }

    @GET
    @Path("{id}")
    public Response get(@Context UriInfo uri, @HeaderParam("Authorization") String authorization, @PathParam("id") String id) {
        return call(uri, authorization, caller -> Response.ok(GroupView.of(visible(id, caller))).build());
    }

    /** An invitee joins: from now on it receives the group's messages. Accepting again changes nothing. */
    @POST
    @Path("{id}/accept")
    public Response accept(@Context UriInfo uri, @HeaderParam("Authorization") String authorization, @PathParam("id") String id) {
        return call(uri, authorization, caller -> {
            GroupDirectory.Group g = visible(id, caller);
            if (g.isInvited(caller.user())) {
                write(Map.of(GroupRecord.memberKey(id, caller.user()),
                        new GroupRecord(null, g.members().get(caller.user()).accepted())));
            }
            return Response.ok(GroupView.of(directory.get(id).orElseThrow())).build();
        });
    }

    /**
     * Adds a member (an invitation with {@code group-consent=invite}), or changes its role: body optional,
     * {@code {"role":"admin"|"member"}}. Owner and admins only.
     */
    @PUT
    @Path("{id}/members/{user}")
    public Response put(@Context UriInfo uri, @HeaderParam("Authorization") String authorization, @PathParam("id") String id,
                        @PathParam("user") String user, String body) {
        return call(uri, authorization, caller -> {
            GroupDirectory.Group g = visible(id, caller);
            if (!g.isAdmin(caller.user())) {
                throw new ApiError(403, ErrorCode.FORBIDDEN, "only the owner and admins add members");
            }
            if (!Ids.validName(user)) {
                throw new ApiError(400, ErrorCode.INVALID_FIELD, "invalid user id");
            }
            GroupRecord.Role role = GroupRecord.Role.MEMBER;
            if (body != null && !body.isBlank()) {
                String r = text(parse(body), "role");
                if (!"admin".equals(r) && !"member".equals(r)) {
                    throw new ApiError(400, ErrorCode.INVALID_FIELD, "field 'role': admin or member");
                }
                role = GroupRecord.Role.valueOf(r.toUpperCase());
            }
            if (user.equals(g.owner())) {
                throw new ApiError(400, ErrorCode.INVALID_FIELD, "the owner's role does not change");
            }
            GroupRecord.Member current = g.members().get(user);
            if (current == null && g.members().size() >= config.groupMaxMembers()) {
                throw new ApiError(400, ErrorCode.INVALID_FIELD, "a group has at most " + config.groupMaxMembers()
                        + " members and invitees");
            }
            write(Map.of(GroupRecord.memberKey(id, user), new GroupRecord(null, current == null
                    ? added(role, System.currentTimeMillis(), caller) : current.withRole(role))));
            return Response.ok(GroupView.of(directory.get(id).orElseThrow())).build();
        });
    }

    /**
     * Removes a member or invitation: the owner and admins remove anyone but the owner; any member or invitee may
     * remove itself (leave, decline).
     */
    @DELETE
    @Path("{id}/members/{user}")
    public Response removeMember(@Context UriInfo uri, @HeaderParam("Authorization") String authorization,
                                 @PathParam("id") String id, @PathParam("user") String user) {
        return call(uri, authorization, caller -> {
            GroupDirectory.Group g = visible(id, caller);
            if (!caller.user().equals(user) && !g.isAdmin(caller.user())) {
                throw new ApiError(403, ErrorCode.FORBIDDEN, "only the owner and admins remove other members");
            }
            if (user.equals(g.owner())) {
                throw new ApiError(400, ErrorCode.INVALID_FIELD, "the owner cannot leave; delete the group instead");
            }
            if (!g.isVisibleTo(user)) {
                throw new ApiError(404, ErrorCode.NOT_FOUND, user + " is not a member of " + id);
            }
            Map<String, GroupRecord> records = new LinkedHashMap<>();
            records.put(GroupRecord.memberKey(id, user), null);
            write(records);
            return Response.ok(GroupView.of(directory.get(id).orElseThrow())).build();
        });
    }

    @DELETE
    @Path("{id}")
    public Response delete(@Context UriInfo uri, @HeaderParam("Authorization") String authorization, @PathParam("id") String id) {
        return call(uri, authorization, caller -> {
            GroupDirectory.Group g = visible(id, caller);
            if (!caller.user().equals(g.owner())) {
                throw new ApiError(403, ErrorCode.FORBIDDEN, "only the owner deletes a group");
            }
            Map<String, GroupRecord> records = new LinkedHashMap<>();
            g.members().keySet().forEach(u -> records.put(GroupRecord.memberKey(id, u), null));
            records.put(GroupRecord.groupKey(id), null);
            write(records);
            return Response.noContent().build();
        });
    }

    private interface Action {
        Response run(Identity caller) throws ApiError;
    }

    private static final class ApiError extends Exception {
        final int status;
        final ErrorCode code;

        ApiError(int status, ErrorCode code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }

    private Response call(UriInfo uri, String authorization, Action action) {
        try {
            Identity caller;
            try {
                caller = authenticator.authenticate(authorization, QueryParams.parse(uri.getRequestUri().getRawQuery()));
            } catch (AuthException e) {
                return Response.status(401).header("WWW-Authenticate", "Bearer")
                        .entity(Frames.encode(new ServerFrame.Error(ErrorCode.UNAUTHORIZED, e.getMessage()))).build();
            }
            if (!directory.ready()) {
                throw new ApiError(503, ErrorCode.UNAVAILABLE, "groups are loading; retry shortly");
            }
            return action.run(caller);
        } catch (ApiError e) {
            Response.ResponseBuilder r = Response.status(e.status).entity(Frames.encode(new ServerFrame.Error(e.code, e.getMessage())));
            return (e.status == 503 ? r.header("Retry-After", "1") : r).build();
        }
    }

    /** The group, if the caller is a member or invitee; else exactly the answer for a group that does not exist. */
    private GroupDirectory.Group visible(String id, Identity caller) throws ApiError {
        Optional<GroupDirectory.Group> g = Ids.validName(id) ? directory.get(id) : Optional.empty();
        return g.filter(group -> group.isVisibleTo(caller.user()))
                .orElseThrow(() -> new ApiError(404, ErrorCode.NOT_FOUND, NOT_FOUND));
    }

    /** A member added by {@code by}: invited unless consent is {@code open}. */
    private GroupRecord.Member added(GroupRecord.Role role, long now, Identity by) {
        return config.groupConsent() == GatewayConfig.GroupConsent.OPEN
                ? GroupRecord.Member.joined(role, now) : new GroupRecord.Member(role, now, true, by.user());
    }

    /** 128 random bits, URL-safe: an id nobody can guess. */
    private static String randomId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private void write(Map<String, GroupRecord> records) throws ApiError {
        try {
            directory.write(records).toCompletableFuture().get(config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, ErrorCode.UNAVAILABLE, "interrupted");
        } catch (Exception e) {
            throw new ApiError(503, ErrorCode.UNAVAILABLE, "the change could not be stored; retry");
        }
    }

    private static JsonNode parse(String body) throws ApiError {
        try {
            JsonNode node = Json.MAPPER.readTree(body == null ? "" : body);
            if (node == null || !node.isObject()) {
                throw new ApiError(400, ErrorCode.MALFORMED_JSON, "the body must be a JSON object");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ApiError(400, ErrorCode.MALFORMED_JSON, "the body is not valid JSON");
        }
    }

    private static String text(JsonNode node, String field) throws ApiError {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new ApiError(400, ErrorCode.INVALID_FIELD, "field '" + field + "' is required: a string");
        }
        return v.textValue();
    }
}
