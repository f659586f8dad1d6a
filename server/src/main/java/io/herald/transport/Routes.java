package io.herald.transport;

import io.herald.api.HttpEndpoint;
import io.herald.protocol.Dialect;

import java.util.HashMap;
import java.util.Map;

/**
 * What answers which path: WebSocket dialects by exact path or by path prefix (whose remainder is the path
 * parameter, like the sync endpoint's device id), plain HTTP endpoints by exact path.
 */
public final class Routes {
    /** A dialect found for a path, with the path parameter when the route has one. */
    public record DialectMatch(Dialect dialect, String parameter) {
    }

    private final Map<String, Dialect> exactDialects = new HashMap<>();
    private final Map<String, Dialect> prefixDialects = new HashMap<>();
    private final Map<String, HttpEndpoint> endpoints = new HashMap<>();

    public Routes dialect(String path, Dialect dialect) {
        exactDialects.put(path, dialect);
        return this;
    }

    /** {@code prefix} ends with '/'; the rest of the path is the parameter (one segment, not empty). */
    public Routes dialectWithParameter(String prefix, Dialect dialect) {
        prefixDialects.put(prefix, dialect);
        return this;
    }

    public Routes http(String path, HttpEndpoint endpoint) {
        endpoints.put(path, endpoint);
        return this;
    }

    public DialectMatch dialectFor(String path) {
        Dialect d = exactDialects.get(path);
        if (d != null) {
            return new DialectMatch(d, null);
        }
        int slash = path.lastIndexOf('/');
        if (slash >= 0 && slash < path.length() - 1) {
            d = prefixDialects.get(path.substring(0, slash + 1));
            if (d != null) {
                return new DialectMatch(d, path.substring(slash + 1));
            }
        }
        return null;
    }

    public HttpEndpoint endpointFor(String path) {
        return endpoints.get(path);
    }
}
