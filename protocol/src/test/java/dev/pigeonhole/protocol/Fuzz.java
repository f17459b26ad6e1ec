package dev.pigeonhole.protocol;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Seeded property checks on plain JUnit: generators over {@link SplittableRandom} and a runner that reports the
 * seed and the failing input. Every run uses {@link #DEFAULT_SEED} unless {@code -Dfuzz.seed=<long>} is given, so
 * a failure seen anywhere is reproduced by running again with the seed its message names.
 *
 * <p>A test-only helper, shared with other modules through this module's test jar.
 */
public final class Fuzz {
    /** The seed of every run that does not set {@code fuzz.seed}. */
    public static final long DEFAULT_SEED = 0x5EED_0F_F1AB_1E5L;
    /** Longest input description a failure message carries. */
    private static final int MAX_DESCRIPTION = 2000;

    private Fuzz() {}

    /** The run's seed: {@code -Dfuzz.seed} (decimal, or hex with 0x) or {@link #DEFAULT_SEED}. */
    public static long seed() {
        String value = System.getProperty("fuzz.seed");
        return value == null || value.isBlank() ? DEFAULT_SEED : Long.decode(value.trim());
    }

    /** A random source for one named use of the run's seed (so that uses do not shift each other's values). */
    public static SplittableRandom random(String name) {
        return new SplittableRandom(seed() ^ (0x9E3779B97F4A7C15L * name.hashCode()));
    }

    /** Something a property does with one generated input; any exception or assertion error fails it. */
    @FunctionalInterface
    public interface Check<T> {
        void accept(T input) throws Exception;
    }

    /**
     * Checks {@code property} on {@code tries} inputs from {@code gen}. A failure (of the check or of the
     * generator) is rethrown as an {@link AssertionError} naming the property, the try, the seed and the input.
     */
    public static <T> void forAll(String property, int tries, Gen<T> gen, Check<? super T> check) {
        long seed = seed();
        SplittableRandom trySeeds = random(property);
        for (int i = 1; i <= tries; i++) {
            long trySeed = trySeeds.nextLong();
            T input = null;
            try {
                input = gen.next(new SplittableRandom(trySeed));
                check.accept(input);
            } catch (Throwable e) {
                throw new AssertionError("property " + property + " failed on try " + i + " of " + tries
                        + " (fuzz.seed=" + seed + ", rerun with -Dfuzz.seed=" + seed + "; try seed " + trySeed + ")"
                        + "\n  input: " + (input == null ? "(generator failed)" : describe(input))
                        + "\n  cause: " + describe(String.valueOf(e)), e);
            }
        }
        System.out.println("property " + property + ": " + tries + " tries passed (fuzz.seed=" + seed + ")");
    }

    /**
     * A log-safe description of an input: printable ASCII as is, everything else (control characters, escape
     * sequences, non-ASCII) as {@code \\uXXXX}, runs of one character longer than 16 as {@code <'c' x n>}, and cut
     * at {@value #MAX_DESCRIPTION} characters.
     */
    public static String describe(Object input) {
        String s = String.valueOf(input);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length() && out.length() < MAX_DESCRIPTION) {
            char c = s.charAt(i);
            int run = 1;
            while (i + run < s.length() && s.charAt(i + run) == c) {
                run++;
            }
            String shown = c >= 0x20 && c < 0x7F && c != '\\' ? String.valueOf(c) : String.format("\\u%04x", (int) c);
            if (run > 16) {
                out.append("<'").append(shown).append("' x ").append(run).append('>');
            } else {
                out.append(shown.repeat(run));
            }
            i += run;
        }
        if (i < s.length()) {
            out.append("... (").append(s.length()).append(" chars in all)");
        }
        return out.toString();
    }

    /** A generator of values from a random source. */
    @FunctionalInterface
    public interface Gen<T> {
        T next(SplittableRandom random);

        default <R> Gen<R> map(Function<? super T, ? extends R> f) {
            return r -> f.apply(next(r));
        }

        /** Values that pass {@code keep}; fails after 10,000 rejections in a row. */
        default Gen<T> filter(Predicate<? super T> keep) {
            return r -> {
                for (int i = 0; i < 10_000; i++) {
                    T value = next(r);
                    if (keep.test(value)) {
                        return value;
                    }
                }
                throw new IllegalStateException("filter rejected 10000 values in a row");
            };
        }

        /** One of the values, uniformly. */
        @SafeVarargs
        static <T> Gen<T> of(T... values) {
            List<T> list = List.of(values);
            return r -> list.get(r.nextInt(list.size()));
        }

        /** A value of one of the generators, chosen uniformly. */
        @SafeVarargs
        static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
            List<Gen<? extends T>> list = List.of(gens);
            return r -> list.get(r.nextInt(list.size())).next(r);
        }

        /** A value of one of the generators, chosen with the given weights. */
        static <T> Gen<T> frequency(List<Weighted<T>> choices) {
            int total = choices.stream().mapToInt(Weighted::weight).sum();
            return r -> {
                int pick = r.nextInt(total);
                for (Weighted<T> choice : choices) {
                    pick -= choice.weight();
                    if (pick < 0) {
                        return choice.gen().next(r);
                    }
                }
                throw new IllegalStateException("unreachable");
            };
        }

        record Weighted<T>(int weight, Gen<? extends T> gen) {
            public Weighted {
                if (weight <= 0) {
                    throw new IllegalArgumentException("weight must be positive");
                }
            }
        }

        static <T> Weighted<T> weighted(int weight, Gen<? extends T> gen) {
            return new Weighted<>(weight, gen);
        }

        /** Integers in [min, max]; one in ten is a bound or next to one. */
        static Gen<Integer> ints(int min, int max) {
            if (min > max) {
                throw new IllegalArgumentException(min + " > " + max);
            }
            return r -> {
                if (r.nextInt(10) == 0) {
                    int edge = switch (r.nextInt(4)) {
                        case 0 -> min;
                        case 1 -> max;
                        case 2 -> min + 1;
                        default -> max - 1;
                    };
                    return Math.max(min, Math.min(max, edge));
                }
                return (int) r.nextLong(min, (long) max + 1);
            };
        }

        /** Any int: one in ten an edge (0, 1, -1, the extremes), else half small, half over the whole range. */
        static Gen<Integer> anyInt() {
            return r -> switch (r.nextInt(20)) {
                case 0 -> (int) of(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE).next(r);
                case 1 -> r.nextInt(-1000, 1001);
                default -> r.nextBoolean() ? r.nextInt(-1000, 1001) : r.nextInt();
            };
        }

        /**
         * Decimals of the given scale between -Double.MAX_VALUE and Double.MAX_VALUE (so up to 309 integer digits),
         * magnitudes spread evenly over the number of digits; one in ten is 0, +-1 or an extreme.
         */
        static Gen<BigDecimal> bigDecimals(int scale) {
            BigInteger maxUnscaled = BigDecimal.valueOf(Double.MAX_VALUE).setScale(scale).unscaledValue();
            return r -> {
                if (r.nextInt(10) == 0) {
                    BigDecimal edge = of(BigDecimal.ZERO, BigDecimal.ONE, BigDecimal.ONE.negate(),
                            BigDecimal.valueOf(Double.MAX_VALUE), BigDecimal.valueOf(-Double.MAX_VALUE)).next(r);
                    return edge.setScale(scale);
                }
                int bits = r.nextInt(maxUnscaled.bitLength() + 1);
                byte[] bytes = new byte[bits / 8 + 1];
                r.nextBytes(bytes);
                BigInteger unscaled = new BigInteger(1, bytes).shiftRight(bytes.length * 8 - bits);
                if (unscaled.compareTo(maxUnscaled) > 0) {
                    unscaled = unscaled.mod(maxUnscaled.add(BigInteger.ONE));
                }
                return new BigDecimal(r.nextBoolean() ? unscaled : unscaled.negate(), scale);
            };
        }

        /** Strings of {@code chars}, length in [minLength, maxLength]: often short, sometimes exactly a bound. */
        static Gen<String> strings(Gen<Character> chars, int minLength, int maxLength) {
            Gen<Integer> lengths = lengths(minLength, maxLength);
            return r -> {
                int length = lengths.next(r);
                StringBuilder s = new StringBuilder(length);
                for (int i = 0; i < length; i++) {
                    s.append((char) chars.next(r));
                }
                return s.toString();
            };
        }

        /**
         * Unicode text of [minLength, maxLength] UTF-16 code units: {@link #anyChar()}, and one in twenty a
         * supplementary code point (a valid surrogate pair). Without {@code loneSurrogates}, only valid pairs: text
         * that UTF-8 can carry.
         */
        static Gen<String> text(int minLength, int maxLength, boolean loneSurrogates) {
            Gen<Integer> lengths = lengths(minLength, maxLength);
            Gen<Character> chars = loneSurrogates ? anyChar() : anyChar().filter(c -> !Character.isSurrogate(c));
            return r -> {
                int length = lengths.next(r);
                StringBuilder s = new StringBuilder(length);
                while (s.length() < length) {
                    if (length - s.length() >= 2 && r.nextInt(20) == 0) {
                        s.appendCodePoint(r.nextInt(Character.MIN_SUPPLEMENTARY_CODE_POINT, Character.MAX_CODE_POINT + 1));
                    } else {
                        s.append((char) chars.next(r));
                    }
                }
                return s.toString();
            };
        }

        private static Gen<Integer> lengths(int minLength, int maxLength) {
            Gen<Integer> shortLength = ints(minLength, Math.min(maxLength, minLength + 10));
            Gen<Integer> anyLength = ints(minLength, maxLength);
            return r -> switch (r.nextInt(20)) {
                case 0 -> minLength;
                case 1 -> maxLength;
                default -> r.nextBoolean() ? shortLength.next(r) : anyLength.next(r);
            };
        }

        /** One of the characters, uniformly. */
        static Gen<Character> chars(String chars) {
            if (chars.isEmpty()) {
                throw new IllegalArgumentException("no characters");
            }
            return r -> chars.charAt(r.nextInt(chars.length()));
        }

        /** A character in [from, to], uniformly. */
        static Gen<Character> charRange(char from, char to) {
            return r -> (char) r.nextInt(from, to + 1);
        }

        /** Characters that parsers trip on, several of them invalid alone (lone surrogates, noncharacters). */
        String TRICKY_CHARS = "\u0000\u0001\u0007\u0008\t\n\r\u001b\u007f \"\\/{}[]:,'"
                + "\u0085\u00a0\u00e9\u2028\u2029\u202e\u200b\ufeff\ufffd\ufffe\uffff\ud800\udbff\udc00\udfff";

        /**
         * Any UTF-16 code unit (lone surrogates included): one in five from {@link #TRICKY_CHARS}, else uniform
         * over 0000-FFFF.
         */
        static Gen<Character> anyChar() {
            Gen<Character> tricky = chars(TRICKY_CHARS);
            return r -> r.nextInt(5) == 0 ? tricky.next(r) : (char) r.nextInt(0x10000);
        }

        /** Characters of this generator other than {@code excluded}. */
        default Gen<T> except(List<T> excluded) {
            List<T> copy = new ArrayList<>(excluded);
            return filter(c -> !copy.contains(c));
        }
    }
}
