package dev.cicd.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The lines the scripts of a {@link ShardGroup} appended as they started, one file per target
 * ({@code t<i>.txt}, lines {@code "<revision> <runner id> <sequence number>"}), read back.
 */
record ScriptRuns(Path dir) {

    /** What one script run appended: the event's revision, the runner that ran it, the value's sequence number. */
    record Run(long revision, String runner, int n) {
    }

    /** Every script run so far, per target file, in the order they were appended. */
    Map<String, List<Run>> byTarget() throws IOException {
        Map<String, List<Run>> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("t\\d+\\.txt")).toList()) {
                List<Run> list = new ArrayList<>();
                for (String line : Files.readAllLines(f)) {
                    String[] w = line.split(" ");
                    list.add(new Run(Long.parseLong(w[0]), w[1], Integer.parseInt(w[2])));
                }
                out.put(f.getFileName().toString().replace(".txt", ""), list);
            }
        }
        return out;
    }

    /** How many times each revision's script ran. */
    Map<Long, List<Run>> byRevision() throws IOException {
        Map<Long, List<Run>> out = new TreeMap<>();
        for (List<Run> list : byTarget().values()) {
            for (Run r : list) {
                out.computeIfAbsent(r.revision(), k -> new ArrayList<>()).add(r);
            }
        }
        return out;
    }

    /**
     * Targets whose runs are out of revision order, an immediate re-run of the same revision aside: target ->
     * its revisions as run.
     */
    Map<String, List<Long>> outOfOrder() throws IOException {
        Map<String, List<Long>> bad = new TreeMap<>();
        for (Map.Entry<String, List<Run>> e : byTarget().entrySet()) {
            List<Long> seq = e.getValue().stream().map(Run::revision).toList();
            for (int i = 1; i < seq.size(); i++) {
                if (seq.get(i) < seq.get(i - 1)) { // an immediate re-run repeats the revision: equal, not lower
                    bad.put(e.getKey(), seq);
                    break;
                }
            }
        }
        return bad;
    }
}
