package io.tributary.conflicts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Discovery's conflict detection knows a key column only by its inventory type name; resolve reads the
 * catalog. Both must render a key the same way, or discovery and resolve count different duplicates (money
 * was rendered by lc_monetary's text in one and as a number in the other).
 */
@RequiresPostgres
class DiscoveryAndResolveRenderKeysAlikeTest {
    static ScratchDatabase db;
    static TableShape shape;

    @BeforeAll
    static void table() throws Exception {
        db = TestPostgres.createDatabase("render_keys");
        db.execute("CREATE TABLE public.k (n numeric(18,4), m money, j json, t text, a numeric(10,2)[], i bigint)",
                "INSERT INTO public.k VALUES (1.5000, 1.50, '{\"b\": 1,  \"a\": 2}', 'x', '{1.50,2.00}', 7)");
        try (Connection c = db.connect()) {
            shape = new CatalogReader().read(c, new TableRef("public", "k")).orElseThrow();
        }
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void everyColumnIsRenderedTheSameWayFromItsInventoryTypeAsFromTheCatalog() {
        ObjectNode table = new ObjectMapper().createObjectNode();
        ArrayNode columns = table.putArray("columns");
        shape.columns().forEach(c -> columns.addObject().put("name", c.name()).put("type", c.type()));
        for (ColumnShape column : shape.columns()) {
            assertEquals(ColumnShape.canonicalText(List.of("r." + column.quotedName()), List.of(column)),
                    KeyConflicts.keyText(table, List.of(column.name())), column.type());
        }
        List<String> all = shape.columns().stream().map(ColumnShape::name).toList();
        assertEquals(ColumnShape.canonicalText(all.stream().map(n -> "r.\"" + n + "\"").toList(), shape.columns()),
                KeyConflicts.keyText(table, all));
    }

    @Test
    void moneyAndNumericKeysAreNumbersWithoutTrailingZeros() {
        ObjectNode table = new ObjectMapper().createObjectNode();
        ArrayNode columns = table.putArray("columns");
        shape.columns().forEach(c -> columns.addObject().put("name", c.name()).put("type", c.type()));
        assertEquals("1.5", db.query("SELECT " + KeyConflicts.keyText(table, List.of("m")) + " FROM public.k r"));
        assertEquals("1.5", db.query("SELECT " + KeyConflicts.keyText(table, List.of("n")) + " FROM public.k r"));
        assertEquals("{\"a\": 2, \"b\": 1}", db.query("SELECT " + KeyConflicts.keyText(table, List.of("j")) + " FROM public.k r"));
    }
}
