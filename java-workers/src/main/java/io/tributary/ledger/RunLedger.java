package io.tributary.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** The {@code runs} table: one row per run id, first seen and last seen. */
public final class RunLedger {
    private final ControlSchema schema;

    public RunLedger(ControlSchema schema) {
        this.schema = schema;
    }

    public void touch(Connection connection, RunContext run) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + schema.table("runs")
                + " (run_id, actor, airflow_dag_id, airflow_run_id) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (run_id) DO UPDATE SET last_seen_at = clock_timestamp()")) {
            ps.setString(1, run.runId());
            ps.setString(2, run.actor());
            ps.setString(3, run.airflowDagId());
            ps.setString(4, run.airflowRunId());
            ps.execute();
        }
    }
}
