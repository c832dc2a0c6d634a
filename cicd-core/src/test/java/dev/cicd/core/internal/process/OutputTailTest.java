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

    @Test
    void growsUpToItsLimitAndKeepsTheSameTailAsAFullSizeRing() {
        java.util.Random random = new java.util.Random(7);
        for (int max : new int[] {1, 100, 8192, 8193, 50_000}) {
            OutputTail t = new OutputTail(max);
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 60; i++) {
                int len = random.nextInt(i % 7 == 0 ? 30_000 : 300);
                StringBuilder chunk = new StringBuilder();
                for (int j = 0; j < len; j++) {
                    chunk.append((char) ('a' + random.nextInt(26)));
                }
                write(t, chunk.toString());
                all.append(chunk);
                String expected = all.length() <= max ? all.toString()
                        : "[... " + (all.length() - max) + " earlier bytes of output dropped ...]\n"
                        + all.substring(all.length() - max);
                assertEquals(expected, t.text(), "max " + max + " after " + all.length() + " bytes");
            }
        }
    }
}
