package io.herald.protocol;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connection's topic set behaves as a {@code Set}, small or grown past the array. */
class TopicSetTest {

    @Test
    void addsRemovesAndFindsByValue() {
        TopicSet s = new TopicSet();
        assertTrue(s.isEmpty());
        assertTrue(s.add("user:u"));
        assertTrue(s.add("broadcast"));
        assertTrue(s.add("share:s1"));
        assertFalse(s.add(new String("share:s1")), "equal, not only identical, names are one");
        assertEquals(3, s.size());
        assertTrue(s.contains(new String("broadcast")));
        assertFalse(s.contains("share:s2"));
        assertFalse(s.contains(null));
        assertTrue(s.remove("broadcast"));
        assertFalse(s.remove("broadcast"));
        assertFalse(s.remove(null));
        assertEquals(Set.of("user:u", "share:s1"), s);
        assertEquals(List.of("user:u", "share:s1"), new ArrayList<>(s), "insertion order while small");
        assertThrows(NullPointerException.class, () -> s.add(null));
        s.clear();
        assertTrue(s.isEmpty());
        assertTrue(s.add("share:s1"));
        assertEquals(Set.of("share:s1"), s);
    }

    @Test
    void growsPastTheArrayAndStaysASet() {
        TopicSet s = new TopicSet();
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 3 * TopicSet.SMALL; i++) {
            assertTrue(s.add("share:s" + i));
            expected.add("share:s" + i);
            assertFalse(s.add("share:s" + i));
            assertEquals(expected, s);
            assertEquals(expected.hashCode(), s.hashCode());
        }
        for (int i = 0; i < 3 * TopicSet.SMALL; i += 2) {
            assertTrue(s.remove("share:s" + i));
            expected.remove("share:s" + i);
        }
        assertEquals(expected, s);
        assertTrue(s.contains("share:s1"));
        s.clear();
        assertEquals(0, s.size());
        assertFalse(s.contains("share:s1"));
        assertTrue(s.add("user:u"));
        assertEquals(Set.of("user:u"), s);
    }

    @Test
    void iteratorRemovesAndFailsFast() {
        TopicSet s = new TopicSet();
        s.addAll(List.of("a", "b", "c", "d"));
        Iterator<String> it = s.iterator();
        while (it.hasNext()) {
            String n = it.next();
            if (n.equals("b") || n.equals("d")) {
                it.remove();
            }
        }
        assertEquals(List.of("a", "c"), new ArrayList<>(s));
        Iterator<String> it2 = s.iterator();
        assertThrows(IllegalStateException.class, it2::remove);
        it2.next();
        s.add("e");
        assertThrows(ConcurrentModificationException.class, it2::next);
        assertTrue(s.removeIf(n -> n.equals("a")));
        assertEquals(List.of("c", "e"), new ArrayList<>(s));
    }
}
