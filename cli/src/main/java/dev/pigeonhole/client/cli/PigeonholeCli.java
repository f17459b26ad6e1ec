package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.DataDirectoryInUseException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code pigeonhole-cli}: a command-line client on the SDK. */
@Command(name = "pigeonhole-cli", mixinStandardHelpOptions = true, version = "Pigeonhole CLI 0.1.0",
        description = "Chat, send and read messages through a Pigeonhole server, and read and change device shadows;"
                + " works offline.",
        subcommands = {ChatCommand.class, SendCommand.class, FlushCommand.class, TailCommand.class, HistoryCommand.class,
                DownloadCommand.class,
                ShadowCommand.class},
        footer = {"", "Exit codes (every command): 0 done, 2 rejected or invalid arguments, 3 still queued, 4 refused by"
                + " the server (4100-4199: displaced by another client of this device, unauthorized, device removed, too"
                + " many devices), 5 the data directory is used by another pigeonhole-cli. Each command's --help says"
                + " which apply."})
public final class PigeonholeCli {
    /** Exit codes of the scripting commands (picocli's own for invalid arguments is 2 as well). */
    static final int OK = 0;
    static final int REJECTED = 2;
    static final int STILL_QUEUED = 3;
    /** The server refused the connection with a do-not-reconnect code (4100-4199, e.g. 4103 displaced). */
    static final int REFUSED = 4;
    /** Another client holds the data directory's lock file. */
    static final int DATA_DIR_IN_USE = 5;

    public static void main(String... args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line as {@link #main} runs it: a data directory in use is one line on stderr and exit 5. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new PigeonholeCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof DataDirectoryInUseException inUse) {
                System.err.println(inUseLine(inUse));
                System.err.flush();
                return DATA_DIR_IN_USE;
            }
            throw e;
        });
        return cli;
    }

    static String inUseLine(DataDirectoryInUseException e) {
        return "* another pigeonhole-cli is using " + e.dataDir() + " (" + (e.holderPid().isPresent()
                ? "pid " + e.holderPid().getAsLong() : "its lock file pigeonhole.lock is held")
                + "); close it or use --data-dir";
    }
}
