package dev.pigeonhole.load.server;

/** CPU used by the server (when its pid is known) and by this load generator between {@link #start} and {@link #end}. */
public final class CpuWindow {
    private final ServerProbe probe;
    private final long startNanos = System.nanoTime();
    private final long serverStart;
    private final long selfStart;

    private CpuWindow(ServerProbe probe) {
        this.probe = probe;
        this.serverStart = probe.cpuMicros();
        this.selfStart = ServerProbe.selfCpuMicros();
    }

    public static CpuWindow start(ServerProbe probe) {
        return new CpuWindow(probe);
    }

    /** @param serverCores the server's average cores over the window, -1 when unknown */
    public record Usage(double seconds, double serverCores, double loadgenCores, long serverMicros) {}

    public Usage end() {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        long server = probe.cpuMicros();
        long self = ServerProbe.selfCpuMicros();
        long serverMicros = server >= 0 && serverStart >= 0 ? server - serverStart : -1;
        return new Usage(seconds, serverMicros >= 0 ? serverMicros / 1e6 / seconds : -1,
                self >= 0 && selfStart >= 0 ? (self - selfStart) / 1e6 / seconds : -1, serverMicros);
    }
}
