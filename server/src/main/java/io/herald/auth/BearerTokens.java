package io.herald.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;
import java.util.regex.Pattern;

/** Where a token comes from on an HTTP request or WebSocket upgrade (§2), and how to log a target without it. */
public final class BearerTokens {
    private static final Pattern TOKEN_PARAM = Pattern.compile("(?i)([?&](?:token|access_token)=)[^&#]*");

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

    /** A request target safe for a log line: every {@code token=} value replaced (§2). */
    public static String redact(String uri) {
        return TOKEN_PARAM.matcher(uri).replaceAll("$1<redacted>");
    }
}
