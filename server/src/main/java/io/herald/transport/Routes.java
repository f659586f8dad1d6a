package io.herald.transport;

import io.herald.api.HttpEndpoint;
import io.herald.protocol.Dialect;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.HashMap;
import java.util.Map;

/**
 * What answers which path: WebSocket dialects by exact path or by path prefix (whose remainder is the path
 * parameter, like the sync endpoint's device id), plain HTTP endpoints by exact path. Every route carries its
 * {@link RouteSpec} (§9: the methods it serves, its largest body); a path no route matches takes a small body
 * and gets the router's 404, whatever the method.
 */
public final class Routes {
    /** §9 "everything else": the body bound of a path no route serves; any method reaches the router's 404. */
    static final int UNROUTED_MAX_BODY = RouteSpec.SMALL_BODY;

    /** A dialect found for a path, with the path parameter when the route has one. */
    public record DialectMatch(Dialect<?> dialect, String parameter, RouteSpec spec, HttpEndpoint http) {
    }

    private record Bound<T>(T target, RouteSpec spec, HttpEndpoint http) {
    }

    private final Map<String, Bound<Dialect<?>>> exactDialects = new HashMap<>();
    private final Map<String, Bound<Dialect<?>>> prefixDialects = new HashMap<>();
    private final Map<String, Bound<HttpEndpoint>> endpoints = new HashMap<>();
    private int largestBody = UNROUTED_MAX_BODY;

    /** A WebSocket-only dialect: {@link RouteSpec#WEBSOCKET}. */
    public Routes dialect(String path, Dialect<?> dialect) {
        exactDialects.put(path, bind(dialect, RouteSpec.WEBSOCKET, null));
        return this;
    }

    /**
     * A dialect whose path also takes plain HTTP, answered by {@code http} (Socket.IO long-polling, §7) under
     * {@code spec}.
     */
    public Routes dialect(String path, Dialect<?> dialect, RouteSpec spec, HttpEndpoint http) {
        exactDialects.put(path, bind(dialect, spec, http));
        return this;
    }

    /**
     * A WebSocket-only dialect ({@link RouteSpec#WEBSOCKET}); {@code prefix} ends with '/', and the rest of the
     * path is the parameter (one segment, not empty).
     */
    public Routes dialectWithParameter(String prefix, Dialect<?> dialect) {
        prefixDialects.put(prefix, bind(dialect, RouteSpec.WEBSOCKET, null));
        return this;
    }

    public Routes http(String path, HttpEndpoint endpoint, RouteSpec spec) {
        endpoints.put(path, bind(endpoint, spec, null));
        return this;
    }

    private <T> Bound<T> bind(T target, RouteSpec spec, HttpEndpoint http) {
        largestBody = Math.max(largestBody, spec.maxBody());
        return new Bound<>(target, spec, http);
    }

    public DialectMatch dialectFor(String path) {
        Bound<Dialect<?>> d = exactDialects.get(path);
        if (d != null) {
            return new DialectMatch(d.target(), null, d.spec(), d.http());
        }
        int slash = path.lastIndexOf('/');
        if (slash >= 0 && slash < path.length() - 1) {
            d = prefixDialects.get(path.substring(0, slash + 1));
            if (d != null) {
                return new DialectMatch(d.target(), path.substring(slash + 1), d.spec(), d.http());
            }
        }
        return null;
    }

    public HttpEndpoint endpointFor(String path) {
        Bound<HttpEndpoint> e = endpoints.get(path);
        return e == null ? null : e.target();
    }

    /**
     * The spec of the route that will answer {@code uri}, found as the router finds it (dialects first, the path
     * decoded alike); null when none will: no route has the path, or it is malformed (the router's 404 or 400).
     */
    RouteSpec specFor(String uri) {
        String path;
        try {
            path = new QueryStringDecoder(uri).path();
        } catch (IllegalArgumentException e) {
            return null;
        }
        DialectMatch d = dialectFor(path);
        if (d != null) {
            return d.spec();
        }
        Bound<HttpEndpoint> e = endpoints.get(path);
        return e == null ? null : e.spec();
    }

    /** The body bound of {@code uri}'s route, or the unrouted bound. */
    int maxBodyFor(String uri) {
        RouteSpec spec = specFor(uri);
        return spec == null ? UNROUTED_MAX_BODY : spec.maxBody();
    }

    /** The largest body any route takes: no request is buffered past it. */
    int largestBody() {
        return largestBody;
    }
}
