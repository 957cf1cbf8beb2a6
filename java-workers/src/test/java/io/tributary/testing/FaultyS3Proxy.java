package io.tributary.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An HTTP proxy on loopback in front of the test S3 server that answers chosen requests itself with an S3 error
 * (500 InternalError, 503 SlowDown, ...) instead of passing them on: what a busy or failing S3 does mid-upload or
 * mid-download. Everything else passes through byte for byte (request signatures stay valid: the Host header is the
 * proxy's own, as the client signed it). One request at a time per connection, HTTP/1.1 framing
 * (Content-Length, chunked, {@code Expect: 100-continue}).
 */
public final class FaultyS3Proxy implements AutoCloseable {

    /** One request as the proxy sees it: method, path with query, and headers (lower-case names). */
    public record Request(String method, String target, Map<String, String> headers) {

        /** An UploadPart (a multipart upload's data). */
        public boolean isUploadPart() {
            return method.equals("PUT") && target.contains("partNumber=");
        }

        /** The upload of a Parquet file's bytes: a PutObject, or a part of a multipart upload. */
        public boolean isParquetUpload() {
            String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
            return method.equals("PUT") && path.endsWith(".parquet")
                    && (!target.contains("?") || target.contains("partNumber="));
        }

        /** A GetObject of a key ending in {@code suffix}. */
        public boolean isGetOf(String suffix) {
            String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
            return method.equals("GET") && path.endsWith(suffix);
        }
    }

    private final ServerSocket listener;
    private final String upstreamHost;
    private final int upstreamPort;
    private volatile Predicate<Request> match = r -> false;
    private volatile int status;
    private volatile String code;
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicInteger injected = new AtomicInteger();

    /** @param upstreamUri the S3 server as a TRIBUTARY_CONN_ URI (s3://key:secret@host:port?...) */
    public FaultyS3Proxy(String upstreamUri) {
        URI u = URI.create(upstreamUri);
        this.upstreamHost = u.getHost();
        this.upstreamPort = u.getPort();
        try {
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Thread accept = new Thread(this::acceptLoop, "faulty-s3-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    /** {@code uri} (an s3:// connection URI) with its host and port replaced by the proxy's. */
    public String through(String uri) {
        return uri.replace(upstreamHost + ":" + upstreamPort, "127.0.0.1:" + listener.getLocalPort());
    }

    /** Answers the next {@code times} requests that {@code which} matches with {@code status} and S3 error {@code code}. */
    public void fail(Predicate<Request> which, int times, int status, String code) {
        this.status = status;
        this.code = code;
        this.remaining.set(times);
        this.match = which;
    }

    /** How many requests were answered with an error. */
    public int injected() {
        return injected.get();
    }

    private boolean inject(Request r) {
        if (!match.test(r)) {
            return false;
        }
        while (true) {
            int left = remaining.get();
            if (left <= 0) {
                return false;
            }
            if (remaining.compareAndSet(left, left - 1)) {
                injected.incrementAndGet();
                return true;
            }
        }
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Thread t = new Thread(() -> serve(client), "faulty-s3-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client; Socket server = new Socket(upstreamHost, upstreamPort)) {
            InputStream cin = client.getInputStream();
            OutputStream cout = client.getOutputStream();
            InputStream sin = server.getInputStream();
            OutputStream sout = server.getOutputStream();
            while (true) {
                String head = readHead(cin);
                if (head == null) {
                    return;
                }
                String[] lines = head.split("\r\n");
                String[] requestLine = lines[0].split(" ");
                Map<String, String> headers = headers(lines);
                Request request = new Request(requestLine[0], requestLine[1], headers);
                if (inject(request)) {
                    if (!"100-continue".equalsIgnoreCase(headers.get("expect"))) {
                        copyBody(cin, OutputStream.nullOutputStream(), headers, false);
                    }
                    byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>"
                            + "injected by the test</Message><RequestId>fault</RequestId></Error>")
                            .getBytes(StandardCharsets.UTF_8);
                    cout.write(("HTTP/1.1 " + status + " Injected\r\nContent-Type: application/xml\r\nContent-Length: "
                            + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    cout.write(body);
                    cout.flush();
                    return;
                }
                sout.write(head.getBytes(StandardCharsets.ISO_8859_1));
                sout.flush();
                String responseHead;
                if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
                    responseHead = readHead(sin);
                    if (responseHead != null && responseHead.startsWith("HTTP/1.1 100")) {
                        cout.write(responseHead.getBytes(StandardCharsets.ISO_8859_1));
                        cout.flush();
                        copyBody(cin, sout, headers, false);
                        sout.flush();
                        responseHead = readHead(sin);
                    }
                } else {
                    copyBody(cin, sout, headers, false);
                    sout.flush();
                    responseHead = readHead(sin);
                }
                if (responseHead == null) {
                    return;
                }
                cout.write(responseHead.getBytes(StandardCharsets.ISO_8859_1));
                String[] rlines = responseHead.split("\r\n");
                int code = Integer.parseInt(rlines[0].split(" ")[1]);
                Map<String, String> rheaders = headers(rlines);
                boolean noBody = request.method().equals("HEAD") || code == 204 || code == 304;
                if (!noBody) {
                    copyBody(sin, cout, rheaders, true);
                }
                cout.flush();
                if ("close".equalsIgnoreCase(rheaders.get("connection"))
                        || !noBody && !rheaders.containsKey("content-length")
                        && !"chunked".equalsIgnoreCase(rheaders.get("transfer-encoding"))) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // a side closed: the connection ends
        }
    }

    private static Map<String, String> headers(String[] lines) {
        Map<String, String> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        return headers;
    }

    /** The message head up to and including the blank line, or null at end of stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void copyBody(InputStream in, OutputStream out, Map<String, String> headers, boolean toEof)
            throws IOException {
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            while (true) {
                String sizeLine = readLine(in);
                out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    String trailer;
                    do {
                        trailer = readLine(in);
                        out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    } while (!trailer.isEmpty());
                    return;
                }
                copy(in, out, size + 2L);
            }
        }
        String length = headers.get("content-length");
        if (length != null) {
            copy(in, out, Long.parseLong(length));
        } else if (toEof) {
            in.transferTo(out);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private static void copy(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[65536];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("stream ended " + n + " bytes early");
            }
            out.write(buf, 0, r);
            n -= r;
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // closing
        }
    }
}
