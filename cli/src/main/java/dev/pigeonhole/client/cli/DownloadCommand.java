package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.internal.Downloads;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Downloads an attachment; a cut download continues from its {@code .part} file on the next run. */
@Command(name = "download", mixinStandardHelpOptions = true,
        description = {"Download an attachment (its ref is in tail's JSON) to a file.",
                "The bytes go to FILE.part first: a download that was cut continues there (HTTP Range) when run again;"
                        + " the SHA-256 is checked before FILE appears."},
        footer = {"", "Exit codes: 0 saved, 2 refused by the server (e.g. HTTP 404: no such blob for you, or collected)"
                + " or the bytes did not match the ref, 3 server unreachable or cut (run it again to continue),"
                + " 5 the data directory is used by another pigeonhole-cli."})
final class DownloadCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--ref", required = true, description = "The attachment's ref, sha256:<hex>")
    String ref;

    @Option(names = "--out", required = true, description = "The file to write")
    Path out;

    @Override
    public Integer call() throws Exception {
        try (PigeonholeClient c = client.start(new Listener() {})) {
            c.download(ref, out).get();
            System.out.println("saved " + out);
            return PigeonholeCli.OK;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            System.err.println("* download failed: " + cause.getMessage());
            boolean final_ = cause instanceof Downloads.StatusException || String.valueOf(cause.getMessage()).contains("do not hash");
            return final_ ? PigeonholeCli.REJECTED : PigeonholeCli.STILL_QUEUED;
        }
    }
}
