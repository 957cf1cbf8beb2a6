package io.tributary.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.schema.SchemaRestore.TocEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code pg_restore --list} lines as pg_dump 15 prints them for pgcopydb's unit schemas: descriptions of several
 * words, names with spaces, dots and quotes, entries without a catalog id (comments, OWNED BY, ACLs).
 */
class DumpTocListIsReadEntryByEntryTest {
    private static final String LISTING = """
            ;
            ; Archive created at 2026-12-07 02:40:19 UTC
            ;     dbname: fid_src
            ;
            9; 2615 17067 SCHEMA - "abc" postgres
            3006; 3456 16972 COLLATION public mycol postgres
            2; 3079 17092 EXTENSION - uuid-ossp\s
            3564; 0 0 COMMENT - EXTENSION "uuid-ossp"\s
            3566; 0 0 ACL public FUNCTION test_function_acl(x integer, y integer) postgres
            233; 1259 17013 TABLE Sp1eCial .Char Tabl e.1testing postgres
            3567; 0 0 SEQUENCE OWNED BY public colls_id_seq postgres
            3368; 2606 17085 CHECK CONSTRAINT public employees chk_employees_name_not_abc postgres
            3409; 2606 17018 FK CONSTRAINT Sp1eCial .Char Tabl e.1testing Tabl e_fk_1_testing postgres
            3410; 0 16400 MATERIALIZED VIEW DATA public rental_by_category postgres
            """;

    @Test
    void everyEntryKeepsItsLineCatalogIdAndDescription() {
        List<TocEntry> toc = SchemaRestore.parseToc(LISTING);
        assertEquals(10, toc.size(), "comment lines (;) are not entries");
        assertEquals(List.of("SCHEMA", "COLLATION", "EXTENSION", "COMMENT", "ACL", "TABLE", "SEQUENCE OWNED BY",
                "CHECK CONSTRAINT", "FK CONSTRAINT", "MATERIALIZED VIEW DATA"), toc.stream().map(TocEntry::desc).toList());
        assertEquals(1259, toc.get(5).classId());
        assertEquals(17013, toc.get(5).objId());
        assertEquals("Sp1eCial .Char Tabl e.1testing postgres", toc.get(5).rest());
        assertEquals("233; 1259 17013 TABLE Sp1eCial .Char Tabl e.1testing postgres", toc.get(5).line(),
                "the line goes back to pg_restore --use-list unchanged");
        assertEquals(0, toc.get(6).classId(), "OWNED BY has no catalog id of its own");
        assertTrue(toc.get(4).isAcl());
        assertTrue(toc.stream().filter(TocEntry::isAcl).count() == 1);
    }
}
