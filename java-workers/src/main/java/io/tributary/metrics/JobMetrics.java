package io.tributary.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.exporter.pushgateway.Format;
import io.prometheus.metrics.exporter.pushgateway.PushGateway;
import io.prometheus.metrics.exporter.pushgateway.Scheme;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * A job's metrics (Micrometer, Prometheus registry), pushed to the Pushgateway named by
 * TRIBUTARY_PUSHGATEWAY every {@link #HEARTBEAT_SECONDS} (TRIBUTARY_METRICS_PUSH_SECONDS) while the job runs,
 * with its live progress ({@link LiveProgress}: {@code tributary_progress_rows}, {@code _bytes},
 * {@code _chunks_done}, {@code _chunks_planned}, {@code _rows_per_second}, {@code _eta_seconds}; a hung job is
 * visible as {@code tributary_job_running 1} with an old push time), and once at the end. Batch jobs have no
 * scrape endpoint, hence the push.
 *
 * <p>The job's final figures ({@code tributary_rows_total}, {@code tributary_bytes_total}) exist only once the
 * job recorded them. Heartbeats add to the group (POST) and so never overwrite the previous run's final
 * figures; the end replaces the group (PUT) only when this run recorded figures of its own. A re-run that
 * skips a finished table records none, so it does not push 0 over the real figures. The push group is
 * {@code job=<command>} plus what the job works on (e.g. source and table), never an instance label, so a
 * re-run replaces its own series instead of piling up new ones. A failed push is a warning, never a
 * job failure.
 */
public final class JobMetrics {
    private static final Logger LOG = Logger.getLogger(JobMetrics.class.getName());
    private static final int TIMEOUT_MILLIS = 5_000;
    public static final long HEARTBEAT_SECONDS = 30;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final String command;
    private final Map<String, String> groupingKey = new LinkedHashMap<>();
    private Counter rows;
    private Counter bytes;
    private final AtomicLong exitCode = new AtomicLong(-1);
    private final AtomicLong durationMillis = new AtomicLong();
    private final AtomicLong finishedEpochMillis = new AtomicLong();
    private final AtomicLong running = new AtomicLong();
    private ScheduledExecutorService heartbeat;

    public JobMetrics(String command) {
        this.command = command;
        LiveProgress.reset();
        progressGauge("rows", "Rows done so far, an earlier attempt's included", LiveProgress::rows);
        progressGauge("bytes", "Bytes streamed so far by this attempt", LiveProgress::bytes);
        progressGauge("chunks.done", "Chunks (or partitions) done, an earlier attempt's included", LiveProgress::chunksDone);
        progressGauge("chunks.planned", "Chunks (or partitions) planned", LiveProgress::chunksTotal);
        progressGauge("rows.per.second", "This attempt's rows per second so far", LiveProgress::rowsPerSecond);
        progressGauge("eta.seconds", "Seconds left at the current rate (NaN while unknown)", LiveProgress::etaSeconds);
        Gauge.builder("tributary.job.exit.code", exitCode, AtomicLong::get)
                .description("Exit code of the last run (0 ok, 2 bad input, 3 verification failed, 4 retryable)")
                .register(registry);
        Gauge.builder("tributary.job.duration", durationMillis, v -> v.get() / 1000.0).baseUnit("seconds")
                .description("Wall time of the last run").register(registry);
        Gauge.builder("tributary.job.finished.timestamp", finishedEpochMillis, v -> v.get() / 1000.0)
                .baseUnit("seconds").description("When the last run finished (Unix time)").register(registry);
        Gauge.builder("tributary.job.running", running, AtomicLong::get)
                .description("1 while the job runs (re-pushed every 30 s), 0 once it ended").register(registry);
    }

    private void progressGauge(String name, String description, java.util.function.Supplier<Number> value) {
        Gauge.builder("tributary.progress." + name, value).description(description).register(registry);
    }

    /** Marks the job running and, with a Pushgateway configured, re-pushes every HEARTBEAT_SECONDS. */
    public void start(String address) {
        start(address, HEARTBEAT_SECONDS);
    }

    /** As {@link #start(String)}, every {@code periodSeconds} (TRIBUTARY_METRICS_PUSH_SECONDS). */
    public void start(String address, long periodSeconds) {
        running.set(1);
        if (address == null || address.isBlank()) {
            return;
        }
        heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "metrics-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleAtFixedRate(() -> push(address, false), periodSeconds, periodSeconds, TimeUnit.SECONDS);
    }

    /** Adds a grouping-key label (what the job works on), e.g. source=src_eu, table=public.users. */
    public synchronized void label(String name, String value) {
        if (value != null) {
            groupingKey.put(name, value);
        }
    }

    /** The job's final row count (recorded once it is known; see the class comment on skipped re-runs). */
    public synchronized void rows(long n) {
        if (rows == null) {
            rows = Counter.builder("tributary.rows").description("Rows moved or checked by the job").register(registry);
        }
        rows.increment(n);
    }

    public synchronized void bytes(long n) {
        if (bytes == null) {
            bytes = Counter.builder("tributary.bytes").description("Bytes streamed by the job").register(registry);
        }
        bytes.increment(n);
    }

    /** A value the job keeps current while it runs (e.g. a follower's lag), pushed with every heartbeat. */
    public void gauge(String name, String description, java.util.function.Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    public void finish(int code, double seconds) {
        if (heartbeat != null) {
            heartbeat.shutdownNow();
        }
        running.set(0);
        exitCode.set(code);
        durationMillis.set(Math.round(seconds * 1000));
        finishedEpochMillis.set(System.currentTimeMillis());
    }

    /** The registry in Prometheus text format (for tests and debugging). */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * Pushes to {@code address} (host:port or http(s)://host:port); null or blank means metrics are off. Replaces
     * the group when this run recorded final figures, else adds to it (keeping the previous run's figures).
     */
    public synchronized void push(String address) {
        push(address, rows != null || bytes != null);
    }

    private synchronized void push(String address, boolean replaceGroup) {
        if (address == null || address.isBlank()) {
            return;
        }
        String hostPort = address.strip();
        Scheme scheme = Scheme.HTTP;
        if (hostPort.startsWith("https://")) {
            scheme = Scheme.HTTPS;
            hostPort = hostPort.substring("https://".length());
        } else if (hostPort.startsWith("http://")) {
            hostPort = hostPort.substring("http://".length());
        }
        hostPort = hostPort.replaceAll("/+$", "");
        try {
            PushGateway.Builder builder = PushGateway.builder()
                    .address(hostPort)
                    .scheme(scheme)
                    .format(Format.PROMETHEUS_TEXT) // readable on the wire; the Pushgateway takes both
                    .job(command)
                    .registry(registry.getPrometheusRegistry())
                    .connectionFactory(url -> {
                        HttpURLConnection c = (HttpURLConnection) url.openConnection();
                        c.setConnectTimeout(TIMEOUT_MILLIS);
                        c.setReadTimeout(TIMEOUT_MILLIS);
                        return c;
                    });
            groupingKey.forEach(builder::groupingKey);
            if (replaceGroup) {
                builder.build().push();
            } else {
                builder.build().pushAdd();
            }
            LOG.fine(() -> "pushed metrics to " + address);
        } catch (IOException | RuntimeException e) {
            LOG.warning("could not push metrics to the Pushgateway at " + address + ": " + e.getMessage()
                    + " (the job itself is unaffected)");
        }
    }
}
