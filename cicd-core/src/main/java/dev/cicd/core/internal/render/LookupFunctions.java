package dev.cicd.core.internal.render;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.InitialDirContext;

/**
 * confd's DNS functions, for allow-listed names only: {@code lookupIP(name)} (the addresses as text,
 * sorted; empty when the name does not resolve, as confd) and {@code lookupSRV(service, proto, name)}
 * (maps with {@code Target}, {@code Port}, {@code Priority}, {@code Weight}, sorted as confd sorts them).
 * A name off the list fails the render naming it: a payload must not make the runner query any name.
 * An entry {@code example.com} allows that name; {@code *.example.com} allows the names below it.
 */
final class LookupFunctions {

    private LookupFunctions() {
    }

    static void register(FunctionTable t, Set<String> allow) {
        t.fn("lookupIP", List.of("name"), 1, a -> {
            String name = allowed(a, "lookupIP", a.str("name"), allow);
            List<String> out = new ArrayList<>();
            try {
                for (InetAddress ip : InetAddress.getAllByName(name)) {
                    out.add(ip.getHostAddress().replaceAll("%.*$", ""));
                }
            } catch (UnknownHostException e) {
                return List.of();
            }
            Collections.sort(out);
            return Collections.unmodifiableList(out);
        });
        t.fn("lookupSRV", List.of("service", "proto", "name"), 3, a -> {
            String name = allowed(a, "lookupSRV", a.str("name"), allow);
            String query = "_" + a.str("service") + "._" + a.str("proto") + "." + name;
            List<Map<String, Object>> out = new ArrayList<>();
            try {
                Hashtable<String, String> env = new Hashtable<>();
                env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
                InitialDirContext ctx = new InitialDirContext(env);
                Attribute srv = ctx.getAttributes(query, new String[] {"SRV"}).get("SRV");
                if (srv != null) {
                    NamingEnumeration<?> all = srv.getAll();
                    while (all.hasMore()) {
                        String[] f = String.valueOf(all.next()).trim().split("\\s+");
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("Target", f[3]);
                        m.put("Port", Long.parseLong(f[2]));
                        m.put("Priority", Long.parseLong(f[0]));
                        m.put("Weight", Long.parseLong(f[1]));
                        out.add(Collections.unmodifiableMap(m));
                    }
                }
            } catch (NamingException | RuntimeException e) {
                return List.of();
            }
            out.sort(Comparator.comparing(m -> "" + m.get("Target") + m.get("Port") + m.get("Priority") + m.get("Weight")));
            return Collections.unmodifiableList(out);
        });
    }

    /** Whether {@code name} is on the allow-list ({@code name}, or {@code *.domain} for the names below it). */
    static boolean allows(Set<String> allow, String name) {
        String n = name.toLowerCase(Locale.ROOT).replaceAll("\\.$", "");
        for (String entry : allow) {
            String e = entry.toLowerCase(Locale.ROOT).replaceAll("\\.$", "");
            if (e.startsWith("*.") ? n.endsWith(e.substring(1)) && n.length() > e.length() - 1 : n.equals(e)) {
                return true;
            }
        }
        return false;
    }

    private static String allowed(FunctionTable.Args a, String fn, String name, Set<String> allow) {
        if (!allows(allow, name)) {
            throw a.fail(fn + ": '" + ShellText.oneLine(name) + "' is not on the lookup allow-list " + allow
                    + " (names a template may resolve)");
        }
        return name;
    }
}
