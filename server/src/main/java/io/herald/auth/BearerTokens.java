package io.herald.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;

/** Where a token comes from on an HTTP request or WebSocket upgrade (§2), and how to log a target without it. */
public final class BearerTokens {
    private BearerTokens() {
    }

    /** The {@code Authorization: Bearer} token, or null. */
    public static String fromHeader(HttpRequest request) {
        String h = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String t = h.substring(7).trim();
        return t.isEmpty() ? null : t;
    }

    /** §2: the header wins over the {@code token} query parameter. */
    public static String fromUpgrade(HttpRequest request, QueryStringDecoder query) {
        String header = fromHeader(request);
        if (header != null) {
            return header;
        }
        List<String> q = query.parameters().get("token");
        return q == null || q.isEmpty() ? null : q.get(0);
    }

    /**
     * A request target safe for a log line: every {@code token=} value replaced (§2). Parameter names are
     * compared as {@link QueryStringDecoder} reads them (percent-decoded; {@code &} and {@code ;} separate),
     * so whatever {@link #fromUpgrade} would take as the token is never logged.
     */
    public static String redact(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        StringBuilder out = new StringBuilder(uri.length()).append(uri, 0, q + 1);
        int i = q + 1;
        while (i <= uri.length()) {
            int sep = i;
            while (sep < uri.length() && "&;#".indexOf(uri.charAt(sep)) < 0) {
                sep++;
            }
            int eq = uri.indexOf('=', i);
            if (eq >= 0 && eq < sep && isTokenName(uri.substring(i, eq))) {
                out.append(uri, i, eq + 1).append("<redacted>");
            } else {
                out.append(uri, i, sep);
            }
            if (sep < uri.length()) {
                out.append(uri.charAt(sep));
            }
            i = sep + 1;
        }
        return out.toString();
    }

    private static boolean isTokenName(String raw) {
        String name;
        try {
            name = QueryStringDecoder.decodeComponent(raw);
        } catch (IllegalArgumentException e) {
            return true; // undecodable: redact rather than risk it
        }
        // §2 and §7: tokens, and Engine.IO session ids, which let whoever holds one poll that session
        return name.equalsIgnoreCase("token") || name.equalsIgnoreCase("access_token") || name.equalsIgnoreCase("sid");
    }
}
