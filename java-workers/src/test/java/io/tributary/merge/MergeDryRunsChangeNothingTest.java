package io.tributary.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dry runs of the many-to-one path: {@code resolve --dry-run} decides exactly what the real resolve then
 * records, and records nothing; {@code copy --dry-run --truncate} of one source of a merged table announces that
 * only that source's rows would go, and removes none.
 */
@RequiresPostgres
class MergeDryRunsChangeNothingTest {
    @TempDir
    Path dir;

    /** The rows resolve records, and every row of the target's merged tables. */
    private static final String RECORDED = """
            SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'tributary') || '|' ||
                   coalesce((SELECT (xpath('/row/c/text()', query_to_xml(
                       'SELECT (SELECT count(*) FROM tributary.key_offsets) || '','' ||
                               (SELECT count(*) FROM tributary.key_map) || '','' ||
                               (SELECT count(*) FROM tributary.conflict_queue) AS c', false, true, '')))[1]::text
                             WHERE EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'tributary')), '-') || '|' ||
                   coalesce((SELECT (xpath('/row/c/text()', query_to_xml(
                       'SELECT count(*) AS c FROM public.users', false, true, '')))[1]::text
                             WHERE to_regclass('public.users') IS NOT NULL), '-')""";

    @Test
    void resolveDryRunDecidesWhatTheRealRunRecordsAndRecordsNothing() {
        try (TwoInstances db = new TwoInstances("dry_resolve", dir, """
                tables:
                  - match: "*.public.*"
                    conflict_strategy: manual
                """)) {
            String before = db.target.query(RECORDED);
            CliRun dry = db.resolve("--dry-run");
            assertEquals(0, dry.exitCode(), dry.toString());
            assertEquals(before, db.target.query(RECORDED), "a dry run records nothing");

            CliRun real = db.resolve();
            assertEquals(0, real.exitCode(), real.toString());
            assertEquals(real.json().get("open_conflicts"), dry.json().get("open_conflicts"));
            assertEquals(real.json().get("tables"), dry.json().get("tables"), "the same decisions, table by table");
        }
    }

    @Test
    void copyDryRunOfOneSourceOfAMergedTableWouldRemoveOnlyItsRows() {
        try (TwoInstances db = new TwoInstances("dry_copy", dir, """
                defaults: {conflict_strategy: source-wins}
                """)) {
            db.consolidate();
            String before = db.target.query(RECORDED);
            CliRun dry = db.copy("src_us", "public.users", "--truncate", "--dry-run");
            assertEquals(0, dry.exitCode(), dry.toString());
            assertEquals("remove this source's rows then copy", dry.json().get("action").asText());
            assertEquals(before, db.target.query(RECORDED), "no row removed");

            CliRun skip = db.copy("src_eu", "public.trades", "--dry-run");
            assertEquals("skip", skip.json().get("action").asText(), skip.toString());
        }
    }
}
