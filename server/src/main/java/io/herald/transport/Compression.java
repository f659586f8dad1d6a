package io.herald.transport;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionUtil;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;

import java.util.List;
import java.util.Map;

/**
 * RFC 7692 permessage-deflate negotiation for one upgrade ({@code HERALD_COMPRESSION}, on by default).
 *
 * <p>Herald accepts the first {@code permessage-deflate} offer it can honour and always answers
 * {@code server_no_context_takeover} (§7.1.1.1 lets a server add it unasked): each server message is compressed
 * alone, so one compressed copy of an event serves every subscriber ({@link io.herald.protocol.DeflatedFrames}). A
 * client that offers {@code client_no_context_takeover} gets it, and its inflater is let go after each message rather
 * than held for the connection (about 8 KB each, measured). Herald does not ask it of clients that did not offer it,
 * although §7.1.1.2 would allow that: Netty's own client (and others) refuse the handshake when it comes unasked.
 * An offer that limits the server's window ({@code server_max_window_bits}) is declined, since the JDK's compressor
 * always uses the full window, as is one with a parameter Herald does not know; a client without an acceptable offer
 * is served plain. Inbound compressed messages are inflated by Netty's decoder, bounded to {@code maxMessage} bytes
 * inflated: a compression bomb ends the connection with 1009 like any message over the limit (§8.4).
 */
final class Compression {
    /** What was agreed: the 101's {@code Sec-WebSocket-Extensions} value and the inbound inflater. */
    record Agreed(String responseHeader, WebSocketExtensionDecoder inflater) {
    }

    private Compression() {
    }

    /** The agreement for a request's offers, or null to go without the extension. */
    static Agreed negotiate(HttpHeaders request, int maxMessage) {
        List<String> offered = request.getAll(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS);
        if (offered.isEmpty()) {
            return null;
        }
        List<WebSocketExtensionData> offers;
        try {
            offers = WebSocketExtensionUtil.extractExtensions(String.join(",", offered));
        } catch (RuntimeException malformed) {
            return null; // an offer Herald cannot read is an offer it does not take
        }
        // level: Netty's own encoder is never used (events are compressed once, by DeflatedFrames)
        PerMessageDeflateServerExtensionHandshaker handshaker = new PerMessageDeflateServerExtensionHandshaker(
                6, false, PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE, true, true, maxMessage);
        for (WebSocketExtensionData offer : offers) {
            WebSocketServerExtension ext;
            try {
                ext = handshaker.handshakeExtension(offer);
            } catch (RuntimeException bad) {
                continue; // say a window size that is not a number
            }
            if (ext != null) {
                return new Agreed(header(ext.newReponseData()), ext.newExtensionDecoder());
            }
        }
        return null;
    }

    private static String header(WebSocketExtensionData agreed) {
        StringBuilder b = new StringBuilder(agreed.name()).append("; server_no_context_takeover");
        for (Map.Entry<String, String> p : agreed.parameters().entrySet()) {
            if (!"server_no_context_takeover".equals(p.getKey())) {
                b.append("; ").append(p.getKey());
                if (p.getValue() != null) {
                    b.append('=').append(p.getValue());
                }
            }
        }
        return b.toString();
    }
}
