package io.tributary.merge;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableShape;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.copy.CopyRequest;
import io.tributary.diff.DiffRequest;
import io.tributary.ledger.ControlSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.logging.Logger;

/**
 * The copy's view of the merge: a {@link CopyRequest.SelectionShaper} that applies what {@code tributary
 * resolve} recorded for this source table (identity when nothing was recorded, e.g. a one-to-one copy).
 * Reads the control schema and the source's foreign keys once, before the copy's snapshot starts.
 */
public final class MergeProjection implements CopyRequest.SelectionShaper {
    private static final Logger LOG = Logger.getLogger(MergeProjection.class.getName());

    private final KeyRemapper remapper;
    private final String source;
    private final TableRef table;
    private final List<SourceKeys.ForeignKey> foreignKeys;

    private MergeProjection(KeyRemapper remapper, String source, TableRef table, List<SourceKeys.ForeignKey> fks) {
        this.remapper = remapper;
        this.source = source;
        this.table = table;
        this.foreignKeys = fks;
    }

    /** {@code target} null means the consolidated connection. */
    public static CopyRequest.SelectionShaper forCopy(MigrationConfig config, ConnectionFactory connections,
            String source, TableRef table, String target) {
        String into = target != null ? target : config.targets().consolidatedConnection();
        ControlSchema schema = new ControlSchema(config.control().schema());
        List<SourceKeys.ForeignKey> fks;
        TableShape shape;
        try (Connection c = connections.open(source)) {
            fks = SourceKeys.foreignKeys(c, table);
            shape = new CatalogReader().read(c, table).orElse(null);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, source);
        }
        try (Connection control = connections.open(config.control().connection())) {
            if (shape == null || !schema.exists(control)) { // a missing table is the copy's to report
                return CopyRequest.SelectionShaper.IDENTITY;
            }
            // Loaded eagerly: the copy calls shape() inside its source snapshot, and the control connection is closed.
            KeyRemapper remapper = new KeyRemapper(new RemapLedger(schema), control, into, new MergeRules(config));
            MergeProjection p = new MergeProjection(remapper, source, table, fks);
            p.prepared = remapper.prepare(shape, source, fks);
            return p;
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, config.control().connection());
        }
    }

    /**
     * What {@code tributary diff} needs to compare a merged source with the target (null when this source table
     * was not merged): the key offset (kept out of the projections: diff bisects on it), the other remapped
     * columns, the losing duplicates to leave out, and the target rows that came from this source.
     */
    public static DiffRequest.Merged forDiff(MigrationConfig config, ConnectionFactory connections, String source,
            TableRef table, String target) {
        ControlSchema schema = new ControlSchema(config.control().schema());
        try (Connection c = connections.open(source);
                Connection control = connections.open(config.control().connection())) {
            TableShape shape = new CatalogReader().read(c, table).orElse(null);
            if (shape == null || !schema.exists(control)) {
                return null;
            }
            KeyRemapper remapper = new KeyRemapper(new RemapLedger(schema), control, target, new MergeRules(config));
            var own = remapper.offset(source, table);
            if (own.isEmpty() || own.get().originColumn() == null) {
                return null;
            }
            KeyRemapper.Prepared p = remapper.prepare(shape, source, SourceKeys.foreignKeys(c, table));
            java.util.Map<String, String> projections = new java.util.HashMap<>(p.projections());
            if (own.get().keyColumn() != null) {
                projections.remove(own.get().keyColumn());
            }
            return new DiffRequest.Merged(own.get().offset(), projections, p.predicate(),
                    io.tributary.catalog.Identifiers.quote(p.originColumn()) + " = " + p.originLiteral());
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, source);
        }
    }

    private KeyRemapper.Prepared prepared;

    @Override
    public RowSelection shape(RowSelection plain) {
        RowSelection shaped = prepared.apply(plain);
        if (!shaped.isIdentity() || shaped.predicate() != null) {
            LOG.info("merge projection for " + source + "." + table + ": " + shaped.selectSql().length()
                    + " characters of SELECT" + (shaped.predicate() != null ? ", losing duplicates left out" : ""));
        }
        return shaped;
    }

    @Override
    public String ownRowsInTarget() {
        return prepared.originColumn() == null ? null
                : io.tributary.catalog.Identifiers.quote(prepared.originColumn()) + " = " + prepared.originLiteral();
    }

}
