package dev.pigeonhole.access;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-user send rate on this instance (token buckets), plus factories for per-connection buckets and connection
 * limiters configured from {@link LimitsConfig}.
 */
@ApplicationScoped
public class SendLimiter {
    private final LimitsConfig config;
    private final Map<String, TokenBucket> users = new ConcurrentHashMap<>();

    SendLimiter(LimitsConfig config) {
        this.config = config;
    }

    public SendBudget newConnectionBudget() {
        return new SendBudget(new TokenBucket(config.sendsPerSecondPerConnection(), config.sendBurstPerConnection(),
                System::nanoTime), System::nanoTime);
    }

    /** Takes {@code cost} tokens from the user's bucket: 0 when granted, else the milliseconds to wait. */
    public long takeForUser(String user, int cost) {
        if (users.size() > 100_000) {
            users.values().removeIf(TokenBucket::idle); // forget users who stopped sending
        }
        return users.computeIfAbsent(user, u -> new TokenBucket(config.sendsPerSecondPerUser(),
                config.sendBurstPerUser(), System::nanoTime)).take(cost);
    }

    public ConnectionLimiter newConnectionLimiter() {
        return new ConnectionLimiter(config.connectionsPerUser(), config.connectionsPerDevice());
    }

    /** Per user only: on {@code /v1/inbox} a second socket of a device displaces the first instead of being refused. */
    public ConnectionLimiter newUserConnectionLimiter() {
        return new ConnectionLimiter(config.connectionsPerUser(), Integer.MAX_VALUE);
    }

    public PendingWrites newPendingWrites() {
        return new PendingWrites(config.pendingBytes());
    }

    public java.time.Duration slowConsumerTimeout() {
        return config.slowConsumerTimeout();
    }
}
