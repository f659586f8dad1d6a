package io.herald.client;

import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The client's channels dialect against Herald's real {@code /ws} (§6): grants, events, a refused channel,
 * and a refresh that narrows the grants.
 */
class ChannelsE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    @Test
    void subscribesReceivesIsRefusedAndRefreshesAgainstHerald() throws Exception {
        try (ChannelsClient client = HeraldClient.channels(URI.create(server.ws("")),
                () -> Tokens.channels("carol", Duration.ofHours(1), "team:*"), ClientOptions.create())) {
            Inbox inbox = Inbox.on(client);
            client.subscribe("team:a");
            client.subscribe("team:b");
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(Set.of("team:a", "team:b"), Set.of(inbox.nextSubscribed().get(0), inbox.nextSubscribed().get(0)));

            server.publish("{\"topic\":\"channel:team:a\",\"event_type\":\"chat_message\",\"data\":{\"text\":\"hi\"}}");
            HeraldEvent e = inbox.nextEvent();
            assertEquals("chat_message", e.type());
            assertEquals("team:a", e.channel());
            assertEquals("{\"text\":\"hi\"}", e.data());

            client.subscribe("elsewhere");
            ServerError refused = inbox.nextError();
            assertEquals("unauthorized", refused.code());
            assertEquals("elsewhere", refused.target());

            client.refresh(Tokens.channels("carol", Duration.ofHours(2), "team:a"));
            assertEquals("team:b", inbox.unsubscribed.poll(10, TimeUnit.SECONDS), "the narrower token ends team:b");
            server.publish("{\"topic\":\"channel:team:b\",\"event_type\":\"gone\"}");
            server.publish("{\"topic\":\"channel:team:a\",\"event_type\":\"still\"}");
            assertEquals("still", inbox.nextEvent().type());
            assertEquals(List.of(), List.copyOf(inbox.errors));
        }
    }
}
