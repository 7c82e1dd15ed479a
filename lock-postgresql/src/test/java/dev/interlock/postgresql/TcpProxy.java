package dev.interlock.postgresql;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy of the tests' own between clients and a server, which can be switched to a black
 * hole: from then on it swallows every byte in both directions and closes nothing, so neither side
 * sees a FIN or an RST, exactly like a cut network. The only way for either side to notice is a
 * timeout of its own.
 *
 * @author Interlock team
 */
final class TcpProxy implements AutoCloseable {

    private final ServerSocket listener;

    private final InetSocketAddress target;

    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private volatile boolean blackHole;

    private volatile boolean closed;

    TcpProxy(String host, int port) throws IOException {
        this.target = new InetSocketAddress(host, port);
        this.listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "tcp-proxy-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The port clients connect to. */
    int port() {
        return listener.getLocalPort();
    }

    /** Rewrites a JDBC URL of the target to go through this proxy. */
    String proxiedUrl(String url) {
        return url.replaceFirst("//[^/]+/", "//127.0.0.1:" + port() + "/");
    }

    /** From now on, forwards nothing and closes nothing. */
    void blackHole() {
        blackHole = true;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(target, 5000);
                sockets.add(client);
                sockets.add(server);
                pump(client, server, "up");
                pump(server, client, "down");
            } catch (IOException ex) {
                if (!closed) {
                    System.err.println("tcp proxy: " + ex);
                }
            }
        }
    }

    private void pump(Socket from, Socket to, String direction) {
        Thread thread = new Thread(
                () -> {
                    byte[] buffer = new byte[16384];
                    try {
                        InputStream in = from.getInputStream();
                        OutputStream out = to.getOutputStream();
                        int n;
                        while ((n = in.read(buffer)) >= 0) {
                            if (!blackHole) {
                                out.write(buffer, 0, n);
                                out.flush();
                            }
                        }
                        // End of stream: pass the FIN on, unless the network is "cut".
                        while (blackHole && !closed) {
                            Thread.sleep(50);
                        }
                        to.shutdownOutput();
                    } catch (IOException | InterruptedException ex) {
                        // The other side went away; while black-holed, keep quiet about it.
                    }
                },
                "tcp-proxy-" + direction);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
