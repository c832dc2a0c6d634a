package dev.cicd.core.internal.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShellTextTest {

    @Test
    void quoteWrapsInSingleQuotesAndEscapesEmbeddedQuotes() {
        assertEquals("'v1'", ShellText.quote("v1"));
        assertEquals("''", ShellText.quote(""));
        assertEquals("''", ShellText.quote(null));
        assertEquals("'it'\\''s'", ShellText.quote("it's"));
        assertEquals("''\\'''\\'''", ShellText.quote("''"));
        assertEquals("'a\nb'", ShellText.quote("a\nb"));
    }

    /** What /bin/sh makes of the quoted word is exactly the original text, and nothing in it runs. */
    @ParameterizedTest
    @ValueSource(strings = {"v1", "v1; touch MARK", "$(touch MARK)", "`touch MARK`", "a'b", "'", "''; touch MARK; '",
        "line1\ntouch MARK\n", "tab\there", "$HOME ${PATH} \\n \\' \" *", "", " leading and trailing ", "ünïcødé 你好",
        "-n", "--version", "a\rb", "!x"})
    void quotedWordsRoundTripThroughAPosixShell(String raw, @TempDir Path dir) throws Exception {
        Path mark = dir.resolve("MARK");
        String value = raw.replace("MARK", mark.toString());
        Process p = new ProcessBuilder("sh", "-c", "printf '%s' " + ShellText.quote(value))
                .directory(dir.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertEquals(value, out);
        assertFalse(Files.exists(mark));
    }

    @Test
    void oneLineEscapesLineBreaksControlCharactersAndBackslashes() {
        assertEquals("plain text", ShellText.oneLine("plain text"));
        assertEquals("a\\nb\\r\\tc\\\\d\\u0000\\u001b\\u2028", ShellText.oneLine("a\nb\r\tc\\d\0\u001b\u2028"));
        assertEquals("", ShellText.oneLine(null));
        assertFalse(ShellText.oneLine("x\ny\rz\u0085").matches("(?s).*[\\n\\r\\u0085].*"));
    }
}
