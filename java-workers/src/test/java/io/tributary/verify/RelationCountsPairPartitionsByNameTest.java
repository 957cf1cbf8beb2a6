package io.tributary.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.catalog.TableRef;
import io.tributary.verify.RelationCounts.Relation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the independent relation counts of the two sides are paired (no database needed). */
class RelationCountsPairPartitionsByNameTest {
    private static Relation table(String schema, String name, long rows) {
        return new Relation(new TableRef(schema, name), false, rows);
    }

    private static Relation partition(String schema, String name, long rows) {
        return new Relation(new TableRef(schema, name), true, rows);
    }

    @Test
    void partitionsPairByNameEvenInAnotherSchema() {
        var c = RelationCounts.compare(
                List.of(table("public", "events", 0), partition("public", "events_a", 10), partition("public", "events_b", 5)),
                List.of(table("eu", "events", 0), partition("eu", "events_b", 5), partition("eu", "events_a", 9)));
        assertEquals("per relation", c.how());
        assertFalse(c.agrees());
        assertEquals(1, c.mismatches().size());
        assertEquals("public.events_a", c.mismatches().get(0).relation());
        assertEquals("ONLY eu.events_a", c.mismatches().get(0).targetRelation());
        assertTrue(c.describeMismatches().contains("public.events_a: source 10 rows, target 9 rows"));
    }

    @Test
    void anotherPartitionLayoutComparesTreeTotals() {
        var c = RelationCounts.compare(
                List.of(table("public", "events", 0), partition("public", "events_a", 10), partition("public", "events_b", 5)),
                List.of(table("public", "events", 15)));
        assertEquals("tree totals", c.how());
        assertTrue(c.agrees());
        assertEquals(15, c.pairs().get(0).targetRows());
    }

    @Test
    void aPlainTableComparesItsOwnRows() {
        var c = RelationCounts.compare(List.of(table("public", "parent_model", 0)),
                List.of(table("public", "parent_model", 2000)));
        assertFalse(c.agrees());
        assertEquals("public.parent_model: source 0 rows, target 2000 rows in ONLY public.parent_model",
                c.describeMismatches());
    }
}
