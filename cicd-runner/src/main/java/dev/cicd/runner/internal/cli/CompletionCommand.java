package dev.cicd.runner.internal.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "completion",
        description = {"Print a bash completion script for cicd (also works in zsh after `autoload -U +X bashcompinit "
                + "&& bashcompinit`). Use: source <(java -jar cicd.jar completion), with an alias or a `cicd` "
                + "wrapper on the PATH."})
final class CompletionCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(AutoComplete.bash("cicd", spec.root().commandLine()));
        out.flush();
        return 0;
    }
}
