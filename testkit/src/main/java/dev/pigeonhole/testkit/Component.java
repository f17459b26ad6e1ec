package dev.pigeonhole.testkit;

/** The kinds of container a {@link PigeonholeCluster} runs; instances of each are numbered from 1. */
public enum Component {
    /** A KRaft Kafka node (broker and controller), image {@code kafka-dev}. */
    KAFKA("kafka-dev"),
    /** The router (Kafka Streams; owns the inboxes), image {@code router-streams}. */
    ROUTER("router-streams"),
    /** The gateway: clients send here ({@code /v1/send}, {@code /v1/messages}), image {@code gateway}. */
    GATEWAY("gateway"),
    /** Delivery: clients read their inbox here ({@code /v1/inbox}), image {@code delivery}. */
    DELIVERY("delivery");

    private final String imageName;

    Component(String imageName) {
        this.imageName = imageName;
    }

    /** The image's name without registry prefix or tag, e.g. {@code router-streams}. */
    public String imageName() {
        return imageName;
    }
}
