package dev.cicd.core.internal.render;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The watch's keys (relative to its prefix, e.g. {@code /trigger}) as confd's template functions see
 * them: {@code getv}, {@code exists}, {@code gets}, {@code getvs}, {@code ls}, {@code lsdir}.
 */
public final class KeyView {

    private final SortedMap<String, String> keys;
    private final String prefix;

    /**
     * @param keys   relative key -> value; not copied, must not change while the view is used
     * @param prefix the watch prefix, for messages
     */
    public KeyView(SortedMap<String, String> keys, String prefix) {
        this.keys = keys;
        this.prefix = prefix;
    }

    /** A key as the functions look it up: with a leading {@code /}. */
    public static String normalize(String key) {
        return key.startsWith("/") ? key : "/" + key;
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(keys.get(normalize(key)));
    }

    public boolean exists(String key) {
        return keys.containsKey(normalize(key));
    }

    /** Why a key is missing, for messages. */
    public String describeMissing(String key) {
        return "key '" + normalize(key) + "' does not exist (keys are relative to the watch prefix '" + prefix
                + "'; present: " + keys.keySet() + ")";
    }

    /**
     * Key/value pairs whose key matches the glob, sorted by key (as confd's memkv does); each a
     * {@link KVPair} read as {@code key}/{@code value} or {@code Key}/{@code Value}.
     */
    public List<KVPair> gets(String pattern) {
        Pattern p = GoPath.compile(pattern);
        List<KVPair> out = new ArrayList<>();
        for (Map.Entry<String, String> e : keys.entrySet()) {
            if (p.matcher(e.getKey()).matches()) {
                out.add(new KVPair(e.getKey(), e.getValue()));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** Values of keys matching the glob, sorted by value (as confd does). */
    public List<String> getvs(String pattern) {
        Pattern p = GoPath.compile(pattern);
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : keys.entrySet()) {
            if (p.matcher(e.getKey()).matches()) {
                out.add(e.getValue());
            }
        }
        Collections.sort(out);
        return Collections.unmodifiableList(out);
    }

    /** Names of the entries (keys and sub-directories) directly below {@code dir}, sorted. */
    public List<String> ls(String dir) {
        return list(dir, false);
    }

    /** Names of the sub-directories (entries that have keys below them) directly below {@code dir}, sorted. */
    public List<String> lsdir(String dir) {
        return list(dir, true);
    }

    private List<String> list(String dir, boolean onlyDirs) {
        String clean = GoPath.clean(normalize(dir));
        String below = clean.equals("/") ? "/" : clean + "/";
        TreeSet<String> names = new TreeSet<>();
        for (String k : keys.tailMap(clean).keySet()) {
            if (k.equals(clean)) {
                // confd lists an exact key as its own base name
                if (!onlyDirs) {
                    names.add(GoPath.base(k));
                }
                continue;
            }
            if (!k.startsWith(clean)) {
                break; // keys sharing the prefix are contiguous in sorted order
            }
            if (!k.startsWith(below)) {
                continue;
            }
            String rest = k.substring(below.length());
            int slash = rest.indexOf('/');
            if (slash > 0) {
                names.add(rest.substring(0, slash));
            } else if (!onlyDirs && !rest.isEmpty()) {
                names.add(rest);
            }
        }
        return List.copyOf(names);
    }
}
