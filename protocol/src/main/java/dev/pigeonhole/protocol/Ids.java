package dev.pigeonhole.protocol;

import java.util.regex.Pattern;

/**
 * Identifier rules. User and device ids never contain {@code /} or {@code :}, so composite keys
 * ({@code user/device/id}) and recipient forms ({@code group:<id>}) stay unambiguous.
 */
public final class Ids {
    public static final String GROUP_PREFIX = "group:";
    public static final int MAX_MESSAGE_ID_LENGTH = 128;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    private static final Pattern MESSAGE_ID = Pattern.compile("[\\x21-\\x7E]{1," + MAX_MESSAGE_ID_LENGTH + "}");

    private Ids() {}

    /** User, device and group ids: 1–64 of {@code A–Z a–z 0–9 . _ @ -}. */
    public static boolean validName(String s) {
        return s != null && NAME.matcher(s).matches();
    }

    /** Client message ids: 1–128 printable ASCII characters, no spaces. */
    public static boolean validMessageId(String s) {
        return s != null && MESSAGE_ID.matcher(s).matches();
    }

    /** A recipient is a user id or {@code group:<group id>}. */
    public static boolean validRecipient(String s) {
        if (s == null) {
            return false;
        }
        return s.startsWith(GROUP_PREFIX) ? validName(s.substring(GROUP_PREFIX.length())) : validName(s);
    }

    public static boolean isGroup(String recipient) {
        return recipient.startsWith(GROUP_PREFIX);
    }
}
