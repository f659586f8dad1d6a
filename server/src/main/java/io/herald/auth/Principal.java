package io.herald.auth;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The verified claims of a token (PROTOCOL.md §2): who the connection or caller is and what it may read.
 *
 * @param subject  {@code sub}, the user id
 * @param expiresAt {@code exp}, or the auth proxy's {@code expires_at}; null for a proxy answer without one (§12)
 * @param shares   {@code shares}: readable on the sync and realtime endpoints
 * @param devices  {@code devices}: registered devices (sync endpoint)
 * @param channels {@code channels}: exact names or prefixes ending in {@code *} (channels endpoint)
 * @param roles    {@code roles}: {@code publisher}, {@code admin}
 * @param session  §12: the login session ({@code sid} claim, or the auth proxy's {@code session_id}), or null
 */
public record Principal(String subject, Instant expiresAt, Set<String> shares, Set<String> devices,
                        List<String> channels, Set<String> roles, String session) {

    public static final String ROLE_PUBLISHER = "publisher";
    public static final String ROLE_ADMIN = "admin";

    public Principal {
        // Keep the token's order: answers such as sync's "subscribed" list shares as the token names them.
        // None or one (the usual realtime token) needs no order: Set.copyOf holds one in 24 bytes of heap
        // where an unmodifiable LinkedHashSet takes about 210, for as long as the connection lives.
        shares = shares.size() <= 1 ? Set.copyOf(shares) : Collections.unmodifiableSet(new LinkedHashSet<>(shares));
        devices = Set.copyOf(devices);
        channels = List.copyOf(channels);
        roles = Set.copyOf(roles);
    }

    /** Without a session. */
    public Principal(String subject, Instant expiresAt, Set<String> shares, Set<String> devices, List<String> channels,
                     Set<String> roles) {
        this(subject, expiresAt, shares, devices, channels, roles, null);
    }

    /** §12: the connection's {@code session:{id}} topic, or null without a (valid) session. */
    public io.herald.hub.Topic sessionTopic() {
        return session != null && io.herald.hub.Topic.isValidId(session) ? io.herald.hub.Topic.session(session) : null;
    }

    public boolean mayReadShare(String shareId) {
        return shareId != null && shares.contains(shareId); // Set.copyOf's sets throw on contains(null)
    }

    public boolean ownsDevice(String deviceId) {
        return devices.contains(deviceId);
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    /** §3: publishers and admins may publish. */
    public boolean mayPublish() {
        return roles.contains(ROLE_PUBLISHER) || roles.contains(ROLE_ADMIN);
    }
}
