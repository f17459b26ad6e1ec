package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.protocol.ErrorCode;
import java.util.LinkedHashMap;
import java.util.Map;

/** An answer of the upload API: status, headers, and for errors the code and message of the JSON error body. */
record Reply(int status, Map<String, String> headers, ErrorCode code, String message, Long retryAfterMs) {

    static Reply ok(int status) {
        return new Reply(status, new LinkedHashMap<>(), null, null, null);
    }

    static Reply error(int status, ErrorCode code, String message) {
        return new Reply(status, new LinkedHashMap<>(), code, message, null);
    }

    Reply header(String name, Object value) {
        headers.put(name, String.valueOf(value));
        return this;
    }
}
