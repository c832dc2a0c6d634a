package dev.cicd.core.internal.render;

import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One key and its value as {@code gets} returns them: read as {@code .key}/{@code .value} (Pebble) or
 * {@code .Key}/{@code .Value} (confd's memkv.KVPair, in imported templates); it prints as Go prints the
 * struct, {@code {/key value}}.
 */
public final class KVPair extends AbstractMap<String, String> {

    private final String key;
    private final String value;
    private final Map<String, String> fields;

    public KVPair(String key, String value) {
        this.key = key;
        this.value = value;
        Map<String, String> m = new LinkedHashMap<>();
        m.put("key", key);
        m.put("value", value);
        m.put("Key", key);
        m.put("Value", value);
        this.fields = m;
    }

    public String getKey() {
        return key;
    }

    public String getValue() {
        return value;
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return fields.entrySet();
    }

    @Override
    public String get(Object name) {
        return fields.get(name);
    }

    @Override
    public boolean containsKey(Object name) {
        return fields.containsKey(name);
    }

    @Override
    public String toString() {
        return GoValues.fmtV(this);
    }
}
