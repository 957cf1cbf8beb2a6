package io.tributary.cli;

import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.result.ResultWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code tributary}: the worker CLI. Every user command is listed here; each lives in its own class. */
@Command(
        name = "tributary",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        versionProvider = TributaryCommand.Version.class,
        description = {
            "Tributary worker: moves and verifies data for the Tributary migration DAGs.",
            "Logs go to stderr; the last stdout line is the JSON result (Airflow XCom).",
            "Connections are named by id; the URI comes from TRIBUTARY_CONN_<ID> (libpq form)."
        },
        subcommands = {
            ValidateConfigCommand.class,
            ChecksumCommand.class,
            CopyCommand.class,
            DiffCommand.class,
            StatusCommand.class,
            DiscoverCommand.class,
            ConflictsCommand.class,
            ResolveCommand.class,
            ArchiveCommand.class,
            RestoreCommand.class,
            CatalogCommand.class,
            StageCommand.class,
            LoadCommand.class,
            SchemaCommand.class,
            FollowCommand.class,
            CommandLine.HelpCommand.class
        },
        commandListHeading = "%nCommands:%n",
        footerHeading = "%nEnvironment:%n",
        footer = {
            "  TRIBUTARY_CONN_<ID>    libpq URI of connection <id>, e.g. postgresql://user:pw@host:5432/db",
            "  TRIBUTARY_CONFIG       default for --config",
            "  TRIBUTARY_PUSHGATEWAY  host:port of a Prometheus Pushgateway (metrics are pushed when set)",
            "  TRIBUTARY_LOG_LEVEL    DEBUG, INFO (default), WARN or ERROR",
            "  TRIBUTARY_ACTOR        who to record in the audit log (default: Airflow DAG or OS user)"
        })
public final class TributaryCommand implements Callable<Integer> {

    private final WorkerContext context;

    @Spec
    CommandSpec spec;

    @Option(names = "--result-file", paramLabel = "PATH", scope = ScopeType.INHERIT,
            description = {"Also write the JSON result to PATH", "(Kubernetes: /airflow/xcom/return.json)."})
    void resultFile(Path path) {
        context.resultFile(path);
    }

    TributaryCommand(WorkerContext context) {
        this.context = context;
    }

    WorkerContext context() {
        return context;
    }

    public static void main(String[] args) {
        System.exit(run(System.getenv(), System.out, System.err, args));
    }

    /** Runs one command in-process and returns its exit code (what main passes to System.exit). */
    public static int run(Map<String, String> env, PrintStream out, PrintStream err, String... args) {
        StderrLogging.install(err, env.get("TRIBUTARY_LOG_LEVEL"));
        WorkerContext context = new WorkerContext(env, out, err);
        CommandLine cli = commandLine(context);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setParameterExceptionHandler((ex, arguments) -> badArguments(ex, out, err));
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // Jobs report their own failures; this only catches bugs in option handling.
            ex.printStackTrace(err);
            new ResultWriter(out, null).writeFailure(cmd.getCommandName(), JobFailure.failed(ex.toString(), ex));
            return ExitCode.FAILED.code();
        });
        return cli.execute(args);
    }

    /** The command model, also used to render docs/cli/*.md. */
    static CommandLine commandLine(WorkerContext context) {
        CommandLine cli = new CommandLine(new TributaryCommand(context));
        cli.setUsageHelpWidth(100);
        for (CommandLine command : allCommands(cli)) {
            command.getCommandSpec().usageMessage()
                    .exitCodeListHeading("%nExit codes:%n")
                    .exitCodeList(EXIT_CODES);
        }
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        return cli;
    }

    private static final Map<String, String> EXIT_CODES = exitCodes();

    private static Map<String, String> exitCodes() {
        Map<String, String> codes = new java.util.LinkedHashMap<>();
        for (ExitCode code : ExitCode.values()) {
            codes.put(String.valueOf(code.code()), code.meaning());
        }
        return codes;
    }

    private static java.util.List<CommandLine> allCommands(CommandLine root) {
        java.util.List<CommandLine> all = new java.util.ArrayList<>();
        all.add(root);
        // nested commands too (`catalog search`)
        root.getSubcommands().values().stream().filter(c -> !c.getCommandName().equals("help"))
                .forEach(c -> all.addAll(allCommands(c)));
        return all;
    }

    private static int badArguments(ParameterException ex, PrintStream out, PrintStream err) {
        CommandLine cmd = ex.getCommandLine();
        err.println("tributary: " + ex.getMessage());
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        JobFailure failure = JobFailure.badInput(ex.getMessage());
        new ResultWriter(out, null).writeFailure(cmd.getCommandName(), failure);
        return ExitCode.BAD_INPUT.code();
    }

    /** {@code tributary} without a command: usage on stderr, exit 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(context.err());
        return context.refuse("tributary", JobFailure.badInput("missing command; try 'tributary --help'"));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = TributaryCommand.class.getPackage().getImplementationVersion();
            return new String[] {"tributary " + (version == null ? "(development build)" : version)};
        }
    }
}
