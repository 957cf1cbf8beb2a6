package io.tributary.schema;

// Over 500 lines on purpose: one pgcopydb-style pipeline (preflight, dump, filtered TOC, restore) around two tools.

import io.tributary.catalog.Identifiers;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.ConnectionUri;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.ControlSchema;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The schema of an instance consolidated whole under its own names, restored the way pgcopydb does it: the
 * source's {@code pg_dump --schema-only --section=pre-data|post-data}, its TOC filtered to the objects the target
 * lacks, replayed by {@code pg_restore}. Everything pg_dump describes is kept: extensions, collations,
 * inheritance, exclusion constraints, constraint and index names, OWNED BY, identity columns, NOT VALID,
 * comments, grants, views and materialized views. Post-data also gives every sequence the source's
 * {@code last_value}/{@code is_called}.
 *
 * <p>Before any change, {@link #preflight} checks that the target can hold it all (extensions available and
 * creatable, collations present, owner roles present and usable): exit 2 naming each missing thing and its fix.
 * Grants to roles the target lacks are skipped and listed (not fatal). pg_dump and pg_restore read the
 * connection from libpq's environment (PGHOST, PGPASSWORD, ...), never from argv.
 */
final class SchemaRestore {
    private static final Logger LOG = Logger.getLogger(SchemaRestore.class.getName());
    /** A TOC line of {@code pg_restore --list}: dump id; catalog table oid, object oid; description and tag. */
    private static final Pattern TOC_LINE = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.*)$");
    /** TOC descriptions that are several words (the others are one). */
    private static final List<String> LONG_DESCS = List.of("MATERIALIZED VIEW DATA", "MATERIALIZED VIEW",
            "SEQUENCE OWNED BY", "SEQUENCE SET", "FK CONSTRAINT", "CHECK CONSTRAINT", "TABLE ATTACH", "INDEX ATTACH",
            "DEFAULT ACL", "ROW SECURITY", "SECURITY LABEL", "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY",
            "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE", "FOREIGN TABLE", "FOREIGN DATA WRAPPER", "SERVER",
            "USER MAPPING", "OPERATOR CLASS", "OPERATOR FAMILY", "EVENT TRIGGER", "PUBLICATION TABLE",
            "PUBLICATION TABLES IN SCHEMA", "PROCEDURAL LANGUAGE", "SHELL TYPE", "LARGE OBJECT");

    private final ConnectionFactory connections;
    private final RunSummary summary;

    SchemaRestore(ConnectionFactory connections, RunSummary summary) {
        this.connections = connections;
        this.summary = summary;
    }

    /** What one source's restore did. */
    record Outcome(int created, int existing, List<String> grantsSkipped, List<String> statements,
            int sequencesSet) {
    }

    /** One line of the dump's table of contents. */
    record TocEntry(String line, long classId, long objId, String desc, String rest) {
        boolean isAcl() {
            return desc.equals("ACL") || desc.equals("DEFAULT ACL");
        }
    }

    // ---------------------------------------------------------------- preflight

    /**
     * Exit 2, before any change, when the target cannot hold the source's schema: an extension not available
     * or not creatable there, a collation it lacks, an owner role it lacks or the target user cannot act as.
     * Grants to roles the target lacks are not fatal (skipped and listed by {@link #run}).
     */
    static void preflight(Connection source, String sourceId, Connection target, String targetId)
            throws SQLException {
        List<String> problems = new ArrayList<>();
        boolean superuser = "true".equals(scalar(target, "SELECT rolsuper::text FROM pg_catalog.pg_roles WHERE rolname = current_user"));
        String targetUser = scalar(target, "SELECT current_user");
        for (String ext : column(source, """
                SELECT e.extname FROM pg_catalog.pg_extension e
                 WHERE e.oid >= 16384 ORDER BY 1""")) {
            if (scalar(target, "SELECT 1 FROM pg_catalog.pg_extension WHERE extname = " + Identifiers.literal(ext)) != null) {
                continue;
            }
            String available = scalar(target, "SELECT bool_or(trusted OR NOT superuser)::text FROM"
                    + " pg_catalog.pg_available_extension_versions WHERE name = " + Identifiers.literal(ext));
            if (available == null) {
                problems.add("extension \"" + ext + "\" is not available on the target server: install its package"
                        + " there (contrib modules: the postgresql-contrib package of the server's version), then"
                        + " CREATE EXTENSION \"" + ext + "\" in the target database or re-run");
            } else if (!"true".equals(available) && !superuser) {
                problems.add("extension \"" + ext + "\" can only be created by a superuser: run CREATE EXTENSION \""
                        + ext + "\" in the target database as a superuser, then re-run");
            }
        }
        // Collations the schema uses but pg_dump does not create (the server's own: ICU and libc locales).
        for (List<String> coll : rows(source, """
                SELECT DISTINCT n.nspname, c.collname, CASE c.collprovider WHEN 'i' THEN 'ICU' WHEN 'c' THEN 'libc'
                       ELSE 'default' END, COALESCE(pg_catalog.to_jsonb(c) ->> 'colllocale',
                       pg_catalog.to_jsonb(c) ->> 'colliculocale', c.collcollate) -- the column's name varies by version
                  FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
                 WHERE n.nspname = 'pg_catalog' AND c.oid <> 100 AND c.oid IN (
                       SELECT d.refobjid FROM pg_catalog.pg_depend d
                        WHERE d.refclassid = 'pg_catalog.pg_collation'::regclass
                       UNION SELECT a.attcollation FROM pg_catalog.pg_attribute a
                         JOIN pg_catalog.pg_class r ON r.oid = a.attrelid
                        WHERE r.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
                          AND r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c'))
                 ORDER BY 1, 2""")) {
            String found = scalar(target, "SELECT 1 FROM pg_catalog.pg_collation WHERE collnamespace ="
                    + " 'pg_catalog'::regnamespace AND collname = " + Identifiers.literal(coll.get(1))
                    + " AND collencoding IN (-1, pg_catalog.pg_char_to_encoding(pg_catalog.getdatabaseencoding()))");
            if (found == null) {
                problems.add(coll.get(2) + " collation " + Identifiers.qualified(coll.get(0), coll.get(1))
                        + " does not exist in the target database: " + ("ICU".equals(coll.get(2))
                        ? "use a PostgreSQL built with ICU, or CREATE COLLATION pg_catalog." + Identifiers.quote(coll.get(1))
                                + " (provider = icu, locale = " + Identifiers.literal(coll.get(3)) + ") there as a superuser"
                        : "generate the OS locale on the target server (locale-gen), then SELECT"
                                + " pg_import_system_collations('pg_catalog') as a superuser"));
            }
        }
        for (String role : column(source, """
                SELECT DISTINCT pg_catalog.pg_get_userbyid(o.owner) FROM (
                       SELECT nspowner, oid, 'pg_catalog.pg_namespace'::regclass FROM pg_catalog.pg_namespace
                        WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
                       UNION ALL SELECT relowner, oid, 'pg_catalog.pg_class'::regclass FROM pg_catalog.pg_class
                        WHERE relnamespace IN (SELECT oid FROM pg_catalog.pg_namespace
                                                WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')
                       UNION ALL SELECT proowner, oid, 'pg_catalog.pg_proc'::regclass FROM pg_catalog.pg_proc
                        WHERE pronamespace IN (SELECT oid FROM pg_catalog.pg_namespace
                                                WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')
                       UNION ALL SELECT typowner, oid, 'pg_catalog.pg_type'::regclass FROM pg_catalog.pg_type
                        WHERE typrelid = 0 AND typelem = 0 -- row and array types go with their relation, element
                          AND typnamespace IN (SELECT oid FROM pg_catalog.pg_namespace
                                                WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')
                       UNION ALL SELECT collowner, oid, 'pg_catalog.pg_collation'::regclass FROM pg_catalog.pg_collation
                        WHERE collnamespace IN (SELECT oid FROM pg_catalog.pg_namespace
                                                WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')
                       ) o(owner, objid, classid)
                 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = o.classid
                                    AND d.objid = o.objid AND d.deptype = 'e')
                 ORDER BY 1""")) {
            String member = scalar(target, "SELECT pg_catalog.pg_has_role(current_user, oid, 'MEMBER')::text"
                    + " FROM pg_catalog.pg_roles WHERE rolname = " + Identifiers.literal(role));
            if (member == null) {
                problems.add("role " + Identifiers.quote(role) + " owns objects in " + sourceId + " and does not exist"
                        + " on the target server: CREATE ROLE " + Identifiers.quote(role) + " there (roles are per"
                        + " server: pg_dumpall --roles-only lists the source's)");
            } else if (!"true".equals(member) && !superuser) {
                problems.add("the target user " + Identifiers.quote(targetUser) + " cannot give objects to role "
                        + Identifiers.quote(role) + ": GRANT " + Identifiers.quote(role) + " TO "
                        + Identifiers.quote(targetUser) + " on the target, or connect as a superuser");
            }
        }
        if (!problems.isEmpty()) {
            throw JobFailure.badInput("the target " + targetId + " cannot hold the schema of " + sourceId
                    + "; nothing was changed:\n  - " + String.join("\n  - ", problems), Map.of("missing", problems));
        }
    }

    // ---------------------------------------------------------------- restore

    Outcome run(String source, String target, String phase, boolean dryRun, int parallelism) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("tributary-schema-");
            Path dump = dir.resolve("schema.dump");
            List<String> pgDump = new ArrayList<>(List.of("pg_dump", "--format=custom", "--schema-only",
                    "--section=" + phase));
            try (Connection src = connections.open(source)) {
                checkClientVersion(src, source);
                for (String control : ControlSchema.in(src)) { // bookkeeping on the source is not its schema
                    pgDump.add("--exclude-schema=\"" + control.replace("\"", "\"\"") + "\"");
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, source);
            }
            try (RunSummary.Step step = summary.begin("pg_dump " + phase + " of " + source)) {
                // pg_dump's stdout written here, not by --file: pg_dump can end 0 with an empty file when a small dump
                // meets a full disk; our own write cannot.
                tool(pgDump, source, dump);
            }
            List<TocEntry> toc = parseToc(tool(List.of("pg_restore", "--list", dump.toString()), null));
            List<TocEntry> objects = new ArrayList<>();
            List<TocEntry> attached = new ArrayList<>(); // comments, OWNED BY: no catalog id of their own
            List<TocEntry> acls = new ArrayList<>();
            for (TocEntry e : toc) {
                if (e.isAcl()) {
                    acls.add(e);
                } else if (e.classId() == 0) {
                    attached.add(e);
                } else {
                    objects.add(e);
                }
            }
            List<TocEntry> missing = new ArrayList<>();
            Set<String> present = new LinkedHashSet<>();
            List<String> statements = new ArrayList<>();
            try (Connection src = connections.open(source); Connection dst = connections.open(target)) {
                if (SchemaBuilder.POST_DATA.equals(phase)) {
                    adoptPrimaryKeysOfTheCopy(src, dst, objects, dryRun, statements);
                }
                List<List<String>> addresses = addresses(src, objects);
                for (int i = 0; i < objects.size(); i++) {
                    TocEntry e = objects.get(i);
                    if (existsInTarget(dst, e, addresses.get(i), target)) {
                        present.add(normalized(e.desc() + " " + tagOf(e)));
                    } else {
                        missing.add(e);
                    }
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, target);
            }
            int existing = objects.size() - missing.size();
            List<String> grantsSkipped = new ArrayList<>();
            int sequencesSet = 0;
            if (!missing.isEmpty()) {
                List<TocEntry> restore = new ArrayList<>(missing);
                for (TocEntry e : attached) {
                    // A comment on an object that was already there (an extension created by a superuser) is its owner's.
                    if (!(e.desc().equals("COMMENT") && present.contains(normalized(e.rest().substring(e.rest().indexOf(' ') + 1))))) {
                        restore.add(e);
                    }
                }
                restore.sort((a, b) -> Integer.compare(toc.indexOf(a), toc.indexOf(b)));
                Path list = dir.resolve("restore.list");
                Path aclList = dir.resolve("acl.list");
                Files.writeString(list, lines(restore));
                Files.writeString(aclList, lines(acls));
                String aclScript = acls.isEmpty() ? "" : tool(List.of("pg_restore", "--use-list=" + aclList, "--file=-",
                        dump.toString()), null);
                if (dryRun) {
                    statements.add(tool(List.of("pg_restore", "--use-list=" + list, "--file=-", dump.toString()), null));
                    statements.add(aclScript);
                } else {
                    try (RunSummary.Step step = summary.begin("pg_restore " + phase + " (" + missing.size() + " objects)")) {
                        List<String> argv = new ArrayList<>(List.of("pg_restore", "--exit-on-error", "--use-list=" + list));
                        if (SchemaBuilder.PRE_DATA.equals(phase)) {
                            argv.add("--single-transaction");
                        } else if (parallelism > 1) {
                            argv.add("--jobs=" + parallelism);
                        }
                        argv.add("--dbname=dbname=" + conninfoQuote(connections.uri(target).database()));
                        argv.add(dump.toString());
                        tool(argv, target);
                    }
                    grantsSkipped.addAll(applyGrants(target, aclScript));
                    LOG.info(phase + " of " + source + ": restored " + missing.size() + " object(s) from pg_dump, "
                            + existing + " already existed");
                }
            }
            if (SchemaBuilder.POST_DATA.equals(phase)) {
                sequencesSet = setSequences(source, target, dryRun, statements);
            }
            if (missing.isEmpty() && sequencesSet == 0) {
                LOG.info(phase + " of " + source + ": nothing to do, all " + existing + " objects already exist in " + target);
            }
            return new Outcome(dryRun ? 0 : missing.size() + sequencesSet, existing, grantsSkipped, statements,
                    sequencesSet);
        } catch (IOException e) {
            throw JobFailure.failed("cannot write the schema dump to a temporary folder: " + e.getMessage(), e);
        } finally {
            deleteQuietly(dir);
        }
    }

    /** pg_dump cannot dump a server of a newer major version: exit 2 with the fix rather than a cryptic failure. */
    private void checkClientVersion(Connection source, String sourceId) throws SQLException {
        int server = Integer.parseInt(scalar(source, "SHOW server_version_num")) / 10000;
        String version = tool(List.of("pg_dump", "--version"), null).strip();
        Matcher m = Pattern.compile("(\\d+)(?:\\.\\d+)?").matcher(version.replaceFirst("^\\D*", ""));
        int client = m.lookingAt() ? Integer.parseInt(m.group(1)) : 0;
        if (client < server) {
            throw JobFailure.badInput("pg_dump " + client + " (" + version + ") is older than " + sourceId + "'s server ("
                    + server + "): install postgresql-client-" + server + " (or newer) and put its bin folder first on PATH");
        }
    }

    /**
     * {@code tributary copy} gives a table without a primary key one named {@code <table>_pkey} after the data
     * (so a re-run can find its rows). Where the source's key has the same definition under another name
     * ({@code pk_parent_model}, a key named {@code id}), the copy's key takes the source's name.
     */
    private static void adoptPrimaryKeysOfTheCopy(Connection src, Connection dst, List<TocEntry> objects,
            boolean dryRun, List<String> statements) throws SQLException {
        for (TocEntry e : objects) {
            if (!e.desc().equals("CONSTRAINT")) {
                continue;
            }
            List<List<String>> key = rows(src, "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(r.relname),"
                    + " k.conname, pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k"
                    + " JOIN pg_catalog.pg_class r ON r.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
                    + " WHERE k.oid = " + e.objId() + " AND k.contype = 'p'");
            if (key.isEmpty()) {
                continue;
            }
            String table = key.get(0).get(0);
            String name = key.get(0).get(1);
            List<List<String>> theirs = rows(dst, "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM"
                    + " pg_catalog.pg_constraint WHERE contype = 'p' AND conrelid = pg_catalog.to_regclass("
                    + Identifiers.literal(table) + ")");
            if (theirs.isEmpty() || theirs.get(0).get(0).equals(name) || !theirs.get(0).get(1).equals(key.get(0).get(2))) {
                continue;
            }
            String sql = "ALTER TABLE " + table + " RENAME CONSTRAINT " + Identifiers.quote(theirs.get(0).get(0))
                    + " TO " + Identifiers.quote(name);
            statements.add(sql);
            if (!dryRun) {
                try (Statement st = dst.createStatement()) {
                    st.execute(sql);
                }
                LOG.info("primary key of " + table + " renamed " + theirs.get(0).get(0) + " -> " + name + " as in the source");
            }
        }
    }

    /** For each TOC object, its portable address (type, names, args) read from the source's catalog. */
    private static List<List<String>> addresses(Connection src, List<TocEntry> objects) throws SQLException {
        List<List<String>> out = new ArrayList<>();
        try (PreparedStatement ps = src.prepareStatement("""
                SELECT a.type, a.object_names, a.object_args
                  FROM unnest(?::oid[], ?::oid[]) WITH ORDINALITY u(classid, objid, n),
                       LATERAL pg_catalog.pg_identify_object_as_address(u.classid, u.objid, 0) a
                 ORDER BY u.n""")) {
            ps.setArray(1, src.createArrayOf("int8", objects.stream().map(TocEntry::classId).toArray()));
            ps.setArray(2, src.createArrayOf("int8", objects.stream().map(TocEntry::objId).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> a = new ArrayList<>();
                    a.add(rs.getString(1));
                    a.add(arrayLiteral(rs.getArray(2)));
                    a.add(arrayLiteral(rs.getArray(3)));
                    out.add(a);
                }
            }
        }
        return out;
    }

    private static String arrayLiteral(Array a) throws SQLException {
        return a == null ? "{}" : a.toString();
    }

    /**
     * Whether the target already holds the object: found by its address; for an ATTACH, attached; for a
     * materialized view's data, populated.
     */
    private static boolean existsInTarget(Connection dst, TocEntry e, List<String> address, String target)
            throws SQLException {
        try (PreparedStatement ps = dst.prepareStatement(
                "SELECT (a).objid FROM (SELECT pg_catalog.pg_get_object_address(?, ?::text[], ?::text[]) a) x")) {
            ps.setString(1, address.get(0));
            ps.setString(2, address.get(1));
            ps.setString(3, address.get(2));
            long oid;
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                oid = rs.getLong(1);
            }
            if (e.desc().endsWith(" ATTACH")) {
                return scalar(dst, "SELECT 1 FROM pg_catalog.pg_inherits WHERE inhrelid = " + oid) != null;
            }
            if (e.desc().equals("MATERIALIZED VIEW DATA")) {
                return "true".equals(scalar(dst, "SELECT relispopulated::text FROM pg_catalog.pg_class WHERE oid = " + oid));
            }
            return true;
        } catch (SQLException ex) {
            String state = ex.getSQLState() == null ? "" : ex.getSQLState();
            if (state.startsWith("42") || state.startsWith("3F") || state.equals("22023")) {
                return false; // undefined table, object, function, schema
            }
            throw ex;
        }
    }

    /**
     * Runs the dump's GRANT/REVOKE statements one by one: a grant to a role the target lacks is skipped and
     * listed, not fatal (the rule: ACLs for roles that exist on the target).
     */
    private List<String> applyGrants(String target, String script) {
        List<String> skipped = new ArrayList<>();
        if (script.isBlank()) {
            return skipped;
        }
        try (Connection c = connections.open(target); Statement st = c.createStatement()) {
            StringBuilder stmt = new StringBuilder();
            for (String line : script.split("\n", -1)) {
                if (stmt.isEmpty() && (line.isBlank() || line.startsWith("--") || line.startsWith("\\"))) {
                    continue;
                }
                stmt.append(line).append('\n');
                if (!line.endsWith(";")) {
                    continue;
                }
                String sql = stmt.toString().strip();
                stmt.setLength(0);
                try {
                    st.execute(sql);
                } catch (SQLException e) {
                    if ("42704".equals(e.getSQLState()) && sql.matches("(?s)^(GRANT|REVOKE|ALTER DEFAULT PRIVILEGES).*")) {
                        skipped.add(sql + " (" + e.getMessage().replaceFirst("^ERROR: ", "") + ")");
                        LOG.warning("grant skipped, its role does not exist on the target: " + sql);
                        continue;
                    }
                    throw e;
                }
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, target);
        }
        return skipped;
    }

    /** Every sequence of the source gets its {@code last_value} and {@code is_called} in the target. */
    private int setSequences(String source, String target, boolean dryRun, List<String> statements) {
        int set = 0;
        try (Connection src = connections.open(source); Connection dst = connections.open(target)) {
            for (List<String> seq : rows(src, """
                    SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
                      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relkind = 'S' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                                        AND d.objid = c.oid AND d.deptype = 'e')
                     ORDER BY 1""")) {
                String name = seq.get(0);
                List<String> want = rows(src, "SELECT last_value::text, is_called::text FROM " + name).get(0);
                if (scalar(dst, "SELECT pg_catalog.to_regclass(" + Identifiers.literal(name) + ")::text") == null) {
                    continue; // dry run of a sequence pre-data has not created
                }
                List<String> have = rows(dst, "SELECT last_value::text, is_called::text FROM " + name).get(0);
                if (have.equals(want)) {
                    continue;
                }
                String sql = "SELECT pg_catalog.setval(" + Identifiers.literal(name) + ", " + want.get(0) + ", "
                        + want.get(1) + ")";
                statements.add(sql);
                if (!dryRun) {
                    scalar(dst, sql);
                    LOG.info("sequence " + name + " set to " + want.get(0) + " (is_called " + want.get(1) + ") as in " + source);
                }
                set++;
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, target);
        }
        return set;
    }

    // ---------------------------------------------------------------- helpers

    static List<TocEntry> parseToc(String listing) {
        List<TocEntry> out = new ArrayList<>();
        for (String line : listing.split("\n")) {
            Matcher m = TOC_LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String rest = m.group(4);
            String desc = LONG_DESCS.stream().filter(d -> rest.startsWith(d + " ")).findFirst()
                    .orElse(rest.contains(" ") ? rest.substring(0, rest.indexOf(' ')) : rest);
            out.add(new TocEntry(line, Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), desc,
                    rest.substring(Math.min(rest.length(), desc.length() + 1))));
        }
        return out;
    }

    /** The entry's tag without its namespace and owner (the words pg_restore prints around it). */
    private static String tagOf(TocEntry e) {
        String r = e.rest();
        int first = r.indexOf(' ');
        int last = r.lastIndexOf(' ');
        return first < 0 || last <= first ? r : r.substring(first + 1, last);
    }

    private static String normalized(String s) {
        return s.replace("\"", "").strip();
    }

    private static String lines(List<TocEntry> entries) {
        StringBuilder sb = new StringBuilder();
        entries.forEach(e -> sb.append(e.line()).append('\n'));
        return sb.toString();
    }

    private static String conninfoQuote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * Runs pg_dump or pg_restore: {@code connectionId}'s libpq environment (no other connection's secret), the
     * output returned; a failure is exit 1 with the tool's own message.
     */
    private String tool(List<String> argv, String connectionId) {
        return tool(argv, connectionId, null);
    }

    /** The same, with the tool's standard output written to {@code stdoutTo} (then "" is returned). */
    private String tool(List<String> argv, String connectionId, Path stdoutTo) {
        ProcessBuilder pb = new ProcessBuilder(argv);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith(ConnectionFactory.ENV_PREFIX) || k.startsWith("PG"));
        if (connectionId != null) {
            ConnectionUri uri = connections.uri(connectionId);
            env.putAll(uri.libpqEnvironment());
            env.put("PGAPPNAME", "tributary schema");
        }
        try {
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw JobFailure.badInput(argv.get(0) + " is not installed (" + e.getMessage() + "): install the"
                        + " PostgreSQL client (Debian: postgresql-client) of the source server's major version or newer");
            }
            p.getOutputStream().close();
            // stderr through a pipe, not a file: a full temp folder must not swallow the message that says so
            CompletableFuture<String> stderrText = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    return "(stderr unreadable: " + e.getMessage() + ")";
                }
            });
            String out;
            try (InputStream stdout = p.getInputStream()) {
                if (stdoutTo == null) {
                    out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
                } else {
                    Files.copy(stdout, stdoutTo, StandardCopyOption.REPLACE_EXISTING);
                    out = "";
                }
            } catch (IOException e) {
                p.destroyForcibly();
                throw e;
            }
            if (!p.waitFor(6, TimeUnit.HOURS)) {
                p.destroyForcibly();
                throw JobFailure.failed(argv.get(0) + " did not finish", null);
            }
            String stderr = stderrText.join();
            if (p.exitValue() != 0) {
                throw JobFailure.failed(argv.get(0) + " failed (exit " + p.exitValue() + ")"
                        + (connectionId == null ? "" : " on " + connectionId) + ": " + stderr, null);
            }
            if (!stderr.isEmpty()) {
                LOG.info(argv.get(0) + ": " + stderr);
            }
            return out;
        } catch (IOException e) {
            throw JobFailure.failed(argv.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JobFailure.failed("interrupted", e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            LOG.fine("could not delete " + p + ": " + e.getMessage());
        }
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static List<String> column(Connection c, String sql) throws SQLException {
        return rows(c, sql).stream().map(r -> r.get(0)).toList();
    }

    private static List<List<String>> rows(Connection c, String sql) throws SQLException {
        List<List<String>> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                out.add(row);
            }
        }
        return out;
    }
}
