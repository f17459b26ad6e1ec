package dev.pigeonhole.standalone;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** DEV ONLY: {@code pigeonhole token --user alice --device phone} prints a token the standalone mode accepts. */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Print a dev token for the standalone mode (signed with the key in --data-dir).")
final class TokenCommand implements Callable<Integer> {
    @Option(names = "--user", required = true)
    String user;

    @Option(names = "--device", required = true)
    String device;

    @Option(names = "--ttl", defaultValue = "PT24H", description = "Lifetime, ISO-8601 (default ${DEFAULT-VALUE})")
    Duration ttl;

    @Option(names = "--data-dir", defaultValue = "./data", description = "The standalone data directory (default ${DEFAULT-VALUE})")
    Path dataDir;

    @Override
    public Integer call() {
        System.out.println(DevKeys.loadOrCreate(dataDir.toAbsolutePath().normalize()).mint(user, device, ttl));
        return 0;
    }
}
