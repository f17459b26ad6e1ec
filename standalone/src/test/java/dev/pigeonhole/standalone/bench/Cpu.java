package dev.pigeonhole.standalone.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time: another process's (utime + stime from {@code /proc/<pid>/stat}, in clock ticks), this JVM's (the load
 * generator), and the whole machine's busy share ({@code /proc/stat}).
 */
final class Cpu {
    static final boolean CLK_TCK_ASSUMED;
    static final long CLK_TCK;

    static {
        long tck = -1;
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() == 0) {
                tck = Long.parseLong(out);
            }
        } catch (Exception e) {
            // assume the usual value
        }
        CLK_TCK_ASSUMED = tck <= 0;
        CLK_TCK = tck > 0 ? tck : 100;
    }

    private Cpu() {}

    /** CPU time of process {@code pid} in microseconds (tick resolution), or -1 when unreadable. */
    static long processMicros(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": f[0] is field 3 (state); utime is field 14, stime field 15
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1_000_000L / CLK_TCK;
        } catch (Exception e) {
            return -1;
        }
    }

    /** This JVM's CPU time in microseconds. */
    static long selfMicros() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1000 : -1;
    }

    /** {busy, total} jiffies of all CPUs from /proc/stat (idle and iowait are not busy). */
    static long[] machine() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i <= 8 && i < f.length; i++) { // user nice system idle iowait irq softirq steal
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (Exception e) {
            return new long[] {0, 0};
        }
    }

    /** CPU counters at one instant; {@code pid} is the server process measured (-1: none). */
    record Snapshot(long pid, long serverMicros, long selfMicros, long[] machine, long nanoTime) {
        static Snapshot take(long pid) {
            return new Snapshot(pid, pid > 0 ? processMicros(pid) : -1, Cpu.selfMicros(), Cpu.machine(), System.nanoTime());
        }

        /** CPU used since {@code start}. */
        Delta since(Snapshot start) {
            long busy = machine[0] - start.machine[0];
            long total = machine[1] - start.machine[1];
            boolean server = serverMicros >= 0 && start.serverMicros >= 0;
            return new Delta(server ? serverMicros - start.serverMicros : -1, selfMicros - start.selfMicros,
                    total > 0 ? busy / (double) total : Double.NaN, (nanoTime - start.nanoTime) / 1e9);
        }
    }

    /** CPU microseconds of the server and of the load generator, and the machine's busy share, over a window. */
    record Delta(long serverMicros, long loadgenMicros, double machineBusy, double seconds) {
        String perMessage(long micros, long messages) {
            return micros < 0 || messages <= 0 ? "-" : String.format("%.0f", micros / (double) messages);
        }

        /** e.g. "machine 97% busy; server 1.21 cores, load generator 0.62 cores". */
        String summary() {
            return String.format("machine %.0f%% busy; server %.2f cores, load generator %.2f cores over %.1f s",
                    machineBusy * 100, serverMicros / 1e6 / seconds, loadgenMicros / 1e6 / seconds, seconds);
        }
    }
}
