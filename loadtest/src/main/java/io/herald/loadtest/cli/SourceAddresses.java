package io.herald.loadtest.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code --source-addresses}: an IPv4 range {@code 127.0.0.1-127.0.0.8}, a comma list, or both mixed.
 * Each address gives the clients another ephemeral port range towards the same server (about 28k on Linux).
 */
final class SourceAddresses {
    static final int MAX_ADDRESSES = 1024;

    private SourceAddresses() {
    }

    static List<InetAddress> parse(String spec) {
        List<InetAddress> out = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        for (String part : spec.split(",")) {
            String p = part.trim();
            int dash = p.indexOf('-');
            if (dash < 0) {
                out.add(address(p));
                continue;
            }
            long from = ipv4(p.substring(0, dash).trim());
            long to = ipv4(p.substring(dash + 1).trim());
            if (to < from || to - from >= MAX_ADDRESSES) {
                throw new IllegalArgumentException("--source-addresses " + p + ": an increasing range of at most "
                        + MAX_ADDRESSES + " addresses");
            }
            for (long a = from; a <= to; a++) {
                out.add(address(((a >> 24) & 255) + "." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255)));
            }
        }
        if (out.size() > MAX_ADDRESSES) {
            throw new IllegalArgumentException("--source-addresses: at most " + MAX_ADDRESSES + " addresses");
        }
        return out;
    }

    private static long ipv4(String s) {
        String[] parts = s.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("--source-addresses: '" + s + "' is not an IPv4 address");
        }
        long v = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                octet = -1;
            }
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("--source-addresses: '" + s + "' is not an IPv4 address");
            }
            v = v << 8 | octet;
        }
        return v;
    }

    private static InetAddress address(String literal) {
        try {
            // a literal never triggers a lookup; reject names so nothing resolves through DNS
            if (!literal.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                throw new IllegalArgumentException("--source-addresses: '" + literal + "' is not an IP address");
            }
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--source-addresses: '" + literal + "' is not an IP address");
        }
    }
}
