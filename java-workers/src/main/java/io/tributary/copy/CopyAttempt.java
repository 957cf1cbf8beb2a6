package io.tributary.copy;

import io.tributary.catalog.CatalogReader;
import io.tributary.connect.ConnectionFactory;
import io.tributary.ledger.AuditLog;
import io.tributary.ledger.ChunkLedger;
import io.tributary.ledger.ControlSchema;
import io.tributary.ledger.TableLedger;
import io.tributary.result.RunSummary;
import io.tributary.source.PostgresSnapshot;
import java.sql.Connection;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * One attempt at one table, as the planner, the chunk runner and the verifier share it: the request and its
 * plan, the coordinator's three open connections and the ledgers they write.
 */
final class CopyAttempt {
    final CopyRequest request;
    final CopyPlanner.Plan plan;
    /** Held open until every chunk is done: the chunk workers attach to it. */
    final PostgresSnapshot snapshot;
    /** The snapshot's coordinator connection. */
    final Connection source;
    /** Autocommit: DDL, the skip/truncate decision and the per-table advisory lock (session level). */
    final Connection target;
    /** Autocommit connection to the control schema: progress that must survive a rollback. */
    final Connection ledger;
    final ConnectionFactory connections;
    final RunSummary summary;
    final CatalogReader catalog = new CatalogReader();
    final TableLedger tables;
    final ChunkLedger chunks;
    final AuditLog audit;
    final long startedNanos = System.nanoTime();
    final OffsetDateTime startedAt = OffsetDateTime.now(ZoneOffset.UTC);

    CopyAttempt(CopyRequest request, CopyPlanner.Plan plan, PostgresSnapshot snapshot, Connection target,
            Connection ledger, ConnectionFactory connections, RunSummary summary) {
        this.request = request;
        this.plan = plan;
        this.snapshot = snapshot;
        this.source = snapshot.connection();
        this.target = target;
        this.ledger = ledger;
        this.connections = connections;
        this.summary = summary;
        ControlSchema control = plan.controlSchema();
        this.tables = new TableLedger(control);
        this.chunks = new ChunkLedger(control);
        this.audit = new AuditLog(control);
    }

    double seconds() {
        return Math.round((System.nanoTime() - startedNanos) / 1e6) / 1e3;
    }
}
