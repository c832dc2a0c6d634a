package dev.cicd.core.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OutputTailTest {

    private static void write(OutputTail t, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        t.write(b, 0, b.length);
    }

    @Test
    void keepsEverythingWhileItFits() {
        OutputTail t = new OutputTail(8);
        write(t, "abc");
        write(t, "defgh");
        assertEquals("abcdefgh", t.text());
    }

    @Test
    void keepsTheLastBytesAcrossSmallAndLargeWrites() {
        OutputTail t = new OutputTail(8);
        write(t, "abcde");
        write(t, "fghij");
        assertEquals("[... 2 earlier bytes of output dropped ...]\ncdefghij", t.text());
        write(t, "0123456789ABC");
        assertEquals(23, t.total());
        assertEquals("[... 15 earlier bytes of output dropped ...]\n56789ABC", t.text());
        write(t, "xy");
        assertEquals("[... 17 earlier bytes of output dropped ...]\n789ABCxy", t.text());
    }
}
