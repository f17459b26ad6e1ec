package dev.pigeonhole.standalone.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The ratios line of the end-to-end report: delivered p99 per paced rate and max delivered throughput. */
final class Ratios {
    private Ratios() {}

    static void print(List<RunResult> results, List<Integer> rates) {
        List<String> stacks = results.stream().filter(r -> !isKafka(r)).map(RunResult::stack).distinct().toList();
        System.out.println("Ratios in this run (first stack = " + (stacks.isEmpty() ? "-" : stacks.get(0)) + "):");
        for (int rate : rates) {
            line("paced " + rate + " msg/s, delivered p99", results, stacks, rate, true);
        }
        line("max, delivered msg/s", results, stacks, 0, false);
    }

    private static void line(String what, List<RunResult> results, List<String> stacks, int rate, boolean p99) {
        Optional<RunResult> kafka = results.stream().filter(r -> isKafka(r) && r.targetRate() == rate).findFirst();
        List<String> parts = new ArrayList<>();
        Double first = null;
        for (String stack : stacks) {
            Optional<RunResult> r = results.stream().filter(x -> !isKafka(x) && x.stack().equals(stack)
                    && x.targetRate() == rate).findFirst();
            if (r.isEmpty()) {
                continue;
            }
            double v = value(r.get(), p99);
            StringBuilder s = new StringBuilder(stack + " " + fmt(v, p99));
            if (first == null) {
                first = v;
            } else {
                s.append(String.format(" (%.2fx %s)", v / first, stacks.get(0)));
            }
            kafka.ifPresent(k -> s.append(String.format(", %.3gx plain Kafka", v / value(k, p99))));
            parts.add(s.toString());
        }
        kafka.ifPresent(k -> parts.add("plain Kafka " + fmt(value(k, p99), p99)));
        System.out.println("- " + what + ": " + String.join("; ", parts));
    }

    private static double value(RunResult r, boolean p99) {
        return p99 ? r.deliveredP99() : r.deliveredRate();
    }

    private static String fmt(double v, boolean p99) {
        return p99 ? String.format("%.1f ms", v / 1000) : String.format("%,.0f msg/s", v);
    }

    private static boolean isKafka(RunResult r) {
        return r.run().startsWith("plain Kafka");
    }
}
