package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A copy pushes rows, chunks, rows/s and ETA while it runs; its re-run (skipped) pushes no figures over them. */
@RequiresPostgres
class CopyPushesLiveProgressTest {
    record Push(String method, String body) {
    }

    @TempDir
    static Path dir;
    static CopyFixture db;
    static HttpServer gateway;
    static final List<Push> pushes = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void createSourceAndGateway() throws IOException {
        db = new CopyFixture("liveprogress", dir);
        db.source.execute(
                "CREATE TABLE public.ticks (id bigint PRIMARY KEY, symbol text, px numeric(18,6), note text)",
                "INSERT INTO public.ticks SELECT g, 'SYM' || (g % 40), g / 7.0, repeat('x', 40)"
                        + " FROM generate_series(1, 1000000) g");
        gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gateway.createContext("/", exchange -> {
            pushes.add(new Push(exchange.getRequestMethod(),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        gateway.start();
        db.env().put("TRIBUTARY_PUSHGATEWAY", "127.0.0.1:" + gateway.getAddress().getPort());
        db.env().put("TRIBUTARY_METRICS_PUSH_SECONDS", "1");
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.stop(0);
        }
        if (db != null) {
            db.close();
        }
    }

    private static double value(String body, String metric) {
        return body.lines().filter(l -> l.startsWith(metric + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElse(Double.NaN);
    }

    @Test
    void progressIsPushedWhileTheCopyRunsAndASkippedReRunKeepsTheFigures() {
        CliRun first = db.copy("public.ticks", "--run-id", "first", "--parallelism", "2");
        assertEquals(0, first.exitCode(), first.toString());
        List<Push> during = pushes.subList(0, pushes.size() - 1);
        Push last = pushes.get(pushes.size() - 1);
        assertTrue(during.stream().anyMatch(p -> p.method().equals("POST") && value(p.body(), "tributary_job_running") == 1
                && value(p.body(), "tributary_progress_rows") > 0 && value(p.body(), "tributary_progress_chunks_planned") >= 1
                && value(p.body(), "tributary_progress_rows_per_second") > 0),
                "no live progress pushed while the copy ran: " + during.size() + " heartbeat pushes");
        assertTrue(during.stream().noneMatch(p -> p.body().contains("tributary_rows_total")), "a heartbeat pushed final figures");
        assertEquals("PUT", last.method());
        assertEquals(1_000_000, value(last.body(), "tributary_rows_total"));
        assertEquals(1_000_000, value(last.body(), "tributary_progress_rows"));
        assertEquals(value(last.body(), "tributary_progress_chunks_planned"), value(last.body(), "tributary_progress_chunks_done"));

        pushes.clear();
        CliRun again = db.copy("public.ticks", "--run-id", "second");
        assertEquals("skipped", again.json().get("status").asText(), again.toString());
        assertTrue(pushes.stream().allMatch(p -> p.method().equals("POST") && !p.body().contains("tributary_rows_total")),
                "the skipped re-run pushed figures over the copy's");
    }
}
