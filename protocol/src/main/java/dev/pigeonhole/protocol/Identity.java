package dev.pigeonhole.protocol;

/** Who is on the other end of a connection: a user and one of their devices. */
public record Identity(String user, String device) {
    public Identity {
        if (!Ids.validName(user) || !Ids.validName(device)) {
            throw new IllegalArgumentException("invalid identity");
        }
    }
}
