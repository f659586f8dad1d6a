package io.herald.broker;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Messages between Herald instances that are not topic traffic: addressed to one instance by its tag, never seen
 * by the hub or by clients. What lets a Socket.IO long-polling request be served by whichever instance it lands on
 * (§7 without sticky sessions). Only instances that advertised their tag recently are addressable: a message for
 * a tag nobody holds fails at once instead of waiting for an answer that cannot come.
 */
public interface ControlChannel extends AutoCloseable {

    /** Thrown (as the failure of {@link #send}) for a tag no live instance holds. */
    final class UnknownInstanceException extends RuntimeException {
        public UnknownInstanceException(String tag) {
            super("no live instance " + tag, null, false, false);
        }
    }

    /**
     * Starts receiving the messages addressed to {@code tag} and advertising it as live, until {@link #close()};
     * {@code handler} runs on a broker thread and must not block. Completes once messages are sure to arrive.
     */
    CompletionStage<Void> open(String tag, Consumer<byte[]> handler);

    /** True when an instance advertised {@code tag} within the last few seconds (as last read, without a round trip). */
    boolean isLive(String tag);

    /**
     * Sends {@code message} to the instance holding {@code tag}; completes when Redis took it, or fails at once with
     * {@link UnknownInstanceException} when no live instance holds it, or with {@link BrokerUnavailableException}.
     */
    CompletionStage<Void> send(String tag, byte[] message);

    /**
     * Starts receiving what any instance {@linkplain #broadcast broadcasts}, this one's included (§12 control API);
     * {@code handler} runs on a broker thread and must not block.
     */
    CompletionStage<Void> openBroadcast(Consumer<byte[]> handler);

    /** Sends {@code message} to every instance, this one included; completes when Redis took it. */
    CompletionStage<Void> broadcast(byte[] message);

    /** How many instances advertised themselves within the last few seconds, this one included (as last read). */
    int liveInstances();

    @Override
    void close();
}
