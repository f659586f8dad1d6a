package io.herald.hub;

/**
 * A topic of PROTOCOL.md §3: {@code share:{id}}, {@code device:{id}}, {@code user:{id}}, {@code channel:{name}}
 * or {@code broadcast}. The {@link #name()} is the key everything else uses (hub index, broker channel).
 */
public record Topic(Kind kind, String id, String name) {

    /** The §3 topic families. */
    public enum Kind {
        SHARE("share:"), DEVICE("device:"), USER("user:"), SESSION("session:"), CHANNEL("channel:"), BROADCAST("broadcast");

        final String prefix;

        Kind(String prefix) {
            this.prefix = prefix;
        }
    }

    public static final Topic BROADCAST = new Topic(Kind.BROADCAST, "", "broadcast");

    /** §3: 1–200 characters of {@code A-Z a-z 0-9 _ . : @ ~ -}. */
    public static boolean isValidId(String id) {
        if (id == null || id.isEmpty() || id.length() > 200) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == ':' || c == '@' || c == '~' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The topic named {@code name}, or null when it is not a valid §3 topic. */
    public static Topic parse(String name) {
        if (name == null) {
            return null;
        }
        if (name.equals("broadcast")) {
            return BROADCAST;
        }
        for (Kind k : Kind.values()) {
            if (k != Kind.BROADCAST && name.startsWith(k.prefix)) {
                String id = name.substring(k.prefix.length());
                return isValidId(id) ? new Topic(k, id, name) : null;
            }
        }
        return null;
    }

    public static Topic share(String id) {
        return of(Kind.SHARE, id);
    }

    public static Topic device(String id) {
        return of(Kind.DEVICE, id);
    }

    public static Topic user(String id) {
        return of(Kind.USER, id);
    }

    /** §12: a login session's own topic. */
    public static Topic session(String id) {
        return of(Kind.SESSION, id);
    }

    public static Topic channel(String name) {
        return of(Kind.CHANNEL, name);
    }

    private static Topic of(Kind kind, String id) {
        if (!isValidId(id)) {
            throw new IllegalArgumentException("invalid " + kind.prefix + " id");
        }
        return new Topic(kind, id, kind.prefix + id);
    }

    @Override
    public String toString() {
        return name;
    }
}
