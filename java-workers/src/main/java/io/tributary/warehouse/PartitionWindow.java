package io.tributary.warehouse;

import io.tributary.result.JobFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One partition of a series, as {@code --partition [NAME=]FROM/TO} spells it: {@code [FROM, TO)} on the partition
 * column, staged under {@code <prefix>/<NAME>}. A series lets one worker call stage (or load) many daily
 * partitions in turn, each with its own files, manifest, ledger row and verification (an initial load of
 * months of history), instead of one Airflow run per day.
 *
 * @param name the partition's name in the staging prefix and the results (e.g. the trading day), or null
 */
public record PartitionWindow(String name, String from, String to) {
    private static final Pattern SPEC = Pattern.compile("^(?:([A-Za-z0-9_.:-]+)=)?([^/=]+)/([^/=]+)$");

    public static PartitionWindow parse(String spec) {
        Matcher m = SPEC.matcher(spec.trim());
        if (!m.matches()) {
            throw JobFailure.badInput("--partition '" + spec + "' is not [NAME=]FROM/TO (e.g. 2026-10-27="
                    + "2026-10-26T21:30:00+00:00/2026-10-27T21:30:00+00:00)");
        }
        return new PartitionWindow(m.group(1), m.group(2), m.group(3));
    }

    public static List<PartitionWindow> parseAll(List<String> specs) {
        List<PartitionWindow> out = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String s : specs == null ? List.<String>of() : specs) {
            PartitionWindow w = parse(s);
            if (!names.add(w.key())) {
                throw JobFailure.badInput("--partition " + w.key() + " is given twice");
            }
            out.add(w);
        }
        return out;
    }

    /** Where this partition's objects go under the series' prefix. */
    public String key() {
        return name != null ? name : (from + ".." + to).replace(':', '-');
    }
}
