package io.herald.client;

/**
 * An error frame from the server: realtime and sync {@code {"type":"error","code":...,"share_id":...}} (§5),
 * channels {@code {"type":"error","id":...,"data":{"code":...}}} (§6). Errors never close the connection.
 *
 * @param code    the contract's code: {@code invalid_request}, {@code forbidden}, {@code unauthorized},
 *                {@code subscription_failed}, {@code rate_limited}, {@code internal_error}
 * @param target  the share or channel the failed command named, when known, else null
 * @param message the server's message
 * @param id      the channels command id it answers (raw JSON text), or null
 */
public record ServerError(String code, String target, String message, String id) {
}
