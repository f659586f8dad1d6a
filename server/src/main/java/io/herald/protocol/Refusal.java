package io.herald.protocol;

/**
 * A dialect's answer to an upgrade request it will not take, before any handshake (Engine.IO's own 400s, §7):
 * the HTTP status and a JSON body, which the router writes. Keeps dialects free of HTTP objects.
 */
public record Refusal(int status, String json) {
}
