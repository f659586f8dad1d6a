package io.herald.auth;

import io.netty.handler.codec.http.HttpHeaders;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a connection presented to be recognised (§12): the endpoint, the token of its query or Socket.IO
 * {@code auth}, the request headers the auth proxy is told about, and the peer's address. {@link #toString()} never
 * shows a credential; {@link #key()} is what the proxy's cache and single-flight use instead of the credentials.
 *
 * @param endpoint   {@code sync}, {@code realtime}, {@code channels} or {@code socketio}
 * @param token      the {@code token} query parameter or Socket.IO {@code auth.token}, or null
 * @param headers    lower-case name → value, only the configured ones ({@code HERALD_AUTH_PROXY_HEADERS}) present
 * @param remoteAddr the peer's IP address, or null
 */
public record Credentials(String endpoint, String token, Map<String, String> headers, String remoteAddr) {

    /** A credential longer than this is refused without asking anyone (a header is bounded by the HTTP codec anyway). */
    public static final int MAX_TOKEN_CHARS = 16 * 1024;

    public Credentials {
        headers = Map.copyOf(headers);
    }

    /** The configured {@code names} among {@code request}'s headers; repeated ones joined as HTTP joins them. */
    public static Credentials of(String endpoint, String token, HttpHeaders request, List<String> names, String remoteAddr) {
        Map<String, String> picked = new LinkedHashMap<>();
        for (String name : names) {
            List<String> values = request.getAll(name);
            if (!values.isEmpty()) {
                picked.put(name, String.join("cookie".equals(name) ? "; " : ", ", values));
            }
        }
        return new Credentials(endpoint, token == null || token.isEmpty() ? null : token, picked, remoteAddr);
    }

    /** The same headers and address, with another token (Socket.IO's CONNECT {@code auth.token}, §7). */
    public Credentials withToken(String other) {
        return new Credentials(endpoint, other == null || other.isEmpty() ? null : other, headers, remoteAddr);
    }

    /** True when there is nothing to check: no token and none of the forwarded headers. */
    public boolean isEmpty() {
        return token == null && headers.isEmpty();
    }

    /**
     * SHA-256 of the endpoint, token and forwarded headers (not the address: one user's devices share an answer),
     * so the cache holds no credential and two requests collide only if they carry the same credentials.
     */
    public String key() {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JRE has SHA-256
        }
        update(sha, endpoint);
        update(sha, token);
        headers.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            update(sha, e.getKey());
            update(sha, e.getValue());
        });
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
    }

    private static void update(MessageDigest sha, String s) {
        if (s == null) {
            sha.update((byte) 0);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        sha.update((byte) 1);
        sha.update(new byte[]{(byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8), (byte) b.length});
        sha.update(b);
    }

    /** Never the credentials themselves. */
    @Override
    public String toString() {
        return "Credentials[" + endpoint + ", token=" + (token != null) + ", headers=" + headers.keySet() + "]";
    }
}
