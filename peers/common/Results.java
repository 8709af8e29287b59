package streamtop.peers;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** SPEC §3's result form, written exactly as streamtop writes it, and the marker rule of SPEC §6. */
public final class Results {
    private Results() {}

    /** Window end of device time t (floor, also before 1970), ms. */
    public static long windowEnd(long t, long window) {
        return Math.floorDiv(t, window) * window + window;
    }

    /** The record key: device|category|window_end. */
    public static byte[] key(String device, String category, long windowEnd) {
        return (device + "|" + category + "|" + windowEnd).getBytes(StandardCharsets.UTF_8);
    }

    /** The result value. */
    public static byte[] json(long windowEnd, String device, String category, long m1, double m2, long count,
            String engine) {
        StringBuilder b = new StringBuilder(160);
        b.append("{\"window_end\":").append(windowEnd);
        b.append(",\"device\":");
        quote(b, device);
        b.append(",\"category\":");
        quote(b, category);
        b.append(",\"m1_sum\":").append(m1);
        b.append(",\"m2_sum\":").append(number(m2));
        b.append(",\"count\":").append(count);
        b.append(",\"engine\":");
        quote(b, engine);
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A float as JSON: the shortest form that reads back (Java's repr, without a trailing ".0"). */
    public static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "0";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }

    static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
    }

    /**
     * A marker record (SPEC §6): an empty value, or a header whose key starts with "streamtop-" other
     * than "streamtop-run". headerKeys may be null.
     */
    public static boolean isMarker(byte[] value, Iterable<String> headerKeys) {
        if (value == null || value.length == 0) {
            return true;
        }
        if (headerKeys != null) {
            for (String k : headerKeys) {
                if (k.startsWith("streamtop-") && !k.equals("streamtop-run")) {
                    return true;
                }
            }
        }
        return false;
    }
}
