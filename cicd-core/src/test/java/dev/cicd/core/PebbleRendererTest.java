package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PebbleRendererTest {

    private static final String PAYLOAD =
            "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\",\"svcName\":\"gateway\",\"imageTag\":\"v1\"}";

    /** Renders an inline template {@code t.peb} for a put of {@code value} to {@code /cicd/rollout/trigger}. */
    private static String render(String template, String value) {
        return render(PebbleRenderer.builder().template("t.peb", template).build(), value, keys("/trigger", value));
    }

    private static String render(String template, SortedMap<String, String> keys) {
        return render(PebbleRenderer.builder().template("t.peb", template).build(), PAYLOAD, keys);
    }

    private static String render(PebbleRenderer renderer, String value, SortedMap<String, String> keys) {
        return renderer.render(watch("t.peb"), event(value, 7), keys).text();
    }

    private static WatchSpec watch(String template) {
        return WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger").template(template).build();
    }

    private static TriggerEvent event(String value, long revision) {
        return TriggerEvent.put("rollout", "/cicd/rollout/trigger", value, revision);
    }

    private static SortedMap<String, String> keys(String... kv) {
        SortedMap<String, String> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static CicdException renderFails(String template, String value) {
        return assertThrows(CicdException.class, () -> render(template, value));
    }

    private static void assertContains(String haystack, String... needles) {
        for (String n : needles) {
            assertTrue(haystack.contains(n), () -> "expected '" + n + "' in: " + haystack);
        }
    }

    // ---- context ----

    @Test
    void contextExposesKeyValueRevisionEventAndWatch() {
        String out = render("{{ key }}|{{ value }}|{{ revision }}|{{ event.watch }} {{ event.key }} {{ event.type }} "
                + "{{ event.revision }} {{ event.createRevision }} {{ event.version }}|{{ watch.name }} {{ watch.prefix }}",
                "plain text");
        assertEquals("/cicd/rollout/trigger|plain text|7|rollout /cicd/rollout/trigger PUT 7 7 1|rollout /cicd/rollout", out);
    }

    @Test
    void dataIsThePayloadAsPlainMapsListsAndNumbers() {
        String out = render("{{ data.imageTag }} {{ data.nested.port + 1 }} {{ data.list[1] }} {{ data.flag }} {{ data.list | length }}",
                "{\"imageTag\":\"v9\",\"nested\":{\"port\":8080},\"list\":[\"a\",\"b\"],\"flag\":true}");
        assertEquals("v9 8081 b true 2", out);
    }

    @Test
    void planCarriesTheEventTextAndItsSha256() {
        PebbleRenderer r = PebbleRenderer.builder().template("t.peb", "tag={{ data.imageTag }}").build();
        TriggerEvent e = event(PAYLOAD, 3);
        Plan plan = r.render(watch("t.peb"), e, keys("/trigger", PAYLOAD));
        assertEquals(e, plan.event());
        assertEquals("tag=v1", plan.text());
        assertEquals(Plan.sha256("tag=v1"), plan.fingerprint());
    }

    @Test
    void newlinesAreKeptAndNothingIsEscaped() {
        assertEquals("a\n\nb <&> \"q\"\n\n", render("a\n{% if true %}\nb {{ '<&>' }} {{ '\"q\"' }}\n{% endif %}\n", PAYLOAD));
    }

    // ---- key functions ----

    @Test
    void getvReadsKeysRelativeToTheWatchPrefix() {
        assertEquals("v|v", render("{{ getv('/a') }}|{{ getv('a') }}", keys("/a", "v")));
    }

    @Test
    void getvFallsBackToTheDefaultOnlyWhenTheKeyIsMissing() {
        assertEquals("dflt|v|", render("{{ getv('/nope', 'dflt') }}|{{ getv('/a', 'dflt') }}|{{ getv('/empty', 'x') }}",
                keys("/a", "v", "/empty", "")));
        assertEquals("named", render("{{ getv(key='/nope', default='named') }}", keys()));
    }

    @Test
    void getvOfAMissingKeyWithoutDefaultIsATemplateErrorNamingTheKey() {
        CicdException e = assertThrows(CicdException.class,
                () -> render("line1\n{{ getv('/missing') }}", keys("/trigger", PAYLOAD)));
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "'/missing'", "template 't.peb' line 2", "/cicd/rollout", "revision 7");
    }

    @Test
    void existsTellsWhetherAKeyIsPresent() {
        assertEquals("true false", render("{{ exists('/a') }} {{ exists('/b') }}", keys("/a", "1")));
    }

    private static final SortedMap<String, String> TREE = keys(
            "/services/web/cust1/1", "{\"IP\":\"10.0.0.1\"}",
            "/services/web/cust1/2", "{\"IP\":\"10.0.0.2\"}",
            "/services/web/cust2/1", "{\"IP\":\"10.0.0.3\"}",
            "/services/web/readme", "zeta",
            "/services/webx", "other",
            "/services/db", "alpha");

    @Test
    void getsReturnsKeyValueMapsMatchingTheGlobSortedByKey() {
        String out = render("{% for kv in gets('/services/web/*/1') %}{{ kv.key }}={{ json(kv.value).IP }};{% endfor %}", TREE);
        assertEquals("/services/web/cust1/1=10.0.0.1;/services/web/cust2/1=10.0.0.3;", out);
        // '*' does not cross a '/'
        assertEquals("/services/web/readme;", render("{% for kv in gets('/services/web/*') %}{{ kv.key }};{% endfor %}", TREE));
        assertEquals("0", render("{{ gets('/nothing/*') | length }}", TREE));
    }

    @Test
    void getvsReturnsMatchingValuesSorted() {
        assertEquals("[alpha, other]", render("{{ getvs('/services/[dw]*') }}", TREE));
    }

    @Test
    void lsListsTheEntriesDirectlyBelowADirectory() {
        assertEquals("[cust1, cust2, readme]", render("{{ ls('/services/web') }}", TREE));
        assertEquals("[cust1, cust2, readme]", render("{{ ls('/services/web/') }}", TREE));
        assertEquals("[db, web, webx]", render("{{ ls('/services') }}", TREE));
        assertEquals("[]", render("{{ ls('/absent') }}", TREE));
    }

    @Test
    void lsdirListsOnlyEntriesThatHaveKeysBelowThem() {
        assertEquals("[cust1, cust2]", render("{{ lsdir('/services/web') }}", TREE));
        assertEquals("[web]", render("{{ lsdir('/services') }}", TREE));
        assertEquals("[]", render("{{ lsdir('/services/db') }}", TREE));
    }

    @Test
    void aMalformedGlobIsATemplateError() {
        CicdException e = assertThrows(CicdException.class, () -> render("{{ gets('/a[') }}", TREE));
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "gets", "'/a['", "line 1");
    }

    // ---- JSON ----

    @Test
    void jsonAndJsonArrayParseText() {
        assertEquals("b 2 x,y", render("{{ json('{\"a\":\"b\",\"n\":2}').a }} {{ json('{\"a\":\"b\",\"n\":2}').n }} "
                + "{{ join(jsonArray('[\"x\",\"y\"]'), ',') }}", PAYLOAD));
    }

    @Test
    void jsonOfMalformedTextIsABadPayloadNamingTheKeyAndRevision() {
        CicdException e = assertThrows(CicdException.class,
                () -> render("{% set d = json(getv('/trigger')) %}{{ d.imageTag }}", keys("/trigger", "{not json")));
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "not valid JSON", "/cicd/rollout/trigger", "revision 7", "line 1");
    }

    @Test
    void jsonOfAnArrayAndJsonArrayOfAnObjectAreRejected() {
        assertEquals(CicdException.Code.BAD_PAYLOAD, renderFails("{{ json('[1]') }}", PAYLOAD).code());
        assertEquals(CicdException.Code.BAD_PAYLOAD, renderFails("{{ jsonArray('{}') }}", PAYLOAD).code());
    }

    // ---- strings and paths ----

    @Test
    void baseAndDirFollowGoPathSemantics() {
        assertEquals("url /services/data . / /", render(
                "{{ base('/services/data/url') }} {{ dir('/services/data/url') }} {{ dir('url') }} {{ base('/') }} {{ dir('/a') }}",
                PAYLOAD));
    }

    @Test
    void splitAndJoin() {
        assertEquals("host|8080|3|a-b-c|[a, , b, ]", render("{% set p = split('host:8080', ':') %}{{ p[0] }}|{{ p[1] }}|"
                + "{{ split('a,b,c', ',') | length }}|{{ join(split('a b c', ' '), '-') }}|{{ split('a,,b,', ',') }}", PAYLOAD));
    }

    @Test
    void toUpperAndToLower() {
        assertEquals("ABC-1 abc-1", render("{{ toUpper('aBc-1') }} {{ toLower('AbC-1') }}", PAYLOAD));
    }

    @Test
    void containsIsAFunctionForTextListsAndMaps() {
        assertEquals("true false true true false", render("{{ contains('registry/app', 'app') }} {{ contains('abc', 'x') }} "
                + "{{ contains(jsonArray('[1,2]'), 2) }} {{ contains(data, 'imageTag') }} {{ contains(data, 'nope') }}", PAYLOAD));
        assertEquals("yes", render("{% if contains(data.imageTag, 'v') %}yes{% endif %}", PAYLOAD));
    }

    @Test
    void replaceAllOrTheFirstN() {
        assertEquals("a_b_c a_b-c a-b-c", render(
                "{{ replace('a-b-c', '-', '_') }} {{ replace('a-b-c', '-', '_', 1) }} {{ replace('a-b-c', '-', '_', 0) }}", PAYLOAD));
        assertEquals("a_b_c", render("{{ replace('a-b-c', '-', '_', -1) }}", PAYLOAD));
    }

    @Test
    void trimSuffixRemovesOnlyATrailingMatch() {
        assertEquals("app app.yaml.bak", render("{{ trimSuffix('app.yaml', '.yaml') }} {{ trimSuffix('app.yaml.bak', '.yaml') }}",
                PAYLOAD));
    }

    @Test
    void base64RoundTrip() {
        assertEquals("VmFsdWU= Value ünï", render("{{ base64Encode('Value') }} {{ base64Decode('VmFsdWU=') }} "
                + "{{ base64Decode(base64Encode('ünï')) }}", PAYLOAD));
        CicdException e = renderFails("{{ base64Decode('%%%') }}", PAYLOAD);
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "base64Decode", "'%%%'");
    }

    // ---- numbers ----

    @Test
    void atoiParsesIntegersAndRejectsText() {
        assertEquals("42 -7 43", render("{{ atoi('42') }} {{ atoi('-7') }} {{ atoi(getv('/n')) + 1 }}",
                keys("/trigger", PAYLOAD, "/n", "42")));
        CicdException e = renderFails("{{ atoi('4x') }}", PAYLOAD);
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "atoi", "'4x'", "line 1");
    }

    @Test
    void arithmeticOnIntegersAndDecimals() {
        assertEquals("5 -1 6 3 1 2.5", render("{{ add(2, 3) }} {{ sub(2, 3) }} {{ mul(2, 3) }} {{ div(7, 2) }} {{ mod(7, 2) }} "
                + "{{ div(5.0, 2) }}", PAYLOAD));
        assertEquals("9", render("{{ add(data.n, '4') }}", "{\"n\":5}"));
        CicdException e = renderFails("{{ div(1, 0) }}", PAYLOAD);
        assertContains(e.getMessage(), "div", "division by zero");
        assertContains(renderFails("{{ mod(1, 0) }}", PAYLOAD).getMessage(), "mod", "division by zero");
        assertContains(renderFails("{{ add('x', 1) }}", PAYLOAD).getMessage(), "add", "must be a number", "'x'");
    }

    @Test
    void seqIsInclusiveAndEmptyWhenReversed() {
        assertEquals("[1, 2, 3]|[]|[4]", render("{{ seq(1, 3) }}|{{ seq(3, 1) }}|{{ seq(4, 4) }}", PAYLOAD));
        assertContains(renderFails("{{ seq(1, 1000000) }}", PAYLOAD).getMessage(), "seq", "more than");
    }

    // ---- renderer variables ----

    @Test
    void builderVariablesAreSeenByEveryTemplate() {
        PebbleRenderer r = PebbleRenderer.builder()
                .template("t.peb", "{{ registry }}/{{ data.appName }}-{{ data.svcName }}:{{ data.imageTag }}")
                .variable("registry", "registry.example.com/ns-demo").build();
        assertEquals("registry.example.com/ns-demo/demo1-gateway:v1", render(r, PAYLOAD, keys()));
    }

    @Test
    void builderVariableCannotShadowAPerEventName() {
        for (String reserved : List.of("key", "value", "revision", "event", "watch", "data")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PebbleRenderer.builder().variable(reserved, "x"));
            assertContains(e.getMessage(), "'" + reserved + "'");
        }
        assertThrows(IllegalArgumentException.class, () -> PebbleRenderer.builder().variable("not-an-identifier", "x"));
    }

    @Test
    void anUnsetBuilderVariableIsStillAnUndefinedVariable() {
        CicdException e = renderFails("{{ registry }}", PAYLOAD);
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "registry");
    }

    // ---- environment ----

    @Test
    void datetimeReadsTheConfiguredClock() {
        Clock clock = Clock.fixed(Instant.parse("2018-05-04T03:02:01Z"), ZoneOffset.UTC);
        PebbleRenderer r = PebbleRenderer.builder()
                .template("t.peb", "{{ datetime() | date(\"yyyy-MM-dd'T'HH:mm:ss\") }} {{ datetime().year }}")
                .clock(clock).build();
        assertEquals("2018-05-04T03:02:01 2018", render(r, PAYLOAD, keys()));
    }

    @Test
    void getenvReadsOnlyAllowListedVariables() {
        String path = System.getenv("PATH");
        PebbleRenderer r = PebbleRenderer.builder()
                .template("t.peb", "{{ getenv('PATH') }}|{{ getenv('CICD_SURELY_UNSET_VAR', 'fallback') }}|{{ getenv('CICD_SURELY_UNSET_VAR') }}")
                .allowEnv(Set.of("PATH", "CICD_SURELY_UNSET_VAR"))
                .build();
        assertEquals(path + "|fallback|", render(r, PAYLOAD, keys()));
    }

    @Test
    void getenvOfAVariableNotOnTheAllowListIsATemplateError() {
        PebbleRenderer r = PebbleRenderer.builder().template("t.peb", "\n{{ getenv('HOME', 'x') }}").allowEnv(Set.of("PATH")).build();
        CicdException e = assertThrows(CicdException.class, () -> render(r, PAYLOAD, keys()));
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "'HOME'", "not on the allow-list", "[PATH]", "line 2");
    }

    // ---- filters ----

    @Test
    void shQuotesEveryValueAsOneLiteralWord() {
        assertEquals("'v1' '' 'v1; touch /tmp/x' '$(id)' 'a'\\''b' 'l1\nl2' '42'", render(
                "{{ data.a | sh }} {{ data.e | sh }} {{ data.semi | sh }} {{ data.sub | sh }} {{ data.q | sh }} {{ data.nl | sh }} "
                        + "{{ data.n | sh }}",
                "{\"a\":\"v1\",\"e\":\"\",\"semi\":\"v1; touch /tmp/x\",\"sub\":\"$(id)\",\"q\":\"a'b\",\"nl\":\"l1\\nl2\",\"n\":42}"));
    }

    @Test
    void onelineKeepsAValueOnItsLine() {
        assertEquals("# tag: v1\\ntouch x \\\\ \\t|v2", render("# tag: {{ data.t | oneline }}|{{ data.u | oneline }}",
                "{\"t\":\"v1\\ntouch x \\\\ \\t\",\"u\":\"v2\"}"));
    }

    // ---- errors ----

    @Test
    void anUndefinedVariableIsATemplateErrorNamingTemplateAndLine() {
        CicdException e = renderFails("first\nsecond\n{{ imageTagg }}\n", PAYLOAD);
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "template 't.peb' line 3", "imageTagg", "revision 7");
    }

    @Test
    void aMissingPayloadFieldIsBadInputNamingTheFieldAndTheTemplateLine() {
        // regression: {"action":"deploy",...} without svcName ended `failed` with Pebble's internals
        CicdException e = renderFails("{{ data.imageTagg }}", PAYLOAD);
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "payload field 'imageTagg' is missing", "template 't.peb' line 1");
    }

    @Test
    void anArrayPayloadIsBadInputSayingAnObjectWasExpected() {
        CicdException e = renderFails("{{ data.imageTag }}", "[1, 2]");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "payload field 'imageTag' is missing", "JSON array, expected an object");
    }

    @Test
    void aSyntaxErrorIsATemplateErrorNamingTemplateAndLine() {
        CicdException e = renderFails("ok\n{% if data.imageTag %}\n{{ data.imageTag }\n{% endif %}", PAYLOAD);
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "template 't.peb' line 3");
    }

    @Test
    void malformedJsonUsedThroughDataIsABadPayloadNamingKeyRevisionAndParseError() {
        CicdException e = renderFails("x\n{{ data.imageTag }}", "{\"imageTag\": v1}");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "/cicd/rollout/trigger", "revision 7", "not valid JSON", "Unrecognized token 'v1'",
                "column", "line 2");
    }

    @Test
    void aValueThatIsNotJsonRendersWhenTheTemplateDoesNotUseData() {
        assertEquals("raw: plain text", render("raw: {{ value }}", "plain text"));
        assertEquals("no data", render("{% if data is defined %}data{% else %}no data{% endif %}", "plain text"));
    }

    // ---- plain values: data is parsed only when read ----

    @Test
    void aPlainValueRendersWithATemplateThatReadsItThroughGetv() {
        assertEquals("cfg=cfgA raw=cfgA", render("cfg={{ getv('/trigger') }} raw={{ value }}", "cfgA"));
    }

    @Test
    void aPlainValueReadThroughDataIsABadPayloadNamingTheKeyAndRevision() {
        CicdException e = renderFails("{{ getv('/trigger') }}\n{{ data.mode }}", "cfgA");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "value of /cicd/rollout/trigger at revision 7 is not valid JSON",
                "Unrecognized token 'cfgA'", "template 't.peb' line 2", "uses 'data'");
    }

    @Test
    void aPlainValueReadThroughDataInAnIfConditionIsABadPayload() {
        CicdException e = renderFails("ok\n{% if data.mode == 'x' %}x{% endif %}", "cfgA");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "/cicd/rollout/trigger", "revision 7", "not valid JSON", "line 2");
    }

    @Test
    void dataIsDefinedGuardsAPlainValueUnderStrictVariables() {
        String template = "{% if data is defined and data.mode == 'x' %}json{% else %}plain {{ value }}{% endif %}";
        assertEquals("plain cfgA", render(template, "cfgA"));
        assertEquals("json", render(template, "{\"mode\":\"x\"}"));
    }

    @Test
    void anUndefinedVariableBesideAPlainValueIsStillATemplateError() {
        CicdException e = renderFails("{{ value }} {{ dta }}", "cfgA");
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "dta", "line 1");
    }

    @Test
    void aJsonValueRendersThroughDataAndGetvAsBefore() {
        assertEquals("v1 demo1 true", render("{{ data.imageTag }} {{ json(getv('/trigger')).appName }} {{ data is defined }}",
                PAYLOAD));
        assertEquals("null", render("{{ data is null ? 'null' : 'set' }}", "null"));
    }

    // ---- targets ----

    private static final String TARGET = "{{ data.k8sNamespace }}/{{ data.appName }}-{{ data.svcName }}";

    private static WatchSpec targeted(String target) {
        return WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger").template("t.peb").target(target).build();
    }

    private static Plan renderTargeted(String target, String value) {
        PebbleRenderer r = PebbleRenderer.builder().template("t.peb", "{{ value }}").variable("cluster", "c1").build();
        return r.render(targeted(target), event(value, 7), keys("/trigger", value));
    }

    private static CicdException targetFails(String target, String value) {
        return assertThrows(CicdException.class, () -> renderTargeted(target, value));
    }

    @Test
    void withoutATargetExpressionTheTargetIsTheEventKey() {
        Plan plan = PebbleRenderer.builder().template("t.peb", "x").build().render(watch("t.peb"), event(PAYLOAD, 7), keys());
        assertEquals(List.of("/cicd/rollout/trigger"), plan.targets());
    }

    @Test
    void theTargetExpressionIsRenderedWithTheTemplateContextAndStripped() {
        assertEquals(List.of("ns-demo1-dev/demo1-gateway"), renderTargeted("  " + TARGET + " \n", PAYLOAD).targets());
        assertEquals(List.of("c1/rollout/demo1/7/4"), renderTargeted(
                "{{ cluster }}/{{ watch.name }}/{{ json(getv('/trigger')).appName }}/{{ revision }}/{{ add(2, 2) }}", PAYLOAD)
                .targets());
        Plan plan = renderTargeted(TARGET, PAYLOAD);
        assertEquals(PAYLOAD, plan.text());
        assertEquals(Plan.sha256(PAYLOAD), plan.fingerprint());
    }

    @Test
    void eachWatchGetsItsOwnTargetExpression() {
        PebbleRenderer r = PebbleRenderer.builder().template("t.peb", "x").build();
        for (int i = 0; i < 3; i++) {
            assertEquals(List.of("ns-demo1-dev"), r.render(targeted("{{ data.k8sNamespace }}"), event(PAYLOAD, 7), keys()).targets());
            assertEquals(List.of("demo1"), r.render(targeted("{{ data.appName }}"), event(PAYLOAD, 7), keys()).targets());
        }
    }

    @Test
    void aTargetExpressionCanNameAPlainValue() {
        assertEquals(List.of("cfg/cfgA"), renderTargeted("cfg/{{ value }}", "cfgA").targets());
    }

    @Test
    void aTargetExpressionReadingDataOfAPlainValueIsABadPayloadNamingTheKey() {
        CicdException e = targetFails(TARGET, "cfgA");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "value of /cicd/rollout/trigger at revision 7 is not valid JSON",
                "target expression of watch rollout uses 'data'");
    }

    @Test
    void aTargetExpressionReadingAMissingFieldIsABadPayloadNamingTheField() {
        CicdException e = targetFails(TARGET, "{\"k8sNamespace\":\"ns\",\"appName\":\"demo1\"}");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "target expression of watch rollout", "'svcName'", "/cicd/rollout/trigger",
                "revision 7");
    }

    @Test
    void anEmptyTargetIsABadPayload() {
        CicdException e = targetFails("{{ data.appName }}  ", "{\"appName\":\" \"}");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "target expression of watch rollout rendered ''", "empty", "revision 7");
    }

    @Test
    void aTargetLongerThan512CharactersIsABadPayloadQuotedShort() {
        String ok = "a".repeat(512);
        assertEquals(List.of(ok), renderTargeted("{{ data.t }}", "{\"t\":\"" + ok + "\"}").targets());
        CicdException e = targetFails("{{ data.t }}", "{\"t\":\"" + ok + "b\"}");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "target expression of watch rollout rendered 'aaaa", "...'", "512", "(513)");
        assertTrue(e.getMessage().length() < 400, e.getMessage());
    }

    @Test
    void aTargetSpanningLinesIsABadPayload() {
        CicdException e = targetFails("{{ data.t }}", "{\"t\":\"ns/app\\nrm -rf\"}");
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "rendered 'ns/app\\nrm -rf'", "more than one line");
    }

    @Test
    void aTargetExpressionThatDoesNotCompileOrNamesAnUndefinedVariableIsATemplateError() {
        CicdException syntax = targetFails("{{ data.appName ", PAYLOAD);
        assertEquals(CicdException.Code.TEMPLATE, syntax.code());
        assertContains(syntax.getMessage(), "target expression of watch rollout", "does not compile");
        CicdException undefined = targetFails("{{ dta.appName }}", PAYLOAD);
        assertEquals(CicdException.Code.TEMPLATE, undefined.code());
        assertContains(undefined.getMessage(), "target expression of watch rollout", "dta");
    }

    @Test
    void anEmptyValueUsedThroughDataIsABadPayload() {
        PebbleRenderer r = PebbleRenderer.builder().template("t.peb", "{{ data.x }}").build();
        TriggerEvent deleted = new TriggerEvent("rollout", "/cicd/rollout/trigger", new byte[0], EventType.DELETE, 9, 2, 0);
        CicdException e = assertThrows(CicdException.class, () -> r.render(watch("t.peb"), deleted, keys()));
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertContains(e.getMessage(), "/cicd/rollout/trigger", "revision 9", "empty");
    }

    @Test
    void aMissingTemplateIsATemplateErrorSayingWhereItLooked(@TempDir Path dir) {
        PebbleRenderer r = PebbleRenderer.builder().templateDir(dir).template("other.peb", "x").build();
        CicdException e = assertThrows(CicdException.class, () -> r.render(watch("nope.peb"), event(PAYLOAD, 1), keys()));
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "'nope.peb' not found", "[other.peb]", dir.toAbsolutePath().toString(),
                PebbleRenderer.BUILT_IN_PREFIX);
    }

    @Test
    void aTemplateNameLeavingTheDirectoryIsRejected(@TempDir Path dir) {
        PebbleRenderer r = PebbleRenderer.builder().templateDir(dir).build();
        CicdException e = assertThrows(CicdException.class, () -> r.render(watch("../etc/passwd"), event(PAYLOAD, 1), keys()));
        assertEquals(CicdException.Code.TEMPLATE, e.code());
        assertContains(e.getMessage(), "'../etc/passwd'");
    }

    @Test
    void aTemplateDirectoryThatDoesNotExistIsAConfigError(@TempDir Path dir) {
        CicdException e = assertThrows(CicdException.class,
                () -> PebbleRenderer.builder().templateDir(dir.resolve("absent")).build());
        assertEquals(CicdException.Code.CONFIG, e.code());
    }

    // ---- lookup ----

    @Test
    void templatesComeFromTheDirectoryByRelativePath(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/deploy.peb"), "from file {{ data.imageTag }}\n{% include 'sub/part.peb' %}");
        Files.writeString(dir.resolve("sub/part.peb"), "part {{ key }}");
        PebbleRenderer r = PebbleRenderer.builder().templateDir(dir).build();
        assertEquals("from file v1\npart /cicd/rollout/trigger",
                r.render(watch("sub/deploy.peb"), event(PAYLOAD, 1), keys()).text());
    }

    @Test
    void lookupOrderIsInlineThenDirectoryThenClassPath(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("confd-rollout.peb"), "from dir");
        Files.writeString(dir.resolve("both.peb"), "from dir");
        PebbleRenderer r = PebbleRenderer.builder().templateDir(dir).template("both.peb", "inline").build();
        assertEquals("inline", r.render(watch("both.peb"), event(PAYLOAD, 1), keys()).text());
        assertEquals("from dir", r.render(watch("confd-rollout.peb"), event(PAYLOAD, 1), keys()).text());
        PebbleRenderer classPathOnly = PebbleRenderer.builder().build();
        assertTrue(classPathOnly.render(watch("confd-rollout.peb"), event(PAYLOAD, 1), keys("/trigger", PAYLOAD)).text()
                .startsWith("### key=/cicd/rollout/trigger"));
    }

    @Test
    void classPathPrefixIsConfigurableAndCanBeTurnedOff() {
        PebbleRenderer custom = PebbleRenderer.builder().classpathPrefix("/cicd/test-templates").build();
        assertEquals("hello v1\n", custom.render(watch("hello.peb"), event(PAYLOAD, 1), keys()).text());
        PebbleRenderer off = PebbleRenderer.builder().classpathPrefix(null).build();
        CicdException e = assertThrows(CicdException.class, () -> off.render(watch("confd-rollout.peb"), event(PAYLOAD, 1), keys()));
        assertEquals(CicdException.Code.TEMPLATE, e.code());
    }

    @Test
    void compiledTemplatesAreCachedForTheLifeOfTheRenderer(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.peb");
        Files.writeString(file, "first");
        PebbleRenderer r = PebbleRenderer.builder().templateDir(dir).build();
        assertEquals("first", render(r, PAYLOAD, keys()));
        Files.writeString(file, "second", StandardCharsets.UTF_8);
        assertEquals("first", render(r, PAYLOAD, keys()));
        assertEquals("second", render(PebbleRenderer.builder().templateDir(dir).build(), PAYLOAD, keys()));
    }

    @Test
    void concurrentRendersDoNotShareState() throws Exception {
        PebbleRenderer r = PebbleRenderer.builder()
                .template("t.peb", "{% set d = json(getv('/trigger')) %}{{ d.imageTag }}={{ data.imageTag }}@{{ revision }}")
                .build();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int i = 1; i <= 500; i++) {
                        String tag = "v" + thread + "-" + i;
                        String payload = "{\"imageTag\":\"" + tag + "\"}";
                        String out = r.render(watch("t.peb"), event(payload, i), keys("/trigger", payload)).text();
                        if (!out.equals(tag + "=" + tag + "@" + i)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRenderThatWouldExceedMaxRenderedSizeIsABadPayloadNotAFullHeap() {
        PebbleRenderer r = PebbleRenderer.builder().classpathPrefix(null).maxRenderedSize(10_000)
                .template("loop", "{% for i in range(1, data.n) %}{{ data.s }}{% endfor %}").build();
        WatchSpec w = WatchSpec.builder("w").prefix("/w").key("/k").template("loop").build();
        TriggerEvent e = TriggerEvent.put("w", "/w/k", "{\"n\":1000000,\"s\":\"0123456789\"}", 3);
        CicdException ex = org.junit.jupiter.api.Assertions.assertThrows(CicdException.class,
                () -> r.render(w, e, new java.util.TreeMap<>()));
        org.junit.jupiter.api.Assertions.assertEquals(CicdException.Code.BAD_PAYLOAD, ex.code());
        org.junit.jupiter.api.Assertions.assertTrue(ex.getMessage().contains("exceed 10000 characters"), ex.getMessage());
    }

    @Test
    void aRenderPastItsTimeoutIsABadPayload() {
        PebbleRenderer r = PebbleRenderer.builder().classpathPrefix(null).renderTimeout(java.time.Duration.ofMillis(50))
                .maxRenderedSize(Integer.MAX_VALUE)
                .template("slow", "{% for i in range(1, data.n) %}{% for j in range(1, data.n) %}x{% endfor %}{% endfor %}")
                .build();
        WatchSpec w = WatchSpec.builder("w").prefix("/w").key("/k").template("slow").build();
        TriggerEvent e = TriggerEvent.put("w", "/w/k", "{\"n\":20000}", 3);
        CicdException ex = org.junit.jupiter.api.Assertions.assertThrows(CicdException.class,
                () -> r.render(w, e, new java.util.TreeMap<>()));
        org.junit.jupiter.api.Assertions.assertEquals(CicdException.Code.BAD_PAYLOAD, ex.code());
        org.junit.jupiter.api.Assertions.assertTrue(ex.getMessage().contains("renderTimeout"), ex.getMessage());
    }
}
