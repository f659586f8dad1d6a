package io.herald.loadtest.client;

import io.herald.loadtest.report.ErrorKind;

/** What a {@link ClientHandler} tells its fleet about a session; called on the session's event loop. */
interface SessionListener {
    void upgraded(SimulatedClient client);

    void subscribed(SimulatedClient client);

    void failed(SimulatedClient client, ErrorKind kind, String detail);

    /** The channel closed; {@code code} is the server's close code, 1006 when none came; {@code dropped} when the tool dropped it. */
    void closed(SimulatedClient client, int code, boolean dropped);
}
