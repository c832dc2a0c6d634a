package dev.cicd.etcd.internal.gateway;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 connection to an etcd client URL, just what the JSON gateway needs: {@code POST} a JSON
 * body, read a response whose body has a {@code Content-Length} or is chunked. No redirects, no
 * compression, no proxies. Not thread-safe: one request at a time.
 *
 * <p>Why not {@code java.net.http}: its client costs ~0.3 s to start on this project's target machine,
 * while a CI job's {@code trigger --wait} has 0.5 s in all (docs/benchmarks.md).
 */
final class HttpConnection implements Closeable {

    private static final int MAX_LINE = 8192;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String hostHeader;
    private boolean reusable = true;
    private int requests;

    private HttpConnection(Socket socket, String hostHeader) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        this.out = socket.getOutputStream();
        this.hostHeader = hostHeader;
    }

    /**
     * Connects to {@code endpoint} ({@code http://} or {@code https://host:port}); for https, with
     * {@code ssl}, checking the server certificate's host name against the endpoint's host.
     */
    static HttpConnection open(URI endpoint, SSLContext ssl, Duration timeout) throws IOException {
        String host = endpoint.getHost();
        boolean https = "https".equals(endpoint.getScheme());
        int port = endpoint.getPort() > 0 ? endpoint.getPort() : https ? 443 : 80;
        Socket plain = new Socket();
        try {
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
            plain.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            Socket s = plain;
            if (https) {
                SSLSocket t = (SSLSocket) ssl.getSocketFactory().createSocket(plain, host, port, true);
                SSLParameters p = t.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                t.setSSLParameters(p);
                t.startHandshake();
                s = t;
            }
            return new HttpConnection(s, host + ":" + port);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** Sets how long a read may block ({@code 0}: forever, for a watch stream). */
    void readTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }

    /** Whether the last response left the connection usable for another request. */
    boolean reusable() {
        return reusable && !socket.isClosed();
    }

    /** Whether a request was sent on this connection already (a kept-alive one the server may have closed since). */
    boolean used() {
        return requests > 0;
    }

    /** Sends a POST and reads the whole response. */
    Response post(String path, String authorization, byte[] body) throws IOException {
        Head head = send(path, authorization, body);
        try (InputStream b = head.body) {
            return new Response(head.status, b.readAllBytes());
        }
    }

    /** Sends a POST and returns the response's status and its body as a stream (for a watch). */
    Head postStreaming(String path, String authorization, byte[] body) throws IOException {
        reusable = false;
        return send(path, authorization, body);
    }

    private Head send(String path, String authorization, byte[] body) throws IOException {
        requests++;
        StringBuilder req = new StringBuilder(256)
                .append("POST ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(hostHeader).append("\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Accept: application/json\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        if (authorization != null) {
            req.append("Authorization: ").append(authorization).append("\r\n");
        }
        req.append("\r\n");
        out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();

        String status = line();
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            reusable = false;
            throw new IOException("not an HTTP/1.1 response: " + status);
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            reusable = false;
            throw new IOException("not an HTTP/1.1 response: " + status, e);
        }
        long length = -1;
        boolean chunked = false;
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> reusable &= !value.equalsIgnoreCase("close");
                default -> { }
            }
        }
        InputStream b;
        if (chunked) {
            b = new ChunkedBody(in);
        } else if (length >= 0) {
            b = new LimitedBody(in, length);
        } else {
            reusable = false;     // the body ends when the server closes the connection
            b = in;
        }
        return new Head(code, b);
    }

    /** One header line without its CRLF (ISO-8859-1). */
    private String line() throws IOException {
        return readLine(in);
    }

    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the connection closed in the middle of a response");
            }
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                if (b.size() >= MAX_LINE) {
                    throw new IOException("response line longer than " + MAX_LINE + " bytes");
                }
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A response read whole. */
    record Response(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A response's status, and its body still to read. */
    record Head(int status, InputStream body) {
    }

    /** A body of known length; closing it reads what is left, so the connection can carry the next request. */
    private static final class LimitedBody extends InputStream {
        private final InputStream in;
        private long left;

        LimitedBody(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the connection closed " + left + " bytes before the end of the body");
            }
            left--;
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("the connection closed " + left + " bytes before the end of the body");
            }
            left -= n;
            return n;
        }

        @Override
        public void close() throws IOException {
            while (left > 0 && read() >= 0) {
                // drain
            }
        }
    }

    /** A chunked body, decoded; reads return as soon as a chunk has bytes (a watch stream's messages come as chunks). */
    private static final class ChunkedBody extends InputStream {
        private final InputStream in;
        private long chunkLeft;
        private boolean done;

        ChunkedBody(InputStream in) {
            this.in = in;
        }

        private boolean next() throws IOException {
            if (done) {
                return false;
            }
            if (chunkLeft == 0) {
                String size = readLine(in);
                int semi = size.indexOf(';');
                try {
                    chunkLeft = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size line: " + size, e);
                }
                if (chunkLeft == 0) {
                    for (String trailer = readLine(in); !trailer.isEmpty(); trailer = readLine(in)) {
                        // trailers are not used
                    }
                    done = true;
                    return false;
                }
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!next()) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, chunkLeft));
            if (n < 0) {
                throw new EOFException("the connection closed in the middle of a chunk");
            }
            chunkLeft -= n;
            if (chunkLeft == 0) {
                readLine(in);   // the CRLF after the chunk's data
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            byte[] skip = new byte[4096];
            while (read(skip, 0, skip.length) >= 0) {
                // drain
            }
        }
    }
}
