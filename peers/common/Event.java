package streamtop.peers;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * One device event (SPEC §1): the JSON form {"id","di","dt","c","m1","m2"} (dt a number or a numeric
 * string) or the original text form id|device|devicetime|category|m1|m2. A flat hand-written scanner:
 * the peers share no JSON library, and events are flat.
 */
public final class Event implements Serializable {
    private static final long serialVersionUID = 1L;
    public String id;
    public String device;
    public long time; // device time, ms
    public String category;
    public long m1;
    public double m2;

    public Event() {}

    /** Parses one record value; throws IllegalArgumentException with a short reason. */
    public static Event parse(byte[] value) {
        String s = new String(value, StandardCharsets.UTF_8).trim();
        if (s.startsWith("{")) {
            return parseJson(s);
        }
        String[] f = s.split("\\|", -1);
        if (f.length != 6) {
            throw new IllegalArgumentException("neither JSON nor the 6-field text form");
        }
        Event e = new Event();
        e.id = f[0];
        e.device = f[1];
        e.time = parseLong(f[2], "devicetime");
        e.category = f[3];
        e.m1 = parseLong(f[4], "m1");
        e.m2 = parseDouble(f[5], "m2");
        return e.check();
    }

    private Event check() {
        if (id == null || id.isEmpty() || device == null || device.isEmpty() || category == null) {
            throw new IllegalArgumentException("id, di and c are required");
        }
        if (device.length() > 256 || category.length() > 256 || id.length() > 256) {
            throw new IllegalArgumentException("a field is longer than 256 bytes");
        }
        return this;
    }

    private static long parseLong(String v, String what) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " is not an integer");
        }
    }

    private static double parseDouble(String v, String what) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " is not a number");
        }
    }

    private static Event parseJson(String s) {
        Event e = new Event();
        boolean hasDt = false, hasM1 = false, hasM2 = false;
        int[] pos = {1};
        while (true) {
            skipSpace(s, pos);
            if (pos[0] < s.length() && s.charAt(pos[0]) == '}') {
                break;
            }
            String key = readString(s, pos);
            skipSpace(s, pos);
            expect(s, pos, ':');
            skipSpace(s, pos);
            boolean quoted = pos[0] < s.length() && s.charAt(pos[0]) == '"';
            String val = quoted ? readString(s, pos) : readBare(s, pos);
            switch (key) {
                case "id": e.id = val; break;
                case "di": e.device = val; break;
                case "c": e.category = val; break;
                case "dt": e.time = parseLong(val, "dt"); hasDt = true; break;
                case "m1": e.m1 = parseLong(val, "m1"); hasM1 = true; break;
                case "m2": e.m2 = parseDouble(val, "m2"); hasM2 = true; break;
                default: break;
            }
            skipSpace(s, pos);
            if (pos[0] < s.length() && s.charAt(pos[0]) == ',') {
                pos[0]++;
                continue;
            }
            expect(s, pos, '}');
            break;
        }
        if (!hasDt || !hasM1 || !hasM2) {
            throw new IllegalArgumentException("dt, m1 and m2 are required");
        }
        return e.check();
    }

    private static void skipSpace(String s, int[] pos) {
        while (pos[0] < s.length() && Character.isWhitespace(s.charAt(pos[0]))) {
            pos[0]++;
        }
    }

    private static void expect(String s, int[] pos, char c) {
        if (pos[0] >= s.length() || s.charAt(pos[0]) != c) {
            throw new IllegalArgumentException("expected '" + c + "' at " + pos[0]);
        }
        pos[0]++;
    }

    private static String readBare(String s, int[] pos) {
        int start = pos[0];
        while (pos[0] < s.length() && ",} \t\r\n".indexOf(s.charAt(pos[0])) < 0) {
            pos[0]++;
        }
        return s.substring(start, pos[0]);
    }

    private static String readString(String s, int[] pos) {
        expect(s, pos, '"');
        StringBuilder b = new StringBuilder();
        while (pos[0] < s.length()) {
            char c = s.charAt(pos[0]++);
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos[0] >= s.length()) {
                break;
            }
            char x = s.charAt(pos[0]++);
            switch (x) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'u':
                    if (pos[0] + 4 > s.length()) {
                        throw new IllegalArgumentException("bad \\u escape");
                    }
                    b.append((char) Integer.parseInt(s.substring(pos[0], pos[0] + 4), 16));
                    pos[0] += 4;
                    break;
                default: b.append(x);
            }
        }
        throw new IllegalArgumentException("unterminated string");
    }
}
