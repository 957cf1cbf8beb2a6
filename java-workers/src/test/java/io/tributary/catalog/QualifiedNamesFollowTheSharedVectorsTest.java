package io.tributary.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.merge.MergeJob;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The worker reads qualified names by the same examples as the DAGs ({@code docs/qualified-names.json}, also read
 * by {@code tests/test_names.py}): the two parsers cannot drift.
 */
class QualifiedNamesFollowTheSharedVectorsTest {

    static Stream<JsonNode> vectors() throws IOException {
        Path file = Path.of(System.getProperty("tributary.repo.dir", ".."), "docs", "qualified-names.json");
        List<JsonNode> out = new ArrayList<>();
        new ObjectMapper().readTree(file.toFile()).get("vectors").forEach(out::add);
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void eachVector(JsonNode v) {
        String input = v.get("input").asText();
        int parts = v.get("parts").asInt();
        if (v.get("names").isNull()) {
            JobFailure failure = assertThrows(JobFailure.class, () -> TableRef.parseName(input, parts, "--table"));
            assertEquals(ExitCode.BAD_INPUT, failure.exitCode());
            return;
        }
        List<String> expected = new ArrayList<>();
        v.get("names").forEach(n -> expected.add(n.asText()));
        assertEquals(expected, TableRef.parseName(input, parts, "--table"), input);
        assertEquals(v.get("canonical").asText(), TableRef.render(expected));
        assertEquals(expected, TableRef.parseName(v.get("canonical").asText(), parts, "--table"));
        if (parts == 2) {
            TableRef ref = TableRef.parse(input, "--table");
            assertEquals(v.get("canonical").asText(), ref.toString());
            assertEquals(ref, TableRef.parse(ref.toString(), "--table"));
        }
    }

    @Test
    void aBadNameSaysWhatIsWrongAndWhere() {
        JobFailure failure = assertThrows(JobFailure.class, () -> TableRef.parse("public.my\ttable", "--table"));
        assertTrue(failure.getMessage().contains("--table 'public.my\\u0009table' must be schema.table"),
                failure.getMessage());
        assertTrue(failure.getMessage().contains("position 10"), failure.getMessage());
    }

    @Test
    void theMergeFormReadsQuotedNamesWithItsSeparatorsInside() {
        MergeJob job = MergeJob.parse("src_eu:\"Sp1eCial .Char\".\"a=b@c\"=\"Eu Data\".\"x.y\"@other", "consolidated");
        assertEquals("src_eu", job.source());
        assertEquals(new TableRef("Sp1eCial .Char", "a=b@c"), job.table());
        assertEquals(new TableRef("Eu Data", "x.y"), job.targetTable());
        assertEquals("other", job.target());

        MergeJob plain = MergeJob.parse("src_eu:public.users", "consolidated");
        assertEquals(new TableRef("public", "users"), plain.targetTable());
        assertEquals("consolidated", plain.target());

        MergeJob rendered = MergeJob.parse("src_us:" + new TableRef("public", "with \"q\"\nline") + "="
                + new TableRef("Eu Data", "t") + "@consolidated", null);
        assertEquals(new TableRef("public", "with \"q\"\nline"), rendered.table());
        assertEquals(new TableRef("Eu Data", "t"), rendered.targetTable());

        assertThrows(JobFailure.class, () -> MergeJob.parse("src_eu:public.users\textra", "consolidated"));
        assertThrows(JobFailure.class, () -> MergeJob.parse("src_eu:public.users@", "consolidated"));
    }
}
