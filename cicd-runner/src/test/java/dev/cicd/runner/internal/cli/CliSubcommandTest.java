package dev.cicd.runner.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CliSubcommandTest {

    @Test
    void theSubcommandIsTheFirstWordThatIsNotATopLevelOptionOrItsValue() {
        assertEquals(Optional.of("trigger"), Cli.subcommand(new String[] {"trigger", "-k", "/k", "--json", "{}"}));
        assertEquals(Optional.of("run"), Cli.subcommand(new String[] {"-v", "--log-format", "json", "run", "-c", "x"}));
        assertEquals(Optional.of("status"), Cli.subcommand(new String[] {"--log-format=json", "-vv", "status"}));
        assertEquals(Optional.empty(), Cli.subcommand(new String[] {"--help"}));
        assertEquals(Optional.empty(), Cli.subcommand(new String[] {"help", "trigger"}));
        assertEquals(Optional.empty(), Cli.subcommand(new String[] {"trigerr", "-k", "/k"}));
    }

    @Test
    void onlyTheNamedSubcommandIsBuiltAndEveryOneOtherwise() {
        assertEquals(Set.of("trigger"), Cli.commandLine(new String[] {"-v", "trigger", "--help"}).getSubcommands().keySet());
        assertEquals(Set.of("run", "once", "trigger", "status", "history", "selftest", "demo", "import-confd", "plan",
                "completion", "help"), Cli.commandLine(new String[] {"--help"}).getSubcommands().keySet());
        assertEquals(11, Cli.commandLine().getSubcommands().size());
    }
}
