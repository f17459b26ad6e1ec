package dev.pigeonhole.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Problem 5 of issue 15: the launcher scripts at the repository root ({@code ./pigeonhole-cli}, {@code ./pigeonhole})
 * cd into the checkout before they start Java; a relative {@code --data-dir} must still mean the caller's directory.
 * Each script runs from another directory in a copy of the checkout whose jar is up to date, with a {@code java} on
 * the PATH that records its working directory and arguments.
 */
@DisabledOnOs(OS.WINDOWS)
class LauncherScriptTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"pigeonhole-cli, cli/target/cli-0.1.0-SNAPSHOT.jar",
            "pigeonhole, standalone/target/quarkus-app/quarkus-run.jar"})
    void aRelativeDataDirMeansTheCallersDirectory(String script, String jar) throws Exception {
        Path checkout = Files.createDirectories(tmp.resolve("checkout"));
        Files.copy(Path.of("..", script), checkout.resolve(script));
        checkout.resolve(script).toFile().setExecutable(true);
        Files.createDirectories(checkout.resolve(jar).getParent());
        Files.writeString(checkout.resolve(jar), "not a jar"); // newer than the (absent) sources: no build
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path record = tmp.resolve("java-was-called.txt");
        Files.writeString(bin.resolve("java"), "#!/bin/sh\npwd > '" + record + "'\nfor a in \"$@\"; do echo \"$a\" >> '"
                + record + "'; done\n");
        Files.setPosixFilePermissions(bin.resolve("java"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path caller = Files.createDirectories(tmp.resolve("somewhere"));

        ProcessBuilder pb = new ProcessBuilder("bash", checkout.resolve(script).toString(), "history", "--user", "alice",
                "--data-dir", "x", "--data-dir=sub/y", "--data-dir", "/abs/z", "--text", "a b")
                .directory(caller.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();

        List<String> lines = new ArrayList<>(Files.readAllLines(record));
        String callerDir = caller.toRealPath().toString();
        assertThat(lines).contains("--data-dir", callerDir + "/x", "--data-dir=" + callerDir + "/sub/y", "/abs/z", "a b");
        assertThat(lines).doesNotContain("x", "--data-dir=sub/y");
        if (script.equals("pigeonhole-cli")) { // files to send and download targets too
            Files.delete(record);
            // the stand-in java also writes where chat's /save PATH is resolved from
            Files.writeString(bin.resolve("java"), "#!/bin/sh\npwd > '" + record + "'\necho \"caller=$PIGEONHOLE_CALLER_DIR\" >> '"
                    + record + "'\nfor a in \"$@\"; do echo \"$a\" >> '" + record + "'; done\n");
            pb.command("bash", checkout.resolve(script).toString(), "send", "--file", "a.jpg", "--file=b/c.jpg", "--out", "d",
                    "--save-dir", "e", "--save-dir=f/g");
            p = pb.start();
            p.getInputStream().readAllBytes();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readAllLines(record)).contains(callerDir + "/a.jpg", "--file=" + callerDir + "/b/c.jpg",
                    callerDir + "/d", callerDir + "/e", "--save-dir=" + callerDir + "/f/g", "caller=" + callerDir);
        }
    }
}
