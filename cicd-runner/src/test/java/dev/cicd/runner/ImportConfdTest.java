package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.runner.internal.confd.GoTemplates;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportConfdTest {

    @TempDir
    Path out;

    static Path recipe() throws URISyntaxException {
        return Path.of(ImportConfdTest.class.getResource("/confd-recipe/conf.d/rollout.toml").toURI()).getParent().getParent();
    }

    @Test
    void recipeDirectoryBecomesTwoShellWatchesWithTranslatedTemplates() throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("import-confd", recipe().toString(), "-o", out.toString(),
                "--endpoints", "http://127.0.0.1:23790");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("watches: rollout, undo"), r.out());
        assertTrue(r.out().contains("the config loads and validates"), r.out());
        assertTrue(r.out().contains("reload_cmd and dest of every resource were replaced"), r.out());
        assertFalse(r.out().contains("could not translate"), r.out());

        RunnerConfig c = RunnerConfig.load(out.resolve("cicd.yaml"), Map.of());
        assertEquals(List.of("http://127.0.0.1:23790"), c.etcd().endpoints());
        WatchConfig rollout = c.watch("rollout").orElseThrow();
        assertEquals("/cicd/rollout", rollout.prefix());
        assertEquals(List.of("/trigger"), rollout.keys());
        assertTrue(rollout.action().isShell());
        assertEquals(out.resolve("templates/rollout.peb"), rollout.templateFile().orElseThrow());
        assertEquals("/cicd/undo", c.watch("undo").orElseThrow().prefix());

        String peb = Files.readString(out.resolve("templates/rollout.peb"));
        assertTrue(peb.contains("{% if exists(\"/trigger\") %}"), peb);
        assertTrue(peb.contains("{% set data = json(getv(\"/trigger\")) %}"), peb);
        assertTrue(peb.contains("# imageTag: {{ data.imageTag | oneline }}"), peb);
        assertTrue(peb.contains("{% endif %}"), peb);
        assertFalse(peb.contains("{{$"), peb);
        String yaml = Files.readString(out.resolve("cicd.yaml"));
        assertTrue(yaml.contains("# confd ran: cd /data/server/k8s-deploy && /bin/bash bin/confd-reload-cmd.sh reload/rollout.cmd"), yaml);
    }

    @Test
    void translatedRecipeTemplateRendersWithTheRunnersRendererAndKeepsPayloadsInComments() throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("import-confd", recipe().toString(), "-o", out.toString());
        assertEquals(0, r.exitCode(), r.toString());
        dev.cicd.core.PebbleRenderer renderer = dev.cicd.core.PebbleRenderer.builder()
                .template("rollout.peb", Files.readString(out.resolve("templates/rollout.peb"))).build();
        dev.cicd.core.WatchSpec watch = dev.cicd.core.WatchSpec.builder("rollout").prefix("/cicd/rollout")
                .key("/trigger").template("rollout.peb").action("shell").build();
        String json = "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\","
                + "\"svcName\":\"gateway\",\"imageTag\":\"v1\\nrm -rf /\"}";
        dev.cicd.core.Plan plan = renderer.render(watch, dev.cicd.core.TriggerEvent.put("rollout", "/cicd/rollout/trigger", json, 7),
                new java.util.TreeMap<>(Map.of("/trigger", json)));
        String text = plan.text();
        assertTrue(text.contains("# appName: demo1\n"), text);
        assertTrue(text.contains("# kubectl -n ns-demo1-dev set image deployments/demo1-gateway gateway="
                + "registry.cn-hangzhou.aliyuncs.com/ns-demo/demo1-gateway:v1\\nrm -rf /"), text);
        assertTrue(text.lines().noneMatch(l -> l.startsWith("rm")), "the payload cannot leave its comment line: " + text);
    }

    @Test
    void commandLinesQuoteValuesAndCommentsKeepThemOnOneLine() {
        GoTemplates.Result r = GoTemplates.translate("t", """
                {{/* set the image */}}
                {{$d := json (getv "/trigger")}}
                # tag: {{$d.imageTag}}
                kubectl -n {{$d.k8sNamespace}} set image deployments/{{$d.appName}}-{{$d.svcName}} x={{getv "/image"}}
                {{- if eq $d.action "deploy" }}ok{{ else if not (exists "/x") }}no{{end -}}
                {{range $i, $k := ls "/apps"}}{{$k | toUpper}}{{end}}
                """);
        assertEquals(List.of(), r.untranslated());
        String p = r.pebble();
        assertTrue(p.startsWith("{# set the image #}\n{% set d = json(getv(\"/trigger\")) %}\n"), p);
        assertTrue(p.contains("# tag: {{ d.imageTag | oneline }}\n"), p);
        assertTrue(p.contains("kubectl -n {{ d.k8sNamespace | sh }} set image deployments/{{ d.appName | sh }}-{{ d.svcName | sh }} x={{ getv(\"/image\") | sh }}"), p);
        assertTrue(p.contains("| sh }}{% if (d.action == \"deploy\") %}ok{% elseif (not exists(\"/x\")) %}no{% endif %}"
                + "{% for __r1 in goRange(ls(\"/apps\")) %}{{ toUpper(__r1.v) | sh }}{% endfor %}"), p);
    }

    @Test
    void untranslatableActionsAreListedWithTheirLine() {
        GoTemplates.Result r = GoTemplates.translate("t.tmpl", "a\n{{html \"%s\" 1}}\n{{with $x}}y{{end}}\n{{template \"x\"}}");
        assertEquals(3, r.untranslated().size(), r.untranslated().toString());
        assertTrue(r.pebble().contains("y{# end of the untranslated with #}"), r.pebble());
        assertTrue(r.untranslated().get(0).startsWith("t.tmpl:2: {{html \"%s\" 1}}"), r.untranslated().toString());
        assertTrue(r.untranslated().get(0).contains("no equivalent"), r.untranslated().toString());
        assertTrue(r.untranslated().get(1).startsWith("t.tmpl:3: {{with $x}}"), r.untranslated().toString());
        assertTrue(r.pebble().contains("{# import-confd could not translate: {{html \"%s\" 1}} #}"), r.pebble());
    }

    private static final String REFUSED_CALL = "import_confd_refused_an_unsafe_action_see_the_comment_before_it()";

    private static GoTemplates.Result translateScript(String script) {
        return GoTemplates.translate("t.tmpl", "{{$d := json (getv \"/trigger\")}}\n" + script);
    }

    private static void assertRefused(GoTemplates.Result r, int line, String reason) {
        assertEquals(1, r.untranslated().size(), r.untranslated().toString());
        assertTrue(r.untranslated().get(0).startsWith("t.tmpl:" + line + ": {{$d.imageTag}} ("), r.untranslated().toString());
        assertTrue(r.untranslated().get(0).contains(reason), r.untranslated().toString());
        assertFalse(r.pebble().contains("d.imageTag | sh"), r.pebble());
        assertFalse(r.pebble().contains("d.imageTag | oneline"), r.pebble());
        assertTrue(r.pebble().contains("{# import-confd refused {{$d.imageTag}}: " + reason), r.pebble());
        assertTrue(r.pebble().contains(REFUSED_CALL), r.pebble());
    }

    @Test
    void aValueInsideADoubleQuotedStringIsListedAsNotTranslatedAndNotQuotedWithSh() {
        assertRefused(translateScript("echo \"tag={{$d.imageTag}}\"\n"), 2,
                "inside a double-quoted string: the sh filter's single quotes do not protect there");
        assertRefused(translateScript("echo \"a\nb $(echo x) {{$d.imageTag}}\"\n"), 3, "inside a double-quoted string");
    }

    @Test
    void aValueInAHeredocBodyIsListedAsNotTranslatedWhateverTheDelimiterQuoting() {
        assertRefused(translateScript("kubectl apply -f - <<EOF\nimage: x:{{$d.imageTag}}\nEOF\n"), 3,
                "inside a heredoc body: bash expands $(...) there");
        assertRefused(translateScript("cat <<'EOF' > f\n{{$d.imageTag}}\nEOF\n"), 3,
                "inside a heredoc body: a value could end the document with a line 'EOF'");
        assertRefused(translateScript("if true; then\n\tcat <<-END\n\t# {{$d.imageTag}}\n\tEND\nfi\n"), 4,
                "inside a heredoc body");
    }

    @Test
    void aValueAfterTheHeredocsDelimiterLineIsAPlainWordAgain() {
        GoTemplates.Result r = translateScript("cat <<-'EOF' | kubectl apply -f - ; echo {{$d.appName}}\n"
                + "\tkind: {{$d.imageTag}}\n\tEOF\nkubectl rollout status {{$d.appName}}\n");
        assertRefused(r, 3, "inside a heredoc body");
        assertTrue(r.pebble().contains("kubectl apply -f - ; echo {{ d.appName | sh }}\n"), r.pebble());
        assertTrue(r.pebble().contains("kubectl rollout status {{ d.appName | sh }}\n"), r.pebble());
    }

    @Test
    void aValueAfterACommentOnACommandLineIsListedAsNotTranslated() {
        assertRefused(translateScript("kubectl apply -f x.yaml # tag {{$d.imageTag}}\n"), 2,
                "after '#' on a command line");
        assertRefused(translateScript("true; #{{$d.imageTag}}\n"), 2, "after '#' on a command line");
    }

    @Test
    void aValueOnACommentLineOfItsOwnKeepsTheOnelineFilterAndAHashInsideAWordIsNoComment() {
        GoTemplates.Result r = translateScript("  # tag {{$d.imageTag}}\n{{if true}}# {{$d.appName}}{{end}}\necho a#{{$d.svcName}} $# x\n");
        assertEquals(List.of(), r.untranslated());
        assertTrue(r.pebble().contains("  # tag {{ d.imageTag | oneline }}\n"), r.pebble());
        assertTrue(r.pebble().contains("{% if true %}# {{ d.appName | oneline }}{% endif %}\n"), r.pebble());
        assertTrue(r.pebble().contains("echo a#{{ d.svcName | sh }} $# x\n"), r.pebble());
    }

    @Test
    void aValueInsideBackticksIsListedAsNotTranslated() {
        assertRefused(translateScript("tag=`echo {{$d.imageTag}}`\n"), 2, "inside a backtick command substitution");
    }

    @Test
    void aValueInOtherPlacesWhereQuotingDoesNotHoldIsListedAsNotTranslated() {
        assertRefused(translateScript("echo 'tag={{$d.imageTag}}'\n"), 2, "inside a single-quoted string");
        assertRefused(translateScript("echo $'tag={{$d.imageTag}}'\n"), 2, "inside a $'...' string");
        assertRefused(translateScript("echo ${{$d.imageTag}}\n"), 2, "right after '$'");
        assertRefused(translateScript("echo \\{{$d.imageTag}}\n"), 2, "right after a backslash");
        assertRefused(translateScript("echo $(( {{$d.imageTag}} + 1 ))\n"), 2, "inside an arithmetic expression");
        assertRefused(translateScript("(( n = {{$d.imageTag}} ))\n"), 2, "inside an arithmetic expression");
        assertRefused(translateScript("[[ $n -eq {{$d.imageTag}} ]]\n"), 2, "inside [[ ]]");
        assertRefused(translateScript("echo ${x:-{{$d.imageTag}}}\n"), 2, "inside ${...}");
        assertRefused(translateScript("a[{{$d.imageTag}}]=1\n"), 2, "inside an array subscript");
        assertRefused(translateScript("let n={{$d.imageTag}}\n"), 2, "in a let command");
        assertRefused(translateScript("eval echo {{$d.imageTag}}\n"), 2, "in an eval command");
        assertRefused(translateScript("cat <<{{$d.imageTag}}\n"), 2, "as a heredoc delimiter");
    }

    @Test
    void aValueInAPlainWordIsStillQuotedWithShAlsoAfterQuotesAndSubstitutionsClose() {
        GoTemplates.Result r = translateScript("kubectl set image x={{$d.imageTag}}\n"
                + "echo \"a'b\" 'c\"d' $'e\\'f' `date` $(echo \")\") ${x} $((1+2)) [[ -n x ]] a[1]=2 {{$d.appName}}\n"
                + "cat <<< {{$d.svcName}}\n");
        assertEquals(List.of(), r.untranslated());
        assertTrue(r.pebble().contains("kubectl set image x={{ d.imageTag | sh }}\n"), r.pebble());
        assertTrue(r.pebble().contains("a[1]=2 {{ d.appName | sh }}\n"), r.pebble());
        assertTrue(r.pebble().contains("cat <<< {{ d.svcName | sh }}\n"), r.pebble());
        assertFalse(r.pebble().contains(REFUSED_CALL), r.pebble());
    }

    @Test
    void aValueIsPlacedByEveryWayThroughTheBranchesBeforeIt() {
        GoTemplates.Result r = translateScript("{{if eq $d.action \"x\"}}echo \"{{else}}echo {{end}}{{$d.imageTag}}\"\n");
        assertRefused(r, 2, "inside a double-quoted string: the sh filter's single quotes do not protect there (after one"
                + " of the ways through the {{if}}s and {{range}}s before it)");
        r = translateScript("{{if $d.x}}# {{end}}{{$d.imageTag}}\n");
        assertRefused(r, 2, "in a comment or in a command, depending on the way through the {{if}}s and {{range}}s");
        GoTemplates.Result same = translateScript("cat <<EOF\n{{if true}}a{{else}}b{{end}}\nEOF\n"
                + "{{if $d.x}}# a comment{{end}}\necho {{$d.imageTag}}\n");
        assertEquals(List.of(), same.untranslated());
        assertTrue(same.pebble().contains("echo {{ d.imageTag | sh }}\n"), same.pebble());
    }

    @Test
    void aRangeBodyIsCheckedFromWhereItsPreviousRunEnded() {
        GoTemplates.Result r = translateScript("{{range $x := ls \"/a\"}}echo {{$x}}\n{{end}}");
        assertEquals(List.of(), r.untranslated());
        assertTrue(r.pebble().contains("echo {{ __r1.v | sh }}\n"), r.pebble());
        r = translateScript("{{range $x := ls \"/a\"}}{{$d.imageTag}} \"{{end}}\n");
        assertRefused(r, 2, "inside a double-quoted string");
    }

    private Path confdDir(String src) throws IOException {
        Path dir = out.resolve("confd");
        Files.createDirectories(dir.resolve("conf.d"));
        Files.createDirectories(dir.resolve("templates"));
        Files.writeString(dir.resolve("conf.d/evil.toml"), "[template]\nprefix = \"/cicd/evil\"\nsrc = \"" + src
                + "\"\ndest = \"/tmp/../tmp/evil.cmd\"\nkeys = [\"/trigger\"]\nreload_cmd = \"bash /tmp/../tmp/evil.cmd\"\n");
        return dir;
    }

    @Test
    void aSrcOutsideTheTemplatesDirectoryIsRefusedNamingTheFileAndKey() throws IOException {
        Path dir = confdDir("../../etc/passwd");
        CliTestSupport.Run r = CliTestSupport.run("import-confd", dir.toString(), "-o", out.resolve("o").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains(dir.resolve("conf.d/evil.toml").toAbsolutePath() + ": src = \"../../etc/passwd\" resolves to "),
                r.err());
        assertTrue(r.err().contains("outside the templates directory"), r.err());
        assertFalse(Files.exists(out.resolve("o/cicd.yaml")));

        confdDir("/etc/passwd");
        r = CliTestSupport.run("import-confd", dir.toString(), "-o", out.resolve("o").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("src = \"/etc/passwd\" resolves to /etc/passwd, outside the templates directory"), r.err());
    }

    @Test
    void aSrcThatIsASymbolicLinkOutOfTheTemplatesDirectoryIsRefused() throws IOException {
        Path dir = confdDir("sub/../link.tmpl");
        Path outside = Files.writeString(out.resolve("outside.tmpl"), "echo hi\n");
        Files.createSymbolicLink(dir.resolve("templates/link.tmpl"), outside);
        CliTestSupport.Run r = CliTestSupport.run("import-confd", dir.toString(), "-o", out.resolve("o").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("src = \"sub/../link.tmpl\" is a symbolic link to " + outside.toRealPath()), r.err());
    }

    @Test
    void aSrcIsNormalisedInsideTheTemplatesDirectoryAndDestIsOnlyANormalisedComment() throws IOException {
        Path dir = confdDir("./a/../evil.tmpl");
        Files.writeString(dir.resolve("templates/evil.tmpl"), "echo {{getv \"/trigger\"}}\n");
        CliTestSupport.Run r = CliTestSupport.run("import-confd", dir.toString(), "-o", out.resolve("o").toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("echo {{ getv(\"/trigger\") | sh }}\n", Files.readString(out.resolve("o/templates/evil.peb")));
        String yaml = Files.readString(out.resolve("o/cicd.yaml"));
        assertTrue(yaml.contains("# from conf.d/evil.toml, dest = \"/tmp/evil.cmd\"\n"), yaml);
        assertTrue(r.out().contains("dest = \"/tmp/../tmp/evil.cmd\" is normalised \"/tmp/evil.cmd\""), r.out());
    }

    @Test
    void anImportWithUntranslatedActionsExitsZeroListingThemUnlessNothingUsableIsLeft() throws IOException {
        Path dir = confdDir("evil.tmpl");
        Files.writeString(dir.resolve("templates/evil.tmpl"), "echo {{getv \"/trigger\"}}\n{{template \"x\"}}\n");
        CliTestSupport.Run r = CliTestSupport.run("import-confd", dir.toString(), "-o", out.resolve("o").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.out().contains("templates/evil.tmpl:2: {{template \"x\"}} (nested templates are not translated)"), r.out());
        assertTrue(r.err().contains("nothing usable: every template has an action that was not translated"), r.err());

        Files.writeString(dir.resolve("conf.d/good.toml"), "[template]\nprefix = \"/cicd/good\"\nsrc = \"good.tmpl\"\n"
                + "keys = [\"/trigger\"]\n");
        Files.writeString(dir.resolve("templates/good.tmpl"), "{{range ls \"/\"}}echo {{.}}\n{{end}}");
        r = CliTestSupport.run("import-confd", dir.toString(), "-o", out.resolve("o2").toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("watches: evil, good"), r.out());
        assertTrue(r.out().contains("templates/evil.tmpl:2: {{template \"x\"}}"), r.out());
    }

    @Test
    void aPayloadWithCommandSubstitutionsCannotRunThroughAnImportedTemplate() throws Exception {
        Path dir = confdDir("evil.tmpl");
        Files.writeString(dir.resolve("templates/evil.tmpl"), """
                {{$d := json (getv "/trigger")}}
                # tag: {{$d.imageTag}}
                echo tag={{$d.imageTag}} > out.txt
                """);
        Files.writeString(dir.resolve("templates/quoted.tmpl"), """
                {{$d := json (getv "/trigger")}}
                echo "tag={{$d.imageTag}}" > out.txt
                """);
        Files.writeString(dir.resolve("conf.d/quoted.toml"), "[template]\nprefix = \"/cicd/quoted\"\nsrc = \"quoted.tmpl\"\n"
                + "keys = [\"/trigger\"]\n");
        CliTestSupport.Run r = CliTestSupport.run("import-confd", dir.toString(), "-o", out.resolve("o").toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("templates/quoted.tmpl:2: {{$d.imageTag}} (inside a double-quoted string"), r.out());

        String tag = "$(touch pwned1)`touch pwned2`'\"; touch pwned3\ntouch pwned4 #";
        String json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of("imageTag", tag));
        dev.cicd.core.PebbleRenderer renderer = dev.cicd.core.PebbleRenderer.builder().templateDir(out.resolve("o/templates")).build();
        dev.cicd.core.TriggerEvent event = dev.cicd.core.TriggerEvent.put("evil", "/cicd/evil/trigger", json, 3);
        java.util.TreeMap<String, String> keys = new java.util.TreeMap<>(Map.of("/trigger", json));

        String script = renderer.render(dev.cicd.core.WatchSpec.builder("evil").prefix("/cicd/evil").key("/trigger")
                .template("evil.peb").action("shell").build(), event, keys).text();
        assertTrue(script.contains("echo tag='$(touch pwned1)`touch pwned2`'\\''\"; touch pwned3\ntouch pwned4 #' > out.txt"), script);
        assertTrue(script.contains("# tag: $(touch pwned1)`touch pwned2`'\"; touch pwned3\\ntouch pwned4 #\n"), script);
        Path work = Files.createDirectories(out.resolve("work"));
        Process bash = new ProcessBuilder("bash", "-c", script).directory(work.toFile()).redirectErrorStream(true).start();
        String output = new String(bash.getInputStream().readAllBytes());
        assertEquals(0, bash.waitFor(), output);
        assertEquals("tag=" + tag + "\n", Files.readString(work.resolve("out.txt")));
        try (java.util.stream.Stream<Path> files = Files.list(work)) {
            assertEquals(List.of(work.resolve("out.txt")), files.toList(), "nothing but out.txt was created");
        }

        dev.cicd.core.CicdException e = org.junit.jupiter.api.Assertions.assertThrows(dev.cicd.core.CicdException.class,
                () -> renderer.render(dev.cicd.core.WatchSpec.builder("quoted").prefix("/cicd/quoted").key("/trigger")
                        .template("quoted.peb").action("shell").build(), event, keys));
        assertTrue(e.getMessage().contains("import_confd_refused_an_unsafe_action_see_the_comment_before_it"), e.getMessage());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void aDirectoryWithoutConfDIsABadUsage() throws IOException {
        CliTestSupport.Run r = CliTestSupport.run("import-confd", out.toString(), "-o", out.resolve("o").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("has no conf.d directory"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
