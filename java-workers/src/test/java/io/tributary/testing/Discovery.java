package io.tributary.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs `tributary discover` / `conflicts` in-process and reads what they wrote. */
public final class Discovery {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Discovery() {
    }

    public static JsonNode discover(Map<String, String> env, String conn, Path dir, String... extra) {
        Path out = dir.resolve("inventory-" + conn + ".json");
        List<String> args = new ArrayList<>(List.of("discover", "--conn", conn, "--output", out.toString()));
        args.addAll(List.of(extra));
        CliRun run = CliRun.run(env, args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.toString());
        return read(out);
    }

    public static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The table schema.name of an inventory, or null. */
    public static JsonNode table(JsonNode inventory, String qualified) {
        for (JsonNode t : inventory.path("tables")) {
            if ((t.path("schema").asText() + "." + t.path("name").asText()).equals(qualified)) {
                return t;
            }
        }
        return null;
    }

    /** The conflicts of a kind on a table. */
    public static List<JsonNode> conflicts(JsonNode doc, String kind, String table) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode c : doc.path("conflicts")) {
            if (c.path("kind").asText().equals(kind) && c.path("table").asText().equals(table)) {
                out.add(c);
            }
        }
        return out;
    }

    /** seq_scan|idx_scan of a table as another session sees them now. */
    public static String scans(ScratchDatabase db, String table) {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery("SELECT seq_scan || '|' || coalesce(idx_scan, -1)"
                    + " FROM pg_stat_user_tables WHERE relid = '" + table + "'::regclass")) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Runs statements in one session and makes sure its statistics are flushed before returning. */
    public static void executeAndFlush(ScratchDatabase db, String... statements) {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
            st.execute("SELECT pg_stat_force_next_flush()");
            st.execute("SELECT 1");
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        try {
            Thread.sleep(600); // the backend flushes when idle; give it a moment
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
