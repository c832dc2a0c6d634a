package dev.cicd.etcd.internal.gateway;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An HTTP/1.1 server on 127.0.0.1 for the gateway client's tests: each request (path, headers, body) is
 * recorded and answered by a function returning the raw response bytes; a null answer closes the
 * connection without answering. Connections are kept alive unless the answer says otherwise.
 */
final class ScriptedHttpServer implements AutoCloseable {

    record Request(String path, List<String> headers, String body, int connection) {
        String header(String name) {
            for (String h : headers) {
                if (h.toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + ":")) {
                    return h.substring(name.length() + 1).trim();
                }
            }
            return null;
        }
    }

    private final ServerSocket server;
    private final Function<Request, byte[]> answer;
    final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());
    /** The thread serving each open connection. Guarded by {@link #open}. */
    private final java.util.Map<Socket, Thread> servers = new java.util.HashMap<>();
    private int connections;

    ScriptedHttpServer(Function<Request, byte[]> answer) throws IOException {
        this.server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        this.answer = answer;
        Thread t = new Thread(this::accept, "scripted-http");
        t.setDaemon(true);
        t.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    Request next() throws InterruptedException {
        Request r = requests.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no request within 10 s");
        }
        return r;
    }

    /**
     * Closes every open connection (as a server dropping idle keep-alive connections does) and waits until
     * their threads ended, so that no request is read from them afterwards.
     */
    void dropConnections() throws IOException {
        List<Thread> serving = new ArrayList<>();
        synchronized (open) {
            for (Socket s : open) {
                s.close();
                Thread t = servers.remove(s);
                if (t != null) {
                    serving.add(t);
                }
            }
            open.clear();
        }
        for (Thread t : serving) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static byte[] json(int status, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[h.length + b.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(b, 0, all, h.length, b.length);
        return all;
    }

    static byte[] chunked(String... chunks) {
        StringBuilder s = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (String c : chunks) {
            s.append(Integer.toHexString(c.getBytes(StandardCharsets.UTF_8).length)).append(";ext=1\r\n").append(c).append("\r\n");
        }
        s.append("0\r\n\r\n");
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                int id;
                synchronized (this) {
                    id = ++connections;
                }
                Thread t = new Thread(() -> serve(s, id), "scripted-http-conn");
                t.setDaemon(true);
                synchronized (open) {
                    open.add(s);
                    servers.put(s, t);
                }
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int id) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                String line = HttpConnection.readLine(in);
                String path = line.split(" ")[1];
                List<String> headers = new ArrayList<>();
                int length = 0;
                for (String h = HttpConnection.readLine(in); !h.isEmpty(); h = HttpConnection.readLine(in)) {
                    headers.add(h);
                    if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(15).trim());
                    }
                }
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                for (int i = 0; i < length; i++) {
                    body.write(in.read());
                }
                Request r = new Request(path, headers, body.toString(StandardCharsets.UTF_8), id);
                requests.add(r);
                byte[] a = answer.apply(r);
                if (a == null) {
                    return;
                }
                out.write(a);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        dropConnections();
    }
}
