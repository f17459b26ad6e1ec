package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Groups against abuse (issue 18): a group send costs the sender one token per recipient copy; users added to a
 * group are invited and receive nothing until they accept; a group a user cannot see answers exactly like a missing
 * one. Limits refill slowly (a connection: 20 at once, then 2/s; a user: 40 at once, then 4/s), so the counts below
 * hold however slow the machine is: they are bounded by the burst plus the rate times the measured time.
 */
class GroupAbuseIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int CONNECTION_BURST = 20;
    private static final double CONNECTION_RATE = 2;
    private static final int USER_BURST = 40;
    private static final double USER_RATE = 4;

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("group-abuse-it", Map.of(
            "pigeonhole.internal.secret", ServiceProcess.INTERNAL_SECRET,
            "pigeonhole.limits.send-burst-per-connection", Integer.toString(CONNECTION_BURST),
            "pigeonhole.limits.sends-per-second-per-connection", Double.toString(CONNECTION_RATE),
            "pigeonhole.limits.send-burst-per-user", Integer.toString(USER_BURST),
            "pigeonhole.limits.sends-per-second-per-user", Double.toString(USER_RATE)));
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void aGroupSendCostsTheSenderOneTokenPerRecipientOverHttp() throws Exception {
        joinedGroup("b-http", "b-http-owner", 9); // 9 other members: 9 tokens a send
        int n = 12; // well within the per-user burst of 40 if a send cost one token
        int accepted = 0;
        HttpResponse<String> limited = null;
        long started = System.nanoTime();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = http("POST", "/v1/messages?user=b-http-owner&device=d",
                    "{\"id\":\"h-" + i + "\",\"to\":\"group:b-http\",\"body\":1}");
            if (r.statusCode() == 202) {
                accepted++;
            } else if (limited == null) {
                limited = r;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertThat(accepted).as("accepted in %.1f s: (burst 40 + 4/s) / 9 tokens a send", seconds)
                .isBetween(USER_BURST / 9, (int) ((USER_BURST + USER_RATE * seconds) / 9));
        assertThat(limited).isNotNull();
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(limited.body()).contains("\"code\":\"rate_limited\"");
    }

    @Test
    void aGroupSendCostsTheConnectionOneTokenPerRecipient() {
        joinedGroup("b-ws", "b-ws-owner", 9);
        List<String> ids = IntStream.range(0, 12).mapToObj(i -> "w-" + i).toList();
        long started = System.nanoTime();
        try (TestSender owner = new TestSender(pigeonhole.ws(""), "b-ws-owner", "d")) {
            ids.forEach(id -> owner.send(id, "group:b-ws", "1"));
            owner.awaitReplies(ids, 1, WAIT);
            double seconds = (System.nanoTime() - started) / 1e9;
            List<ServerFrame> replies = ids.stream().map(id -> owner.replies(id).get(0)).toList();
            long accepted = replies.stream().filter(ServerFrame.Accepted.class::isInstance).count();
            assertThat(accepted).as("accepted in %.1f s: (burst 20 + 2/s) / 9 tokens a send", seconds)
                    .isBetween((long) (CONNECTION_BURST / 9), (long) ((CONNECTION_BURST + CONNECTION_RATE * seconds) / 9));
            assertThat(replies).filteredOn(r -> !(r instanceof ServerFrame.Accepted)).allSatisfy(r ->
                    assertThat(r).isInstanceOfSatisfying(ServerFrame.Rejected.class, rejected -> {
                        assertThat(rejected.code()).isEqualTo(ErrorCode.RATE_LIMITED);
                        assertThat(rejected.retryAfterMs()).isPositive();
                    }));
        }
    }

    @Test
    void aGroupLargerThanTheBurstIsSendableAndPaysItsFullCost() {
        int others = 25; // more than the connection's burst of 20
        joinedGroup("b-big", "b-big-owner", others);
        try (TestSender owner = new TestSender(pigeonhole.ws(""), "b-big-owner", "d")) {
            long started = System.nanoTime();
            owner.send("big-1", "group:b-big", "1");
            assertThat(owner.awaitReply("big-1", WAIT)).as("granted from a full bucket, into debt")
                    .isEqualTo(new ServerFrame.Accepted("big-1"));
            owner.send("big-2", "group:b-big", "2");
            ServerFrame second = owner.awaitReply("big-2", WAIT);
            double seconds = (System.nanoTime() - started) / 1e9;
            // the bucket went from 20 to 20 - 25 (+ 2/s since): the next send waits until it is full again, 25 / 2 s
            double fullRefillMs = others / CONNECTION_RATE * 1000;
            assertThat(second).isInstanceOfSatisfying(ServerFrame.Rejected.class, r -> {
                assertThat(r.code()).isEqualTo(ErrorCode.RATE_LIMITED);
                assertThat(r.retryAfterMs()).as("the debt of 25 tokens at 2/s, less %.1f s", seconds)
                        .isBetween((long) (fullRefillMs - seconds * 1000) - 1, (long) fullRefillMs + 1);
            });
        }
        pigeonhole.awaitStored("b-big-member-24", 1, WAIT);
    }

    @Test
    void anInviteeReceivesNothingUntilItAcceptsAndNothingAfterItLeaves() throws Exception {
        HttpResponse<String> created = http("POST", "/v1/groups?user=c-alice&device=pc",
                "{\"id\":\"c-team\",\"members\":[\"c-bob\",\"c-carol\",\"c-dave\"]}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.body()).contains("{\"user\":\"c-alice\",\"role\":\"owner\",\"status\":\"joined\"}",
                "{\"user\":\"c-bob\",\"role\":\"member\",\"status\":\"invited\",\"invitedBy\":\"c-alice\"}");
        assertThat(http("POST", "/v1/groups/c-team/accept?user=c-carol&device=pc", "").statusCode()).isEqualTo(200);
        assertThat(http("GET", "/v1/groups?user=c-bob&device=pc", null).body()).isEqualTo(
                "{\"groups\":[{\"id\":\"c-team\",\"owner\":\"c-alice\",\"role\":\"member\",\"status\":\"invited\",\"invitedBy\":\"c-alice\"}]}");
        assertThat(http("GET", "/v1/groups/c-team?user=c-bob&device=pc", null).statusCode()).as("an invitee sees the group")
                .isEqualTo(200);

        try (TestInbox bob = new TestInbox(pigeonhole.ws(""), "c-bob", "phone", "", true);
             TestInbox carol = new TestInbox(pigeonhole.ws(""), "c-carol", "phone", "", true);
             TestSender alice = new TestSender(pigeonhole.ws(""), "c-alice", "pc");
             TestSender bobSender = new TestSender(pigeonhole.ws(""), "c-bob", "pc")) {
            bob.awaitCaughtUp(WAIT);
            carol.awaitCaughtUp(WAIT);
            bobSender.send("b-1", "group:c-team", "1");
            assertThat(bobSender.awaitReply("b-1", WAIT)).as("an invitee does not post")
                    .isInstanceOfSatisfying(ServerFrame.Rejected.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.FORBIDDEN));

            // g-1 is accepted (every copy stored) before m-1 is sent: had bob got a copy, it would be his seq 1
            sendAccepted(alice, "g-1", "group:c-team");
            sendAccepted(alice, "m-1", "c-bob");
            carol.awaitMessages(1, WAIT);
            assertThat(carol.messages()).as("the group send did fan out").extracting(ServerFrame.Message::id).containsExactly("g-1");
            bob.awaitMessages(1, WAIT);
            assertThat(bob.messages()).extracting(ServerFrame.Message::id, ServerFrame.Message::seq)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("m-1", 1L));

            HttpResponse<String> accepted = http("POST", "/v1/groups/c-team/accept?user=c-bob&device=pc", "");
            assertThat(accepted.statusCode()).isEqualTo(200);
            assertThat(accepted.body()).contains("{\"user\":\"c-bob\",\"role\":\"member\",\"status\":\"joined\"}");
            sendAccepted(alice, "g-2", "group:c-team");
            bob.awaitMessages(2, WAIT);

            assertThat(http("DELETE", "/v1/groups/c-team/members/c-bob?user=c-bob&device=pc", null).statusCode()).isEqualTo(200);
            sendAccepted(alice, "g-3", "group:c-team");
            sendAccepted(alice, "m-2", "c-bob");
            carol.awaitMessages(3, WAIT);
            bob.awaitMessages(3, WAIT);
            assertThat(bob.messages()).as("nothing after leaving").extracting(ServerFrame.Message::id)
                    .containsExactly("m-1", "g-2", "m-2");
            assertThat(carol.messages()).extracting(ServerFrame.Message::id).containsExactly("g-1", "g-2", "g-3");
        }

        assertThat(http("DELETE", "/v1/groups/c-team/members/c-dave?user=c-dave&device=pc", null).statusCode())
                .as("declining").isEqualTo(200);
        assertThat(http("GET", "/v1/groups?user=c-dave&device=pc", null).body()).isEqualTo("{\"groups\":[]}");
        assertThat(http("GET", "/v1/groups/c-team?user=c-dave&device=pc", null).statusCode()).isEqualTo(404);
        assertThat(http("POST", "/v1/groups/c-team/accept?user=c-dave&device=pc", "").statusCode())
                .as("a declined invitation cannot be accepted").isEqualTo(404);
    }

    @Test
    void aGroupANonMemberCannotSeeAnswersExactlyLikeAMissingOne() throws Exception {
        assertThat(http("POST", "/v1/groups?user=o-alice&device=pc", "{\"id\":\"o-secret\"}").statusCode()).isEqualTo(201);
        assertThat(http("GET", "/v1/groups/o-secret?user=o-alice&device=pc", null).statusCode()).isEqualTo(200);
        List<String[]> probes = List.of(new String[] {"GET", "", null}, new String[] {"DELETE", "", null},
                new String[] {"POST", "/accept", ""}, new String[] {"PUT", "/members/o-mallory", ""},
                new String[] {"PUT", "/members/o-mallory", "{\"role\":\"admin\"}"},
                new String[] {"DELETE", "/members/o-mallory", null}, new String[] {"DELETE", "/members/o-alice", null});
        for (String[] p : probes) {
            HttpResponse<String> existing = http(p[0], "/v1/groups/o-secret" + p[1] + "?user=o-mallory&device=pc", p[2]);
            HttpResponse<String> missing = http(p[0], "/v1/groups/o-missing" + p[1] + "?user=o-mallory&device=pc", p[2]);
            assertThat(existing.statusCode() + " " + existing.body()).as("%s %s", p[0], p[1])
                    .isEqualTo(missing.statusCode() + " " + missing.body())
                    .isEqualTo("404 {\"type\":\"error\",\"code\":\"not_found\",\"message\":\"no such group\"}");
        }
        String send = "{\"id\":\"probe\",\"to\":\"group:%s\",\"body\":1}";
        HttpResponse<String> existing = http("POST", "/v1/messages?user=o-mallory&device=pc", send.formatted("o-secret"));
        HttpResponse<String> missing = http("POST", "/v1/messages?user=o-mallory&device=pc", send.formatted("o-missing"));
        assertThat(existing.statusCode() + " " + existing.body()).isEqualTo(missing.statusCode() + " " + missing.body())
                .startsWith("404 ");
        try (TestSender mallory = new TestSender(pigeonhole.ws(""), "o-mallory", "ws")) {
            mallory.send("p-1", "group:o-secret", "1");
            mallory.send("p-2", "group:o-missing", "1");
            ServerFrame.Rejected first = (ServerFrame.Rejected) mallory.awaitReply("p-1", WAIT);
            ServerFrame.Rejected second = (ServerFrame.Rejected) mallory.awaitReply("p-2", WAIT);
            assertThat(first.code()).isEqualTo(second.code()).isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(first.message()).isEqualTo(second.message());
        }
    }

    /** Creates group {@code id} of {@code owner} and {@code others} members, each of whom accepts. */
    private static void joinedGroup(String id, String owner, int others) {
        List<String> members = IntStream.range(0, others).mapToObj(i -> id + "-member-" + i).toList();
        try {
            assertThat(http("POST", "/v1/groups?user=" + owner + "&device=d", "{\"id\":\"" + id + "\",\"members\":["
                    + String.join(",", members.stream().map(m -> "\"" + m + "\"").toList()) + "]}").statusCode()).isEqualTo(201);
            for (String m : members) {
                assertThat(http("POST", "/v1/groups/" + id + "/accept?user=" + m + "&device=d", "").statusCode()).isEqualTo(200);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void sendAccepted(TestSender sender, String id, String to) {
        sender.send(id, to, "\"" + id + "\"");
        assertThat(sender.awaitReply(id, WAIT)).isEqualTo(new ServerFrame.Accepted(id));
    }

    private static HttpResponse<String> http(String method, String pathAndQuery, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(pigeonhole.http(pathAndQuery)));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
