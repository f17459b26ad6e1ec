package dev.pigeonhole.records;

/**
 * One record of the compacted {@link Topics#GROUPS} topic. Key {@code <group>} holds the group itself
 * ({@code group} set), key {@code <group>/<user>} one member ({@code member} set); a tombstone (null value)
 * deletes either. One record per member keeps membership changes independent: adding and removing members never
 * rewrite a shared list, so concurrent changes from several gateway pods cannot undo each other.
 */
public record GroupRecord(Group group, Member member) {

    /** {@code anyoneMayPost}: false (default) lets only members send to the group. */
    public record Group(String owner, boolean anyoneMayPost, long createdAt) {}

    /**
     * Admins (and the owner) may add and remove members. {@code invited}: added by {@code invitedBy} and not accepted
     * yet, so not a recipient. Records written before invitations existed lack both fields: joined members.
     */
    public record Member(Role role, long addedAt, boolean invited, String invitedBy) {
        public static Member joined(Role role, long addedAt) {
            return new Member(role, addedAt, false, null);
        }

        public Member accepted() {
            return new Member(role, addedAt, false, invitedBy);
        }

        public Member withRole(Role role) {
            return new Member(role, addedAt, invited, invitedBy);
        }
    }

    public enum Role { OWNER, ADMIN, MEMBER }

    public static String groupKey(String group) {
        return group;
    }

    public static String memberKey(String group, String user) {
        return group + '/' + user;
    }

    /** The prefix of every member key of {@code group}. */
    public static String membersPrefix(String group) {
        return group + '/';
    }
}
