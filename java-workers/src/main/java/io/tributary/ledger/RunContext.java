package io.tributary.ledger;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * Who runs this job and as part of which run: the actor and run ids recorded in the ledger and the audit
 * log. Airflow exports AIRFLOW_CTX_* to every task; by hand, TRIBUTARY_ACTOR or the OS user is the actor.
 */
public record RunContext(String runId, String actor, String airflowDagId, String airflowRunId) {

    public static RunContext fromEnvironment(Map<String, String> env, String explicitRunId) {
        String airflowRunId = blankToNull(env.get("AIRFLOW_CTX_DAG_RUN_ID"));
        String airflowDagId = blankToNull(env.get("AIRFLOW_CTX_DAG_ID"));
        String actor = blankToNull(env.get("TRIBUTARY_ACTOR"));
        if (actor == null && airflowDagId != null) {
            actor = "airflow:" + airflowDagId;
        }
        if (actor == null) {
            actor = System.getProperty("user.name", "unknown");
        }
        String runId = blankToNull(explicitRunId);
        if (runId == null) {
            runId = airflowRunId != null ? airflowRunId
                    : "manual__" + Instant.now().truncatedTo(ChronoUnit.SECONDS);
        }
        return new RunContext(runId, actor, airflowDagId, airflowRunId);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
