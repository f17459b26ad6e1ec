package dev.pigeonhole.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.testcontainers.images.ImagePullPolicy;
import org.testcontainers.images.PullPolicy;
import org.testcontainers.utility.DockerImageName;

/**
 * Where the Pigeonhole images come from: {@code <prefix><name>:<tag>}, e.g. {@code pigeonhole/gateway:0.1.0}.
 *
 * <ul>
 *   <li>prefix: system property {@code pigeonhole.image.prefix}, else environment {@code PIGEONHOLE_IMAGE_PREFIX},
 *       else {@code pigeonhole/} (the names {@code deploy/build-images.sh} builds); point it at your registry, e.g.
 *       {@code registry.example.com/pigeonhole/};</li>
 *   <li>tag: {@code pigeonhole.image.tag} / {@code PIGEONHOLE_IMAGE_TAG}, else this testkit's version;</li>
 *   <li>pulling: never, unless {@code pigeonhole.image.pull} / {@code PIGEONHOLE_IMAGE_PULL} is {@code true}
 *       (then Testcontainers' default: pull when missing). Never is the default because the images are built
 *       locally and no public registry publishes them: a pull of {@code pigeonhole/...} from Docker Hub would fetch
 *       whatever someone else published under that name.</li>
 * </ul>
 * {@link PigeonholeContainer#PigeonholeContainer(DockerImageName)} and
 * {@link PigeonholeCluster.Builder#image(Component, DockerImageName)} take an explicit name instead.
 */
public final class Images {
    private static final String VERSION = version();

    private Images() {
    }

    /** The standalone image (embedded Kafka and all services): {@code <prefix>standalone:<tag>}. */
    public static DockerImageName standalone() {
        return named("standalone");
    }

    /** The image of one cluster component, e.g. {@code <prefix>router-streams:<tag>}. */
    public static DockerImageName of(Component component) {
        return named(component.imageName());
    }

    /** {@code <prefix><name>:<tag>}. */
    public static DockerImageName named(String name) {
        return DockerImageName.parse(setting("pigeonhole.image.prefix", "PIGEONHOLE_IMAGE_PREFIX", "pigeonhole/") + name
                + ":" + setting("pigeonhole.image.tag", "PIGEONHOLE_IMAGE_TAG", VERSION));
    }

    /** Never pull, unless {@code pigeonhole.image.pull} / {@code PIGEONHOLE_IMAGE_PULL} is {@code true}. */
    public static ImagePullPolicy pullPolicy() {
        return Boolean.parseBoolean(setting("pigeonhole.image.pull", "PIGEONHOLE_IMAGE_PULL", "false"))
                ? PullPolicy.defaultPolicy() : image -> false;
    }

    private static String setting(String property, String env, String fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? fallback : value;
    }

    private static String version() {
        try (InputStream in = Images.class.getResourceAsStream("testkit.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
