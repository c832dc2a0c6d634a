package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** confd's functions and Go's built-ins as templates imported from confd call them, with confd's results. */
class GoTemplateFunctionsTest {

    private static final SortedMap<String, String> KEYS = new TreeMap<>(Map.of(
            "/hosts/b", "bb", "/hosts/a", "a", "/hosts/ccc", "c", "/hosts/dd/x", "1", "/name", "shop"));

    private static String render(String template) {
        return render(PebbleRenderer.builder(), template);
    }

    private static String render(PebbleRenderer.Builder b, String template) {
        PebbleRenderer r = b.template("t.peb", template).build();
        WatchSpec w = WatchSpec.builder("w").prefix("/app").key("/name").template("t.peb").action("shell").build();
        return r.render(w, TriggerEvent.put("w", "/app/name", "shop", 3), KEYS).text();
    }

    @Test
    void getsReturnsKeyValuePairsSortedByKeyReadAsKeyAndValueInEitherCase() {
        // as path.Match: * does not cross a /
        assertEquals("/hosts/a=a /hosts/b=bb /hosts/ccc=c ",
                render("{% for kv in gets('/hosts/*') %}{{ kv.Key }}={{ kv.value }} {% endfor %}"));
        assertEquals("{/name shop}", render("{{ goPrint(get('/name')) }}"));
        assertEquals("[a bb c]", render("{{ goPrint(getvs('/hosts/*')) }}"));
        assertEquals("[a b ccc dd]", render("{{ goPrint(ls('/hosts')) }}"));
        assertEquals("[dd]", render("{{ goPrint(lsdir('/hosts')) }}"));
    }

    @Test
    void sortByLengthReverseAndSortKVByLength() {
        assertEquals("[a c bb]", render("{{ goPrint(sortByLength(getvs('/hosts/*'))) }}"));
        assertEquals("[c bb a]", render("{{ goPrint(reverse(getvs('/hosts/*'))) }}"));
        // equal lengths keep their order (Go sorts short lists by insertion, which keeps it too)
        assertEquals("/hosts/b /hosts/a /hosts/ccc ",
                render("{% for kv in sortKVByLength(reverse(gets('/hosts/*'))) %}{{ kv.Key }} {% endfor %}"));
        assertEquals("[{/hosts/ccc c} {/hosts/b bb} {/hosts/a a}]", render("{{ goPrint(reverse(gets('/hosts/[a-c]*'))) }}"));
    }

    @Test
    void mapBuildsAMapFromPairsAndRefusesAnOddCount() {
        assertEquals("map[a:1 b:x]", render("{{ goPrint(map('b', 'x', 'a', 1)) }}"));
        CicdException e = assertThrows(CicdException.class, () -> render("{{ map('a') }}"));
        assertTrue(e.getMessage().contains("map: invalid map call"), e.getMessage());
    }

    @Test
    void base64DecodeNeedsThePaddingAsGosStdEncoding() {
        assertEquals("hi hi", render("{{ base64Decode('aGk=') }} {{ base64Decode(base64Encode('hi')) }}"));
        CicdException e = assertThrows(CicdException.class, () -> render("{{ base64Decode('aGk') }}"));
        assertTrue(e.getMessage().contains("base64Decode: 'aGk' is not base64"), e.getMessage());
    }

    @Test
    void parseBoolAcceptsWhatGoAccepts() {
        assertEquals("true true true false false", render("{{ parseBool('1') }} {{ parseBool('T') }} {{ parseBool('True') }}"
                + " {{ parseBool('f') }} {{ parseBool('FALSE') }}"));
        CicdException e = assertThrows(CicdException.class, () -> render("{{ parseBool('yes') }}"));
        assertTrue(e.getMessage().contains("parseBool: parsing 'yes': invalid syntax"), e.getMessage());
    }

    @Test
    void printfPrintAndPrintlnFormatAsGo() {
        assertEquals("00042|-7  |   ab|ab   |3.14|1.500000e+00|0x2a|2A|101|'A'|\"a\\tb\"|true|%",
                render("{{ printf('%05d|%-4d|%5s|%-5s|%.2f|%e|%#x|%X|%b|%q|%q|%t|%%', 42, -7, 'ab', 'ab', 3.14159, 1.5, 42, 42,"
                        + " 5, 65, 'a\tb', true) }}"));
        assertEquals("%!d(string=x) %!s(int=1) %!v(MISSING)%!(EXTRA string=y)",
                render("{{ printf('%d %s %v', 'x', 1) }}{{ printf('', 'y') }}"));
        assertEquals("1 2a3b", render("{{ print(1, 2, 'a', 3, 'b') }}"));
        assertEquals("a 1 [x y]\n", render("{{ println('a', 1, split('x,y', ',')) }}"));
        assertEquals("+3.5|   1e+06|1.23456789e+08|0.0001|1e-05", render("{{ printf('%+v|%8v|%v|%v|%v', 3.5, 1000000.0, 123456789.0,"
                + " 0.0001, 0.00001) }}"));
    }

    @Test
    void goTruthLenIndexAndJsonNumbersAsGoReadsThem() {
        assertEquals("false false false false true true", render("{{ goTruth('') }} {{ goTruth(0) }} {{ goTruth(null) }}"
                + " {{ goTruth(ls('/none')) }} {{ goTruth('0') }} {{ goTruth(ls('/hosts')) }}"));
        assertEquals("2 4", render("{{ goLen('é') }} {{ goLen(getvs('/hosts/*')) + 1 }}"));
        assertEquals("bb 98", render("{{ goIndex(getvs('/hosts/*'), 1) }} {{ goIndex('abc', 1) }}"));
        assertEquals("8080 1e+06 [1 2.5] 8080", render("{% set j = goJson('{\"p\":8080,\"t\":1000000,\"l\":[1,2.5]}') %}"
                + "{{ goPrint(j.p) }} {{ goPrint(j.t) }} {{ goPrint(j.l) }} {{ json('{\"p\":8080}').p }}"));
    }

    @Test
    void datetimePrintsAndFormatsAsGoTime() {
        PebbleRenderer.Builder b = PebbleRenderer.builder().clock(java.time.Clock.fixed(
                java.time.Instant.parse("2015-01-23T21:34:56.093250283Z"), java.time.ZoneId.of("America/Los_Angeles")));
        assertEquals("2015-01-23 13:34:56.093250283 -0800 PST", render(b, "{{ goPrint(datetime()) }}"));
        assertEquals("Jan 23, 2015 at 1:34pm (PST) Friday 01/23/15 13:34:56.093 -08:00",
                render(b, "{{ goTimeFormat(datetime(), 'Jan 2, 2006 at 3:04pm (MST) Monday 01/02/06 15:04:05.000 -07:00') }}"));
    }

    @Test
    void lookupsResolveOnlyAllowListedNames() {
        CicdException e = assertThrows(CicdException.class, () -> render("{{ lookupIP('localhost') }}"));
        assertTrue(e.getMessage().contains("lookupIP: 'localhost' is not on the lookup allow-list []"), e.getMessage());
        e = assertThrows(CicdException.class,
                () -> render(PebbleRenderer.builder().allowLookup(Set.of("*.example.com")), "{{ lookupSRV('http', 'tcp', 'example.org') }}"));
        assertTrue(e.getMessage().contains("lookupSRV: 'example.org' is not on the lookup allow-list [*.example.com]"), e.getMessage());
        String ips = render(PebbleRenderer.builder().allowLookup(Set.of("localhost")), "{{ goPrint(lookupIP('localhost')) }}");
        assertTrue(ips.contains("127.0.0.1"), ips);
    }
}
