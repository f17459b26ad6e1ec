package dev.pigeonhole.gateway.uploads;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** The tus 1.0 request headers this server reads, parsed strictly (a bad value is the client's error). */
final class TusHeaders {
    static final String VERSION = "1.0.0";
    static final String OFFSET_CONTENT_TYPE = "application/offset+octet-stream";

    private TusHeaders() {
    }

    /** A non-negative decimal ({@code Upload-Length}, {@code Upload-Offset}). */
    static long nonNegative(String name, String value) throws Invalid {
        if (value == null || value.isEmpty()) {
            throw new Invalid(name + " is required");
        }
        if (value.length() > 18 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Invalid(name + " must be a non-negative integer");
        }
        return Long.parseLong(value);
    }

    /**
     * {@code Upload-Metadata}: comma-separated pairs {@code key base64(value)} (a key alone has an empty value); keys
     * are unique and contain no space or comma.
     */
    static Map<String, String> metadata(String header) throws Invalid {
        Map<String, String> out = new LinkedHashMap<>();
        if (header == null || header.isBlank()) {
            return out;
        }
        for (String pair : header.split(",", -1)) {
            String p = pair.trim();
            if (p.isEmpty()) {
                throw new Invalid("Upload-Metadata has an empty pair");
            }
            int space = p.indexOf(' ');
            String key = space < 0 ? p : p.substring(0, space);
            String value = "";
            if (space >= 0) {
                try {
                    value = new String(Base64.getDecoder().decode(p.substring(space + 1).trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new Invalid("Upload-Metadata value of " + key + " is not base64");
                }
            }
            if (out.put(key, value) != null) {
                throw new Invalid("Upload-Metadata names " + key + " twice");
            }
        }
        return out;
    }

    /** A request header the client got wrong; the message names it. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }
}
