package dev.cicd.runner.internal.cli;

import dev.cicd.runner.ConfigException;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.internal.confd.ConfdImporter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "import-confd",
        description = {"Translate a confd directory (conf.d/*.toml and templates/) into a cicd config and Pebble "
                + "templates, and list what could not be translated."})
final class ImportConfdCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "confd's confdir, holding conf.d/ and templates/.")
    Path dir;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", defaultValue = "cicd-from-confd",
            description = "Directory to write cicd.yaml and templates/ into (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--endpoints", split = ",", paramLabel = "URL",
            description = "etcd endpoints to put into the config (confd's -node), comma-separated (default: confd.toml's "
                    + "nodes, else http://127.0.0.1:2379).")
    List<String> endpoints;

    @Option(names = "--prefix", paramLabel = "PREFIX",
            description = "confd's global -prefix, put before every resource's prefix (default: confd.toml's prefix, else /).")
    String prefix;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        ConfdImporter.Report r = ConfdImporter.importDir(dir, out, endpoints == null ? List.of() : endpoints, prefix);
        o.println("wrote " + r.config());
        for (Path t : r.templates()) {
            o.println("wrote " + t);
        }
        o.println("watches: " + String.join(", ", r.watches()));
        RunnerConfig loaded;
        try {
            loaded = RunnerConfig.load(r.config(), Map.of());
            o.println("the config loads and validates");
        } catch (ConfigException e) {
            throw new ConfigException("the imported config does not validate: " + e.getMessage(), e);
        }
        if (!r.notTranslated().isEmpty()) {
            o.println("not translated (" + r.notTranslated().size() + "):");
            for (String n : r.notTranslated()) {
                o.println("  - " + n);
            }
        }
        if (!r.incomplete().isEmpty() && r.incomplete().size() == r.templates().size()) {
            o.flush();
            spec.commandLine().getErr().println("nothing usable: every template has an action that was not translated"
                    + " (listed above); fix them in the confd templates and import again");
            return dev.cicd.runner.ExitCodes.USAGE;
        }
        if (loaded.watches().stream().allMatch(w -> w.action().isShell())) {
            o.println("next: java -jar cicd.jar run -c " + r.config() + "   then   java -jar cicd.jar selftest -c " + r.config());
        } else {
            o.println("next: java -jar cicd.jar once -c " + r.config() + " (confd -onetime), or run -c " + r.config()
                    + " (confd -watch)");
        }
        o.flush();
        return 0;
    }
}
