package io.tributary.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback in front of a PostgreSQL server that cuts every connection through it (both directions,
 * all sessions at once, like a network partition or a server crash) once the server has sent {@code cutAfterBytes}
 * bytes in total. It cuts once; later connections pass untouched.
 */
public final class CuttingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final String upstreamHost;
    private final int upstreamPort;
    private final long cutAfterBytes;
    private final AtomicLong fromServer = new AtomicLong();
    private final AtomicBoolean cut = new AtomicBoolean();
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    public CuttingProxy(String upstreamUri, long cutAfterBytes) {
        URI u = URI.create(upstreamUri);
        this.upstreamHost = u.getHost();
        this.upstreamPort = u.getPort() < 0 ? 5432 : u.getPort();
        this.cutAfterBytes = cutAfterBytes;
        try {
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Thread accept = new Thread(this::acceptLoop, "cutting-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    /** {@code uri} with its host and port replaced by the proxy's. */
    public String through(String uri) {
        URI u = URI.create(uri);
        return uri.replaceFirst("@" + java.util.regex.Pattern.quote(u.getHost() + ":" + u.getPort()),
                "@127.0.0.1:" + listener.getLocalPort());
    }

    public boolean hasCut() {
        return cut.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(upstreamHost, upstreamPort);
                open.add(client);
                open.add(server);
                pump(client, server, false);
                pump(server, client, true);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean serverToClient) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    if (serverToClient && fromServer.addAndGet(n) >= cutAfterBytes && cut.compareAndSet(false, true)) {
                        cutEverything();
                        return;
                    }
                }
            } catch (IOException e) {
                // the other side closed, or we cut
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "cutting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private void cutEverything() {
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        cutEverything();
    }
}
