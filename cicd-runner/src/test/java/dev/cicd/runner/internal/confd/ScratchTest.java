package dev.cicd.runner.internal.confd;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void scratch() {
        Map<String, String> keys = Map.of("/upstream/b", "10.0.0.2:80", "/upstream/a", "10.0.0.1:80", "/n", "3",
                "/j", "{\"port\":8080,\"big\":1000000.0,\"list\":[1,\"x\"],\"m\":{\"b\":1,\"a\":2}}");
        String[] gos = {
            "upstream {\n{{range gets \"/upstream/*\"}}  server {{.Value}}; # {{.Key}}\n{{end}}}\n",
            "{{range $i, $v := getvs \"/upstream/*\"}}{{$i}}={{$v}} {{.}}\n{{else}}none{{end}}",
            "{{range ls \"/nothing\"}}x{{else}}none{{end}}",
            "a  \n {{- \"b\" -}} \n\n c",
            "{{with getv \"/n\"}}n={{.}}{{else}}no{{end}} {{with $x := getv \"/n\" \"\"}}{{$x}}{{end}}",
            "{{$j := json (getv \"/j\")}}{{$j.port}} {{$j.big}} {{$j.list}} {{$j.m}} {{range $k, $v := $j.m}}{{$k}}:{{$v}},{{end}}",
            "{{range $a := getvs \"/upstream/*\"}}{{range $b := ls \"/upstream\"}}{{$a}}/{{$b}}/{{.}} {{end}}{{end}}",
            "{{printf \"%05d|%-6s|%.2f|%q|%x|%v|%s\" 42 \"ab\" 3.14159 \"a\\\"b\" \"hi\" 1.5 \"z\"}}",
            "{{if and (eq (getv \"/n\") \"3\") (not (exists \"/zz\"))}}yes{{else if lt 1 2}}lt{{end}} {{if gt (len (getvs \"/upstream/*\")) 1}}many{{end}}",
            "{{$x := 1}}{{range seq 1 3}}{{$x = .}}{{end}}{{$x}} {{print 1 2 \"a\" 3}} {{println \"a\" 1}}",
            "{{/* comment */}}x {{- /* c2 */ -}} y {{index (split \"a,b,c\" \",\") 1}} {{\"a\\\\b\"}} {{`r\\aw`}} {{.}}",
            "{{range $i, $e := split \"a:b\" \":\"}}{{if $i}},{{end}}{{$e | toUpper}}{{end}} {{getv \"/missing\" \"def\"}} {{base \"/a/b\"}}",
        };
        for (String g : gos) {
            try {
                System.out.println("----\n" + ConfdRendering.pebble(g) + "\n=>\n<<" + ConfdRendering.render(g, keys) + ">>");
            } catch (Throwable e) {
                System.out.println("----\nFAIL " + g + "\n" + e.getMessage());
            }
        }
    }
}
