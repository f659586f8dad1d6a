package io.herald.config;

import io.herald.logging.LogFormat;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * Reads configuration in the order of PROTOCOL.md §1: environment ({@code HERALD_*}), then the optional
 * {@code --config FILE} (Java properties, keys as in the environment or as flags), then {@code --key=value}
 * flags. Later sources win. Unknown keys and bad values throw {@link ConfigException} naming the key.
 */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    /** The result of reading the command line: the configuration plus the arguments that were not options. */
    public record Loaded(HeraldConfig config, List<String> rest) {
    }

    public static Loaded load(Map<String, String> env, String[] args) {
        EnumMap<ConfigKey, String> values = new EnumMap<>(ConfigKey.class);
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().startsWith("HERALD_")) {
                values.put(known(e.getKey(), "environment variable "), e.getValue());
            }
        }
        List<String> rest = new ArrayList<>();
        EnumMap<ConfigKey, String> flags = new EnumMap<>(ConfigKey.class);
        Path file = null;
        List<String> list = Arrays.asList(args);
        for (int i = 0; i < list.size(); i++) {
            String a = list.get(i);
            if (a.equals("--config") || a.startsWith("--config=")) {
                String f = a.equals("--config") ? (i + 1 < list.size() ? list.get(++i) : null) : a.substring(9);
                if (f == null || f.isEmpty()) {
                    throw new ConfigException("--config: needs a file name");
                }
                file = Path.of(f);
            } else if (a.startsWith("--") && a.indexOf('=') > 2) {
                int eq = a.indexOf('=');
                flags.put(known(a.substring(2, eq), "flag --"), a.substring(eq + 1));
            } else {
                rest.add(a);
            }
        }
        if (file != null) {
            values.putAll(readFile(file));
        }
        values.putAll(flags);
        return new Loaded(fromValues(values), List.copyOf(rest));
    }

    private static ConfigKey known(String name, String where) {
        ConfigKey k = ConfigKey.lookup(name);
        if (k == null) {
            throw new ConfigException("unknown configuration key in " + where + name);
        }
        return k;
    }

    private static Map<ConfigKey, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new ConfigException("--config: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        EnumMap<ConfigKey, String> out = new EnumMap<>(ConfigKey.class);
        for (String name : p.stringPropertyNames()) {
            out.put(known(name, file + ": "), p.getProperty(name));
        }
        return out;
    }

    static HeraldConfig fromValues(Map<ConfigKey, String> given) {
        EnumMap<ConfigKey, String> v = new EnumMap<>(ConfigKey.class);
        for (ConfigKey k : ConfigKey.values()) {
            String s = given.get(k);
            if (s != null && s.isBlank() && (k == ConfigKey.JWT_SECRET || k == ConfigKey.JWT_PUBLIC_KEY)) {
                // An empty key is a broken deployment, not a request for development mode.
                throw new ConfigException(k.envName() + ": set but empty");
            }
            if (s == null || s.isBlank()) {
                s = k.defaultValue();
            }
            v.put(k, s == null ? null : s.trim());
        }
        return new HeraldConfig(
                v.get(ConfigKey.BIND),
                parse(v, ConfigKey.PORT, Integer::parseInt),
                v.get(ConfigKey.JWT_SECRET),
                parse(v, ConfigKey.JWT_PUBLIC_KEY, Path::of),
                v.get(ConfigKey.JWT_ISSUER),
                v.get(ConfigKey.JWT_AUDIENCE),
                parse(v, ConfigKey.JWT_LEEWAY, Durations::parse),
                v.get(ConfigKey.BROKER),
                given.containsKey(ConfigKey.REDIS_PREFIX) && given.get(ConfigKey.REDIS_PREFIX) != null
                        ? given.get(ConfigKey.REDIS_PREFIX) : ConfigKey.REDIS_PREFIX.defaultValue(),
                v.get(ConfigKey.INSTANCE_ID),
                parse(v, ConfigKey.SEND_BUFFER, Integer::parseInt),
                parse(v, ConfigKey.IDLE_TIMEOUT, Durations::parse),
                parse(v, ConfigKey.MAX_FRAME, Integer::parseInt),
                parse(v, ConfigKey.ALLOWED_ORIGINS, ConfigLoader::commaList),
                parse(v, ConfigKey.TLS_CERT, Path::of),
                parse(v, ConfigKey.TLS_KEY, Path::of),
                parse(v, ConfigKey.DRAIN, Durations::parse),
                parse(v, ConfigKey.MAX_CONNECTIONS, Integer::parseInt),
                parse(v, ConfigKey.SOCKETIO_CONFORMANCE, ConfigLoader::bool),
                parse(v, ConfigKey.HISTORY_SIZE, Integer::parseInt),
                parse(v, ConfigKey.HISTORY_TTL, Durations::parse),
                parse(v, ConfigKey.SOCKETIO_RECOVERY, ConfigLoader::bool),
                parse(v, ConfigKey.AUTH_PROXY, java.net.URI::create),
                parse(v, ConfigKey.AUTH_PROXY_HEADERS, ConfigLoader::commaList),
                parse(v, ConfigKey.AUTH_PROXY_TIMEOUT, Durations::parse),
                parse(v, ConfigKey.AUTH_PROXY_CACHE, Durations::parse),
                v.get(ConfigKey.SOCKETIO_ADAPTER),
                parse(v, ConfigKey.COMPRESSION, ConfigLoader::bool),
                parse(v, ConfigKey.LOG_FORMAT, LogFormat::parse));
    }

    private static <T> T parse(Map<ConfigKey, String> v, ConfigKey key, Function<String, T> parser) {
        String s = v.get(key);
        if (s == null) {
            return null;
        }
        try {
            return parser.apply(s);
        } catch (RuntimeException e) {
            String why = e instanceof NumberFormatException ? "not a number" : e.getMessage();
            throw new ConfigException(key.envName() + ": bad value (" + why + ")");
        }
    }

    private static boolean bool(String s) {
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "true": case "1": case "yes": case "on": return true;
            case "false": case "0": case "no": case "off": return false;
            default: throw new IllegalArgumentException("expected true or false");
        }
    }

    private static List<String> commaList(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }
}
