package io.tributary.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A copy is skipped on re-run only if it would select the same rows the same way. After a source change makes
 * {@code tributary resolve} settle a new duplicate, the copies whose projection changed are refused (exit 2,
 * target untouched) instead of leaving rows the new resolution made losers; {@code --truncate} replaces just
 * that source's rows, and the target ends consistent (unique e-mails, every foreign key valid).
 */
@RequiresPostgres
class ChangedResolutionIsNotMixedIntoCopiedRowsTest {
    @TempDir
    Path dir;

    private static final String USERS = "SELECT string_agg(id || ':' || email || ':' || tributary_source, ',' ORDER BY id)"
            + " FROM public.users";

    @Test
    void aChangedResolutionIsRefusedUntilTruncateReplacesTheSourcesRows() {
        try (TwoInstances db = new TwoInstances("reresolve", dir, """
                defaults: {conflict_strategy: source-wins}
                tables:
                  - match: "*.public.users"
                    conflict_strategy: source-wins
                    source_wins: src_eu
                """)) {
            db.consolidate();
            CliRun same = db.copy("src_us", "public.users");
            assertEquals(0, same.exitCode(), same.toString());
            assertEquals("skipped", same.json().get("status").asText(), "same resolution: nothing to do");
            String fingerprint = db.target.query("SELECT selection_fingerprint FROM tributary.table_status"
                    + " WHERE source = 'src_us' AND source_table = 'public.users'");
            assertEquals(32, fingerprint.length(), fingerprint);

            // Dora (US id 1) takes Bob's e-mail: a new duplicate, which EU wins; US's row 1 becomes a loser.
            db.us.execute("UPDATE public.users SET email = 'bob@x.example' WHERE id = 1");
            CliRun resolved = db.resolve();
            assertEquals(0, resolved.exitCode(), resolved.toString());
            String before = db.target.query(USERS);

            CliRun refused = db.copy("src_us", "public.users");
            assertEquals(2, refused.exitCode(), refused.toString());
            String error = refused.json().get("error").asText();
            assertTrue(error.startsWith("the rows selected from src_us public.users for consolidated public.users"
                    + " changed since run junit copied them"), error);
            assertTrue(error.contains("Re-run this copy with --truncate"), error);
            assertEquals(before, db.target.query(USERS), "nothing changed");
            assertEquals("copied|" + fingerprint, db.target.query("SELECT status || '|' || selection_fingerprint"
                    + " FROM tributary.table_status WHERE source = 'src_us' AND source_table = 'public.users'"));
            // trades and strategies of US point at users: their projection (the key_map) changed too
            assertEquals(2, db.copy("src_us", "public.trades").exitCode());
            // EU's selection is the same: still a no-op
            assertEquals("skipped", db.copy("src_eu", "public.users").json().get("status").asText());

            for (String table : TwoInstances.TABLES) {
                CliRun replaced = db.copy("src_us", table, "--truncate");
                assertEquals(0, replaced.exitCode(), replaced.toString());
                assertEquals("copied", replaced.json().get("status").asText());
                assertTrue(replaced.json().get("verified").asBoolean(), replaced.toString());
            }
            // EU's 3 users, and US's Emil; Anna and Dora folded into EU's rows; EU's rows never left
            assertEquals("1:anna@x.example:src_eu,2:bob@x.example:src_eu,3:carl@x.example:src_eu,"
                    + "103:emil@x.example:src_us", db.target.query(USERS));
            assertEquals(db.eu.count("SELECT count(*) FROM public.trades WHERE user_id = 2")
                            + db.us.count("SELECT count(*) FROM public.trades WHERE user_id = 1"),
                    db.target.count("SELECT count(*) FROM public.trades WHERE user_id = 2"));
            assertEquals(11, db.target.count("SELECT count(*) FROM public.trades"));
            db.addForeignKeys(); // unique e-mails, no orphans

            CliRun again = db.copy("src_us", "public.users");
            assertEquals("skipped", again.json().get("status").asText(), again.toString());
        }
    }
}
