package io.herald.client;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.herald.client.ConnectionState.CONNECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The channels dialect (§6) against a scripted server (ChannelsE2ETest runs it against Herald itself): commands with
 * ids, error answers matched to their channel, events, {@code refresh}, and re-subscription after a restart of
 * every channel still allowed.
 */
class ChannelsClientTest {
    private static final Pattern COMMAND = Pattern.compile(
            "\\{\"type\":\"(\\w+)\",\"id\":(\\d+),\"data\":\\{\"(?:channel|token)\":\"([^\"]*)\"}}");

    /** Plays §6: channels named denied-* are refused; a refresh takes c2 away. */
    private static final Function<String, List<String>> SCRIPT = text -> {
        if (text.equals(ChannelsDialect.PING)) {
            return List.of("{\"type\":\"pong\",\"data\":{}}");
        }
        Matcher m = COMMAND.matcher(text);
        if (!m.matches()) {
            return List.of("{\"type\":\"error\",\"data\":{\"code\":\"invalid_request\",\"message\":\"bad\"}}");
        }
        String type = m.group(1);
        String id = m.group(2);
        String arg = m.group(3);
        return switch (type) {
            case "subscribe" -> arg.startsWith("denied")
                    ? List.of("{\"type\":\"error\",\"id\":" + id + ",\"data\":{\"code\":\"unauthorized\",\"message\":\"channel not allowed\"}}")
                    : List.of("{\"type\":\"subscribed\",\"id\":" + id + ",\"data\":{\"channel\":\"" + arg + "\"}}",
                    "{\"type\":\"message\",\"channel\":\"" + arg + "\",\"data\":{\"text\":\"hello " + arg + "\"},\"timestamp\":\"t\"}");
            case "unsubscribe" -> List.of("{\"type\":\"unsubscribed\",\"id\":" + id + ",\"data\":{\"channel\":\"" + arg + "\"}}");
            case "refresh" -> List.of("{\"type\":\"refreshed\",\"id\":" + id + ",\"data\":{\"expires_at\":\"x\"}}",
                    "{\"type\":\"unsubscribed\",\"data\":{\"channel\":\"c2\"}}");
            default -> List.of();
        };
    };

    private static final String GREETING = "{\"type\":\"connected\",\"data\":{\"user_id\":\"carol\",\"expires_at\":\"x\"}}";

    /** Client frames the server received, up to and including the one naming {@code marker}. */
    private static List<String> receivedUntil(FakeWebSocketServer server, String marker) throws InterruptedException {
        List<String> out = new ArrayList<>();
        while (true) {
            String f = server.poll(10_000);
            assertNotNull(f, "no frame naming " + marker + " after " + out);
            out.add(f);
            if (f.contains("\"" + marker + "\"")) {
                return out;
            }
        }
    }

    @Test
    void commandsRepliesEventsRefreshAndResubscriptionAfterARestart() throws Exception {
        int port = Ports.free();
        FakeWebSocketServer server = FakeWebSocketServer.scripted(port, ChannelsDialect.PATH, List.of(GREETING), SCRIPT);
        StateRecorder states = new StateRecorder();
        ClientOptions options = ClientOptions.builder().reconnectBaseDelay(Duration.ofMillis(50)).reconnectJitter(0).build();
        try (ChannelsClient client = HeraldClient.channels(URI.create("ws://127.0.0.1:" + port), () -> "tok", options)) {
            client.addStateListener(states);
            Inbox inbox = Inbox.on(client);
            client.subscribe("c1");
            client.subscribe("c2");
            client.subscribe("denied-x");
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(List.of(
                    "{\"type\":\"subscribe\",\"id\":1,\"data\":{\"channel\":\"c1\"}}",
                    "{\"type\":\"subscribe\",\"id\":2,\"data\":{\"channel\":\"c2\"}}",
                    "{\"type\":\"subscribe\",\"id\":3,\"data\":{\"channel\":\"denied-x\"}}"), receivedUntil(server, "denied-x"));
            assertEquals(List.of("c1"), inbox.nextSubscribed());
            assertEquals(new HeraldEvent("message", null, "c1", "{\"text\":\"hello c1\"}"), inbox.nextEvent());
            assertEquals(List.of("c2"), inbox.nextSubscribed());
            assertEquals(new HeraldEvent("message", null, "c2", "{\"text\":\"hello c2\"}"), inbox.nextEvent());
            assertEquals(new ServerError("unauthorized", "denied-x", "channel not allowed", "3"), inbox.nextError(),
                    "§6 errors name no channel: the client finds it by the command's id");

            client.refresh("new-token");
            assertEquals("{\"type\":\"refresh\",\"id\":4,\"data\":{\"token\":\"new-token\"}}", server.poll(10_000));
            assertEquals("c2", Inbox.next(inbox.unsubscribed, "unsubscribed"), "§6: the refresh no longer allows c2");
            client.subscribe("c3");
            receivedUntil(server, "c3");
            assertEquals(List.of("c3"), inbox.nextSubscribed());
            assertEquals(Set.of("c1", "c3"), client.subscriptions(), "refused and revoked channels are dropped");

            server.close(); // closes each connection with 1000
            server = FakeWebSocketServer.scripted(port, ChannelsDialect.PATH, List.of(GREETING), SCRIPT);
            states.awaitCount(CONNECTED, 2);
            client.subscribe("marker"); // sent after whatever the reconnect sent
            List<String> resent = receivedUntil(server, "marker");
            assertEquals(3, resent.size(), String.valueOf(resent));
            assertEquals(Set.of("{\"type\":\"subscribe\",\"id\":6,\"data\":{\"channel\":\"c1\"}}",
                    "{\"type\":\"subscribe\",\"id\":7,\"data\":{\"channel\":\"c3\"}}"), Set.copyOf(resent.subList(0, 2)));
            assertEquals(Disconnect.closedByServer(1000, "Bye"), states.entries().get(2).change().disconnect());
        } finally {
            server.close();
        }
    }
}
