package dev.pigeonhole.records;

import static org.apache.kafka.common.acl.AclOperation.CREATE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;
import static org.apache.kafka.common.resource.PatternType.LITERAL;
import static org.apache.kafka.common.resource.PatternType.PREFIXED;
import static org.apache.kafka.common.resource.ResourceType.GROUP;
import static org.apache.kafka.common.resource.ResourceType.TOPIC;
import static org.apache.kafka.common.resource.ResourceType.TRANSACTIONAL_ID;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The Kafka ACLs each service needs, and nothing more, for a deployment whose topic prefix is {@code P}
 * ({@link Topics#PREFIX}); {@code A} is the router's application.id, {@code P + "router-v2"}. The chart's Strimzi
 * {@code KafkaUser}s mirror this table; {@code standalone}'s {@code KafkaAclsIT} runs the services on a broker that
 * grants exactly these.
 *
 * <pre>
 * service   resource         name                     pattern   operations
 * gateway   topic            P inbox-ops              literal   Write, Describe
 * gateway   topic            P groups                 literal   Read, Write, Describe
 * router    topic            P inbox-ops              literal   Read, Write, Describe
 * router    topic            P router-outbox          literal   Read, Write, Describe
 * router    topic            P push                   literal   Write, Describe
 * router    topic            P dead-letters           literal   Write, Describe
 * router    topic            P groups                 literal   Describe
 * router    topic            A-                       prefixed  Create, Read, Write, Describe
 * router    group            A                        literal   Read, Describe
 * router    group            A-outbox-relay           literal   Read, Describe
 * router    transactionalId  A-                       prefixed  Write, Describe
 * delivery  topic            P inbox-ops              literal   Write, Describe
 * delivery  topic            P push                   literal   Read, Describe
 * (router, only when it creates the shared topics itself: topic P inbox-ops, P router-outbox, P push,
 *  P dead-letters, P groups, literal, Create)
 * </pre>
 *
 * Why each: the gateway writes message copies to inbox-ops and reads the whole groups topic by {@code assign} (no
 * consumer group) and writes it. Delivery writes connects, acks and leases to inbox-ops and reads its one push
 * partition by {@code assign} (no consumer group). The router's Kafka Streams (exactly_once_v2) reads inbox-ops in
 * consumer group {@code A}, writes push, router-outbox and dead-letters, creates and reads its changelogs
 * ({@code A-<store>-changelog}) and commits through transactional ids {@code A-<process id>-<thread>}; its outbox
 * relay reads router-outbox in group {@code A-outbox-relay} and copies to inbox-ops with an idempotent producer
 * (no transactional id). At start the router lists the five shared topics (Describe: groups too, which it never
 * reads) and creates those missing — Create is only needed when no operator creates them; it never needs
 * DescribeConfigs. No cluster ACL: idempotent producers need Write on a topic only (Kafka 2.8+), and
 * Quarkus' Kafka health check only describes the cluster.
 */
public final class KafkaAcls {
    /** The services, each with its own Kafka principal. */
    public enum Service { GATEWAY, ROUTER, DELIVERY }

    /** One ACL: allow {@code operations} on the resources {@code name} matches ({@code pattern}). */
    public record Acl(ResourceType type, String name, PatternType pattern, Set<AclOperation> operations) {}

    private KafkaAcls() {}

    /** The router's Kafka Streams application.id (its consumer group, and the prefix of its topics and transactional ids). */
    public static String routerApplicationId(String prefix) {
        return prefix + "router-v2";
    }

    /**
     * @param prefix the deployment's topic prefix
     * @param routerCreatesTopics whether the router creates the shared topics (no operator does)
     */
    public static List<Acl> of(Service service, String prefix, boolean routerCreatesTopics) {
        String inboxOps = Topics.name(prefix, Topics.INBOX_OPS);
        String push = Topics.name(prefix, Topics.PUSH);
        String outbox = Topics.name(prefix, Topics.ROUTER_OUTBOX);
        String deadLetters = Topics.name(prefix, Topics.DEAD_LETTERS);
        String groups = Topics.name(prefix, Topics.GROUPS);
        String app = routerApplicationId(prefix);
        List<Acl> acls = new ArrayList<>();
        switch (service) {
            case GATEWAY -> {
                acls.add(new Acl(TOPIC, inboxOps, LITERAL, Set.of(WRITE, DESCRIBE)));
                acls.add(new Acl(TOPIC, groups, LITERAL, Set.of(READ, WRITE, DESCRIBE)));
            }
            case ROUTER -> {
                acls.add(new Acl(TOPIC, inboxOps, LITERAL, Set.of(READ, WRITE, DESCRIBE)));
                acls.add(new Acl(TOPIC, outbox, LITERAL, Set.of(READ, WRITE, DESCRIBE)));
                acls.add(new Acl(TOPIC, push, LITERAL, Set.of(WRITE, DESCRIBE)));
                acls.add(new Acl(TOPIC, deadLetters, LITERAL, Set.of(WRITE, DESCRIBE)));
                acls.add(new Acl(TOPIC, groups, LITERAL, Set.of(DESCRIBE)));
                acls.add(new Acl(TOPIC, app + "-", PREFIXED, Set.of(CREATE, READ, WRITE, DESCRIBE)));
                acls.add(new Acl(GROUP, app, LITERAL, Set.of(READ, DESCRIBE)));
                acls.add(new Acl(GROUP, app + "-outbox-relay", LITERAL, Set.of(READ, DESCRIBE)));
                acls.add(new Acl(TRANSACTIONAL_ID, app + "-", PREFIXED, Set.of(WRITE, DESCRIBE)));
                if (routerCreatesTopics) {
                    for (String topic : List.of(inboxOps, outbox, push, deadLetters, groups)) {
                        acls.add(new Acl(TOPIC, topic, LITERAL, Set.of(CREATE)));
                    }
                }
            }
            case DELIVERY -> {
                acls.add(new Acl(TOPIC, inboxOps, LITERAL, Set.of(WRITE, DESCRIBE)));
                acls.add(new Acl(TOPIC, push, LITERAL, Set.of(READ, DESCRIBE)));
            }
        }
        return List.copyOf(acls);
    }

    /** {@link #of} as the bindings an admin client creates for {@code principal} (e.g. {@code User:router}), any host. */
    public static List<AclBinding> bindings(String principal, Service service, String prefix, boolean routerCreatesTopics) {
        List<AclBinding> bindings = new ArrayList<>();
        for (Acl acl : of(service, prefix, routerCreatesTopics)) {
            for (AclOperation op : acl.operations()) {
                bindings.add(new AclBinding(new ResourcePattern(acl.type(), acl.name(), acl.pattern()),
                        new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
            }
        }
        return bindings;
    }
}
