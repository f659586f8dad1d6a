package io.herald.loadtest;

import io.herald.loadtest.cli.ChaosCommand;
import io.herald.loadtest.cli.ConnectionsCommand;
import io.herald.loadtest.cli.FanoutCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar herald-loadtest.jar fanout|connections|chaos [options]}: load generator for Herald and its
 * peer servers. Exit codes: 0 pass, 1 the run found a problem (gaps, errors, clients that did not connect),
 * 2 bad options, 3 the tool itself failed.
 */
@Command(name = "herald-loadtest", mixinStandardHelpOptions = true, versionProvider = LoadTest.Version.class,
        description = "Load generator for Herald (and peer servers): fan-out latency, connection capacity, chaos.",
        subcommands = {FanoutCommand.class, ConnectionsCommand.class, ChaosCommand.class, CommandLine.HelpCommand.class})
public final class LoadTest implements Runnable {
    public static final int EXIT_FOUND_PROBLEM = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_CRASH = 3;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "choose a subcommand: fanout, connections or chaos");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line in this JVM and returns its exit code (tests call this). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LoadTest());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                // validation of option combinations, after parsing: like a picocli usage error
                line.getErr().println("herald-loadtest: " + e.getMessage());
                return EXIT_USAGE;
            }
            line.getErr().println("herald-loadtest: failed: " + e);
            e.printStackTrace(line.getErr());
            return EXIT_CRASH;
        });
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = LoadTest.class.getPackage().getImplementationVersion();
            return new String[] {"herald-loadtest " + (v != null ? v : "dev")};
        }
    }
}
