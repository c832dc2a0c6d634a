package dev.cicd.runner.internal.confd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny reader for the TOML confd's template resources use: {@code [table]} headers and
 * {@code key = value} lines where a value is a basic or literal string, an integer, a boolean, or an
 * array of those (which may span lines). Comments start with {@code #}. Anything else is an error naming
 * the line. Not a general TOML parser: no inline tables, dotted keys, dates or multi-line strings.
 */
public final class Toml {

    /** A syntax error with its line. */
    public static final class TomlException extends RuntimeException {
        private final int line;
        private final String problem;

        public TomlException(String file, int line, String problem) {
            super(file + ":" + line + ": " + problem);
            this.line = line;
            this.problem = problem;
        }

        public int line() {
            return line;
        }

        public String problem() {
            return problem;
        }
    }

    private final String file;
    private final String text;
    private int pos;
    private int line = 1;

    private Toml(String file, String text) {
        this.file = file;
        this.text = text;
    }

    /** Tables by name ({@code ""} for keys before the first header), each a map of key to value. */
    public static Map<String, Map<String, Object>> parse(String file, String text) {
        return new Toml(file, text).document();
    }

    private Map<String, Map<String, Object>> document() {
        Map<String, Map<String, Object>> tables = new LinkedHashMap<>();
        Map<String, Object> current = new LinkedHashMap<>();
        tables.put("", current);
        while (true) {
            skipBlankAndComments();
            if (pos >= text.length()) {
                break;
            }
            char c = text.charAt(pos);
            if (c == '[') {
                pos++;
                int start = pos;
                while (pos < text.length() && text.charAt(pos) != ']' && text.charAt(pos) != '\n') {
                    pos++;
                }
                if (pos >= text.length() || text.charAt(pos) != ']') {
                    throw error("a table header needs a closing ]");
                }
                String name = text.substring(start, pos).trim();
                pos++;
                if (name.isEmpty() || name.startsWith("[")) {
                    throw error("unsupported table header [" + name + "]");
                }
                if (tables.containsKey(name)) {
                    throw error("table [" + name + "] is defined twice");
                }
                current = new LinkedHashMap<>();
                tables.put(name, current);
                endOfLine();
                continue;
            }
            String key = key();
            skipSpaces();
            if (pos >= text.length() || text.charAt(pos) != '=') {
                throw error("expected '=' after key " + key);
            }
            pos++;
            skipSpaces();
            int keyLine = line;
            Object value = value();
            if (current.put(key, value) != null) {
                line = keyLine;
                throw error("key " + key + " is defined twice");
            }
            endOfLine();
        }
        if (tables.get("").isEmpty()) {
            tables.remove("");
        }
        return tables;
    }

    private String key() {
        char c = text.charAt(pos);
        if (c == '"' || c == '\'') {
            return string();
        }
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_'
                || text.charAt(pos) == '-')) {
            pos++;
        }
        if (start == pos) {
            throw error("expected a key, found '" + c + "'");
        }
        return text.substring(start, pos);
    }

    private Object value() {
        if (pos >= text.length()) {
            throw error("expected a value");
        }
        char c = text.charAt(pos);
        if (c == '"' || c == '\'') {
            return string();
        }
        if (c == '[') {
            pos++;
            List<Object> list = new ArrayList<>();
            while (true) {
                skipBlankAndComments();
                if (pos >= text.length()) {
                    throw error("an array needs a closing ]");
                }
                if (text.charAt(pos) == ']') {
                    pos++;
                    return list;
                }
                list.add(value());
                skipBlankAndComments();
                if (pos < text.length() && text.charAt(pos) == ',') {
                    pos++;
                } else if (pos < text.length() && text.charAt(pos) != ']') {
                    throw error("expected ',' or ']' in an array");
                }
            }
        }
        int start = pos;
        while (pos < text.length() && !Character.isWhitespace(text.charAt(pos)) && text.charAt(pos) != ','
                && text.charAt(pos) != ']' && text.charAt(pos) != '#') {
            pos++;
        }
        String word = text.substring(start, pos);
        if (word.equals("true") || word.equals("false")) {
            return Boolean.valueOf(word);
        }
        if (word.matches("[+-]?[0-9][0-9_]*")) {
            return Long.valueOf(word.replace("_", ""));
        }
        throw error("unsupported value '" + word + "' (strings, integers, booleans and arrays only)");
    }

    private String string() {
        char quote = text.charAt(pos++);
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= text.length() || text.charAt(pos) == '\n') {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == quote) {
                return b.toString();
            }
            if (c == '\\' && quote == '"') {
                if (pos >= text.length()) {
                    throw error("unterminated string");
                }
                char e = text.charAt(pos++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case '"' -> b.append('"');
                    case '\\' -> b.append('\\');
                    case 'u' -> {
                        if (pos + 4 > text.length()) {
                            throw error("bad \\u escape");
                        }
                        b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> throw error("unsupported escape \\" + e);
                }
            } else {
                b.append(c);
            }
        }
    }

    private void skipSpaces() {
        while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
            pos++;
        }
    }

    private void skipBlankAndComments() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                line++;
                pos++;
            } else if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else {
                return;
            }
        }
    }

    private void endOfLine() {
        skipSpaces();
        if (pos < text.length() && text.charAt(pos) == '#') {
            while (pos < text.length() && text.charAt(pos) != '\n') {
                pos++;
            }
        }
        if (pos < text.length() && text.charAt(pos) == '\r') {
            pos++;
        }
        if (pos < text.length() && text.charAt(pos) != '\n') {
            throw error("unexpected text after the value: '" + text.substring(pos, Math.min(text.length(), text.indexOf('\n', pos) < 0 ? text.length() : text.indexOf('\n', pos))) + "'");
        }
    }

    private TomlException error(String message) {
        return new TomlException(file, line, message);
    }
}
