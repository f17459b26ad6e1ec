package dev.pigeonhole.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.records.KafkaAcls.Service;
import java.util.List;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

class KafkaAclsTest {
    @Test
    void everyResourceIsTheDeploymentsOwn() {
        for (Service service : Service.values()) {
            for (KafkaAcls.Acl acl : KafkaAcls.of(service, "acme-", true)) {
                assertThat(acl.name()).as(service + " " + acl).startsWith("acme-");
                assertThat(acl.type()).isIn(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID);
            }
        }
        assertThat(KafkaAcls.routerApplicationId(Topics.DEFAULT_PREFIX)).isEqualTo("pigeonhole-router-v2");
    }

    @Test
    void gatewayAndDeliveryGetOnlyTheirTopics() {
        assertThat(KafkaAcls.of(Service.GATEWAY, "acme-", false)).containsExactlyInAnyOrder(
                acl("acme-inbox-ops", AclOperation.WRITE, AclOperation.DESCRIBE),
                acl("acme-groups", AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE));
        assertThat(KafkaAcls.of(Service.DELIVERY, "acme-", false)).containsExactlyInAnyOrder(
                acl("acme-inbox-ops", AclOperation.WRITE, AclOperation.DESCRIBE),
                acl("acme-push", AclOperation.READ, AclOperation.DESCRIBE));
    }

    @Test
    void theRouterCreatesSharedTopicsOnlyWhenAsked() {
        List<KafkaAcls.Acl> router = KafkaAcls.of(Service.ROUTER, "acme-", false);
        assertThat(router).filteredOn(a -> a.operations().contains(AclOperation.CREATE))
                .containsExactly(new KafkaAcls.Acl(ResourceType.TOPIC, "acme-router-v2-", PatternType.PREFIXED,
                        java.util.Set.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE)));
        assertThat(KafkaAcls.of(Service.ROUTER, "acme-", true)).hasSize(router.size() + 5);
        assertThat(KafkaAcls.bindings("User:router", Service.ROUTER, "acme-", false))
                .hasSize(router.stream().mapToInt(a -> a.operations().size()).sum());
    }

    private static KafkaAcls.Acl acl(String topic, AclOperation... ops) {
        return new KafkaAcls.Acl(ResourceType.TOPIC, topic, PatternType.LITERAL, java.util.Set.of(ops));
    }
}
