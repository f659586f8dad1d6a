package io.herald.protocol;

import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The topic names of one connection ({@link Connection#topics()}). Most connections hold a handful (realtime:
 * {@code user:}, {@code broadcast} and a share or two), so up to {@link #SMALL} names live in a plain array,
 * compared by {@code equals}: 56 bytes of heap for three names against about 190 for a {@code HashSet}. A
 * connection with more topics (a sync token naming many shares) moves to a {@code HashSet} for good.
 *
 * <p>Not thread-safe, like the connection it belongs to. Iterators are fail-fast and support {@code remove}.
 * Null names are refused.
 */
final class TopicSet extends AbstractSet<String> {
    /** Names kept in the array; past this a hash set takes over. */
    static final int SMALL = 8;
    private static final String[] NONE = new String[0];

    private String[] names = NONE;
    private int size;
    private int modCount;
    /** Non-null once the set outgrew the array; then it holds everything. */
    private Set<String> large;

    @Override
    public int size() {
        return large != null ? large.size() : size;
    }

    @Override
    public boolean contains(Object o) {
        if (large != null) {
            return large.contains(o);
        }
        return indexOf(o) >= 0;
    }

    @Override
    public boolean add(String name) {
        if (name == null) {
            throw new NullPointerException("topic name");
        }
        if (large != null) {
            return large.add(name);
        }
        if (indexOf(name) >= 0) {
            return false;
        }
        if (size == SMALL) {
            large = new HashSet<>(this);
            large.add(name);
            names = NONE;
            size = 0;
            modCount++;
            return true;
        }
        if (size == names.length) {
            names = Arrays.copyOf(names, size == 0 ? 4 : SMALL);
        }
        names[size++] = name;
        modCount++;
        return true;
    }

    @Override
    public boolean remove(Object o) {
        if (large != null) {
            return large.remove(o);
        }
        int i = indexOf(o);
        if (i < 0) {
            return false;
        }
        removeAt(i);
        return true;
    }

    @Override
    public void clear() {
        large = null;
        names = NONE;
        size = 0;
        modCount++;
    }

    @Override
    public Iterator<String> iterator() {
        return large != null ? large.iterator() : new ArrayIterator();
    }

    private int indexOf(Object o) {
        if (o == null) {
            return -1;
        }
        for (int i = 0; i < size; i++) {
            if (o.equals(names[i])) {
                return i;
            }
        }
        return -1;
    }

    private void removeAt(int i) {
        int after = size - i - 1;
        if (after > 0) {
            System.arraycopy(names, i + 1, names, i, after);
        }
        names[--size] = null;
        modCount++;
    }

    private final class ArrayIterator implements Iterator<String> {
        private int next;
        private int last = -1;
        private int expectedModCount = modCount;

        @Override
        public boolean hasNext() {
            return next < size;
        }

        @Override
        public String next() {
            if (modCount != expectedModCount) {
                throw new ConcurrentModificationException();
            }
            if (next >= size) {
                throw new NoSuchElementException();
            }
            last = next++;
            return names[last];
        }

        @Override
        public void remove() {
            if (last < 0) {
                throw new IllegalStateException();
            }
            if (modCount != expectedModCount) {
                throw new ConcurrentModificationException();
            }
            removeAt(last);
            next = last;
            last = -1;
            expectedModCount = modCount;
        }
    }
}
