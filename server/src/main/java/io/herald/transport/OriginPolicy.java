package io.herald.transport;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * §8.5: a request with an {@code Origin} header is upgraded only when that origin is allowed: listed in
 * {@code HERALD_ALLOWED_ORIGINS}, or any origin with {@code *}, or by default the server's own origin: the
 * scheme of this port and the host and port of the request's {@code Host}. Requests without {@code Origin} (non-browser clients) pass.
 */
public final class OriginPolicy {
    private final boolean any;
    private final Set<String> allowed;
    private final String ownScheme;

    /** @param tls whether this port serves https/wss: the default rule then wants an {@code https} origin */
    public OriginPolicy(List<String> allowedOrigins, boolean tls) {
        this.ownScheme = tls ? "https" : "http";
        this.any = allowedOrigins.contains("*");
        this.allowed = allowedOrigins.stream().map(OriginPolicy::normalize).collect(Collectors.toUnmodifiableSet());
    }

    public boolean allows(HttpRequest request) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return true;
        }
        if (any) {
            return true;
        }
        if (!allowed.isEmpty()) {
            return allowed.contains(normalize(origin));
        }
        return sameOrigin(origin, request.headers().get(HttpHeaderNames.HOST));
    }

    private static String normalize(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }

    /** Default rule: the origin is this server's own: its scheme, and host[:port] equal to the Host header. */
    private boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI u = new URI(origin.trim());
            if (!ownScheme.equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
                return false;
            }
            int port = u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
            String h = host.trim().toLowerCase(Locale.ROOT);
            String originHost = u.getHost().toLowerCase(Locale.ROOT);
            return h.equals(originHost + ":" + port) || (h.equals(originHost) && (port == 80 || port == 443));
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }
}
