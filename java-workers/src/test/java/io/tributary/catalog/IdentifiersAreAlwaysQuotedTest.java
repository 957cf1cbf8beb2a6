package io.tributary.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.result.JobFailure;
import org.junit.jupiter.api.Test;

class IdentifiersAreAlwaysQuotedTest {

    @Test
    void identifiersAndLiteralsAreQuotedAndEscaped() {
        assertEquals("\"users\"", Identifiers.quote("users"));
        assertEquals("\"Users\"", Identifiers.quote("Users"));
        assertEquals("\"we\"\"ird\"", Identifiers.quote("we\"ird"));
        assertEquals("\"public\".\"order\"", Identifiers.qualified("public", "order"));
        assertEquals("'O''Brien'", Identifiers.literal("O'Brien"));
        assertThrows(IllegalArgumentException.class, () -> Identifiers.quote("a\0b"));
    }

    @Test
    void tableNamesAreSchemaDotTable() {
        assertEquals(new TableRef("public", "Users"), TableRef.parse("public.Users", "--table"));
        assertEquals("\"public\".\"Users\"", TableRef.parse("public.Users", "--table").quoted());
        assertThrows(JobFailure.class, () -> TableRef.parse("users", "--table"));
        assertThrows(JobFailure.class, () -> TableRef.parse("a.b.c", "--table"));
        assertThrows(JobFailure.class, () -> TableRef.parse(".users", "--table"));
    }
}
