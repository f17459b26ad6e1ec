package dev.pigeonhole.client.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code pigeonhole-cli}: a command-line client on the SDK. */
@Command(name = "pigeonhole-cli", mixinStandardHelpOptions = true, version = "Pigeonhole CLI 0.1.0",
        description = "Chat, send and read messages through a Pigeonhole server, and read and change device shadows;"
                + " works offline.",
        subcommands = {ChatCommand.class, SendCommand.class, FlushCommand.class, TailCommand.class, HistoryCommand.class,
                ShadowCommand.class})
public final class PigeonholeCli {
    /** Exit codes of the scripting commands (picocli's own for invalid arguments is 2 as well). */
    static final int OK = 0;
    static final int REJECTED = 2;
    static final int STILL_QUEUED = 3;

    public static void main(String... args) {
        System.exit(new CommandLine(new PigeonholeCli()).execute(args));
    }
}
