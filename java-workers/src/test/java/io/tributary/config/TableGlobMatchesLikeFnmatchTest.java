package io.tributary.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The worker matches migration.yaml's globs exactly as the DAGs do (Python's fnmatch.fnmatchcase): the same
 * cases, from one file, run by tests/test_config.py in Python.
 */
class TableGlobMatchesLikeFnmatchTest {

    @Test
    void everySharedCaseMatchesAsInPython() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(Path.of("..", "config", "glob-cases.json").toFile()).path("cases");
        assertTrue(cases.size() >= 20);
        for (JsonNode c : cases) {
            String glob = c.path("glob").asText();
            String name = c.path("name").asText();
            assertEquals(c.path("match").asBoolean(), TableGlob.matches(glob, name), glob + " vs " + name);
        }
    }

    @Test
    void onlyGlobSyntaxMakesAGlob() {
        assertTrue(TableGlob.isGlob("src_[eu]"));
        assertTrue(TableGlob.isGlob("src_*"));
        assertEquals(false, TableGlob.isGlob("src_eu"));
    }
}
