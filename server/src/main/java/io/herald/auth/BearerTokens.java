package io.herald.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;

/** Where a token comes from on an HTTP request or WebSocket upgrade (§2), and how to log a target without it. */
public final class BearerTokens {
    /** What ends a parameter name, looking back from its {@code =} (whitespace too). */
    private static final String NAME_ENDS = "?&;#=/\"'<>()[]{},";
    /** What ends a parameter value (whitespace too): the query separators, and what quotes a target in a line. */
    private static final String VALUE_ENDS = "&;#\"'<>";

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

    /**
     * Free text (a whole log line) with every {@code token=}, {@code access_token=} and {@code sid=} value
     * replaced, wherever a request target sits in it: the log encoders' last line of defence (§2, §7) for a line
     * whose author forgot {@link #redact}. A value runs to the next space, quote, angle bracket or query
     * separator; one already {@code <redacted>} is left as it is.
     */
    public static String redactInText(String text) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            return text;
        }
        StringBuilder out = null;
        int copied = 0;
        for (; eq >= 0; eq = text.indexOf('=', eq + 1)) {
            int start = eq;
            while (start > 0 && !endsAt(NAME_ENDS, text.charAt(start - 1))) {
                start--;
            }
            // "access_token" percent-encoded whole is 36 characters; anything longer names something else
            if (start == eq || eq - start > 36 || !isTokenName(text.substring(start, eq))) {
                continue;
            }
            int end = eq + 1;
            while (end < text.length() && !endsAt(VALUE_ENDS, text.charAt(end))) {
                end++;
            }
            if (end == eq + 1) {
                continue; // empty, or already "<redacted>"
            }
            if (out == null) {
                out = new StringBuilder(text.length());
            }
            out.append(text, copied, eq + 1).append("<redacted>");
            copied = end;
            eq = end - 1;
        }
        return out == null ? text : out.append(text, copied, text.length()).toString();
    }

    private static boolean endsAt(String ends, char c) {
        return ends.indexOf(c) >= 0 || Character.isWhitespace(c);
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
