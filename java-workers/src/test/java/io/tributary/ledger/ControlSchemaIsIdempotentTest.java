package io.tributary.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.connect.ConnectionFactory;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import io.tributary.testing.RequiresPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@RequiresPostgres
class ControlSchemaIsIdempotentTest {
    static ScratchDatabase db;
    static ConnectionFactory connections;

    @BeforeAll
    static void createDatabase() {
        db = TestPostgres.createDatabase("control_schema");
        connections = new ConnectionFactory(Map.of("TRIBUTARY_CONN_CONTROL", db.uri()), "test");
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void parallelWorkersCreateTheSchemaOnceAndReRunsAreNoOps() throws Exception {
        ControlSchema schema = new ControlSchema("tributary_ctl");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                runs.add(pool.submit(() -> {
                    try (Connection c = connections.open("control")) {
                        schema.ensure(c);
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        try (Connection c = connections.open("control")) {
            schema.ensure(c);
            assertTrue(schema.exists(c));
        }
        assertEquals(ControlSchema.migrationCount(), db.count("SELECT count(*) FROM tributary_ctl.schema_version"));
        assertEquals("archive_catalog,audit_log,chunks,conflict_queue,cutover_switches,follow_progress,follow_slots,key_map,key_offsets,reconcile_passes,replay_checks,runs,schema_version,source_lifecycle,table_status,warehouse_partitions,warehouse_stages,warehouse_watermarks", db.query(
                "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class"
                        + " WHERE relnamespace = 'tributary_ctl'::regnamespace AND relkind = 'r'"));
    }

    @Test
    void theAuditLogIsAppendOnly() throws SQLException {
        ControlSchema schema = new ControlSchema("tributary_audit");
        RunContext run = new RunContext("run-1", "junit", null, null);
        try (Connection c = connections.open("control")) {
            schema.ensure(c);
            new AuditLog(schema).append(c, run, "test", Map.of("k", "v"));
        }
        assertEquals("junit|test|v|run-1", db.query("SELECT actor || '|' || action || '|' || (detail->>'k') || '|'"
                + " || run_id FROM tributary_audit.audit_log"));
        assertThrows(IllegalStateException.class, () -> db.execute("UPDATE tributary_audit.audit_log SET actor = 'x'"));
        assertThrows(IllegalStateException.class, () -> db.execute("DELETE FROM tributary_audit.audit_log"));
        assertThrows(IllegalStateException.class, () -> db.execute("TRUNCATE tributary_audit.audit_log"));
    }
}
