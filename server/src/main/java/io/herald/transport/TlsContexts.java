package io.herald.transport;

import io.herald.config.ConfigException;
import io.herald.config.ConfigKey;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.nio.file.Path;

/** §1 TLS: PEM certificate chain and key; OpenSSL (BoringSSL via netty-tcnative) where available, JDK TLS otherwise. */
public final class TlsContexts {
    private TlsContexts() {
    }

    public static SslContext server(Path certificate, Path key) {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        try {
            return SslContextBuilder.forServer(certificate.toFile(), key.toFile())
                    .sslProvider(provider)
                    .build();
        } catch (Exception e) {
            throw new ConfigException(ConfigKey.TLS_CERT.envName() + "/" + ConfigKey.TLS_KEY.envName()
                    + ": cannot load the PEM certificate and key (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** "openssl" or "jdk", for the start-up line. */
    public static String provider(SslContext context) {
        return context.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT).contains("openssl") ? "openssl" : "jdk";
    }
}
