package dev.cicd.runner.internal.cli;

import dev.cicd.runner.ExitCodes;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cicd demo}. The demo runs on the testkit (a local etcd process, fabric8's mock server, BouncyCastle),
 * which the distribution keeps out of {@code run}'s class path, in {@code lib/demo/}: only {@code bin/cicd demo}
 * adds it. This class refers to none of it, so every other command loads without those jars, and {@code demo}
 * without them fails with a message saying what is missing.
 */
@Command(mixinStandardHelpOptions = true, name = "demo", description = {"See the whole loop work on this machine, no cluster needed: starts a local "
        + "etcd (the etcd binary) and a simulated Kubernetes cluster, creates Deployment demo1-gateway in "
        + "ns-demo1-dev, runs the runner with the recipe's config, runs the self-test and an undo, applies a "
        + "directory of manifests like the recipe's `kubectl apply -f ns-demo1-dev/demoproject/`, prints what "
        + "happened step by step, and cleans up."})
final class DemoCommand implements Callable<Integer> {

    /** A class of the testkit: present when the demo's libraries are on the class path. */
    static final String TESTKIT_CLASS = "dev.cicd.testkit.EtcdFixture";

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--times", defaultValue = "10", description = "N of the self-test (default: ${DEFAULT-VALUE}).")
    int times;

    @Option(names = "--keep", description = "Keep the demo directory (config, run logs) instead of deleting it.")
    boolean keep;

    @Override
    public Integer call() throws IOException {
        if (!demoLibrariesPresent()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("cicd: demo needs the demo libraries (cicd-testkit and the jars only it uses), which are not on the "
                    + "class path: run `bin/cicd demo` from the distribution (it adds lib/demo/), or "
                    + "`java -jar cicd-runner/target/cicd.jar demo` in a build tree");
            err.flush();
            return ExitCodes.USAGE;
        }
        return new Demo(spec.commandLine().getOut(), times, keep).run();
    }

    static boolean demoLibrariesPresent() {
        try {
            Class.forName(TESTKIT_CLASS, false, DemoCommand.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
