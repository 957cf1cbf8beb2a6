package io.tributary.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * docs/cli/&lt;command&gt;.md embed each command's --help verbatim, so docs and CLI never drift. After changing
 * options, refresh them with: {@code mvn -q test -Dtest=CliDocsMatchHelpTest -Dtributary.docs.write=true}.
 */
class CliDocsMatchHelpTest {
    private static final String BEGIN = "<!-- BEGIN tributary --help (generated: CliDocsMatchHelpTest) -->";
    private static final String END = "<!-- END tributary --help -->";

    private static Map<String, String> helpByPage() {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        CommandLine cli = TributaryCommand.commandLine(new WorkerContext(Map.of(), sink, sink));
        Map<String, String> pages = new HashMap<>();
        pages.put("README", cli.getUsageMessage(CommandLine.Help.Ansi.OFF));
        cli.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                pages.put(name, sub.getUsageMessage(CommandLine.Help.Ansi.OFF));
                // a nested command gets its own page: `catalog search` -> catalog-search.md
                sub.getSubcommands().forEach((child, cmd) -> pages.put(name + "-" + child,
                        cmd.getUsageMessage(CommandLine.Help.Ansi.OFF)));
            }
        });
        return pages;
    }

    @Test
    void everyCommandPageEmbedsItsCurrentHelp() throws IOException {
        Path docs = Path.of(System.getProperty("tributary.repo.dir", ".."), "docs", "cli");
        boolean write = Boolean.getBoolean("tributary.docs.write");
        for (Map.Entry<String, String> page : helpByPage().entrySet()) {
            Path file = docs.resolve(page.getKey() + ".md");
            assertTrue(Files.exists(file), file + " is missing");
            String text = Files.readString(file);
            int begin = text.indexOf(BEGIN);
            int end = text.indexOf(END);
            assertTrue(begin >= 0 && end > begin, file + " lacks the help markers");
            String block = BEGIN + "\n```text\n" + page.getValue().stripTrailing() + "\n```\n";
            String current = text.substring(begin, end);
            if (write && !current.equals(block)) {
                Files.writeString(file, text.substring(0, begin) + block + text.substring(end));
            } else {
                assertEquals(block, current, file + " is out of date; run mvn -q test -Dtest=CliDocsMatchHelpTest"
                        + " -Dtributary.docs.write=true");
            }
        }
    }
}
