package io.herald.transport;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §8.5 origin rules, including the scheme of the default same-origin rule. */
class OriginPolicyTest {

    static HttpRequest upgrade(String host, String origin) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ws");
        r.headers().set("Host", host);
        if (origin != null) {
            r.headers().set("Origin", origin);
        }
        return r;
    }

    @Test
    void byDefaultOnlyTheServersOwnOriginWithItsScheme() {
        OriginPolicy plain = new OriginPolicy(List.of(), false);
        assertTrue(plain.allows(upgrade("h:8080", null)), "no Origin: not a browser");
        assertTrue(plain.allows(upgrade("h:8080", "http://h:8080")));
        assertTrue(plain.allows(upgrade("h", "http://h")), "default port on both sides");
        assertFalse(plain.allows(upgrade("h:8080", "https://h:8080")), "another scheme is another origin");
        assertFalse(plain.allows(upgrade("h:8080", "http://h:8081")));
        assertFalse(plain.allows(upgrade("h:8080", "http://evil.example:8080")));
        assertFalse(plain.allows(upgrade("h:8080", "null")));

        OriginPolicy tls = new OriginPolicy(List.of(), true);
        assertTrue(tls.allows(upgrade("h", "https://h")));
        assertTrue(tls.allows(upgrade("h:443", "https://h")));
        assertFalse(tls.allows(upgrade("h:443", "http://h:443")), "a plain-text page may not use the TLS port");
    }

    @Test
    void anAllowListReplacesTheDefault() {
        OriginPolicy list = new OriginPolicy(List.of("https://app.example", "HTTP://Other.example/"), false);
        assertTrue(list.allows(upgrade("h:8080", "https://app.example")));
        assertTrue(list.allows(upgrade("h:8080", "http://other.example")), "compared case-insensitively, trailing slash ignored");
        assertFalse(list.allows(upgrade("h:8080", "http://h:8080")), "the server's own origin is not implied");
        assertTrue(new OriginPolicy(List.of("*"), false).allows(upgrade("h:8080", "http://anything.example")));
    }
}
