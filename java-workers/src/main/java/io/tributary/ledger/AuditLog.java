package io.tributary.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.tributary.result.ResultWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

/** The append-only audit log: who did what, when, under which Airflow run. A trigger refuses edits. */
public final class AuditLog {
    private final ControlSchema schema;

    public AuditLog(ControlSchema schema) {
        this.schema = schema;
    }

    public void append(Connection connection, RunContext run, String action, Map<String, ?> detail)
            throws SQLException {
        String json;
        try {
            json = ResultWriter.json().writeValueAsString(detail);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("audit detail is not JSON-serialisable", e);
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + schema.table("audit_log")
                + " (actor, action, detail, airflow_run_id, run_id) VALUES (?, ?, ?::jsonb, ?, ?)")) {
            ps.setString(1, run.actor());
            ps.setString(2, action);
            ps.setString(3, json);
            ps.setString(4, run.airflowRunId());
            ps.setString(5, run.runId());
            ps.execute();
        }
    }
}
