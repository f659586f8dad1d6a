package io.herald;

import io.herald.auth.JwtKeys;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The {@code token} subcommand signs what the README says it takes, {@code --sid} included (§12 sessions). */
class TokenCommandTest {
    @Test
    void theTokenCarriesEveryOptionGiven() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream was = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Herald.token(new String[] {"--sub", "alice", "--shares", "s1,s2", "--sid", "sess-7",
                    "--roles=publisher", "--ttl", "10m", "--jwt-secret=" + TestServer.SECRET}));
        } finally {
            System.setOut(was);
        }
        Principal p = new TokenVerifier(JwtKeys.hmac(TestServer.SECRET), null, null, 0, Clock.systemUTC())
                .verify(out.toString(StandardCharsets.UTF_8).trim());
        assertEquals("alice", p.subject());
        assertEquals(List.of("s1", "s2"), List.copyOf(p.shares()));
        assertEquals(Set.of("publisher"), p.roles());
        assertEquals("sess-7", p.session());
    }
}
