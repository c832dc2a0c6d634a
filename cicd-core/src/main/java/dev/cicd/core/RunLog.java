package dev.cicd.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log file per executed plan, like the recipe's {@code logs/}: {@code
 * <dir>/<watch>/<yyyyMMdd_HHmmss_SSS>-r<revision>.log}, named by the time the run started (in the
 * clock's zone), holding the event, the outcome and its reason, the exit code, the plan text and the
 * output.
 *
 * <p>Retention per watch, applied after each write and by {@link #prune()}: files whose name-time is
 * older than {@code maxAge} are deleted, then all but the newest {@code maxFiles}, then the oldest until the
 * watch's files take at most {@code maxBytes}. Only files named like run logs are touched.
 *
 * <p>Never throws into the pipeline: an I/O failure is logged as a warning and {@link #write} returns
 * empty.
 */
public final class RunLog {

    /** Default retention by age: 7 days. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(7);
    /** Default retention by count per watch: 500 files. */
    public static final int DEFAULT_MAX_FILES = 500;
    /** Default retention by size per watch: 256 MiB. */
    public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(RunLog.class);
    private static final String TIME_PATTERN = "yyyyMMdd_HHmmss_SSS";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern(TIME_PATTERN);
    private static final Pattern NAME = Pattern.compile("(\\d{8}_\\d{6}_\\d{3})-r(\\d+)(?:-(\\d+))?\\.log");

    private final Path dir;
    private final Duration maxAge;
    private final int maxFiles;
    private final long maxBytes;
    private final Clock clock;

    private RunLog(Builder b) {
        this.dir = Objects.requireNonNull(b.dir, "dir");
        this.maxAge = b.maxAge;
        this.maxFiles = b.maxFiles;
        this.maxBytes = b.maxBytes;
        this.clock = b.clock;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The root directory. */
    public Path dir() {
        return dir;
    }

    /** The directory holding a watch's run logs. */
    public Path watchDir(String watch) {
        return dir.resolve(watch);
    }

    /** Writes the run log of an executed plan and applies retention for its watch. */
    public Optional<Path> write(Plan plan, Outcome outcome) {
        return write(outcome, plan.text());
    }

    /**
     * Writes the run log of an outcome whose plan text was {@code planText} and applies retention for
     * its watch.
     *
     * @return the file, or empty when it could not be written (logged)
     */
    public Optional<Path> write(Outcome outcome, String planText) {
        try {
            Path watchDir = watchDir(outcome.watch());
            Files.createDirectories(watchDir);
            String base = TIME.format(LocalDateTime.ofInstant(outcome.started(), clock.getZone()))
                    + "-r" + outcome.revision();
            byte[] content = render(outcome, planText == null ? "" : planText).getBytes(StandardCharsets.UTF_8);
            Path file = null;
            for (int n = 0; file == null; n++) {
                Path candidate = watchDir.resolve(base + (n == 0 ? "" : "-" + n) + ".log");
                try {
                    Files.write(candidate, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    file = candidate;
                } catch (FileAlreadyExistsException e) {
                    if (n > 1000) {
                        throw e;
                    }
                }
            }
            prune(outcome.watch(), file);
            return Optional.of(file);
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not write the run log of {} revision {} under {}: {}", outcome.watch(),
                    outcome.revision(), dir, e.toString());
            return Optional.empty();
        }
    }

    /** Applies retention to every watch directory; returns how many files were deleted. Never throws. */
    public int prune() {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int deleted = 0;
        try (DirectoryStream<Path> watches = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path w : watches) {
                deleted += prune(w.getFileName().toString());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not prune run logs under {}: {}", dir, e.toString());
        }
        return deleted;
    }

    /** Applies retention to one watch's run logs; returns how many files were deleted. Never throws. */
    public int prune(String watch) {
        return prune(watch, null);
    }

    /** Retention for one watch, never deleting {@code keep} (the file just written). */
    private int prune(String watch, Path keep) {
        Path watchDir = watchDir(watch);
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(watchDir)) {
            for (Path f : files) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                try {
                    Instant t = LocalDateTime.parse(m.group(1), TIME).atZone(clock.getZone()).toInstant();
                    long rev = Long.parseLong(m.group(2));
                    int seq = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
                    entries.add(new Entry(f, t, rev, seq));
                } catch (DateTimeParseException | NumberFormatException e) {
                    // named almost like a run log; not ours to delete
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not list run logs in {}: {}", watchDir, e.toString());
            return 0;
        }
        entries.sort(Comparator.comparing(Entry::time).thenComparingLong(Entry::revision)
                .thenComparingInt(Entry::seq).reversed());
        Instant oldest = maxAge == null ? null : clock.instant().minus(maxAge);
        int deleted = 0;
        long bytes = 0;
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            bytes += size(e.file());
            boolean tooMany = maxFiles > 0 && i >= maxFiles;
            boolean tooOld = oldest != null && e.time().isBefore(oldest);
            boolean tooBig = maxBytes > 0 && bytes > maxBytes;
            if ((tooMany || tooOld || tooBig) && !e.file().equals(keep)) {
                try {
                    if (Files.deleteIfExists(e.file())) {
                        deleted++;
                    }
                } catch (IOException | RuntimeException ex) {
                    LOG.warn("could not delete old run log {}: {}", e.file(), ex.toString());
                }
            }
        }
        return deleted;
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private String render(Outcome o, String planText) {
        TriggerEvent e = o.event();
        StringBuilder sb = new StringBuilder(planText.length() + o.output().length() + 512);
        sb.append("watch: ").append(o.watch()).append('\n');
        sb.append("key: ").append(e.key()).append('\n');
        sb.append("revision: ").append(e.modRevision()).append('\n');
        sb.append("event: ").append(e.type()).append('\n');
        o.requestId().ifPresent(id -> sb.append("request-id: ").append(id).append('\n'));
        o.fingerprint().ifPresent(f -> sb.append("fingerprint: ").append(f).append('\n'));
        sb.append("started: ").append(o.started()).append('\n');
        sb.append("finished: ").append(o.finished()).append('\n');
        sb.append("duration: ").append(Duration.between(o.started(), o.finished())).append('\n');
        sb.append("outcome: ").append(o.kind().label()).append('\n');
        sb.append("reason: ").append(o.reason()).append('\n');
        sb.append("exit-code: ").append(o.exitCode().isPresent() ? Integer.toString(o.exitCode().getAsInt()) : "none")
                .append('\n');
        sb.append("----- plan -----\n").append(planText);
        if (!planText.endsWith("\n")) {
            sb.append('\n');
        }
        sb.append("----- output -----\n").append(o.output());
        if (!o.output().isEmpty() && !o.output().endsWith("\n")) {
            sb.append('\n');
        }
        sb.append("----- end -----\n");
        return sb.toString();
    }

    private record Entry(Path file, Instant time, long revision, int seq) {
    }

    /** Configures a {@link RunLog}. */
    public static final class Builder {
        private Path dir;
        private Duration maxAge = DEFAULT_MAX_AGE;
        private int maxFiles = DEFAULT_MAX_FILES;
        private long maxBytes = DEFAULT_MAX_BYTES;
        private Clock clock = Clock.systemDefaultZone();

        private Builder() {
        }

        /** The root directory (required); created when missing. */
        public Builder dir(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** Delete run logs older than this; {@code null} keeps them regardless of age. Default 7 days. */
        public Builder maxAge(Duration maxAge) {
            if (maxAge != null && (maxAge.isNegative() || maxAge.isZero())) {
                throw new IllegalArgumentException("maxAge must be positive, was " + maxAge);
            }
            this.maxAge = maxAge;
            return this;
        }

        /** Keep at most this many run logs per watch; 0 for no limit. Default 500. */
        public Builder maxFiles(int maxFiles) {
            if (maxFiles < 0) {
                throw new IllegalArgumentException("maxFiles must be >= 0, was " + maxFiles);
            }
            this.maxFiles = maxFiles;
            return this;
        }

        /** The clock for retention and the zone of file names. Default: system clock and zone. */
        /** How many bytes of run logs a watch keeps (the newest files); default 256 MiB, 0 for no limit. */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes < 0) {
                throw new IllegalArgumentException("maxBytes must be >= 0, was " + maxBytes);
            }
            this.maxBytes = maxBytes;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public RunLog build() {
            if (dir == null) {
                throw new IllegalStateException("RunLog needs a dir");
            }
            return new RunLog(this);
        }
    }
}
