package io.herald.auth;

import io.herald.config.ConfigException;
import io.herald.config.ConfigKey;
import io.jsonwebtoken.security.Keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** Turns the configured secret or PEM file into the key jjwt verifies with (§1, §2). */
public final class JwtKeys {
    private JwtKeys() {
    }

    public static Key hmac(String secret) {
        return Keys.hmacShaKeyFor(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a {@code -----BEGIN PUBLIC KEY-----} PEM file holding an RSA, EC or Ed25519 key. */
    public static PublicKey publicKey(Path pem) {
        String text;
        try {
            text = Files.readString(pem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigException(ConfigKey.JWT_PUBLIC_KEY.envName() + ": cannot read " + pem);
        }
        int begin = text.indexOf("-----BEGIN PUBLIC KEY-----");
        int end = text.indexOf("-----END PUBLIC KEY-----");
        if (begin < 0 || end < begin) {
            throw new ConfigException(ConfigKey.JWT_PUBLIC_KEY.envName() + ": expected a PEM 'PUBLIC KEY' block");
        }
        String b64 = text.substring(begin + "-----BEGIN PUBLIC KEY-----".length(), end).replaceAll("\\s", "");
        byte[] der;
        try {
            der = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(ConfigKey.JWT_PUBLIC_KEY.envName() + ": PEM body is not base64");
        }
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (Exception ignored) {
                // try the next family
            }
        }
        throw new ConfigException(ConfigKey.JWT_PUBLIC_KEY.envName() + ": not an RSA, EC or Ed25519 public key");
    }
}
