package dev.pigeonhole.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.utility.DockerImageName;

/** Image names: the locally built {@code pigeonhole/<name>:<version>} unless configured; never pulled unless asked. */
class ImagesTest {
    @AfterEach
    void clear() {
        System.clearProperty("pigeonhole.image.prefix");
        System.clearProperty("pigeonhole.image.tag");
        System.clearProperty("pigeonhole.image.pull");
    }

    @Test
    void defaultsAreTheLocallyBuiltNamesAtThisVersion() {
        // the environment variables would win over the defaults: this test assumes they are not set
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("PIGEONHOLE_IMAGE_PREFIX") == null
                && System.getenv("PIGEONHOLE_IMAGE_TAG") == null);
        assertThat(Images.standalone().asCanonicalNameString()).isEqualTo("pigeonhole/standalone:0.1.0-SNAPSHOT");
        assertThat(Images.of(Component.ROUTER).asCanonicalNameString()).isEqualTo("pigeonhole/router-streams:0.1.0-SNAPSHOT");
        assertThat(Images.of(Component.KAFKA).getRepository()).isEqualTo("pigeonhole/kafka-dev");
    }

    @Test
    void aRegistryPrefixAndTagFromSystemProperties() {
        System.setProperty("pigeonhole.image.prefix", "registry.example.com:5000/team/pigeonhole-");
        System.setProperty("pigeonhole.image.tag", "1.2.3");
        DockerImageName gateway = Images.of(Component.GATEWAY);
        assertThat(gateway.getRegistry()).isEqualTo("registry.example.com:5000");
        assertThat(gateway.getRepository()).isEqualTo("team/pigeonhole-gateway");
        assertThat(gateway.getVersionPart()).isEqualTo("1.2.3");
    }

    @Test
    void neverPullsUnlessAsked() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("PIGEONHOLE_IMAGE_PULL") == null);
        DockerImageName missing = DockerImageName.parse("pigeonhole/never-built:0");
        assertThat(Images.pullPolicy().shouldPull(missing)).isFalse();
        System.setProperty("pigeonhole.image.pull", "true");
        assertThat(Images.pullPolicy()).hasSameClassAs(org.testcontainers.images.PullPolicy.defaultPolicy());
    }
}
