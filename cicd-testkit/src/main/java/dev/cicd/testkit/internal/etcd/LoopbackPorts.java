package dev.cicd.testkit.internal.etcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free TCP ports on 127.0.0.1, each handed out at most once per JVM, so fixtures that live in the
 * same JVM (one after another or side by side) never share a port.
 */
public final class LoopbackPorts {

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    private static final int MAX_PROBES = 2_000;

    private LoopbackPorts() {
    }

    /**
     * Returns {@code count} distinct ports that were free a moment ago. Another process may still
     * take one before it is used; callers retry with new ports when a bind fails.
     */
    public static int[] allocate(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
        List<ServerSocket> held = new ArrayList<>();
        try {
            int probes = 0;
            while (held.size() < count) {
                if (++probes > MAX_PROBES) {
                    throw new IllegalStateException("no free loopback port found after " + MAX_PROBES + " probes");
                }
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    held.add(socket);
                } else {
                    socket.close();
                }
            }
            return held.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind a loopback port", e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // the port is released either way
                }
            }
        }
    }
}
