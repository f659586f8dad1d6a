package io.herald.client.batch;

/** Receives the batches of a {@link PendingChangesBatcher}; called on the batcher's scheduler thread. */
@FunctionalInterface
public interface BatchListener {
    void onBatch(Batch batch);
}
