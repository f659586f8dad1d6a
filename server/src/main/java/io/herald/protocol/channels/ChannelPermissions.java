package io.herald.protocol.channels;

import java.util.List;

/**
 * §2/§6 the {@code channels} claim: an entry is an exact channel name, or a prefix when it ends in {@code *}
 * ({@code team:blue:*} grants {@code team:blue:x}, never {@code team:bluegreen} nor {@code team:red:x}). Only a
 * trailing {@code *} is special; a {@code *} elsewhere is an ordinary character, and {@code *} alone grants
 * every channel.
 */
public final class ChannelPermissions {
    private ChannelPermissions() {
    }

    public static boolean allows(List<String> grants, String channel) {
        if (channel == null) {
            return false;
        }
        for (String g : grants) {
            if (g.endsWith("*")) {
                if (channel.startsWith(g.substring(0, g.length() - 1))) {
                    return true;
                }
            } else if (g.equals(channel)) {
                return true;
            }
        }
        return false;
    }
}
