package io.tributary.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.tributary.testing.CliRun;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A stand-in Pushgateway on loopback records what the worker pushes. */
class MetricsArePushedAndPushFailureIsOnlyAWarningTest {
    record Push(String method, String path, String body) {
    }

    private HttpServer gateway;
    private final List<Push> pushes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startGateway() throws IOException {
        gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gateway.createContext("/", exchange -> {
            pushes.add(new Push(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        gateway.start();
    }

    @AfterEach
    void stopGateway() {
        gateway.stop(0);
    }

    private String address() {
        return "127.0.0.1:" + gateway.getAddress().getPort();
    }

    @Test
    void jobMetricsArePushedUnderJobAndGroupingKeyWithoutInstance() {
        JobMetrics metrics = new JobMetrics("copy");
        metrics.label("source", "src_eu");
        metrics.label("table", "public.users");
        metrics.rows(1234);
        metrics.bytes(99);
        metrics.finish(0, 1.5);
        metrics.push(address());

        assertEquals(1, pushes.size());
        Push push = pushes.get(0);
        assertEquals("PUT", push.method());
        assertEquals("/metrics/job/copy/source/src_eu/table/public.users", push.path());
        assertTrue(push.body().contains("tributary_rows_total 1234.0"), push.body());
        assertTrue(push.body().contains("tributary_bytes_total 99.0"), push.body());
        assertTrue(push.body().contains("tributary_job_exit_code 0.0"), push.body());
        assertTrue(push.body().contains("tributary_job_duration_seconds 1.5"), push.body());
        assertTrue(!push.body().contains("instance="), push.body());
    }

    @Test
    void aRunningJobKeepsPushingSoAHangIsVisible() throws InterruptedException {
        JobMetrics metrics = new JobMetrics("copy");
        metrics.label("table", "public.trades");
        metrics.start(address(), 1);
        long deadline = System.currentTimeMillis() + 10_000;
        while (pushes.size() < 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(pushes.size() >= 2, "expected heartbeat pushes, got " + pushes.size());
        assertTrue(pushes.get(0).body().contains("tributary_job_running 1.0"), pushes.get(0).body());
        metrics.finish(0, 2.0);
        metrics.push(address());
        assertTrue(pushes.get(pushes.size() - 1).body().contains("tributary_job_running 0.0"));
    }

    @Test
    void aRealPushgatewayServesWhatTheWorkerPushed() throws Exception {
        String real = System.getenv("TRIBUTARY_PUSHGATEWAY");
        org.junit.jupiter.api.Assumptions.assumeTrue(real != null && !real.isBlank() || System.getenv("CI") == null,
                "TRIBUTARY_PUSHGATEWAY is not set (start the stack)");
        assertTrue(real != null && !real.isBlank(), "TRIBUTARY_PUSHGATEWAY must be set under CI");
        String table = "public.pushgateway_probe_" + System.nanoTime();
        JobMetrics metrics = new JobMetrics("copy");
        metrics.label("table", table);
        metrics.rows(4321);
        metrics.finish(0, 1.0);
        metrics.push(real);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String base = "http://" + real.replaceFirst("^https?://", "");
        String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        try {
            assertTrue(body.lines().anyMatch(l -> l.startsWith("tributary_rows_total{")
                    && l.contains("job=\"copy\"") && l.contains("table=\"" + table + "\"") && l.endsWith(" 4321")),
                    "pushed series not served by the Pushgateway");
        } finally {
            http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(base + "/metrics/job/copy/table/" + table)).DELETE().build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
        }
    }

    @Test
    void everyCommandPushesWhenThePushgatewayIsSet() {
        Path config = Path.of(System.getProperty("tributary.repo.dir", ".."), "config", "migration.yaml");
        CliRun run = CliRun.run(Map.of("TRIBUTARY_PUSHGATEWAY", "http://" + address()),
                "validate-config", "--config", config.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(1, pushes.size());
        assertEquals("/metrics/job/validate-config", pushes.get(0).path());
    }

    @Test
    void anUnreachablePushgatewayIsAWarningNotAFailure() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path config = Path.of(System.getProperty("tributary.repo.dir", ".."), "config", "migration.yaml");
        CliRun run = CliRun.run(Map.of("TRIBUTARY_PUSHGATEWAY", "127.0.0.1:" + closedPort),
                "validate-config", "--config", config.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.stderr().contains("WARN  could not push metrics"), run.stderr());
        assertTrue(run.json().get("valid").asBoolean());
    }

    @Test
    void aRunningJobPushesItsLiveProgressWithoutTouchingTheLastRunsFigures() throws InterruptedException {
        JobMetrics metrics = new JobMetrics("copy");
        metrics.label("table", "public.trades");
        LiveProgress.planned(1000, 4, 1, 250);
        LiveProgress.streamed(250, 4096);
        LiveProgress.chunkDone();
        metrics.start(address(), 1);
        long deadline = System.currentTimeMillis() + 10_000;
        while (pushes.isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(!pushes.isEmpty(), "expected a heartbeat push");
        Push live = pushes.get(0);
        // POST adds to the group: the previous run's tributary_rows_total stays until this run has its own.
        assertEquals("POST", live.method());
        assertTrue(live.body().contains("tributary_progress_rows 500.0"), live.body());
        assertTrue(live.body().contains("tributary_progress_bytes 4096.0"), live.body());
        assertTrue(live.body().contains("tributary_progress_chunks_done 2.0"), live.body());
        assertTrue(live.body().contains("tributary_progress_chunks_planned 4.0"), live.body());
        assertTrue(live.body().lines().anyMatch(l -> l.startsWith("tributary_progress_rows_per_second ")
                && Double.parseDouble(l.split(" ")[1]) > 0), live.body());
        assertTrue(live.body().lines().anyMatch(l -> l.startsWith("tributary_progress_eta_seconds ")
                && Double.parseDouble(l.split(" ")[1]) > 0), live.body());
        assertTrue(!live.body().contains("tributary_rows_total"), live.body());
        metrics.finish(0, 2.0);
    }

    @Test
    void aSkippedReRunDoesNotPushZeroOverTheRealFigures() throws Exception {
        String real = System.getenv("TRIBUTARY_PUSHGATEWAY");
        org.junit.jupiter.api.Assumptions.assumeTrue(real != null && !real.isBlank() || System.getenv("CI") == null,
                "TRIBUTARY_PUSHGATEWAY is not set (start the stack)");
        assertTrue(real != null && !real.isBlank(), "TRIBUTARY_PUSHGATEWAY must be set under CI");
        String table = "public.skipped_rerun_probe_" + System.nanoTime();
        JobMetrics copied = new JobMetrics("copy");
        copied.label("table", table);
        copied.rows(4321);
        copied.finish(0, 1.0);
        copied.push(real);
        JobMetrics skipped = new JobMetrics("copy"); // the re-run finds the table copied: it records no figures
        skipped.label("table", table);
        skipped.finish(0, 0.1);
        skipped.push(real);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String base = "http://" + real.replaceFirst("^https?://", "");
        String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        try {
            assertTrue(body.lines().anyMatch(l -> l.startsWith("tributary_rows_total{")
                    && l.contains("table=\"" + table + "\"") && l.endsWith(" 4321")),
                    "the skipped re-run replaced the copied rows");
            assertTrue(body.lines().anyMatch(l -> l.startsWith("tributary_job_duration_seconds{")
                    && l.contains("table=\"" + table + "\"") && l.endsWith(" 0.1")), "the re-run's own status is pushed");
        } finally {
            http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(base + "/metrics/job/copy/table/" + table)).DELETE().build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
        }
    }
}
