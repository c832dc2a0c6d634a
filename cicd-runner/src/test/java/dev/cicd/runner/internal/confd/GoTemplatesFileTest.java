package dev.cicd.runner.internal.confd;

import static dev.cicd.runner.internal.confd.ConfdRendering.pebble;
import static dev.cicd.runner.internal.confd.ConfdRendering.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * confd templates translated for a file and rendered through the renderer: the text is what confd
 * (Go's text/template with confd's functions) writes, byte for byte.
 */
class GoTemplatesFileTest {

    static final Map<String, String> KEYS = Map.of(
            "/upstream/web2", "10.0.0.2:80",
            "/upstream/web1", "10.0.0.1:80",
            "/upstream/web10", "10.0.0.10:80",
            "/app/name", "shop",
            "/app/workers", "3",
            "/services/a/host", "ha", "/services/a/port", "1",
            "/services/b/host", "hb",
            "/cfg", "{\"port\":8080,\"timeout\":1000000,\"ratio\":0.25,\"tags\":[\"x\",\"y\"],\"env\":{\"b\":\"2\",\"a\":\"1\"}}");

    @Test
    void rangeOverGetsReadsKeyAndValueSortedByKey() {
        assertEquals("upstream app {\n    server 10.0.0.1:80; # /upstream/web1\n    server 10.0.0.10:80; # /upstream/web10\n"
                + "    server 10.0.0.2:80; # /upstream/web2\n}\n",
                render("upstream app {\n{{range gets \"/upstream/*\"}}    server {{.Value}}; # {{.Key}}\n{{end}}}\n", KEYS));
    }

    @Test
    void rangeOverGetvsLsAndLsdirBindsTheDotToEachElement() {
        // sorted as Go sorts text, by bytes: '0' comes before ':'
        assertEquals("10.0.0.10:80,10.0.0.1:80,10.0.0.2:80,", render("{{range getvs \"/upstream/*\"}}{{.}},{{end}}", KEYS));
        assertEquals("web1 web10 web2 ", render("{{range ls \"/upstream\"}}{{.}} {{end}}", KEYS));
        assertEquals("a b ", render("{{range lsdir \"/services\"}}{{.}} {{end}}", KEYS));
        assertEquals("host port ", render("{{range ls \"/services/a\"}}{{.}} {{end}}", KEYS));
    }

    @Test
    void rangeOverAnyPipelineAndOverAMapVisitsTheKeysInOrder() {
        assertEquals("A;B;C;", render("{{range split \"a,b,c\" \",\" }}{{. | toUpper}};{{end}}", KEYS));
        assertEquals("a=1 b=2 ", render("{{$c := json (getv \"/cfg\")}}{{range $k, $v := $c.env}}{{$k}}={{$v}} {{end}}", KEYS));
        assertEquals("1 2 ", render("{{range (json (getv \"/cfg\")).env}}{{.}} {{end}}", KEYS));
    }

    @Test
    void rangeWithIndexAndElementVariables() {
        assertEquals("0:10.0.0.10:80 1:10.0.0.1:80 2:10.0.0.2:80 ",
                render("{{range $i, $v := getvs \"/upstream/*\"}}{{$i}}:{{$v}} {{end}}", KEYS));
        assertEquals("web1=web1,", render("{{range $n := ls \"/upstream\"}}{{if eq $n \"web1\"}}{{$n}}={{.}},{{end}}{{end}}", KEYS));
    }

    @Test
    void theElseOfARangeRunsWhenThereIsNothingToVisit() {
        assertEquals("no backends", render("{{range gets \"/none/*\"}}server {{.Value}};{{else}}no backends{{end}}", KEYS));
        assertEquals("x", render("{{range ls \"/app\"}}{{else}}empty{{end}}{{range seq 1 1}}x{{else}}empty{{end}}", KEYS));
    }

    @Test
    void nestedRangesRebindTheDotAndKeepOuterVariables() {
        String go = "{{range $svc := lsdir \"/services\"}}[{{.}}{{range ls (printf \"/services/%s\" $svc)}} {{$svc}}.{{.}}"
                + "={{getv (printf \"/services/%s/%s\" $svc .)}}{{end}}]{{end}}";
        assertEquals("[a a.host=ha a.port=1][b b.host=hb]", render(go, KEYS));
    }

    @Test
    void dollarIsConfdsNilDataAndTheDotOutsideRangePrintsNoValue() {
        assertEquals("<no value> <no value>", render("{{.}} {{$}}", KEYS));
        assertEquals("web1 <no value>", render("{{range ls \"/upstream\"}}{{if eq . \"web1\"}}{{.}} {{$}}{{end}}{{end}}", KEYS));
    }

    @Test
    void withBindsTheDotWhenTheValueIsNotEmptyAndElseOtherwise() {
        assertEquals("name=shop", render("{{with getv \"/app/name\"}}name={{.}}{{end}}", KEYS));
        assertEquals("none", render("{{with getv \"/app/missing\" \"\"}}v={{.}}{{else}}none{{end}}", KEYS));
        assertEquals("3 workers", render("{{with $w := getv \"/app/workers\"}}{{$w}} workers{{end}}", KEYS));
        assertEquals("8080", render("{{with json (getv \"/cfg\")}}{{.port}}{{end}}", KEYS));
    }

    @Test
    void ifElseIfElseWithLogicAndComparisons() {
        String go = "{{if and (exists \"/app/name\") (not (exists \"/app/x\"))}}a{{end}}"
                + "{{if or false (eq (getv \"/app/workers\") \"3\" \"4\")}}b{{end}}"
                + "{{if ne (getv \"/app/name\") \"shop\"}}X{{else if lt (atoi (getv \"/app/workers\")) 2}}Y{{else if ge 3 3}}c{{else}}Z{{end}}"
                + "{{if le \"a\" \"b\"}}d{{end}}{{if gt 2.5 2.0}}e{{end}}{{if \"\"}}X{{end}}{{if ls \"/none\"}}X{{else}}f{{end}}";
        assertEquals("abcdef", render(go, KEYS));
    }

    @Test
    void andAndOrStopAtTheFirstOperandThatDecidesAsGoDoes() {
        assertEquals("ok", render("{{if and (exists \"/x\") (eq (getv \"/x\") \"1\")}}bad{{else}}ok{{end}}", KEYS));
        assertEquals("ok", render("{{if or (not (exists \"/x\")) (getv \"/x\")}}ok{{end}}", KEYS));
    }

    @Test
    void variablesAreDeclaredAssignedAndScopedToTheirBlock() {
        assertEquals("3 outer", render("{{$n := 0}}{{range seq 1 3}}{{$n = .}}{{end}}{{$n}} "
                + "{{$s := \"outer\"}}{{range seq 1 2}}{{$s := \"inner\"}}{{end}}{{$s}}", KEYS));
        assertEquals("shop", render("{{$name := getv \"/app/name\"}}{{if $name}}{{$name}}{{end}}", KEYS));
    }

    @Test
    void pipelinesPassTheValueAsTheLastArgument() {
        assertEquals("SHOP|shop!|s-op|shop", render("{{getv \"/app/name\" | toUpper}}|{{getv \"/app/name\" | printf \"%s!\"}}|"
                + "{{replace (getv \"/app/name\") \"h\" \"-\" 1 }}|{{(getv \"/app/name\")}}", KEYS));
    }

    @Test
    void printfWithGoVerbs() {
        assertEquals("00042|ab    |    ab|3.14|\"a\\\"b\"|6869|2a|1.5|shop|true|%|x%!d(string=s)",
                render("{{printf \"%05d|%-6s|%6s|%.2f|%q|%x|%x|%v|%s|%t|%%|x%d\" 42 \"ab\" \"ab\" 3.14159 \"a\\\"b\" \"hi\" 42 1.5"
                        + " (getv \"/app/name\") true \"s\"}}", KEYS));
        assertEquals("1e+21 1e-07 0.5 -2", render("{{1e21}} {{1e-7}} {{.5}} {{-2.0}}", KEYS));
        assertEquals("%!s(MISSING) a%!(EXTRA int=2)", render("{{printf \"%s\"}} {{printf \"%s\" \"a\" 2}}", KEYS));
        assertEquals("port 8080, 1.000000e+06", render("{{$c := json (getv \"/cfg\")}}{{printf \"port %.0f, %e\" $c.port $c.timeout}}", KEYS));
    }

    @Test
    void printPrintlnLenAndIndex() {
        assertEquals("1 2a3|a 1\n|3|4|y|b", render("{{print 1 2 \"a\" 3}}|{{println \"a\" 1}}|{{len (getvs \"/upstream/*\")}}|"
                + "{{len \"shop\"}}|{{index (json (getv \"/cfg\")).tags 1}}|{{index (split \"a,b\" \",\") 1}}", KEYS));
    }

    @Test
    void valuesPrintAsGoPrintsThem() {
        assertEquals("8080 1e+06 0.25 [x y] map[a:1 b:2]",
                render("{{$c := json (getv \"/cfg\")}}{{$c.port}} {{$c.timeout}} {{$c.ratio}} {{$c.tags}} {{$c.env}}", KEYS));
        assertEquals("{/app/name shop} [web1 web10 web2]", render("{{get \"/app/name\"}} {{ls \"/upstream\"}}", KEYS));
    }

    @Test
    void commentsPrintNothing() {
        assertEquals("a\nb", render("a\n{{/* a comment\nover lines */}}b", KEYS));
        assertEquals("ab", render("a {{- /* trimmed */ -}} \n b", KEYS));
    }

    @Test
    void trimMarkersRemoveAllAdjacentWhiteSpaceIncludingNewlines() {
        assertEquals("a3b", render("a \n\t {{- getv \"/app/workers\" -}} \r\n  b", KEYS));
        assertEquals("upstream {\n  server 10.0.0.10:80;\n  server 10.0.0.1:80;\n  server 10.0.0.2:80;\n}\n",
                render("upstream {\n{{- range getvs \"/upstream/*\"}}\n  server {{.}};\n{{- end}}\n}\n", KEYS));
        // without the space Go reads a number, not a trim marker
        assertEquals("a -3 b", render("a {{-3}} b", KEYS));
        assertEquals("x\n", render("{{if true -}}\n\n   x\n{{- end}}\n", KEYS));
    }

    @Test
    void stringLiteralsKeepEscapesQuotesAndPebbleSyntaxLiterally() {
        assertEquals("a\tb \\n #{x} 'q' \"d\" {% raw %} {#c#} {", render("{{\"a\\tb\"}} {{`\\n`}} {{\"#{x}\"}} {{\"'q'\"}} {{`\"d\"`}} {% raw %} {#c#} {", KEYS));
    }

    @Test
    void whatCannotBeTranslatedIsListedWithTheLine() {
        GoTemplates.Result r = GoTemplates.translate("t.tmpl", "a\n{{template \"x\"}}\n{{(datetime).Add 5}}\n"
                + "{{.Missing}}\n{{range $i, $v, $w := ls \"/\"}}{{end}}", GoTemplates.Output.FILE);
        assertEquals(4, r.untranslated().size(), r.untranslated().toString());
        assertTrue(r.untranslated().get(0).startsWith("t.tmpl:2: {{template \"x\"}} (nested templates"), r.untranslated().toString());
        assertTrue(r.untranslated().get(1).startsWith("t.tmpl:3: "), r.untranslated().toString());
        assertTrue(r.untranslated().get(2).startsWith("t.tmpl:4: {{.Missing}}"), r.untranslated().toString());
        assertTrue(r.untranslated().get(3).startsWith("t.tmpl:5: "), r.untranslated().toString());
    }

    @Test
    void theNginxExampleOfConfdsDocumentationRendersAsConfdWritesIt() {
        String go = """
                worker_processes {{getv "/nginx/worker_processes"}};

                upstream app {
                {{range getvs "/app/upstream/*"}}
                    server {{.}};
                {{end}}
                }

                server {
                    listen 80;
                    server_name www.{{getv "/nginx/domain"}};
                    access_log /var/log/nginx/{{getv "/nginx/domain"}}.access.log;
                    location / {
                        root              {{getv "/nginx/root"}};
                        proxy_set_header  X-Real-IP        $remote_addr;
                   }
                }
                """;
        Map<String, String> keys = Map.of("/nginx/domain", "example.com", "/nginx/root", "/var/www/example_dotcom",
                "/nginx/worker_processes", "2", "/app/upstream/app1", "10.0.1.100:80", "/app/upstream/app2", "10.0.1.101:80");
        assertEquals("""
                worker_processes 2;

                upstream app {

                    server 10.0.1.100:80;

                    server 10.0.1.101:80;

                }

                server {
                    listen 80;
                    server_name www.example.com;
                    access_log /var/log/nginx/example.com.access.log;
                    location / {
                        root              /var/www/example_dotcom;
                        proxy_set_header  X-Real-IP        $remote_addr;
                   }
                }
                """, render(go, keys));
    }

    @Test
    void aServiceListWithJsonValuesAndBase() {
        String go = "{{range $dir := lsdir \"/services/web\"}}\n  {{- $d := json (getv (printf \"/services/web/%s/info\" $dir))}}\n"
                + "  server {{base $dir}} {{$d.IP}}:{{$d.port}} weight {{index $d \"weight\"}}\n{{- end}}\n";
        Map<String, String> keys = Map.of("/services/web/cust1/info", "{\"IP\":\"10.0.0.1\",\"port\":80,\"weight\":1.5}",
                "/services/web/cust2/info", "{\"IP\":\"10.0.0.2\",\"port\":8080,\"weight\":2}");
        assertEquals("\n  server cust1 10.0.0.1:80 weight 1.5\n  server cust2 10.0.0.2:8080 weight 2\n", render(go, keys));
    }

    @Test
    void datetimeFormatTranslatesToGoLayoutFormatting() {
        assertEquals("# {{ goPrint(goTimeFormat((datetime()), \"Jan 2, 2006\")) }} {{ goPrint(goTimeFormat((datetime()), \"15:04\")) }}",
                pebble("# {{datetime.Format \"Jan 2, 2006\"}} {{(datetime).Format \"15:04\"}}"));
    }

    @Test
    void fileOutputPrintsValuesWithoutShellQuoting() {
        String p = pebble("server {{getv \"/app/name\"}};");
        assertEquals("server {{ goPrint(getv(\"/app/name\")) }};", p);
        assertEquals(List.of(), GoTemplates.translate("t", "echo \"{{getv \"/a\"}}\"", GoTemplates.Output.FILE).untranslated());
    }
}
