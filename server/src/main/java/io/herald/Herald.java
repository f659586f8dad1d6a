package io.herald;

import io.herald.auth.TokenIssuer;
import io.herald.cli.ListenCommand;
import io.herald.config.ConfigException;
import io.herald.config.ConfigLoader;
import io.herald.config.Durations;
import io.herald.config.HeraldConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar herald.jar [--config FILE] [--key=value ...]} serves (§1);
 * {@code java -jar herald.jar token --sub alice --shares s1,s2 ... [--ttl 1h]} prints a signed token;
 * {@code java -jar herald.jar listen URL [--send JSON]...} is a small WebSocket client for trying it out.
 */
public final class Herald {
    private static final Logger log = LoggerFactory.getLogger(Herald.class);
    private static final Set<String> TOKEN_OPTIONS = Set.of("sub", "shares", "devices", "channels", "roles", "ttl", "sid");

    private Herald() {
    }

    public static void main(String[] args) {
        try {
            if (args.length > 0 && args[0].equals("token")) {
                System.exit(token(Arrays.copyOfRange(args, 1, args.length)));
            }
            if (args.length > 0 && args[0].equals("listen")) {
                System.exit(ListenCommand.run(Arrays.copyOfRange(args, 1, args.length)));
            }
            serve(args);
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("herald: " + e.getMessage());
            System.exit(2);
        } catch (IllegalStateException e) {
            System.err.println("herald: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            System.exit(130);
        }
    }

    private static void serve(String[] args) {
        ConfigLoader.Loaded loaded = ConfigLoader.load(System.getenv(), args);
        if (!loaded.rest().isEmpty()) {
            throw new ConfigException("unexpected argument '" + loaded.rest().get(0) + "' (options are --key=value)");
        }
        HeraldConfig config = loaded.config();
        String devTokens = null;
        if (config.developmentMode()) {
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            config = config.withJwtSecret(HexFormat.of().formatHex(secret));
            devTokens = developmentTokens(new TokenIssuer(config.jwtSecret()));
        }
        Gateway gateway = devTokens != null ? Gateway.startWithGeneratedKey(config) : Gateway.start(config);
        if (devTokens != null) {
            log.warn("development mode: no HERALD_JWT_SECRET or HERALD_JWT_PUBLIC_KEY set; tokens are signed with a "
                    + "random secret that dies with this process. Never run like this in production.");
            // Printed, not logged: tokens never reach a log (§2).
            System.out.print(devTokens);
            System.out.flush();
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down");
            gateway.close();
            stopped.countDown();
        }, "herald-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String developmentTokens(TokenIssuer issuer) {
        Duration ttl = Duration.ofHours(24);
        String user = issuer.issue("demo", List.of("demo"), List.of("demo-device"), List.of("demo:*"), List.of(), ttl);
        String publisher = issuer.issue("demo-publisher", List.of(), List.of(), List.of(),
                List.of("publisher", "admin"), ttl);
        return "\nDevelopment tokens (valid 24h):\n"
                + "  user demo (shares demo, devices demo-device):\n"
                + "export DEMO_USER_TOKEN=" + user + "\n"
                + "  publisher demo-publisher (roles publisher, admin):\n"
                + "export DEMO_PUBLISHER_TOKEN=" + publisher + "\n\n";
    }

    /** The {@code token} subcommand: signs with the configured HMAC secret and prints the token alone. */
    static int token(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        List<String> configArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name = a.startsWith("--") ? a.substring(2) : "";
            int eq = name.indexOf('=');
            String key = eq >= 0 ? name.substring(0, eq) : name;
            if (TOKEN_OPTIONS.contains(key)) {
                String value = eq >= 0 ? name.substring(eq + 1) : (i + 1 < args.length ? args[++i] : null);
                if (value == null) {
                    throw new ConfigException("token: --" + key + " needs a value");
                }
                opts.put(key, value);
            } else {
                configArgs.add(a);
            }
        }
        ConfigLoader.Loaded loaded = ConfigLoader.load(System.getenv(), configArgs.toArray(new String[0]));
        if (!loaded.rest().isEmpty()) {
            throw new ConfigException("token: unexpected argument '" + loaded.rest().get(0)
                    + "' (use --sub, --shares, --devices, --channels, --roles, --sid, --ttl)");
        }
        HeraldConfig config = loaded.config();
        if (config.jwtSecret() == null) {
            throw new ConfigException("token: set HERALD_JWT_SECRET (the server's HMAC secret) to sign tokens");
        }
        String sub = opts.get("sub");
        if (sub == null || sub.isBlank()) {
            throw new ConfigException("token: --sub is required");
        }
        Duration ttl;
        try {
            ttl = Durations.parse(opts.getOrDefault("ttl", "1h"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("token: --ttl: " + e.getMessage());
        }
        System.out.println(new TokenIssuer(config.jwtSecret()).issue(sub, list(opts.get("shares")),
                list(opts.get("devices")), list(opts.get("channels")), list(opts.get("roles")), opts.get("sid"), ttl));
        return 0;
    }

    private static List<String> list(String csv) {
        List<String> out = new ArrayList<>();
        if (csv != null) {
            for (String s : csv.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }
}
