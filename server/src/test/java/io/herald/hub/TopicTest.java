package io.herald.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicTest {
    // §3: an id is 1–200 characters
    @Test
    void idLengthIsOneTo200() {
        assertTrue(Topic.isValidId("a"));
        assertTrue(Topic.isValidId("a".repeat(200)));
        assertFalse(Topic.isValidId("a".repeat(201)));
        assertFalse(Topic.isValidId(""));
        assertFalse(Topic.isValidId(null));
    }

    // §3: A-Z a-z 0-9 and _ . : @ ~ - are allowed
    @ParameterizedTest
    @ValueSource(strings = {"AZaz09", "a_b", "a.b", "a:b", "a@b", "a~b", "a-b", "_.:@~-"})
    void allowedCharacters(String id) {
        assertTrue(Topic.isValidId(id));
    }

    // §3: nothing else is allowed
    @ParameterizedTest
    @ValueSource(strings = {"a b", "a/b", "a*", "a#b", "a+b", "a!b", "a,b", "a\"b", "é", "a\nb", "a\u0000b", "😀", "a%20"})
    void otherCharactersAreRefused(String id) {
        assertFalse(Topic.isValidId(id));
    }

    // §3: the five topic families
    @Test
    void parsesEveryFamily() {
        assertEquals(new Topic(Topic.Kind.SHARE, "s1", "share:s1"), Topic.parse("share:s1"));
        assertEquals(new Topic(Topic.Kind.DEVICE, "d1", "device:d1"), Topic.parse("device:d1"));
        assertEquals(new Topic(Topic.Kind.USER, "u@x", "user:u@x"), Topic.parse("user:u@x"));
        assertEquals(new Topic(Topic.Kind.CHANNEL, "conversation:conv-123", "channel:conversation:conv-123"),
                Topic.parse("channel:conversation:conv-123"));
        assertSame(Topic.BROADCAST, Topic.parse("broadcast"));
    }

    // §3: the factories name the same topics
    @Test
    void factoriesMatchParse() {
        assertEquals(Topic.parse("share:s1"), Topic.share("s1"));
        assertEquals(Topic.parse("channel:c.1"), Topic.channel("c.1"));
        assertThrows(IllegalArgumentException.class, () -> Topic.user("a b"));
    }

    // §3: the id part follows the id rules
    @Test
    void idLimitsApplyInsideTopics() {
        assertEquals("x".repeat(200), Topic.parse("device:" + "x".repeat(200)).id());
        assertNull(Topic.parse("device:" + "x".repeat(201)));
    }

    // §3: anything else is not a topic
    @ParameterizedTest
    @ValueSource(strings = {"share:", "share:a b", "nope:x", "Share:x", "BROADCAST", "broadcast:x", "broadcast ",
            "share", "", "user:a/b"})
    void otherNamesAreRefused(String name) {
        assertNull(Topic.parse(name));
    }

    @Test
    void nullIsNotATopic() {
        assertNull(Topic.parse(null));
    }
}
