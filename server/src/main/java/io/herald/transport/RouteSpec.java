package io.herald.transport;

import io.netty.handler.codec.http.HttpMethod;

import java.util.List;
import java.util.function.Consumer;

/**
 * What a route takes before its handler sees a request (§9): the methods it serves and the largest body it
 * reads, whether the length is declared or the body is chunked. Declared where the route is registered
 * ({@link Routes}), the way reactor-netty's routes carry their own settings; enforced by the HTTP stage on
 * the request head, before the body is buffered.
 *
 * @param methods the methods served, in the order the {@code Allow} header lists them
 * @param maxBody the largest request body in bytes; one byte more is a 413
 * @param handlerRefusesOthers other methods reach the handler, which answers them itself (Engine.IO answers a
 *                             wrong method 400 as its reference server does, §7; the body bound still holds)
 * @param onTooLarge           told the request target of a body refused 413, or null (§7: a polling POST over
 *                             maxPayload ends its session)
 */
public record RouteSpec(List<HttpMethod> methods, int maxBody, boolean handlerRefusesOthers,
                        Consumer<String> onTooLarge) {
    /** §9: the body bound of every route that does not declare a larger one. */
    public static final int SMALL_BODY = 16 * 1024;
    /** A WebSocket endpoint: the upgrade is a GET (RFC 6455 §4.1) and carries no body to speak of. */
    public static final RouteSpec WEBSOCKET = new RouteSpec(List.of(HttpMethod.GET), SMALL_BODY);

    public RouteSpec(List<HttpMethod> methods, int maxBody) {
        this(methods, maxBody, false, null);
    }

    public RouteSpec {
        methods = List.copyOf(methods);
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("a route serves at least one method");
        }
        if (maxBody < 0) {
            throw new IllegalArgumentException("maxBody " + maxBody + " < 0");
        }
    }

    public static RouteSpec of(int maxBody, HttpMethod... methods) {
        return new RouteSpec(List.of(methods), maxBody);
    }

    /** §7: Engine.IO's paths, whose handler refuses methods other than {@code methods} the reference's way. */
    public static RouteSpec answeringEveryMethod(int maxBody, HttpMethod... methods) {
        return new RouteSpec(List.of(methods), maxBody, true, null);
    }

    /** This spec, telling {@code hook} the target of every request whose body it refuses. */
    public RouteSpec whenTooLarge(Consumer<String> hook) {
        return new RouteSpec(methods, maxBody, handlerRefusesOthers, hook);
    }

    public boolean serves(HttpMethod method) {
        return handlerRefusesOthers || methods.contains(method);
    }

    /** The {@code Allow} header of a 405 (RFC 9110 §15.5.6). */
    public String allow() {
        StringBuilder b = new StringBuilder();
        for (HttpMethod m : methods) {
            b.append(b.isEmpty() ? "" : ", ").append(m.name());
        }
        return b.toString();
    }
}
