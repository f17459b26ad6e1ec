package dev.pigeonhole.router;

/**
 * Keys of the inbox store: {@code user + NUL + seq in 19 digits}, so that one user's entries are contiguous
 * and sorted by seq in the store's byte order (user ids never contain NUL).
 */
final class InboxKeys {
    private InboxKeys() {}

    static String of(String user, long seq) {
        String digits = Long.toString(seq);
        StringBuilder key = new StringBuilder(user.length() + 20).append(user).append('\u0000');
        for (int i = digits.length(); i < 19; i++) {
            key.append('0');
        }
        return key.append(digits).toString();
    }

    /** The last possible key of a user's entries. */
    static String last(String user) {
        return of(user, Long.MAX_VALUE);
    }
}
